/*
 * views.c — the SQL-callable functions behind the insights views: entries
 * are copied out under the shared lock, a batch of at most VIEW_BATCH_BYTES
 * (and VIEW_SCAN_SLOTS slots inspected) at a time, and formatted outside it into the tuplestore (which spills to
 * disk past work_mem), so no allocation grows with max_shapes or
 * max_query_length.  Between batches the lock is released; an entry
 * inserted after the scan began (born > the insert_seq seen first) is left
 * out, so an entry evicted and inserted again in a later slot is never
 * returned twice.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "common/string.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "jsoncheck.h"
#include "pg_insights.h"

PG_FUNCTION_INFO_V1(pg_insights_queries);
PG_FUNCTION_INFO_V1(pg_insights_attribution);
PG_FUNCTION_INFO_V1(pg_insights_info);
PG_FUNCTION_INFO_V1(pg_insights_histogram_bounds);
PG_FUNCTION_INFO_V1(pg_insights_reset);
PG_FUNCTION_INFO_V1(pg_insights_shape_visible);

#define QUERIES_COLS 61
#define ATTRIBUTION_COLS 22
#define INFO_COLS 28

#define VIEW_BATCH_BYTES	(4 * 1024 * 1024)
#define VIEW_SCAN_SLOTS		16384	/* slots inspected per hold of the lock, at most */

static void
require_loaded(void)
{
	if (pgi_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_insights must be loaded via shared_preload_libraries"),
				 errhint("Add pg_insights to shared_preload_libraries in postgresql.conf and restart the server.")));
}

static bool
can_see_all(void)
{
	return is_member_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
}

