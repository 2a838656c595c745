/*
 * fake_pq.h — an in-memory stand-in for the few libpq calls and the repository pool that the
 * dashboard's ingest, store and API code make, so that the fuzz targets run them without a
 * database.  Every statement's parameters go through fake_db.check (the target's invariants);
 * results are malloc'd, so a PGresult that is never PQclear'd shows up as a leak.  Include it in
 * exactly one translation unit.
 */
#ifndef FAKE_PQ_H
#define FAKE_PQ_H

#include "dashboard.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_NFIELDS 16
#define FAKE_MAXVALS 8

typedef struct FakeDb
{
	int			statements;		/* executed since fake_db_reset */
	int			fail_at;		/* this statement (1-based) fails; 0: none */
	bool		duplicate;		/* INSERT INTO pgi.snapshots returns no row */
	bool		unavailable;	/* repo_acquire returns NULL */
	int			rows;			/* rows of every SELECT */
	const char *vals[FAKE_MAXVALS];	/* values of SELECT results, cycled; "" is NULL */
	int			nvals;
	bool		in_tx;
	bool		acquired;
	int			open_results;
	void		(*check) (const char *sql, int n, const char *const *params);
} FakeDb;

static FakeDb fake_db;
static char fake_conn_token;

typedef struct pg_result
{
	ExecStatusType st;
	int			ntuples;
	int			nfields;
	const char *fixed;			/* every value, when set */
} FakeResult;

#define FAKE_REQUIRE(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

static void
fake_db_reset(void)
{
	memset(&fake_db, 0, sizeof(fake_db));
}

PGresult *
PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
			 const char *const *paramValues, const int *paramLengths, const int *paramFormats,
			 int resultFormat)
{
	FakeResult *r = calloc(1, sizeof(FakeResult));

	(void) paramTypes;
	FAKE_REQUIRE(r != NULL);
	FAKE_REQUIRE(conn == (PGconn *) &fake_conn_token && fake_db.acquired);
	FAKE_REQUIRE(paramLengths == NULL && paramFormats == NULL && resultFormat == 0);
	FAKE_REQUIRE(nParams >= 0 && (nParams == 0 || paramValues != NULL));
	if (fake_db.check)
		fake_db.check(command, nParams, paramValues);
	fake_db.statements++;
	fake_db.open_results++;
	r->nfields = FAKE_NFIELDS;
	if (strcmp(command, "ROLLBACK") == 0)
	{
		/* outside a transaction PostgreSQL only warns */
		fake_db.in_tx = false;
		r->st = PGRES_COMMAND_OK;
		return r;
	}
	if (strcmp(command, "COMMIT") == 0)
	{
		/* a failed COMMIT ends the transaction too */
		FAKE_REQUIRE(fake_db.in_tx);
		fake_db.in_tx = false;
	}
	if (fake_db.statements == fake_db.fail_at)
	{
		r->st = PGRES_FATAL_ERROR;
		return r;
	}
	if (strcmp(command, "BEGIN") == 0)
	{
		FAKE_REQUIRE(!fake_db.in_tx);
		fake_db.in_tx = true;
		r->st = PGRES_COMMAND_OK;
		return r;
	}
	if (strstr(command, "INSERT INTO pgi.sources") != NULL)
	{
		r->st = PGRES_TUPLES_OK;
		r->ntuples = 1;
		r->fixed = "7";
	}
	else if (strstr(command, "INSERT INTO pgi.snapshots") != NULL)
	{
		r->st = PGRES_TUPLES_OK;
		r->ntuples = fake_db.duplicate ? 0 : 1;
		r->fixed = "1";
	}
	else if (strncmp(command, "SELECT", 6) == 0 || strncmp(command, "WITH", 4) == 0 ||
			 strstr(command, "SELECT") == command + strspn(command, " "))
	{
		r->st = PGRES_TUPLES_OK;
		r->ntuples = fake_db.rows;
	}
	else
		r->st = PGRES_COMMAND_OK;
	return r;
}

PGresult *
PQexec(PGconn *conn, const char *query)
{
	return PQexecParams(conn, query, 0, NULL, NULL, NULL, NULL, 0);
}

ExecStatusType
PQresultStatus(const PGresult *res)
{
	return res ? res->st : PGRES_FATAL_ERROR;
}

void
PQclear(PGresult *res)
{
	if (res)
	{
		fake_db.open_results--;
		free(res);
	}
}

int
PQntuples(const PGresult *res)
{
	return res ? res->ntuples : 0;
}

int
PQnfields(const PGresult *res)
{
	return res ? res->nfields : 0;
}

char *
PQfname(const PGresult *res, int field_num)
{
	static char names[FAKE_NFIELDS][8];

	FAKE_REQUIRE(res && field_num >= 0 && field_num < res->nfields);
	snprintf(names[field_num], sizeof(names[field_num]), "c%d", field_num);
	return names[field_num];
}

static const char *
fake_value(const PGresult *res, int row, int col)
{
	FAKE_REQUIRE(res && row >= 0 && row < res->ntuples && col >= 0 && col < res->nfields);
	if (res->fixed)
		return res->fixed;
	if (fake_db.nvals == 0)
		return "1";
	/*
	 * Column 0 is an integer in every statement the dashboard reads from (source_id, count(*),
	 * epochs, ids): the code prints some of them as they are, as PostgreSQL's output.
	 */
	if (col == 0)
	{
		const char *v = fake_db.vals[row % fake_db.nvals];

		return v[strspn(v, "0123456789")] == '\0' && v[0] ? v : "1";
	}
	return fake_db.vals[(row * 7 + col) % fake_db.nvals];
}

char *
PQgetvalue(const PGresult *res, int tup_num, int field_num)
{
	return (char *) fake_value(res, tup_num, field_num);
}

int
PQgetisnull(const PGresult *res, int tup_num, int field_num)
{
	return fake_value(res, tup_num, field_num)[0] == '\0';
}

int
PQgetlength(const PGresult *res, int tup_num, int field_num)
{
	return (int) strlen(fake_value(res, tup_num, field_num));
}

char *
PQerrorMessage(const PGconn *conn)
{
	(void) conn;
	return "ERROR:  fake statement failure\n";
}

/*
 * The dashboard's log: util.c is built with -Ddash_log=dash_log_stderr so that this one runs
 * instead; the line is formatted (format and arguments exercised) and dropped, a failing
 * statement per run would otherwise fill the log of a long run.
 */
void
dash_log(const char *level, const char *fmt,...)
{
	char		msg[2048];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	FAKE_REQUIRE(level != NULL && memchr(msg, '\0', sizeof(msg)) != NULL);
}

/* ---- the repository pool (repo.c) ---- */

PGconn *
repo_acquire(RepoPool *pool)
{
	(void) pool;
	FAKE_REQUIRE(!fake_db.acquired);
	if (fake_db.unavailable)
		return NULL;
	fake_db.acquired = true;
	return (PGconn *) &fake_conn_token;
}

void
repo_release(RepoPool *pool, PGconn *conn)
{
	(void) pool;
	FAKE_REQUIRE(conn == (PGconn *) &fake_conn_token && fake_db.acquired);
	/* a connection goes back to the pool with no transaction open and no result kept */
	FAKE_REQUIRE(!fake_db.in_tx);
	FAKE_REQUIRE(fake_db.open_results == 0);
	fake_db.acquired = false;
}

int
repo_schema_version(PGconn *conn)
{
	FAKE_REQUIRE(conn == (PGconn *) &fake_conn_token);
	return 3;
}

#endif
