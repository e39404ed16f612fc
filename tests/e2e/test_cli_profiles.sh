#!/usr/bin/env bash
# test_cli_profiles.sh - stagectl's named profiles and --quiet (issue 17):
# logging in as a second user keeps the first session; --profile and
# STAGECTL_PROFILE pick one (by full name or by user); whoami names it; the
# files are 0600 in 0700 directories; the old layout (token and server at
# the top) still works; -q prints nothing on success but still lists.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init cli_profiles
e2e_start
login_root

W="$T/work"
CFG="$HOME/.config/stagectl"
mkrand "$W/a.bin" 5000
check_rc "user create alice" 0 ctl user create alice --password alice-pw-1
E2E_SECRETS+=(alice-pw-1)

# --- two logins, two sessions
check_rc "login alice" 0 ctl login alice --password alice-pw-1
check_contains "... names the profile" "$OUT" "(profile alice@$SERVER, expires"
check_eq "root's profile kept" 600 "$(stat -c %a "$CFG/profiles/root@$SERVER/token")"
check_eq "alice's profile token file mode" 600 "$(stat -c %a "$CFG/profiles/alice@$SERVER/token")"
check_eq "... server file mode" 600 "$(stat -c %a "$CFG/profiles/alice@$SERVER/server")"
check_eq "... directory mode" 700 "$(stat -c %a "$CFG/profiles/alice@$SERVER")"
check_eq "... profiles directory mode" 700 "$(stat -c %a "$CFG/profiles")"
check_rc "whoami: the last login is the default" 0 ctl whoami
check_contains "... alice, default profile" "$OUT" "alice on $SERVER (token expires "
check_contains "... names it" "$OUT" ", profile default"
check_rc "whoami --profile root (by user)" 0 ctl whoami --profile root
check_contains "... root's session is still usable" "$OUT" "root on $SERVER (token expires "
check_contains "... names the full profile" "$OUT" "profile root@$SERVER"
check_rc "whoami --json with STAGECTL_PROFILE" 0 env STAGECTL_PROFILE="root@$SERVER" "$STAGECTL" --json whoami
check_eq "... the user" root "$(jget "$OUT" 'j["user"]')"
check_eq "... the profile" "root@$SERVER" "$(jget "$OUT" 'j["profile"]')"
check_eq "... accepted" True "$(jget "$OUT" 'j["accepted"]')"
check_rc "--profile beats STAGECTL_PROFILE" 0 env STAGECTL_PROFILE=root "$STAGECTL" --profile alice whoami
check_contains "... alice" "$OUT" "alice on $SERVER"

# each session acts as its user: files land in each user's own stage
check_rc "put as alice (default)" 0 ctl put "$W/a.bin" @~/p/a.bin
check_rc "put as root (--profile before the command)" 0 ctl --profile root put "$W/a.bin" @~/p/r.bin
check_eq "alice's file in alice's stage" "$(sha "$W/a.bin")" "$(sha "$DATA/stage/user/alice/p/a.bin")"
check_eq "root's file in root's stage" "$(sha "$W/a.bin")" "$(sha "$(stage_path p/r.bin)")"
check_rc "root can list users" 0 ctl user list --profile root
check_contains "... alice among them" "$OUT" "alice"
check_rc "alice cannot" 1 ctl user list
check_contains "... PERMISSION_DENIED" "$ERR" "PERMISSION_DENIED"

# --- --profile at login: that profile only; the default stays
check_rc "login root --profile admin" 0 ctl login root --password "$ROOT_PW" --profile admin
check_eq "... profile admin saved" 600 "$(stat -c %a "$CFG/profiles/admin/token")"
check_rc "whoami: the default is still alice" 0 ctl whoami
check_contains "... alice" "$OUT" "alice on $SERVER"
check_rc "whoami --profile admin" 0 ctl whoami --profile admin
check_contains "... root" "$OUT" "root on $SERVER"
check_rc "the server comes from the profile" 0 env -u STAGE_SERVER "$STAGECTL" --profile admin stat @~/p/r.bin
check_rc "an unknown profile" 1 ctl whoami --profile nobody
check_contains "... says how to make it" "$ERR" "no profile 'nobody'"
check_rc "a profile name that is a path" 1 ctl whoami --profile ../x
check_contains "... is refused" "$ERR" "bad profile name"

# --- the old layout (token and server at the top, no profiles/) still works
mkdir -p "$T/old/.config/stagectl"
cp "$CFG/profiles/root@$SERVER/token" "$CFG/profiles/root@$SERVER/server" "$T/old/.config/stagectl/"
check_rc "old token files work" 0 env HOME="$T/old" "$STAGECTL" whoami
check_contains "... as root on the remembered server" "$OUT" "root on $SERVER"

# --- --quiet: nothing on success, errors still, requested output still
check_rc "put -q" 0 ctl -q put "$W/a.bin" @~/q/a.bin
check_eq "... prints nothing" "" "$OUT$ERR"
check_eq "... but uploaded" "$(sha "$W/a.bin")" "$(sha "$DATA/stage/user/alice/q/a.bin")"
check_rc "get --quiet" 0 ctl get @~/q/a.bin "$W/q.bin" --quiet
check_eq "... prints nothing" "" "$OUT$ERR"
check_eq "... but downloaded" "$(sha "$W/a.bin")" "$(sha "$W/q.bin")"
check_rc "cp --wait -q" 0 ctl cp @~/q/a.bin @~/q/b.bin --wait -q
check_eq "... prints nothing" "" "$OUT$ERR"
check_rc "cp -q without --wait" 0 ctl cp @~/q/a.bin @~/q/c.bin -q
check_eq "... prints only the job id" 1 "$(printf '%s\n' "$OUT" | grep -cE '^[0-9a-f]{32}$')"
check_rc "... which job get --wait follows" 0 ctl job get "$OUT" --wait -q
check_contains "... job get still prints the job" "$OUT" "SUCCEEDED"
check_rc "ls -q still lists" 0 ctl -q ls @~/q/
check_contains "... a.bin" "$OUT" "a.bin"
check_contains "... b.bin" "$OUT" "b.bin"
check_rc "rm -q" 0 ctl rm -q @~/q/b.bin
check_eq "... prints nothing" "" "$OUT$ERR"
check_rc "an error with -q" 1 ctl -q stat @~/q/nope
check_contains "... is still printed" "$ERR" "NOT_FOUND"
check_rc "login -q" 0 ctl login alice --password alice-pw-1 -q
check_eq "... prints nothing" "" "$OUT$ERR"
check_rc "--help names --profile and --quiet" 0 ctl --help
check_contains "... --profile" "$OUT" "--profile NAME"
check_contains "... --quiet" "$OUT" "-q, --quiet"

e2e_finish