static Datum
tables_array(const char *buf, int ntables)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(ntables, 1));
	const char *p = buf;
	int			i;

	const char *end = buf + PGI_TABLES_LEN;
	int			n = 0;

	/* the buffer is NUL-terminated at its end, whatever ntables says */
	for (i = 0; i < ntables && p < end && *p != '\0'; i++)
	{
		elems[n++] = CStringGetTextDatum(p);
		p += strlen(p) + 1;
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
int64_array(const int64 *vals, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(vals[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * Text from shared memory becomes jsonb only through the strict checker, in
 * the reading database's terms: the store is shared by all databases, and
 * one entry jsonb_in refused would make the whole view fail.
 */
static bool
json_is_safe(const char *s, size_t len)
{
	return pgi_json_check(s, len, PGI_JSON_MAX_DEPTH,
						  GetDatabaseEncoding() == PG_UTF8 ? 0 : PGI_JSON_ASCII_ONLY) == 1;
}

static Datum
safe_jsonb(const char *s, size_t len, bool *isnull)
{
	*isnull = !json_is_safe(s, len);
	if (*isnull)
		return (Datum) 0;
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(pnstrdup(s, len)));
}

/*
 * A tag string as valid text of this database, as capture makes it (UTF-8,
 * or ASCII with '?' outside UTF-8): the store is shared, and the database
 * that captured a tag may not be the one reading it.
 */
static const char *
db_text(const char *s)
{
	size_t		len = strlen(s);
	bool		utf8 = GetDatabaseEncoding() == PG_UTF8;
	char	   *copy;
	size_t		i;

	if (utf8 ? pg_verifymbstr(s, len, true) : pg_is_ascii(s))
		return s;
	copy = pnstrdup(s, len);
	if (utf8)
		pgi_utf8_sanitize(copy, len);
	else
		for (i = 0; i < len; i++)
			if ((unsigned char) copy[i] >= 0x80)
				copy[i] = '?';
	return copy;
}

/*
 * The counters of newer servers, NULL where this server does not keep them
 * (so that 0 always means "none happened").
 */
static void
put_version_counters(const PgiCounters *c, Datum *values, bool *nulls, int *jp)
{
	int			j = *jp;

#define PUT_IF(has, datum) \
	do { if (has) values[j] = (datum); else nulls[j] = true; j++; } while (0)
	PUT_IF(PGI_HAS_LOCAL_BLK_TIME, Float8GetDatum(c->local_blk_read_time));
	PUT_IF(PGI_HAS_LOCAL_BLK_TIME, Float8GetDatum(c->local_blk_write_time));
	values[j++] = Int64GetDatum(c->jit_functions);
	values[j++] = Float8GetDatum(c->jit_generation_time);
	values[j++] = Int64GetDatum(c->jit_inlining_count);
	values[j++] = Float8GetDatum(c->jit_inlining_time);
	values[j++] = Int64GetDatum(c->jit_optimization_count);
	values[j++] = Float8GetDatum(c->jit_optimization_time);
	values[j++] = Int64GetDatum(c->jit_emission_count);
	values[j++] = Float8GetDatum(c->jit_emission_time);
	PUT_IF(PGI_HAS_JIT_DEFORM, Int64GetDatum(c->jit_deform_count));
	PUT_IF(PGI_HAS_JIT_DEFORM, Float8GetDatum(c->jit_deform_time));
	PUT_IF(PGI_HAS_PARALLEL_WORKERS, Int64GetDatum(c->parallel_workers_planned));
	PUT_IF(PGI_HAS_PARALLEL_WORKERS, Int64GetDatum(c->parallel_workers_launched));
	PUT_IF(PGI_HAS_WAL_BUFFERS_FULL, Int64GetDatum(c->wal_buffers_full));
	PUT_IF(PGI_HAS_PLAN_ORIGIN, Int64GetDatum(c->generic_plan_calls));
	PUT_IF(PGI_HAS_PLAN_ORIGIN, Int64GetDatum(c->custom_plan_calls));
#undef PUT_IF
	*jp = j;
}

/* One row of insights.queries from a copied entry and its text. */
static void
put_query_row(ReturnSetInfo *rsinfo, PgiShapeEntry *e, const char *text,
			  bool showtext, bool see_all, Oid me)
{
	PgiCounters *c = &e->counters;
	Datum		values[QUERIES_COLS];
	bool		nulls[QUERIES_COLS];
	int			j = 0;
	char		buf[32];

	memset(nulls, 0, sizeof(nulls));
	values[j++] = ObjectIdGetDatum(e->key.userid);
	values[j++] = ObjectIdGetDatum(e->key.dbid);
	values[j++] = BoolGetDatum(e->key.toplevel);
	values[j++] = Int64GetDatum((int64) e->key.shape_id);
	values[j++] = Int64GetDatum((int64) e->queryid);
	if (!showtext)
		nulls[j++] = true;
	else if (see_all || e->key.userid == me)
		values[j++] = CStringGetTextDatum(text);
	else
		values[j++] = CStringGetTextDatum("<insufficient privilege>");
	values[j++] = CStringGetTextDatum(e->command);
	values[j++] = tables_array(e->tables, e->ntables);
	values[j++] = Int64GetDatum(c->calls);
	values[j++] = Float8GetDatum(c->total_time);
	values[j++] = Float8GetDatum(c->min_time);
	values[j++] = Float8GetDatum(c->max_time);
	values[j++] = Float8GetDatum(c->mean_time);
	values[j++] = Float8GetDatum(c->calls > 1 ? sqrt(c->sum_var_time / c->calls) : 0.0);
	values[j++] = Int64GetDatum(c->rows);
	values[j++] = Int64GetDatum(c->shared_blks_hit + c->shared_blks_read);
	values[j++] = Int64GetDatum(c->shared_blks_hit);
	values[j++] = Int64GetDatum(c->shared_blks_read);
	values[j++] = Int64GetDatum(c->shared_blks_dirtied);
	values[j++] = Int64GetDatum(c->shared_blks_written);
	values[j++] = Int64GetDatum(c->local_blks_hit);
	values[j++] = Int64GetDatum(c->local_blks_read);
	values[j++] = Int64GetDatum(c->local_blks_dirtied);
	values[j++] = Int64GetDatum(c->local_blks_written);
	values[j++] = Int64GetDatum(c->temp_blks_read);
	values[j++] = Int64GetDatum(c->temp_blks_written);
	values[j++] = Float8GetDatum(c->blk_read_time);
	values[j++] = Float8GetDatum(c->blk_write_time);
	values[j++] = Float8GetDatum(c->temp_blk_read_time);
	values[j++] = Float8GetDatum(c->temp_blk_write_time);
	values[j++] = Int64GetDatum(c->wal_records);
	values[j++] = Int64GetDatum(c->wal_fpi);
	snprintf(buf, sizeof(buf), UINT64_FORMAT, c->wal_bytes);
	values[j++] = DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
									  ObjectIdGetDatum(0), Int32GetDatum(-1));
	values[j++] = int64_array(c->hist, PGI_HIST_BUCKETS);
	values[j++] = TimestampTzGetDatum(e->first_seen);
	values[j++] = TimestampTzGetDatum(e->last_seen);
	values[j++] = BoolGetDatum(e->text_truncated);
	values[j++] = Int32GetDatum(e->tagsets);
	values[j++] = Int64GetDatum(c->bytes);
	values[j++] = Int32GetDatum(e->row_width);
	values[j++] = Int32GetDatum(e->ncolumns);
	values[j++] = Int64GetDatum(c->plan_samples);
	if (e->plan_json[0] != '\0')
		values[j] = safe_jsonb(e->plan_json, strnlen(e->plan_json, PGI_PLAN_LEN), &nulls[j]);
	else
		nulls[j] = true;
	j++;
	if (e->plan_sampled_at != 0)
		values[j++] = TimestampTzGetDatum(e->plan_sampled_at);
	else
		nulls[j++] = true;
	put_version_counters(c, values, nulls, &j);
	Assert(j == QUERIES_COLS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
pg_insights_queries(PG_FUNCTION_ARGS)
{
	bool		showtext = PG_GETARG_BOOL(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		see_all;
	Oid			me = GetUserId();
	PgiShapeEntry *copy;
	char	   *texts = NULL;
	Size		stride;
	int			batch,
				next = 0,
				nbatches = 0,
				nrows = 0,
				i;
	uint64		scan_seq = 0;
	MemoryContext rowcxt;

	require_loaded();
	InitMaterializedSRF(fcinfo, 0);
	see_all = can_see_all();
	/* what formatting a row allocates is freed after each row */
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "pg_insights row",
								   ALLOCSET_DEFAULT_SIZES);

	/* a text slot holds max_query_length bytes and the NUL */
	stride = showtext ? (Size) pgi_shared->max_query_length + 1 : 0;
	batch = (int) Max(1, VIEW_BATCH_BYTES / (sizeof(PgiShapeEntry) + stride));
	batch = Min(batch, pgi_shared->max_shapes);
	copy = palloc(sizeof(PgiShapeEntry) * batch);
	if (showtext)
		texts = palloc(stride * batch);

	while (next < pgi_shared->max_shapes)
	{
		int			n = 0;
		int			end = Min(pgi_shared->max_shapes, next + Max(batch, VIEW_SCAN_SLOTS));

		LWLockAcquire(pgi_shared->lock, LW_SHARED);
		if (nbatches == 0)
			scan_seq = pgi_shared->insert_seq;
		for (; next < end && n < batch; next++)
		{
			PgiShapeEntry *e = &pgi_shapes[next];

			if (!e->in_use || e->born > scan_seq)
				continue;
			/* the counters under mutex, the plan (1 kB) under its own lock */
			SpinLockAcquire(&e->mutex);
			memcpy(&copy[n], e, offsetof(PgiShapeEntry, plan_mutex));
			SpinLockRelease(&e->mutex);
			SpinLockAcquire(&e->plan_mutex);
			memcpy(copy[n].plan_json, e->plan_json, PGI_PLAN_LEN);
			copy[n].plan_sampled_at = e->plan_sampled_at;
			SpinLockRelease(&e->plan_mutex);
			if (showtext)
				memcpy(texts + (Size) n * stride, pgi_entry_text(next), copy[n].text_len + 1);
			n++;
		}
		LWLockRelease(pgi_shared->lock);
		nbatches++;

		for (i = 0; i < n; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);

			put_query_row(rsinfo, &copy[i], showtext ? texts + (Size) i * stride : NULL,
						  showtext, see_all, me);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		nrows += n;
	}
	pfree(copy);
	if (texts)
		pfree(texts);
	MemoryContextDelete(rowcxt);
	elog(DEBUG1, "pg_insights: insights.queries copied %d entries in %d batches of at most %d",
		 nrows, nbatches, batch);
	return (Datum) 0;
}

/* ---- attribution ---- */

/* JSON string literal of s into buf (escaping as JSON requires). */
static void
json_string(StringInfo buf, const char *s)
{
	escape_json(buf, db_text(s));
}

static const char *
tag_value(const PgiTagEntry *t, const char *key)
{
	const char *p = t->tagbuf;
	const char *end = t->tagbuf + t->tagbuf_len;

	while (p < end)
	{
		const char *k = p;
		const char *v = k + strlen(k) + 1;

		if (v >= end)
			break;
		if (strcmp(k, key) == 0)
			return v;
		p = v + strlen(v) + 1;
	}
	return NULL;
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	if (s == NULL || *s == '\0')
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = false;
	return CStringGetTextDatum(db_text(s));
}

static void put_attribution_row(ReturnSetInfo *rsinfo, PgiTagEntry *t, bool see_all, Oid me);

Datum
pg_insights_attribution(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		see_all;
	Oid			me = GetUserId();
	PgiTagEntry *copy;
	int			batch,
				next = 0,
				nbatches = 0,
				i;
	uint64		scan_seq = 0;
	MemoryContext rowcxt;

	require_loaded();
	InitMaterializedSRF(fcinfo, 0);
	see_all = can_see_all();
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "pg_insights row",
								   ALLOCSET_DEFAULT_SIZES);

	batch = Min((int) (VIEW_BATCH_BYTES / sizeof(PgiTagEntry)), pgi_shared->max_tagsets);
	copy = palloc(sizeof(PgiTagEntry) * batch);
	while (next < pgi_shared->max_tagsets)
	{
		int			n = 0;
		int			end = Min(pgi_shared->max_tagsets, next + Max(batch, VIEW_SCAN_SLOTS));

		LWLockAcquire(pgi_shared->lock, LW_SHARED);
		if (nbatches++ == 0)
			scan_seq = pgi_shared->insert_seq;
		for (; next < end && n < batch; next++)
		{
			PgiTagEntry *t = &pgi_tags[next];

			if (!t->in_use || t->born > scan_seq)
				continue;
			SpinLockAcquire(&t->mutex);
			copy[n++] = *t;
			SpinLockRelease(&t->mutex);
		}
		LWLockRelease(pgi_shared->lock);
		for (i = 0; i < n; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);

			put_attribution_row(rsinfo, &copy[i], see_all, me);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
	}
	pfree(copy);
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}

/* One row of insights.attribution from a copied tag-set entry. */
static void
put_attribution_row(ReturnSetInfo *rsinfo, PgiTagEntry *t, bool see_all, Oid me)
{
	Datum		values[ATTRIBUTION_COLS];
	bool		nulls[ATTRIBUTION_COLS];
	int			j = 0;
	bool		visible = see_all || t->key.shape.userid == me;
	const char *p,
			   *end;
	const char *pq;
	StringInfoData js;
	PgiPrismaQuery prisma;
	bool		is_prisma = false;

	memset(nulls, 0, sizeof(nulls));
	values[j++] = Int64GetDatum((int64) t->key.shape.shape_id);
	values[j++] = ObjectIdGetDatum(t->key.shape.userid);
	values[j++] = ObjectIdGetDatum(t->key.shape.dbid);
	values[j++] = BoolGetDatum(t->key.shape.toplevel);
	values[j++] = Int64GetDatum((int64) t->key.tagset_id);

	/* tags as a jsonb object */
	initStringInfo(&js);
	appendStringInfoChar(&js, '{');
	p = t->tagbuf;
	end = t->tagbuf + t->tagbuf_len;
	while (visible && p < end)
	{
		const char *k = p;
		const char *v = k + strlen(k) + 1;

		if (v >= end)
			break;
		if (js.len > 1)
			appendStringInfoChar(&js, ',');
		json_string(&js, k);
		appendStringInfoChar(&js, ':');
		json_string(&js, v);
		p = v + strlen(v) + 1;
	}
	appendStringInfoChar(&js, '}');
	if (visible)
		values[j] = safe_jsonb(js.data, js.len, &nulls[j]);
	else
		nulls[j] = true;
	j++;

	/* Prisma's prismaQuery = Model.action:<base64url JSON shape> */
	pq = visible ? tag_value(t, "prismaQuery") : NULL;
	if (pq != NULL)
		is_prisma = pgi_prisma_split(pq, strlen(pq), &prisma) == 1;
	if (is_prisma && prisma.model_len > 0)
		values[j++] = CStringGetTextDatum(db_text(pnstrdup(prisma.model, prisma.model_len)));
	else
		nulls[j++] = true;
	if (is_prisma && prisma.action_len > 0)
		values[j++] = CStringGetTextDatum(db_text(pnstrdup(prisma.action, prisma.action_len)));
	else
		nulls[j++] = true;
	nulls[j] = true;
	if (is_prisma && prisma.shape_b64_len > 0)
	{
		size_t		cap = prisma.shape_b64_len * 3 / 4 + 4;
		unsigned char *json = palloc(cap + 1);
		long		jl = pgi_base64url_decode(prisma.shape_b64, prisma.shape_b64_len,
											  json, cap);

		if (jl > 0)
			values[j] = safe_jsonb((char *) json, (size_t) jl, &nulls[j]);
	}
	j++;
	values[j] = text_or_null(visible ? tag_value(t, "route") : NULL, &nulls[j]);
	j++;
	values[j] = text_or_null(visible ? tag_value(t, "controller") : NULL, &nulls[j]);
	j++;
	values[j] = text_or_null(visible ? tag_value(t, "action") : NULL, &nulls[j]);
	j++;
	values[j] = text_or_null(visible ? tag_value(t, "framework") : NULL, &nulls[j]);
	j++;
	values[j] = text_or_null(visible ? tag_value(t, "application") : NULL, &nulls[j]);
	j++;
	values[j] = text_or_null(visible ? tag_value(t, "db_driver") : NULL, &nulls[j]);
	j++;
	values[j++] = Int64GetDatum(t->calls);
	values[j++] = Float8GetDatum(t->total_time);
	values[j++] = Float8GetDatum(t->calls > 0 ? t->total_time / t->calls : 0.0);
	values[j++] = Int64GetDatum(t->rows);
	values[j++] = Int64GetDatum(t->reads);
	values[j++] = TimestampTzGetDatum(t->first_seen);
	values[j++] = TimestampTzGetDatum(t->last_seen);
	Assert(j == ATTRIBUTION_COLS);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
pg_insights_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[INFO_COLS];
	bool		nulls[INFO_COLS];
	int			j = 0;

	require_loaded();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(nulls, 0, sizeof(nulls));

	LWLockAcquire(pgi_shared->lock, LW_SHARED);
	values[j++] = Int64GetDatum(pgi_shared->max_shapes);
	values[j++] = Int64GetDatum(pgi_shared->nshapes);
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->evictions));
	values[j++] = Int64GetDatum(pgi_shared->max_tagsets);
	values[j++] = Int64GetDatum(pgi_shared->ntagsets);
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->tagsets_dropped));
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->tagset_evictions));
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->texts_truncated));
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->comments_rejected));
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->tags_truncated));
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->shape_cache_misses));
	values[j++] = Int32GetDatum(pgi_shared->max_query_length);
	values[j++] = Int64GetDatum((int64) (pgi_shmem_size() + pgi_events_shmem_size() +
										 pgi_errors_shmem_size() + pgi_waits_shmem_size()));
	values[j++] = Int32GetDatum(pgi_events_size());
	values[j++] = Int64GetDatum((int64) pgi_events_written());
	values[j++] = TimestampTzGetDatum(pgi_shared->stats_reset);
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->exclusive_locks));
	values[j++] = Int64GetDatum((int64) pgi_events_dropped());
	values[j++] = Int64GetDatum((int64) pgi_events_write_dropped());
	values[j++] = Int64GetDatum(pgi_shared->restore_shapes_skipped);
	values[j++] = Int64GetDatum(pgi_shared->restore_tagsets_skipped);
	values[j++] = Int64GetDatum(pgi_shared->restore_texts_clipped);
	values[j++] = Int64GetDatum(pgi_shared->restore_files_rejected);
	values[j++] = Int64GetDatum((int64) pg_atomic_read_u64(&pgi_shared->own_calls));
	values[j++] = Float8GetDatum((double) pg_atomic_read_u64(&pgi_shared->own_time_us) / 1000.0);
	values[j++] = Int64GetDatum((int64) pgi_errors_dropped());
	values[j++] = Int64GetDatum((int64) pgi_waits_rounds());
	values[j++] = Int64GetDatum((int64) pgi_waits_dropped());
	LWLockRelease(pgi_shared->lock);
	Assert(j == INFO_COLS);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

