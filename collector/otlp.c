/* otlp.c — the interval's deltas as OpenTelemetry metrics, POSTed as OTLP/HTTP JSON (best effort). */
#include "otlp.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "hashmap.h"
#include "ship.h"

#define REPLY_MAX 200			/* bytes of a failed answer kept for the log */
#define BODY_MAX (20 << 20)		/* the request size the OTLP spec recommends staying under */
#define MAX_KINDS 64
#define PREFIX "db.client.pg_insights."
#define SCOPE_NAME "pg_insights_collector"

enum
{
	OX_NEW,						/* nothing sent yet */
	OX_OK,
	OX_PARTIAL,					/* 2xx with rejected data points */
	OX_FAILING
};

struct OtlpExporter
{
	HttpClient *http;
	char	   *url;			/* <--otlp-url>/v1/metrics */
	char	  **user_headers;	/* --otlp-header lines */
	int			nuser_headers;
	int64_t		max_shapes;
	int64_t		compress_threshold;
	int64_t		retry_initial_us;
	int64_t		retry_max_us;
	bool		once;			/* --once: no backoff between the databases */
	bool		insecure;		/* warned about --insecure */
	/* the endpoint's last outcome, logged when it changes */
	int			state;
	long		last_status;	/* 0: transport error, -1: body too big */
	int			attempts;		/* failures in a row */
	int64_t		next_try_mono;
};

/* one shape of the interval, its top-level and nested twins merged */
typedef struct OShape
{
	int64_t		shape_id;
	uint32_t	userid;
	uint32_t	dbid;
	const char *text;
	const char *command;
	int64_t		calls;
	int64_t		rows;
	int64_t		blks_read;
	int64_t		blks_hit;
	double		total_ms;
	int64_t		hist[MAX_HIST];
	char	   *attrs;			/* "attributes":[...] of its data points */
} OShape;

typedef struct MergeKey
{
	int64_t		shape_id;
	uint32_t	userid;
	uint32_t	dbid;
} MergeKey;

/* the sums, one data point per shape */
typedef struct SumMetric
{
	const char *name;
	const char *unit;
	const char *description;
	size_t		offset;			/* of its int64_t in OShape */
} SumMetric;

static const SumMetric calls_metric = {
	PREFIX "calls", "{call}", "Executions of the statement shape in the interval", offsetof(OShape, calls)
};

static const SumMetric other_sums[] = {
	{PREFIX "rows", "{row}", "Rows returned or affected by the statement shape in the interval",
	offsetof(OShape, rows)},
	{PREFIX "shared_blocks_read", "{block}",
		"Shared blocks the statement shape read into shared buffers in the interval",
	offsetof(OShape, blks_read)},
	{PREFIX "shared_blocks_hit", "{block}",
		"Shared blocks the statement shape found in shared buffers in the interval",
	offsetof(OShape, blks_hit)},
};

typedef struct KindCount
{
	const char *kind;
	int64_t		open;
} KindCount;

/* ---- JSON ---- */

