"""Databend stage behaviours, secrets at rest and in logs, users and login
throttling (issue 4). Run by test_stages.sh with the stack up,
storage.allow_fs_urls on and E2E_EXT_DIR and E2E_UNREACHABLE_DIR (which does
not exist) in storage.fs_url_roots. Prints one line per check; exits 1 if any failed."""
import os
import sys
import time

from redisscan import Redis
from srcproxy import SourceProxy
from stageclient import StageClient, StageError, STATE, pb

SERVER = os.environ["E2E_SERVER"]
ROOT_PW = os.environ["E2E_ROOT_PW"]
DATA = os.environ["E2E_DATA"]
EXT = os.environ["E2E_EXT_DIR"]
UNREACHABLE = os.environ["E2E_UNREACHABLE_DIR"]
LOGS = os.environ["E2E_LOGS"]
R = Redis(int(os.environ["E2E_REDIS_PORT"]))
FAILS = []
CHECKS = [0]

S3_SECRET = "s3cr3t-Access-Key-0123456789"
S3_TOKEN = "sess-Token-ABCDEFGHIJ-9876"
PASSWORDS = ["alice-Pa55word!", "bob-Pa55word!", "alice-New-Pa55!", "alice-3rd-Pa55!"]


def check(what, cond, detail=""):
    CHECKS[0] += 1
    if cond:
        print("ok: %s" % what)
    else:
        FAILS.append(what)
        print("FAIL: %s %s" % (what, detail))


def status(fn, *a, **kw):
    try:
        fn(*a, **kw)
        return "OK", ""
    except StageError as e:
        return e.code, e.message


def files_under(d):
    out = []
    for base, dirs, files in os.walk(d):
        dirs[:] = [x for x in dirs if x != ".tmp"]
        out += [os.path.relpath(os.path.join(base, f), d) for f in files]
    return sorted(out)


def wait_ok(c, job_id, what):
    j = c.wait_job(job_id)
    check("%s job succeeded" % what, STATE[j.state] == "SUCCEEDED", j.error_message)


root = StageClient(SERVER)
root.login("root", ROOT_PW)
root.rpc("CreateUser", name="alice", password=PASSWORDS[0])
root.rpc("CreateUser", name="bob", password=PASSWORDS[1])
alice = StageClient(SERVER)
alice.login("alice", PASSWORDS[0])
bob = StageClient(SERVER)
bob.login("bob", PASSWORDS[1])

# ---- names
for bad, code in (("@s1", "INVALID_ARGUMENT"), ("1x", "INVALID_ARGUMENT"),
                  ("a-b", "INVALID_ARGUMENT"), ("~", "PERMISSION_DENIED")):
    got, msg = status(root.rpc, "CreateStage", name=bad)
    check("CreateStage %r -> %s" % (bad, code), got == code, "%s %s" % (got, msg))
got, msg = status(root.rpc, "DropStage", name="~")
check("DropStage ~ refused", got == "PERMISSION_DENIED" and "cannot be dropped" in msg, msg)
got, msg = status(root.rpc, "AlterStage", name="~", set_comment=True, comment="x")
check("AlterStage ~ refused", got == "PERMISSION_DENIED", msg)

# ---- internal stage: drop deletes files, a new one of the same name starts empty
root.rpc("CreateStage", name="st1", comment="first")
root.upload("@st1/a/1.csv", b"one")
root.upload("@st1/2.csv", b"two")
d = root.rpc("DescribeStage", name="st1").stage
check("DescribeStage internal", d.stage_type == "Internal" and d.comment == "first" and
      d.owner == "root" and d.creator == "root" and d.created_on > 0, str(d))
internal = os.path.join(DATA, "stage", "internal", "st1")
check("internal files are under stage/internal/st1/", len(files_under(internal)) == 2,
      str(files_under(internal)))
r = root.rpc("DropStage", name="st1")
check("DropStage of an internal stage returns a job", bool(r.job_id))
got, _ = status(root.list, "@st1/")
check("a dropped stage is NOT_FOUND", got == "NOT_FOUND", got)
root.rpc("CreateStage", name="st1")
check("a re-created stage starts empty", root.list("@st1/") == [])
wait_ok(root, r.job_id, "DROP_STAGE")
check("the dropped stage's files are gone from disk", files_under(internal) == [],
      str(files_under(internal)))

