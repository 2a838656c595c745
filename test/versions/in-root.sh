#!/usr/bin/env bash
# test/versions/in-root.sh VERSION — runs inside a root of scripts/pg-roots.sh (as root there), with
# the checkout at /src (read-only): copies it to /build, builds and installs the extension for that
# root's PostgreSQL, then runs the regress group and the shape corpus as the postgres user.
# Prints "<part>: N passed, N failed" lines; test/groups/versions.sh adds them up.
set -uo pipefail
v=$1
bin=/usr/lib/postgresql/$v/bin
export PATH=$bin:$PATH
rm -rf /build
mkdir -p /build
# a copy without the host's build products (objects of another version)
(cd /src && tar cf - --exclude=node_modules --exclude=.git --exclude='*.o' --exclude='*.bc' \
	--exclude='*.so' --exclude=./test/tools/pgi_exec .) | tar xf - -C /build
cd /build
t=$SECONDS
if make PGI_DAEMONS= >build.log 2>&1 && make PGI_DAEMONS= install >>build.log 2>&1 &&
	make -C test/tools >>build.log 2>&1; then
	echo "build: 1 passed, 0 failed ($((SECONDS - t))s, $(pg_config --version))"
else
	tail -30 build.log
	echo "build: 0 passed, 1 failed"
	exit 1
fi
mkdir -p /build/out
chown -R postgres: /build/out
as_postgres() {
	runuser -u postgres -- env PATH="$PATH" HOME=/tmp LANG=C.UTF-8 PGI_ROOT=/build \
		PGI_PGBIN="$bin" PGI_OUT=/build/out ${PGI_REGRESS_TESTS:+PGI_REGRESS_TESTS="$PGI_REGRESS_TESTS"} "$@"
}
as_postgres bash test/groups/regress.sh
if [[ -f test/versions/shapes.sh ]]; then
	as_postgres bash test/versions/shapes.sh
fi
