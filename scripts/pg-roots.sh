#!/usr/bin/env bash
# scripts/pg-roots.sh — one clean Debian root per PostgreSQL major version, from Debian's own archive,
# so one bookworm machine builds and tests pg_insights on the versions other suites ship without
# installing their binaries (and their newer libc) over the host.
#
#   scripts/pg-roots.sh [17|18|19|all]...        build each root, or reuse it when present (default all)
#   scripts/pg-roots.sh path NN                   print root NN's directory
#   scripts/pg-roots.sh run NN SRC [--] CMD...    run CMD (via bash -c when one word with spaces)
#                                                 inside root NN, SRC bind-mounted read-only at /src
#
#   17: trixie   18: sid   19: sid + experimental (19~rc1 at the time of writing)
#   Each root holds that suite's postgresql-NN, postgresql-server-dev-NN, postgresql-NN-hypopg and postgresql-NN-jit when
#   the suite has it, the build dependencies of scripts/install-deps.sh, and what the pgregress and
#   dashboard groups need (dpkg-dev for apt-get source, curl, valgrind, chromium).  The deb-src lines
#   are left to scripts/pg-source.sh (it mirrors the deb lines, 19: experimental's too, the first
#   time the pgregress group runs), so a root that never runs it never downloads the Sources indices.
#
# Roots live under $PGI_ROOTS_DIR (default /var/cache/pg_insights/roots)/pgNN.  A root counts as
# present when its stamp matches the package list below; a partial one (an interrupted build) is
# removed and built again.  Mounts (/proc, /dev, /dev/shm, the checkout) are made in a private mount
# namespace of their own (unshare), so nothing reaches the host's mount table and they all vanish
# when the command ends, however it ends; an EXIT trap unmounts them too.  Runs as root.
set -euo pipefail

ROOTS_DIR=${PGI_ROOTS_DIR:-/var/cache/pg_insights/roots}
MIRROR=${PGI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ALL_VERSIONS=(17 18 19)

# Build dependencies inside every root (the PostgreSQL ones are added per version).  clang and
# llvm come with postgresql-server-dev-NN (PGXS builds the JIT bitcode with them).  The last line
# is debian/'s Build-Depends (the package test): postgresql-server-dev-all follows the suite's
# default version, so the 19 root gets sid's 18 headers too; the test picks its version with
# PG_SUPPORTED_VERSIONS.
BUILD_PACKAGES=(
	libpq-dev libprotobuf-c-dev protobuf-c-compiler libcurl4-openssl-dev libmicrohttpd-dev
	libgnutls28-dev zlib1g-dev make gcc python3 iproute2 procps bc ca-certificates
	pgbouncer
	build-essential debhelper fakeroot postgresql-server-dev-all
	# pgregress: apt-get source unpacks with dpkg-source (dpkg-dev), the orig tarball is bzip2/xz
	dpkg-dev bzip2 xz-utils
	# dashboard: its suite drives curl, valgrind and a headless Chromium (Debian's, from the root's suite)
	curl valgrind chromium
)

suite_of() {
	case $1 in
	17) echo trixie ;;
	18 | 19) echo sid ;;
	*) echo "pg-roots: unknown version '$1' (versions: ${ALL_VERSIONS[*]})" >&2; return 1 ;;
	esac
}

root_of() { echo "$ROOTS_DIR/pg$1"; }

# the stamp records what the root was built with: change the list, the root is rebuilt
stamp_of() {
	printf '%s\n' "v2" "$(suite_of "$1")" "${BUILD_PACKAGES[*]}" "$MIRROR" | sha256sum | cut -c1-16
}

need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "pg-roots: must run as root" >&2
		exit 1
	fi
}

# in_root ROOT SRC CMD...: the command runs in a private mount namespace (see the header)
in_root() {
	local root=$1 src=$2
	shift 2
	unshare --mount --propagation private -- bash -c '
		set -e
		root=$1 src=$2
		shift 2
		mounted=()
		cleanup() {
			local i
			for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
		}
		trap cleanup EXIT
		mount -t proc proc "$root/proc" && mounted+=("$root/proc")
		mount --bind /dev "$root/dev" && mounted+=("$root/dev")
		mkdir -p "$root/dev/shm"
		mount -t tmpfs -o mode=1777,size=1g shm "$root/dev/shm" && mounted+=("$root/dev/shm")
		if [[ -n "$src" ]]; then
			mkdir -p "$root/src"
			mount --bind "$src" "$root/src" && mounted+=("$root/src")
			mount -o remount,bind,ro "$root/src"
		fi
		# the host'"'"'s Node.js (a bookworm binary runs on the newer libc of the roots), read-only, for
		# the groups that drive real clients; the root'"'"'s own packages stay as Debian ships them
		if [[ -x /usr/bin/node && -d /usr/lib/node_modules/npm ]]; then
			mkdir -p "$root/opt/host-node/bin" "$root/opt/host-node/lib/node_modules"
			touch "$root/opt/host-node/bin/node"
			mount --bind /usr/bin/node "$root/opt/host-node/bin/node" && mounted+=("$root/opt/host-node/bin/node")
			mount --bind /usr/lib/node_modules "$root/opt/host-node/lib/node_modules" &&
				mounted+=("$root/opt/host-node/lib/node_modules")
			ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$root/opt/host-node/bin/npm"
			ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$root/opt/host-node/bin/npx"
		fi
		cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
		# the host'"'"'s CA bundle for Node (npm), as it may hold a local proxy'"'"'s CA the root lacks
		ca=()
		if [[ -f /etc/ssl/certs/ca-certificates.crt && -d "$root/opt/host-node" ]]; then
			cp /etc/ssl/certs/ca-certificates.crt "$root/opt/host-node/ca-certificates.crt"
			ca=(NODE_EXTRA_CA_CERTS=/opt/host-node/ca-certificates.crt)
		fi
		rc=0
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin:/opt/host-node/bin HOME=/root LANG=C.UTF-8 \
			"${ca[@]}" \
			DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
		exit $rc
	' in_root "$root" "$src" "$@"
}