# ---- or_replace deletes the old files (after the new definition is stored)
root.upload("@st1/old.csv", b"old")
r = root.rpc("CreateStage", name="st1", or_replace=True, comment="replaced")
check("or_replace returns the deletion job", bool(r.job_id))
check("or_replace: the new stage is empty at once", root.list("@st1/") == [])
wait_ok(root, r.job_id, "or_replace DROP_STAGE")
check("or_replace: old files gone from disk", files_under(internal) == [],
      str(files_under(internal)))
got, _ = status(root.rpc, "CreateStage", name="st1")
check("CreateStage of an existing name -> ALREADY_EXISTS", got == "ALREADY_EXISTS", got)
r = root.rpc("CreateStage", name="st1", if_not_exists=True, comment="ignored")
check("if_not_exists keeps the stage", r.stage.comment == "replaced" and not r.job_id)
got, _ = status(root.rpc, "CreateStage", name="st1", if_not_exists=True, or_replace=True)
check("if_not_exists + or_replace -> INVALID_ARGUMENT", got == "INVALID_ARGUMENT", got)

# ---- locations of a named stage never leave its root
for loc in ("@st1/../x", "@st1/a/../../b", "@st1/%2e%2e/x", "@st1//etc/passwd", "@st1/a\\b",
            "@st1/" + "a" * 1100, "@@st1/x", "@st1/a\x01b"):
    got, msg = status(root.upload, loc, b"x")
    check("upload %r -> INVALID_ARGUMENT" % loc[:30], got == "INVALID_ARGUMENT", "%s %s" % (got, msg))
check("nothing was written by refused locations", root.list("@st1/") == [])

# ---- external fs stage: files survive DropStage
url = "fs://%s/" % EXT
root.rpc("CreateStage", name="ext", url=url)
root.upload("@ext/x/keep.csv", b"external data")
check("external upload lands in the URL's directory",
      open(os.path.join(EXT, "x", "keep.csv"), "rb").read() == b"external data")
check("external list", [f.name for f in root.list("@ext/")] == ["x/keep.csv"])
check("external download", root.download("@ext/x/keep.csv")[1] == b"external data")
d = root.rpc("DescribeStage", name="ext").stage
check("DescribeStage external", d.stage_type == "External" and d.storage_type == "fs" and
      d.url == url and not d.has_credentials, str(d))
r = root.rpc("DropStage", name="ext")
check("DropStage external queues no deletion", r.job_id == "")
time.sleep(0.5)
check("external files survive DropStage", os.path.exists(os.path.join(EXT, "x", "keep.csv")))

got, msg = status(root.rpc, "CreateStage", name="unreach", url="fs://%s/nope/" % UNREACHABLE)
check("a new external stage is probed: unreachable -> FAILED_PRECONDITION",
      got == "FAILED_PRECONDITION" and "does not answer" in msg, "%s %s" % (got, msg))
got, _ = status(root.rpc, "DescribeStage", name="unreach")
check("... and not stored", got == "NOT_FOUND", got)

# ---- object-store stages: validated, probed, stored sealed, masked
got, msg = status(root.rpc, "CreateStage", name="s3x", url="s3://bucket/data/",
                  connection={"access_key_id": "S3RVER", "secret_access_key": S3_SECRET,
                              "endpoint_url": "http://127.0.0.1:1"})
check("an s3 stage whose endpoint refuses connections -> FAILED_PRECONDITION, not stored",
      got == "FAILED_PRECONDITION" and "does not answer" in msg and
      status(root.rpc, "DescribeStage", name="s3x")[0] == "NOT_FOUND", "%s %s" % (got, msg))
got, msg = status(root.rpc, "CreateStage", name="bad", url="s3://bucket/path/",
                  connection={"secret_acess_key": "x"})
check("unknown option -> INVALID_ARGUMENT naming it",
      got == "INVALID_ARGUMENT" and "secret_acess_key" in msg, msg)
