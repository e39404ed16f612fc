#!/usr/bin/env bash
# test_fs_roots.sh - fs:// external stages and symlinks (issue 14, finding 1):
# a user with CREATE_STAGE cannot create or alter-to an fs:// stage
# (PERMISSION_DENIED); an admin cannot put one outside storage.fs_url_roots,
# over storage.fs.root or a user's @~ inside it, over a directory holding it, at
# fs:///, nor through a link in a base that leads into the fs root (the
# worker's real-path check); one under a listed root works. Links planted in
# the fs root (to /etc, to a directory outside) and in an fs:// stage let
# no DownloadFile, StatFile, ListFiles, UploadFile or RemoveFiles reach
# outside, and no worker creates /.tmp.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init fs_roots
EXT="$T/ext"
OUTSIDE="$T/outside" # a directory no stage may reach
mkdir -p "$EXT" "$OUTSIDE/sub"
printf 'outside secret\n' >"$OUTSIDE/secret"
printf 'deep\n' >"$OUTSIDE/sub/deep"
ln -s "$DATA" "$EXT/into-data" # a link below a base that leads into the fs root
ln -s "$DATA" "$T/linkroot" # a base that is itself a link into the fs root
export STAGE_STORAGE_ALLOW_FS_URLS=true STAGE_STORAGE_FS_URL_ROOTS="$EXT:$T/linkroot"
# s3:// stages are probed at creation: an emulator that takes any signature
E2E_S3RVER_ARGS=--allow-mismatched-signatures start_s3rver bucket
had_dot_tmp=no
[ -e /.tmp ] && had_dot_tmp=yes
e2e_start

rc=0
E2E_EXT="$EXT" E2E_OUT="$OUTSIDE" pyrun >"$T/fs_roots.out" 2>&1 <<'EOF' || rc=$?
import os, time
import stageclient as sc
from stageclient import pb
S, DATA = os.environ["E2E_SERVER"], os.environ["E2E_DATA"]
EXT, OUT = os.environ["E2E_EXT"], os.environ["E2E_OUT"]
fails = []
def check(what, ok, detail=""):
    print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else " -- %s" % (detail,)))
    if not ok:
        fails.append(what)
def status(fn, *a, **kw):
    try:
        fn(*a, **kw)
        return "OK", ""
    except sc.StageError as e:
        return e.code, e.message
def exists(name):
    return status(root.rpc, "DescribeStage", name=name)[0] == "OK"

root = sc.StageClient(S); root.login("root", os.environ["E2E_ROOT_PW"])
root.rpc("CreateUser", name="bob", password="bob-pw-123")
root.rpc("Grant", privilege=pb.CREATE_STAGE, user="bob")
bob = sc.StageClient(S); bob.login("bob", "bob-pw-123")

# ---- a non-admin, even with CREATE_STAGE, gets no fs:// stage
for url in ("fs://%s/bob/" % EXT, "fs://%s/stage/user/root/" % DATA, "fs:///"):
    got, msg = status(bob.rpc, "CreateStage", name="bobfs", url=url)
    check("non-admin CreateStage %s -> PERMISSION_DENIED" % url,
          got == "PERMISSION_DENIED" and "admins only" in msg, "%s %s" % (got, msg))
check("... nothing stored", not exists("bobfs"))
got, msg = status(bob.rpc, "CreateStage", name="bobs3", url="s3://bucket/bob/",
                  connection={"access_key_id": "S3RVER", "secret_access_key": "S3RVER",
                              "endpoint_url": os.environ["E2E_S3_ENDPOINT"]})
check("non-admin with CREATE_STAGE creates an s3:// stage", got == "OK", "%s %s" % (got, msg))
got, msg = status(bob.rpc, "AlterStage", name="bobs3", url="fs://%s/bob/" % EXT)
check("non-admin AlterStage to fs:// -> PERMISSION_DENIED",
      got == "PERMISSION_DENIED" and "admins only" in msg, "%s %s" % (got, msg))
d = root.rpc("DescribeStage", name="bobs3").stage
check("... the stage keeps its s3 url", d.url == "s3://bucket/bob/", d.url)
check("... and no directory was made", not os.path.exists(os.path.join(EXT, "bob")))

# ---- an admin: only under storage.fs_url_roots, never over storage.fs.root
bad = [("fs:///etc/", "not under any of storage.fs_url_roots"),
       ("fs:///", "overlaps storage.fs.root"),
       ("fs://%s/" % DATA, "overlaps storage.fs.root"),
       ("fs://%s/stage/user/bob/" % DATA, "overlaps storage.fs.root"),
       ("fs://%s/" % os.path.dirname(DATA), "overlaps storage.fs.root"),
       ("fs://%s/" % OUT, "not under any of storage.fs_url_roots")]
