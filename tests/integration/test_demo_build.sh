#!/usr/bin/env bash
# deploy/demo on a tree with no build yet, as a new user runs it: it must
# show progress while it installs and builds (a silent first build looks
# like a hang), and build without the tests.  --build stops after that;
# test_demo runs the rest.
source "$(dirname "$0")/../lib.sh"

src=$T_DIR/src
mkdir -p "$src"
# A copy of the tracked files only, so no build directory comes along.
git -C "$HSD_SOURCE" ls-files -z | (cd "$HSD_SOURCE" && tar --null -T - -cf -) | tar -xf - -C "$src"

# Each line stamped when it arrives (ns), to tell streamed from buffered.
out=$T_DIR/demo.out
(cd /tmp && env -u HSD_BUILD "$src/deploy/demo" --build 2>&1) |
	while IFS= read -r l; do printf '%s %s\n' "$(date +%s%N)" "$l"; done >"$out"
rc=${PIPESTATUS[0]}
check "deploy/demo --build exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || tail -30 "$out"
check "it says it installs" grep -q ' == Installing what is missing' "$out"
check "deploy/setup reports what it did" grep -qE ' deploy/setup: (all [0-9]+ packages present|done)$' "$out"
check "it says it builds, without the tests" grep -q ' == Building hsd (build/, without the tests)' "$out"
check "the build reports at least 5 targets" bash -c "[ \$(grep -cE ' \[ *[0-9]+%\] Built target ' $out) -ge 5 ]"
# Streamed: the first target is shown well before the build ends.
first=$(awk '/\] Built target / { print $1; exit }' "$out")
last=$(awk '/ == Built: / { print $1 }' "$out")
check "the first target shows at least 2 s before the build ends" \
	bash -c "[ -n '$first' ] && [ -n '$last' ] && [ \$(( ($last - $first) / 1000000 )) -ge 2000 ]"
check "hsd, hsctl, hsinit, hstrace and hsengine are built" bash -c \
	"for b in hsd/hsd hsd/hsctl hsd/hsinit hsd/hstrace hsd/hsengine; do [ -x '$src/build/'\$b ] || exit 1; done"
check "no test is built" [ ! -e "$src/build/tests" ]
check "no simulated host was started" bash -c "! ip netns list | grep -q '^hs-demo'"
T_PATTERN="unknown option '--bogus'" expect_exit 2 "an unknown option is refused" "$src/deploy/demo" --bogus
t_done
