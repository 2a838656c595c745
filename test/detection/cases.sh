# test/detection/cases.sh — the labelled workloads: each case_<name> prints a psql script (or runs
# pgi_exec) against database $1; EXPECT[<name>] lists "kind:LIKE-pattern" findings, separated by
# "|", that must appear (nothing else may).  Sourced by run.sh.  A pause of GAP (client side, longer than the collector's
# request_idle_gap_ms) separates requests of one backend.
GAP='\! sleep 0.25'
tp() { printf "00-%032x-b7ad6b7169203331-01" "$1"; }	# a traceparent with trace id N

declare -A EXPECT

# ---- positives ----
EXPECT[nplus1_burst]="n_plus_one:%FROM posts WHERE author_id = \$1|missing_index:%FROM posts WHERE author_id = \$1"
case_nplus1_burst() {
	for r in 1 2; do
		echo "SELECT id, name FROM users ORDER BY id LIMIT 10 OFFSET $((r * 10));"
		for k in $(seq $((r * 10 + 1)) $((r * 10 + 10))); do echo "SELECT id, title FROM posts WHERE author_id = $k;"; done
		echo "$GAP"
	done | psql_db "$1"
}

EXPECT[nplus1_xact]="n_plus_one:%FROM posts WHERE author_id = \$1|missing_index:%FROM posts WHERE author_id = \$1"
case_nplus1_xact() {
	{
		echo "BEGIN;"
		echo "SELECT id, name FROM users WHERE id <= 8;"
		for k in $(seq 1 8); do echo "$GAP"; echo "SELECT id, title FROM posts WHERE author_id = $k;"; done
		echo "COMMIT;"
	} | psql_db "$1"
}

EXPECT[nplus1_trace]="n_plus_one:%FROM posts WHERE author_id = \$1|missing_index:%FROM posts WHERE author_id = \$1"
case_nplus1_trace() {
	for r in 1 2; do
		echo "SELECT id, name FROM users WHERE id BETWEEN $((r * 6)) AND $((r * 6 + 5)) /*route='%2Fusers',traceparent='$(tp $((100 + r)))'*/;"
		for k in $(seq $((r * 6)) $((r * 6 + 5))); do
			echo "$GAP"
			echo "SELECT id, title FROM posts WHERE author_id = $k /*db_driver='knex%3A3.3.0',route='%2Fusers',traceparent='$(tp $((100 + r)))'*/;"
		done
	done | psql_db "$1"
}

# Prisma's loop: extended protocol, OFFSET $2, no trace context, no transaction
EXPECT[nplus1_prisma]="n_plus_one:%FROM posts WHERE author_id = \$1 OFFSET \$2|missing_index:%FROM posts WHERE author_id = \$1 OFFSET \$2"
case_nplus1_prisma() {
	local args=(params "SELECT id, name FROM users WHERE 1=1 ORDER BY id LIMIT \$1 OFFSET \$2 /*prismaQuery='User.findMany%3Ae30'*/" 12 0)
	local k
	for k in $(seq 1 12); do
		args+=(:: params "SELECT id, title, author_id FROM posts WHERE author_id = \$1 OFFSET \$2 /*prismaQuery='Post.findMany%3AeyJ3aGVyZSI6eyJhdXRob3JJZCI6eyIkdHlwZSI6IlBhcmFtIn19fQ'*/" "$k" 0)
	done
	PGDATABASE=$1 "$PGI_EXEC" "${args[@]}"
}

EXPECT[missing_index]="missing_index:%FROM posts WHERE title = \$1"
case_missing_index() {
	for k in $(seq 1 8); do echo "SELECT id FROM posts WHERE title = 'post $((k * 7))';"; echo "$GAP"; done | psql_db "$1"
}

# two statements the same index serves: one finding, listing both (run.sh checks the count)
EXPECT[missing_index_shared]="missing_index:%FROM posts WHERE title = \$1"
case_missing_index_shared() {
	for k in $(seq 1 8); do
		echo "SELECT id FROM posts WHERE title = 'post $((k * 7))';"
		echo "SELECT count(*) FROM posts WHERE title = 'post $((k * 5))';"
		echo "$GAP"
	done | psql_db "$1"
}

# same cause, same verdict: the demo's Prisma reads on one unindexed column (a loop's lookup, a
# count, an include's IN list); the count and the IN list ran too few times to be a finding on their
# own, but the index the lookup needs serves them too.  Not reported: few calls on an indexed column,
# few calls on another unindexed column that nothing else justifies.
EXPECT[missing_index_siblings]="missing_index:SELECT id, title FROM posts WHERE author_id = \$1|missing_index:SELECT count(*) FROM posts WHERE author_id = \$1|missing_index:SELECT id, title FROM posts WHERE author_id IN (%"
case_missing_index_siblings() {
	{
		for k in $(seq 1 8); do echo "SELECT id, title FROM posts WHERE author_id = $k;"; echo "$GAP"; done
		for k in 1 2 3; do
			echo "SELECT count(*) FROM posts WHERE author_id = $((k + 20));"
			echo "SELECT id, title FROM posts WHERE author_id IN ($k, $((k + 1)), $((k + 2)));"
			echo "SELECT count(*) FROM articles WHERE author_id = $k;"
			echo "SELECT id FROM posts WHERE body = 'none $k';"
			echo "$GAP"
		done
	} | psql_db "$1"
}

