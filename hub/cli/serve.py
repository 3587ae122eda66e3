"""``gridline hub serve|migrate``: run the hub (one process, or a pool of workers) and migrate its database."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from hub.cli.common import config_option, db_options, host_port, overrides_from_args, settings_from_args
from hub.config_file import CONFIG_ENV, ConfigError, check, unsafe

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="run the hub: MQTT ingest + HTTP API")
    serve.add_argument("--broker", help="mqtt://user:pass@host:port, or 'embedded' to start a loopback broker")
    serve.add_argument("--db", help="sqlite:///path.db or postgresql://user@host/db (default: SQLite in data dir)")
    serve.add_argument("--http", type=host_port, help="HOST:PORT for the API (default 127.0.0.1:8080)")
    serve.add_argument("--data-dir", help="photos, SQLite file, embedded broker state")
    serve.add_argument("--client-id", help="MQTT client id (one per hub worker)")
    serve.add_argument("--share-group", help="MQTT 5 shared-subscription group for several hub workers")
    config_option(serve)
    serve.add_argument("--workers", type=int, default=1, help="start N hub worker processes on one API address and "
                       "one share group (PostgreSQL and an external broker; see docs/scaling.md)")
    # Set by `--workers` for the processes it starts (hub/process/worker_pool.py); not for people.
    serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    serve.set_defaults(func=_serve)

    migrate = subparsers.add_parser("migrate", help="apply database migrations and exit")
    db_options(migrate)
    migrate.set_defaults(func=_migrate)

    config = subparsers.add_parser("config", help="the hub's configuration").add_subparsers(
        dest="config_command", required=True)
    check = config.add_parser("check", help="print the effective configuration (secrets masked) and refuse what "
                              "is unsafe in production (exit 2)")
    config_option(check)
    check.set_defaults(func=_check_config)


def _serve(args) -> int:
    import uvicorn

    from hub.process.malloc_tuning import limit_arenas, start_trimming
    from hub.process.memdiag import start_from_env

    try:
        settings = settings_from_args(args)
    except (ConfigError, ValidationError) as exc:
        log.error("hub: configuration refused: %s", exc)
        return 2
    from hub.api.request_ids import install_log_records

    install_log_records(settings.client_id)  # from the first line on, every log line names this worker
    if args.config:  # the pool's workers (and anything else this process starts) read the same file
        os.environ[CONFIG_ENV] = str(Path(args.config).resolve())
    problems = unsafe(settings, args.config or os.environ.get(CONFIG_ENV))
    if problems:
        for problem in problems:
            log.error("hub: unsafe in production: %s", problem)
        return 2
    if args.workers > 1:
        return _serve_pool(args, settings)
    arenas = limit_arenas()  # before any thread starts: see hub/process/malloc_tuning.py for why
    trim_s = start_trimming()
    start_from_env()  # GRIDLINE_MEMDIAG=file: periodic memory samples for soak investigations (off by default)
    api = "the pool's socket" if args.listen_fd is not None else f"http://{settings.http_host}:{settings.http_port}"
    log.warning("hub %s: API on %s, broker %s, db %s, malloc arenas %s, trim every %ss", settings.client_id, api,
                settings.broker_url.split("@")[-1], settings.db_url.split("@")[-1], arenas or "glibc default",
                trim_s or "-")
    if args.listen_fd is not None:  # one worker of a pool
        from hub.process.worker_pool import die_with_parent, serve_worker

        die_with_parent()
        serve_worker(_app(settings), args.listen_fd, args.ready_fd, **_uvicorn_options(args, settings))
        return 0
    uvicorn.run(_app(settings), host=settings.http_host, port=settings.http_port, log_level="info",
                **_uvicorn_options(args, settings))
    return 0


def _app(settings):
    """The hub that ``serve`` runs: it freezes its start-up heap once started (why: hub/process/gc_tuning.py)."""
    from hub.app import create_app
    from hub.process.gc_tuning import freeze_startup_heap

    return create_app(settings, after_startup=freeze_startup_heap)


def _uvicorn_options(args, settings) -> dict:
    """uvicorn's own log configuration prints text; for JSON its loggers go through ours (gridline/logs.py)."""
    json_logs = {"log_config": None} if getattr(args, "log_format", "text") == "json" else {}
    return {**settings.uvicorn_proxy_options(), **json_logs}


def _serve_pool(args, settings) -> int:
    from hub.process.worker_pool import PoolConfigError, WorkerPool

    try:
        pool = WorkerPool(settings, args.workers, log_level=args.log_level, log_format=args.log_format)
    except PoolConfigError as exc:
        log.error("hub: %s", exc)
        return 2
    return pool.run()


def _migrate(args) -> int:
    from hub.store import current_revision, upgrade

    settings = settings_from_args(args)
    upgrade(settings.db_url)
    print(f"database at revision {current_revision(settings.db_url)}")
    return 0


def _check_config(args) -> int:
    try:
        lines, problems = check(args.config, overrides_from_args(args))
    except (ConfigError, ValidationError) as exc:
        print(f"configuration refused: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    for problem in problems:
        print(f"unsafe in production: {problem}", file=sys.stderr)
    return 2 if problems else 0
