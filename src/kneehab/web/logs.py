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


def configure_logging(level: str) -> None:
    """Send every logger's lines (kneehab's, uvicorn's, gunicorn's) through one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old.formatter, JsonFormatter):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "gunicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Alembic says which dialect it found each time /readyz reads the schema revision: noise.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    # Uvicorn's and gunicorn's access lines print the raw path and query: never. kneehab writes its own.
    for name in ("uvicorn.access", "gunicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = False
        logger.disabled = True
