"""The web app: `create_app(settings)` builds everything from settings; nothing happens at import time."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kneehab import __version__
from kneehab.config import Settings
from kneehab.domain.exercise import Library
from kneehab.library.load import load_library
from kneehab.store.db import Database, open_database
from kneehab.web import errors
from kneehab.web.deps import Clock, WebState, system_clock
from kneehab.web.figures import Figures
from kneehab.web.render import STATIC_DIR
from kneehab.web.routes import ROUTERS
from kneehab.web.security import SecurityHeaders

API_DESCRIPTION = """\
Every page of kneehab has a JSON twin under `/api/v1` that returns the same view-model the page shows.
Errors are `{"detail": "...", "problems": ["field: what is wrong (allowed: ...)"]}` with a 4xx status.
kneehab never diagnoses; red flags always win."""


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    library: Library | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The ASGI app. `db`, `library` and `clock` may be injected (tests); otherwise built from settings."""
    app = FastAPI(
        title="kneehab",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,  # Swagger UI loads from a CDN; the schema itself is served below
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    library = library or load_library()
    app.state.web = WebState(
        settings=settings,
        db=db or open_database(settings.effective_database_url),
        library=library,
        clock=clock or system_clock,
        figures=Figures(library),
    )
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
