"""What no route can take, refused before any route runs (issue 11 §4: found by fuzzing).

- A body larger than MAX_BODY_BYTES: 413, read no further (the largest real body, the player's state, is
  capped at 20 KB by its route; a form or an intake is a few KB).
- A NUL character in the address, the query or any field of a form or JSON body: 422. PostgreSQL cannot
  store it in text (the query itself fails), so without this a NUL typed into any field was a 500 there and
  stored on SQLite.
- A JSON body that is not UTF-8 text: 422 naming the body (the framework answered a bare 400).
- `NaN`, `Infinity` or `-Infinity` in a JSON body: 422. They are not JSON numbers; Python's parser takes
  them anyway, and an opaque field (the player's state) then carried them into the database (a 500 on
  PostgreSQL; on SQLite stored, and the page that reads it back broke).

The answer is the one error handler's (web/errors.py): JSON under /api (ErrorBody), a page elsewhere.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kneehab.errors import InvalidInput, UserError

MAX_BODY_BYTES = 1_000_000
NUL = "\x00"
FORM = "application/x-www-form-urlencoded"


class BodyTooLarge(UserError):
    status_code = 413

    def __init__(self) -> None:
        super().__init__(
            f"body: the request is too large; at most {MAX_BODY_BYTES:,} bytes are accepted"
        )


class _NotAJsonNumber(ValueError):
    pass


def _no_constants(name: str) -> Any:
    raise _NotAJsonNumber(name)


def _nul_at(value: Any, where: str = "") -> str | None:
    """The field (`a.b[2]`) of the first text holding a NUL, or None."""
    if isinstance(value, str):
        return where or "body" if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if NUL in str(key):
                return name.replace(NUL, "\\u0000")
            found = _nul_at(item, name)
            if found:
                return found
    if isinstance(value, list):
        for n, item in enumerate(value):
            found = _nul_at(item, f"{where}[{n}]")
            if found:
                return found
    return None


def _nul_problem(field: str) -> InvalidInput:
    return InvalidInput(
        f"{field}: a NUL character (\\u0000) is not allowed in text; remove it and send again"
    )


def check_json(raw: bytes) -> None:
    """Refuse text that is not UTF-8, NUL in any string and the non-JSON numbers; anything else is left
    to the route's model (which names a malformed body itself)."""
    if not raw.isascii():
        _check_encoding(raw)
    suspicious = b"\\u0000" in raw or b"NaN" in raw or b"Infinity" in raw
    if not suspicious:
        return
    try:
        parsed = json.loads(raw, parse_constant=_no_constants)
    except _NotAJsonNumber as err:
        raise InvalidInput(
            f"body: {err} is not allowed as a number; send a finite number (or null where allowed)"
        ) from None
    except ValueError:  # not JSON at all: the route's own validation says so
        return
    field = _nul_at(parsed)
    if field is not None:
        raise _nul_problem(field)


def _check_encoding(raw: bytes) -> None:
    """The parser reads UTF-8 (and UTF-16/32, by their first bytes); any other bytes made the framework
    answer a bare 400 "error parsing the body" that named nothing."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            json.loads(raw)
        except UnicodeDecodeError:
            raise InvalidInput(
                "body: not valid JSON: the body is not UTF-8 text; send JSON encoded as UTF-8"
            ) from None
        except ValueError:
            return


def check_text(raw: bytes, what: str, *, percent_encoded: bool = True) -> None:
    """A form body, a query string or a path: a NUL as a byte, or percent-encoded where `%00` means one."""
    if b"\x00" in raw or (percent_encoded and b"%00" in raw):
        raise _nul_problem(what)


def _content_type(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return str(value.decode("latin-1")).split(";", 1)[0].strip().lower()
    return ""


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class InputGuard:
    """Reads the whole body first (it is small, or it is refused), checks it, then hands it on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            path = scope["path"].encode("utf-8", "surrogateescape")  # already decoded
            check_text(path, "path", percent_encoded=False)
            check_text(scope.get("query_string", b""), "query")
            declared = _declared_length(scope)
            if declared is not None and declared > MAX_BODY_BYTES:
                raise BodyTooLarge()
            body, complete = await _read(receive)
            kind = _content_type(scope)
            if kind == "application/json" or kind.endswith("+json"):
                check_json(body)
            elif body:
                check_text(body, "form", percent_encoded=kind == FORM)
        except UserError as refused:
            from kneehab.web import errors  # the handler module imports the routes' view-models

            response = await errors.handle(Request(scope), refused)
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, complete, receive), send)


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The body, up to MAX_BODY_BYTES (BodyTooLarge past it); `complete` is False when the client went
    away before sending all of it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
    """The body once, in one message, then what the client sends next (its disconnect, when it comes);
    a body cut short by the client going away ends in the disconnect, as the route would have seen."""
    pending = True

    async def again() -> Message:
        nonlocal pending
        if pending and complete:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        if not complete:
            return {"type": "http.disconnect"}
        return await receive()

    return again
