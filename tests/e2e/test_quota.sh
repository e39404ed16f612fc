#!/usr/bin/env bash
# test_quota.sh - byte and file quotas of internal stages and of @~
# (docs/quotas.md): an upload within the quota is stored; one that would pass
# it fails RESOURCE_EXHAUSTED, declared size or not, and leaves no file and no
# temp file (checked with find in the fs root); an overwrite counts the new
# size instead of the old; rm frees room; the file quota counts files; two
# uploads at once cannot together pass the quota; DescribeStage and stagectl
# show limit and usage; a dropped stage's usage is gone; only the owner or an
# admin sets a stage's quota, only an admin a user's.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init quota
# small parts, so that a refused upload has already had parts stored in a
# temp file by a worker when the quota stops it
export STAGE_UPLOAD_PART_SIZE=256KiB
export STAGE_QUOTAS_USER_STAGE_FILES=50 # the default every user's @~ gets
e2e_start
login_root

# Files (no directories) under the fs root of a stage, and in the temp area.
stage_files() { find "$DATA/stage/internal/$1" -type f 2>/dev/null | wc -l; }
tmp_files() { find "$DATA/.tmp" -type f 2>/dev/null | wc -l; }
# Poll (bounded) until the temp area is empty: a worker aborts the write of
# a failed job after the frontend answered.
wait_tmp_empty() {
  for _ in $(seq 100); do
    [ "$(tmp_files)" = 0 ] && return 0
    sleep 0.1
  done
}

check_rc "quota rules over gRPC" 0 pyrun <<'EOF'
import os, threading, time, stageclient as sc
S, PW = os.environ["E2E_SERVER"], os.environ["E2E_ROOT_PW"]
KIB, MIB = 1024, 1 << 20
root = sc.StageClient(S); root.login("root", PW)
errs = []

def expect(what, fn, code, text):
    try:
        fn()
        errs.append("%s: succeeded" % what)
    except sc.StageError as e:
        print("%s: %s %s" % (what, e.code, e.message))
        if e.code != code or text not in e.message:
            errs.append("%s: %s %s" % (what, e.code, e.message))

def desc(c, name):
    return c.rpc("DescribeStage", name=name).stage

def usage(c, name):
    s = desc(c, name)
    return (s.used_bytes, s.used_files)

def stream(data, chunk=64 * KIB, pause=0.0):
    """Chunks with no declared size (the quota is checked as bytes arrive)."""
    for i in range(0, len(data), chunk):
        yield data[i:i + chunk]
        if pause and i == 0:
            time.sleep(pause)

def ok(job, what):
    st = sc.STATE[job.state]
    if st != "SUCCEEDED":
        errs.append("%s: %s %s" % (what, st, job.error_message))

root.rpc("CreateStage", name="sales", set_quota=True, quota_bytes=1536 * KIB)
s = desc(root, "sales")
if (s.quota_bytes, s.quota_files, s.used_bytes) != (1536 * KIB, 0, 0):
    errs.append("new stage: %s" % s)

# within the quota
ok(root.upload("@sales/a.bin", os.urandom(MIB)), "1 MiB into 1.5 MiB")
if usage(root, "sales") != (MIB, 1):
    errs.append("after a.bin: %s" % (usage(root, "sales"),))
# over it: declared size (refused before any byte), then streamed
expect("600 KiB declared", lambda: root.upload("@sales/b.bin", os.urandom(600 * KIB)),
       "RESOURCE_EXHAUSTED", "stage 'sales' is over its byte quota: 1.0 MiB used")
expect("600 KiB streamed", lambda: root.upload("@sales/c.bin", stream(os.urandom(600 * KIB))),
       "RESOURCE_EXHAUSTED", "over its byte quota")
for f in ("b.bin", "c.bin"):
    try:
        root.stat("@sales/" + f)
        errs.append("%s exists after the refusal" % f)
    except sc.StageError as e:
        if e.code != "NOT_FOUND":
            errs.append("stat %s: %s" % (f, e.code))
if usage(root, "sales") != (MIB, 1):
    errs.append("refused uploads changed the usage: %s" % (usage(root, "sales"),))

