# test/lib/pgbouncer.sh — a real PgBouncer in transaction pooling mode in front of the current test
# cluster (test/lib/cluster.sh).  Source it after cluster.sh.
#
#   pgi_pgbouncer_start [pool_size]   start it (as the cluster owner, unix socket only) with
#                                     pool_mode = transaction and pool_size server connections
#                                     per database/user (default 3); sets PGI_BOUNCER_SOCK and
#                                     PGI_BOUNCER_PORT: point clients there instead of PGI_SOCK/PGI_PORT
#   pgi_pgbouncer_stop                stop it (also done on exit)

PGI_BOUNCER_BIN=${PGI_BOUNCER_BIN:-$(command -v pgbouncer || echo /usr/sbin/pgbouncer)}
PGI_BOUNCER_DIR=

pgi_pgbouncer_start() {
	local size=${1:-3} d
	if [[ ! -x "$PGI_BOUNCER_BIN" ]]; then
		echo "pgi_pgbouncer_start: pgbouncer not found (Debian package pgbouncer; scripts/install-deps.sh installs it)" >&2
		return 1
	fi
	d=$PGI_BASE/pgbouncer
	mkdir -p "$d"
	PGI_BOUNCER_PORT=$(pgi_free_port) || return 1
	PGI_BOUNCER_SOCK=$d
	# trust still looks the user up in auth_file
	printf '"%s" ""\n' "$PGI_SUPERUSER" >"$d/users.txt"
	cat >"$d/pgbouncer.ini" <<-INI
		[databases]
		* = host=$PGI_SOCK port=$PGI_PORT
		[pgbouncer]
		listen_addr =
		listen_port = $PGI_BOUNCER_PORT
		unix_socket_dir = $d
		auth_type = trust
		auth_file = $d/users.txt
		pool_mode = transaction
		default_pool_size = $size
		min_pool_size = 0
		reserve_pool_size = 0
		max_client_conn = 200
		server_reset_query =
		ignore_startup_parameters = extra_float_digits,options
		logfile = $d/pgbouncer.log
		pidfile = $d/pgbouncer.pid
	INI
	[[ $(id -u) -eq 0 ]] && chown -R "$PGI_SUPERUSER": "$d"
	if ! pgi_as_owner "$PGI_BOUNCER_BIN" -d "$d/pgbouncer.ini" >"$d/start.log" 2>&1; then
		echo "pgi_pgbouncer_start: pgbouncer failed to start:" >&2
		cat "$d/start.log" "$d/pgbouncer.log" >&2 2>/dev/null
		return 1
	fi
	for _ in $(seq 1 50); do
		[[ -S "$d/.s.PGSQL.$PGI_BOUNCER_PORT" ]] && { PGI_BOUNCER_DIR=$d; return 0; }
		sleep 0.1
	done
	echo "pgi_pgbouncer_start: no socket after 5 s:" >&2
	cat "$d/pgbouncer.log" >&2 2>/dev/null
	return 1
}

pgi_pgbouncer_stop() {
	local pid
	[[ -n "$PGI_BOUNCER_DIR" && -f "$PGI_BOUNCER_DIR/pgbouncer.pid" ]] || return 0
	pid=$(cat "$PGI_BOUNCER_DIR/pgbouncer.pid")
	kill -INT "$pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	PGI_BOUNCER_DIR=
}

# stop it before the clusters go
trap 'pgi_pgbouncer_stop; pgi_cluster_cleanup_all' EXIT
