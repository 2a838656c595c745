/*
 * store.c — the shared-memory store: the one write path into it (lookup,
 * insert with incremental clock-sweep eviction, counter update) and reset.
 *
 * Eviction rule (documented in the README): when a table is full, a clock
 * hand inspects at most PGI_SWEEP_WINDOW slots, taking one off each one's
 * usage count; the first slot whose usage is zero is the victim, otherwise
 * the least used slot of the window.  Usage grows by one per call (capped at
 * PGI_USAGE_MAX), so an entry survives as long as it is called about once
 * per lap of the hand, rarely used and old entries go first, and no insert
 * ever looks at more than a window of entries under the exclusive lock.
 * (Halving instead of decrementing loses hot entries under heavy churn: the
 * hand laps a small table every few milliseconds.)
 *
 * Steady state takes no exclusive lock and, when the backend remembers where
 * its entries live, not even the shared one: a slot hint is checked against
 * the entry's key under the entry's spinlock, and a slot only changes owner
 * (key, in_use) with both the exclusive lock and that spinlock held.  A tag
 * set over its shape's cap is counted as dropped under the shared lock.  Tag
 * sets die with their shape, so a shape that comes back starts without any.
 */
#include "postgres.h"

#include <math.h>

#include "executor/instrument.h"
#include "jit/jit.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"

#include "pg_insights.h"

PgiShared  *pgi_shared = NULL;
HTAB	   *pgi_shape_hash = NULL;
HTAB	   *pgi_tag_hash = NULL;
PgiShapeEntry *pgi_shapes = NULL;
PgiTagEntry *pgi_tags = NULL;
char	   *pgi_texts = NULL;
static int32 *pgi_shape_free = NULL;	/* stack of free shape slots */
static int32 *pgi_tag_free = NULL;
static int32 *pgi_shape_nfree = NULL;
static int32 *pgi_tag_nfree = NULL;