/* length of the well-formed UTF-8 sequence at p (RFC 3629), 0 when there is none */
static int
utf8_seq(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo,
				hi;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		lo = c == 0xE0 ? 0xA0 : 0x80;	/* no overlong form */
		hi = c == 0xED ? 0x9F : 0xBF;	/* no surrogate */
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;	/* nothing above U+10FFFF */
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/*
 * s as a JSON string: bytes that are not UTF-8 become U+FFFD, control
 * characters, quote and backslash are escaped, and at most max bytes of
 * the (repaired) text are kept, cut between two characters.
 */
static void
json_str(Sbuf *b, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		used = 0;

	sbuf_putn(b, "\"", 1);
	while (*p)
	{
		int			n = utf8_seq(p);
		size_t		olen = n > 0 ? (size_t) n : 3;

		if (used + olen > max)
			break;
		used += olen;
		if (n == 0)
			sbuf_putn(b, "\xEF\xBF\xBD", 3);
		else if (n > 1)
			sbuf_putn(b, (const char *) p, (size_t) n);
		else if (*p == '"' || *p == '\\')
		{
			sbuf_putn(b, "\\", 1);
			sbuf_putn(b, (const char *) p, 1);
		}
		else if (*p == '\n')
			sbuf_putn(b, "\\n", 2);
		else if (*p == '\r')
			sbuf_putn(b, "\\r", 2);
		else if (*p == '\t')
			sbuf_putn(b, "\\t", 2);
		else if (*p < 0x20 || *p == 0x7f)
			sbuf_printf(b, "\\u%04x", *p);
		else
			sbuf_putn(b, (const char *) p, 1);
		p += n > 0 ? n : 1;
	}
	sbuf_putn(b, "\"", 1);
}

/* a double as JSON: the shortest of %.15g and %.17g that reads back the same; never NaN */
static void
json_double(Sbuf *b, double v)
{
	char		buf[40];

	if (!isfinite(v))
		v = 0;
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	sbuf_printf(b, "%s", buf);
}

static void
attr_str(Sbuf *b, bool *first, const char *key, const char *value, size_t max)
{
	sbuf_printf(b, "%s{\"key\":", *first ? "" : ",");
	json_str(b, key, SIZE_MAX);
	sbuf_printf(b, ",\"value\":{\"stringValue\":");
	json_str(b, value, max);
	sbuf_printf(b, "}}");
	*first = false;
}

/* int64 values are decimal strings in the protobuf JSON mapping */
static void
attr_int(Sbuf *b, bool *first, const char *key, int64_t value)
{
	sbuf_printf(b, "%s{\"key\":", *first ? "" : ",");
	json_str(b, key, SIZE_MAX);
	sbuf_printf(b, ",\"value\":{\"intValue\":\"%lld\"}}", (long long) value);
	*first = false;
}

/* microseconds as the decimal string of nanoseconds */
static void
put_nanos(char *buf, size_t n, int64_t us)
{
	if (us > 0)
		snprintf(buf, n, "%lld000", (long long) us);
	else
		snprintf(buf, n, "0");
}

/* ---- the request ---- */

static int
by_total_time(const void *a, const void *b)
{
	const OShape *x = a,
			   *y = b;

	if (x->total_ms != y->total_ms)
		return x->total_ms > y->total_ms ? -1 : 1;
	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	if (x->shape_id != y->shape_id)
		return x->shape_id < y->shape_id ? -1 : 1;
	return x->userid < y->userid ? -1 : x->userid > y->userid;
}

static void
add_row(OShape *o, const ShapeRow *r, int nhist)
{
	int			i;

	o->calls += r->c[SC_CALLS];
	o->rows += r->c[SC_ROWS];
	o->blks_read += r->c[SC_SHARED_READ];
	o->blks_hit += r->c[SC_SHARED_HIT];
	o->total_ms += r->t[ST_TOTAL];
	for (i = 0; i < nhist; i++)
		o->hist[i] += r->hist[i];
}

static void
add_shape(OShape *o, const OShape *s, int nhist)
{
	int			i;

	o->calls += s->calls;
	o->rows += s->rows;
	o->blks_read += s->blks_read;
	o->blks_hit += s->blks_hit;
	o->total_ms += s->total_ms;
	for (i = 0; i < nhist; i++)
		o->hist[i] += s->hist[i];
}

/* Merge the twins of each (userid, dbid, shape_id); returns how many shapes. */
static int
merge_shapes(const DeltaSet *ds, OShape *out)
{
	HashMap    *idx = hm_create(sizeof(MergeKey), (size_t) ds->nshapes + 1);
	int			n = 0,
				i;

	for (i = 0; i < ds->nshapes; i++)
	{
		const ShapeRow *r = &ds->shapes[i].row;
		MergeKey	k;
		bool		found;
		size_t	   *slot;
		OShape	   *o;

		memset(&k, 0, sizeof(k));
		k.shape_id = r->key.shape_id;
		k.userid = r->key.userid;
		k.dbid = r->key.dbid;
		slot = hm_slot(idx, &k, &found);
		if (!found)
		{
			*slot = (size_t) n;
			out[n].shape_id = r->key.shape_id;
			out[n].userid = r->key.userid;
			out[n].dbid = r->key.dbid;
			n++;
		}
		o = &out[*slot];
		if (o->text == NULL)
			o->text = r->text;
		if (o->command == NULL)
			o->command = r->command;
		add_row(o, r, ds->nhist);
	}
	hm_free(idx);
	return n;
}

static char *
point_attrs(const OShape *s, const OtlpMeta *meta, bool other)
{
	Sbuf		b;
	bool		first = true;
	char		id[32];

	sbuf_init(&b);
	sbuf_printf(&b, "\"attributes\":[");
	attr_str(&b, &first, "db.system", "postgresql", SIZE_MAX);
	attr_str(&b, &first, "db.namespace", meta->id->database, SIZE_MAX);
	if (other)
		attr_str(&b, &first, "pg_insights.shape_id", "other", SIZE_MAX);
	else
	{
		/* the reading has the role's oid, not its name */
		attr_int(&b, &first, "db.user", (int64_t) s->userid);
		snprintf(id, sizeof(id), "%lld", (long long) s->shape_id);
		attr_str(&b, &first, "pg_insights.shape_id", id, SIZE_MAX);
		if (s->command != NULL && s->command[0] != '\0')
			attr_str(&b, &first, "db.operation.name", s->command, SIZE_MAX);
		if (s->text != NULL)
			attr_str(&b, &first, "db.query.text", s->text, OTLP_TEXT_MAX);
	}
	sbuf_printf(&b, "]");
	return sbuf_steal(&b);
}

static void
metric_open(Sbuf *b, bool *first, const char *name, const char *unit, const char *description,
			const char *type)
{
	sbuf_printf(b, "%s{\"name\":", *first ? "" : ",");
	json_str(b, name, SIZE_MAX);
	sbuf_printf(b, ",\"description\":");
	json_str(b, description, SIZE_MAX);
	sbuf_printf(b, ",\"unit\":");
	json_str(b, unit, SIZE_MAX);
	sbuf_printf(b, ",\"%s\":{", type);
	if (strcmp(type, "sum") == 0)
		sbuf_printf(b, "\"aggregationTemporality\":1,\"isMonotonic\":true,");
	else if (strcmp(type, "histogram") == 0)
		sbuf_printf(b, "\"aggregationTemporality\":1,");
	sbuf_printf(b, "\"dataPoints\":[");
	*first = false;
}

static void
metric_close(Sbuf *b)
{
	sbuf_printf(b, "]}}");
}

static void
put_sum(Sbuf *b, bool *first, const SumMetric *m, OShape *const *pts, int npts, const char *times)
{
	int			i;

	metric_open(b, first, m->name, m->unit, m->description, "sum");
	for (i = 0; i < npts; i++)
		sbuf_printf(b, "%s{%s,%s,\"asInt\":\"%lld\"}", i ? "," : "", pts[i]->attrs, times,
					(long long) *(const int64_t *) ((const char *) pts[i] + m->offset));
	metric_close(b);
}

static void
put_histogram(Sbuf *b, bool *first, OShape *const *pts, int npts, const char *times,
			  int nhist, const char *bounds)
{
	int			i,
				j;

	metric_open(b, first, PREFIX "duration", "ms",
				"Execution time of the statement shape in the interval", "histogram");
	for (i = 0; i < npts; i++)
	{
		const OShape *s = pts[i];
		int64_t		in_buckets = 0;

		for (j = 0; j < nhist; j++)
			in_buckets += s->hist[j];
		sbuf_printf(b, "%s{%s,%s,\"count\":\"%lld\",\"sum\":", i ? "," : "", s->attrs, times,
					(long long) s->calls);
		json_double(b, s->total_ms);
		/* buckets only when they count every call (an OTLP histogram may have none) */
		if (bounds != NULL && in_buckets == s->calls)
		{
			sbuf_printf(b, ",\"bucketCounts\":[");
			for (j = 0; j < nhist; j++)
				sbuf_printf(b, "%s\"%lld\"", j ? "," : "", (long long) s->hist[j]);
			sbuf_printf(b, "],\"explicitBounds\":%s", bounds);
		}
		sbuf_printf(b, "}");
	}
	metric_close(b);
}

/* open findings per kind: every detector's kind (0 when none), and any other kind stored */
static int
count_findings(const OtlpMeta *meta, KindCount *kinds)
{
	int			n = 0,
				i,
				j;
	const char *k;

	for (i = 0; (k = detect_kind(i)) != NULL && n < MAX_KINDS; i++)
	{
		kinds[n].kind = k;
		kinds[n++].open = 0;
	}
	for (i = 0; i < meta->nfindings; i++)
	{
		const StoredFinding *f = &meta->findings[i];

		if (f->kind == NULL || f->status == NULL || strcmp(f->status, "open") != 0)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(kinds[j].kind, f->kind) == 0)
				break;
		if (j == n)
		{
			if (n == MAX_KINDS)
				continue;
			kinds[n].kind = f->kind;
			kinds[n++].open = 0;
		}
		kinds[j].open++;
	}
	return n;
}

