/*
 * pgi_exec — drive PostgreSQL's extended query protocol from tests (psql 15 has no \bind).
 *
 *   pgi_exec OP ARGS... [:: OP ARGS...]...
 *
 * One connection (libpq environment: PGHOST, PGPORT, PGDATABASE, PGUSER) runs the ops in order:
 *   simple[*N]  SQL              PQexec (simple protocol)
 *   simplefile  FILE             PQexec of a whole file as one message (multi-statement strings
 *                                larger than an argument may be)
 *   params[*N]  SQL [P...]       PQexecParams: unnamed statement, Parse/Bind/Execute each time
 *   prepare     NAME SQL         PQprepare (NAME "" = the unnamed statement)
 *   execute[*N] NAME [P...]      PQexecPrepared
 *   pipeline[*N] SQL [P...]      N x PQsendQueryParams in one pipeline, one Sync
 *   replay      FILE             replay a client capture (test/regress/data/clients/):
 *                                "statement: SQL" lines over the simple protocol, "execute
 *                                <unnamed>: SQL" lines with the next "parameters: $1 = '...'"
 *                                line over the extended protocol; prints one summary line
 * A parameter written as "\N" is NULL.  Prefix OP with '!' when an error is expected.
 * Prints nothing on success; on an unexpected outcome prints "pgi_exec: ..." and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

static PGconn *conn;

static int
ok_status(ExecStatusType st)
{
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_PIPELINE_SYNC;
}

static int	check(PGresult *res, const char *op, int want_error);

/* parse "$1 = 'a''b', $2 = NULL, ..." into vals (malloc'd, NULL for NULL); returns count */
static int
parse_params(const char *p, char **vals, int max)
{
	int			n = 0;

	while ((p = strchr(p, '$')) != NULL && n < max)
	{
		p = strstr(p, " = ");
		if (!p)
			break;
		p += 3;
		if (strncmp(p, "NULL", 4) == 0)
		{
			vals[n++] = NULL;
			p += 4;
			continue;
		}
		if (*p != '\'')
			break;
		p++;
		{
			char	   *v = malloc(strlen(p) + 1);
			int			k = 0;

			while (*p)
			{
				if (*p == '\'' && p[1] == '\'')
				{
					v[k++] = '\'';
					p += 2;
				}
				else if (*p == '\'')
				{
					p++;
					break;
				}
				else
					v[k++] = *p++;
			}
			v[k] = '\0';
			vals[n++] = v;
		}
	}
	return n;
}

static int
replay(const char *file)
{
	FILE	   *f = fopen(file, "r");
	static char line[1 << 20], next[1 << 20];
	int			have_next = 0, nsimple = 0, nextended = 0, nerrors = 0;

	if (!f)
	{
		printf("pgi_exec: cannot open %s\n", file);
		return 0;
	}
	for (;;)
	{
		char	   *l, *sql;
		size_t		len;

		if (have_next)
		{
			strcpy(line, next);
			have_next = 0;
		}
		else if (!fgets(line, sizeof(line), f))
			break;
		len = strlen(line);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		l = line;
		if (strncmp(l, "LOG:  ", 6) == 0)
			l += 6;
		if (strncmp(l, "statement: ", 11) == 0)
		{
			sql = l + 11;
			nsimple++;
			if (!check(PQexec(conn, sql), "replay simple", 0))
			{
				printf("  in: %.200s\n", sql);
				nerrors++;
			}
		}
		else if (strncmp(l, "execute <unnamed>: ", 19) == 0)
		{
			char	   *vals[1024];
			int			nvals = 0;

			sql = l + 19;
			if (fgets(next, sizeof(next), f))
			{
				char	   *pp = strstr(next, "parameters: ");

				if (pp && (strncmp(next, "DETAIL:  ", 9) == 0 || next[0] == ' '))
					nvals = parse_params(pp + 12, vals, 1024);
				else
					have_next = 1;
			}
			nextended++;
			if (!check(PQexecParams(conn, sql, nvals, NULL, (const char *const *) vals, NULL, NULL, 0),
					   "replay extended", 0))
			{
				printf("  in: %.200s\n", sql);
				nerrors++;
			}
			for (int k = 0; k < nvals; k++)
				free(vals[k]);
		}
	}
	fclose(f);
	printf("replayed %d statements (%d simple, %d extended), %d errors\n",
		   nsimple + nextended, nsimple, nextended, nerrors);
	return nerrors == 0;
}

