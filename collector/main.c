/* main.c — pg_insights_collector: options, signals, and the poll → diff → snapshot → spool → ship loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "config.h"
#include "detect/detect.h"
#include "input.h"
#include "otlp.h"
#include "output.h"
#include "ship.h"
#include "spool.h"
#include "state.h"
#include "util.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* set by the signal handlers, read by the loop (signals are blocked outside the wait) */
static volatile sig_atomic_t got_term;
static volatile sig_atomic_t got_hup;

typedef enum TargetState
{
	TARGET_NEW,
	TARGET_UP,
	TARGET_DOWN,				/* unreachable or unusable: reconnecting with backoff */
	TARGET_FAILING				/* connected, but polls fail */
} TargetState;

typedef struct Target
{
	Source	   *src;
	State	   *state;
	uint64_t	sequence;
	TargetState tstate;
	char		last_error[1024];
	int			attempts;		/* failed connects in a row */
	int64_t		next_try_mono;
	DetectState *detect;		/* events read so far, interval deltas, resolution counts */
	char		sysid[32];		/* system identifier of the server last read */
	bool		from_zero;		/* next reading: deltas from the server's zero, not a baseline */
} Target;

typedef struct Collector
{
	Config		cfg;
	int			argc;
	char	  **argv;
	Target	   *targets;
	int			ntargets;
	Spool	   *spool;			/* NULL without --dashboard-url */
	Shipper    *shipper;
	OtlpExporter *otlp;			/* NULL without --otlp-url */
	bool		http_ready;		/* libcurl initialized */
	CollectorStats stats;
	char		instance[17];
	/* shipping state */
	int			ship_attempts;
	int64_t		ship_next_mono;
	int			ship_state;		/* 0 ok, 1 retrying, 2 rejecting */
	long		ship_last_status;
	int			ship_backlog_logged;
	bool		spool_failing;	/* the last spool write failed */
} Collector;

static void
on_term(int sig)
{
	(void) sig;
	got_term = 1;
}

static void
on_hup(int sig)
{
	(void) sig;
	got_hup = 1;
}

static void
setup_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t	block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGHUP);
}

/* log a target's trouble only when it changes, not once per poll */
static void
target_trouble(Target *t, TargetState st, LogLevel level, const char *err)
{
	if (t->tstate != st)
		log_msg(level, "database %s: %s%s", source_name(t->src), err,
				st == TARGET_DOWN ? " (retrying with backoff)" : "");
	else if (strcmp(t->last_error, err) != 0)
		log_debug("database %s: %s", source_name(t->src), err);
	t->tstate = st;
	snprintf(t->last_error, sizeof(t->last_error), "%s", err);
}

static void
target_up(Target *t)
{
	const SourceIdentity *id = source_identity(t->src);

	if (t->tstate != TARGET_UP)
		log_info("database %s: %s (PostgreSQL %s, system identifier %s, pg_insights %s)",
				 source_name(t->src), t->tstate == TARGET_NEW ? "connected" : "connected again",
				 id->version, id->system_identifier, id->extension_version);
	t->tstate = TARGET_UP;
	t->last_error[0] = '\0';
	t->attempts = 0;
}

/*
 * After a (re)connect: the same conninfo may now reach another server (a
 * failover to a standby, a restored or re-initialized cluster).  Its counters
 * have nothing to do with the previous server's: forget the previous reading,
 * texts and detection cursor, and count its statements from its own zero.
 */
static void
check_identity(Target *t, const Config *cfg)
{
	const SourceIdentity *id = source_identity(t->src);

	if (id == NULL)
		return;
	if (t->sysid[0] != '\0' && strcmp(t->sysid, id->system_identifier) != 0)
	{
		log_warning("database %s: the system identifier changed from %s to %s: a different server "
					"(failover, restore or new cluster); its counters are counted from zero",
					source_name(t->src), t->sysid, id->system_identifier);
		state_free(t->state);
		t->state = state_create((int) cfg->history);
		detect_state_free(t->detect);
		t->detect = detect_state_create();
		t->from_zero = true;
	}
	snprintf(t->sysid, sizeof(t->sysid), "%s", id->system_identifier);
}

