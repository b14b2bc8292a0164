"""Request guards and response headers, in front of every route.

- Host: only the configured names (loopback by default) are answered; DNS rebinding gets 400
  (except the operator's probes and metrics, which hold no personal data).
- Cross-site writes: a state-changing request whose `Sec-Fetch-Site` or `Origin` says it came from
  another site is refused (403) before any route runs, so a foreign page can neither post a form
  (check-in, delete everything) nor fire a no-cors fetch. Bearer-token requests carry no ambient
  credentials and are exempt.
- JSON bodies: the API takes `application/json` only (415), so a "simple" cross-site request with
  `text/plain` can never be read as JSON.
- Headers: nothing is loaded from elsewhere, pages are not framed, the camera, microphone and
  location are off (the camera is allowed on the guided session's page alone), health pages are not cached, and no server banner is sent.

Exercise figures (`/figures/…`) hold no personal data and are cached by the browser (see web/figures.py).
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
# The guided session (the camera coach, issue 13) is the one page that may use the camera, and the
# in-browser pose model needs to compile WebAssembly there: exactly 'wasm-unsafe-eval', nothing broader.
# "Check a recording" plays the person's own video file from a blob: URL made in the page (never
# uploaded): media-src adds exactly blob: to 'self'.
PLAYER_PAGE = "/today"
PLAYER_CSP = (
    CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
    + "; media-src 'self' blob:"
)
PLAYER_PERMISSIONS = PERMISSIONS.replace("camera=()", "camera=(self)")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Load balancers and Prometheus call these by the machine's address: they are answered whatever
# the Host header says (none carries personal data; web/health.py, web/observe.py).
OPERATOR_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
SAME_SITE = frozenset({"same-origin", "none"})  # `none`: typed in the address bar, a bookmark


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def host_name(host_header: str) -> str:
    """The name part of a Host header (no port), lower case; IPv6 keeps its brackets."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if ":" in host else host


def _cross_site(scope: Scope) -> bool:
    """A browser that sends Sec-Fetch-Site says where the request came from, and that decides (a
    same-origin form may still carry `Origin: null` under a strict referrer policy). Otherwise the
    Origin header decides; a request with neither comes from no browser page (curl, an app)."""
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() not in SAME_SITE
    origin = _header(scope, b"origin")
    if origin is None:
        return False
    if origin == "null":  # sandboxed frames, file:// pages
        return True
    host = _header(scope, b"host") or ""
    parts = urlsplit(origin)
    return parts.netloc.lower() != host.strip().lower()


def _json_body(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    return (length is not None and length.strip() not in ("", "0")) or (
        _header(scope, b"transfer-encoding") is not None
    )


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message, "problems": [message]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """Host allow-list, cross-site write refusal and JSON-only API bodies (see the module notes)."""

    def __init__(self, app: ASGIApp, *, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = host_name(_header(scope, b"host") or "")
        if host not in self.hosts and scope["path"] not in OPERATOR_PATHS:
            await _refuse(
                send,
                400,
                "this server does not answer to that host name; ask its administrator for "
                "the right address (settings: allowed_hosts, public_url)",
            )
            return
        method = scope["method"]
        if method not in SAFE_METHODS:
            bearer = (_header(scope, b"authorization") or "").lower().startswith("bearer ")
            if _cross_site(scope) and not bearer:
                await _refuse(
                    send,
                    403,
                    "a request from another website cannot change anything here; open kneehab "
                    "itself and try again",
                )
                return
            if scope["path"].startswith("/api/") and _has_body(scope) and not _json_body(scope):
                await _refuse(
                    send,
                    415,
                    "content-type: the API takes JSON only; send 'Content-Type: application/json'",
                )
                return
        await self.app(scope, receive, send)


def request_id(scope: Scope) -> str:
    """This request's id (also sent as `X-Request-ID`), for matching a log line to a report."""
    return str(scope.get("state", {}).get("request_id", "-"))


class SecurityHeaders:
    """Outermost: gives each request its id and every response the headers above."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = rid
        # Static files and the content-versioned figures set their own caching; everything else is no-store.
        is_static = scope["path"].startswith(("/static/", "/figures/", "/docs/assets/", "/pose/"))
        player = scope["path"] == PLAYER_PAGE
        csp, permissions = (PLAYER_CSP, PLAYER_PERMISSIONS) if player else (CSP, PERMISSIONS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"server"]
                headers.append((b"x-content-type-options", b"nosniff"))
                # same-origin: kneehab's own forms carry their Origin (older browsers without Sec-Fetch-Site
                # send `Origin: null` under no-referrer); no address ever leaves for another site.
                headers.append((b"referrer-policy", b"same-origin"))
                headers.append((b"content-security-policy", csp.encode()))
                headers.append((b"permissions-policy", permissions.encode()))
                headers.append((b"cross-origin-opener-policy", b"same-origin"))
                headers.append((b"cross-origin-resource-policy", b"same-origin"))
                headers.append((b"x-request-id", rid.encode()))
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
