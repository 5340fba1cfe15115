#!/usr/bin/env bash
# Hello world per runtime, start to exit: `runlet run` (build + run in the sandbox) beside
# the same build and run commands executed directly on the host, outside any sandbox.
# Prints a markdown table of the median and p99 wall time of each.
#
#   bench/runtimes/run.sh [--runs N] [--runlet PATH] [RUNTIME-ID...]
#
# The commands come from runtimes/<id>.json, so both sides do the same work: the
# runtime's build line and run argv with {main}, {main_stem} and {heap_mb} filled in and
# the runtime's env set. The bare side gets what the sandbox gives each run: an empty
# work directory holding the project's files and an empty /tmp (a fresh directory under
# the bench's temp dir stands in for /tmp, so caches such as GOCACHE start cold on both
# sides). Setting up those directories is not timed. One untimed run of each warms the
# page cache. p99 is the nearest-rank percentile: with 20 runs, the slowest.
# Needs root (the sandbox does).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=20
runlet=${RUNLET:-}
orig_args="$*"
ids=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --runlet) runlet=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) ids+=("$1"); shift ;;
  esac
done
if [[ -z $runlet ]]; then
  for candidate in "$repo/build/release/src/cli/runlet" "$repo/build/dev/src/cli/runlet"; do
    if [[ -x $candidate ]]; then runlet=$candidate; break; fi
  done
fi
[[ -x $runlet ]] || { echo "run.sh: no runlet binary; build one or pass --runlet PATH" >&2; exit 2; }
projects=$repo/tests/runtimes/projects
runtimes=$repo/runtimes
if ((${#ids[@]} == 0)); then
  ids=(bash-5.2 c-gcc-12 cpp-gcc-12 go-1.19 java-17 node perl-5.36 php-8.2 python-3.11 ruby-3.1 rust-1.63)
fi

scratch=$(mktemp -d /tmp/runlet-bench-runtimes.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
data=$scratch/data
mkdir -p "$data"

# Prints bash assignments BUILD (a shell line, or empty), RUN (an argv) and ENVS (K=V...)
# for a runtime, with the sandbox's /tmp written as @TMP@.
bare_commands() {
  python3 - "$runtimes/$1.json" <<'EOF'
import json, re, shlex, sys

rt = json.load(open(sys.argv[1]))
units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}

def heap_mb(step, default):
    text = rt.get("limits", {}).get(step, {}).get("memory", default)
    m = re.fullmatch(r"(\d+)([KMG]?)i?B?", str(text))
    size = int(m.group(1)) * units.get(m.group(2), 1)
    return str(max(8, size * 3 // 4 >> 20))

main = rt["main_file"]
stem = main.rsplit("/", 1)[-1]
stem = stem[: stem.rfind(".")] if stem.rfind(".") > 0 else stem

def fill(text, step, default):
    for key, value in (("main", main), ("main_stem", stem), ("heap_mb", heap_mb(step, default))):
        text = text.replace("{" + key + "}", value)
    return text.replace("/tmp/", "@TMP@/").replace("/tmp ", "@TMP@ ")

build = rt.get("build") or ""
if isinstance(build, list):
    build = " ".join(shlex.quote(a) for a in build)
run = rt["run"]
run = ["/bin/sh", "-c", run] if isinstance(run, str) else run
print("BUILD=" + shlex.quote(fill(build, "build", "1G")))
print("RUN=(" + " ".join(shlex.quote(fill(a, "run", "256M")) for a in run) + ")")
envs = [k + "=" + fill(v, "run", "256M") for k, v in rt.get("env", {}).items()]
print("ENVS=(" + " ".join(shlex.quote(e) for e in envs) + ")")
EOF
}

now_us() { echo "${EPOCHREALTIME/./}"; }

# One bare run in a fresh work directory and /tmp; prints its wall time in microseconds.
bare_once() {
  local id=$1 dir
  dir=$(mktemp -d "$scratch/bare.XXXXXX")
  mkdir -p "$dir/work" "$dir/tmp"
  cp -r "$projects/$id/hello/." "$dir/work/"
  local build=${BUILD//@TMP@/$dir/tmp}
  local run=("${RUN[@]//@TMP@/$dir/tmp}")
  local envs=("${ENVS[@]//@TMP@/$dir/tmp}")
  local start end
  start=$(now_us)
  (
    cd "$dir/work"
    export PATH=/usr/local/bin:/usr/bin:/bin HOME=$dir/tmp LANG=C.UTF-8
    for kv in "${envs[@]}"; do export "${kv?}"; done
    if [[ -n $build ]]; then /bin/sh -c "$build" >/dev/null; fi
    "${run[@]}" >/dev/null
  )
  end=$(now_us)
  rm -rf "$dir"
  echo $((end - start))
}

# One `runlet run`; prints its wall time in microseconds.
runlet_once() {
  local id=$1 start end
  start=$(now_us)
  "$runlet" run --runtimes "$runtimes" --data "$data" --runtime "$id" "$projects/$id/hello" >/dev/null
  end=$(now_us)
  echo $((end - start))
}

# Reads microseconds, one a line; prints "median p99" in milliseconds.
stats() {
  sort -n | awk '{ v[NR] = $1 } END {
    median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    rank = int(NR * 0.99); if (rank < NR * 0.99) rank++
    printf "%.0f %.0f\n", median / 1000, v[rank] / 1000 }'
}

# The tools must answer outside the sandbox too.
for id in "${ids[@]}"; do
  [[ -f $runtimes/$id.json && -d $projects/$id/hello ]] || { echo "run.sh: unknown runtime $id" >&2; exit 2; }
done

rows=()
for id in "${ids[@]}"; do
  eval "$(bare_commands "$id")"
  out=$("$runlet" run --runtimes "$runtimes" --data "$data" --runtime "$id" "$projects/$id/hello")
  [[ $out == "hello, world" ]] || { echo "run.sh: $id printed \"$out\" in the sandbox" >&2; exit 1; }
  bare_once "$id" >/dev/null
  # Interleaved, so that a change of load on a shared machine hits both sides alike.
  : >"$scratch/sandboxed.us"
  : >"$scratch/bare.us"
  for _ in $(seq "$runs"); do
    runlet_once "$id" >>"$scratch/sandboxed.us"
    bare_once "$id" >>"$scratch/bare.us"
  done
  sandboxed=$(stats <"$scratch/sandboxed.us")
  bare=$(stats <"$scratch/bare.us")
  read -r s_median s_p99 <<<"$sandboxed"
  read -r b_median b_p99 <<<"$bare"
  rows+=("| $id | $s_median | $s_p99 | $b_median | $b_p99 | $((s_median - b_median)) |")
  echo "run.sh: $id done" >&2
done

echo "Hello world, start to exit, $runs runs each ($(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))."
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); command: \`bench/runtimes/run.sh${orig_args:+ $orig_args}\`."
echo
echo "| runtime | runlet run median ms | runlet run p99 ms | bare median ms | bare p99 ms | sandbox cost (median) ms |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
