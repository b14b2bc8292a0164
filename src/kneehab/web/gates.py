"""Each router, tried only for the paths its routes can match (issue 11 §5: the floor of a request).

FastAPI finds a request's route by trying every route in order, about 1 µs each with its bookkeeping:
GET /api/v1/today came after 63 others (~70 µs, a third of a kept answer's server time). A router
here is wrapped in a `Gated` router that first checks the path against what its routes begin with
(the literal segments before a route's first parameter, or the whole path of a route without one):
a path none of them begins with cannot match any of its routes, so the router is passed over with
one string comparison. The routers keep their order, so which route answers a request is unchanged.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


def beginnings(router: APIRouter) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """The exact paths of the router's routes without parameters, and the prefixes ("/a/b/") of
    those with; None when a route could match any path (a parameter in its first segment, or a
    route of another kind)."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for route in router.routes:
        if not isinstance(route, APIRoute | APIWebSocketRoute):
            return None
        path = route.path
        if "{" not in path:
            exact.add(path)
            continue
        literal = path[: path.index("{")].rsplit("/", 1)[0]  # whole segments before the first one
        if not literal:
            return None
        prefixes.add(literal + "/")
    return frozenset(exact), tuple(sorted(prefixes))


class Gated(APIRouter):
    """`router` alone, behind a check of the path's beginning (its dependencies, prefix and tags are
    its own: included here as the app includes any router)."""

    def __init__(self, router: APIRouter) -> None:
        super().__init__()
        self.include_router(router)
        self._gate = beginnings(router)

    def admits(self, path: str) -> bool:
        """False only when none of the router's routes can match `path`."""
        if self._gate is None:
            return True
        exact, prefixes = self._gate
        return path in exact or path.startswith(prefixes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.admits(get_route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)