static void
put_findings(Sbuf *b, bool *first, const OtlpMeta *meta, const KindCount *kinds, int nkinds,
			 const char *time)
{
	int			i;

	metric_open(b, first, PREFIX "findings", "{finding}",
				"Open pg_insights findings (insights.findings) of the database, per kind", "gauge");
	for (i = 0; i < nkinds; i++)
	{
		bool		afirst = true;

		sbuf_printf(b, "%s{\"attributes\":[", i ? "," : "");
		attr_str(b, &afirst, "db.system", "postgresql", SIZE_MAX);
		attr_str(b, &afirst, "db.namespace", meta->id->database, SIZE_MAX);
		attr_str(b, &afirst, "pg_insights.finding.kind", kinds[i].kind, SIZE_MAX);
		sbuf_printf(b, "],\"timeUnixNano\":\"%s\",\"asInt\":\"%lld\"}", time, (long long) kinds[i].open);
	}
	metric_close(b);
}

static void
put_resource(Sbuf *b, const OtlpMeta *meta)
{
	const SourceIdentity *id = meta->id;
	bool		first = true;
	char	   *end;
	long		port;

	sbuf_printf(b, "\"resource\":{\"attributes\":[");
	attr_str(b, &first, "service.name", COLLECTOR_APPLICATION, SIZE_MAX);
	attr_str(b, &first, "service.version", COLLECTOR_VERSION, SIZE_MAX);
	if (meta->instance != NULL && meta->instance[0] != '\0')
		attr_str(b, &first, "service.instance.id", meta->instance, SIZE_MAX);
	if (id->host[0] != '\0')
		attr_str(b, &first, "server.address", id->host, SIZE_MAX);
	port = strtol(id->port, &end, 10);
	if (id->port[0] != '\0' && *end == '\0' && port > 0 && port < 65536)
		attr_int(b, &first, "server.port", port);
	attr_str(b, &first, "postgresql.system_identifier", id->system_identifier, SIZE_MAX);
	if (id->name[0] != '\0')
		attr_str(b, &first, "postgresql.server.name", id->name, SIZE_MAX);
	if (id->role[0] != '\0')
		attr_str(b, &first, "postgresql.server.role", id->role, SIZE_MAX);
	sbuf_printf(b, "]}");
}