/* ---- shipping ---- */

static void
update_spool_stats(Collector *c)
{
	c->stats.spool_bytes = c->spool ? spool_bytes(c->spool) : 0;
	c->stats.spool_files = c->spool ? spool_count(c->spool) : 0;
}

static void
ship_trouble(Collector *c, int state, long status, LogLevel level, const char *reason)
{
	if (c->ship_state != state || c->ship_last_status != status)
		log_msg(level, "%s", reason);
	else
		log_debug("%s", reason);
	c->ship_state = state;
	c->ship_last_status = status;
}

/* Send the spool oldest first until it is empty or the dashboard fails. */
static void
drain(Collector *c)
{
	int			sent = 0;

	if (c->shipper == NULL || mono_us() < c->ship_next_mono)
		return;
	while (spool_count(c->spool) > 0 && !got_term)
	{
		uint8_t    *body;
		size_t		len;
		bool		compressed,
					trusted;
		char		name[4096];
		char		reason[1024];
		long		status;
		ShipResult	r;

		if (!spool_peek(c->spool, &body, &len, &compressed, &trusted, name, sizeof(name)))
			continue;
		if (!trusted)
		{
			PbSnapshot *s = snapshot_decode(body, len, compressed);

			if (s == NULL)
			{
				log_warning("spool file \"%s\" does not decode as a snapshot: moved to rejected/, not sent", name);
				free(body);
				spool_reject(c->spool);
				continue;
			}
			snapshot_free(s);
		}
		r = ship_send(c->shipper, body, len, compressed, &status, reason, sizeof(reason));
		free(body);
		if (r == SHIP_OK)
		{
			spool_pop(c->spool);
			c->stats.snapshots_sent++;
			sent++;
			if (c->ship_state != 0)
				log_info("dashboard accepts snapshots again");
			c->ship_state = 0;
			c->ship_last_status = 0;
			c->ship_attempts = 0;
			continue;
		}
		if (r == SHIP_REJECTED)
		{
			c->stats.snapshots_rejected++;
			ship_trouble(c, 2, status, LOG_ERROR, reason);
			if (spool_on_disk(c->spool))
				log_msg(c->ship_state == 2 && c->stats.snapshots_rejected > 1 ? LOG_DEBUG : LOG_ERROR,
						"snapshot rejected, not retried; kept in %s/rejected/", c->cfg.spool_dir);
			spool_reject(c->spool);
			continue;
		}
		c->stats.send_failures++;
		ship_trouble(c, 1, status, LOG_WARNING, reason);
		c->ship_next_mono = mono_us() + backoff_delay_us(c->ship_attempts++, c->cfg.retry_initial_us,
														 c->cfg.retry_max_us);
		break;
	}
	if (sent > 1)
		log_info("sent %d snapshots from the spool", sent);
	update_spool_stats(c);
}

/* A new snapshot: compress when big, append to the spool (dropping the oldest when full). */
static bool
enqueue(Collector *c, const uint8_t *pb, size_t len)
{
	uint8_t    *z = NULL;
	size_t		zlen = 0;
	int			dropped;
	int64_t		failures = spool_write_failures(c->spool);
	char		err[512];

	err[0] = '\0';
	if ((int64_t) len > c->cfg.compress_threshold)
		z = body_compress(pb, len, &zlen);
	dropped = spool_push(c->spool, z ? z : pb, z ? zlen : len, z != NULL, err, sizeof(err));
	free(z);
	c->stats.spool_write_failures = spool_write_failures(c->spool);
	if (c->stats.spool_write_failures > failures)
	{
		if (!c->spool_failing)
			log_error("spool: %s; keeping snapshots in memory until the spool directory takes writes "
					  "again (lost if the collector stops first; counted as spool_write_failures)", err);
		else
			log_debug("spool: %s (%lld write failures so far)", err,
					  (long long) c->stats.spool_write_failures);
		c->spool_failing = true;
	}
	else if (c->spool_failing && dropped >= 0)
	{
		log_info("spool: the spool directory takes writes again (%lld snapshots could not be written)",
				 (long long) c->stats.spool_write_failures);
		c->spool_failing = false;
	}
	if (dropped > 0)
	{
		c->stats.snapshots_dropped += dropped;
		log_warning("spool full (%lld bytes max): dropped the %d oldest snapshot%s (%lld dropped so far)",
					(long long) c->cfg.spool_max_bytes, dropped, dropped > 1 ? "s" : "",
					(long long) c->stats.snapshots_dropped);
	}
	update_spool_stats(c);
	return true;
}