static int
check(PGresult *res, const char *op, int want_error)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int			failed = !ok_status(st);

	if (failed && !want_error)
		printf("pgi_exec: %s failed: %s", op, res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	else if (!failed && want_error)
		printf("pgi_exec: %s succeeded but an error was expected\n", op);
	if (res)
		PQclear(res);
	return failed == want_error;
}

int
main(int argc, char **argv)
{
	int			i = 1;
	int			rc = 0;

	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		printf("pgi_exec: connection failed: %s", PQerrorMessage(conn));
		return 1;
	}
	PQsetNoticeProcessor(conn, NULL, NULL);

	while (i < argc)
	{
		char	   *op = argv[i++];
		char	  **args = &argv[i];
		int			nargs = 0;
		int			reps = 1;
		int			want_error = 0;
		char	   *star;
		const char *params[256];
		int			nparams;

		while (i < argc && strcmp(argv[i], "::") != 0)
		{
			i++;
			nargs++;
		}
		if (i < argc)
			i++;				/* skip "::" */

		if (op[0] == '!')
		{
			want_error = 1;
			op++;
		}
		if ((star = strchr(op, '*')) != NULL)
		{
			*star = '\0';
			reps = atoi(star + 1);
		}

#define NEED(n) do { if (nargs < (n)) { printf("pgi_exec: %s needs %d arguments\n", op, (n)); return 2; } } while (0)
#define PARAMS(from) do { nparams = 0; for (int k = (from); k < nargs && nparams < 256; k++) \
			params[nparams++] = strcmp(args[k], "\\N") == 0 ? NULL : args[k]; } while (0)

		for (int r = 0; r < reps; r++)
		{
			if (strcmp(op, "simple") == 0)
			{
				NEED(1);
				if (!check(PQexec(conn, args[0]), op, want_error))
					rc = 1;
			}
			else if (strcmp(op, "simplefile") == 0)
			{
				FILE	   *f;
				long		size;
				char	   *sql;

				NEED(1);
				if ((f = fopen(args[0], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
					(size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
					(sql = malloc(size + 1)) == NULL || fread(sql, 1, size, f) != (size_t) size)
				{
					printf("pgi_exec: cannot read %s\n", args[0]);
					return 1;
				}
				fclose(f);
				sql[size] = '\0';
				if (!check(PQexec(conn, sql), op, want_error))
					rc = 1;
				free(sql);
			}
			else if (strcmp(op, "params") == 0)
			{
				NEED(1);
				PARAMS(1);
				if (!check(PQexecParams(conn, args[0], nparams, NULL, params, NULL, NULL, 0), op, want_error))
					rc = 1;
			}
			else if (strcmp(op, "prepare") == 0)
			{
				NEED(2);
				if (!check(PQprepare(conn, args[0], args[1], 0, NULL), op, want_error))
					rc = 1;
			}
			else if (strcmp(op, "execute") == 0)
			{
				NEED(1);
				PARAMS(1);
				if (!check(PQexecPrepared(conn, args[0], nparams, params, NULL, NULL, 0), op, want_error))
					rc = 1;
			}
			else if (strcmp(op, "replay") == 0)
			{
				NEED(1);
				if (!replay(args[0]))
					rc = 1;
			}
			else if (strcmp(op, "pipeline") == 0)
			{
				int			n = reps;
				PGresult   *res;

				NEED(1);
				PARAMS(1);
				if (!PQenterPipelineMode(conn))
				{
					printf("pgi_exec: cannot enter pipeline mode\n");
					return 1;
				}
				for (int k = 0; k < n; k++)
					if (!PQsendQueryParams(conn, args[0], nparams, NULL, params, NULL, NULL, 0))
					{
						printf("pgi_exec: send failed: %s", PQerrorMessage(conn));
						return 1;
					}
				PQpipelineSync(conn);
				for (int k = 0; k < n; k++)
				{
					res = PQgetResult(conn);
					if (!check(res, op, want_error))
						rc = 1;
					while ((res = PQgetResult(conn)) != NULL)
						PQclear(res);
				}
				res = PQgetResult(conn);	/* the sync */
				if (!check(res, "pipeline sync", 0))
					rc = 1;
				PQexitPipelineMode(conn);
				break;			/* reps consumed */
			}
			else
			{
				printf("pgi_exec: unknown op %s\n", op);
				return 2;
			}
		}
	}
	PQfinish(conn);
	return rc;
}