Datum
pg_insights_histogram_bounds(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < PGI_HIST_BUCKETS; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		/* SQL arrays count from 1: bucket i is latency_histogram[i] */
		values[0] = Int32GetDatum(i + 1);
		values[1] = Float8GetDatum(i == 0 ? 0.0 : pgi_hist_bounds[i - 1]);
		if (i < PGI_HIST_BUCKETS - 1)
			values[2] = Float8GetDatum(pgi_hist_bounds[i]);
		else
			nulls[2] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
pg_insights_reset(PG_FUNCTION_ARGS)
{
	require_loaded();
	if (PG_ARGISNULL(0))
	{
		pgi_store_reset(true, 0);
		pgi_errors_reset(true, 0);
		pgi_waits_reset(true, 0);
	}
	else
	{
		pgi_store_reset(false, (uint64) PG_GETARG_INT64(0));
		pgi_errors_reset(false, (uint64) PG_GETARG_INT64(0));
		pgi_waits_reset(false, (uint64) PG_GETARG_INT64(0));
	}
	PG_RETURN_VOID();
}

/*
 * insights.shape_visible(dbid, shape_id): may the current role read the
 * texts of this shape?  The rule of insights.queries: members of
 * pg_read_all_stats see all, other roles the shapes they ran themselves
 * (an entry of theirs in the store, top level or nested).  The
 * insights.findings view hides finding texts with it.
 */
Datum
pg_insights_shape_visible(PG_FUNCTION_ARGS)
{
	PgiShapeKey key;

	if (can_see_all())
		PG_RETURN_BOOL(true);
	/* not preloaded: no store to tell; the findings view still reads */
	if (pgi_shared == NULL)
		PG_RETURN_BOOL(false);
	memset(&key, 0, sizeof(key));	/* the key is hashed with its padding */
	key.userid = GetUserId();
	key.dbid = PG_GETARG_OID(0);
	key.shape_id = (uint64) PG_GETARG_INT64(1);
	key.toplevel = true;
	if (pgi_store_exists(&key))
		PG_RETURN_BOOL(true);
	key.toplevel = false;
	PG_RETURN_BOOL(pgi_store_exists(&key));
}
