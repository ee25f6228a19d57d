#!/usr/bin/env bash
# docs/scale-out.md's numbers: the same 12 jobs on 1 worker, then on 2 (one torch thread each), submitted to one web
# node and watched through the other (tools/LoadTest --scale-out). Build first: dotnet build -c Release StyleBlazor.sln
#
#   deploy/local/measure.sh [JOBS] [ITERATIONS] [SIDE]     defaults 12, 30, 128
set -euo pipefail
cd "$(dirname "$0")/../.."
JOBS=${1:-12} ITERATIONS=${2:-30} SIDE=${3:-128}
LOADTEST=tools/LoadTest/bin/Release/net10.0/LoadTest.dll
[ -f "$LOADTEST" ] || { echo "build first: dotnet build -c Release StyleBlazor.sln" >&2; exit 1; }
# One address submits every job here, so the per-address limits are raised for the measurement (nothing else changes).
export NODE_ARGS="--Engine:MaxQueuedPerAddress 50 --Engine:QueueCapacity 50 --Limits:SubmissionsPerMinutePerAddress 500 --Limits:HubConnectionsPerAddress 100 --Logging:LogLevel:Default Warning"
trap '[ -n "${SB_NODES:-}" ] && deploy/local/nodes.sh stop >/dev/null' EXIT
for workers in 1 2; do
  echo "== $workers worker(s), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  export SB_NODES=/tmp/sb-measure-$workers
  deploy/local/nodes.sh start "$workers" >/dev/null
  dotnet "$LOADTEST" --url http://127.0.0.1:5101 --watch-url http://127.0.0.1:5102 --scale-out "$JOBS" \
    --iterations "$ITERATIONS" --side "$SIDE" --backbone resnet18 --first-frames 10
  # Where the two cores went: CPU seconds of each process over the whole run (utime + stime, clock ticks).
  tick=$(getconf CLK_TCK)
  for pidfile in "$SB_NODES"/*.pid; do
    pid=$(cat "$pidfile"); [ -r "/proc/$pid/stat" ] || continue
    awk -v name="$(basename "$pidfile" .pid)" -v tick="$tick" '{ printf "cpu             %-10s %6.1f s\n", name, ($14 + $15) / tick }' "/proc/$pid/stat"
  done
  deploy/local/nodes.sh stop >/dev/null
  sleep 3 # PostgreSQL and Redis let go of their ports
  rm -rf "$SB_NODES"; unset SB_NODES
done
