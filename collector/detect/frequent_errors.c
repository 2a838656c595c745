/* frequent_errors.c — statements that fail often (insights.errors), with the fix their SQLSTATE points to. */
#include <stdlib.h>
#include <string.h>

#include "detect.h"

/* what an error class means and what usually fixes it */
typedef struct ErrorAdvice
{
	const char *sqlstate;		/* exact code, or a two-character class */
	const char *name;
	const char *fix;
} ErrorAdvice;

static const ErrorAdvice advice[] = {
	{"23505", "unique_violation",
	 "Insert with INSERT ... ON CONFLICT DO NOTHING / DO UPDATE (Prisma: upsert, createMany with skipDuplicates) "
	 "instead of inserting and catching the error: each failed INSERT still takes a transaction id and leaves a dead row"},
	{"40P01", "deadlock_detected",
	 "Take row locks in one order in every transaction (for example SELECT ... ORDER BY id FOR UPDATE before updating) "
	 "and keep transactions short; retry the transaction that lost"},
	{"40001", "serialization_failure",
	 "Retry the whole transaction in the application (this error is expected under SERIALIZABLE or REPEATABLE READ "
	 "contention), and read fewer rows inside it"},
	{"57014", "query_canceled",
	 "The statement runs into statement_timeout (or is cancelled): look at its plan and reads per call (a missing index, "
	 "an unbounded result) before raising the timeout"},
	{"55P03", "lock_not_available",
	 "The lock is not granted within lock_timeout or NOWAIT fails: for work queues use FOR UPDATE SKIP LOCKED, "
	 "otherwise find and shorten the transaction holding the lock"},
	{"23503", "foreign_key_violation",
	 "The referenced row does not exist (yet): create the parent first in the same transaction, or validate the key "
	 "before sending"},
	{"23502", "not_null_violation", "A required column is sent as NULL: validate the input before sending"},
	{"23514", "check_violation", "A CHECK constraint rejects the values: validate the input before sending"},
	{"22", "data_exception", "A value does not fit its type (bad format, overflow, division by zero): validate or cast "
	 "the input before sending"},
	{"53", "insufficient_resources", "The server runs out of a resource (disk, memory, connections): check its logs"},
};

static const ErrorAdvice *
advice_for(const char *sqlstate)
{
	size_t		i;

	for (i = 0; i < sizeof(advice) / sizeof(advice[0]); i++)
	{
		size_t		n = strlen(advice[i].sqlstate);

		if (strncmp(sqlstate, advice[i].sqlstate, n) == 0)
			return &advice[i];
	}
	return NULL;
}

void
detect_frequent_errors(DetectInput *in)
{
	int			start,
				i;

	/* in->errors: one run of rows per shape, most errors first */
	for (start = 0; start < in->nerrors; start = i)
	{
		int64_t		shape_id = in->errors[start].shape_id;
		int64_t		errors = 0;
		double		rate;
		DetShape   *s;
		DetFinding *f;
		const ErrorAdvice *top;
		Sbuf		b;
		int			k;

		for (i = start; i < in->nerrors && in->errors[i].shape_id == shape_id; i++)
			errors += in->errors[i].errors;
		s = detect_shape(in, shape_id);
		if (s == NULL || s->internal || errors < in->cfg->errors_min)
			continue;
		/* calls counts the executions that completed; a failed one never does */
		rate = (double) errors / (double) (errors + s->calls);
		if (rate < in->cfg->errors_min_rate)
			continue;
		if ((f = detect_add(in, "frequent_errors", shape_id)) == NULL)
			continue;
		top = advice_for(in->errors[start].sqlstate);
		f->severity = (rate >= 0.5 || strcmp(in->errors[start].sqlstate, "40P01") == 0) ? "critical" : "warning";

		sbuf_init(&b);
		sbuf_printf(&b, "{\"errors\":%lld,\"executions\":%lld,\"failed_share\":%.4f,\"sqlstates\":[",
					(long long) errors, (long long) (errors + s->calls), rate);
		for (k = start; k < i; k++)
		{
			const ErrorAdvice *a = advice_for(in->errors[k].sqlstate);

			sbuf_printf(&b, "%s{\"sqlstate\":", k > start ? "," : "");
			sbuf_json_str(&b, in->errors[k].sqlstate);
			if (a != NULL)
			{
				sbuf_printf(&b, ",\"condition\":");
				sbuf_json_str(&b, a->name);
			}
			sbuf_printf(&b, ",\"errors\":%lld}", (long long) in->errors[k].errors);
		}
		sbuf_printf(&b, "]}");
		f->evidence = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "%.1f%% of its executions fail (%lld of %lld), most with SQLSTATE %s%s%s%s. %s.",
					100.0 * rate, (long long) errors, (long long) (errors + s->calls),
					in->errors[start].sqlstate, top ? " (" : "", top ? top->name : "", top ? ")" : "",
					top ? top->fix : "Fix the cause the SQLSTATE names; the server log has each error's message");
		if (s->attribution)
			sbuf_printf(&b, " The statement is sent by %s.", s->attribution);
		f->suggestion = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "Up to %lld failed executions fewer (%.1f%% of this statement's), each of which did its work "
					"up to the error and was rolled back.", (long long) errors, 100.0 * rate);
		f->expected_impact = sbuf_steal(&b);
	}
}