/* ---- OTLP metrics (best effort: the snapshot is spooled first, a failure only counts) ---- */

static void
export_metrics(Collector *c, Target *t, const DeltaSet *ds, bool detected,
			   const StoredFinding *findings, int nfindings)
{
	OtlpMeta	meta;

	meta.id = source_identity(t->src);
	meta.instance = c->instance;
	meta.have_findings = detected;
	meta.findings = findings;
	meta.nfindings = nfindings;
	switch (otlp_export(c->otlp, ds, &meta))
	{
		case OTLP_SENT:
			c->stats.otlp_exports_sent++;
			break;
		case OTLP_FAILED:
			c->stats.otlp_exports_failed++;
			break;
		case OTLP_EMPTY:
			break;
	}
}

/* ---- polling ---- */

/* One poll of one database; returns false when it failed. */
static bool
poll_target(Collector *c, Target *t, bool once)
{
	char		err[1024];
	InputStatus st;
	Reading    *r = NULL;
	const DeltaSet *ds;
	uint8_t    *pb;
	size_t		len;
	char		sid[512];
	SnapshotMeta meta;
	StoredFinding *findings = NULL;
	int			nfindings = 0;
	bool		detected = false;
	bool		ok = true;
	int64_t		events_lost = 0;

	if (!source_connected(t->src))
	{
		if (mono_us() < t->next_try_mono)
			return false;
		st = source_connect(t->src, err, sizeof(err));
		if (st != INPUT_OK)
		{
			c->stats.poll_failures++;
			target_trouble(t, TARGET_DOWN, st == INPUT_UNUSABLE ? LOG_ERROR : LOG_WARNING, err);
			t->next_try_mono = mono_us() + backoff_delay_us(t->attempts++, c->cfg.retry_initial_us,
															c->cfg.retry_max_us);
			return false;
		}
		check_identity(t, &c->cfg);
	}
	c->stats.polls++;
	st = source_read(t->src, t->state->texts, t->state->prev, &r, err, sizeof(err));
	if (st != INPUT_OK)
	{
		c->stats.poll_failures++;
		if (st == INPUT_UNREACHABLE)
		{
			target_trouble(t, TARGET_DOWN, LOG_WARNING, err);
			t->next_try_mono = mono_us() + backoff_delay_us(t->attempts++, c->cfg.retry_initial_us,
															c->cfg.retry_max_us);
		}
		else
			target_trouble(t, TARGET_FAILING, LOG_ERROR, err);
		return false;
	}
	target_up(t);
	ds = state_advance(t->state, r, once || t->from_zero);
	t->from_zero = false;
	if (ds != NULL && ds->server_restarted)
		detect_state_restart(t->detect);

	/* detection writes findings to insights.findings; they travel in the snapshot too */
	if (!c->cfg.no_detect)
	{
		int64_t		lost0 = detect_events_lost(t->detect);

		detected = detect_run(source_conn(t->src), t->detect, &c->cfg.detect, &findings, &nfindings);
		if (!detected)
			log_warning("database %s: detection failed this poll (see above); findings not updated",
						source_name(t->src));
		events_lost = detect_events_lost(t->detect) - lost0;
		if (events_lost > 0)
			log_warning("database %s: not keeping up with the event ring: %lld events lost since the "
						"previous poll (ring of %d; poll more often or raise pg_insights.event_ring_size)",
						source_name(t->src), (long long) events_lost, r->info.event_ring_size);
	}
	if (ds == NULL)
	{
		log_debug("database %s: baseline reading of %d shapes taken", source_name(t->src), r->nshapes);
		detect_findings_free(findings, nfindings);
		return true;
	}
	if (ds->stats_reset_seen)
		log_info("database %s: insights.reset() or a restart with an empty store seen; deltas counted from zero",
				 source_name(t->src));
	if (ds->server_restarted)
		log_info("database %s: the server restarted since the previous poll", source_name(t->src));
	meta.sequence = ++t->sequence;
	meta.instance = c->instance;
	meta.findings = findings;
	meta.nfindings = nfindings;
	meta.events_lost = (uint64_t) events_lost;
	pb = output_build(ds, source_identity(t->src), &c->stats, &meta, &len, sid, sizeof(sid));
	log_debug("database %s: snapshot %s: %d shapes, %d attributions, %zu bytes",
			  source_name(t->src), sid, ds->nshapes, ds->nattrs, len);
	if (c->cfg.output[0] != '\0' &&
		!output_write(c->cfg.output, c->cfg.format, pb, len, err, sizeof(err)))
	{
		log_error("%s", err);
		ok = false;
	}
	else if (c->spool != NULL && !enqueue(c, pb, len))
		ok = false;
	free(pb);
	if (c->otlp != NULL)
		export_metrics(c, t, ds, detected, findings, nfindings);
	detect_findings_free(findings, nfindings);
	return ok;
}

