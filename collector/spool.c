/* spool.c — snapshots waiting to be shipped: on disk (--spool-dir) or in memory, bounded, oldest first. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* on disk: <dir>/<seq, 20 digits>.pb (plain) or .pbz (zlib); temp files end in .tmp */
typedef struct SpoolEntry
{
	uint64_t	seq;
	size_t		size;
	bool		compressed;
	bool		trusted;		/* written by this process */
	uint8_t    *data;			/* memory mode, or a file that could not be written */
} SpoolEntry;

struct Spool
{
	char	   *dir;			/* NULL: memory */
	int64_t		max_bytes;
	int64_t		bytes;
	SpoolEntry *entries;		/* ascending seq */
	int			n;
	int			cap;
	uint64_t	next_seq;
	int64_t		write_failures;	/* files that could not be written */
};

static void
entry_path(const Spool *sp, const SpoolEntry *e, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%020llu.%s", sp->dir, (unsigned long long) e->seq,
			 e->compressed ? "pbz" : "pb");
}

static int
cmp_entry(const void *a, const void *b)
{
	uint64_t	x = ((const SpoolEntry *) a)->seq;
	uint64_t	y = ((const SpoolEntry *) b)->seq;

	return x < y ? -1 : x > y;
}

static void
add_entry(Spool *sp, SpoolEntry e)
{
	if (sp->n == sp->cap)
	{
		sp->cap = sp->cap ? sp->cap * 2 : 64;
		sp->entries = xrealloc(sp->entries, sizeof(SpoolEntry) * (size_t) sp->cap);
	}
	sp->entries[sp->n++] = e;
	sp->bytes += (int64_t) e.size;
}