build_root() {
	local v=$1 suite root tmp stamp t0=$SECONDS
	suite=$(suite_of "$v")
	root=$(root_of "$v")
	stamp=$(stamp_of "$v")
	mkdir -p "$ROOTS_DIR"
	exec {lock}>"$ROOTS_DIR/pg$v.lock"
	flock "$lock"
	if [[ -f "$root/.pgi-stamp" && "$(cat "$root/.pgi-stamp")" == "$stamp" ]]; then
		echo "pg-roots: pg$v: reusing $root"
		flock -u "$lock"
		return 0
	fi
	command -v debootstrap >/dev/null || apt-get install -y -q --no-install-recommends debootstrap
	tmp=$root.new
	rm -rf --one-file-system "$root"
	# a base system that debootstrap finished is kept when the package step failed
	if [[ ! -f "$tmp/.pgi-base" ]]; then
		rm -rf --one-file-system "$tmp"
		echo "pg-roots: pg$v: debootstrap $suite into $root"
		if ! unshare --mount --propagation private -- debootstrap --variant=minbase --components=main \
			"$suite" "$tmp" "$MIRROR" >"$ROOTS_DIR/pg$v.log" 2>&1; then
			tail -20 "$ROOTS_DIR/pg$v.log" >&2
			echo "pg-roots: pg$v: debootstrap failed (log $ROOTS_DIR/pg$v.log)" >&2
			return 1
		fi
		touch "$tmp/.pgi-base"
	fi
	# no services started by package scripts, no default cluster, no recommends
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	mkdir -p "$tmp/etc/postgresql-common/createcluster.d"
	echo "create_main_cluster = false" >"$tmp/etc/postgresql-common/createcluster.d/pgi.conf"
	# the archive reached here may be a dated snapshot whose Release files are past Valid-Until
	printf '%s\n' 'APT::Install-Recommends "false";' 'APT::Install-Suggests "false";' \
		'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/90pgi"
	echo "deb $MIRROR $suite main" >"$tmp/etc/apt/sources.list"
	local pkgs=("${BUILD_PACKAGES[@]}" "postgresql-$v" "postgresql-server-dev-$v")
	if [[ $v == 19 ]]; then
		# only PostgreSQL itself from experimental; everything else stays sid's
		echo "deb $MIRROR experimental main" >>"$tmp/etc/apt/sources.list"
		pkgs=("${BUILD_PACKAGES[@]/#libpq-dev/libpq-dev/experimental}" libpq5/experimental
			postgresql-19/experimental postgresql-client-19/experimental
			postgresql-server-dev-19/experimental)
	fi
	if ! in_root "$tmp" "" bash -c '
		set -e
		v=$1
		shift
		apt-get update -q
		if apt-cache show "postgresql-$v-hypopg" >/dev/null 2>&1; then set -- "$@" "postgresql-$v-hypopg"; fi
		# from 18 on Debian ships the LLVM JIT provider apart (the JIT counters are tested)
		if apt-cache show "postgresql-$v-jit" >/dev/null 2>&1; then
			if [[ $v == 19 ]]; then set -- "$@" "postgresql-$v-jit/experimental"; else set -- "$@" "postgresql-$v-jit"; fi
		fi
		apt-get install -y -q "$@"
		apt-get clean
		rm -rf /var/lib/apt/lists/*_Packages /var/lib/apt/lists/*_Translation-*
	' pkgs "$v" "${pkgs[@]}" >>"$ROOTS_DIR/pg$v.log" 2>&1; then
		tail -20 "$ROOTS_DIR/pg$v.log" >&2
		echo "pg-roots: pg$v: package install failed (log $ROOTS_DIR/pg$v.log)" >&2
		return 1
	fi
	chroot "$tmp" dpkg-query -W -f='${Package} ${Version}\n' "postgresql-$v" "postgresql-server-dev-$v" \
		"postgresql-$v-hypopg" 2>/dev/null >"$tmp/.pgi-versions" || true
	echo "$stamp" >"$tmp/.pgi-stamp"
	mv "$tmp" "$root"
	flock -u "$lock"
	echo "pg-roots: pg$v: built in $((SECONDS - t0))s: $(tr '\n' ' ' <"$root/.pgi-versions")"
}

cmd=${1:-all}
case $cmd in
path)
	suite_of "$2" >/dev/null
	root_of "$2"
	;;
run)
	need_root
	v=$2 src=$3
	shift 3
	[[ ${1:-} == -- ]] && shift
	root=$(root_of "$v")
	[[ -f "$root/.pgi-stamp" ]] || { echo "pg-roots: no root for $v (run scripts/pg-roots.sh $v)" >&2; exit 1; }
	src=$(cd "$src" && pwd)
	if (($# == 1)) && [[ $1 == *' '* ]]; then set -- bash -c "$1"; fi
	in_root "$root" "$src" "$@"
	;;
*)
	need_root
	versions=("$@")
	((${#versions[@]})) || versions=(all)
	[[ " ${versions[*]} " == *" all "* ]] && versions=("${ALL_VERSIONS[@]}")
	rc=0
	for v in "${versions[@]}"; do
		suite_of "$v" >/dev/null || exit 2
		build_root "$v" || rc=1
	done
	exit $rc
	;;
esac