static void
reload(Collector *c)
{
	Config		nc;
	char		err[1024];
	int			i;
	bool		same_dbs;

	if (config_load(c->argc, c->argv, &nc, err, sizeof(err)) != CONFIG_OK)
	{
		log_error("SIGHUP: configuration not reloaded, keeping the previous one: %s", err);
		config_free(&nc);
		return;
	}
	same_dbs = nc.ndbnames == c->cfg.ndbnames;
	for (i = 0; same_dbs && i < nc.ndbnames; i++)
		same_dbs = strcmp(nc.dbnames[i], c->cfg.dbnames[i]) == 0;
	if (!same_dbs)
		log_warning("SIGHUP: a change of --dbname needs a restart; still polling the previous databases");
	if (strcmp(nc.spool_dir, c->cfg.spool_dir) != 0)
		log_warning("SIGHUP: a change of --spool-dir needs a restart");
	if ((nc.dashboard_url[0] == '\0') != (c->cfg.dashboard_url[0] == '\0'))
		log_warning("SIGHUP: adding or removing --dashboard-url needs a restart");
	log_set_level(nc.log_level);
	if (c->shipper != NULL && nc.dashboard_url[0] != '\0')
		ship_configure(c->shipper, &nc);
	if (c->spool != NULL)
		spool_set_max(c->spool, nc.spool_max_bytes);
	/* the OTLP export can be added, changed or removed without a restart */
	if (nc.otlp_url[0] != '\0' && c->otlp != NULL)
		otlp_configure(c->otlp, &nc);
	else if (nc.otlp_url[0] != '\0')
	{
		if (!c->http_ready)
			c->http_ready = ship_global_init(err, sizeof(err));
		if (c->http_ready && (c->otlp = otlp_create(&nc)) != NULL)
			log_info("SIGHUP: OTLP metrics export to %s started", nc.otlp_url);
		else
			log_error("SIGHUP: cannot initialize HTTP for the OTLP export");
	}
	else if (c->otlp != NULL)
	{
		otlp_free(c->otlp);
		c->otlp = NULL;
		log_info("SIGHUP: OTLP metrics export stopped");
	}
	for (i = 0; i < c->ntargets; i++)
		source_set_timeouts(c->targets[i].src, &nc);
	/* keep what cannot change without a restart */
	{
		char	  **dbs = nc.dbnames;
		int			ndbs = nc.ndbnames;
		char	   *spool_dir = nc.spool_dir;
		char	   *url = nc.dashboard_url;

		nc.dbnames = c->cfg.dbnames;
		nc.ndbnames = c->cfg.ndbnames;
		nc.spool_dir = c->cfg.spool_dir;
		c->cfg.dbnames = dbs;
		c->cfg.ndbnames = ndbs;
		c->cfg.spool_dir = spool_dir;
		if ((url[0] == '\0') != (c->cfg.dashboard_url[0] == '\0'))
		{
			nc.dashboard_url = c->cfg.dashboard_url;
			c->cfg.dashboard_url = url;
		}
	}
	config_free(&c->cfg);
	c->cfg = nc;
	log_info("SIGHUP: configuration reloaded (interval %lldms, log level %s)",
			 (long long) (c->cfg.interval_us / 1000), log_level_name(c->cfg.log_level));
}

