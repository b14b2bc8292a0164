"""`kneehab.web.asgi:app`: the web app built from the environment (KNEEHAB_* settings, docs/settings.md),
for running under an ASGI server of the operator's choosing:

    gunicorn -c python:kneehab.web.gunicorn_conf kneehab.web.asgi:app     (several workers; ADR 0006)
    uvicorn kneehab.web.asgi:app                                           (one process)

Importing this module does nothing: `app` is built when the server first asks for it (PEP 562), in the
process that will serve it. A database that is behind (`kneehab db upgrade` not run) or a bad setting
stops the process with one line naming the problem, exit code 3 (gunicorn then stops every worker
instead of restarting them in a loop).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

BOOT_ERROR = 3  # gunicorn's "worker failed to boot": the arbiter halts


def build(environ: Mapping[str, str]) -> Any:
    """The app for this environment, with kneehab's JSON logs."""
    from kneehab.config import load_settings
    from kneehab.web.app import create_app
    from kneehab.web.logs import configure_logging

    settings = load_settings(environ)
    configure_logging(settings.log_level)
    return create_app(settings)


def _build_or_exit() -> Any:
    from pydantic import ValidationError

    from kneehab.errors import UserError

    try:
        return build(os.environ)
    except UserError as err:
        print(f"kneehab: error: {err}", file=sys.stderr)
    except ValidationError as err:
        first = err.errors()[0]
        name = "KNEEHAB_" + str(first["loc"][0]).upper() if first["loc"] else "a KNEEHAB_ setting"
        print(f"kneehab: error: {name}: {first['msg']} (see docs/settings.md)", file=sys.stderr)
    sys.exit(BOOT_ERROR)


_built: dict[str, Any] = {}  # the app, once built in this process


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(name)
    if "app" not in _built:
        _built["app"] = _build_or_exit()
    return _built["app"]
