#!/usr/bin/env bash
# test_roundtrip.sh - files of 0 B, 1 B, 5 MiB - 1, 5 MiB, 5 MiB + 1 and 100 MiB
# go up and down with stagectl and with the Python client; the stored copy (fs
# root, or downloaded by boto3 with E2E_STORAGE=s3) and every download have the
# source's sha256; ranged downloads match dd. With S3, boto3 lists every key
# with its size (the sizes around 5 MiB straddle S3's smallest multipart part).
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

rm -f "$W"/*.bin "$W"/ctl/* "$W"/py/*
e2e_finish