char *
otlp_build(const DeltaSet *ds, const OtlpMeta *meta, int64_t max_shapes, size_t *len, int *npoints)
{
	OShape	   *shapes = xcalloc((size_t) ds->nshapes + 1, sizeof(OShape));
	OShape		other;
	OShape	  **pts;
	KindCount	kinds[MAX_KINDS];
	int			nkinds = 0,
				n,
				keep,
				npts = 0,
				i;
	int			nhist = ds->nhist > 0 && ds->nhist <= MAX_HIST ? ds->nhist : 0;
	char		start[32],
				end[32],
				times[128];
	char	   *bounds = NULL;
	Sbuf		b;
	bool		first = true;

	*len = 0;
	*npoints = 0;
	n = merge_shapes(ds, shapes);
	qsort(shapes, (size_t) n, sizeof(OShape), by_total_time);
	keep = (int64_t) n < max_shapes ? n : (int) max_shapes;
	memset(&other, 0, sizeof(other));
	for (i = keep; i < n; i++)
		add_shape(&other, &shapes[i], nhist);
	if (meta->have_findings)
		nkinds = count_findings(meta, kinds);

	pts = xcalloc((size_t) keep + 2, sizeof(OShape *));
	for (i = 0; i < keep; i++)
	{
		shapes[i].attrs = point_attrs(&shapes[i], meta, false);
		pts[npts++] = &shapes[i];
	}
	if (n > keep)
	{
		other.attrs = point_attrs(&other, meta, true);
		pts[npts++] = &other;
	}
	if (npts + nkinds == 0)
	{
		free(pts);
		free(shapes);
		return NULL;
	}

	/* the extension's bucket bounds, read at connect: one fewer than buckets */
	if (nhist > 0 && meta->id->nhist == nhist)
	{
		sbuf_init(&b);
		sbuf_printf(&b, "[");
		for (i = 0; i < nhist - 1; i++)
		{
			if (i)
				sbuf_printf(&b, ",");
			json_double(&b, meta->id->bounds[i]);
		}
		sbuf_printf(&b, "]");
		bounds = sbuf_steal(&b);
	}
	put_nanos(start, sizeof(start), ds->start_us);
	put_nanos(end, sizeof(end), ds->end_us);
	snprintf(times, sizeof(times), "\"startTimeUnixNano\":\"%s\",\"timeUnixNano\":\"%s\"", start, end);

	sbuf_init(&b);
	sbuf_printf(&b, "{\"resourceMetrics\":[{");
	put_resource(&b, meta);
	sbuf_printf(&b, ",\"scopeMetrics\":[{\"scope\":{\"name\":\"" SCOPE_NAME "\",\"version\":\""
				COLLECTOR_VERSION "\"},\"metrics\":[");
	if (npts > 0)
	{
		put_sum(&b, &first, &calls_metric, pts, npts, times);
		put_histogram(&b, &first, pts, npts, times, nhist, bounds);
		for (i = 0; i < (int) (sizeof(other_sums) / sizeof(other_sums[0])); i++)
			put_sum(&b, &first, &other_sums[i], pts, npts, times);
	}
	if (nkinds > 0)
		put_findings(&b, &first, meta, kinds, nkinds, end);
	sbuf_printf(&b, "]}]}]}");

	*npoints = npts * (2 + (int) (sizeof(other_sums) / sizeof(other_sums[0]))) + nkinds;
	*len = b.len;
	for (i = 0; i < npts; i++)
		free(pts[i]->attrs);
	free(pts);
	free(shapes);
	free(bounds);
	return sbuf_steal(&b);
}