static bool
mkdir_p(const char *path, char *err, size_t errlen)
{
	char	   *tmp = xstrdup(path);
	char	   *p;
	bool		ok = true;

	for (p = tmp + 1; ok; p++)
	{
		if (*p == '/' || *p == '\0')
		{
			char		c = *p;

			*p = '\0';
			if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			{
				snprintf(err, errlen, "cannot create spool directory \"%s\": %s", tmp, strerror(errno));
				ok = false;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(tmp);
	return ok;
}

static void
fsync_dir(const char *dir)
{
	int			fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd >= 0)
	{
		(void) fsync(fd);
		close(fd);
	}
}

/* forget the oldest entry: from memory and, on disk, the file */
static void
remove_oldest(Spool *sp, bool unlink_file)
{
	SpoolEntry *e = &sp->entries[0];

	if (sp->dir != NULL && unlink_file && e->data == NULL)
	{
		char		path[4096];

		entry_path(sp, e, path, sizeof(path));
		if (unlink(path) != 0 && errno != ENOENT)
			log_warning("cannot remove spool file \"%s\": %s", path, strerror(errno));
	}
	sp->bytes -= (int64_t) e->size;
	free(e->data);
	memmove(&sp->entries[0], &sp->entries[1], sizeof(SpoolEntry) * (size_t) (sp->n - 1));
	sp->n--;
}

static bool
scan_dir(Spool *sp, char *err, size_t errlen)
{
	DIR		   *d = opendir(sp->dir);
	struct dirent *de;

	if (d == NULL)
	{
		snprintf(err, errlen, "cannot open spool directory \"%s\": %s", sp->dir, strerror(errno));
		return false;
	}
	while ((de = readdir(d)) != NULL)
	{
		char		path[4096];
		unsigned long long seq;
		char		ext[8];
		struct stat st;
		SpoolEntry	e;

		snprintf(path, sizeof(path), "%s/%s", sp->dir, de->d_name);
		if (strlen(de->d_name) > 4 && strcmp(de->d_name + strlen(de->d_name) - 4, ".tmp") == 0)
		{
			/* a write a crash interrupted: never complete, never sent */
			log_warning("removing incomplete spool file \"%s\"", path);
			(void) unlink(path);
			continue;
		}
		if (sscanf(de->d_name, "%20llu.%7s", &seq, ext) != 2 ||
			(strcmp(ext, "pb") != 0 && strcmp(ext, "pbz") != 0) ||
			stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		memset(&e, 0, sizeof(e));
		e.seq = seq;
		e.size = (size_t) st.st_size;
		e.compressed = strcmp(ext, "pbz") == 0;
		add_entry(sp, e);
		if (seq >= sp->next_seq)
			sp->next_seq = seq + 1;
	}
	closedir(d);
	if (sp->n > 1)
		qsort(sp->entries, (size_t) sp->n, sizeof(SpoolEntry), cmp_entry);
	return true;
}

Spool *
spool_open(const char *dir, int64_t max_bytes, char *err, size_t errlen)
{
	Spool	   *sp = xcalloc(1, sizeof(Spool));

	sp->max_bytes = max_bytes;
	sp->next_seq = 1;
	if (dir != NULL && dir[0] != '\0')
	{
		char		rej[4096];

		sp->dir = xstrdup(dir);
		snprintf(rej, sizeof(rej), "%s/rejected", dir);
		if (!mkdir_p(dir, err, errlen) || !mkdir_p(rej, err, errlen) || !scan_dir(sp, err, errlen))
		{
			spool_close(sp);
			return NULL;
		}
		if (access(dir, W_OK) != 0)
		{
			snprintf(err, errlen, "spool directory \"%s\" is not writable: %s", dir, strerror(errno));
			spool_close(sp);
			return NULL;
		}
		if (sp->n > 0)
			log_info("spool \"%s\": %d snapshots (%lld bytes) waiting from a previous run",
					 dir, sp->n, (long long) sp->bytes);
	}
	return sp;
}

void
spool_close(Spool *sp)
{
	int			i;

	if (sp == NULL)
		return;
	for (i = 0; i < sp->n; i++)
		free(sp->entries[i].data);
	free(sp->entries);
	free(sp->dir);
	free(sp);
}

void
spool_set_max(Spool *sp, int64_t max_bytes)
{
	sp->max_bytes = max_bytes;
}

bool
spool_on_disk(const Spool *sp)
{
	return sp->dir != NULL;
}

int
spool_count(const Spool *sp)
{
	return sp->n;
}

int64_t
spool_write_failures(const Spool *sp)
{
	return sp->write_failures;
}

int64_t
spool_bytes(const Spool *sp)
{
	return sp->bytes;
}

static bool
write_file(const char *tmp, const char *final, const uint8_t *body, size_t len, char *err, size_t errlen)
{
	int			fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t		off = 0;

	if (fd < 0)
	{
		snprintf(err, errlen, "cannot create \"%s\": %s", tmp, strerror(errno));
		return false;
	}
	while (off < len)
	{
		ssize_t		w = write(fd, body + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
		{
			snprintf(err, errlen, "cannot write \"%s\": %s", tmp, strerror(errno));
			close(fd);
			(void) unlink(tmp);
			return false;
		}
		off += (size_t) w;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, final) != 0)
	{
		snprintf(err, errlen, "cannot complete \"%s\": %s", final, strerror(errno));
		(void) unlink(tmp);
		return false;
	}
	return true;
}

int
spool_push(Spool *sp, const uint8_t *body, size_t len, bool compressed, char *err, size_t errlen)
{
	SpoolEntry	e;
	int			dropped = 0;

	/* make room: the oldest go first; a body that alone exceeds the bound is dropped */
	while (sp->n > 0 && sp->bytes + (int64_t) len > sp->max_bytes)
	{
		remove_oldest(sp, true);
		dropped++;
	}
	if ((int64_t) len > sp->max_bytes)
		return dropped + 1;

	memset(&e, 0, sizeof(e));
	e.seq = sp->next_seq++;
	e.size = len;
	e.compressed = compressed;
	e.trusted = true;
	if (sp->dir != NULL)
	{
		char		tmp[4096],
					final[4096];

		entry_path(sp, &e, final, sizeof(final));
		snprintf(tmp, sizeof(tmp), "%s/%020llu.tmp", sp->dir, (unsigned long long) e.seq);
		if (write_file(tmp, final, body, len, err, errlen))
			fsync_dir(sp->dir);
		else
		{
			/*
			 * Disk full or an I/O error: keep this one in memory (still bounded
			 * by max_bytes, sent in order) and tell the caller; it is lost
			 * only if the collector stops before it is sent.
			 */
			sp->write_failures++;
			e.data = xmalloc(len);
			memcpy(e.data, body, len);
		}
	}
	else
	{
		e.data = xmalloc(len);
		memcpy(e.data, body, len);
	}
	add_entry(sp, e);
	return dropped;
}

bool
spool_peek(Spool *sp, uint8_t **body, size_t *len, bool *compressed, bool *trusted,
		   char *name, size_t namelen)
{
	SpoolEntry *e;
	char		path[4096];
	FILE	   *f;
	size_t		got;

	if (sp->n == 0)
		return false;
	e = &sp->entries[0];
	*compressed = e->compressed;
	*trusted = e->trusted;
	*len = e->size;
	if (sp->dir == NULL || e->data != NULL)
	{
		snprintf(name, namelen, "memory #%llu", (unsigned long long) e->seq);
		*body = xmalloc(e->size);
		memcpy(*body, e->data, e->size);
		return true;
	}
	entry_path(sp, e, path, sizeof(path));
	snprintf(name, namelen, "%s", path);
	f = fopen(path, "rb");
	if (f == NULL)
	{
		log_warning("spool file \"%s\" vanished: %s", path, strerror(errno));
		remove_oldest(sp, false);
		return false;
	}
	*body = xmalloc(e->size);
	got = fread(*body, 1, e->size, f);
	fclose(f);
	if (got != e->size)
	{
		*len = got;				/* short: the caller sees a corrupt body */
		*trusted = false;
	}
	return true;
}

void
spool_pop(Spool *sp)
{
	if (sp->n > 0)
		remove_oldest(sp, true);
}

void
spool_reject(Spool *sp)
{
	SpoolEntry *e;
	char		from[4096],
				to[4096];

	if (sp->n == 0)
		return;
	e = &sp->entries[0];
	if (sp->dir != NULL && e->data == NULL)
	{
		entry_path(sp, e, from, sizeof(from));
		snprintf(to, sizeof(to), "%s/rejected/%020llu.%s", sp->dir, (unsigned long long) e->seq,
				 e->compressed ? "pbz" : "pb");
		if (rename(from, to) != 0)
			log_warning("cannot move \"%s\" to \"%s\": %s", from, to, strerror(errno));
		else
			fsync_dir(sp->dir);
	}
	remove_oldest(sp, false);
}
