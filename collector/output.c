/* output.c — a DeltaSet as a protobuf Snapshot (the wire format), its compression, and --output files. */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "pbjson.h"

typedef PgInsights__V1__Server PbServer;
typedef PgInsights__V1__ShapeDelta PbShape;
typedef PgInsights__V1__AttributionDelta PbAttr;
typedef PgInsights__V1__AttributionDelta__TagsEntry PbTag;
typedef PgInsights__V1__ExtensionInfo PbInfo;
typedef PgInsights__V1__CollectorCounters PbCollector;
typedef PgInsights__V1__DiffCounters PbDiff;
typedef PgInsights__V1__WaitDelta PbWait;
typedef PgInsights__V1__ErrorDelta PbError;

/* protobuf-c wants char *, never NULL, for strings */
static char *
str(Arena *a, const char *s)
{
	(void) a;
	return s ? (char *) s : (char *) "";
}

static PbShape *
build_shape(Arena *a, const ShapeDeltaRow *d, int nhist)
{
	static const PbShape init = PG_INSIGHTS__V1__SHAPE_DELTA__INIT;
	PbShape    *s = arena_alloc(a, sizeof(PbShape));
	const ShapeRow *r = &d->row;

	*s = init;
	s->shape_id = r->key.shape_id;
	s->userid = r->key.userid;
	s->dbid = r->key.dbid;
	s->toplevel = r->key.toplevel != 0;
	s->queryid = r->queryid;
	s->text = str(a, r->text);
	s->text_truncated = r->text_truncated;
	s->command = str(a, r->command);
	s->n_tables = (size_t) r->ntables;
	s->tables = r->tables;
	s->calls = r->c[SC_CALLS];
	s->total_time_ms = r->t[ST_TOTAL];
	s->min_time_ms = r->min_time;
	s->max_time_ms = r->max_time;
	s->rows = r->c[SC_ROWS];
	s->reads = r->c[SC_SHARED_HIT] + r->c[SC_SHARED_READ];
	s->shared_blks_hit = r->c[SC_SHARED_HIT];
	s->shared_blks_read = r->c[SC_SHARED_READ];
	s->shared_blks_dirtied = r->c[SC_SHARED_DIRTIED];
	s->shared_blks_written = r->c[SC_SHARED_WRITTEN];
	s->local_blks_hit = r->c[SC_LOCAL_HIT];
	s->local_blks_read = r->c[SC_LOCAL_READ];
	s->temp_blks_read = r->c[SC_TEMP_READ];
	s->temp_blks_written = r->c[SC_TEMP_WRITTEN];
	s->blk_read_time_ms = r->t[ST_BLK_READ];
	s->blk_write_time_ms = r->t[ST_BLK_WRITE];
	s->wal_records = r->c[SC_WAL_RECORDS];
	s->wal_fpi = r->c[SC_WAL_FPI];
	s->wal_bytes = (uint64_t) r->c[SC_WAL_BYTES];
	s->n_histogram = (size_t) nhist;
	s->histogram = (int64_t *) r->hist;
	s->first_seen_us = r->first_seen_us;
	s->last_seen_us = r->last_seen_us;
	s->recreated = d->recreated;
	s->local_blk_read_time_ms = r->t[ST_LOCAL_READ];
	s->local_blk_write_time_ms = r->t[ST_LOCAL_WRITE];
	s->jit_functions = r->c[SC_JIT_FUNCTIONS];
	s->jit_generation_time_ms = r->t[ST_JIT_GENERATION];
	s->jit_inlining_count = r->c[SC_JIT_INLINING];
	s->jit_inlining_time_ms = r->t[ST_JIT_INLINING];
	s->jit_optimization_count = r->c[SC_JIT_OPTIMIZATION];
	s->jit_optimization_time_ms = r->t[ST_JIT_OPTIMIZATION];
	s->jit_emission_count = r->c[SC_JIT_EMISSION];
	s->jit_emission_time_ms = r->t[ST_JIT_EMISSION];
	s->jit_deform_count = r->c[SC_JIT_DEFORM];
	s->jit_deform_time_ms = r->t[ST_JIT_DEFORM];
	s->parallel_workers_to_launch = r->c[SC_WORKERS_PLANNED];
	s->parallel_workers_launched = r->c[SC_WORKERS_LAUNCHED];
	s->wal_buffers_full = r->c[SC_WAL_BUFFERS_FULL];
	s->generic_plan_calls = r->c[SC_GENERIC_PLANS];
	s->custom_plan_calls = r->c[SC_CUSTOM_PLANS];
	return s;
}

