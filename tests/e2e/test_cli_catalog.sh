#!/usr/bin/env bash
# stagectl's catalog commands (issue 4): user create|alter|list|drop (a user's
# own password change needs the current one, issue 14 #7), stage
# create|desc|list|alter|drop (--wait for the deletion job), grant, revoke,
# grants, and @stage/path in put/ls/get/stat/rm like @~.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init cli_catalog
start_s3rver bkt # s3:// stages are probed at creation
E2E_SECRETS+=(dana-pw-1 dana-pw-2 dana-pw-3 eve-pw-1 cli-secret-123)
e2e_start
login_root
W="$T/work"

check_rc "user create dana" 0 ctl user create dana --password dana-pw-1
check_contains "user create prints the user" "$OUT" "dana"
check_rc "user create dana again" 1 ctl user create dana --password x
check_contains "... ALREADY_EXISTS" "$ERR" "ALREADY_EXISTS"
check_rc "user create --if-not-exists" 0 ctl user create dana --password x --if-not-exists
check_rc "user create from stdin" 0 sh -c "echo eve-pw-1 | '$STAGECTL' --server '$SERVER' user create eve --password-stdin"
check_rc "user list" 0 ctl user list
check_eq "user list: header + 3 users" 4 "$(printf '%s\n' "$OUT" | wc -l)"
check_rc "user alter --admin" 0 ctl --json user alter eve --admin
check_eq "... eve is admin" "True" "$(jget "$OUT" 'j["user"]["admin"]')"
check_rc "user alter with nothing to change" 2 ctl user alter eve

check_rc "stage create s1" 0 ctl stage create s1 --comment "first stage"
check_contains "stage create prints the stage" "$OUT" "Internal"
check_rc "stage create @s1 (a location, not a name)" 1 ctl stage create @s1
check_contains "... INVALID_ARGUMENT" "$ERR" "INVALID_ARGUMENT"
check_rc "stage drop ~" 1 ctl stage drop '~'
check_contains "... PERMISSION_DENIED" "$ERR" "PERMISSION_DENIED"
check_rc "stage create s3 external" 0 ctl stage create ext3 --url s3://bkt/p/ \
  --conn "endpoint_url=$S3_ENDPOINT" --conn access_key_id=S3RVER --conn secret_access_key=S3RVER
check_rc "stage desc ext3" 0 ctl stage desc ext3
check_contains "... masked secret" "$OUT" "secret_access_key=******"
check_eq "... no plaintext secret" "" "$(printf '%s' "$OUT" | grep -o 'secret_access_key=S3RVER' || true)"
check_rc "stage list" 0 ctl --json stage list
check_eq "stage list: s1 and ext3" "ext3 s1" "$(jget "$OUT" '" ".join(s["name"] for s in j["stages"])')"

printf 'hello s1\n' >"$W/f"
check_rc "put @s1/dir/f.txt" 0 ctl put "$W/f" @s1/dir/f.txt
check_rc "ls @s1/" 0 ctl ls @s1/
check_contains "ls shows the file" "$OUT" "dir/f.txt"
check_rc "stat @s1/dir/f.txt" 0 ctl stat @s1/dir/f.txt
check_rc "get @s1/dir/f.txt" 0 ctl get @s1/dir/f.txt "$W/back"
check_eq "get: same bytes" "$(sha "$W/f")" "$(sha "$W/back")"

export STAGE_USER=dana STAGE_PASSWORD=dana-pw-1
check_rc "dana cannot ls @s1" 1 ctl ls @s1/
check_contains "... PERMISSION_DENIED" "$ERR" "PERMISSION_DENIED"
unset STAGE_USER STAGE_PASSWORD
check_rc "grant READ s1 dana" 0 ctl grant READ s1 dana
check_rc "grants --stage s1" 0 ctl grants --stage s1
check_contains "... READ for dana" "$OUT" "READ"
export STAGE_USER=dana STAGE_PASSWORD=dana-pw-1
check_rc "dana can ls @s1 now" 0 ctl ls @s1/
check_rc "dana cannot rm in @s1" 1 ctl rm -r @s1/dir/
unset STAGE_USER STAGE_PASSWORD
check_rc "revoke READ s1 dana" 0 ctl revoke READ s1 dana
check_rc "grant CREATE_STAGE dana" 0 ctl grant CREATE_STAGE dana
check_eq "... one space between the words" "granted CREATE_STAGE to dana" "$OUT"
check_rc "stage ls (as list)" 0 ctl stage ls
check_rc "user ls (as list)" 0 ctl user ls
check_contains "... lists dana" "$OUT" "dana"
check_rc "grants --user dana" 0 ctl --json grants --user dana
check_eq "... CREATE_STAGE" "CREATE_STAGE" "$(jget "$OUT" 'j["grants"][0]["privilege"]')"
check_rc "grant with a bad privilege" 2 ctl grant SUPER s1 dana

check_rc "stage alter --comment" 0 ctl stage alter s1 --comment changed
check_contains "... comment" "$OUT" "changed"
check_rc "stage create --or-replace --wait" 0 ctl stage create s1 --or-replace --wait
check_contains "... old files deleted" "$OUT" "old files deleted"
check_rc "ls @s1/ after replace" 0 ctl --json ls @s1/
check_eq "... empty" "" "$OUT"
check_rc "put again" 0 ctl put "$W/f" @s1/g.txt
check_rc "stage drop --wait" 0 ctl stage drop s1 --wait
check_eq "internal files gone" "" "$(cd "$DATA" && find stage/internal -type f 2>/dev/null)"
check_rc "stage drop --if-exists (gone)" 0 ctl stage drop s1 --if-exists
# a user changes their own password only with the current one (issue 14 #7)
export STAGE_USER=dana STAGE_PASSWORD=dana-pw-1
check_rc "dana: user alter dana --password without the current one" 1 ctl user alter dana --password dana-pw-2
check_contains "... PERMISSION_DENIED naming current_password" "$ERR" "PERMISSION_DENIED: permission denied: changing your own password needs current_password"
check_rc "dana: ... with a wrong --current-password" 1 ctl user alter dana --password dana-pw-2 --current-password wrong-pw
check_contains "... PERMISSION_DENIED" "$ERR" "PERMISSION_DENIED: permission denied: current_password is wrong"
check_rc "dana: ... the old password still works" 0 ctl ls @~
check_rc "dana: ... with STAGE_CURRENT_PASSWORD" 0 env STAGE_CURRENT_PASSWORD=dana-pw-1 "$STAGECTL" --server "$SERVER" user alter dana --password dana-pw-2
check_rc "dana: the old password is refused now" 1 ctl ls @~
check_contains "... UNAUTHENTICATED" "$ERR" "UNAUTHENTICATED"
export STAGE_PASSWORD=dana-pw-2
check_rc "dana: the new one works" 0 ctl ls @~
check_rc "dana: ... and --current-password works too" 0 ctl user alter dana --password dana-pw-3 --current-password dana-pw-2
unset STAGE_USER STAGE_PASSWORD
check_rc "root: user alter dana --password needs no current password" 0 ctl user alter dana --password dana-pw-1
check_rc "user create --current-password is a usage error" 2 ctl user create zed --password x --current-password y
check_rc "user drop dana" 0 ctl user drop dana
check_rc "user drop dana again" 1 ctl user drop dana
check_contains "... NOT_FOUND" "$ERR" "NOT_FOUND"
e2e_finish
