#!/usr/bin/env bash
# test_audit.sh - the audit log (log.audit_file): one JSON line per call that
# changes something and per refused call, with who, from where, what, the
# object and the status; reads that succeed are not in it, nor is any secret
# (e2e_finish scans the log directory, the audit file included).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init audit
export STAGE_LOG_AUDIT_FILE="$T/logs/audit.log"
e2e_start
login_root

BOB_PW="bob-pw-$RANDOM-audit"
E2E_SECRETS+=("$BOB_PW")
export E2E_BOB_PW="$BOB_PW"
check_rc "calls that change, refused calls, plain reads" 0 pyrun <<'EOF'
import os, stageclient as sc
root = sc.StageClient(os.environ["E2E_SERVER"]); root.login("root", os.environ["E2E_ROOT_PW"])
root.rpc("CreateUser", name="bob", password=os.environ["E2E_BOB_PW"])
root.rpc("CreateStage", name="audited")
bob = sc.StageClient(os.environ["E2E_SERVER"]); bob.login("bob", os.environ["E2E_BOB_PW"])
try:
    bob.rpc("DropStage", name="audited")
except sc.StageError as e:
    print("bob's DropStage:", e.code)
try:
    sc.StageClient(os.environ["E2E_SERVER"]).login("bob", "wrong-password")
except sc.StageError as e:
    print("bad login:", e.code)
job = root.upload("@~/audit/a.txt", [b"hello"], size=5)
root.get_job(job.id)
root.rpc("ListStages")
EOF
A="$T/logs/audit.log"
check_rc "every line is one JSON object" 0 "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$A"
has() { # has RPC USER STATUS [OBJECT]: one line with these fields
  "$PY" - "$A" "$@" <<'EOF'
import json, sys
path, rpc, user, status = sys.argv[1:5]
obj = sys.argv[5] if len(sys.argv) > 5 else None
rows = [json.loads(l) for l in open(path)]
ok = any(r["rpc"] == rpc and r["user"] == user and r["status"] == status and
         (obj is None or r["object"] == obj) and r["peer"].startswith("ipv") for r in rows)
print("found" if ok else "missing: %s %s %s %s in %d lines" % (rpc, user, status, obj, len(rows)))
EOF
}
check_eq "CreateUser by root" found "$(has CreateUser root OK)"
check_eq "CreateStage by root, with its object" found "$(has CreateStage root OK @audited)"
check_eq "bob's refused DropStage" found "$(has DropStage bob PERMISSION_DENIED @audited)"
check_eq "a failed login, with the name tried" found "$(has Login bob UNAUTHENTICATED)"
check_eq "an upload, with its file" found "$(has UploadFile root OK @~/audit/a.txt)"
check_eq "reads that succeed are not audited" 0 \
  "$(grep -c '"rpc":"\(GetJob\|ListStages\)","user":"root"' "$A" || true)"
check_eq "the audit file is private (0600)" 600 "$(stat -c %a "$A")"
e2e_finish