got, msg = status(root.rpc, "CreateStage", name="bad", url="s3://bucket/path")
check("url without trailing / -> INVALID_ARGUMENT", got == "INVALID_ARGUMENT", msg)
root.rpc("CreateStage", name="s3s", url="s3://bucket/data/",
         connection={"access_key_id": "S3RVER", "secret_access_key": S3_SECRET,
                     "session_token": S3_TOKEN, "endpoint_url": os.environ["E2E_S3_ENDPOINT"],
                     "region": "eu-west-1"})
d = root.rpc("DescribeStage", name="s3s").stage
params = dict(d.storage_params)
check("DescribeStage s3: has_credentials, endpoint", d.has_credentials and
      d.endpoint == os.environ["E2E_S3_ENDPOINT"] and d.storage_type == "s3", str(d))
check("DescribeStage masks secrets", params.get("secret_access_key") == "******" and
      params.get("session_token") == "******" and params.get("access_key_id") == "S3RVER",
      str(params))
got, msg = status(root.list, "@s3s/")
check("file RPCs work on the s3 stage (empty listing)", got == "OK", "%s %s" % (got, msg))
root.rpc("AlterStage", name="s3s", set_comment=True, comment="altered")
check("AlterStage comment", root.rpc("DescribeStage", name="s3s").stage.comment == "altered")
root.rpc("AlterStage", name="s3s", unset_comment=True)
check("AlterStage unset comment", root.rpc("DescribeStage", name="s3s").stage.comment == "")
got, _ = status(root.rpc, "AlterStage", name="st1", url="s3://b/p/")
check("AlterStage url of an internal stage -> INVALID_ARGUMENT", got == "INVALID_ARGUMENT", got)

# ---- ListStages never shows @~; two users' @~ are separate directories
names = [s.name for s in root.rpc("ListStages").stages]
check("ListStages lists the stages", names == ["s3s", "st1"], str(names))
check("ListStages never shows ~", "~" not in names)
alice.upload("@~/same.txt", b"alice")
bob.upload("@~/same.txt", b"bob")
check("two users' @~ are separate directories",
      open(os.path.join(DATA, "stage", "user", "alice", "same.txt"), "rb").read() == b"alice" and
      open(os.path.join(DATA, "stage", "user", "bob", "same.txt"), "rb").read() == b"bob")
check("each user reads their own @~", alice.download("@~/same.txt")[1] == b"alice" and
      bob.download("@~/same.txt")[1] == b"bob")
d = alice.rpc("DescribeStage", name="~").stage
check("DescribeStage ~ is the caller's user stage", d.stage_type == "User" and d.owner == "alice")

# ---- grants
got, _ = status(alice.rpc, "CreateStage", name="al")
check("CreateStage without CREATE_STAGE -> PERMISSION_DENIED", got == "PERMISSION_DENIED")
root.rpc("Grant", privilege=pb.CREATE_STAGE, user="alice")
alice.rpc("CreateStage", name="al")
check("CREATE_STAGE lets a user create; they own it",
      alice.rpc("DescribeStage", name="al").stage.owner == "alice")
alice.rpc("Grant", privilege=pb.READ, stage="al", user="bob")
g = [(x.stage, x.user, pb.Privilege.Name(x.privilege))
     for x in alice.rpc("ShowGrants", stage="al").grants]
check("ShowGrants by stage", g == [("al", "bob", "READ")], str(g))
g = [(x.stage, pb.Privilege.Name(x.privilege)) for x in root.rpc("ShowGrants", user="alice").grants]
check("ShowGrants by user includes CREATE_STAGE", g == [("", "CREATE_STAGE")], str(g))
check("bob sees al in ListStages", "al" in [s.name for s in bob.rpc("ListStages").stages])
alice.rpc("Revoke", privilege=pb.READ, stage="al", user="bob")
check("after Revoke bob does not see al",
      "al" not in [s.name for s in bob.rpc("ListStages").stages])
alice.rpc("Grant", privilege=pb.ALL, stage="al", user="bob")
# a grantee of ALL has the files, not the stage (issue 14 #10)
bob.upload("@al/by-bob.txt", b"bob writes")
check("ALL lets a grantee read and write files", bob.download("@al/by-bob.txt")[1] == b"bob writes")
got, msg = status(bob.rpc, "DropStage", name="al")
check("ALL does not let a grantee drop -> PERMISSION_DENIED",
      got == "PERMISSION_DENIED" and "does not own" in msg, "%s %s" % (got, msg))