static void
wait_until(int64_t deadline_mono, const sigset_t *wait_mask)
{
	int64_t		d = deadline_mono - mono_us();
	struct timespec ts;

	if (d <= 0 || got_term || got_hup)
		return;
	ts.tv_sec = (time_t) (d / 1000000);
	ts.tv_nsec = (long) (d % 1000000) * 1000;
	/* signals are blocked except inside pselect: no wake-up is lost */
	(void) pselect(0, NULL, NULL, NULL, &ts, wait_mask);
}

static int
run_once(Collector *c)
{
	int			i;
	bool		ok = true;

	for (i = 0; i < c->ntargets; i++)
	{
		Target	   *t = &c->targets[i];

		if (!poll_target(c, t, true))
		{
			if (t->last_error[0] == '\0')
				log_error("database %s: poll failed", source_name(t->src));
			ok = false;
		}
	}
	if (c->spool != NULL)
	{
		drain(c);
		if (spool_count(c->spool) > 0)
		{
			log_error("%d snapshot%s not delivered%s", spool_count(c->spool),
					  spool_count(c->spool) > 1 ? "s" : "",
					  spool_on_disk(c->spool) ? "; kept in the spool for the next run" : "");
			ok = false;
		}
		if (c->stats.snapshots_rejected > 0)
			ok = false;
	}
	if (c->otlp != NULL && c->stats.otlp_exports_failed > 0)
	{
		log_error("%lld OTLP export%s not delivered", (long long) c->stats.otlp_exports_failed,
				  c->stats.otlp_exports_failed > 1 ? "s" : "");
		ok = false;
	}
	return ok ? 0 : EXIT_RUNTIME;
}

static int
run_daemon(Collector *c, const sigset_t *wait_mask)
{
	int64_t		next_poll = mono_us();
	int			i;

	log_info("pg_insights_collector %s started: %d database%s, interval %lldms, %s%s%s%s%s",
			 COLLECTOR_VERSION, c->ntargets, c->ntargets > 1 ? "s" : "",
			 (long long) (c->cfg.interval_us / 1000),
			 c->cfg.dashboard_url[0] ? "shipping to " : "no dashboard",
			 c->cfg.dashboard_url, c->otlp ? ", OTLP metrics to " : "",
			 c->otlp ? c->cfg.otlp_url : "",
			 c->cfg.no_detect ? ", detection off" : ", findings written to insights.findings_data");
	while (!got_term)
	{
		int64_t		now = mono_us();
		int64_t		deadline;

		if (got_hup)
		{
			got_hup = 0;
			reload(c);
		}
		if (now >= next_poll)
		{
			for (i = 0; i < c->ntargets && !got_term; i++)
				(void) poll_target(c, &c->targets[i], false);
			next_poll += c->cfg.interval_us;
			if (next_poll <= mono_us())
				next_poll = mono_us() + c->cfg.interval_us;
		}
		if (c->spool != NULL)
			drain(c);
		deadline = next_poll;
		if (c->spool != NULL && spool_count(c->spool) > 0 && c->ship_next_mono < deadline)
			deadline = c->ship_next_mono;
		wait_until(deadline, wait_mask);
	}
	if (c->spool != NULL && spool_count(c->spool) > 0)
	{
		if (spool_on_disk(c->spool))
			log_info("stopping: %d snapshot%s kept in the spool \"%s\" for the next start",
					 spool_count(c->spool), spool_count(c->spool) > 1 ? "s" : "", c->cfg.spool_dir);
		else
			log_warning("stopping: %d unsent snapshot%s lost (no --spool-dir)",
						spool_count(c->spool), spool_count(c->spool) > 1 ? "s" : "");
	}
	log_info("pg_insights_collector stopped");
	return 0;
}

