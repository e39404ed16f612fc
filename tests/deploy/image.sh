#!/usr/bin/env bash
# image.sh BUILD_DIR - check the container image's recipe without building it
# (no Docker daemon, no registry here):
#  1. every shared library the built stage-frontend, stage-worker and stagectl
#     load (ldd, transitively) belongs to a Debian package (dpkg -S) that the
#     runtime stage of deploy/docker/Dockerfile installs, directly or as a
#     dependency (dpkg's Depends on this machine), or that debian:12-slim
#     already holds (Priority: required, and apt);
#  2. the build stage installs every build package of deploy/install-deps.sh;
#  3. the runtime stage copies the three binaries and runs as a non-root user;
#  4. .dockerignore keeps secrets and build output out of the build context;
#  5. the Dockerfile agrees with deploy/docker/image.conf, which the buildah
#     image is built from (the same binaries in the same directory, uid, home,
#     entrypoint and ports);
# then proves check 1 fails when a runtime package is dropped from a copy of
# the Dockerfile. Debian 12 (the image's base): the packages must match.
# Last, tests/deploy/image_build.sh builds the image with buildah (FROM
# scratch: the binaries and what ldd lists) and runs the binaries from it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
dockerfile=$root/deploy/docker/Dockerfile
# shellcheck source=../../deploy/docker/image.conf
. "$root/deploy/docker/image.conf"
read -ra bins <<<"$IMAGE_BINARIES"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

for b in "${bins[@]}"; do
  [ -x "$build/$b" ] || { echo "FAIL image: $build/$b is not built"; exit 1; }
done