# overwrite: the new size replaces the old one
ok(root.upload("@sales/a.bin", os.urandom(200 * KIB), overwrite=True), "overwrite")
if usage(root, "sales") != (200 * KIB, 1):
    errs.append("after the overwrite: %s" % (usage(root, "sales"),))
# rm frees room
expect("1.4 MiB over 200 KiB", lambda: root.upload("@sales/d.bin", stream(os.urandom(1400 * KIB))),
       "RESOURCE_EXHAUSTED", "over its byte quota")
root.wait_job(root.remove("@sales/a.bin").id)
if usage(root, "sales") != (0, 0):
    errs.append("after rm: %s" % (usage(root, "sales"),))
ok(root.upload("@sales/d.bin", stream(os.urandom(1400 * KIB))), "1.4 MiB after rm")

# the file quota
root.rpc("CreateStage", name="few", set_quota=True, quota_files=2)
ok(root.upload("@few/f1", b"1"), "file 1 of 2")
ok(root.upload("@few/f2", b""), "file 2 of 2 (empty)")
expect("file 3 of 2", lambda: root.upload("@few/f3", b"3"), "RESOURCE_EXHAUSTED",
       "stage 'few' is over its file quota: 2 files stored + 0 in flight of 2")

# a file limit alone: a streamed upload of several parts goes through
root.rpc("CreateStage", name="fl", set_quota=True, quota_files=1)
ok(root.upload("@fl/a", stream(os.urandom(700 * KIB))), "700 KiB streamed, file limit only")
expect("a 2nd file in fl", lambda: root.upload("@fl/b", stream(b"x")), "RESOURCE_EXHAUSTED",
       "over its file quota: 1 files stored + 0 in flight of 1")
if usage(root, "fl") != (700 * KIB, 1):
    errs.append("fl usage: %s" % (usage(root, "fl"),))
expect("presigned upload", lambda: root.presign("@few/p", upload=True), "FAILED_PRECONDITION",
       "stage @few has a quota: presigned uploads are off for it")
root.presign("@few/f1")  # downloads are not affected

# two uploads at once: whichever reserves first, they cannot both fit
root.rpc("CreateStage", name="race", set_quota=True, quota_bytes=1536 * KIB)
res = {}
def up(name):
    try:
        res[name] = sc.STATE[root.upload("@race/" + name, stream(os.urandom(MIB), pause=0.5)).state]
    except sc.StageError as e:
        res[name] = e.code
ts = [threading.Thread(target=up, args=(n,)) for n in ("r1", "r2")]
for t in ts:
    t.start()
for t in ts:
    t.join(120)
print("concurrent:", res)
if sorted(res.values()) != ["RESOURCE_EXHAUSTED", "SUCCEEDED"]:
    errs.append("concurrent uploads: %s" % res)
if usage(root, "race") != (MIB, 1):
    errs.append("race usage: %s" % (usage(root, "race"),))

# @~: a user's own quota (admins), else the configured default
for u in ("alice", "bob"):
    root.rpc("CreateUser", name=u, password=u + "-pw-1234")
alice = sc.StageClient(S); alice.login("alice", "alice-pw-1234")
bob = sc.StageClient(S); bob.login("bob", "bob-pw-1234")
if (desc(bob, "~").quota_files, desc(bob, "~").quota_bytes) != (50, 0):
    errs.append("default @~ quota: %s" % desc(bob, "~"))
root.rpc("AlterUser", name="alice", set_quota=True, quota_bytes=100 * KIB)
ok(alice.upload("@~/small", os.urandom(60 * KIB)), "60 KiB into alice's 100 KiB")
expect("alice over her @~", lambda: alice.upload("@~/big", os.urandom(60 * KIB)),
       "RESOURCE_EXHAUSTED", "your user stage @~ is over its byte quota")
if usage(alice, "~") != (60 * KIB, 1):
    errs.append("alice's usage: %s" % (usage(alice, "~"),))

# only the owner or an admin changes a stage's quota, only admins a user's
root.rpc("Grant", privilege=3, stage="sales", user="alice")
expect("alice sets sales' quota", lambda: alice.rpc("AlterStage", name="sales", set_quota=True,
       quota_bytes=10 * MIB), "PERMISSION_DENIED", "does not own stage 'sales'")
