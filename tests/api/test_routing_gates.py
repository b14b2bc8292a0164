"""Which route answers a request is what FastAPI's first match over the routers in their order says, with
each router behind its check of the path's beginning (web/gates.py): every route's path (a parameter
given a number) is answered by the route that matches it first, as
the access log names it, on the app as served. Anonymous GETs; on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re

import pytest
from api_support import SETTINGS, Clock, web_client
from starlette.routing import Match

from kneehab.store.db import Database
from kneehab.web.app import create_app
from kneehab.web.routes import ROUTERS

pytestmark = pytest.mark.anyio
ROUTES = [r for router in ROUTERS for r in router.routes]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _first_match(path: str) -> str | None:
    """The template of the route Starlette's rule picks among all routes in order: the first full
    match, else the first that matches the path but not the method (405)."""
    partial = None
    for route in ROUTES:
        if route.path_regex.match(path) is None or not hasattr(route, "methods"):
            continue
        scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
        if route.matches(scope)[0] == Match.FULL:
            return str(route.path)
        partial = partial or str(route.path)
    return partial


async def test_each_path_is_answered_by_the_route_that_matches_it_first(
    db: Database,
    library,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    app = create_app(SETTINGS, db=db, library=library, clock=clock)
    paths = sorted({re.sub(r"{[^}]+}", "7", r.path) for r in ROUTES if hasattr(r, "methods")})
    async with web_client(app, sign_up=None) as c:
        for path in paths:
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="kneehab.access"):
                await c.get(path)
            (line,) = [r for r in caplog.records if r.name == "kneehab.access"]
            assert getattr(line, "route") == _first_match(path), path  # noqa: B009
