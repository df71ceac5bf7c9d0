#!/usr/bin/env bash
# bench_overlay - what each choice in the stack of a server's overlay costs
# a file-integrity walk, outside hsd: the stack rebuilt by hand as
# rootfs.c mounts it (an ext4 loop image holding the upper layer and a
# mask layer, the host's root idmapped as the base) and variants of it,
# timed with bench_walk (ns per file: lstat of the full path, open + read
# + close; readdir per directory) against the same tree natively.
#
#   plain bind     the host's root bound, no overlay (the native figure
#                  through a mount point, so path lengths match)
#   idmapped bind  the same, idmapped as hsd idmaps the base
#   hsd            lowerdir=mask:idmapped base, redirect_dir=follow
#   then hsd's stack with one thing changed: a plain base, no mask layer
#   (one lower layer), xino=on, redirect_dir=nofollow, uuid=null,
#   default_permissions, index=on.  (metacopy=on cannot be mounted with
#   redirect_dir=follow, which the mask needs.)
#
# Warm (the median of ROUNDS passes after a warm-up, roots alternated in
# one process) and cold (dentries and inodes dropped before each root's
# single pass: echo 2 > drop_caches, which touches the whole machine),
# with the upper layers empty and after CHANGED% of the files were
# rewritten through each overlay (copied up, their directories merged).
# Runs in a private mount namespace; everything is removed at exit.
# Usage: tests/bench/bench_overlay.sh [FILES] [ROUNDS] [CHANGED]
#        (default 5000 files, 7 rounds, 10%)
set -Eeuo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")/../.."
build=${HSD_BUILD:-$PWD/build}
FILES=${1:-5000}
ROUNDS=${2:-7}
CHANGED=${3:-10}
WALK=$build/tests/bench/bench_walk
[ -x "$WALK" ] || { echo "bench_overlay: no $WALK (build first)" >&2; exit 2; }

if [ "${BENCH_OVERLAY_INNER:-}" != 1 ]; then
	id=hs-ovl-$$-$RANDOM
	W=/tmp/$id
	REL=usr/local/share/$id
	mkdir -p "$W"
	trap 'rm -rf "/$REL" "$W"' EXIT
	source tests/bench/bench_lib.sh
	bench_tree "/$REL" "$FILES"
	truncate -s 2G "$W/img"
	mkfs.ext4 -q -F "$W/img"
	BENCH_OVERLAY_INNER=1 W=$W REL=$REL unshare -m --propagation private bash "$self" "$@"
	exit
fi

# Inside the private mount namespace: nothing mounted here outlives it.
mkdir -p "$W/l" "$W/bidm" "$W/bplain"
mount -o loop "$W/img" "$W/l"
# A mask layer like basemask.c's at the top: an opaque etc, a skeleton
# var, whiteouts for other top-level entries; nothing under usr.
mkdir -p "$W/l/mask/etc" "$W/l/mask/var"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' "$W/l/mask/etc"
for x in boot srv opt home root; do mknod "$W/l/mask/$x" c 0 0; done
mount --bind / "$W/bplain"
# The idmapped base as rootfs.c makes it: a clone of / idmapped through a
# user namespace that maps 0-65535 to 100000-165535.  (util-linux's
# X-mount.idmap, used here before, needs 2.39; Debian 12's 2.38 ignored it
# without a word and the "idmapped" base was a plain bind.)
unshare --user sleep 600 &
uns=$!
sleep 0.3
echo "0 100000 65536" >"/proc/$uns/uid_map"
echo "0 100000 65536" >"/proc/$uns/gid_map"
python3 - / "$W/bidm" "/proc/$uns/ns/user" <<'PYEOF2' || { kill "$uns"; exit 1; }
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def check(rc, what):
    if rc < 0:
        sys.exit("bench_overlay: %s: %s" % (what, os.strerror(ctypes.get_errno())))
    return rc
