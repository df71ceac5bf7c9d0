#!/usr/bin/env bash
# README.md as a new user reads it in a root shell: no command says sudo
# (a fresh Debian has none), every hsctl command it names exists, and its
# example spaces work as written on a simulated host.
source "$(dirname "$0")/../lib.sh"

cd "$HSD_SOURCE"
readme_cmds() { grep -E '^    ' README.md | sed 's/^    //'; }

check "no command in README, docs or scripts is run with sudo" bash -c \
	"! grep -nE '(^|[\`(\$ ])sudo +[a-z./~-]' README.md docs/*.md deploy/demo deploy/setup deploy/sim tests/run tests/bench/run"
setup_cmds() { awk '/^## Set up/ { on = 1; next } /^## / { on = 0 } on && /^    / { print $1 }' README.md | tr '\n' ' '; }
check "Set up holds exactly two commands, deploy/demo and tests/run" [ "$(setup_cmds)" = "deploy/demo tests/run " ]
for w in $(readme_cmds | grep -oE '^hsctl [a-z]+' | sort -u | cut -d' ' -f2); do
	check "README's hsctl $w exists (--help)" "$HSCTL" "$w" --help
done

# The spaces of "Run servers and the IDS that watch them", word for word.
sim up "$HSD_SOURCE/deploy/examples/three.json" >/dev/null
web=$(readme_cmds | grep -E '^hsctl space create web ' | sed 's/ *#.*//')
aide=$(readme_cmds | grep -E '^hsctl space create aide ' | sed 's/ *#.*//')
views=$(readme_cmds | grep -E '^hsctl space exec aide -- ls ' | sed 's/ *#.*//')
check "README's web space is created" on a bash -c "$web"
check "... and serves on the host's port 80 (seen from host b)" wait_until 15 bash -c \
	"$SIM --id $T_ID exec b -- curl -sf --max-time 2 http://192.0.2.1/ | grep -qi 'directory listing'"
check "... and space list shows it running" bash -c "$SIM --id $T_ID exec a -- hsctl space list | grep -E '^web ' | grep -q 'running\$'"
check "README's aide space is created" on a bash -c "$aide"
check "... and sees web's files as README shows" on a bash -c "$views"
check "README's reload runs (nothing changed: exit 0)" on a hsctl reload
t_done