/* Upper bounds (ms) of all but the last histogram bucket. */
const double pgi_hist_bounds[PGI_HIST_BUCKETS - 1] = {
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
	25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

int
pgi_hist_bucket(double ms)
{
	int			lo = 0,
				hi = PGI_HIST_BUCKETS - 1;

	/* first bucket whose upper bound is above ms */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (ms < pgi_hist_bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static Size
shape_area_size(void)
{
	return mul_size(pgi_max_shapes, sizeof(PgiShapeEntry));
}

/* a text of max_query_length bytes keeps its last byte: one more for the NUL */
static Size
text_area_size(void)
{
	return mul_size(pgi_max_shapes, (Size) pgi_max_query_length + 1);
}

static Size
tag_area_size(void)
{
	return mul_size(pgi_max_tagsets, sizeof(PgiTagEntry));
}

/* The fixed arrays: PgiShared, entries, texts, tag sets, free-slot stacks. */
static Size
arrays_size(void)
{
	Size		size = MAXALIGN(sizeof(PgiShared));

	size = add_size(size, MAXALIGN(shape_area_size()));
	size = add_size(size, MAXALIGN(text_area_size()));
	size = add_size(size, MAXALIGN(tag_area_size()));
	size = add_size(size, MAXALIGN(mul_size(pgi_max_shapes + 1, sizeof(int32))));
	size = add_size(size, MAXALIGN(mul_size(pgi_max_tagsets + 1, sizeof(int32))));
	return size;
}

/* Everything the store needs: the arrays plus the two key -> slot hash tables. */
Size
pgi_shmem_size(void)
{
	Size		size = arrays_size();

	size = add_size(size, hash_estimate_size(pgi_max_shapes, sizeof(PgiShapeLookup)));
	size = add_size(size, hash_estimate_size(pgi_max_tagsets, sizeof(PgiTagLookup)));
	return size;
}

static void
init_free_stacks(void)
{
	int			i;

	/* pop order 0, 1, 2, ... so a fresh store fills slots in order */
	*pgi_shape_nfree = pgi_shared->max_shapes;
	for (i = 0; i < pgi_shared->max_shapes; i++)
		pgi_shape_free[i] = pgi_shared->max_shapes - 1 - i;
	*pgi_tag_nfree = pgi_shared->max_tagsets;
	for (i = 0; i < pgi_shared->max_tagsets; i++)
		pgi_tag_free[i] = pgi_shared->max_tagsets - 1 - i;
}

/*
 * Attach to (or, in the postmaster, create) the shared state.  Called from
 * shmem_startup_hook with AddinShmemInitLock held by us.
 */
void
pgi_shmem_init(void)
{
	bool		found;
	HASHCTL		info;
	char	   *p;
	int			i;

	pgi_shared = NULL;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);

	pgi_shared = ShmemInitStruct("pg_insights", arrays_size(), &found);
	p = (char *) pgi_shared + MAXALIGN(sizeof(PgiShared));
	pgi_shapes = (PgiShapeEntry *) p;
	p += MAXALIGN(shape_area_size());
	pgi_texts = p;
	p += MAXALIGN(text_area_size());
	pgi_tags = (PgiTagEntry *) p;
	p += MAXALIGN(tag_area_size());
	pgi_shape_nfree = (int32 *) p;
	pgi_shape_free = pgi_shape_nfree + 1;
	p += MAXALIGN(mul_size(pgi_max_shapes + 1, sizeof(int32)));
	pgi_tag_nfree = (int32 *) p;
	pgi_tag_free = pgi_tag_nfree + 1;

	if (!found)
	{
		pgi_shared->lock = &(GetNamedLWLockTranche("pg_insights"))->lock;
		pgi_shared->max_shapes = pgi_max_shapes;
		pgi_shared->max_tagsets = pgi_max_tagsets;
		pgi_shared->max_query_length = pgi_max_query_length;
		pgi_shared->nshapes = 0;
		pgi_shared->ntagsets = 0;
		pgi_shared->shape_hand = 0;
		pgi_shared->tag_hand = 0;
		pgi_shared->stats_reset = GetCurrentTimestamp();
		pgi_shared->insert_seq = 0;
		pgi_shared->restore_shapes_skipped = 0;
		pgi_shared->restore_tagsets_skipped = 0;
		pgi_shared->restore_texts_clipped = 0;
		pgi_shared->restore_files_rejected = 0;
		pg_atomic_init_u64(&pgi_shared->evictions, 0);
		pg_atomic_init_u64(&pgi_shared->tagset_evictions, 0);
		pg_atomic_init_u64(&pgi_shared->tagsets_dropped, 0);
		pg_atomic_init_u64(&pgi_shared->texts_truncated, 0);
		pg_atomic_init_u64(&pgi_shared->comments_rejected, 0);
		pg_atomic_init_u64(&pgi_shared->tags_truncated, 0);
		pg_atomic_init_u64(&pgi_shared->shape_cache_misses, 0);
		pg_atomic_init_u64(&pgi_shared->own_calls, 0);
		pg_atomic_init_u64(&pgi_shared->own_time_us, 0);
		pg_atomic_init_u64(&pgi_shared->generation, 1);
		pg_atomic_init_u64(&pgi_shared->exclusive_locks, 0);
		for (i = 0; i < pgi_max_shapes; i++)
		{
			pgi_shapes[i].in_use = false;
			pgi_shapes[i].first_tag = -1;
			SpinLockInit(&pgi_shapes[i].mutex);
			SpinLockInit(&pgi_shapes[i].plan_mutex);
		}
		for (i = 0; i < pgi_max_tagsets; i++)
		{
			pgi_tags[i].in_use = false;
			SpinLockInit(&pgi_tags[i].mutex);
		}
		init_free_stacks();
	}

	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(PgiShapeKey);
	info.entrysize = sizeof(PgiShapeLookup);
	pgi_shape_hash = PGI_SHMEM_INIT_HASH("pg_insights shapes", pgi_max_shapes, &info, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(PgiTagKey);
	info.entrysize = sizeof(PgiTagLookup);
	pgi_tag_hash = PGI_SHMEM_INIT_HASH("pg_insights tagsets", pgi_max_tagsets, &info, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);

	LWLockRelease(AddinShmemInitLock);

	/* The postmaster restores saved statistics and saves them at shutdown. */
	if (!IsUnderPostmaster)
	{
		on_shmem_exit(pgi_persist_save, (Datum) 0);
		if (!found)
			pgi_persist_load();
	}
}

char *
pgi_entry_text(int slot)
{
	return pgi_texts + (Size) slot * ((Size) pgi_shared->max_query_length + 1);
}

/*
 * Copy a text of len bytes into dst (max + 1 bytes), NUL-terminated.  A
 * longer one is cut at a character boundary of encoding and ends with the
 * truncation marker, max bytes at most.  Returns the length stored.
 */
int
pgi_store_clip_text(char *dst, const char *src, int len, int max, int encoding,
					bool *clipped)
{
	int			mlen = (int) strlen(PGI_TRUNC_MARKER);
	int			keep;

	*clipped = false;
	if (len < 0)
		len = 0;
	if (len <= max)
	{
		memcpy(dst, src, len);
		dst[len] = '\0';
		return len;
	}
	*clipped = true;
	if (!PG_VALID_BE_ENCODING(encoding))
		encoding = PG_SQL_ASCII;
	keep = pg_encoding_mbcliplen(encoding, src, len, max - mlen);
	memcpy(dst, src, keep);
	memcpy(dst + keep, PGI_TRUNC_MARKER, mlen + 1);
	return keep + mlen;
}

/*
 * Pick a slot by clock sweep (see the file header).  Exclusive lock held.
 * Returns the victim's slot; the caller frees it first.
 */
static int
sweep_victim(int nslots, int *hand, int32 (*usage_of) (int), void (*decay) (int))
{
	int			best = -1;
	int32		best_usage = PG_INT32_MAX;
	int			i;

	for (i = 0; i < PGI_SWEEP_WINDOW && i < nslots; i++)
	{
		int			slot = *hand;
		int32		usage = usage_of(slot);

		*hand = (*hand + 1) % nslots;
		if (usage == 0)
			return slot;
		if (usage < best_usage)
		{
			best = slot;
			best_usage = usage;
		}
		decay(slot);
	}
	return best;
}

static int32
shape_usage(int slot)
{
	return pgi_shapes[slot].usage;
}

static void
shape_decay(int slot)
{
	if (pgi_shapes[slot].usage > 0)
		pgi_shapes[slot].usage--;
}

static int32
tag_usage(int slot)
{
	return pgi_tags[slot].usage;
}

static void
tag_decay(int slot)
{
	if (pgi_tags[slot].usage > 0)
		pgi_tags[slot].usage--;
}

/* Take the store lock exclusively, counted in insights.info. */
static void
lock_exclusive(void)
{
	LWLockAcquire(pgi_shared->lock, LW_EXCLUSIVE);
	pg_atomic_fetch_add_u64(&pgi_shared->exclusive_locks, 1);
}

/* Release a tag-set slot and unlink it from its shape; exclusive lock held. */
static void
free_tag_slot(int slot)
{
	PgiTagEntry *t = &pgi_tags[slot];
	PgiShapeEntry *owner = &pgi_shapes[t->shape_slot];

	if (t->prev_tag >= 0)
		pgi_tags[t->prev_tag].next_tag = t->next_tag;
	else
		owner->first_tag = t->next_tag;
	if (t->next_tag >= 0)
		pgi_tags[t->next_tag].prev_tag = t->prev_tag;
	if (owner->tagsets > 0)
		owner->tagsets--;
	hash_search(pgi_tag_hash, &t->key, HASH_REMOVE, NULL);
	SpinLockAcquire(&t->mutex);
	t->in_use = false;
	SpinLockRelease(&t->mutex);
	pgi_tag_free[(*pgi_tag_nfree)++] = slot;
	pgi_shared->ntagsets--;
}

/* Release a shape slot and its tag sets; exclusive lock held. */
static void
free_shape_slot(int slot)
{
	PgiShapeEntry *e = &pgi_shapes[slot];

	while (e->first_tag >= 0)
		free_tag_slot(e->first_tag);
	hash_search(pgi_shape_hash, &e->key, HASH_REMOVE, NULL);
	SpinLockAcquire(&e->mutex);
	e->in_use = false;
	SpinLockRelease(&e->mutex);
	pgi_shape_free[(*pgi_shape_nfree)++] = slot;
	pgi_shared->nshapes--;
	/* backends that remember "this entry exists" must look again */
	pg_atomic_fetch_add_u64(&pgi_shared->generation, 1);
}

/* Insert a shape entry; exclusive lock held.  Returns its slot or -1. */
static int
insert_shape(const PgiShapeKey *key, const PgiEntrySource *src)
{
	PgiShapeLookup *lk;
	PgiShapeEntry *e;
	int			slot;
	bool		found;
	bool		clipped;

	if (*pgi_shape_nfree == 0)
	{
		slot = sweep_victim(pgi_shared->max_shapes, &pgi_shared->shape_hand,
							shape_usage, shape_decay);
		if (slot < 0)
			return -1;
		free_shape_slot(slot);
		pg_atomic_fetch_add_u64(&pgi_shared->evictions, 1);
	}
	slot = pgi_shape_free[--(*pgi_shape_nfree)];

	lk = hash_search(pgi_shape_hash, key, HASH_ENTER_NULL, &found);
	if (lk == NULL)
	{
		/* cannot happen with a free slot, but never error out */
		pgi_shape_free[(*pgi_shape_nfree)++] = slot;
		return -1;
	}
	lk->slot = slot;

	e = &pgi_shapes[slot];
	e->queryid = src->queryid;
	strlcpy(e->command, src->command ? src->command : "", PGI_COMMAND_LEN);
	e->ntables = src->ntables;
	memset(e->tables, 0, PGI_TABLES_LEN);
	if (src->tables_len > 0)
		memcpy(e->tables, src->tables, Min(src->tables_len, PGI_TABLES_LEN - 1));
	e->encoding = src->restored ? src->encoding : GetDatabaseEncoding();
	e->text_len = pgi_store_clip_text(pgi_entry_text(slot), src->text, src->text_len,
									  pgi_shared->max_query_length, e->encoding,
									  &clipped);
	e->text_truncated = src->text_truncated || clipped;
	e->born = ++pgi_shared->insert_seq;
	e->tagsets = 0;
	e->first_tag = -1;
	e->first_seen = e->last_seen = GetCurrentTimestamp();
	e->usage = 1;
	e->row_width = 0;
	e->ncolumns = 0;
	e->plan_json[0] = '\0';
	e->plan_sampled_at = 0;
	memset(&e->counters, 0, sizeof(PgiCounters));
	/* lock-free writers check the key under the spinlock: publish it last */
	SpinLockAcquire(&e->mutex);
	e->key = *key;
	e->in_use = true;
	SpinLockRelease(&e->mutex);
	pgi_shared->nshapes++;
	if (e->text_truncated)
		pg_atomic_fetch_add_u64(&pgi_shared->texts_truncated, 1);
	return slot;
}

/* Insert an attribution entry; exclusive lock held.  Returns slot or -1. */
static int
insert_tagset(const PgiTagKey *key, int shape_slot, const PgiStoreTags *ts)
{
	PgiShapeEntry *owner = &pgi_shapes[shape_slot];
	PgiTagLookup *lk;
	PgiTagEntry *t;
	bool		found;
	int			slot;

	if (owner->tagsets >= pgi_max_tagsets_per_shape)
	{
		pg_atomic_fetch_add_u64(&pgi_shared->tagsets_dropped, 1);
		return -1;
	}
	if (*pgi_tag_nfree == 0)
	{
		slot = sweep_victim(pgi_shared->max_tagsets, &pgi_shared->tag_hand,
							tag_usage, tag_decay);
		if (slot < 0)
		{
			pg_atomic_fetch_add_u64(&pgi_shared->tagsets_dropped, 1);
			return -1;
		}
		free_tag_slot(slot);
		pg_atomic_fetch_add_u64(&pgi_shared->tagset_evictions, 1);
	}
	slot = pgi_tag_free[--(*pgi_tag_nfree)];
	lk = hash_search(pgi_tag_hash, key, HASH_ENTER_NULL, &found);
	if (lk == NULL)
	{
		pgi_tag_free[(*pgi_tag_nfree)++] = slot;
		pg_atomic_fetch_add_u64(&pgi_shared->tagsets_dropped, 1);
		return -1;
	}
	lk->slot = slot;
	t = &pgi_tags[slot];
	t->shape_slot = shape_slot;
	t->tagbuf_len = Min(Max(ts->len, 0), PGI_ATTR_TAGBUF - 1);
	if (t->tagbuf_len > 0)
		memcpy(t->tagbuf, ts->buf, t->tagbuf_len);
	t->tagbuf[t->tagbuf_len] = '\0';
	t->ntags = ts->ntags;
	t->born = ++pgi_shared->insert_seq;
	t->first_seen = t->last_seen = GetCurrentTimestamp();
	t->usage = 1;
	t->calls = 0;
	t->total_time = 0;
	t->rows = 0;
	t->reads = 0;
	t->prev_tag = -1;
	t->next_tag = owner->first_tag;
	if (owner->first_tag >= 0)
		pgi_tags[owner->first_tag].prev_tag = slot;
	owner->first_tag = slot;
	SpinLockAcquire(&t->mutex);
	t->key = *key;
	t->in_use = true;
	SpinLockRelease(&t->mutex);
	owner->tagsets++;
	pgi_shared->ntagsets++;
	return slot;
}

/* Add one execution to an entry's counters; e->mutex held. */
static void
add_counters(PgiShapeEntry *e, const PgiExecStats *s)
{
	PgiCounters *c = &e->counters;
	const BufferUsage *bu = s->bufusage;
	const WalUsage *wu = s->walusage;
	double		old_mean;

	c->calls++;
	c->total_time += s->time_ms;
	if (c->calls == 1)
	{
		c->min_time = c->max_time = c->mean_time = s->time_ms;
		c->sum_var_time = 0;
	}
	else
	{
		/* Welford's online variance */
		old_mean = c->mean_time;
		c->mean_time += (s->time_ms - old_mean) / c->calls;
		c->sum_var_time += (s->time_ms - old_mean) * (s->time_ms - c->mean_time);
		if (s->time_ms < c->min_time)
			c->min_time = s->time_ms;
		if (s->time_ms > c->max_time)
			c->max_time = s->time_ms;
	}
	c->rows += s->rows;
	if (bu)
	{
		c->shared_blks_hit += bu->shared_blks_hit;
		c->shared_blks_read += bu->shared_blks_read;
		c->shared_blks_dirtied += bu->shared_blks_dirtied;
		c->shared_blks_written += bu->shared_blks_written;
		c->local_blks_hit += bu->local_blks_hit;
		c->local_blks_read += bu->local_blks_read;
		c->local_blks_dirtied += bu->local_blks_dirtied;
		c->local_blks_written += bu->local_blks_written;
		c->temp_blks_read += bu->temp_blks_read;
		c->temp_blks_written += bu->temp_blks_written;
		c->blk_read_time += INSTR_TIME_GET_MILLISEC(PGI_BU_SHARED_READ_TIME(bu));
		c->blk_write_time += INSTR_TIME_GET_MILLISEC(PGI_BU_SHARED_WRITE_TIME(bu));
		c->temp_blk_read_time += INSTR_TIME_GET_MILLISEC(bu->temp_blk_read_time);
		c->temp_blk_write_time += INSTR_TIME_GET_MILLISEC(bu->temp_blk_write_time);
		c->local_blk_read_time += PGI_BU_LOCAL_READ_MS(bu);
		c->local_blk_write_time += PGI_BU_LOCAL_WRITE_MS(bu);
	}
	if (wu)
	{
		c->wal_records += wu->wal_records;
		c->wal_fpi += wu->wal_fpi;
		c->wal_bytes += wu->wal_bytes;
		c->wal_buffers_full += PGI_WU_BUFFERS_FULL(wu);
	}
	if (s->jit)
	{
		const JitInstrumentation *ji = s->jit;

		c->jit_functions += ji->created_functions;
		c->jit_generation_time += INSTR_TIME_GET_MILLISEC(ji->generation_counter);
		c->jit_inlining_count += !INSTR_TIME_IS_ZERO(ji->inlining_counter);
		c->jit_inlining_time += INSTR_TIME_GET_MILLISEC(ji->inlining_counter);
		c->jit_optimization_count += !INSTR_TIME_IS_ZERO(ji->optimization_counter);
		c->jit_optimization_time += INSTR_TIME_GET_MILLISEC(ji->optimization_counter);
		c->jit_emission_count += !INSTR_TIME_IS_ZERO(ji->emission_counter);
		c->jit_emission_time += INSTR_TIME_GET_MILLISEC(ji->emission_counter);
		c->jit_deform_count += PGI_JIT_DEFORM_MS(ji) > 0;
		c->jit_deform_time += PGI_JIT_DEFORM_MS(ji);
	}
	c->parallel_workers_planned += s->workers_planned;
	c->parallel_workers_launched += s->workers_launched;
	c->generic_plan_calls += s->plan_origin == PGI_PLAN_GENERIC;
	c->custom_plan_calls += s->plan_origin == PGI_PLAN_CUSTOM;
	c->hist[pgi_hist_bucket(s->time_ms)]++;
	if (s->row_width > 0)
	{
		c->bytes += (int64) s->row_width * s->rows;
		e->row_width = s->row_width;
		e->ncolumns = s->ncolumns;
	}
	if (s->plan_json != NULL)
		c->plan_samples++;
	e->last_seen = s->now;
	if (e->usage < PGI_USAGE_MAX)
		e->usage++;
}

/*
 * Add one execution to the entry at slot if it still holds key.  Safe
 * without the LWLock: owner changes happen under e->mutex too.
 */
static bool
update_shape_if(int slot, const PgiShapeKey *key, const PgiExecStats *s)
{
	PgiShapeEntry *e = &pgi_shapes[slot];
	bool		ok;

	SpinLockAcquire(&e->mutex);
	ok = e->in_use && memcmp(&e->key, key, sizeof(PgiShapeKey)) == 0;
	if (ok)
		add_counters(e, s);
	SpinLockRelease(&e->mutex);
	return ok;
}

/* The sampled plan, apart from the counters; the LWLock is held. */
static void
store_plan(PgiShapeEntry *e, const PgiExecStats *s)
{
	SpinLockAcquire(&e->plan_mutex);
	strlcpy(e->plan_json, s->plan_json, PGI_PLAN_LEN);
	e->plan_sampled_at = s->now;
	SpinLockRelease(&e->plan_mutex);
}

static bool
update_tagset_if(int slot, const PgiTagKey *key, const PgiExecStats *s)
{
	PgiTagEntry *t = &pgi_tags[slot];
	bool		ok;

	SpinLockAcquire(&t->mutex);
	ok = t->in_use && memcmp(&t->key, key, sizeof(PgiTagKey)) == 0;
	if (ok)
	{
		t->calls++;
		t->total_time += s->time_ms;
		t->rows += s->rows;
		if (s->bufusage)
			t->reads += s->bufusage->shared_blks_hit + s->bufusage->shared_blks_read;
		t->last_seen = s->now;
		if (t->usage < PGI_USAGE_MAX)
			t->usage++;
	}
	SpinLockRelease(&t->mutex);
	return ok;
}

static int
find_shape(const PgiShapeKey *key)
{
	PgiShapeLookup *lk = hash_search(pgi_shape_hash, key, HASH_FIND, NULL);

	return lk ? lk->slot : -1;
}

static int
find_tagset(const PgiTagKey *key)
{
	PgiTagLookup *lk = hash_search(pgi_tag_hash, key, HASH_FIND, NULL);

	return lk ? lk->slot : -1;
}

bool
pgi_store_exists(const PgiShapeKey *key)
{
	bool		exists;

	LWLockAcquire(pgi_shared->lock, LW_SHARED);
	exists = find_shape(key) >= 0;
	LWLockRelease(pgi_shared->lock);
	return exists;
}

/* Create the entry (no counts) if it does not exist yet: used at parse time. */
void
pgi_store_ensure(const PgiShapeKey *key, PgiSourceBuilder build, void *arg)
{
	PgiEntrySource src;

	if (pgi_store_exists(key))
		return;
	memset(&src, 0, sizeof(src));
	build(arg, &src);
	if (src.text == NULL)
		return;
	lock_exclusive();
	if (find_shape(key) < 0)
		insert_shape(key, &src);
	LWLockRelease(pgi_shared->lock);
}

/*
 * Add one execution.  Common case: both the shape and the tag set exist, and
 * only the shared lock is taken.  Otherwise the entry source is built outside
 * any lock, and the whole update is done once under the exclusive lock.
 */
uint64
pgi_store_generation(void)
{
	return pg_atomic_read_u64(&pgi_shared->generation);
}

/* The slot of key, from the hint or the hash table; the LWLock is held. */
static int
find_shape_hinted(const PgiShapeKey *key, PgiSlotHint *hint)
{
	int			slot;

	if (hint != NULL && hint->slot >= 0 && hint->slot < pgi_shared->max_shapes &&
		pgi_shapes[hint->slot].in_use &&
		memcmp(&pgi_shapes[hint->slot].key, key, sizeof(PgiShapeKey)) == 0)
		return hint->slot;
	slot = find_shape(key);
	if (hint != NULL)
		hint->slot = slot;
	return slot;
}

/*
 * Add one execution.  In steady state the entries are where the backend saw
 * them last and only their spinlocks are taken; else the shared lock finds
 * them (a tag set over its shape's cap is dropped, counted, right there);
 * only a new entry takes the exclusive lock, with its source built before.
 */
void
pgi_store_add(const PgiShapeKey *key, PgiSourceBuilder build, void *arg,
			  const PgiExecStats *stats, const PgiStoreTags *tags,
			  PgiSlotHint *hint)
{
	PgiTagKey	tkey;
	bool		want_tags = tags != NULL && tags->ntags > 0;
	bool		shape_done = false,
				tag_done = !want_tags;
	int			slot,
				tslot;
	PgiEntrySource src;

	if (want_tags)
	{
		memset(&tkey, 0, sizeof(tkey));
		tkey.shape = *key;
		tkey.tagset_id = tags->tagset_id;
	}

	/* no lock: slot hints checked under the entries' spinlocks */
	if (stats->plan_json == NULL && hint != NULL && hint->slot >= 0 &&
		hint->slot < pgi_shared->max_shapes)
	{
		shape_done = update_shape_if(hint->slot, key, stats);
		if (shape_done && !tag_done && tags->slot_hint != NULL &&
			*tags->slot_hint >= 0 && *tags->slot_hint < pgi_shared->max_tagsets)
			tag_done = update_tagset_if(*tags->slot_hint, &tkey, stats);
		if (shape_done && tag_done)
			return;
	}

	LWLockAcquire(pgi_shared->lock, LW_SHARED);
	slot = find_shape_hinted(key, hint);
	if (slot >= 0)
	{
		if (!shape_done)
			shape_done = update_shape_if(slot, key, stats);
		if (stats->plan_json != NULL)
			store_plan(&pgi_shapes[slot], stats);
		if (!tag_done)
		{
			tslot = find_tagset(&tkey);
			if (tags->slot_hint != NULL)
				*tags->slot_hint = tslot;
			if (tslot >= 0)
				tag_done = update_tagset_if(tslot, &tkey, stats);
			else if (pgi_shapes[slot].tagsets >= pgi_max_tagsets_per_shape)
			{
				pg_atomic_fetch_add_u64(&pgi_shared->tagsets_dropped, 1);
				tag_done = true;
			}
		}
	}
	LWLockRelease(pgi_shared->lock);
	/* counted before its entry went away: its tag sets went with it */
	if (shape_done && (tag_done || slot < 0))
		return;

	memset(&src, 0, sizeof(src));
	if (slot < 0)
	{
		build(arg, &src);
		if (src.text == NULL)
			return;
	}

	lock_exclusive();
	slot = find_shape(key);
	if (slot < 0 && src.text != NULL)
		slot = insert_shape(key, &src);
	if (hint != NULL)
		hint->slot = slot;
	if (slot >= 0)
	{
		if (!shape_done)
		{
			update_shape_if(slot, key, stats);
			if (stats->plan_json != NULL)
				store_plan(&pgi_shapes[slot], stats);
		}
		if (!tag_done)
		{
			tslot = find_tagset(&tkey);
			if (tslot < 0)
				tslot = insert_tagset(&tkey, slot, tags);
			if (tags->slot_hint != NULL)
				*tags->slot_hint = tslot;
			if (tslot >= 0)
				update_tagset_if(tslot, &tkey, stats);
		}
	}
	LWLockRelease(pgi_shared->lock);
}

/* Forget everything, or every entry of one shape id. */
void
pgi_store_reset(bool all, uint64 shape_id)
{
	int			i;

	lock_exclusive();
	for (i = 0; i < pgi_shared->max_shapes; i++)
	{
		if (pgi_shapes[i].in_use && (all || pgi_shapes[i].key.shape_id == shape_id))
			free_shape_slot(i);
	}
	if (all)
	{
		pgi_shared->stats_reset = GetCurrentTimestamp();
		pg_atomic_write_u64(&pgi_shared->evictions, 0);
		pg_atomic_write_u64(&pgi_shared->tagset_evictions, 0);
		pg_atomic_write_u64(&pgi_shared->tagsets_dropped, 0);
		pg_atomic_write_u64(&pgi_shared->texts_truncated, 0);
		pg_atomic_write_u64(&pgi_shared->comments_rejected, 0);
		pg_atomic_write_u64(&pgi_shared->tags_truncated, 0);
		pg_atomic_write_u64(&pgi_shared->shape_cache_misses, 0);
		pg_atomic_write_u64(&pgi_shared->own_calls, 0);
		pg_atomic_write_u64(&pgi_shared->own_time_us, 0);
	}
	LWLockRelease(pgi_shared->lock);
}

/*
 * Restore one saved shape entry (persist.c, postmaster at startup, before
 * any backend exists).  Returns false when the store is full.
 */
bool
pgi_store_restore_shape(const PgiShapeEntry *saved, const char *text, bool *clipped)
{
	PgiEntrySource src;
	int			slot;

	memset(&src, 0, sizeof(src));
	src.text = text;
	src.text_len = saved->text_len;
	src.text_truncated = saved->text_truncated;
	src.command = saved->command;
	src.tables = saved->tables;
	src.tables_len = PGI_TABLES_LEN;
	src.ntables = saved->ntables;
	src.queryid = saved->queryid;
	src.restored = true;
	src.encoding = saved->encoding;
	*clipped = false;
	if (*pgi_shape_nfree == 0 || find_shape(&saved->key) >= 0)
		return false;
	slot = insert_shape(&saved->key, &src);
	if (slot < 0)
		return false;
	*clipped = saved->text_len > pgi_shared->max_query_length;
	pgi_shapes[slot].counters = saved->counters;
	pgi_shapes[slot].first_seen = saved->first_seen;
	pgi_shapes[slot].last_seen = saved->last_seen;
	pgi_shapes[slot].usage = saved->usage;
	pgi_shapes[slot].row_width = saved->row_width;
	pgi_shapes[slot].ncolumns = saved->ncolumns;
	pgi_shapes[slot].plan_sampled_at = saved->plan_sampled_at;
	memcpy(pgi_shapes[slot].plan_json, saved->plan_json, PGI_PLAN_LEN);
	pgi_shapes[slot].plan_json[PGI_PLAN_LEN - 1] = '\0';
	return true;
}

bool
pgi_store_restore_tagset(const PgiTagEntry *saved)
{
	PgiStoreTags ts;
	int			shape_slot = find_shape(&saved->key.shape);
	int			slot;
	PgiTagEntry *t;

	if (shape_slot < 0 || *pgi_tag_nfree == 0 || find_tagset(&saved->key) >= 0)
		return false;
	memset(&ts, 0, sizeof(ts));
	ts.tagset_id = saved->key.tagset_id;
	ts.buf = saved->tagbuf;
	ts.len = Min(Max(saved->tagbuf_len, 0), PGI_ATTR_TAGBUF - 1);
	ts.ntags = saved->ntags;
	slot = insert_tagset(&saved->key, shape_slot, &ts);
	if (slot < 0)
		return false;
	t = &pgi_tags[slot];
	t->first_seen = saved->first_seen;
	t->last_seen = saved->last_seen;
	t->usage = saved->usage;
	t->calls = saved->calls;
	t->total_time = saved->total_time;
	t->rows = saved->rows;
	t->reads = saved->reads;
	return true;
}
