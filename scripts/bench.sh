#!/usr/bin/env bash
# Prints the performance figures quoted in the README. Speed and memory
# goals are checked here, by benchmarks, not by timed tests.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== polling: 5,000 running tasks through the real SDK client and the simulator"
go test -run '^$' -bench 'BenchmarkPoll5000' -benchtime 20x -benchmem ./monitor/ | grep -E '^Benchmark'
echo "== events: parse -> classify -> dispatch, discarding notifier"
go test -run '^$' -bench 'BenchmarkHandleEvent' -benchmem ./monitor/ | grep -E '^Benchmark'
echo "== events end to end: simulator SQS -> daemon -> local Slack"
go test -run '^$' -bench 'BenchmarkEventsEndToEnd' -benchtime 2x ./internal/daemon/ | grep -E '^Benchmark'