EXPECT[offset_pagination]="offset_pagination:%ORDER BY created_at, id LIMIT \$1 OFFSET \$2"
case_offset_pagination() {
	for o in 0 200 1000 4000 10000 16000; do
		echo "SELECT id, title FROM posts ORDER BY created_at, id LIMIT 20 OFFSET $o;"
	done | psql_db "$1"
}

EXPECT[repeated_query]="repeated_query:%FROM users WHERE id = \$1"
case_repeated_query() {
	for r in $(seq 1 15); do
		echo "SELECT name, email FROM users WHERE id = 7 /*route='%2Fme',traceparent='$(tp $((200 + r)))'*/;"
	done | psql_db "$1"
}

EXPECT[over_fetching]="over_fetching:SELECT * FROM wide%"
case_over_fetching() {
	for r in $(seq 1 6); do echo "SELECT * FROM wide WHERE id > $((r * 10)) ORDER BY id LIMIT 100;"; echo "$GAP"; done | psql_db "$1"
}

EXPECT[large_nested_read]="large_nested_read:%FROM users u JOIN articles a%"
case_large_nested_read() {
	for r in 1 2; do echo "SELECT u.id, u.name, a.id, a.title, a.body FROM users u JOIN articles a ON a.author_id = u.id;"; echo "$GAP"; done | psql_db "$1"
}

# insert-and-catch: 20 of 40 INSERTs hit the primary key (23505)
EXPECT[frequent_errors]="frequent_errors:INSERT INTO tags%"
case_frequent_errors() {
	{
		echo "CREATE TABLE tags (id int PRIMARY KEY, name text);"
		echo '\set ON_ERROR_STOP 0'
		for k in $(seq 1 40); do echo "INSERT INTO tags VALUES ($(((k + 1) / 2)), 'tag $k');"; done
	} | psql_db "$1" 2>/dev/null
}

# ---- negatives: look alike, but are fine ----

# failures that are rare among many executions: 12 of 412 (2.9 %, below errors_min_rate)
EXPECT[neg_rare_errors]=""
case_neg_rare_errors() {
	{
		echo "CREATE TABLE tags (id int PRIMARY KEY, name text);"
		echo '\set ON_ERROR_STOP 0'
		for k in $(seq 1 400); do echo "INSERT INTO tags VALUES ($k, 'tag $k');"; done
		for k in $(seq 1 12); do echo "INSERT INTO tags VALUES ($k, 'again');"; done
	} | psql_db "$1" 2>/dev/null
}
EXPECT[neg_batched]=""
case_neg_batched() {
	for r in $(seq 1 5); do
		echo "SELECT id, name FROM users ORDER BY id LIMIT 10 OFFSET $((r * 10));"
		echo "SELECT id, title FROM articles WHERE author_id IN ($(seq -s, $((r * 10 + 1)) $((r * 10 + 10))));"
		echo "$GAP"
	done | psql_db "$1"
}

EXPECT[neg_join]=""
case_neg_join() {
	for r in $(seq 1 5); do
		echo "SELECT u.id, a.title FROM users u JOIN articles a ON a.author_id = u.id WHERE u.id BETWEEN $r AND $((r + 4));"
		echo "$GAP"
	done | psql_db "$1"
}

EXPECT[neg_one_per_request]=""
case_neg_one_per_request() {
	for k in $(seq 1 8); do
		echo "SELECT id, name FROM users WHERE id <= 10 AND id = $k;"
		echo "SELECT id, title FROM articles WHERE author_id = $k;"
		echo "$GAP"
	done | psql_db "$1"
}

EXPECT[neg_indexed]=""
case_neg_indexed() {
	for k in $(seq 1 20); do echo "SELECT id, title FROM articles WHERE author_id = $k;"; done | psql_db "$1"
}

EXPECT[neg_tiny_table]=""
case_neg_tiny_table() {
	for k in $(seq 1 20); do echo "SELECT id FROM tiny WHERE code = 'c$k';"; done | psql_db "$1"
}

EXPECT[neg_low_selectivity]=""
case_neg_low_selectivity() {
	for k in $(seq 1 10); do echo "SELECT count(*) FROM items WHERE category = $((k % 2));"; echo "$GAP"; done | psql_db "$1"
}

EXPECT[neg_keyset]=""
case_neg_keyset() {
	{
		echo "SELECT id, title, created_at FROM posts ORDER BY created_at, id LIMIT 20;"
		for p in 1 2 3 4 5 6; do
			echo "SELECT id, title FROM posts WHERE (created_at, id) > ('2026-01-01'::timestamptz + interval '$((p * 2000)) minutes', $((p * 2000))) ORDER BY created_at, id LIMIT 20;"
		done
	} | psql_db "$1"
}

EXPECT[neg_narrow]=""
case_neg_narrow() {
	for r in $(seq 1 6); do echo "SELECT id, c1 FROM wide WHERE id > $((r * 10)) ORDER BY id LIMIT 100;"; echo "$GAP"; done | psql_db "$1"
}

# a busy, distinct background: many backends, different arguments, one request each
EXPECT[neg_background]=""
case_neg_background() {
	local s
	for s in 1 2 3 4; do
		for k in $(seq $((s * 40)) $((s * 40 + 30))); do
			echo "SELECT name FROM users WHERE id = $k /*route='%2Fprofile',traceparent='$(tp $((1000 + k)))'*/;"
		done | psql_db "$1" &
	done
	wait
}