# The Dockerfile with continuation lines joined, split into stages.
joined() { sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$1"; }
# Packages of the apt-get install lines of stage N (1 = first FROM; "last").
stage_pkgs() {
  joined "$1" | awk -v want="$2" '
    /^FROM / { n++ }
    { stage[NR] = n; line[NR] = $0 }
    END {
      if (want == "last") want = n
      for (i = 1; i <= NR; i++) {
        if (stage[i] != want) continue
        s = line[i]
        while ((p = index(s, "apt-get install")) > 0) {
          s = substr(s, p + 15)
          rest = s; sub(/&&.*/, "", rest)
          k = split(rest, w, /[ \t]+/)
          for (j = 1; j <= k; j++) if (w[j] != "" && w[j] !~ /^-/) print w[j]
        }
      }
    }' | sort -u
}

# dpkg's package of a library path (merged /usr: dpkg may know either name).
owner() {
  local p=$1 r out
  r=$(readlink -f "$p")
  for c in "$p" "$r" "${p#/usr}" "/usr$p" "${r#/usr}" "/usr$r"; do
    if out=$(dpkg -S "$c" 2>/dev/null); then
      echo "${out%%:*}" | head -1 | sed 's/,.*//'
      return 0
    fi
  done
  return 1
}

# Installed packages (names without :arch) and their dependencies, once.
declare -A deps installed
while IFS=$'\t' read -r pkg dep pre; do
  pkg=${pkg%%:*}
  installed[$pkg]=1
  deps[$pkg]="$pre, $dep"
done < <(dpkg-query -W -f='${Package}\t${Depends}\t${Pre-Depends}\t${Status}\n' |
  awk -F'\t' '$4 ~ / installed$/ { print $1 "\t" $2 "\t" $3 }')
mapfile -t base_seed < <(echo apt; dpkg-query -W -f='${Package} ${Priority} ${Essential}\n' |
  awk '$2 == "required" || $3 == "yes" { sub(/:.*/, "", $1); print $1 }')

apt_lists=$(apt-cache pkgnames 2>/dev/null | head -1 || true)

# Every package a set of packages brings (Depends and Pre-Depends, every
# installed alternative), as lines.
closure() {
  local -A seen=()
  local queue=("$@") p d alt
  while [ ${#queue[@]} -gt 0 ]; do
    p=${queue[0]}; queue=("${queue[@]:1}")
    [ -n "${seen[$p]:-}" ] && continue
    seen[$p]=1
    [ -n "${installed[$p]:-}" ] || continue
    IFS=',' read -ra ds <<<"${deps[$p]}"
    for d in "${ds[@]}"; do
      IFS='|' read -ra alts <<<"$d"
      for alt in "${alts[@]}"; do
        alt=$(echo "$alt" | sed -e 's/([^)]*)//g' -e 's/:any//' -e 's/[[:space:]]//g')
        [ -n "$alt" ] && [ -n "${installed[$alt]:-}" ] && [ -z "${seen[$alt]:-}" ] && queue+=("$alt")
      done
    done
  done
  printf '%s\n' "${!seen[@]}"
}

# Library -> package of every binary, computed once.
declare -A libpkg
nlibs=0
for b in "${bins[@]}"; do
  while read -r name arrow path _; do
    if [ "$arrow" != "=>" ]; then # linux-vdso, or the loader given by path
      case $name in /*) path=$name; name=$(basename "$name") ;; *) continue ;; esac
    fi
    if [ "$path" = "not" ]; then
      fail "image: $b: $name not found (ldd)"
      continue
    fi
    [ -n "${libpkg[$name]:-}" ] && continue
    if pkg=$(owner "$path"); then
      libpkg[$name]=$pkg
    else
      libpkg[$name]="?"
      fail "image: $b: $path belongs to no Debian package (built by hand? the image cannot have it)"
    fi
    nlibs=$((nlibs + 1))
  done < <(ldd "$build/$b")
done

# Check 1 against a Dockerfile; prints the problems, returns their count.
check_libs() {
  local df=$1 n=0 lib p
  mapfile -t runtime < <(stage_pkgs "$df" last)
  if [ ${#runtime[@]} -eq 0 ]; then
    echo "no apt-get install in the runtime stage of $df"
    return 1
  fi
  for p in "${runtime[@]}"; do
    # (a package not installed here is looked up in apt's lists, when there are any)
    if [ -z "${installed[$p]:-}" ] && [ -n "$apt_lists" ] && ! apt-cache show "$p" >/dev/null 2>&1; then
      echo "runtime package '$p' is not a Debian 12 package"
      n=$((n + 1))
    fi
  done
  local -A have=()
  while read -r p; do have[$p]=1; done < <(closure "${runtime[@]}" "${base_seed[@]}")
  for lib in $(printf '%s\n' "${!libpkg[@]}" | sort); do
    p=${libpkg[$lib]}
    [ "$p" = "?" ] && continue
    if [ -z "${have[$p]:-}" ]; then
      echo "$lib (package $p) is not installed by the runtime stage: add $p to its apt-get install"
      n=$((n + 1))
    fi
  done
  return $((n > 0))
}

if out=$(check_libs "$dockerfile"); then
  pkgs=$(printf '%s\n' "${libpkg[@]}" | sort -u | wc -l)
  echo "ok   image: the ${nlibs} libraries ${bins[*]##*/} load come from ${pkgs} packages, all in the runtime stage"
else
  while read -r l; do fail "image: $l"; done <<<"$out"
fi

# 2. The build stage has what install-deps.sh installs to build (not the
# local-stack and test tools).
mapfile -t buildstage < <(stage_pkgs "$dockerfile" 1)
mapfile -t depspkgs < <(sed -n '/^BUILD_PKGS=(/,/)/p' "$root/deploy/install-deps.sh" |
  sed -e 's/^BUILD_PKGS=(//' -e 's/)//' | tr -s ' \t' '\n' | grep -v '^$')
missing=()
for p in "${depspkgs[@]}"; do
  case $p in redis-server | redis-tools | python3) continue ;; esac
  printf '%s\n' "${buildstage[@]}" | grep -qx -- "$p" || missing+=("$p")
done
if [ ${#depspkgs[@]} -eq 0 ]; then
  fail "image: no BUILD_PKGS in deploy/install-deps.sh"
elif [ ${#missing[@]} -gt 0 ]; then
  fail "image: the Dockerfile's build stage lacks ${missing[*]} (deploy/install-deps.sh BUILD_PKGS)"
else
  echo "ok   image: the build stage installs every build package of install-deps.sh"
fi

# 3. The runtime stage: the three binaries, a numeric non-root user.
last=$(joined "$dockerfile" | awk '/^FROM /{s=""} {s=s $0 "\n"} END{printf "%s", s}')
for b in "${bins[@]}"; do
  echo "$last" | grep -E "^COPY --from=.*/${b}( |$)" >/dev/null ||
    fail "image: the runtime stage does not COPY ${b}"
done
user=$(echo "$last" | awk '/^USER /{u=$2} END{print u}')
case $user in
  '' | 0 | root | 0:*) fail "image: the runtime stage must end with USER <non-root uid> (got '${user}')" ;;
  *[!0-9]*) fail "image: USER '${user}' must be numeric (runAsNonRoot cannot check a name)" ;;
  *) echo "ok   image: the runtime stage copies ${bins[*]##*/} and runs as uid $user" ;;
esac

# 4. .dockerignore at the context root (the repository root).
ign=$root/.dockerignore
if [ ! -f "$ign" ]; then
  fail "image: no .dockerignore: COPY . . would send .state/ (master key, root password) to the daemon"
else
  mapfile -t pats < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's|^/||' -e 's|/$||' "$ign" | grep -v '^$')
  ignored() { # a top-level name matched by a pattern (Docker's are relative to the root)
    local p
    for p in "${pats[@]}"; do
      # shellcheck disable=SC2053
      [[ $p != '!'* && $1 == $p ]] && return 0
    done
    return 1
  }
  before=$fails
  for n in .state .git build build-asan build-release node_modules Testing; do
    ignored "$n" || fail "image: .dockerignore does not exclude '$n'"
  done
  for n in CMakeLists.txt common frontend worker cli proto deploy; do
    ! ignored "$n" || fail "image: .dockerignore excludes '$n', which the image build needs"
  done
  printf '%s\n' "${pats[@]}" | grep -q '^!' &&
    fail "image: .dockerignore has '!' exceptions: keep it a plain deny list"
  [ $fails -eq "$before" ] && echo "ok   image: .dockerignore keeps .state, .git, build*/ and test output out of the context"
fi

# 5. The Dockerfile's runtime stage against image.conf (what buildah.sh
# builds); prints the problems, returns their count.
check_conf() {
  local df=$1 n=0 b last user entry expose
  last=$(joined "$df" | awk '/^FROM /{s=""} {s=s $0 "\n"} END{printf "%s", s}')
  user=$(echo "$last" | awk '/^USER /{u=$2} END{print u}')
  for b in "${bins[@]}"; do
    echo "$last" | grep -E "^COPY --from=.* /[^ ]*/${b}( .*)? ${IMAGE_BINDIR}/?$" >/dev/null ||
      { echo "the runtime stage does not COPY ${b} to ${IMAGE_BINDIR}/ (deploy/docker/image.conf)"; n=$((n + 1)); }
  done
  ncopied=$(echo "$last" | awk '/^COPY --from=/ {n += NF - 3} END {print n + 0}')
  [ "$ncopied" = "${#bins[@]}" ] ||
    { echo "the runtime stage copies ${ncopied} files, image.conf lists ${#bins[@]} binaries"; n=$((n + 1)); }
  [ "$user" = "$IMAGE_UID" ] || { echo "USER ${user}, image.conf's IMAGE_UID is ${IMAGE_UID}"; n=$((n + 1)); }
  echo "$last" | grep -E "useradd .*--uid ${IMAGE_UID} --gid ${IMAGE_UID} .*--home ${IMAGE_HOME} ${IMAGE_USER}( |$)" >/dev/null ||
    { echo "the runtime stage does not create ${IMAGE_USER} (uid and gid ${IMAGE_UID}, home ${IMAGE_HOME}, as rootfs.sh)"; n=$((n + 1)); }
  echo "$last" | grep -E "install -d -o ${IMAGE_UID} -g ${IMAGE_UID} -m 0750 ${IMAGE_HOME}( |$)" >/dev/null ||
    { echo "the runtime stage does not make ${IMAGE_HOME} the user's, mode 0750 (as buildah.sh)"; n=$((n + 1)); }
  entry=$(echo "$last" | sed -n 's/^ENTRYPOINT //p' | tail -1)
  [ "$entry" = "[\"${IMAGE_ENTRYPOINT}\"]" ] ||
    { echo "ENTRYPOINT ${entry}, image.conf's is [\"${IMAGE_ENTRYPOINT}\"]"; n=$((n + 1)); }
  expose=$(echo "$last" | sed -n 's/^EXPOSE //p' | tr ' ' '\n' | sed 's|/tcp$||' | sort | paste -sd' ')
  [ "$expose" = "$(echo "$IMAGE_PORTS" | tr ' ' '\n' | sort | paste -sd' ')" ] ||
    { echo "EXPOSE ${expose}, image.conf's ports are ${IMAGE_PORTS}"; n=$((n + 1)); }
  return $((n > 0))
}
if out=$(check_conf "$dockerfile"); then
  echo "ok   image: the Dockerfile agrees with deploy/docker/image.conf (binaries in ${IMAGE_BINDIR}, uid ${IMAGE_UID}, entrypoint, ports ${IMAGE_PORTS})"
else
  while read -r l; do fail "image: $l"; done <<<"$out"
fi
# ... and must notice a Dockerfile that drifts from it.
for edit in 's|^USER 10001$|USER 10002|' 's|/build/cli/stagectl ||' \
  's|^ENTRYPOINT .*|ENTRYPOINT ["/usr/local/bin/stage-worker"]|' 's|^EXPOSE 7070 7071$|EXPOSE 7070|' \
  's|--uid 10001 --gid 10001|--uid 10001|'; do
  t=$(mktemp)
  sed -e "$edit" "$dockerfile" >"$t"
  if cmp -s "$t" "$dockerfile"; then
    fail "image: the edit '$edit' changes nothing in the Dockerfile"
  elif out=$(check_conf "$t"); then
    fail "image: the image.conf check accepted a Dockerfile edited with '$edit'"
  else
    echo "ok   image: rejects a Dockerfile edited with '$edit': $(echo "$out" | head -1)"
  fi
  rm -f "$t"
done

# The check must notice a runtime package that is gone.
for drop in libmicrohttpd12 libgrpc29 libhiredis0.14; do
  t=$(mktemp)
  sed -e "s/ ${drop//./\\.} / /" "$dockerfile" >"$t"
  if cmp -s "$t" "$dockerfile"; then
    fail "image: cannot drop $drop: not in the runtime stage's list"
  elif out=$(check_libs "$t"); then
    fail "image: the check accepted a runtime stage without $drop"
  elif ! line=$(echo "$out" | grep -m1 -F "(package $drop)"); then
    fail "image: without $drop, the check failed for another reason: $out"
  else
    echo "ok   image: rejects a runtime stage without $drop: $line"
  fi
  rm -f "$t"
done

# The image itself, built with buildah, and the binaries run from it.
if ! "$here/image_build.sh" "$build"; then
  fail "image: tests/deploy/image_build.sh"
fi

[ $fails -eq 0 ] && echo "image: ok" || echo "image: $fails problem(s)"
exit $((fails > 0))
