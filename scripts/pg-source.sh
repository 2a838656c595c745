#!/usr/bin/env bash
# scripts/pg-source.sh — fetch and unpack Debian's PostgreSQL source (for its regression suite) of the
# installed server's major version into a cache outside the repository; prints the source tree's
# path.  Reuses an existing tree of that major.  Fetching needs root (apt-get update, deb-src lines);
# reusing a cached tree does not.
#   PG_SRC_CACHE (default /var/cache/pg_insights/src)
#   PGI_PGBIN    the server's bin directory (default /usr/lib/postgresql/15/bin): its pg_config
#                names the major version, so the package is postgresql-MAJOR
set -euo pipefail
cache=${PG_SRC_CACHE:-/var/cache/pg_insights/src}
pg_config=${PGI_PGBIN:-/usr/lib/postgresql/15/bin}/pg_config
[[ -x "$pg_config" ]] || pg_config=pg_config
# "PostgreSQL 17.6 (Debian 17.6-1)", "PostgreSQL 19rc1 (Debian 19~rc1-1)"
major=$("$pg_config" --version | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
[[ -n "$major" ]] || { echo "pg-source: no major version from $pg_config --version" >&2; exit 1; }
pkg=postgresql-$major

find_tree() {
	local d
	for d in "$cache"/"$pkg"-*/; do
		[[ -f "$d/src/test/regress/parallel_schedule" ]] && { echo "${d%/}"; return 0; }
	done
	return 1
}

if tree=$(find_tree); then echo "$tree"; exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
	echo "pg-source: no $pkg source in $cache, and fetching it needs root" >&2
	exit 1
fi
mkdir -p "$cache"

# the installed server's version should match the source's expected outputs
want=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)

# a deb-src entry mirroring the deb entries of the system's sources (in a version root that is the
# root's suite, and for 19 experimental too, where its postgresql-19 source lives)
src_list=/etc/apt/sources.list.d/pg_insights-src.sources
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
	&& ! grep -rqs '^deb-src ' /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null; then
	if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
		sed -e 's/^Types:.*deb\b.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src_list"
	else
		grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/pg_insights-src.list
	fi
	apt-get update -q >&2
elif [[ -z "$(apt-cache showsrc "$pkg" 2>/dev/null)" ]]; then
	apt-get update -q >&2
fi

cd "$cache"
# the installed version first, then any other source version apt knows (a security
# update's source can be missing on the mirror, sid moves on)
versions=("$want")
while read -r v; do [[ "$v" == "$want" ]] || versions+=("$v"); done \
	< <(apt-cache showsrc "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -rV)
got=0
for v in "${versions[@]}"; do
	[[ -n "$v" ]] || continue
	if apt-get source -q --download-only "$pkg=$v" >&2; then got=1; break; fi
	echo "pg-source: $pkg=$v not available, trying the next version" >&2
done
((got)) || { echo "pg-source: could not download the $pkg source" >&2; exit 1; }
dsc=$(ls -t "$pkg"_*.dsc | head -1)
dpkg-source --no-check -x "$dsc" >&2
# the tree is all a rerun needs
rm -f "$pkg"_*.tar.* "$pkg"_*.dsc
find_tree
