"""The server's start-up heap is kept out of the full garbage collections (kneehab/heap.py): a long-lived
process would otherwise walk every module, template and library object on each full collection, which
set the caseload's slowest requests (docs/benchmarks.md, issue 12 §5); and full collections are rarer
(the live coach's open sets, issue 13 §4)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from kneehab import heap
from kneehab.config import Settings
from kneehab.store.db import open_database
from kneehab.web.app import create_app


def test_starting_the_app_freezes_what_it_holds(tmp_path: Path, library: Any) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'k.db'}")
    app = create_app(Settings(), db=db, library=library)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as c:  # start-up runs the lifespan
            assert c.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold()[2] == heap.FULL_AFTER  # full collections are rarer
    finally:
        db.close()