for url, want in bad:
    got, msg = status(root.rpc, "CreateStage", name="adm", url=url)
    check("admin CreateStage %s -> INVALID_ARGUMENT" % url,
          got == "INVALID_ARGUMENT" and want in msg, "%s %s" % (got, msg))
check("... nothing stored", not exists("adm"))
got, msg = status(root.rpc, "CreateStage", name="adm", url="fs://%s/into-data/" % EXT)
check("a link below a base into the fs root: the worker's probe refuses it",
      got == "FAILED_PRECONDITION" and "symbolic link" in msg, "%s %s" % (got, msg))
check("... not stored", not exists("adm"))
got, msg = status(root.rpc, "CreateStage", name="adm",
                  url="fs://%s/into-data/stage/user/bob/" % EXT)
check("... nor below it", got == "FAILED_PRECONDITION" and "symbolic link" in msg,
      "%s %s" % (got, msg))
LINKROOT = os.path.join(os.path.dirname(EXT), "linkroot")
got, msg = status(root.rpc, "CreateStage", name="adm", url="fs://%s/stage/user/bob/" % LINKROOT)
check("a base that is a link into the fs root: refused by its real path",
      got == "FAILED_PRECONDITION" and "overlaps storage.fs.root" in msg, "%s %s" % (got, msg))
check("... not stored", not exists("adm"))

root.rpc("CreateStage", name="good", url="fs://%s/good/" % EXT)
root.upload("@good/a/x.txt", b"in the stage")
check("an fs:// stage under a listed root works",
      open(os.path.join(EXT, "good", "a", "x.txt"), "rb").read() == b"in the stage")
got, msg = status(root.rpc, "AlterStage", name="good", url="fs:///etc/")
check("admin AlterStage outside the roots -> INVALID_ARGUMENT",
      got == "INVALID_ARGUMENT" and "fs_url_roots" in msg, "%s %s" % (got, msg))
check("... the stage keeps its url",
      root.rpc("DescribeStage", name="good").stage.url == "fs://%s/good/" % EXT)

# ---- links planted under the fs root and in an fs:// stage lead nowhere
root.upload("@~/own.txt", b"mine")
home = os.path.join(DATA, "stage/user/root")
os.symlink("/etc", os.path.join(home, "etc"))
os.symlink("/etc/hostname", os.path.join(home, "hostname"))
os.symlink(OUT, os.path.join(home, "out"))
os.symlink(OUT, os.path.join(EXT, "good", "out"))
for loc in ("@~/etc/hostname", "@~/etc/passwd", "@~/hostname", "@~/out/secret",
            "@good/out/secret", "@good/out/sub/deep"):
    got, msg = status(root.download, loc)
    check("DownloadFile %s -> NOT_FOUND" % loc, got == "NOT_FOUND", "%s %s" % (got, msg))
    got, msg = status(root.stat, loc)
    check("StatFile %s -> NOT_FOUND" % loc, got == "NOT_FOUND", "%s %s" % (got, msg))
for loc in ("@~/etc/", "@~/etc", "@~/out/", "@good/out/"):
    got = [f.name for f in root.list(loc)]
    check("ListFiles %s lists nothing" % loc, got == [], str(got))
got = [f.name for f in root.list("@~")]
check("ListFiles @~ skips the links", got == ["own.txt"], str(got))
got = [f.name for f in root.list("@good/")]
check("ListFiles @good/ skips the link", got == ["a/x.txt"], str(got))
got, msg = status(root.upload, "@~/out/planted", b"evil")
check("UploadFile through a link fails", got != "OK", "%s %s" % (got, msg))
got, msg = status(root.upload, "@good/out/planted", b"evil")
check("... in an fs:// stage too", got != "OK", "%s %s" % (got, msg))
check("... nothing written outside", sorted(os.listdir(OUT)) == ["secret", "sub"],
      str(os.listdir(OUT)))
for loc in ("@~/out/", "@good/out/"):
    j = root.wait_job(root.remove(loc).id)
    check("RemoveFiles %s removes nothing outside" % loc,
          os.path.exists(os.path.join(OUT, "secret")) and
          os.path.exists(os.path.join(OUT, "sub", "deep")),
          "%s %s" % (sc.STATE[j.state], j.error_message))
check("the links are still only links", os.path.islink(os.path.join(home, "etc")))
print("%d failed" % len(fails))
raise SystemExit(1 if fails else 0)
EOF
cat "$T/fs_roots.out"
check_eq "fs:// stage rules and symlinks: every check passed" 0 "$rc"
if [ "$had_dot_tmp" = no ]; then
  check_eq "no worker created /.tmp" no "$([ -e /.tmp ] && echo yes || echo no)"
fi
check_eq "nothing was created outside the roots" "secret sub" "$(cd "$OUTSIDE" && echo *)"
e2e_finish
