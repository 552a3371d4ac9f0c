#!/usr/bin/env bash
# Prints every performance figure of the README's Performance section beside
# its target. Speed and memory goals are checked here, by benchmarks, not by
# timed tests.
#
#   COUNT=5          runs of each time-based benchmark (the table shows the
#                    median and the range; allocation counts barely move)
#   IDLE_WINDOW=60s  how long the idle daemon's CPU time is sampled
#   SKIP_TESTS=1     leave out the `go test ./...` wall time
#   BENCH_OUT=dir    keep the raw benchmark output there, for benchstat:
#                    go run golang.org/x/perf/cmd/benchstat@latest old/all.txt new/all.txt
#
# Wall-clock figures (µs/event, events/s, p99, test wall time) move with the
# machine's load; the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
IDLE_WINDOW=${IDLE_WINDOW:-60s}
out=${BENCH_OUT:-$(mktemp -d)}
mkdir -p "$out"
: >"$out/all.txt"
gotest() { env -u AWS_CA_BUNDLE -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy go test "$@"; }
bench() { # name, go test arguments...
  local name=$1; shift
  echo "== $name" >&2
  gotest -run '^$' "$@" | grep -E '^Benchmark' | tee "$out/$name.txt" | tee -a "$out/all.txt" >&2
}
# stat FILE UNIT [SCALE]: "median (min–max)" of the value before UNIT, divided by SCALE.
stat() {
  awk -v unit="$2" -v scale="${3:-1}" '{for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1) / scale}' "$1" |
    sort -g | awk '{v[NR] = $1} END {if (NR == 0) {print "n/a"; exit}
      m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
      if (NR == 1) printf "%.4g\n", m; else printf "%.4g (%.4g–%.4g)\n", m, v[1], v[NR]}'
}
# check VALUE OP TARGET: "yes" or "no" for the median (first number of VALUE).
check() { awk -v v="${1%% *}" -v op="$2" -v t="$3" 'BEGIN {
  if (v == "n/a") {print "?"; exit}
  ok = (op == "<=") ? v <= t : (op == ">=") ? v >= t : (op == "<") ? v < t : v == t
  print ok ? "yes" : "NO"}'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
bench poll -bench '^BenchmarkPoll5000$' -benchtime 20x -benchmem -count 3 ./monitor/
bench store -bench '^BenchmarkStoreWritesPerPoll5000$' -benchtime 20x -count 1 ./monitor/
bench handle -bench '^BenchmarkHandleEvent$' -benchmem -count "$COUNT" ./monitor/
bench e2e -bench '^BenchmarkEventsEndToEnd$' -benchtime 20x -count "$COUNT" ./internal/daemon/
bench track -bench '^BenchmarkTrack100k$' -benchtime 3x -benchmem -count 3 ./monitor/
bench idle -bench '^BenchmarkIdleCPU$' -benchtime 1x -idle-window "$IDLE_WINDOW" .
tests="skipped"
if [ -z "${SKIP_TESTS:-}" ]; then
  echo "== go test -count=1 ./..." >&2
  start=$(date +%s.%N)
  gotest -count=1 ./... >"$out/tests.txt" 2>&1 || { cat "$out/tests.txt"; exit 1; }
  tests=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }
echo
echo "load average before: $load_before, after: $load_after ($(nproc) cores)"
echo
row "figure" "measured: median (range)" "target" "met"
row "---" "---" "---" "---"
v=$(stat "$out/poll.txt" steady-ListTasks/poll); row "BenchmarkPoll5000: ListTasks per steady poll" "$v" "50" "$(check "$v" == 50)"
v=$(stat "$out/poll.txt" steady-DescribeTasks/poll); row "BenchmarkPoll5000: DescribeTasks per steady poll" "$v" "0" "$(check "$v" == 0)"
row "BenchmarkPoll5000: ms per poll" "$(stat "$out/poll.txt" ns/op 1e6)" "(reported)" ""
v=$(stat "$out/store.txt" dynamodb-writes/poll); row "BenchmarkStoreWritesPerPoll5000: DynamoDB writes per poll" "$v" "≤ 1" "$(check "$v" '<=' 1)"
v=$(stat "$out/handle.txt" ns/op 1000); row "BenchmarkHandleEvent: µs per event" "$v" "≤ 50" "$(check "$v" '<=' 50)"
v=$(stat "$out/handle.txt" allocs/op); row "BenchmarkHandleEvent: allocations per event" "$v" "≤ 40" "$(check "$v" '<=' 40)"
row "BenchmarkHandleEvent: bytes per event" "$(stat "$out/handle.txt" B/op)" "(reported)" ""
v=$(stat "$out/e2e.txt" events/s); row "BenchmarkEventsEndToEnd: events/s" "$v" "≥ 2000" "$(check "$v" '>=' 2000)"
v=$(stat "$out/e2e.txt" p99-ms); row "BenchmarkEventsEndToEnd: p99 queue → Slack (ms)" "$v" "≤ 100" "$(check "$v" '<=' 100)"
row "BenchmarkEventsEndToEnd: p50 queue → Slack (ms)" "$(stat "$out/e2e.txt" p50-ms)" "(reported)" ""
row "BenchmarkEventsEndToEnd: CPU µs per event (whole process)" "$(stat "$out/e2e.txt" cpu-us/event)" "(reported)" ""
row "BenchmarkEventsEndToEnd: allocations per event (whole process)" "$(stat "$out/e2e.txt" allocs/event)" "(reported)" ""
v=$(stat "$out/track.txt" MiB-heap); row "BenchmarkTrack100k: live heap for 100,000 tasks (MiB)" "$v" "≤ 64" "$(check "$v" '<=' 64)"
row "BenchmarkTrack100k: poll CPU ns per task (with the simulator's side)" "$(stat "$out/track.txt" cpu-ns/task)" "(reported)" ""
row "BenchmarkTrack100k: ms per poll of all 20 clusters" "$(stat "$out/track.txt" ns/op 1e6)" "(reported)" ""
v=$(stat "$out/idle.txt" cpu-%)
row "BenchmarkIdleCPU: idle daemon CPU, % of one core ($(stat "$out/idle.txt" window-s) s window, $(stat "$out/idle.txt" polls/window) polls)" "$v" "< 1" "$(check "$v" '<' 1)"
if [ "$tests" = skipped ]; then met=""; else met=$(check "$tests" '<=' 40); fi
row "go test -count=1 ./... wall time (s)" "$tests" "≤ 40" "$met"
echo
echo "raw benchmark output: $out/all.txt"
