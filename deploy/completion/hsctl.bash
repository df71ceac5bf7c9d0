# bash completion for hsctl: subcommands as `hsctl --help` lists them
# (so it follows the installed hsctl), then files.
_hsctl() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		local cmds
		cmds=$(hsctl --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
		mapfile -t COMPREPLY < <(compgen -W "$cmds --json --socket --help --version" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}
complete -F _hsctl hsctl
