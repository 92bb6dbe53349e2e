#!/usr/bin/env bash
# Start or stop throwaway PostgreSQL and Redis servers on loopback, as local processes.
#   scripts/services.sh start   -> prints `export TEST_DATABASE_URL=... TEST_REDIS_URL=...`
#   scripts/services.sh stop
# Installs Debian's postgresql and redis-server packages when they are missing.
set -euo pipefail

STATE_DIR="${SERVICES_DIR:-${TMPDIR:-/tmp}/wamsvc-services}"
PG_PORT="${TEST_PG_PORT:-55432}"
REDIS_PORT="${TEST_REDIS_PORT:-56379}"

log() { echo "services: $*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
}

install_missing() {
  local wanted=()
  [ -n "$(pg_bin)" ] || wanted+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || wanted+=(redis-server)
  [ ${#wanted[@]} -eq 0 ] && return
  log "installing ${wanted[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q >/dev/null
  as_root apt-get install -y -q --no-install-recommends "${wanted[@]}" >/dev/null
}

# PostgreSQL refuses to run as root: use the postgres account the package creates.
run_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin data="$STATE_DIR/pg"
  bin="$(pg_bin)"
  mkdir -p "$STATE_DIR"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$STATE_DIR"
    run_pg "$bin/initdb" -D "$data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
  fi
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$STATE_DIR"
  if ! run_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    run_pg "$bin/pg_ctl" -D "$data" -l "$STATE_DIR/pg.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $STATE_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null
  fi
  for db in wamsvc_test wamsvc_bench; do
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
      || "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
  done
  log "postgresql on 127.0.0.1:$PG_PORT"
}

start_redis() {
  mkdir -p "$STATE_DIR"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
      --dir "$STATE_DIR" --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  log "redis on 127.0.0.1:$REDIS_PORT"
}

stop_all() {
  local bin
  bin="$(pg_bin)"
  if [ -n "$bin" ] && [ -f "$STATE_DIR/pg/PG_VERSION" ]; then
    run_pg "$bin/pg_ctl" -D "$STATE_DIR/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  log "stopped"
}

case "${1:-}" in
  start)
    install_missing
    start_postgres
    start_redis
    echo "export TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/wamsvc_test"
    echo "export BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/wamsvc_bench"
    echo "export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    echo "export TEST_PG_DATA=$STATE_DIR/pg TEST_PG_BIN=$(pg_bin)"
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