/* ---- sending ---- */

/* a gzip stream of in (Content-Encoding: gzip); NULL when zlib fails */
static uint8_t *
gzip_body(const char *in, size_t len, size_t *outlen)
{
	z_stream	zs;
	uint8_t    *out;
	size_t		cap;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&zs, (uLong) len);
	out = xmalloc(cap);
	zs.next_in = (Bytef *) in;
	zs.avail_in = (uInt) len;
	zs.next_out = out;
	zs.avail_out = (uInt) cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
	{
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

void
otlp_configure(OtlpExporter *ox, const Config *cfg)
{
	size_t		n = strlen(cfg->otlp_url);
	const char *suffix = "/v1/metrics";
	int			i;

	while (n > 0 && cfg->otlp_url[n - 1] == '/')
		n--;
	free(ox->url);
	ox->url = xmalloc(n + 16);
	/* a URL that already names the metrics path is used as it is */
	if (n >= strlen(suffix) && strncmp(cfg->otlp_url + n - strlen(suffix), suffix, strlen(suffix)) == 0)
		snprintf(ox->url, n + 16, "%.*s", (int) n, cfg->otlp_url);
	else
		snprintf(ox->url, n + 16, "%.*s%s", (int) n, cfg->otlp_url, suffix);
	for (i = 0; i < ox->nuser_headers; i++)
		free(ox->user_headers[i]);
	free(ox->user_headers);
	ox->nuser_headers = cfg->notlp_headers;
	ox->user_headers = xcalloc((size_t) cfg->notlp_headers + 1, sizeof(char *));
	for (i = 0; i < cfg->notlp_headers; i++)
		ox->user_headers[i] = xstrdup(cfg->otlp_headers[i]);
	ox->max_shapes = cfg->otlp_max_shapes;
	ox->compress_threshold = cfg->compress_threshold;
	ox->retry_initial_us = cfg->retry_initial_us;
	ox->retry_max_us = cfg->retry_max_us;
	ox->once = cfg->once;
	if (cfg->insecure && !ox->insecure && strncmp(ox->url, "https://", 8) == 0)
		log_warning("--insecure: the OTLP endpoint's TLS certificate and host name are NOT verified; "
					"anyone on the path can read the metrics and the --otlp-header values");
	ox->insecure = cfg->insecure;
	http_configure(ox->http, cfg);
}

OtlpExporter *
otlp_create(const Config *cfg)
{
	OtlpExporter *ox = xcalloc(1, sizeof(OtlpExporter));

	ox->http = http_create(cfg);
	if (ox->http == NULL)
	{
		free(ox);
		return NULL;
	}
	otlp_configure(ox, cfg);
	return ox;
}

void
otlp_free(OtlpExporter *ox)
{
	int			i;

	if (ox == NULL)
		return;
	http_free(ox->http);
	free(ox->url);
	for (i = 0; i < ox->nuser_headers; i++)
		free(ox->user_headers[i]);
	free(ox->user_headers);
	free(ox);
}

/* a failed export: logged when the outcome changes, then a backoff before the next one */
static void
export_failed(OtlpExporter *ox, long status, const char *reason)
{
	if (ox->state != OX_FAILING || ox->last_status != status)
		log_warning("OTLP export failed: %s (best effort: this interval's metrics are dropped; "
					"logged again when the outcome changes)", reason);
	else
		log_debug("OTLP export failed: %s", reason);
	ox->state = OX_FAILING;
	ox->last_status = status;
	ox->next_try_mono = mono_us() + backoff_delay_us(ox->attempts++, ox->retry_initial_us,
													 ox->retry_max_us);
}

/* rejectedDataPoints of a partial success (the JSON answer to a 2xx), 0 when none */
static int64_t
rejected_points(const char *reply)
{
	const char *p = strstr(reply, "\"rejectedDataPoints\"");

	if (p == NULL)
		return 0;
	p += strlen("\"rejectedDataPoints\"");
	while (*p == ' ' || *p == ':' || *p == '"')
		p++;
	return strtoll(p, NULL, 10);
}

OtlpResult
otlp_export(OtlpExporter *ox, const DeltaSet *ds, const OtlpMeta *meta)
{
	char	   *body;
	size_t		len,
				zlen = 0;
	uint8_t    *z = NULL;
	int			npoints,
				nh = 0,
				i;
	const char **headers;
	long		status;
	char		reply[REPLY_MAX + 1];
	char		err[512];
	char		reason[1024];
	bool		answered;
	int64_t		rejected;

	if (!ox->once && mono_us() < ox->next_try_mono)
	{
		log_debug("OTLP: database %s: export skipped, backing off after a failure", meta->id->database);
		return OTLP_FAILED;
	}
	body = otlp_build(ds, meta, ox->max_shapes, &len, &npoints);
	if (body == NULL)
	{
		log_debug("OTLP: database %s: no data point in this interval, nothing sent", meta->id->database);
		return OTLP_EMPTY;
	}
	if (len > BODY_MAX)
	{
		snprintf(reason, sizeof(reason), "database %s: %zu bytes of JSON (%d data points), over the "
				 "%d MiB an OTLP request should stay under: lower --otlp-max-shapes",
				 meta->id->database, len, npoints, BODY_MAX >> 20);
		free(body);
		export_failed(ox, -1, reason);
		return OTLP_FAILED;
	}
	if ((int64_t) len > ox->compress_threshold)
		z = gzip_body(body, len, &zlen);
	headers = xcalloc((size_t) ox->nuser_headers + 2, sizeof(char *));
	headers[nh++] = "Content-Type: application/json";
	if (z != NULL)
		headers[nh++] = "Content-Encoding: gzip";
	for (i = 0; i < ox->nuser_headers; i++)
		headers[nh++] = ox->user_headers[i];
	answered = http_post(ox->http, ox->url, headers, nh, z ? (const void *) z : body, z ? zlen : len,
						 &status, reply, sizeof(reply), err, sizeof(err));
	free(headers);
	free(body);
	free(z);
	if (!answered)
	{
		snprintf(reason, sizeof(reason), "%s: %s", ox->url, err);
		export_failed(ox, 0, reason);
		return OTLP_FAILED;
	}
	if (status < 200 || status >= 300)
	{
		snprintf(reason, sizeof(reason), "%s answered HTTP %ld%s%s", ox->url, status,
				 reply[0] ? ": " : "", reply);
		export_failed(ox, status, reason);
		return OTLP_FAILED;
	}
	rejected = rejected_points(reply);
	if (rejected > 0)
	{
		if (ox->state != OX_PARTIAL)
			log_warning("OTLP: %s took the metrics but rejected %lld data points: %s "
						"(logged again when the outcome changes)", ox->url, (long long) rejected, reply);
		ox->state = OX_PARTIAL;
	}
	else
	{
		if (ox->state == OX_NEW)
			log_info("OTLP: %s accepts metrics", ox->url);
		else if (ox->state != OX_OK)
			log_info("OTLP: %s accepts metrics again", ox->url);
		ox->state = OX_OK;
	}
	ox->last_status = status;
	ox->attempts = 0;
	ox->next_try_mono = 0;
	log_debug("OTLP: database %s: %d data points sent (%zu bytes%s)", meta->id->database, npoints,
			  z ? zlen : len, z ? ", gzip" : "");
	return OTLP_SENT;
}