got, msg = status(bob.rpc, "AlterStage", name="al", set_comment=True, comment="bob's now")
check("... nor alter", got == "PERMISSION_DENIED", "%s %s" % (got, msg))
root.rpc("Grant", privilege=pb.CREATE_STAGE, user="bob")
got, msg = status(bob.rpc, "CreateStage", name="al", or_replace=True)
check("... nor take it over with or_replace (even with CREATE_STAGE)", got == "PERMISSION_DENIED",
      "%s %s" % (got, msg))
d = root.rpc("DescribeStage", name="al").stage
check("... the stage is unchanged", d.owner == "alice" and d.comment == "", str(d))
root.rpc("Revoke", privilege=pb.CREATE_STAGE, user="bob")
alice.rpc("DropStage", name="al")
check("the owner drops it", "al" not in [s.name for s in root.rpc("ListStages").stages])
alice.rpc("CreateStage", name="al")
got, _ = status(bob.list, "@al/")
check("grants do not survive a drop and re-create", got == "PERMISSION_DENIED", got)

# ---- users and tokens
got, _ = status(root.rpc, "ListUsers")
users = [u.name for u in root.rpc("ListUsers").users]
check("ListUsers", users == ["alice", "bob", "root"], str(users))
old = alice.token
root.rpc("AlterUser", name="alice", password=PASSWORDS[2])
got, _ = status(StageClient(SERVER, token=old).list, "@~/")
check("a password change revokes tokens", got == "UNAUTHENTICATED", got)
alice.login("alice", PASSWORDS[2])
bob_token = bob.token
root.rpc("DropUser", name="bob")
root.rpc("CreateUser", name="bob", password=PASSWORDS[1])
got, _ = status(StageClient(SERVER, token=bob_token).list, "@~/")
check("a dropped user's token stays dead when the name is re-created", got == "UNAUTHENTICATED")
got, msg1 = status(StageClient(SERVER).login, "nosuchuser", "x")
got2, msg2 = status(StageClient(SERVER).login, "alice", "wrong")
check("login errors do not tell user from password",
      got == got2 == "UNAUTHENTICATED" and msg1 == msg2, "%s %s" % (msg1, msg2))
got, _ = status(root.rpc, "DropUser", name="root")
check("root cannot be dropped", got == "PERMISSION_DENIED")
got, _ = status(alice.rpc, "AlterUser", name="alice", set_admin=True, admin=True)
check("a user cannot make themselves admin", got == "PERMISSION_DENIED")
# a stolen token must not become a takeover (issue 14 #7): the current password is needed
got, msg = status(alice.rpc, "AlterUser", name="alice", password=PASSWORDS[3])
check("changing your own password without current_password -> PERMISSION_DENIED",
      got == "PERMISSION_DENIED" and "current_password" in msg, "%s %s" % (got, msg))
got, msg = status(alice.rpc, "AlterUser", name="alice", password=PASSWORDS[3],
                  current_password="not-" + PASSWORDS[2])
check("... with a wrong current_password -> PERMISSION_DENIED",
      got == "PERMISSION_DENIED" and "current_password is wrong" in msg, "%s %s" % (got, msg))
got, _ = status(StageClient(SERVER).login, "alice", PASSWORDS[2])
check("... and the password did not change", got == "OK", got)
alice.rpc("AlterUser", name="alice", password=PASSWORDS[3], current_password=PASSWORDS[2])
check("a user may change their own password with the current one",
      status(StageClient(SERVER).login, "alice", PASSWORDS[3])[0] == "OK")
got, _ = status(root.rpc, "AlterUser", name="alice", password=PASSWORDS[2])
check("an admin changes another user's password without it", got == "OK", got)

# ---- login throttling per (user, address) (issue 14 #8): 5 failures from this
# address lock this address out for that user, even with the right password and
# Basic auth; the owner from another address (127.0.0.2 through a proxy), and other
# users from this one, are not locked out.
LOCKED = "too many failed logins for user 'carol' from this address: retry in "
root.rpc("CreateUser", name="carol", password="carol-pw")
for _ in range(5):
    status(StageClient(SERVER).login, "carol", "bad")
