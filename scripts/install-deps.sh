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
	zlib1g-dev
	clang
	valgrind
	make
	gcc
	dpkg-dev                    # apt-get source (PostgreSQL's regression suite)
)

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
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
