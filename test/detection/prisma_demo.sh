# test/detection/prisma_demo.sh — same cause, same verdict on a real workload: the demo's schema
# ("Post"."authorId" unindexed) and its real Prisma 7 client traffic (clients/prisma/workload.ts: the
# N+1 loop's findMany 60 times, and 3 times each a count, a $queryRaw count and an include whose Post
# query is an IN list, all filtering on "authorId").  Every statement of "Post" filtered by
# "authorId" must get the missing-index finding with the same fix; no other statement may.  Sourced
# by run.sh (its cluster, pass/fail).
pgi_sql "CREATE DATABASE prisma_demo" >/dev/null
pgi_psql -d prisma_demo -v ON_ERROR_STOP=1 -q -f "$ROOT/demo/schema.sql" >/dev/null
pgi_psql -d prisma_demo -c "CREATE EXTENSION pg_insights" -c "CREATE EXTENSION hypopg" >/dev/null
pgi_psql -d prisma_demo -c "SELECT insights.reset() /*application='pg_insights_test'*/" >/dev/null
if ! (cd "$ROOT/clients" && PGHOST=$PGI_SOCK PGPORT=$PGI_PORT PGUSER=$PGI_SUPERUSER PGDATABASE=prisma_demo \
	PGI_N1_PARENTS=20 PGI_ROUNDS=3 node_modules/.bin/tsx prisma/workload.ts >/dev/null 2>"$PGI_BASE/prisma-demo.err"); then
	fail=$((fail + 1)); echo "FAIL prisma_demo: the Prisma workload failed: $(tail -3 "$PGI_BASE/prisma-demo.err")"
else
	"$COLLECTOR" --once --output /dev/null --dbname "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=prisma_demo" \
		2>"$PGI_BASE/collector-prisma-demo.log"
	# per statement of "Post" filtered by "authorId": how often it ran, and its missing-index finding
	# (the three with 3 calls ranked info, below the loop's lookup: warning, or critical with the N+1)
	got=$(pgi_psql -d prisma_demo -At -F ' ' -c "
		SELECT string_agg(x, ',' ORDER BY x COLLATE \"C\") FROM (
		  SELECT CASE WHEN q.query LIKE 'SELECT COUNT(*)%' THEN 'count'
		              WHEN q.query LIKE 'SELECT count(*)::int%' THEN 'raw_count'
		              WHEN q.query LIKE '%\"authorId\" IN (%' THEN 'include'
		              ELSE 'findMany' END || ':' || q.calls || ':' ||
		         CASE WHEN f.severity IS NULL THEN 'none' WHEN f.severity = 'info' THEN 'info' ELSE 'above_info' END AS x
		    FROM insights.queries q LEFT JOIN insights.findings f ON f.shape_id = q.shape_id AND f.kind = 'missing_index'
		   WHERE q.query LIKE '%\"Post\"%' AND q.query LIKE '%\"authorId\" %' AND q.command = 'SELECT'
		     AND q.query NOT LIKE '%JOIN%') s")
	want="count:3:info,findMany:60:above_info,include:3:info,raw_count:3:info"
	if [[ "$got" == "$want" ]]; then pass=$((pass + 1)); echo "ok   prisma_demo: every Prisma read of Post by authorId has the missing-index finding ($got)"
	else fail=$((fail + 1)); echo "FAIL prisma_demo: statement:calls:severity = '$got', expected '$want'"; fi
	other=$(pgi_psql -d prisma_demo -At -c "SELECT count(DISTINCT fix_sql) || ' fix, ' || count(*) FILTER (WHERE query NOT LIKE '%\"authorId\" %') || ' elsewhere'
		FROM insights.findings WHERE kind = 'missing_index'")
	if [[ "$other" == "1 fix, 0 elsewhere" ]]; then pass=$((pass + 1)); echo "ok   prisma_demo: one fix for all of them, no missing-index finding on any other statement"
	else fail=$((fail + 1)); echo "FAIL prisma_demo: '$other', expected '1 fix, 0 elsewhere'"; fi
fi
