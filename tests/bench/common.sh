# shellcheck shell=bash
# tests/bench/common.sh - what run.sh and s3.sh share (sourced after
# tests/e2e/lib.sh): timing, the median of samples and the table.
#
# Every timed row runs its service command and its direct one BENCH_SAMPLES
# times (default 3) and shows the median, with the spread of the samples as
# (min-max); ratios compare the medians.

SAMPLES=${BENCH_SAMPLES:-3}
[ "$SAMPLES" -ge 1 ] 2>/dev/null || SAMPLES=3
ROWS=()

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / b }'; }
mibs() { awk -v m="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? m / s : 0) }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
broken() {
  echo "bench: $*" >&2
  exit 1
}

# timed CMD... : run CMD and print the seconds it took (non-zero if CMD failed).
timed() {
  local t0 t1
  t0=$(now)
  "$@" || return 1
  t1=$(now)
  secs "$t0" "$t1"
}

# sample ARRAY CMD... : run CMD once more, its seconds appended to ARRAY.
sample() {
  local -n _into=$1
  local t
  shift
  t=$(timed "$@") || return 1
  _into+=("$t")
}
q() { "$@" >/dev/null; } # a command whose output a sample does not want

# med X... : "median min max" of the numbers.
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[1], v[NR] }'; }
# mid X... : the median.
mid() { med "$@" | cut -d' ' -f1; }

# per_s N UNIT DECIMALS T... : N per second at the median time, with the
# spread of the samples: "412.3 MiB/s (380.1-450.2)".
per_s() {
  local n=$1 u=$2 d=$3
  shift 3
  med "$@" | awk -v n="$n" -v u="$u" -v d="$d" 'function r(t) { return n / (t > 0 ? t : 1e-9) }
    { f = "%." d "f"; printf f " %s (" f "-" f ")", r($1), u, r($3), r($2) }'
}

# tspread T... : "0.035 s (0.030-0.040)"
tspread() { med "$@" | awk '{ printf "%.3f s (%.3f-%.3f)", $1, $2, $3 }'; }

# spread X... : "median (min-max)" of figures the tools printed (one decimal).
spread() { med "$@" | awk '{ printf "%.1f (%.1f-%.1f)", $1, $2, $3 }'; }

# row CASE SERVICE DIRECT RATIO TARGET
row() {
  local IFS=$'\t'
  ROWS+=("$*")
}

# print_table: the header and every row, each column as wide as its widest cell.
print_table() {
  { printf 'case\tservice\tdirect\tratio\ttarget\n' && printf '%s\n' "${ROWS[@]}"; } |
    awk -F'\t' '{ n = NR; for (i = 1; i <= 5; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
      END {
        for (r = 1; r <= n; r++) {
          line = sprintf("%-" w[1] "s | %-" w[2] "s | %-" w[3] "s | %" w[4] "s | %s",
                         c[r, 1], c[r, 2], c[r, 3], c[r, 4], c[r, 5])
          sub(/ +$/, "", line)
          print line
        }
      }'
}

# Peak RSS (VmHWM) of a process in KiB, and in MiB for a table.
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
kib_mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# Start a new peak: writing 5 to clear_refs resets VmHWM to the current RSS
# (Linux >= 4.0; our own processes). Non-zero if the kernel refused.
hwm_reset() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null; }
