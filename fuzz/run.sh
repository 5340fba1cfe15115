#!/usr/bin/env bash
# Runs one fuzz harness.
#   run.sh replay BINARY NAME          every input in fuzz/corpus/NAME and fuzz/regressions/NAME, once
#   run.sh fuzz BINARY NAME SECONDS    fuzzes for SECONDS from those inputs and the corpus grown
#                                      before (build/fuzz/corpus/NAME), one process, niced
# A crash fails the run; its input is kept in build/fuzz/crashes/NAME/ (copy it to
# fuzz/regressions/NAME/ once fixed). Seconds fuzzed are added to build/fuzz/seconds.log.
set -euo pipefail
mode=$1 bin=$2 name=$3 seconds=${4:-60}
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$(dirname "$bin")/.." && pwd)
seeds=$src/corpus/$name regressions=$src/regressions/$name
work=$build/corpus/$name crashes=$build/crashes/$name
mkdir -p "$work" "$crashes"
# Inputs larger than libFuzzer's default 4 KiB where the parser's limits are larger; for
# HTTP at full length from the start (a field reaches 64 KiB only in a long input).
extra=-len_control=100
case $name in
  http) max_len=131072 extra=-len_control=0 ;;
  websocket | image_archive | layer | project_archive) max_len=65536 ;;
  *) max_len=8192 ;;
esac
# Scratch files and the fixture's SQLite in memory when the host has a tmpfs: a disk's
# fsyncs would make the file-writing harnesses a hundred times slower.
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
case $mode in
  replay)
    mapfile -t inputs < <(find "$seeds" "$regressions" -type f ! -name .gitkeep 2>/dev/null | sort)
    ((${#inputs[@]})) || { echo "fuzz $name: no inputs"; exit 1; }
    exec "$bin" -rss_limit_mb=4096 -timeout=60 "${inputs[@]}"
    ;;
  fuzz)
    start=$(date +%s)
    status=0
    nice -n 10 "$bin" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=4096 -timeout=60 \
      "$extra" -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "$seeds" "$regressions" || status=$?
    echo "$name $(($(date +%s) - start)) $status $(date -u +%FT%TZ)" >>"$build/seconds.log"
    exit $status
    ;;
  *) echo "usage: $0 replay|fuzz BINARY NAME [SECONDS]" >&2; exit 2 ;;
esac
