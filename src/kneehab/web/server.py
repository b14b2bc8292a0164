"""Several app processes: gunicorn's arbiter with uvicorn workers (ADR 0006 says why and what was measured).

- `kneehab serve --workers N` runs `Server` below; `gunicorn -c python:kneehab.web.gunicorn_conf
  kneehab.web.asgi:app` is the same set-up for operators who run gunicorn themselves.
- Each worker binds its own listening socket with SO_REUSEPORT (gunicorn's `reuse_port`), so the
  kernel spreads new connections over the workers; with one shared socket, the first worker to wake
  accepts a whole burst of connections and the other idles. Gunicorn sets TCP_NODELAY on each socket.
- Nothing a request needs lives in a process: sessions, drafts and throttles are in the database,
  so any worker (on any machine) can answer any request.
- Metrics with several workers use prometheus-client's multiprocess mode (web/observe.py): the
  directory is named by PROMETHEUS_MULTIPROC_DIR, and a dead worker's files are marked here.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any, ClassVar

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from uvicorn_worker import UvicornWorker

from kneehab.config import Settings
from kneehab.web.logs import configure_logging, logging_config

# The WebSocket set-up (the live camera coach, /api/v1/live), the same for `kneehab serve` with one process
# and for these workers. uvicorn's sans-I/O websockets protocol (`auto` picks it too; `wsproto` costs about
# 1.5× its CPU a frame, and the legacy `websockets` one is deprecated by uvicorn). No permessage-deflate:
# the landmark frames are ~2.6 KB of JSON, 30 a second (~80 KB/s up, about half that compressed), and
# inflating each cost ~12 µs of the ~75 µs a frame takes through uvicorn and the app (docs/benchmarks.md).
WEBSOCKET_OPTIONS: dict[str, Any] = {"ws": "websockets-sansio", "ws_per_message_deflate": False}
# The event loop: uvloop where it is installed (a dependency everywhere but Windows), else asyncio's.
# Its loop costs less a wake-up: ~15 % less server CPU a live frame at K = 100 (docs/benchmarks.md).
LOOP = "auto"


def serve_one_process(app: Any, settings: Settings, **options: Any) -> None:
    """`kneehab serve` with one process: uvicorn with kneehab's choices, as the workers have them
    (`options` change uvicorn's, for bench/live.py's comparisons)."""
    import uvicorn

    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,  # request lines could carry health values; kneehab writes its own
        log_config=logging_config(settings.log_level),  # kneehab's JSON lines
        log_level=settings.log_level.lower(),
        server_header=False,  # no banner naming the server software
        **{"loop": LOOP, **WEBSOCKET_OPTIONS, **options},  # the live coach's WebSocket set-up
    )


GRACEFUL_TIMEOUT_S = 30  # a worker finishing its requests on SIGTERM / a restart
TIMEOUT_S = 60  # a worker silent this long is killed and replaced
KEEPALIVE_S = 5


class Worker(UvicornWorker):
    """Uvicorn in a gunicorn worker, with kneehab's choices: no server banner, no access lines of
    its own (they print the raw path and query; web/observe.py writes kneehab's), JSON logs."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": LOOP,
        "http": "auto",
        "server_header": False,
        "access_log": False,
        **WEBSOCKET_OPTIONS,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # UvicornWorker points uvicorn's loggers at gunicorn's handlers; kneehab's JSON handler instead.
        configure_logging(logging.getLevelName(self.log.error_log.level))


class JsonLogger(Logger):
    """Gunicorn's own lines (arbiter, worker boots and exits) in the same JSON as the app's."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.handlers = []
        self.error_log.propagate = True
        configure_logging(cfg.loglevel)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges no longer count (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """Gunicorn's settings for kneehab, from kneehab's own (one home for both ways of starting it)."""
    return {
        "bind": [f"{settings.host}:{settings.port}"],
        "workers": settings.workers,
        "worker_class": "kneehab.web.server.Worker",
        "logger_class": "kneehab.web.server.JsonLogger",
        "loglevel": settings.log_level.lower(),
        "accesslog": None,
        "reuse_port": True,
        "keepalive": KEEPALIVE_S,
        "timeout": TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "child_exit": child_exit,
        "proc_name": "kneehab",
        "control_socket_disable": True,  # two servers on one machine would share its path
    }


def prepare_metrics_dir(settings: Settings, folder: str | None = None) -> str | None:
    """Multiprocess metrics need a folder of their own, empty at start, named before any worker (or
    this process) imports prometheus-client. Without one given, a new private temporary folder,
    returned so the caller removes it at the end."""
    if not settings.metrics_enabled or settings.workers < 2:
        return None
    made = None
    if folder is None:
        folder = made = tempfile.mkdtemp(prefix="kneehab-metrics-")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return made


class Server(BaseApplication):
    """`kneehab serve --workers N`: the app is built in each worker after the fork (never shared
    across processes: each has its own database connections)."""

    def __init__(self, settings: Settings, *, demo_accounts: list[dict[str, str]]) -> None:
        self.settings = settings
        self.demo_accounts = demo_accounts
        super().__init__()

    def load_config(self) -> None:
        for key, value in gunicorn_options(self.settings).items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from kneehab.web.app import create_app

        app = create_app(self.settings)
        app.state.demo_accounts = self.demo_accounts
        return app
