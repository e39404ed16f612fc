#!/usr/bin/env bash
# test_roundtrip.sh - files of 0 B, 1 B, 5 MiB - 1, 5 MiB, 5 MiB + 1 and 100 MiB
# go up and down with stagectl and with the Python client; the stored copy (fs
# root, or downloaded by boto3 with E2E_STORAGE=s3, by @azure/storage-blob with
# E2E_STORAGE=azblob) and every download have the source's sha256; ranged
# downloads match dd. With S3, boto3 lists every key with its size (the sizes
# around 5 MiB straddle S3's smallest multipart part).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init roundtrip
e2e_start
login_root

W="$T/work"
declare -A SIZES=([empty]=0 [one]=1 [fivem1]=$(((5 << 20) - 1)) [five]=$((5 << 20))
  [fivep1]=$(((5 << 20) + 1)) [hundred]=$((100 << 20)))
NAMES=(empty one fivem1 five fivep1 hundred)
for n in "${NAMES[@]}"; do mkrand "$W/$n.bin" "${SIZES[$n]}"; done

# --- stagectl up, stagectl down (file, directory and stdout targets)
mkdir -p "$W/ctl"
for n in "${NAMES[@]}"; do
  src="$W/$n.bin"
  want=$(sha "$src")
  check_rc "stagectl put $n" 0 ctl put "$src" "@~/rt/ctl_$n.bin"
  check_contains "stagectl put $n prints a SUCCEEDED job" "$OUT" "SUCCEEDED"
  stored=$(stage_path "rt/ctl_$n.bin")
  if [ -f "$stored" ]; then
    check_eq "fs root copy of ctl_$n has the source's sha256" "$want" "$(sha "$stored")"
  else
    fail "fs root has no $stored after stagectl put $n"
  fi
  check_rc "stagectl get $n into a directory" 0 ctl get "@~/rt/ctl_$n.bin" "$W/ctl/"
  check_eq "stagectl get $n: sha256" "$want" "$(sha "$W/ctl/ctl_$n.bin" 2>/dev/null || echo missing)"
done
check_eq "stagectl get leaves no temp files" "" "$(find "$W/ctl" -name '.*stagectl-*')"

check_rc "stagectl get 5 MiB to stdout" 0 bash -c "'$STAGECTL' --server '$SERVER' get @~/rt/ctl_five.bin - | sha256sum | cut -d' ' -f1"
check_eq "stagectl get - : sha256" "$(sha "$W/five.bin")" "$OUT"
check_rc "stagectl get 1 B to a named file" 0 ctl get @~/rt/ctl_one.bin "$W/named.bin"
check_eq "named file: sha256" "$(sha "$W/one.bin")" "$(sha "$W/named.bin")"

# put into a directory location appends the base name; --json prints a Job document
check_rc "stagectl --json put into @~/rt/dir/" 0 ctl --json put "$W/one.bin" @~/rt/dir/
check_eq "job location got the base name" "@~/rt/dir/one.bin" "$(jget "$OUT" 'j["location"]')"
check_eq "job state" "SUCCEEDED" "$(jget "$OUT" 'j["state"]')"
check_eq "job kind" "UPLOAD" "$(jget "$OUT" 'j["kind"]')"
check_eq "fs root has rt/dir/one.bin" "$(sha "$W/one.bin")" "$(sha "$(stage_path rt/dir/one.bin)" 2>/dev/null || echo missing)"

# an existing file is not replaced without --overwrite
check_rc "put over an existing file" 1 ctl put "$W/five.bin" @~/rt/ctl_one.bin
check_contains "... is ALREADY_EXISTS" "$ERR" "ALREADY_EXISTS"
check_eq "... and the stored file is unchanged" "$(sha "$W/one.bin")" "$(sha "$(stage_path rt/ctl_one.bin)")"
check_rc "put --overwrite" 0 ctl put --overwrite "$W/five.bin" @~/rt/ctl_one.bin
check_eq "... replaces it" "$(sha "$W/five.bin")" "$(sha "$(stage_path rt/ctl_one.bin)")"
check_rc "put --overwrite back" 0 ctl put --overwrite "$W/one.bin" @~/rt/ctl_one.bin

# stat
check_rc "stagectl --json stat" 0 ctl --json stat @~/rt/ctl_five.bin
check_eq "stat size" "$((5 << 20))" "$(jget "$OUT" 'j["size"]')"
check_eq "stat name" "rt/ctl_five.bin" "$(jget "$OUT" 'j["name"]')"