static PbAttr *
build_attr(Arena *a, const AttrDeltaRow *d)
{
	static const PbAttr init = PG_INSIGHTS__V1__ATTRIBUTION_DELTA__INIT;
	static const PbTag tinit = PG_INSIGHTS__V1__ATTRIBUTION_DELTA__TAGS_ENTRY__INIT;
	PbAttr	   *p = arena_alloc(a, sizeof(PbAttr));
	const AttrRow *r = &d->row;
	int			i;

	*p = init;
	p->shape_id = r->key.shape_id;
	p->userid = r->key.userid;
	p->dbid = r->key.dbid;
	p->tagset_id = r->key.tagset_id;
	p->n_tags = (size_t) r->ntags;
	p->tags = arena_alloc(a, sizeof(PbTag *) * (size_t) (r->ntags + 1));
	for (i = 0; i < r->ntags; i++)
	{
		PbTag	   *t = arena_alloc(a, sizeof(PbTag));

		*t = tinit;
		t->key = str(a, r->tag_keys[i]);
		t->value = str(a, r->tag_values[i]);
		p->tags[i] = t;
	}
	p->prisma_model = str(a, r->prisma_model);
	p->prisma_action = str(a, r->prisma_action);
	p->prisma_shape_json = str(a, r->prisma_shape);
	p->route = str(a, r->route);
	p->controller = str(a, r->controller);
	p->action = str(a, r->action);
	p->framework = str(a, r->framework);
	p->application = str(a, r->application);
	p->db_driver = str(a, r->db_driver);
	p->calls = r->calls;
	p->total_time_ms = r->total_time;
	p->rows = r->rows;
	p->reads = r->reads;
	p->first_seen_us = r->first_seen_us;
	p->last_seen_us = r->last_seen_us;
	p->recreated = d->recreated;
	return p;
}

static char *
nz(Arena *a, const char *v)
{
	return arena_strdup(a, v ? v : "");
}

static PgInsights__V1__Finding *
build_finding(Arena *a, const StoredFinding *sf)
{
	PgInsights__V1__Finding *f = arena_alloc(a, sizeof(*f));
	char		id[32];
	char	  **tables;
	int			n;

	pg_insights__v1__finding__init(f);
	snprintf(id, sizeof(id), "%lld", (long long) sf->id);
	f->id = arena_strdup(a, id);
	f->kind = nz(a, sf->kind);
	f->shape_id = sf->shape_id;
	f->parent_shape_id = sf->parent_shape_id;
	f->severity = nz(a, sf->severity);
	f->query = nz(a, sf->query);
	f->parent_query = nz(a, sf->parent_query);
	n = sf->tables ? pgarray_parse(a, sf->tables, &tables) : 0;
	if (n > 0)
	{
		f->n_tables = (size_t) n;
		f->tables = tables;
	}
	f->evidence_json = nz(a, sf->evidence);
	f->suggestion = nz(a, sf->suggestion);
	f->fix_sql = nz(a, sf->fix_sql);
	f->expected_impact = nz(a, sf->expected_impact);
	f->prompt = nz(a, sf->prompt);
	f->status = nz(a, sf->status);
	f->first_seen_us = sf->first_seen_us;
	f->last_seen_us = sf->last_seen_us;
	f->occurrences = sf->occurrences;
	f->dbid = sf->dbid;
	f->attribution = nz(a, sf->attribution);
	f->resolved_at_us = sf->resolved_at_us;
	return f;
}

