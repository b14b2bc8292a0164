"""web/gates.py passes a router over only for paths none of its routes can match (the routers keep their
order in the app, so which route answers a request is unchanged: tests/api/test_routing_gates.py)."""

from __future__ import annotations

import re
from itertools import product

from kneehab.web.gates import Gated
from kneehab.web.routes import ROUTERS

ROUTES = [r for router in ROUTERS for r in router.routes]
# Every literal segment of every route, and a number: what a parameter may be given in a real path.
WORDS = sorted({w for r in ROUTES for w in r.path.split("/") if w and "{" not in w} | {"7"})


def _samples(path: str) -> set[str]:
    """Real paths for a route's template: each parameter given each word (a parameter inside a
    segment, as in `{id}.svg`, keeps the segment's literal part)."""
    names = re.findall(r"{[^}]+}", path)
    out = set()
    for values in product(WORDS, repeat=len(names)):
        made = path
        for name, value in zip(names, values, strict=True):
            made = made.replace(name, value, 1)
        out.add(made)
    return out


PATHS = sorted(
    {s for r in ROUTES for p in _samples(r.path) for s in (p, p + "/", p + "/x")}
    | {"/", "/api", "/api/v1", "/api/v1/", "/nothing", "/api/v1/nothing"}
)


def test_a_router_is_passed_over_only_for_paths_none_of_its_routes_matches() -> None:
    checked = 0
    for router in ROUTERS:
        gate = Gated(router)
        for path in PATHS:
            if any(r.path_regex.match(path) for r in router.routes):
                assert gate.admits(path), (router.prefix, path)
                checked += 1
    assert checked >= len(ROUTES)


def test_an_api_path_passes_over_every_router_but_its_own() -> None:
    admitting = [r.prefix for r in ROUTERS if Gated(r).admits("/api/v1/today")]
    assert admitting == ["/api/v1/today"]