# --- Python up, Python down
mkdir -p "$W/py"
for n in "${NAMES[@]}"; do
  src="$W/$n.bin"
  want=$(sha "$src")
  check_rc "python upload $n" 0 py upload "$src" "@~/rt/py_$n.bin"
  check_eq "python upload $n: job state" "SUCCEEDED" "$(jget "$OUT" 'j["state"]')"
  check_eq "python upload $n: bytes_done" "${SIZES[$n]}" "$(jget "$OUT" 'j["bytes_done"]')"
  check_eq "fs root copy of py_$n has the source's sha256" "$want" "$(sha "$(stage_path "rt/py_$n.bin")" 2>/dev/null || echo missing)"
  check_rc "python download $n" 0 py download "@~/rt/py_$n.bin" "$W/py/$n.bin"
  check_eq "python download $n: sha256" "$want" "$(sha "$W/py/$n.bin")"
  check_eq "python download $n: FileInfo.size" "${SIZES[$n]}" "$(jget "$OUT" 'j["info"]["size"]')"
done

# --- an independent S3 client lists every uploaded key with its size
if [ "$E2E_STORAGE" = s3 ]; then
  want=$(for c in ctl py; do for n in "${NAMES[@]}"; do
    printf 'stage/user/root/rt/%s_%s.bin %s\n' "$c" "$n" "${SIZES[$n]}"
  done; done | LC_ALL=C sort)
  check_eq "boto3 lists every uploaded object with its size" "$want" \
    "$(s3util lsz stage/user/root/rt/ | grep -E '/rt/(ctl|py)_[a-z0-9]+[.]bin ')"
fi

# --- across clients: what stagectl stored, Python reads, and the other way round
check_rc "python downloads stagectl's 100 MiB" 0 py download @~/rt/ctl_hundred.bin -
check_eq "... sha256" "$(sha "$W/hundred.bin")" "$(jget "$OUT" 'j["sha256"]')"
check_rc "stagectl gets python's 5 MiB" 0 ctl get @~/rt/py_five.bin "$W/cross.bin"
check_eq "... sha256" "$(sha "$W/five.bin")" "$(sha "$W/cross.bin")"

# --- ranged downloads against dd
range_check() { # NAME SRC LOCATION OFFSET LENGTH
  local name=$1 src=$2 loc=$3 off=$4 len=$5 want
  if [ "$len" -eq 0 ]; then
    want=$(dd if="$src" bs=64K iflag=skip_bytes skip="$off" status=none | sha256sum | cut -d' ' -f1)
  else
    want=$(dd if="$src" bs=64K iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none |
      sha256sum | cut -d' ' -f1)
  fi
  check_rc "python ranged download $name (offset $off length $len)" 0 py download "$loc" - --offset "$off" --length "$len"
  check_eq "... matches dd" "$want" "$(jget "$OUT" 'j["sha256"]')"
}
big="$W/hundred.bin"
range_check "inside one part" "$big" @~/rt/py_hundred.bin 12345 1000000
range_check "across part boundaries" "$big" @~/rt/py_hundred.bin $(((8 << 20) - 7)) $((17 << 20))
range_check "to the end" "$big" @~/rt/py_hundred.bin $(((100 << 20) - 300000)) 0
range_check "past the end (clipped)" "$big" @~/rt/py_hundred.bin $(((100 << 20) - 10)) 1000
range_check "from 0, 1 byte" "$W/five.bin" @~/rt/py_five.bin 0 1
check_rc "stagectl get --offset --length" 0 ctl get @~/rt/ctl_five.bin "$W/range.bin" --offset 4096 --length 65536
check_eq "... matches dd" \
  "$(dd if="$W/five.bin" bs=64K iflag=skip_bytes,count_bytes skip=4096 count=65536 status=none | sha256sum | cut -d' ' -f1)" \
  "$(sha "$W/range.bin")"