static PbWait *
build_wait(Arena *a, const CountRow *r)
{
	static const PbWait init = PG_INSIGHTS__V1__WAIT_DELTA__INIT;
	PbWait	   *w = arena_alloc(a, sizeof(PbWait));
	const char *colon = strchr(r->key.label, ':');

	*w = init;
	w->shape_id = r->key.shape_id;
	w->userid = r->key.userid;
	w->dbid = r->key.dbid;
	/* the label is "Type:Event", or "CPU" */
	if (colon != NULL)
	{
		size_t		n = (size_t) (colon - r->key.label);

		w->wait_event_type = arena_alloc(a, n + 1);
		memcpy(w->wait_event_type, r->key.label, n);
		w->wait_event_type[n] = '\0';
		w->wait_event = arena_strdup(a, colon + 1);
	}
	else
	{
		w->wait_event_type = arena_strdup(a, r->key.label);
		w->wait_event = arena_strdup(a, "");
	}
	w->samples = r->count;
	w->last_sample_us = r->last_us;
	return w;
}

static PbError *
build_error(Arena *a, const CountRow *r)
{
	static const PbError init = PG_INSIGHTS__V1__ERROR_DELTA__INIT;
	PbError    *e = arena_alloc(a, sizeof(PbError));

	*e = init;
	e->shape_id = r->key.shape_id;
	e->userid = r->key.userid;
	e->dbid = r->key.dbid;
	e->toplevel = r->key.toplevel != 0;
	e->sqlstate = arena_strdup(a, r->key.label);
	e->errors = r->count;
	e->last_error_us = r->last_us;
	return e;
}

