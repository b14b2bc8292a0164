"""HEAD is GET without the body (RFC 9110 §9.3.2): FastAPI's GET routes do not answer HEAD (405), and
monitors and link checkers send it. Only GET routes take it, so HEAD does what that GET does: nothing a
person sees changes (a clinician's look is audited, and a caseload look may keep its rows, as for GET)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}  # the headers keep the GET's Content-Length
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
