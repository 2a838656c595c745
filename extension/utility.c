/*
 * utility.c — one shape for utility statements that differ only in a name or a value.
 *
 * Applications issue SAVEPOINT sp_1403, SET LOCAL app.tenant = '42',
 * DEALLOCATE pdo_stmt_0001 or FETCH 100 FROM "_cur_17" per request.  Hashed
 * as text, each would be a new shape: a store entry created under the
 * exclusive lock, and soon an eviction.  For those statements the shape is
 * built from the parse tree instead, with the name or value as $1; the text
 * does not depend on the server version, so the shape does not either.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"

#include "pg_insights.h"

/* a setting's name comes from the client: bound what is kept of it */
#define SETTING_NAME_MAX 128

static void
append_setting_name(StringInfo buf, const char *name)
{
	int			n = (int) strnlen(name, SETTING_NAME_MAX);

	appendBinaryStringInfo(buf, name, n);
}

static bool
canonical_transaction(TransactionStmt *stmt, StringInfo buf)
{
	switch (stmt->kind)
	{
		case TRANS_STMT_SAVEPOINT:
			appendStringInfoString(buf, "SAVEPOINT $1");
			return true;
		case TRANS_STMT_RELEASE:
			appendStringInfoString(buf, "RELEASE SAVEPOINT $1");
			return true;
		case TRANS_STMT_ROLLBACK_TO:
			appendStringInfoString(buf, "ROLLBACK TO SAVEPOINT $1");
			return true;
		case TRANS_STMT_PREPARE:
			appendStringInfoString(buf, "PREPARE TRANSACTION $1");
			return true;
		case TRANS_STMT_COMMIT_PREPARED:
			appendStringInfoString(buf, "COMMIT PREPARED $1");
			return true;
		case TRANS_STMT_ROLLBACK_PREPARED:
			appendStringInfoString(buf, "ROLLBACK PREPARED $1");
			return true;
		default:
			return false;		/* BEGIN, COMMIT ...: their text is their shape */
	}
}

static bool
canonical_set(VariableSetStmt *stmt, StringInfo buf)
{
	if (stmt->name == NULL)
		return false;
	switch (stmt->kind)
	{
		case VAR_SET_VALUE:
		case VAR_SET_CURRENT:
			appendStringInfoString(buf, stmt->is_local ? "SET LOCAL " : "SET ");
			append_setting_name(buf, stmt->name);
			appendStringInfoString(buf, " = $1");
			return true;
		case VAR_SET_DEFAULT:
			appendStringInfoString(buf, stmt->is_local ? "SET LOCAL " : "SET ");
			append_setting_name(buf, stmt->name);
			appendStringInfoString(buf, " TO DEFAULT");
			return true;
		case VAR_RESET:
			appendStringInfoString(buf, "RESET ");
			append_setting_name(buf, stmt->name);
			return true;
		default:
			return false;		/* SET TRANSACTION ..., RESET ALL */
	}
}

static bool
canonical_fetch(FetchStmt *stmt, StringInfo buf)
{
	static const char *const direction[] = {
		[FETCH_FORWARD] = "FORWARD",
		[FETCH_BACKWARD] = "BACKWARD",
		[FETCH_ABSOLUTE] = "ABSOLUTE",
		[FETCH_RELATIVE] = "RELATIVE",
	};

	if ((int) stmt->direction < 0 || (int) stmt->direction > FETCH_RELATIVE)
		return false;
	appendStringInfo(buf, "%s %s %s FROM $1", stmt->ismove ? "MOVE" : "FETCH",
					 direction[stmt->direction],
					 stmt->howMany == FETCH_ALL ? "ALL" : "$2");
	return true;
}

/*
 * The canonical text of a name- or value-bearing utility statement, or NULL
 * when the statement's own text is its shape.  Palloc'd in the caller's
 * context.
 */
char *
pgi_utility_canonical(Node *stmt, int *len)
{
	StringInfoData buf;
	bool		done;

	if (stmt == NULL)
		return NULL;
	initStringInfo(&buf);
	switch (nodeTag(stmt))
	{
		case T_TransactionStmt:
			done = canonical_transaction((TransactionStmt *) stmt, &buf);
			break;
		case T_VariableSetStmt:
			done = canonical_set((VariableSetStmt *) stmt, &buf);
			break;
		case T_DeallocateStmt:
			appendStringInfoString(&buf, ((DeallocateStmt *) stmt)->name ?
								   "DEALLOCATE $1" : "DEALLOCATE ALL");
			done = true;
			break;
		case T_ClosePortalStmt:
			appendStringInfoString(&buf, ((ClosePortalStmt *) stmt)->portalname ?
								   "CLOSE $1" : "CLOSE ALL");
			done = true;
			break;
		case T_FetchStmt:
			done = canonical_fetch((FetchStmt *) stmt, &buf);
			break;
		default:
			done = false;
			break;
	}
	if (!done)
	{
		pfree(buf.data);
		return NULL;
	}
	*len = buf.len;
	return buf.data;
}
