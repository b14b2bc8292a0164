"""The web app: `create_app(settings)` builds everything from settings; nothing happens at import time."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.requests import ClientDisconnect

from kneehab import __version__
from kneehab.config import Settings
from kneehab.domain.exercise import Library
from kneehab.library.load import load_library
from kneehab.store.db import Database, open_database
from kneehab.web import api_docs, errors, health, heap, pose_assets
from kneehab.web.deps import Clock, WebState, csrf_guard, system_clock
from kneehab.web.drafts import Drafts
from kneehab.web.figures import Figures
from kneehab.web.gates import Gated
from kneehab.web.head import HeadAsGet
from kneehab.web.input_guard import InputGuard
from kneehab.web.observe import METRICS_PATH, Metrics, RequestRecorder, metrics_endpoint
from kneehab.web.render import STATIC_DIR
from kneehab.web.routes import ROUTERS
from kneehab.web.security import RequestGuard, SecurityHeaders

API_DESCRIPTION = """\
Every page of kneehab has a JSON twin under `/api/v1` that returns the same view-model the page shows.
Errors are `{"detail": "...", "problems": [...], "errors": [{"field", "problem", "message"}]}` (`ErrorBody`)
with a 4xx status: 404 when nobody is enrolled yet or an id is not known, 409 while the program is
withheld or today's safety check is due, 413 for a body over 1 MB, 422 for a mistake in the input (each
problem names its field; a NUL character in any text, and NaN or Infinity in a JSON body, are mistakes too).
kneehab never diagnoses; red flags always win."""


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The browser went away mid-request (a closing tab's last player-state save): nothing to answer
    and nothing to log. Registered for this class alone, so it is handled like an HTTP error and never
    reaches the server-error path, which logs a traceback."""
    return Response(status_code=400)


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
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: ours is in api_docs.py
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        dependencies=[Depends(csrf_guard)],  # who is signed in, and the CSRF rule, on every route
        lifespan=heap.lifespan,  # the start-up heap out of the full collections (kneehab/heap.py)
    )
    library = library or load_library()
    # Never a migration here (ADR 0006): a database that is behind raises StoreError naming
    # `kneehab db upgrade`, and the server does not start.
    database = db or open_database(settings.effective_database_url, upgrade=False)
    pose_folder = pose_assets.pose_dir(settings.pose_dir)
    app.state.web = WebState(
        settings=settings,
        db=database,
        library=library,
        clock=clock or system_clock,
        figures=Figures(library),
        drafts=Drafts(database),
        camera=pose_folder is not None,
    )
    errors.install(app)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    api_docs.install(app, ROUTERS)
    app.add_middleware(HeadAsGet)  # innermost: the guard and the headers see HEAD as sent
    app.add_middleware(InputGuard)  # inside RequestGuard: a refused host or site is not read at all
    app.add_middleware(RequestGuard, hosts=settings.hosts)
    metrics = Metrics.create() if settings.metrics_enabled else None
    app.add_middleware(RequestRecorder, metrics=metrics)  # sees refusals too, with their status
    app.add_middleware(
        SecurityHeaders
    )  # added last, so it runs first: refusals carry the headers too
    health.install(app)
    if metrics is not None:  # off by default: no such route, so /metrics is a 404
        app.add_route(METRICS_PATH, metrics_endpoint(metrics), methods=["GET"])
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    if pose_folder is not None:  # the camera coach's in-browser pose model, from its npm package
        pose_assets.install(app, pose_folder)
    for router in ROUTERS:  # in order, each passed over quickly for paths it cannot match
        app.include_router(Gated(router))
    return app
