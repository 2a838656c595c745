#!/usr/bin/env bash
# scripts/install-deps.sh — install what pg_insights' build and tests need on Debian bookworm.
# Idempotent: when every package is already installed it does nothing (no apt-get update).
# Run as root (CI and developer machines run as root).
set -euo pipefail

# One package per line; add new ones here.
PACKAGES=(
	postgresql-15               # server, contrib (pg_stat_statements, auto_explain), pgbench
	postgresql-client-15        # psql, pg_regress (pgxs)
	postgresql-server-dev-15    # PGXS, server headers
	postgresql-15-hypopg
	libpq-dev
	libprotobuf-c-dev
	protobuf-c-compiler
	libcurl4-openssl-dev
	libmicrohttpd-dev
	libgnutls28-dev             # SHA-256 of the dashboard's API keys
	zlib1g-dev
	clang
	valgrind
	make
	gcc
	dpkg-dev                    # apt-get source (PostgreSQL's regression suite)
	chromium                    # dashboard browser tests (headless, driven by playwright-core)
	bc
	gdb                         # concurrency: a backend held inside an event write
	debootstrap                 # versions: a Debian root per PostgreSQL major (scripts/pg-roots.sh)
	pgbouncer                   # detection: transaction pooling in front of the test server
	debhelper                   # versions: the Debian package (debian/, dpkg-buildpackage)
	postgresql-server-dev-all   # pg_buildext and the dh pgxs addon
	fakeroot
)

# Node.js >= 20.19 with npm: Prisma 7 (clients/) and the dashboard's front-end build need it.
# Debian bookworm's own nodejs is 18; the machines here carry NodeSource's 20.x.
node_ok() {
	command -v node >/dev/null && command -v npm >/dev/null &&
		node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'
}
check_node() {
	node_ok && return 0
	[[ $(id -u) -eq 0 ]] && apt-get install -y -q --no-install-recommends nodejs npm || true
	node_ok || { echo "install-deps: Node.js >= 20.19 with npm is required (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; }
}

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	check_node
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps: missing packages (${missing[*]}) and not root" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Update the lists only when a package cannot be found in the current ones.
need_update=0
for p in "${missing[@]}"; do
	cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
	if [[ -z "$cand" || "$cand" == "(none)" ]]; then need_update=1; break; fi
done
if ((need_update)) || [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]]; then
	apt-get update -q
fi
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	# stale package lists (a version vanished from the mirror): refresh once and retry
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

check_node
