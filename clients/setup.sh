#!/bin/sh
# clients/setup.sh — install the pinned client libraries (npm ci --ignore-scripts, from
# package-lock.json) and generate the Prisma client, offline apart from the npm registry.
# Idempotent: npm ci only when package-lock.json changed since the last install, prisma generate
# only when schema.prisma or the lock file is newer than the generated client.
#   clients/setup.sh [--force]
set -eu
cd "$(dirname "$0")"
force=${1:-}

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.pgi-lock.sha256
if [ "$force" = --force ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
	# --ignore-scripts: no install scripts run (grpc, pulled in by the commenters' opencensus peer,
	# would try to build or download a native binary; nothing here needs it)
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	echo "$lock_sum" >"$stamp"
	rm -rf prisma/generated
fi

gen=prisma/generated/client.ts
if [ "$force" = --force ] || [ ! -f "$gen" ] || [ prisma/schema.prisma -nt "$gen" ] || [ package-lock.json -nt "$gen" ]; then
	# prisma generate wants a schema-engine binary and would download one: any existing executable
	# that exits 1 satisfies it (generate itself needs no engine).  No telemetry/update check.
	CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 PRISMA_SCHEMA_ENGINE_BINARY=/bin/false \
		node_modules/.bin/prisma generate --schema prisma/schema.prisma >prisma/.generate.log 2>&1 ||
		{ cat prisma/.generate.log >&2; exit 1; }
	rm -f prisma/.generate.log
	touch "$gen"
fi