uint8_t *
output_build(const DeltaSet *ds, const SourceIdentity *id, const CollectorStats *cs,
			 const SnapshotMeta *meta, size_t *len, char *snap_id, size_t idlen)
{
	static const PbSnapshot sinit = PG_INSIGHTS__V1__SNAPSHOT__INIT;
	static const PbServer vinit = PG_INSIGHTS__V1__SERVER__INIT;
	static const PbInfo iinit = PG_INSIGHTS__V1__EXTENSION_INFO__INIT;
	static const PbCollector cinit = PG_INSIGHTS__V1__COLLECTOR_COUNTERS__INIT;
	static const PbDiff dinit = PG_INSIGHTS__V1__DIFF_COUNTERS__INIT;
	Arena	   *a = arena_create();
	PbSnapshot	s = sinit;
	PbServer	server = vinit;
	PbInfo		info = iinit;
	PbCollector coll = cinit;
	PbDiff		diff = dinit;
	char		rnd[17];
	char	   *sid;
	uint8_t    *buf;
	int			i;

	random_hex(rnd, 8);
	sid = arena_alloc(a, 512);
	snprintf(sid, 512, "%s-%s-%lld-%s", id->system_identifier, id->database,
			 (long long) ds->end_us, rnd);
	snprintf(snap_id, idlen, "%s", sid);

	server.system_identifier = (char *) id->system_identifier;
	server.version = (char *) id->version;
	server.version_num = (uint32_t) id->version_num;
	server.database = (char *) id->database;
	server.dbid = id->dbid;
	server.host = (char *) id->host;
	server.postmaster_start_us = id->postmaster_start_us;
	server.stats_reset_us = ds->info.stats_reset_us;
	server.extension_version = (char *) id->extension_version;
	server.name = (char *) id->name;
	server.instance = (char *) id->instance;
	server.role = (char *) id->role;

	info.max_shapes = ds->info.max_shapes;
	info.shapes = ds->info.shapes;
	info.evictions = ds->info.evictions;
	info.max_tagsets = ds->info.max_tagsets;
	info.tagsets = ds->info.tagsets;
	info.tagsets_dropped = ds->info.tagsets_dropped;
	info.tagset_evictions = ds->info.tagset_evictions;
	info.texts_truncated = ds->info.texts_truncated;
	info.comments_rejected = ds->info.comments_rejected;
	info.tags_truncated = ds->info.tags_truncated;
	info.shape_cache_misses = ds->info.shape_cache_misses;
	info.max_query_length = ds->info.max_query_length;
	info.shmem_bytes = ds->info.shmem_bytes;
	info.stats_reset_us = ds->info.stats_reset_us;
	info.event_ring_size = ds->info.event_ring_size;
	info.events_written = ds->info.events_written;
	info.events_dropped = ds->info.events_dropped;
	info.events_write_dropped = ds->info.events_write_dropped;
	info.wait_sample_rounds = ds->info.wait_sample_rounds;
	info.waits_dropped = ds->info.waits_dropped;
	info.errors_dropped = ds->info.errors_dropped;
	info.wait_sample_interval_ms = ds->info.wait_sample_interval_ms;

	coll.polls = cs->polls;
	coll.poll_failures = cs->poll_failures;
	coll.spool_bytes = cs->spool_bytes;
	coll.spool_files = cs->spool_files;
	coll.snapshots_dropped = cs->snapshots_dropped;
	coll.snapshots_sent = cs->snapshots_sent;
	coll.snapshots_rejected = cs->snapshots_rejected;
	coll.send_failures = cs->send_failures;
	coll.spool_write_failures = cs->spool_write_failures;
	coll.otlp_exports_sent = cs->otlp_exports_sent;
	coll.otlp_exports_failed = cs->otlp_exports_failed;
	coll.started_us = cs->started_us;

	diff.untagged_calls = ds->counters.untagged_calls;
	diff.tagsets_dropped = ds->counters.tagsets_dropped;
	diff.attribution_orphans = ds->counters.attribution_orphans;
	diff.entries_recreated = ds->counters.entries_recreated;
	diff.entries_disappeared = ds->counters.entries_disappeared;
	diff.own_calls_filtered = ds->counters.own_calls_filtered;
	diff.evictions = ds->counters.evictions;

	s.schema_version = SCHEMA_VERSION;
	s.snapshot_id = sid;
	s.sequence = meta->sequence;
	s.events_lost = meta->events_lost;
	s.collector_instance = (char *) meta->instance;
	s.collector_version = (char *) COLLECTOR_VERSION;
	s.server = &server;
	s.interval_start_us = ds->start_us;
	s.interval_end_us = ds->end_us;
	s.since_reset = ds->since_reset;
	s.stats_reset_seen = ds->stats_reset_seen;
	s.server_restarted = ds->server_restarted;
	s.info = &info;
	s.collector = &coll;
	s.diff = &diff;
	s.n_histogram_bounds_ms = id->nhist > 0 ? (size_t) id->nhist - 1 : 0;
	s.histogram_bounds_ms = (double *) id->bounds;
	s.n_shapes = (size_t) ds->nshapes;
	s.shapes = arena_alloc(a, sizeof(PbShape *) * (size_t) (ds->nshapes + 1));
	for (i = 0; i < ds->nshapes; i++)
		s.shapes[i] = build_shape(a, &ds->shapes[i], ds->nhist);
	s.n_attributions = (size_t) ds->nattrs;
	s.attributions = arena_alloc(a, sizeof(PbAttr *) * (size_t) (ds->nattrs + 1));
	for (i = 0; i < ds->nattrs; i++)
		s.attributions[i] = build_attr(a, &ds->attrs[i]);

	s.n_waits = (size_t) ds->nwaits;
	s.waits = arena_alloc(a, sizeof(PbWait *) * (size_t) (ds->nwaits + 1));
	for (i = 0; i < ds->nwaits; i++)
		s.waits[i] = build_wait(a, &ds->waits[i]);
	s.n_errors = (size_t) ds->nerrors;
	s.errors = arena_alloc(a, sizeof(PbError *) * (size_t) (ds->nerrors + 1));
	for (i = 0; i < ds->nerrors; i++)
		s.errors[i] = build_error(a, &ds->errors[i]);

	s.n_findings = (size_t) meta->nfindings;
	s.findings = arena_alloc(a, sizeof(PgInsights__V1__Finding *) * (size_t) (meta->nfindings + 1));
	for (i = 0; i < meta->nfindings; i++)
		s.findings[i] = build_finding(a, &meta->findings[i]);

	*len = pg_insights__v1__snapshot__get_packed_size(&s);
	buf = xmalloc(*len);
	pg_insights__v1__snapshot__pack(&s, buf);
	arena_free(a);
	return buf;
}