# open_tree(OPEN_TREE_CLONE|CLOEXEC), mount_setattr(MOUNT_ATTR_IDMAP), move_mount
fd = check(libc.syscall(428, -100, sys.argv[1].encode(), 1 | 0o2000000), "open_tree")
attr = struct.pack("QQQQ", 0x00100000, 0, 0, os.open(sys.argv[3], os.O_RDONLY))
check(libc.syscall(442, fd, b"", 0x1000, ctypes.create_string_buffer(attr, len(attr)), len(attr)),
      "mount_setattr")
check(libc.syscall(429, fd, b"", -100, sys.argv[2].encode(), 4), "move_mount")
PYEOF2
kill "$uns"
grep -q " $W/bidm .*idmapped" /proc/self/mountinfo || { echo "bench_overlay: $W/bidm is not idmapped" >&2; exit 1; }

names=() roots=()
variant() { # variant NAME OPTIONS: mount an overlay of hsd's shape with OPTIONS
	local i=${#names[@]}
	mkdir -p "$W/l/up$i" "$W/l/wk$i" "$W/o$i"
	if mount -t overlay overlay -o "$2,upperdir=$W/l/up$i,workdir=$W/l/wk$i" "$W/o$i" 2>/dev/null; then
		names+=("$1") roots+=("$W/o$i")
	else
		printf '%-22s cannot be mounted (dmesg says why)\n' "$1"
	fi
}
M=$W/l/mask B=$W/bidm
variant hsd "lowerdir=$M:$B,redirect_dir=follow"
variant "plain base" "lowerdir=$M:$W/bplain,redirect_dir=follow"
variant "no mask layer" "lowerdir=$B,redirect_dir=follow"
variant "xino=on" "lowerdir=$M:$B,redirect_dir=follow,xino=on"
variant "redirect_dir=nofollow" "lowerdir=$M:$B,redirect_dir=nofollow"
variant "uuid=null" "lowerdir=$M:$B,redirect_dir=follow,uuid=null"
variant "default_permissions" "lowerdir=$M:$B,redirect_dir=follow,default_permissions"
variant "index=on" "lowerdir=$M:$B,redirect_dir=follow,index=on"
printf 'hsd variant as mounted: %s\n' "$(awk -v r="${roots[0]}" '$2 == r { print $4 }' /proc/self/mounts |
	tr ',' '\n' | grep -v -E '^(lowerdir|upperdir|workdir)=' | paste -sd,)"

label() { # label ROOT: the variant's name
	local i
	[ "$1" = "$W/bplain" ] && { echo "plain bind (native)"; return; }
	[ "$1" = "$W/bidm" ] && { echo "idmapped bind"; return; }
	for i in "${!roots[@]}"; do [ "${roots[i]}" = "$1" ] && echo "${names[i]}"; done
}
table() { # table TITLE: warm, then cold, for every root
	local r line
	printf '\n%s (ns per file; readdir per directory)\n%-24s %8s %10s %9s   %8s %10s %9s\n' "$1" "" \
		"lstat" "open+read" readdir "cold lst" "cold o+r" "cold rdd"
	# Warm: all roots alternated in one process, native first and last.
	"$WALK" "$ROUNDS" "$REL" "$W/bplain" "$W/bidm" "${roots[@]}" >"$W/warm"
	for r in "$W/bplain" "$W/bidm" "${roots[@]}"; do
		sync
		echo 2 >/proc/sys/vm/drop_caches
		line=$("$WALK" 0 "$REL" "$r")
		printf '%-24s %8s %10s %9s   %8s %10s %9s\n' "$(label "$r")" \
			$(awk -v r="$r" '$1 == r { print $2, $3, $4 }' "$W/warm") $(awk '{ print $2, $3, $4 }' <<<"$line")
	done
}
table "upper layers empty"
want=$((FILES * CHANGED / 100))
for r in "${roots[@]}"; do
	n=0
	for f in "$r/$REL"/d*/f*; do
		[ $n -ge $want ] && break
		echo x >>"$f"
		n=$((n + 1))
	done
done
table "$CHANGED% ($want) of the files copied up in each overlay"
printf '\nmachine load (1, 5, 15 min): %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
