#!/usr/bin/env bash
# test/versions/package.sh VERSION [--build-only] — the Debian package of the extension for one
# PostgreSQL major version, as a DBA gets it: debian/ built with dpkg-buildpackage (pg_buildext,
# PG_SUPPORTED_VERSIONS=VERSION) from a clean copy of the tree, then checked for what it holds
# (the .so, the control file, every sql/*.sql, its docs, nothing else: no collector, no dashboard)
# and what it depends on.  Unless --build-only: installed with apt-get install ./file.deb and
# used: a throwaway cluster preloads the packaged library, CREATE EXTENSION pg_insights, a
# statement run 3 times counts calls = 3; then purged.  Runs as root (dpkg).
#
# State: files a plain `make install` left where the package installs (in-root.sh installs the
# extension before the groups run) are moved aside first, so every file the server sees comes
# from the package, and put back after the purge; a package left by an interrupted run is purged
# first.  The host (15) runs --build-only: its PostgreSQL is shared with other test runs.
# Prints "package: P passed, F failed".
set -uo pipefail
v=$1
mode=${2:-}
ROOT=${PGI_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export PGI_PGBIN=/usr/lib/postgresql/$v/bin
source "$ROOT/test/lib/common.sh"
source "$ROOT/test/lib/cluster.sh"
pkg=postgresql-$v-pg-insights
work=$(mktemp -d "${TMPDIR:-/tmp}/pgi-package.XXXXXX")
aside=$work/aside
finish() {
	pgi_cluster_cleanup_all
	# put back what make install had installed, once the package is gone
	local f
	if [[ -d $aside ]] && ! dpkg -s "$pkg" >/dev/null 2>&1; then
		while read -r f; do
			mkdir -p "/$(dirname "$f")" && mv "$aside/$f" "/$f"
		done < <(cd "$aside" && find . -type f | sed 's|^\./||')
	fi
	rm -rf "$work"
}
trap finish EXIT

if [[ $(id -u) -ne 0 ]]; then
	pgi_fail "runs as root (dpkg)"
	pgi_summary package
	exit 1
fi
for tool in dpkg-buildpackage pg_buildext dh fakeroot; do
	if ! command -v "$tool" >/dev/null; then
		pgi_fail "$tool present" "install debhelper postgresql-server-dev-all dpkg-dev fakeroot (scripts/install-deps.sh)"
		pgi_summary package
		exit 1
	fi
done

# a clean copy: no objects of another version, no git metadata, nothing from an earlier build
src=$work/pg-insights
mkdir -p "$src"
(cd "$ROOT" && tar cf - --exclude=node_modules --exclude=.git --exclude='*.o' --exclude='*.bc' \
	--exclude='*.so' --exclude=./build --exclude=./out --exclude=./test/tools/pgi_exec .) |
	tar xf - -C "$src"
debver=$(cd "$src" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$work/${pkg}_${debver}_$arch.deb

t=$SECONDS
if (cd "$src" && PG_SUPPORTED_VERSIONS=$v dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 &&
	[[ -f $deb ]]; then
	pgi_pass "dpkg-buildpackage built $(basename "$deb") ($((SECONDS - t))s)"
else
	tail -25 "$work/build.log" | sed 's/^/    /'
	ls "$work"/*.deb 2>/dev/null | sed 's/^/    built: /'
	pgi_fail "dpkg-buildpackage built ${pkg}_${debver}_$arch.deb"
	[[ -n ${PGI_OUT:-} ]] && cp "$work/build.log" "$PGI_OUT/package-build.log"
	pgi_summary package
	exit 1
fi
# only this version's package (and its -dbgsym), whatever else the suite supports
others=$(cd "$work" && ls *.deb | grep -v "^${pkg}_\|^${pkg}-dbgsym_" | tr '\n' ' ')
pgi_expect_eq "no package for another version" "$others" ""

# the fields DBAs' apt reads
pgi_expect_eq "Package field" "$(dpkg-deb -f "$deb" Package)" "$pkg"
pgi_expect_eq "Version field" "$(dpkg-deb -f "$deb" Version)" "$debver"
depends=$(dpkg-deb -f "$deb" Depends)
if grep -Eq "(^|, )postgresql-$v( |,|$)" <<<"$depends"; then
	pgi_pass "depends on postgresql-$v ($depends)"
else
	pgi_fail "depends on postgresql-$v" "Depends: $depends"
fi

# exactly the extension's files: what make install puts in place for the extension, the bitcode
# PGXS adds when the server has JIT, and the docs
pkglib=usr/lib/postgresql/$v/lib
share=usr/share/postgresql/$v/extension
doc=usr/share/doc/$pkg
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./||' | sort >"$work/files"
{
	echo "$pkglib/pg_insights.so"
	echo "$share/pg_insights.control"
	for f in "$ROOT"/sql/pg_insights--*.sql; do echo "$share/$(basename "$f")"; done
	echo "$doc/README.md.gz"
	echo "$doc/changelog.Debian.gz"
	echo "$doc/copyright"
} | sort >"$work/expected"
grep -v "^$pkglib/bitcode/" "$work/files" >"$work/files.nobc"
if diff -u "$work/expected" "$work/files.nobc" >"$work/files.diff"; then
	pgi_pass "contents: the .so, the control file, $(ls "$ROOT"/sql/pg_insights--*.sql | wc -l) sql script(s), docs"
else
	sed 's/^/    /' "$work/files.diff" | head -20
	pgi_fail "contents are the extension's files only"
fi
# the bitcode, when there, is one .bc per object plus the index (never another module's)
nbc=$(grep -c "^$pkglib/bitcode/pg_insights/extension/.*\.bc$" "$work/files")
nsrc=$(ls "$ROOT"/extension/*.c | wc -l)
nother=$(grep "^$pkglib/bitcode/" "$work/files" | grep -vc "^$pkglib/bitcode/pg_insights\(/extension/[a-z_]*\.bc\|\.index\.bc\)$")
if ((nbc == 0 && $(grep -c "^$pkglib/bitcode/" "$work/files") == 0)) || ((nbc == nsrc && nother == 0)); then
	pgi_pass "bitcode: $nbc of $nsrc objects, nothing else"
else
	pgi_fail "bitcode" "$nbc .bc for $nsrc sources, $nother other files"
fi
if grep -Eq 'collector|dashboard|^usr/(s?bin|lib/systemd)/' "$work/files"; then
	pgi_fail "no collector, dashboard or daemon files" "$(grep -E 'collector|dashboard|^usr/(s?bin|lib/systemd)/' "$work/files" | head -3 | tr '\n' ' ')"
else
	pgi_pass "no collector, dashboard or daemon files"
fi
# the packaged .so is a PostgreSQL module with our entry points
dpkg-deb -x "$deb" "$work/pkgx"
syms=$(nm -D --defined-only "$work/pkgx/$pkglib/pg_insights.so" 2>/dev/null |
	awk '$3 == "Pg_magic_func" || $3 == "_PG_init" {print $3}' | sort | tr '\n' ' ')
pgi_expect_eq "packaged .so exports Pg_magic_func and _PG_init" "$syms" "Pg_magic_func _PG_init "

if [[ $mode == --build-only ]]; then
	pgi_summary package
	exit
fi

# --- install into a fresh state ---
dpkg -s "$pkg" >/dev/null 2>&1 && dpkg --purge "$pkg" >/dev/null 2>&1
# what the package holds and what it should hold: a file missing from the .deb must not be
# found where make install left it
sort -u "$work/files" "$work/expected" >"$work/files.all"
moved=0
while read -r f; do
	[[ -e /$f ]] || continue
	if dpkg -S "/$f" >/dev/null 2>&1; then
		pgi_fail "/$f not owned by another package" "$(dpkg -S "/$f" 2>&1)"
		continue
	fi
	mkdir -p "$aside/$(dirname "$f")"
	mv "/$f" "$aside/$f" && moved=$((moved + 1))
done <"$work/files.all"
left=$(while read -r f; do [[ -e /$f ]] && echo "/$f"; done <"$work/files.all")
pgi_expect_eq "none of the package's files present before it is installed ($moved moved aside)" "$left" ""

if apt-get install -y -q "$deb" >"$work/install.log" 2>&1; then
	pgi_pass "apt-get install ./$(basename "$deb")"
else
	tail -10 "$work/install.log" | sed 's/^/    /'
	pgi_fail "apt-get install ./$(basename "$deb")"
	pgi_summary package
	exit 1
fi
pgi_expect_eq "dpkg status" "$(dpkg-query -W -f='${Status} ${Version}' "$pkg")" "install ok installed $debver"
so=$("$PGI_PGBIN/pg_config" --pkglibdir)/pg_insights.so
pgi_expect_eq "dpkg -S $so" "$(dpkg -S "$so" 2>&1 | cut -d: -f1)" "$pkg"
ctl=$("$PGI_PGBIN/pg_config" --sharedir)/extension/pg_insights.control
pgi_expect_eq "dpkg -S $ctl" "$(dpkg -S "$ctl" 2>&1 | cut -d: -f1)" "$pkg"
# the files on disk are the package's bytes (md5sums)
pgi_expect_eq "dpkg --verify $pkg" "$(dpkg --verify "$pkg" 2>&1)" ""

# --- use it ---
if pgi_cluster_start "shared_preload_libraries = 'pg_insights'" "pg_insights.track = all" >"$work/cluster.log" 2>&1; then
	pgi_pass "server $v starts with shared_preload_libraries = 'pg_insights'"
	# the library the postmaster mapped is the packaged file
	pid=$(head -1 "$PGI_DATA/postmaster.pid")
	mapped=$(awk '$6 ~ /pg_insights\.so$/ {print $6}' "/proc/$pid/maps" | sort -u)
	pgi_expect_eq "postmaster maps $so" "$mapped" "$so"
	pgi_expect_eq "the mapped library belongs to $pkg" "$(dpkg -S "$mapped" 2>&1 | cut -d: -f1)" "$pkg"
	out=$(pgi_sql "CREATE EXTENSION pg_insights" 2>&1)
	pgi_expect_eq "CREATE EXTENSION pg_insights" "$out" ""
	pgi_expect_eq "extension version" "$(pgi_sql "SELECT extversion || ' ' || extnamespace::regnamespace FROM pg_extension WHERE extname = 'pg_insights'" 2>&1)" \
		"$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/pg_insights.control") insights"
	for _ in 1 2 3; do pgi_sql "SELECT 42 AS pkg_probe" >/dev/null; done
	pgi_expect_eq "a statement run 3 times: insights.queries calls" \
		"$(pgi_sql "SELECT query || ' ' || calls FROM insights.queries WHERE query LIKE '%pkg_probe%' AND query NOT LIKE '%insights%'" 2>&1)" \
		'SELECT $1 AS pkg_probe 3'
	pgi_expect_true "server log shows no crash" pgi_cluster_log_check
	pgi_cluster_destroy
else
	sed 's/^/    /' "$work/cluster.log" | tail -10
	pgi_fail "server $v starts with shared_preload_libraries = 'pg_insights'"
fi

# --- remove it: the files go with the package ---
if dpkg --purge "$pkg" >"$work/purge.log" 2>&1; then
	pgi_pass "dpkg --purge $pkg"
else
	pgi_fail "dpkg --purge $pkg" "$(tail -3 "$work/purge.log" | tr '\n' ' ')"
fi
left=$(while read -r f; do [[ -e /$f ]] && echo "/$f"; done <"$work/files")
pgi_expect_eq "purge removed every packaged file" "$left" ""
pgi_summary package
