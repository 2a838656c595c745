#!/usr/bin/env bash
# test/versions/in-root.sh VERSION — runs inside a root of scripts/pg-roots.sh (as root there), with
# the checkout at /src (read-only): copies it to /build, builds the extension, the collector and the
# dashboard against that root's PostgreSQL and libraries (-Werror), installs the extension, then runs
# as the postgres user: the regress group, the shape corpus, coexist (that version's
# pg_stat_statements), clients (Prisma 7, knex, sequelize; the host's Node.js), collector, detection,
# pgregress (that version's own regression suite with and without pg_insights), dashboard (its
# repository on that version's server, the root's Chromium for the page); and, as root, package
# (test/versions/package.sh: the .deb of debian/ built, installed, used, purged).
#   PGI_VERSION_GROUPS="regress shapes"   only these (default: all of the above)
# Prints "<part>: N passed, N failed" lines, each with its time; test/groups/versions.sh adds them up.
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
if make >build.log 2>&1 && make install >>build.log 2>&1 &&
	make -C test/tools >>build.log 2>&1; then
	echo "build: 1 passed, 0 failed ($((SECONDS - t))s, $(pg_config --version))"
else
	tail -30 build.log
	echo "build: 0 passed, 1 failed"
	exit 1
fi
mkdir -p /build/out
chown -R postgres: /build
as_postgres() {
	runuser -u postgres -- env PATH="$PATH" HOME=/tmp LANG=C.UTF-8 PGI_ROOT=/build ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"} \
		PGI_PGBIN="$bin" PGI_OUT=/build/out ${PGI_REGRESS_TESTS:+PGI_REGRESS_TESTS="$PGI_REGRESS_TESTS"} \
		PGI_PGREGRESS_BUILD="/var/cache/pg_insights/regress-build-$v" "$@"
}
groups=${PGI_VERSION_GROUPS:-regress shapes coexist clients collector detection pgregress dashboard package}
# pgregress needs this version's PostgreSQL source, and apt-get source needs root while the groups
# run as postgres: fetch it here, once per root (scripts/pg-source.sh keeps the unpacked tree in the
# root's /var/cache/pg_insights/src, which outlives /build), rather than in scripts/pg-roots.sh, so a
# root that never runs pgregress never downloads it and the root's stamp stays the package list.
# regress.so and the spi modules are built by postgres into a directory of the root's cache too.
if [[ " $groups " == *" pgregress "* ]]; then
	t=$SECONDS
	if srcdir=$(PGI_PGBIN=$bin bash /build/scripts/pg-source.sh 2>/build/out/pg-source.log); then
		mkdir -p "/var/cache/pg_insights/regress-build-$v"
		chown postgres: "/var/cache/pg_insights/regress-build-$v"
		echo "source: 1 passed, 0 failed ($((SECONDS - t))s, $srcdir)"
	elif grep -q 'could not download the' /build/out/pg-source.log &&
		grep -q '404  Not Found' /build/out/pg-source.log; then
		# the archive lists the source but does not serve it (seen for trixie's 17.12 and
		# experimental's 19~rc1): nothing here can run the suite; said, not counted as passed
		tail -3 /build/out/pg-source.log
		echo "  pgregress: not run on pg$v (the archive did not serve the postgresql-$v source)"
		groups=" $groups "
		groups=${groups// pgregress / }
	else
		tail -5 /build/out/pg-source.log
		echo "source: 0 passed, 1 failed ($((SECONDS - t))s, apt-get source postgresql-$v)"
	fi
fi
for g in $groups; do
	t=$SECONDS
	case $g in
	regress | coexist) cmd=(bash test/groups/$g.sh) ;;
	shapes) cmd=(bash test/versions/shapes.sh) ;;
	pgregress) cmd=(bash test/groups/pgregress.sh) ;;
	clients | collector | detection | dashboard) cmd=(bash test/$g/run.sh) ;;
	package) cmd=() ;;
	*) echo "$g: 0 passed, 1 failed (unknown group)"; continue ;;
	esac
	echo "== pg$v $g"
	if [[ $g == package ]]; then
		# dpkg needs root; it builds from the pristine /src, and puts make install's files back
		env PGI_ROOT=/src PGI_OUT=/build/out timeout -k 10 900 bash /src/test/versions/package.sh "$v" \
			>"/build/out/$g.log" 2>&1
	else
		as_postgres timeout -k 10 900 "${cmd[@]}" >"/build/out/$g.log" 2>&1
	fi
	rc=$?
	grep -E '^(  )?(ok|FAIL|not ok)' "/build/out/$g.log" | grep -v '^ *ok' | head -20
	# the group's own count line; a group that died without one counts as a failure
	if ! grep -qE "^ *[A-Za-z0-9_./-]+: [0-9]+ passed, [0-9]+ failed" "/build/out/$g.log"; then
		tail -5 "/build/out/$g.log"
		echo "$g: 0 passed, 1 failed (exit $rc, no count)"
	fi
	grep -E "^ *$g: [0-9]+ passed, [0-9]+ failed" "/build/out/$g.log" | tail -1 | sed "s/^ *//; s/\$/ ($((SECONDS - t))s)/"
done
