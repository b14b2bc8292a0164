"""Gunicorn's configuration for kneehab, read from the KNEEHAB_* environment (docs/settings.md):

    KNEEHAB_DATABASE_URL=postgresql+psycopg://... KNEEHAB_WORKERS=4 KNEEHAB_HOST=0.0.0.0 \\
        gunicorn -c python:kneehab.web.gunicorn_conf kneehab.web.asgi:app

The same settings `kneehab serve --workers N` uses (web/server.py); ADR 0006 says why.
"""

from __future__ import annotations

import os

from kneehab.config import load_settings
from kneehab.web.server import gunicorn_options, prepare_metrics_dir

_settings = load_settings(os.environ)
prepare_metrics_dir(_settings, os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
globals().update(gunicorn_options(_settings))
