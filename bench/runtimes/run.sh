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
#
# A runtime on a stored image (python-3.9, go-1.15: Debian 11 images built with
# `runlet image build --for ID`) takes the image from --images DIR (a data directory,
# default $RUNLET_DATA or /var/lib/runlet). Its bare side runs the same commands chrooted
# into the image's rootfs (in a private mount namespace, with the work directory and /tmp
# bound in, /proc and /dev from the host), and when a Docker engine answers, a third
# column gives `docker run --rm --network none` of the very same image (exported with
# `runlet image export`, `docker import`ed once) doing the same build and run.
# Needs root (the sandbox does).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=20
runlet=${RUNLET:-}
images=${RUNLET_DATA:-/var/lib/runlet}
orig_args="$*"
ids=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --runlet) runlet=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
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
defaulted=0
if ((${#ids[@]} == 0)); then
  defaulted=1
  ids=(bash-5.2 c-gcc-12 cpp-gcc-12 go-1.15 go-1.19 java-17 node perl-5.36 php-8.2 python-3.9 python-3.11 ruby-3.1
    rust-1.63)
fi

scratch=$(mktemp -d /tmp/runlet-bench-runtimes.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
data=$scratch/data
mkdir -p "$data"
# A fresh data directory (version cache) over the stored images.
if [[ -d $images/images ]]; then ln -s "$(cd "$images/images" && pwd)" "$data/images"; fi
docker_ok=0
if docker info >/dev/null 2>&1; then docker_ok=1; fi

# The image a runtime runs on ("host" or a stored image's name).
image_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("image", "host"))' "$runtimes/$1.json"; }
# The rootfs and digest of a stored image.
image_field() {
  "$runlet" image ls --json --data "$data" |
    python3 -c 'import json, sys; print(next(i[sys.argv[2]] for i in json.load(sys.stdin) if i["name"] == sys.argv[1]))' "$1" "$2"
}

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
# With ROOTFS set, chrooted into it (see the header).
bare_once() {
  local id=$1 dir
  dir=$(mktemp -d "$scratch/bare.XXXXXX")
  mkdir -p "$dir/work" "$dir/tmp"
  cp -r "$projects/$id/hello/." "$dir/work/"
  if [[ -n ${ROOTFS:-} ]]; then
    chroot_once "$dir"
    rm -rf "$dir"
    return
  fi
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

# The commands of the current runtime as one shell line, with its env, in /work. The
# program's output goes to /dev/null unless SHOW_OUTPUT=1.
inner_script() {
  local line="cd /work && export PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LANG=C.UTF-8" out=">/dev/null"
  if [[ ${SHOW_OUTPUT:-0} == 1 ]]; then out=""; fi
  for kv in "${ENVS[@]//@TMP@//tmp}"; do line+=" $(printf '%q' "$kv")"; done
  if [[ -n $BUILD ]]; then line+=" && { ${BUILD//@TMP@//tmp}; } >/dev/null"; fi
  line+=" && $(printf '%q ' "${RUN[@]//@TMP@//tmp}") $out"
  echo "$line"
}

chroot_once() {
  local dir=$1 start end
  start=$(now_us)
  unshare --mount --propagation private /bin/sh -c '
    mount --bind "$1/work" "$2/work" && mount --bind "$1/tmp" "$2/tmp" &&
    mount -t proc proc "$2/proc" && mount --rbind /dev "$2/dev" &&
    exec chroot "$2" /bin/sh -c "$3"' sh "$dir" "$ROOTFS" "$(inner_script)"
  end=$(now_us)
  echo $((end - start))
}

# One `docker run` of the image with the project bound at /work; prints microseconds.
docker_once() {
  local id=$1 dir start end
  dir=$(mktemp -d "$scratch/docker.XXXXXX")
  cp -r "$projects/$id/hello/." "$dir/"
  chmod -R a+rwX "$dir"
  start=$(now_us)
  docker run --rm --network none --user 1000:1000 --tmpfs /tmp:rw,exec -v "$dir:/work" -w /work "$DOCKER_IMAGE" \
    /bin/sh -c "$(inner_script)"
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
  image=$(image_of "$id")
  ROOTFS=""
  DOCKER_IMAGE=""
  if [[ $image != host ]]; then
    if ! ROOTFS=$(image_field "$image" rootfs 2>/dev/null); then
      why="needs image $image in $images: runlet image build --for $id"
      # Named on the command line: an error. In the default list: a row that says so.
      ((defaulted)) || { echo "run.sh: $id $why" >&2; exit 2; }
      echo "run.sh: $id not measured: $why" >&2
      rows+=("| $id | not measured: $why | | | | | | | |")
      continue
    fi
    if ((docker_ok)); then
      digest=$(image_field "$image" digest)
      DOCKER_IMAGE=runlet-bench/$image:${digest#sha256:}
      if ! docker image inspect "$DOCKER_IMAGE" >/dev/null 2>&1; then
        "$runlet" image export --data "$data" "$image" - 2>/dev/null | docker import - "$DOCKER_IMAGE" >/dev/null
      fi
    fi
  fi
  out=$("$runlet" run --runtimes "$runtimes" --data "$data" --runtime "$id" "$projects/$id/hello")
  [[ $out == "hello, world" ]] || { echo "run.sh: $id printed \"$out\" in the sandbox" >&2; exit 1; }
  bare_once "$id" >/dev/null
  if [[ -n $ROOTFS ]]; then
    out=$(SHOW_OUTPUT=1 bare_once "$id" | sed -n 1p)
    [[ $out == "hello, world" ]] || { echo "run.sh: $id printed \"$out\" in the chroot" >&2; exit 1; }
  fi
  if [[ -n $DOCKER_IMAGE ]]; then
    out=$(SHOW_OUTPUT=1 docker_once "$id" | sed -n 1p)
    [[ $out == "hello, world" ]] || { echo "run.sh: $id printed \"$out\" in docker" >&2; exit 1; }
  fi
  # Interleaved, so that a change of load on a shared machine hits all sides alike.
  : >"$scratch/sandboxed.us"
  : >"$scratch/bare.us"
  : >"$scratch/docker.us"
  for _ in $(seq "$runs"); do
    runlet_once "$id" >>"$scratch/sandboxed.us"
    bare_once "$id" >>"$scratch/bare.us"
    if [[ -n $DOCKER_IMAGE ]]; then docker_once "$id" >>"$scratch/docker.us"; fi
  done
  sandboxed=$(stats <"$scratch/sandboxed.us")
  bare=$(stats <"$scratch/bare.us")
  read -r s_median s_p99 <<<"$sandboxed"
  read -r b_median b_p99 <<<"$bare"
  docker_cols="- | - | -"
  if [[ -n $DOCKER_IMAGE ]]; then
    read -r d_median d_p99 <<<"$(stats <"$scratch/docker.us")"
    docker_cols="$d_median | $d_p99 | $(awk -v d="$d_median" -v s="$s_median" 'BEGIN { printf "%.1f×", d / s }')"
  fi
  label=$id
  if [[ -n $ROOTFS ]]; then label="$id (image $image; bare = chroot)"; fi
  rows+=("| $label | $s_median | $s_p99 | $b_median | $b_p99 | $((s_median - b_median)) | $docker_cols |")
  echo "run.sh: $id done" >&2
done

echo "Hello world, start to exit, $runs runs each ($(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))."
echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); command: \`bench/runtimes/run.sh${orig_args:+ $orig_args}\`."
echo
echo "| runtime | runlet run median ms | runlet run p99 ms | bare median ms | bare p99 ms | sandbox cost (median) ms | docker run median ms | docker run p99 ms | docker ÷ runlet |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
