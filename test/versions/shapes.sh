#!/usr/bin/env bash
# test/versions/shapes.sh — the shape corpus: real clients' captures (test/regress/data/clients) and
# corpus.sql run on a server with pg_insights; every shape's id, calls and normalized text must be
# exactly shapes.expected, on every supported version (a fleet of mixed versions groups alike).
#   PGI_SHAPES_WRITE=1  rewrite shapes.expected from this server (do it on 15, then read the diff)
# Prints "shapes: P passed, F failed"; the differences go to $PGI_OUT/shapes.diff.
set -uo pipefail
ROOT=${PGI_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$ROOT/test/lib/cluster.sh"
out=${PGI_OUT:-$(mktemp -d)}
mkdir -p "$out"
expected=$ROOT/test/versions/shapes.expected
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

if ! pgi_cluster_start "shared_preload_libraries = 'pg_insights'" "pg_insights.track = all" \
	"compute_query_id = on"; then
	echo "shapes: 0 passed, 1 failed (cluster start)"
	exit 1
fi
pgi_sql "CREATE DATABASE corpus" >/dev/null
export PGHOST=$PGI_SOCK PGPORT=$PGI_PORT PGUSER=$PGI_SUPERUSER PGDATABASE=corpus
pgi_psql -d corpus -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION pg_insights;
CREATE TABLE "User" (id serial PRIMARY KEY, email text, name text);
CREATE TABLE "Post" (id serial PRIMARY KEY, title text, "authorId" int);
CREATE TABLE users (id serial PRIMARY KEY, email text, name text);
CREATE TABLE posts (id serial PRIMARY KEY, author_id int, title text);
SELECT insights.reset();
SQL
for f in prisma7-default prisma7-relationjoins knex sequelize; do
	"$ROOT/test/tools/pgi_exec" replay "$ROOT/test/regress/data/clients/$f.txt" >/dev/null ||
		bad "replay $f"
done
x=$ROOT/test/tools/pgi_exec
if pgi_psql -d corpus -v ON_ERROR_STOP=1 -f "$ROOT/test/versions/corpus.sql" >/dev/null 2>"$out/corpus.err"; then
	ok "corpus.sql ran"
else
	bad "corpus.sql ran (see $out/corpus.err)"
fi
# the same statements over the extended protocol: parameters and lists of parameters
if "$x" params 'SELECT id FROM t WHERE id = $1' 5 :: params 'SELECT id FROM t WHERE id IN ($1, $2)' 1 2 \
	:: params 'SELECT id FROM t WHERE id IN ($1, $2, $3, $4, $5)' 1 2 3 4 5 \
	:: params 'SELECT id FROM t WHERE id = ANY ($1)' '{1,2,3}' \
	:: params 'SELECT id FROM t WHERE id = ANY ($1::int[])' '{1,2}' \
	:: params 'SELECT id FROM t ORDER BY id LIMIT $1 OFFSET $2' 10 20 2>"$out/params.err"; then
	ok "extended protocol statements ran"
else
	bad "extended protocol statements ran (see $out/params.err)"
fi
pgi_psql -d corpus -At -F $'\t' -c "SELECT shape_id, sum(calls), query FROM insights.queries
	WHERE query NOT LIKE '%insights.%' GROUP BY shape_id, query ORDER BY query COLLATE \"C\", shape_id" \
	>"$out/shapes.tsv"
n=$(wc -l <"$out/shapes.tsv")
if ((n >= 140)); then ok "corpus gave $n shapes"; else bad "corpus gave $n shapes (expected >= 140)"; fi
if [[ ${PGI_SHAPES_WRITE:-} == 1 ]]; then
	cp "$out/shapes.tsv" "$expected"
	echo "wrote $expected"
fi
# 18 gives the query behind DECLARE CURSOR a query id of its own: its executions are counted as a nested
# statement too (as pg_stat_statements 18 does), a shape 15 cannot have. Those lines must be there, and
# the rest must be as on 15.
got=$out/shapes.tsv
vnum=$(pgi_sql "SHOW server_version_num")
if ((vnum >= 180000)) && [[ -s $expected.18 ]]; then
	while IFS= read -r line; do
		[[ -z $line || $line == '#'* ]] && continue
		if grep -qxF -- "$line" "$got"; then ok "18+: the extra line is there: ${line:0:60}"
		else bad "18+: the extra line is missing: ${line:0:60}"; fi
	done <"$expected.18"
	grep -v -e '^#' -e '^$' "$expected.18" | grep -vxF -f - "$got" >"$out/shapes.common.tsv"
	got=$out/shapes.common.tsv
fi
if diff -u "$expected" "$got" >"$out/shapes.diff"; then
	ok "every shape's id, calls and text as on 15 (shapes.expected)"
else
	bad "shapes differ from shapes.expected ($(grep -c '^[-+][^-+]' "$out/shapes.diff") lines; $out/shapes.diff):"
	head -20 "$out/shapes.diff" | sed 's/^/    /'
fi
pgi_cluster_log_check >/dev/null && ok "no crash in the server log" || bad "server log shows a crash"
pgi_cluster_destroy
echo "shapes: $pass passed, $fail failed"
((fail == 0))
