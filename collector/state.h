/* state.h — what the collector remembers between polls: previous reading, statement texts, history. */
#ifndef COLLECTOR_STATE_H
#define COLLECTOR_STATE_H

#include "reading.h"

/* statement texts by shape_id, fetched once per shape (queries_raw(true) is costly) */
typedef struct TextCache TextCache;

extern TextCache *textcache_create(void);
extern void textcache_free(TextCache *tc);
extern const char *textcache_get(const TextCache *tc, int64_t shape_id, bool *truncated);
extern void textcache_put(TextCache *tc, int64_t shape_id, const char *text, bool truncated);
/* forget the texts of shapes no longer in the reading */
extern void textcache_prune(TextCache *tc, const Reading *r);

/* per polled database: the previous reading and the last N intervals of deltas */
typedef struct State
{
	Reading    *prev;
	TextCache  *texts;
	DeltaSet  **history;		/* ring */
	int			history_size;
	int			history_len;
	int			history_next;
} State;

extern State *state_create(int history_size);
extern void state_free(State *st);

/*
 * Take a new reading: returns the deltas since the previous one (NULL for
 * the very first reading, which is only a baseline, unless since_reset).
 * The state keeps cur (do not free it) and a reference in the history.
 */
extern const DeltaSet *state_advance(State *st, Reading *cur, bool since_reset);
extern void state_forget(State *st);

#endif
