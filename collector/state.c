/* state.c — what the collector remembers between polls: previous reading, statement texts, history. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "hashmap.h"

typedef struct TextEntry
{
	char	   *text;
	bool		truncated;
} TextEntry;

struct TextCache
{
	HashMap    *idx;			/* shape_id -> entries[] */
	TextEntry  *entries;
	size_t		n;
	size_t		cap;
};

TextCache *
textcache_create(void)
{
	TextCache  *tc = xcalloc(1, sizeof(TextCache));

	tc->idx = hm_create(sizeof(int64_t), 256);
	return tc;
}

void
textcache_free(TextCache *tc)
{
	size_t		i;

	if (tc == NULL)
		return;
	for (i = 0; i < tc->n; i++)
		free(tc->entries[i].text);
	free(tc->entries);
	hm_free(tc->idx);
	free(tc);
}

const char *
textcache_get(const TextCache *tc, int64_t shape_id, bool *truncated)
{
	size_t		i;

	if (!hm_get(tc->idx, &shape_id, &i))
		return NULL;
	if (truncated != NULL)
		*truncated = tc->entries[i].truncated;
	return tc->entries[i].text;
}

void
textcache_put(TextCache *tc, int64_t shape_id, const char *text, bool truncated)
{
	bool		found;
	size_t	   *slot = hm_slot(tc->idx, &shape_id, &found);

	if (found)
	{
		free(tc->entries[*slot].text);
		tc->entries[*slot].text = xstrdup(text);
		tc->entries[*slot].truncated = truncated;
		return;
	}
	if (tc->n == tc->cap)
	{
		tc->cap = tc->cap ? tc->cap * 2 : 256;
		tc->entries = xrealloc(tc->entries, sizeof(TextEntry) * tc->cap);
	}
	tc->entries[tc->n].text = xstrdup(text);
	tc->entries[tc->n].truncated = truncated;
	*slot = tc->n++;
}

void
textcache_prune(TextCache *tc, const Reading *r)
{
	/* rebuilding costs a pass over every shape: only when half the cache is stale */
	if (tc->n <= (size_t) r->nshapes * 2 + 64)
		return;
	HashMap    *idx = hm_create(sizeof(int64_t), (size_t) r->nshapes);
	TextEntry  *entries = xmalloc(sizeof(TextEntry) * (tc->n + 1));
	size_t		n = 0,
				i;
	int			j;

	/* walk the old map's entries through the shape ids we keep */
	for (j = 0; j < r->nshapes; j++)
	{
		int64_t		id = r->shapes[j].key.shape_id;
		bool		found;
		size_t	   *slot;

		if (!hm_get(tc->idx, &id, &i) || tc->entries[i].text == NULL)
			continue;
		slot = hm_slot(idx, &id, &found);
		if (found)
			continue;
		entries[n] = tc->entries[i];
		tc->entries[i].text = NULL;
		*slot = n++;
	}
	for (i = 0; i < tc->n; i++)
		free(tc->entries[i].text);
	free(tc->entries);
	hm_free(tc->idx);
	tc->entries = entries;
	tc->idx = idx;
	tc->n = n;
	tc->cap = tc->n + 1;
}

State *
state_create(int history_size)
{
	State	   *st = xcalloc(1, sizeof(State));

	st->texts = textcache_create();
	st->history_size = history_size > 0 ? history_size : 1;
	st->history = xcalloc((size_t) st->history_size, sizeof(DeltaSet *));
	return st;
}

void
state_forget(State *st)
{
	int			i;

	reading_free(st->prev);
	st->prev = NULL;
	for (i = 0; i < st->history_size; i++)
	{
		delta_free(st->history[i]);
		st->history[i] = NULL;
	}
	st->history_len = 0;
	st->history_next = 0;
}

void
state_free(State *st)
{
	if (st == NULL)
		return;
	state_forget(st);
	free(st->history);
	textcache_free(st->texts);
	free(st);
}

const DeltaSet *
state_advance(State *st, Reading *cur, bool since_reset)
{
	static const DiffOptions opts = {COLLECTOR_APPLICATION};
	DeltaSet   *ds = NULL;

	if (st->prev != NULL || since_reset)
		ds = diff_readings(st->prev, cur, &opts);
	reading_free(st->prev);
	st->prev = cur;
	if (ds == NULL)
		return NULL;
	delta_free(st->history[st->history_next]);
	st->history[st->history_next] = ds;
	st->history_next = (st->history_next + 1) % st->history_size;
	if (st->history_len < st->history_size)
		st->history_len++;
	return ds;
}
