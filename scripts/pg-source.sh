#!/usr/bin/env bash
# scripts/pg-source.sh — fetch and unpack Debian's PostgreSQL 15 source (for its regression suite)
# into a cache outside the repository; prints the source tree's path.  Reuses an existing tree.
#   PG_SRC_CACHE (default /var/cache/pg_insights/src)
set -euo pipefail
cache=${PG_SRC_CACHE:-/var/cache/pg_insights/src}
mkdir -p "$cache"

find_tree() {
	local d
	for d in "$cache"/postgresql-15-*/; do
		[[ -f "$d/src/test/regress/parallel_schedule" ]] && { echo "${d%/}"; return 0; }
	done
	return 1
}

if tree=$(find_tree); then echo "$tree"; exit 0; fi

# the installed server's version should match the source's expected outputs
want=$(dpkg-query -W -f='${Version}' postgresql-15 2>/dev/null || true)

# a deb-src entry mirroring the deb entries of the system's sources
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
elif ! apt-cache showsrc postgresql-15 >/dev/null 2>&1 || [[ -z "$(apt-cache showsrc postgresql-15 2>/dev/null)" ]]; then
	apt-get update -q >&2
fi

cd "$cache"
# the installed version first, then any other source version apt knows (a security
# update's source can be missing on the mirror)
versions=("$want")
while read -r v; do [[ "$v" == "$want" ]] || versions+=("$v"); done \
	< <(apt-cache showsrc postgresql-15 2>/dev/null | awk '/^Version:/ {print $2}' | sort -rV)
got=0
for v in "${versions[@]}"; do
	[[ -n "$v" ]] || continue
	if apt-get source -q --download-only "postgresql-15=$v" >&2; then got=1; break; fi
	echo "pg-source: postgresql-15=$v not available, trying the next version" >&2
done
((got)) || { echo "pg-source: could not download the postgresql-15 source" >&2; exit 1; }
dsc=$(ls -t postgresql-15_*.dsc | head -1)
dpkg-source --no-check -x "$dsc" >&2
find_tree
