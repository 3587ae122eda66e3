"""``gridline hub serve|migrate``: run the hub (one process, or a pool of workers) and migrate its database."""
from __future__ import annotations

import argparse
import logging

from hub.cli.common import db_options, host_port, settings_from_args

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="run the hub: MQTT ingest + HTTP API")
    serve.add_argument("--broker", help="mqtt://user:pass@host:port, or 'embedded' to start a loopback broker")
    serve.add_argument("--db", help="sqlite:///path.db or postgresql://user@host/db (default: SQLite in data dir)")
    serve.add_argument("--http", type=host_port, help="HOST:PORT for the API (default 127.0.0.1:8080)")
    serve.add_argument("--data-dir", help="photos, SQLite file, embedded broker state")
    serve.add_argument("--client-id", help="MQTT client id (one per hub worker)")
    serve.add_argument("--share-group", help="MQTT 5 shared-subscription group for several hub workers")
    serve.add_argument("--workers", type=int, default=1, help="start N hub worker processes on one API address and "
                       "one share group (PostgreSQL and an external broker; see docs/scaling.md)")
    # Set by `--workers` for the processes it starts (hub/process/worker_pool.py); not for people.
    serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    serve.set_defaults(func=_serve)

    migrate = subparsers.add_parser("migrate", help="apply database migrations and exit")
    db_options(migrate)
    migrate.set_defaults(func=_migrate)


def _serve(args) -> int:
    import uvicorn

    from hub.app import create_app
    from hub.process.malloc_tuning import limit_arenas, start_trimming
    from hub.process.memdiag import start_from_env

    settings = settings_from_args(args)
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
        serve_worker(create_app(settings), args.listen_fd, args.ready_fd, **settings.uvicorn_proxy_options())
        return 0
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_level="info",
                **settings.uvicorn_proxy_options())
    return 0


def _serve_pool(args, settings) -> int:
    from hub.process.worker_pool import PoolConfigError, WorkerPool

    try:
        pool = WorkerPool(settings, args.workers, log_level=args.log_level)
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
