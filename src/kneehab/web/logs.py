"""Structured logs for servers: one JSON object per line on stderr.

Each line has `time` (UTC, ISO 8601), `level`, `logger`, `template` (the message's format string: the
same for every line of one kind, so lines can be counted and alerted on), `message`, and, for lines
written while a request is served, `request_id` (also sent as `X-Request-ID`) and `route` (the route's
template, never the path: paths carry ids and query strings may carry answers). The access line adds
`method`, `status` and `duration_ms`.

No health data: kneehab's own lines use only the templates listed in tests/conftest.py
(KNEEHAB_LOG_TEMPLATES), whose values are types, route templates, ids and numbers; request bodies,
query strings and exception messages are never logged (web/errors.py logs a bug by its type and place).
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Set by the request recorder (web/observe.py) for the lines written while a request is served.
REQUEST: ContextVar[dict[str, str] | None] = ContextVar("kneehab_request", default=None)
# Fields a line may carry besides the base ones (given with `extra=`).
EXTRA_FIELDS = ("method", "route", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "template": str(record.msg),
            "message": record.getMessage(),
        }
        current = REQUEST.get()
        if current is not None:
            line.update(current)
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: a traceback's text can quote the values a person sent.
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


def logging_config(level: str) -> dict[str, Any]:
    """Every logger's lines (kneehab's, uvicorn's, gunicorn's) through one JSON handler on stderr, as a
    `logging.config.dictConfig` dict (uvicorn applies it itself when given as `log_config`)."""
    quiet = {"handlers": [], "propagate": False, "level": "CRITICAL"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stderr}
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.error": {"handlers": [], "propagate": True},
            # Their access lines print the raw path and query: never. kneehab writes its own.
            "uvicorn.access": quiet,
            "gunicorn.access": quiet,
            # Alembic says which dialect it found each time /readyz reads the schema revision: noise.
            "alembic.runtime.migration": {"level": "WARNING"},
        },
    }


def configure_logging(level: str) -> None:
    """Apply `logging_config` to this process (a server's, never a test's or a CLI command's)."""
    logging.config.dictConfig(logging_config(level))