uint8_t *
body_compress(const uint8_t *in, size_t len, size_t *outlen)
{
	uLongf		cap = compressBound((uLong) len);
	uint8_t    *out = xmalloc(cap);

	if (compress2(out, &cap, in, (uLong) len, Z_BEST_SPEED) != Z_OK)
	{
		free(out);
		return NULL;
	}
	*outlen = cap;
	return out;
}

uint8_t *
body_decompress(const uint8_t *in, size_t len, size_t *outlen, size_t limit)
{
	z_stream	zs;
	size_t		cap = len * 4 + 1024 < limit ? len * 4 + 1024 : limit;	/* never more than limit */
	uint8_t    *out = xmalloc(cap);
	int			rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
	{
		free(out);
		return NULL;
	}
	zs.next_in = (Bytef *) in;
	zs.avail_in = (uInt) len;
	for (;;)
	{
		zs.next_out = out + zs.total_out;
		zs.avail_out = (uInt) (cap - zs.total_out);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK || (zs.avail_in == 0 && zs.avail_out != 0))
			goto bad;
		if (zs.avail_out == 0)
		{
			if (cap >= limit)
				goto bad;
			cap = cap * 2 > limit ? limit : cap * 2;
			out = xrealloc(out, cap);
		}
	}
	*outlen = zs.total_out;
	inflateEnd(&zs);
	return out;
bad:
	inflateEnd(&zs);
	free(out);
	return NULL;
}

PbSnapshot *
snapshot_decode(const uint8_t *body, size_t len, bool compressed)
{
	PbSnapshot *s;

	if (compressed)
	{
		size_t		plen;
		uint8_t    *plain = body_decompress(body, len, &plen, (size_t) 1 << 30);

		if (plain == NULL)
			return NULL;
		s = pg_insights__v1__snapshot__unpack(NULL, plen, plain);
		free(plain);
		return s;
	}
	return pg_insights__v1__snapshot__unpack(NULL, len, body);
}

void
snapshot_free(PbSnapshot *s)
{
	if (s != NULL)
		pg_insights__v1__snapshot__free_unpacked(s, NULL);
}

bool
output_write(const char *path, OutputFormat format, const uint8_t *pb, size_t len,
			 char *err, size_t errlen)
{
	bool		to_stdout = strcmp(path, "-") == 0;
	FILE	   *f = to_stdout ? stdout : fopen(path, "wb");
	bool		ok = true;

	if (f == NULL)
	{
		snprintf(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (format == FORMAT_JSON)
	{
		PbSnapshot *s = snapshot_decode(pb, len, false);

		if (s == NULL)
			ok = false;
		else
		{
			pb_print_json(f, &s->base, true);
			snapshot_free(s);
		}
	}
	else
		ok = fwrite(pb, 1, len, f) == len;
	if (fflush(f) != 0)
		ok = false;
	if (!to_stdout && fclose(f) != 0)
		ok = false;
	if (!ok)
		snprintf(err, errlen, "cannot write \"%s\": %s", path, strerror(errno));
	return ok;
}