expect("alice raises her own quota", lambda: alice.rpc("AlterUser", name="alice", set_quota=True,
       quota_bytes=10 * MIB), "PERMISSION_DENIED", "")
if desc(root, "sales").quota_bytes != 1536 * KIB:
    errs.append("sales' quota changed: %s" % desc(root, "sales").quota_bytes)
# an admin raises it, and the refused upload fits
root.rpc("AlterStage", name="sales", set_quota=True, quota_bytes=4 * MIB)
ok(root.upload("@sales/e.bin", os.urandom(MIB)), "1 MiB after raising the quota")
expect("a quota on an external stage", lambda: root.rpc("CreateStage", name="ext",
       url="s3://bucket/path/", set_quota=True, quota_bytes=MIB), "INVALID_ARGUMENT", "")

# an upload the client abandons halfway frees its reservation (its job
# failed): the next upload has the whole quota again
root.rpc("CreateStage", name="gone", set_quota=True, quota_bytes=MIB)
held = threading.Event()
def slow():
    for _ in range(7):
        yield os.urandom(100 * KIB)
    held.wait(30)
fut = root.upload_future(root.upload_requests("@gone/x", slow()))
for _ in range(100):  # bounded: the reservation shows as in flight
    if desc(root, "gone").inflight_bytes >= 700 * KIB:
        break
    time.sleep(0.1)
print("abandoned upload in flight:", desc(root, "gone").inflight_bytes)
if desc(root, "gone").inflight_bytes < 700 * KIB:
    errs.append("the abandoned upload's reservation: %s" % desc(root, "gone"))
fut.cancel()
held.set()
for _ in range(100):  # bounded: the frontend fails the job of a client gone
    if desc(root, "gone").inflight_bytes == 0:
        break
    time.sleep(0.1)
if desc(root, "gone").inflight_bytes != 0:
    errs.append("the abandoned upload still holds room: %s" % desc(root, "gone"))
ok(root.upload("@gone/y", stream(os.urandom(900 * KIB))), "900 KiB after the abandoned upload")

# a copy into a stage with a quota: the file that does not fit fails the job
root.rpc("CreateStage", name="cp", set_quota=True, quota_bytes=MIB)
for n in ("x1", "x2"):
    ok(root.upload("@~/src/" + n, os.urandom(700 * KIB)), "source " + n)
j = root.wait_job(root.rpc("CopyFiles", **{"from": "@~/src/", "to": "@cp/"}).job.id)
print("copy over the quota:", sc.STATE[j.state], j.error_code, j.error_message)
if sc.STATE[j.state] != "FAILED" or j.error_code != "RESOURCE_EXHAUSTED" or \
        "stage 'cp' is over its byte quota: 700 KiB used" not in j.error_message:
    errs.append("copy over the quota: %s %s %s" % (sc.STATE[j.state], j.error_code,
                                                   j.error_message))
if usage(root, "cp") != (700 * KIB, 1):
    errs.append("cp usage: %s" % (usage(root, "cp"),))
# an overwriting copy counts the new size instead of the old one
ok(root.upload("@~/src/x1", os.urandom(100 * KIB), overwrite=True), "smaller x1")
j = root.wait_job(root.rpc("CopyFiles", **{"from": "@~/src/x1", "to": "@cp/x1"},
                           overwrite=True).job.id)
ok(j, "overwriting copy")
if usage(root, "cp") != (100 * KIB, 1):
    errs.append("cp usage after the overwriting copy: %s" % (usage(root, "cp"),))
raise SystemExit("; ".join(errs) if errs else 0)
EOF
printf '%s\n' "$OUT"

wait_tmp_empty
check_eq "no temp file left by the refused uploads" 0 "$(tmp_files)"
check_eq "sales holds d.bin and e.bin only" 2 "$(stage_files sales)"
check_eq "few holds 2 files" 2 "$(stage_files few)"
check_eq "race holds 1 file" 1 "$(stage_files race)"
check_eq "cp holds 1 file" 1 "$(stage_files cp)"
check_eq "gone holds y only" 1 "$(stage_files gone)"
check_le "race holds no more bytes than its quota" $((1536 * 1024)) \
  "$(find "$DATA/stage/internal/race" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')"

