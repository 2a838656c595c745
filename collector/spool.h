/* spool.h — snapshots waiting to be shipped: on disk (--spool-dir) or in memory, bounded, oldest first. */
#ifndef COLLECTOR_SPOOL_H
#define COLLECTOR_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Spool Spool;

/* dir NULL or "": in memory.  Leftover temp files of a crash are removed. */
extern Spool *spool_open(const char *dir, int64_t max_bytes, char *err, size_t errlen);
extern void spool_close(Spool *sp);
extern void spool_set_max(Spool *sp, int64_t max_bytes);
extern bool spool_on_disk(const Spool *sp);

/*
 * Append a body (temp file, fsync, rename).  When the spool would exceed its
 * bound the oldest entries are dropped (the new one too, if it alone is too
 * big); returns how many were dropped.  A file that cannot be written (disk
 * full, I/O error) is kept in memory instead, in order and within the bound;
 * spool_write_failures() counts those, and err says why the last one failed.
 */
extern int	spool_push(Spool *sp, const uint8_t *body, size_t len, bool compressed,
					   char *err, size_t errlen);

extern int	spool_count(const Spool *sp);
extern int64_t spool_bytes(const Spool *sp);
extern int64_t spool_write_failures(const Spool *sp);

/*
 * The oldest entry: a malloc'd copy of its body; false when empty or
 * unreadable.  *trusted is true when this process wrote it (no need to
 * check that it decodes).
 */
extern bool spool_peek(Spool *sp, uint8_t **body, size_t *len, bool *compressed, bool *trusted,
					   char *name, size_t namelen);
extern void spool_pop(Spool *sp);	/* sent: forget it */
extern void spool_reject(Spool *sp);	/* 4xx or corrupt: keep it once in rejected/ */

#endif