got, msg = status(StageClient(SERVER).login, "carol", "carol-pw")
check("5 failed logins lock (carol, this address), the right password too",
      got == "RESOURCE_EXHAUSTED" and msg.startswith(LOCKED), "%s %s" % (got, msg))
check("... for 60 s (the first lock)", msg[len(LOCKED):] in ("60 s", "59 s"), msg)
got, msg = status(StageClient(SERVER, user="carol", password="carol-pw").list, "@~")
check("... Basic auth too", got == "RESOURCE_EXHAUSTED" and msg.startswith(LOCKED),
      "%s %s" % (got, msg))
got, _ = status(StageClient(SERVER).login, "alice", PASSWORDS[2])
check("another user from this address is not locked out", got == "OK", got)
flat = R.cmd("HGETALL", "st:lfail:up:carol@ipv4:127.0.0.1")
pair = dict(zip(flat[0::2], flat[1::2]))
check("st:lfail:up:carol@ipv4:127.0.0.1 holds lock level 1",
      pair.get(b"lvl") == b"1" and pair.get(b"n") == b"0", str(pair))
with SourceProxy(SERVER, "127.0.0.2") as other:
    got, msg = status(StageClient(other).login, "carol", "carol-pw")
    check("the owner logs in from another address (127.0.0.2)", got == "OK",
          "%s %s" % (got, msg))
    got, msg = status(StageClient(other, user="carol", password="carol-pw").list, "@~")
    check("... and with Basic auth", got == "OK", "%s %s" % (got, msg))
    check("... which is now a known address of carol",
          R.cmd("EXISTS", "st:lfail:ok:carol@ipv4:127.0.0.2") == 1, "")
    check("... and 127.0.0.1 stays locked for carol",
          status(StageClient(SERVER).login, "carol", "carol-pw")[0] == "RESOURCE_EXHAUSTED")
    # a wrong current_password in AlterUser counts for (user, address) like a login
    root.rpc("CreateUser", name="dave", password="dave-pw")
    dave = StageClient(SERVER)
    dave.login("dave", "dave-pw")
    for i in range(5):
        got, msg = status(dave.rpc, "AlterUser", name="dave", password="dave-new-pw",
                          current_password="bad-%d" % i)
        check("dave: wrong current_password %d -> PERMISSION_DENIED" % (i + 1),
              got == "PERMISSION_DENIED" and "current_password is wrong" in msg, msg)
    got, msg = status(dave.rpc, "AlterUser", name="dave", password="dave-new-pw",
                      current_password="dave-pw")
    check("... then the right one from this address is throttled",
          got == "RESOURCE_EXHAUSTED" and "for user 'dave' from this address" in msg,
          "%s %s" % (got, msg))
    check("... so is Login as dave from this address",
          status(StageClient(SERVER).login, "dave", "dave-pw")[0] == "RESOURCE_EXHAUSTED")
    got, msg = status(StageClient(other).login, "dave", "dave-pw")
    check("... not from another address, where the password is unchanged", got == "OK",
          "%s %s" % (got, msg))

# ---- secrets: nothing in Redis, nothing in the logs
secrets = [S3_SECRET, S3_TOKEN, ROOT_PW] + PASSWORDS + ["carol-pw"]
leaks = []
nkeys = 0
for k in R.keys():
    nkeys += 1
    for v in [k] + [x for x in R.values(k) if isinstance(x, bytes)]:
        for s in secrets:
            if s.encode() in v:
                leaks.append((k, s[:4] + "..."))
check("Redis holds no plaintext password or secret (%d keys scanned)" % nkeys, not leaks,
      str(leaks[:5]))
leaks = []
for f in sorted(os.listdir(LOGS)):
    text = open(os.path.join(LOGS, f), "rb").read()
    leaks += [(f, s[:4] + "...") for s in secrets if s.encode() in text]
check("no secret in any log (%d files)" % len(os.listdir(LOGS)), not leaks, str(leaks))

print("stages: %d checks, %d failed" % (CHECKS[0], len(FAILS)))
sys.exit(1 if FAILS else 0)