static int
startup(Collector *c)
{
	char		err[1024];
	int			i;

	if (c->cfg.dashboard_url[0] != '\0' || c->cfg.otlp_url[0] != '\0')
	{
		if (!ship_global_init(err, sizeof(err)))
		{
			log_error("cannot initialize HTTP: %s", err);
			return EXIT_RUNTIME;
		}
		c->http_ready = true;
	}
	if (c->cfg.otlp_url[0] != '\0' && (c->otlp = otlp_create(&c->cfg)) == NULL)
	{
		log_error("cannot initialize HTTP for the OTLP export");
		return EXIT_RUNTIME;
	}
	if (c->cfg.dashboard_url[0] != '\0')
	{
		if ((c->shipper = ship_create(&c->cfg)) == NULL)
		{
			log_error("cannot initialize HTTP: cannot create a libcurl handle");
			return EXIT_RUNTIME;
		}
		c->spool = spool_open(c->cfg.spool_dir, c->cfg.spool_max_bytes, err, sizeof(err));
		if (c->spool == NULL)
		{
			log_error("%s", err);
			return EXIT_USAGE;
		}
		update_spool_stats(c);
	}
	c->ntargets = c->cfg.ndbnames;
	c->targets = xcalloc((size_t) c->ntargets, sizeof(Target));
	for (i = 0; i < c->ntargets; i++)
	{
		Target	   *t = &c->targets[i];
		InputStatus st;

		t->src = source_create(c->cfg.dbnames[i], &c->cfg);
		t->state = state_create((int) c->cfg.history);
		t->detect = detect_state_create();
		t->tstate = TARGET_NEW;
		/* a database that answers but cannot be used is a configuration error: stop now */
		st = source_connect(t->src, err, sizeof(err));
		if (st == INPUT_UNUSABLE || (st != INPUT_OK && c->cfg.once))
		{
			log_error("database %s: %s", source_name(t->src), err);
			return EXIT_RUNTIME;
		}
		if (st == INPUT_OK)
			check_identity(t, &c->cfg);
		else
		{
			target_trouble(t, TARGET_DOWN, LOG_WARNING, err);
			t->next_try_mono = mono_us() + backoff_delay_us(t->attempts++, c->cfg.retry_initial_us,
															c->cfg.retry_max_us);
		}
	}
	return 0;
}

static void
shutdown_all(Collector *c)
{
	int			i;

	for (i = 0; i < c->ntargets; i++)
	{
		source_free(c->targets[i].src);
		state_free(c->targets[i].state);
		detect_state_free(c->targets[i].detect);
	}
	free(c->targets);
	spool_close(c->spool);
	ship_free(c->shipper);
	otlp_free(c->otlp);
	if (c->http_ready)
		ship_global_cleanup();
	config_free(&c->cfg);
}

int
main(int argc, char **argv)
{
	Collector	c;
	char		err[1024];
	sigset_t	wait_mask;
	int			rc;

	memset(&c, 0, sizeof(c));
	c.argc = argc;
	c.argv = argv;
	switch (config_load(argc, argv, &c.cfg, err, sizeof(err)))
	{
		case CONFIG_EXIT:
			config_free(&c.cfg);
			return 0;
		case CONFIG_ERROR:
			fprintf(stderr, "pg_insights_collector: %s\n", err);
			fprintf(stderr, "Try \"pg_insights_collector --help\" for more information.\n");
			config_free(&c.cfg);
			return EXIT_USAGE;
		case CONFIG_OK:
			break;
	}
	log_set_level(c.cfg.log_level);
	random_hex(c.instance, 8);
	c.stats.started_us = now_us();
	setup_signals(&wait_mask);

	rc = startup(&c);
	if (rc == 0)
		rc = c.cfg.once ? run_once(&c) : run_daemon(&c, &wait_mask);
	shutdown_all(&c);
	return rc;
}