# Reserving goes by EVALSHA; after Redis lost its script cache (a restart,
# SCRIPT FLUSH) NOSCRIPT makes the frontend (an upload) and the worker (a
# copy) send the script once by EVAL
check_eq "SCRIPT FLUSH" OK "$(rcli SCRIPT FLUSH)"
head -c $((50 * 1024)) /dev/urandom >"$T/small.bin"
check_rc "an upload into @cp after SCRIPT FLUSH" 0 ctl put "$T/small.bin" @cp/flushed/small.bin
check_eq "SCRIPT FLUSH again" OK "$(rcli SCRIPT FLUSH)"
check_rc "a copy into @cp after SCRIPT FLUSH" 0 ctl cp @~/src/x1 @cp/flushed/ --wait
check_eq "cp holds 3 files" 3 "$(stage_files cp)"
check_rc "describe cp" 0 ctl --json stage desc cp
check_eq "... counting both" "$((250 * 1024)) 3" \
  "$(jget "$OUT" 'str(j["stage"].get("used_bytes", 0)) + " " + str(j["stage"].get("used_files", 0))')"

# a presigned URL signed before the stage had a quota: the listener reserves
# the Content-Length like an upload (507 when it does not fit)
check_rc "create pre" 0 ctl stage create pre
out=$(py presign @pre/u --upload)
PUT_URL=$(jget "$out" 'j["url"]')
check_rc "pre gets a quota" 0 ctl stage alter pre --quota-bytes 100KiB
mkrand "$T/work/200k" $((200 * 1024))
mkrand "$T/work/50k" $((50 * 1024))
check_eq "a presigned PUT over the quota -> 507" 507 \
  "$(curl -s -o "$T/body" -w '%{http_code}' -X PUT --data-binary @"$T/work/200k" "$PUT_URL")"
check_contains "... naming the quota" "$(cat "$T/body")" "stage 'pre' is over its byte quota"
check_eq "a presigned PUT within it -> 200" 200 \
  "$(curl -s -o "$T/body" -w '%{http_code}' -X PUT --data-binary @"$T/work/50k" "$PUT_URL")"
check_eq "pre holds the 50 KiB file" "$((50 * 1024))" \
  "$(find "$DATA/stage/internal/pre" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')"

# stagectl shows the quota and the usage
check_rc "stagectl stage desc sales" 0 ctl stage desc sales
check_contains "desc shows the byte quota" "$OUT" "4.0 MiB (4194304)"
check_contains "desc shows the bytes used" "$OUT" "$((1400 * 1024 + 1024 * 1024))"
check_contains "desc shows the files used" "$OUT" "used_files:"
check_rc "stagectl stage alter sets a quota" 0 ctl stage alter few --quota-files 5 --quota-bytes 1MiB
check_contains "alter shows the new quota" "$OUT" "1.0 MiB (1048576)"
check_rc "stagectl stage desc @~" 0 ctl stage desc @~
check_contains "@~ shows its default file quota" "$OUT" "quota_files:"
check_rc "stagectl user alter sets a quota" 0 ctl user alter bob --quota-bytes 2MiB
check_rc "stagectl user alter shows a user's quota and usage" 0 ctl user alter alice --quota-bytes 100KiB
check_contains "... alice's @~ holds 60 KiB in 1 file" "$OUT" "60 KiB (61440) in 1 files"
check_contains "... of 100 KiB" "$OUT" "100 KiB"

# dropping a stage forgets its usage; a new stage of the name starts empty
inc=$(rcli --scan --pattern 'st:usage:stage/internal/sales/*' | head -1)
check_ne "sales has a usage key" "" "$inc"
check_rc "drop sales" 0 ctl stage drop sales --wait
check_eq "its usage key is gone" "" "$(rcli --scan --pattern 'st:usage:stage/internal/sales/*')"
check_rc "create sales again" 0 ctl stage create sales --quota-bytes 1MiB
check_rc "describe the new sales" 0 ctl --json stage desc sales
check_eq "the new sales uses nothing" "0 1048576" \
  "$(jget "$OUT" 'str(j["stage"].get("used_bytes", 0)) + " " + str(j["stage"]["quota_bytes"])')"
e2e_finish
