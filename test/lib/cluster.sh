# test/lib/cluster.sh — throwaway PostgreSQL 15 clusters for pg_insights' tests.  Source it.
#
#   pgi_cluster_start [setting ...]   initdb into a fresh temp dir and start a server; each
#                                     setting is a postgresql.conf line, e.g.
#                                     "shared_preload_libraries = 'pg_insights'"
#   pgi_psql [psql args ...]          psql -X against it (ON_ERROR_STOP is not set)
#   pgi_sql "SQL"                     run SQL, print unaligned tuples-only output
#   pgi_cluster_restart [mode]        pg_ctl restart (-m fast by default)
#   pgi_cluster_stop [mode]           pg_ctl stop
#   pgi_cluster_set "setting" ...     append postgresql.conf lines (take effect at next restart)
#   pgi_cluster_log_check             fail (and print the lines) if the server log shows a crash
#   pgi_cluster_destroy               stop it (immediate) and remove its directory
#
# After pgi_cluster_start: PGI_BASE (temp dir), PGI_DATA (data dir), PGI_SOCK (socket dir),
# PGI_PORT, PGI_LOG (server log), PGI_SUPERUSER.  Only one cluster is "current" at a time, but
# every cluster started is destroyed on exit (pgi_cluster_cleanup_all runs from an EXIT trap).
# These functions only ever touch directories they created.

PGI_PGBIN=${PGI_PGBIN:-/usr/lib/postgresql/15/bin}
PGI_CLUSTERS=()
PGI_CRASH_RE='TRAP:|PANIC:|server process .* was terminated|terminated by signal|was terminated by exception|Assertion .* failed|segmentation fault'

# Run a server-side program as the cluster owner (postgres when we are root).
pgi_as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pgi_ensure_postgres_user() {
	[[ $(id -u) -eq 0 ]] || return 0
	getent passwd postgres >/dev/null && return 0
	getent group postgres >/dev/null || groupadd --system postgres
	useradd --system --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

pgi_free_port() {
	local p used
	used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 30000))
		grep -qx "$p" <<<"$used" && continue
		# no socket file of anybody's cluster under the usual places either
		[[ -e /tmp/.s.PGSQL.$p || -e /var/run/postgresql/.s.PGSQL.$p ]] && continue
		echo "$p"
		return 0
	done
	echo "pgi_free_port: no free port found" >&2
	return 1
}

pgi_cluster_start() {
	pgi_ensure_postgres_user
	PGI_BASE=$(mktemp -d "${TMPDIR:-/tmp}/pgi-cluster.XXXXXX") || return 1
	PGI_CLUSTERS+=("$PGI_BASE")
	chmod 755 "$PGI_BASE"
	PGI_DATA=$PGI_BASE/data
	PGI_SOCK=$PGI_BASE/sock
	PGI_LOG=$PGI_BASE/server.log
	mkdir -p "$PGI_SOCK"
	touch "$PGI_LOG"
	if [[ $(id -u) -eq 0 ]]; then
		chown -R postgres: "$PGI_BASE"
		PGI_SUPERUSER=postgres
	else
		PGI_SUPERUSER=$(id -un)
	fi
	PGI_PORT=$(pgi_free_port) || return 1
	if ! pgi_as_owner "$PGI_PGBIN/initdb" -D "$PGI_DATA" -U "$PGI_SUPERUSER" --auth=trust \
		--no-locale -E UTF8 --no-sync >"$PGI_BASE/initdb.log" 2>&1; then
		echo "pgi_cluster_start: initdb failed:" >&2
		cat "$PGI_BASE/initdb.log" >&2
		return 1
	fi
	{
		echo "# --- pgi test harness ---"
		echo "port = $PGI_PORT"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$PGI_SOCK'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "max_connections = 40"
		echo "shared_buffers = 128MB"
		echo "log_line_prefix = '%m [%p] '"
		echo "lc_messages = 'C'"
		echo "# --- settings of this test ---"
	} | pgi_as_owner tee -a "$PGI_DATA/postgresql.conf" >/dev/null
	pgi_cluster_set "$@"
	export PGHOST=$PGI_SOCK PGPORT=$PGI_PORT PGUSER=$PGI_SUPERUSER PGDATABASE=postgres
	unset PGHOSTADDR PGSERVICE PGPASSWORD || true
	pgi_ctl start
}

pgi_cluster_set() {
	local s
	for s in "$@"; do
		echo "$s" | pgi_as_owner tee -a "$PGI_DATA/postgresql.conf" >/dev/null
	done
}

# pgi_ctl start|stop|restart [pg_ctl args]
pgi_ctl() {
	local action=$1
	shift
	if ! pgi_as_owner "$PGI_PGBIN/pg_ctl" -D "$PGI_DATA" -l "$PGI_LOG" -w -t 60 "$action" "$@" \
		>>"$PGI_BASE/pg_ctl.log" 2>&1; then
		echo "pgi_ctl: pg_ctl $action failed; server log tail:" >&2
		tail -20 "$PGI_LOG" >&2
		return 1
	fi
}

pgi_cluster_restart() { pgi_ctl restart -m "${1:-fast}"; }
pgi_cluster_stop() { pgi_ctl stop -m "${1:-fast}"; }

pgi_cluster_running() {
	[[ -n "${PGI_DATA:-}" ]] && pgi_as_owner "$PGI_PGBIN/pg_ctl" -D "$PGI_DATA" status >/dev/null 2>&1
}

pgi_psql() {
	"$PGI_PGBIN/psql" -X -q -h "$PGI_SOCK" -p "$PGI_PORT" -U "$PGI_SUPERUSER" "$@"
}

# pgi_sql "SQL" [psql args]: tuples only, unaligned, stop on error
pgi_sql() {
	local sql=$1
	shift
	pgi_psql -At -v ON_ERROR_STOP=1 -d "${PGI_DB:-postgres}" "$@" -c "$sql"
}

pgi_cluster_log_check() {
	local log=${1:-$PGI_LOG}
	if grep -Eq "$PGI_CRASH_RE" "$log"; then
		echo "server log $log shows a crash:" >&2
		grep -E "$PGI_CRASH_RE" "$log" | head -20 >&2
		return 1
	fi
	return 0
}

# pgi_cluster_destroy [base]: stop immediately and remove; only for clusters we created
pgi_cluster_destroy() {
	local base=${1:-${PGI_BASE:-}} b keep=()
	[[ -n "$base" ]] || return 0
	for b in "${PGI_CLUSTERS[@]}"; do
		[[ "$b" == "$base" ]] || keep+=("$b")
	done
	if ((${#keep[@]} == ${#PGI_CLUSTERS[@]})); then
		echo "pgi_cluster_destroy: $base is not ours, leaving it alone" >&2
		return 1
	fi
	PGI_CLUSTERS=("${keep[@]}")
	if [[ -f "$base/data/postmaster.pid" ]]; then
		pgi_as_owner "$PGI_PGBIN/pg_ctl" -D "$base/data" stop -m immediate -w >/dev/null 2>&1 || true
	fi
	if [[ -n "${PGI_KEEP:-}" ]]; then
		echo "PGI_KEEP set: leaving $base" >&2
	else
		rm -rf "$base"
	fi
	if [[ "${PGI_BASE:-}" == "$base" ]]; then
		PGI_BASE= PGI_DATA= PGI_SOCK= PGI_PORT= PGI_LOG=
	fi
}

pgi_cluster_cleanup_all() {
	local b
	for b in "${PGI_CLUSTERS[@]}"; do
		pgi_cluster_destroy "$b"
	done
}

trap pgi_cluster_cleanup_all EXIT