# --- file metadata: StatFile and ListFiles give md5, sha256 and creator, each equal to an
# independent computation and to what the store holds (fs: the file's xattrs read by Python;
# S3: boto3's HEAD, ETag and x-amz-meta-*; azblob: the SDK's Content-MD5 and metadata). S3 multipart objects: the ETag is no MD5 (s3rver's
# is), so md5 may be unknown there; the sha256 of one is known when the client sent it
# (stagectl does; the Python uploads here do not), as S3 metadata is named before the first part.
stored_meta() { # NAME -> "md5 sha256 creator" as the store holds them ("-" unknown)
  if [ "$E2E_STORAGE" = s3 ]; then
    s3util meta "stage/user/root/$1"
  elif [ "$E2E_STORAGE" = azblob ]; then
    azutil meta "$AZ_CONTAINER" "stage/user/root/$1"
  else
    "$PY" -c 'import os, sys
def x(n):
    try:
        return os.getxattr(sys.argv[1], "user.stage." + n).decode()
    except OSError:
        return "-"
print(x("md5"), x("sha256"), x("creator"))' "$DATA/stage/user/root/$1"
  fi
}
multipart() { [ "$E2E_STORAGE" = s3 ] && [ "${SIZES[$1]}" -gt $((8 << 20)) ]; }
check_rc "ls --json of the uploads" 0 ctl --json ls @~/rt/ --pattern '(ctl|py)_[a-z0-9]+[.]bin'
LS_JSON="$OUT"
for c in ctl py; do
  for n in "${NAMES[@]}"; do
    f="rt/${c}_$n.bin"
    want_md5=$(md5sum "$W/$n.bin" | cut -d' ' -f1)
    want_sha=$(sha "$W/$n.bin")
    check_rc "stat --json $f" 0 ctl --json stat "@~/$f"
    md5=$(jget "$OUT" 'j.get("md5", "")')
    sha256=$(jget "$OUT" 'j.get("sha256", "")')
    check_eq "stat $f: creator" "root" "$(jget "$OUT" 'j.get("creator", "")')"
    if multipart "$n" && [ -z "$md5" ]; then md5=$want_md5; fi
    check_eq "stat $f: md5 is md5sum's" "$want_md5" "$md5"
    if multipart "$n" && [ "$c" = py ]; then
      check_eq "stat $f: sha256 unknown (multipart, no client digest)" "" "$sha256"
      want_sha="-"
    else
      check_eq "stat $f: sha256 is sha256sum's" "$want_sha" "$sha256"
    fi
    read -r s_md5 s_sha s_creator <<<"$(stored_meta "$f")"
    if multipart "$n" && [ "$s_md5" = - ]; then s_md5=$want_md5; fi
    check_eq "store holds the md5 of $f" "$want_md5" "$s_md5"
    check_eq "store holds the sha256 of $f" "$want_sha" "$s_sha"
    check_eq "store holds the creator of $f" "root" "$s_creator"
    lmd5=$(printf '%s\n' "$LS_JSON" | "$PY" -c 'import json, sys
for l in sys.stdin:
    j = json.loads(l)
    if j["name"] == sys.argv[1]:
        print(j.get("md5", ""), j.get("sha256", "") or "-", j.get("creator", "") or "-")' "$f")
    read -r l_md5 l_sha l_creator <<<"$lmd5"
    if multipart "$n" && [ -z "$l_md5" ]; then l_md5=$want_md5; fi
    check_eq "ls $f: md5" "$want_md5" "$l_md5"
    if [ "$E2E_STORAGE" != s3 ]; then # S3 listings carry no metadata (a HEAD per key)
      check_eq "ls $f: sha256" "$want_sha" "$l_sha"
      check_eq "ls $f: creator" "root" "$l_creator"
    fi
  done
done
check_rc "stagectl ls shows the md5 column" 0 ctl ls @~/rt/ctl_one.bin
check_contains "... header" "$OUT" "MD5"
check_contains "... value" "$OUT" "$(md5sum "$W/one.bin" | cut -d' ' -f1)"
check_rc "stagectl stat shows md5 and sha256" 0 ctl stat @~/rt/ctl_one.bin
check_contains "... md5" "$OUT" "$(md5sum "$W/one.bin" | cut -d' ' -f1)"
check_contains "... sha256" "$OUT" "$(sha "$W/one.bin")"

# --- digests end to end: a wrong sha256 from a raw client fails the job with a clear
# reason and stores nothing; a stored file whose bytes no longer match its recorded digest
# makes stagectl get fail and leave no file behind (fs: the file is changed under the
# service, keeping its xattrs; azblob: the blob is replaced by the SDK, keeping its
# Content-MD5 and metadata)
badsum=$(py upload "$W/one.bin" @~/rt/badsum.bin --sha256 "$(printf '0%.0s' {1..64})" 2>&1 || true)
check_contains "upload with a wrong sha256: INVALID_ARGUMENT" "$badsum" "INVALID_ARGUMENT"
check_contains "... saying sha256 mismatch" "$badsum" "sha256 mismatch"
check_rc "... nothing stored" 1 ctl stat @~/rt/badsum.bin
check_contains "... NOT_FOUND" "$ERR" "NOT_FOUND"
if [ "$E2E_STORAGE" != s3 ]; then
  check_rc "put a file to damage" 0 ctl put "$W/fivem1.bin" @~/rt/damaged.bin
  if [ "$E2E_STORAGE" = azblob ]; then
    azutil damage "$AZ_CONTAINER" stage/user/root/rt/damaged.bin 1000 || fail "azutil damage"
  else
    "$PY" -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(1000); b = f.read(1); f.seek(1000); f.write(bytes([b[0] ^ 1]))' "$(stage_path rt/damaged.bin)"
  fi
  check_rc "stagectl get of a damaged file fails" 1 ctl get @~/rt/damaged.bin "$W/damaged.bin"
  check_contains "... with a checksum mismatch" "$ERR" "checksum mismatch"
  check_eq "... and leaves no file" "no" "$([ -e "$W/damaged.bin" ] && echo yes || echo no)"
  check_eq "... nor a temp file" "" "$(find "$W" -maxdepth 1 -name '.damaged*')"
  check_rc "a ranged get is not checked" 0 ctl get @~/rt/damaged.bin "$W/part.bin" --offset 0 --length 10
  rm -f "$W/part.bin"
fi

rm -f "$W"/*.bin "$W"/ctl/* "$W"/py/*
e2e_finish
