"""Every request, recorded once: one access log line and, when enabled, Prometheus metrics.

Both are keyed by the route's template (`/api/v1/patients/{person_id}`), never by the raw path: paths
carry ids (unbounded label values, and personal), query strings may carry answers. Requests no route
matched are counted under `(unmatched)`.

Metrics (setting `metrics_enabled`, off by default) are served at `/metrics`; keep that path off the
public proxy (docs/deploy.md). With several worker processes (`kneehab serve --workers N`) prometheus-client
runs in multiprocess mode: each process writes its values to files in PROMETHEUS_MULTIPROC_DIR and
`/metrics` adds up every process's (web/server.py sets this up and removes a dead worker's files).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kneehab.web.logs import REQUEST
from kneehab.web.security import request_id

access_log = logging.getLogger("kneehab.access")
ACCESS_TEMPLATE = "%s %s %s in %.1f ms"  # method, route template, status, duration
METRICS_PATH = "/metrics"
UNMATCHED = "(unmatched)"
# Seconds; from a bare probe (~1 ms) to a slow replay (seconds).
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def route_template(scope: Scope) -> str:
    """The template of the route that answered: FastAPI's routes put themselves on the scope;
    plain Starlette routes (the probes, /metrics) and the static mount leave their endpoint."""
    path = getattr(scope.get("route"), "path", None)
    if path:
        return str(path)
    endpoint = scope.get("endpoint")
    app = scope.get("app")
    if endpoint is not None and app is not None:
        for route in getattr(app, "routes", ()):
            if getattr(route, "endpoint", None) is endpoint:
                return str(route.path)
            if isinstance(route, Mount) and route.app is endpoint:
                return f"{route.path}/{{path}}"
    return UNMATCHED


@dataclass
class Metrics:
    """The three series; registered on a registry of their own (one per app), so apps built in one
    process (tests) never collide in prometheus-client's global registry."""

    registry: Any
    requests: Any
    latency: Any
    errors: Any

    @classmethod
    def create(cls) -> Metrics:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        registry = CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            requests=Counter(
                "kneehab_http_requests",
                "HTTP requests answered, by method, route template and status.",
                ["method", "route", "status"],
                registry=registry,
            ),
            latency=Histogram(
                "kneehab_http_request_duration_seconds",
                "Time to answer, by method and route template.",
                ["method", "route"],
                buckets=BUCKETS,
                registry=registry,
            ),
            errors=Counter(
                "kneehab_http_errors",
                "Responses with a 5xx status (a bug or an outage), by method and route template.",
                ["method", "route"],
                registry=registry,
            ),
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status >= 500:
            self.errors.labels(method, route).inc()

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every worker's values, from their files
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def metrics_endpoint(metrics: Metrics):  # type: ignore[no-untyped-def]
    async def serve_metrics(request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return serve_metrics


class RequestRecorder:
    """Outer middleware (inside SecurityHeaders, which gives the request its id): times the request,
    reads the route template and status, writes the access line and updates the metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app raises before answering
        token = REQUEST.set({"request_id": request_id(scope)})

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            access_log.info(
                ACCESS_TEMPLATE,
                method,
                route,
                status,
                seconds * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            if self.metrics is not None:
                self.metrics.observe(method, route, status, seconds)
            REQUEST.reset(token)
