/* input.h — libpq side: connect/reconnect to one database and read the extension's functions. */
#ifndef COLLECTOR_INPUT_H
#define COLLECTOR_INPUT_H

#include "config.h"
#include "reading.h"
#include "state.h"

typedef enum InputStatus
{
	INPUT_OK,
	INPUT_UNREACHABLE,			/* server down or connection lost: retry with backoff */
	INPUT_FAILED,				/* this poll failed (timeout, error): retry next interval */
	INPUT_UNUSABLE				/* reachable but unusable: auth, no database, no extension */
} InputStatus;

/* Identity of the polled server and database (read at connect). */
typedef struct SourceIdentity
{
	char		system_identifier[32];
	char		version[64];
	int			version_num;
	char		database[128];
	uint32_t	dbid;
	char		host[256];
	char		port[16];		/* PQport(): the server's port (or socket file's number) */
	char		extension_version[32];
	char		name[280];		/* --server-name, else cluster_name, else host:port */
	char		instance[280];	/* host:port as reached: a replica is not its primary */
	char		role[8];		/* "primary" or "standby" */
	int64_t		postmaster_start_us;
	int			nhist;
	double		bounds[MAX_HIST];	/* upper bounds, nhist - 1 of them */
} SourceIdentity;

typedef struct Source Source;

extern Source *source_create(const char *conninfo, const Config *cfg);
extern void source_free(Source *src);
extern void source_set_timeouts(Source *src, const Config *cfg);
extern const char *source_name(const Source *src);	/* for logs: database or conninfo */
extern bool source_connected(const Source *src);
extern void source_disconnect(Source *src);

/* Connect if needed and read the identity; err gets the reason on failure. */
extern InputStatus source_connect(Source *src, char *err, size_t errlen);
extern const SourceIdentity *source_identity(const Source *src);
/* the open connection (detection runs its own statements on it), or NULL */
extern struct pg_conn *source_conn(Source *src);

/*
 * One reading in one short read-only transaction; texts of new shapes go to
 * tc.  With prev (the previous reading of this source), only entries used
 * since then are read and the others are carried over from prev.
 */
extern InputStatus source_read(Source *src, TextCache *tc, const Reading *prev, Reading **out,
							   char *err, size_t errlen);

#endif
