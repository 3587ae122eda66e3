#!/usr/bin/env bash
# Gridline developer entry point. On a fresh machine:
#   ./dev.sh demo     # a live demo community: hub + embedded broker + simulated terminals
#   ./dev.sh test     # the whole test suite against real Mosquitto and PostgreSQL (end-to-end also on the embedded broker)
#   ./dev.sh lint     # the gate: ruff (lint + import order) and mypy (protocol strict; hub, terminal, gridline)
#   ./dev.sh lock     # renew constraints.txt (the pinned versions every install above uses)
# Each creates .venv and installs Gridline into it the first time (again when pyproject.toml or constraints.txt change).
set -euo pipefail
cd "$(dirname "$0")"
VENV=${GRIDLINE_VENV:-.venv}
UV_VERSION=0.13.9  # the installer (not a dependency of Gridline)

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.gridline-installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    # uv installs the set in seconds where pip takes about half a minute (3.4 s against 28 s with empty caches,
    # measured on CI's machine kind); pip only fetches uv. The versions tested together: constraints.txt, which
    # ./dev.sh lock renews.
    "$VENV/bin/python" -m pip install -q "uv==$UV_VERSION"
    "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" -c constraints.txt -e '.[test,dev]'
    touch "$stamp"
  fi
}

ensure_services() {
  # Tests talk to a real PostgreSQL on 127.0.0.1:5432 (trust auth) and start real Mosquitto brokers of their own
  # (one per test worker, one per test that restarts it); the one on 127.0.0.1:1883 serves
  # GRIDLINE_TEST_BROKER=mqtt://127.0.0.1:1883 (a shared broker instead of the workers' own; tests/conftest.py).
  if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
    echo "starting mosquitto"
    mosquitto -d -c /etc/mosquitto/mosquitto.conf
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    echo "starting postgresql"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  fi
  for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && return 0
    sleep 0.2
  done
  echo "mosquitto or postgresql did not come up" >&2
  return 1
}

cmd=${1:-help}
shift || true
case "$cmd" in
  demo)
    ensure_venv
    exec "$VENV/bin/gridline" demo "$@"
    ;;
  test)
    ensure_venv
    ensure_services
    # Side by side on GRIDLINE_TEST_WORKERS pytest-xdist workers (default 5: the tests mostly wait on brokers, hubs
    # and sleeps - with 4 a CI run used 64 % of 2 cores; more than 5 could pass PostgreSQL's 100 connections, see
    # tests/scheduling.py "pg-many-connections"). What must stay on one worker or run alone: tests/scheduling.py.
    # Everything against Mosquitto and this machine's PostgreSQL (and SQLite); in the same run the end-to-end tests
    # again on the embedded broker, what `gridline demo` uses without Mosquitto (tests/e2e/conftest.py).
    # --durations: every run's log names its slowest tests (the CI wall-time budget is 15 minutes)
    workers=${GRIDLINE_TEST_WORKERS:-5}
    "$VENV/bin/python" -m pytest -q -n "$workers" --dist loadgroup --durations=30 "$@"
    ;;
  lock)
    # resolve gridline[test,dev] afresh in a throw-away venv and pin what it got
    tmp=$(mktemp -d)
    python3 -m venv "$tmp/venv"
    "$tmp/venv/bin/python" -m pip install -q --upgrade pip
    "$tmp/venv/bin/python" -m pip install -q -e '.[test,dev]'
    { sed -n '1,2p' constraints.txt; "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^gridline'; } > "$tmp/c.txt"
    mv "$tmp/c.txt" constraints.txt
    rm -rf "$tmp"
    ;;
  lint)
    ensure_venv
    "$VENV/bin/ruff" check protocol hub terminal gridline tests benchmarks
    "$VENV/bin/mypy"
    ;;
  *)
    sed -n '2,7p' "$0"
    exit 2
    ;;
esac
