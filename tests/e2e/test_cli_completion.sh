#!/usr/bin/env bash
# test_cli_completion.sh - `stagectl completion bash` (issue 17): the script
# loads in bash and completes commands, subcommands and options as the help
# texts name them, and leaves arguments to bash's file completion. No
# server: completion is offline.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init cli_completion

check_rc "completion bash" 0 "$STAGECTL" completion bash
printf '%s\n' "$OUT" >"$T/stagectl.bash"
check_rc "the script is valid bash" 0 bash -n "$T/stagectl.bash"
check_rc "completion zsh is a usage error" 2 "$STAGECTL" completion zsh
check_rc "completion --help" 0 "$STAGECTL" completion --help
check_contains "... says how to load it" "$OUT" "source <(stagectl completion bash)"

# comp WORD... : what the completion offers for the command line "stagectl WORD...",
# the last word being the one under the cursor; sorted, space-separated.
comp() {
  bash -c '. "$1"; shift
    COMP_WORDS=(stagectl "$@"); COMP_CWORD=$#
    complete -p stagectl >/dev/null || exit 3
    _stagectl
    printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | xargs' _ "$T/stagectl.bash" "$@"
}
check_eq "commands starting with 'c'" "cat completion cp" "$(comp c)"
check_eq "commands starting with 'gr'" "grant grants" "$(comp gr)"
check_eq "job subcommands" "cancel get list results watch" "$(comp job '')"
check_eq "stage subcommands starting with 'd'" "desc drop" "$(comp stage d)"
check_eq "a global option before the command" "--profile" "$(comp --pro)"
check_eq "the value of --server is not the command" "cancel get list results watch" \
  "$(comp --server h:1 job '')"
check_eq "put's options starting with --re" "--recursive --resume" "$(comp put a.csv --re)"
check_eq "rm --dry-run" "--dry-run" "$(comp rm @~/x --dr)"
check_eq "job list --state" "--state" "$(comp job list --st)"
check_eq "job list --paused" "--paused" "$(comp job list --pau)"
check_eq "job list --location" "--location" "$(comp job list --lo)"
check_eq "sync --d" "--delete --dry-run" "$(comp sync ./d @~/p/ --d)"
check_eq "global options after the command" "--quiet" "$(comp ls --qu)"
check_eq "arguments are left to file completion" "" "$(comp put '')"
# every option the completion offers for a command is one the command accepts
for cmd in put get ls rm cp sync; do
  for opt in $(comp "$cmd" --); do
    case $opt in --help | --version) continue ;; esac
    rc=0
    "$STAGECTL" "$cmd" "$opt" --help >/dev/null 2>"$T/err" || rc=$?
    if grep -q "unknown option" "$T/err"; then fail "$cmd offers $opt, which it does not accept"; fi
  done
done
pass "every option offered for put get ls rm cp sync is accepted"

e2e_finish
