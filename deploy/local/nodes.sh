#!/usr/bin/env bash
# Several StyleBlazor nodes on one machine, as plain processes: the topology of deploy/compose.yaml without Docker
# (what the distributed tests start, for trying it out and for docs/scale-out.md's measurements).
#
#   deploy/local/nodes.sh start [WORKERS]   Redis, PostgreSQL, web nodes on 5101 and 5102, WORKERS workers (default 2)
#                                           on 5201.., and tools/Balancer on 5100 (build first: dotnet build -c Release)
#   deploy/local/nodes.sh add-worker        one more worker
#   deploy/local/nodes.sh stop              stops everything it started, by pid
#
# State (pids, logs, Redis's and PostgreSQL's files, the shared data directory) lives in $SB_NODES (default /tmp/sb-nodes).
# Needs redis-server and postgresql (apt-get install redis-server postgresql); as root, PostgreSQL runs as user postgres.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
STATE=${SB_NODES:-/tmp/sb-nodes}
CONFIG=${CONFIG:-Release}
APP=$ROOT/StyleBlazor/bin/$CONFIG/net10.0/StyleBlazor.dll
BALANCER=$ROOT/tools/Balancer/bin/$CONFIG/net10.0/Balancer.dll
REDIS_PORT=6391 PG_PORT=5441
PGBIN=/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -1)/bin
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }

node() { # name role port
  local name=$1 role=$2 port=$3
  ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Production} nohup dotnet "$APP" --urls "http://127.0.0.1:$port" \
    --contentRoot "$ROOT/StyleBlazor" --Node:Role "$role" --Node:Name "$name" \
    --ConnectionStrings:Redis "127.0.0.1:$REDIS_PORT" \
    --ConnectionStrings:Results "Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Maximum Pool Size=20" \
    --Results:DataDirectory "$STATE/shared" --Engine:CpuThreads "${THREADS:-1}" ${NODE_ARGS:-} >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

ready() { # port
  for _ in $(seq 240); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.5; done
  echo "node on $1 did not become ready; see $STATE/*.log" >&2; return 1
}

case "${1:-}" in
  start)
    [ -f "$APP" ] && [ -f "$BALANCER" ] || { echo "build first: dotnet build -c $CONFIG StyleBlazor.sln" >&2; exit 1; }
    mkdir -p "$STATE/redis" "$STATE/shared" "$STATE/pg"; chmod 755 "$STATE"
    redis-server --port $REDIS_PORT --bind 127.0.0.1 --daemonize yes --appendonly yes --save '' --dir "$STATE/redis" \
      --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$STATE/pg"
    [ -d "$STATE/pg/data" ] || as_postgres "$PGBIN/initdb -D $STATE/pg/data -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null"
    as_postgres "$PGBIN/pg_ctl -D $STATE/pg/data -l $STATE/pg/server.log -w -o '-p $PG_PORT -k $STATE/pg -c listen_addresses=127.0.0.1' start >/dev/null"
    node web-1 web 5101; ready 5101   # the first web node makes the schema
    node web-2 web 5102
    for i in $(seq "${2:-2}"); do node "worker-$i" worker $((5200 + i)); done
    ready 5102; for i in $(seq "${2:-2}"); do ready $((5200 + i)); done
    nohup dotnet "$BALANCER" --urls http://127.0.0.1:5100 --Balancer:Destinations:0 http://127.0.0.1:5101 \
      --Balancer:Destinations:1 http://127.0.0.1:5102 >"$STATE/balancer.log" 2>&1 &
    echo $! >"$STATE/balancer.pid"
    echo "balancer http://127.0.0.1:5100 -> web nodes :5101 :5102; workers :5201..; Redis :$REDIS_PORT; PostgreSQL :$PG_PORT"
    ;;
  add-worker)
    n=$(( $(ls "$STATE"/worker-*.pid 2>/dev/null | wc -l) + 1 ))
    node "worker-$n" worker $((5200 + n)); ready $((5200 + n)); echo "worker-$n on :$((5200 + n))"
    ;;
  stop)
    for pid in "$STATE"/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; rm -f "$pid"; done
    [ -f "$STATE/pg/data/postmaster.pid" ] && kill -INT "$(head -1 "$STATE/pg/data/postmaster.pid")" 2>/dev/null || true
    echo stopped
    ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
