"""`/api/v1/live`: the camera coach's WebSocket (protocol in web/live.py, docs/camera-coach.md).

Who: the signed-in person (session cookie, and then the upgrade must come from kneehab's own pages: the
`Origin` must be this server, so another site cannot open the socket with the person's cookie), or a
personal access token (`Authorization: Bearer`, for apps). access.py decides, as for recording a session
(WRITE_HEALTH on their own record; a read-only token, a clinician or an admin is refused).

Every refusal and every bad message closes the socket with a 4xxx code and a reason naming the problem;
the server goes on serving everyone else. Nothing of the landmark stream is stored or logged.
"""

from __future__ import annotations

import contextlib
from typing import Any, cast
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from kneehab import access, services
from kneehab.domain.identity import Actor
from kneehab.errors import KneehabError
from kneehab.motion.config import DetectorConfig, Sex, parse_detector
from kneehab.services.acting import Acting, own, permitted
from kneehab.web import live
from kneehab.web.auth import resolve
from kneehab.web.deps import WebState
from kneehab.web.live_parking import Parking
from kneehab.web.security import host_name

router = APIRouter()
LIVE_URL = "/api/v1/live"


def _header(ws: WebSocket, name: str) -> str | None:
    return ws.headers.get(name)


def _same_origin(ws: WebSocket) -> bool:
    """Browsers always send Origin on a WebSocket upgrade; it must be this very server."""
    origin = _header(ws, "origin")
    if not origin or origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == (_header(ws, "host") or "").strip().lower()


async def _who(ws: WebSocket, state: WebState) -> Actor:
    if host_name(_header(ws, "host") or "") not in state.settings.hosts:
        raise live.ProtocolError(live.FORBIDDEN, "this server does not answer to that host name")
    try:
        auth = await resolve(cast(Request, ws))  # a WebSocket carries the same headers and cookies
    except KneehabError:
        auth = None
    if auth is None:
        raise live.ProtocolError(
            live.UNAUTHENTICATED, "sign in first: no valid session or access token was sent"
        )
    if auth.csrf_token is not None and not _same_origin(ws):
        raise live.ProtocolError(
            live.FORBIDDEN,
            "the connection must come from kneehab's own page (Origin of another site)",
        )
    actor = auth.actor
    who = own(actor)  # access.py: a role with a record of its own, and then may it record there
    if who is None or not await run_in_threadpool(
        permitted, state.db, who, access.Action.WRITE_HEALTH
    ):
        raise live.ProtocolError(
            live.FORBIDDEN,
            "only a person with a program (and a token that may write) can use the camera coach",
        )
    return actor


def _exercise(state: WebState, who: Acting, exercise: object) -> tuple[DetectorConfig, Sex]:
    """The exercise's detector (any library exercise with a `[detector]`: counting is not prescribing),
    and the person's sex from their intake for the form norms (RULES §7.3)."""
    lib = state.library
    counted = sorted(k for k, e in lib.exercises.items() if e.detector is not None)
    if not isinstance(exercise, str) or exercise not in counted:
        raise live.ProtocolError(
            live.UNKNOWN,
            f"start: 'exercise' must be one the camera can count: {', '.join(counted)}",
        )
    table = lib.exercises[exercise].detector or {}
    config = parse_detector(table, where=f"exercises/{exercise}.toml: detector")
    today = services.person_today(state.db, who, state.clock())
    intake = services.history_of(state.db, who, today=today).intake
    sex = cast(Sex, str(intake.sex.value)) if intake is not None else "unspecified"
    return config, sex


async def _receive(ws: WebSocket) -> dict[str, Any] | live.Frame | None:
    """The next message, parsed; None when the client went away."""
    msg = await ws.receive()
    if msg["type"] == "websocket.disconnect":
        return None
    text = msg.get("text")
    return live.parse(text if text is not None else msg.get("bytes"))


async def _first(ws: WebSocket) -> dict[str, Any] | live.Frame | None:
    """The first message, within START_WAIT_S."""
    with anyio.move_on_after(live.START_WAIT_S) as scope:
        msg = await _receive(ws)
    if scope.cancelled_caught:
        raise live.ProtocolError(live.TIMEOUT, "send 'start' first, within 30 seconds")
    return msg


async def _start(ws: WebSocket, state: WebState, actor: Actor) -> tuple[Acting, live.LiveSet]:
    msg = await _first(ws)
    if msg is None:
        raise WebSocketDisconnect()
    if isinstance(msg, live.Frame) or msg["type"] != "start":
        raise live.ProtocolError(
            live.BAD, f"the first message must be 'start', not '{live.message_type(msg)}'"
        )
    person = cast(int, actor.person_id)
    who = Acting(actor, person)
    config, sex = await run_in_threadpool(_exercise, state, who, msg.get("exercise"))
    exercise = cast(str, msg["exercise"])
    width, height = live._size(msg, "width"), live._size(msg, "height")
    resume = msg.get("resume")
    if resume is not None:
        parking = Parking(state.db, state.clock)
        found = (
            await run_in_threadpool(parking.take, who, resume, exercise)
            if isinstance(resume, str)
            else None
        )
        if found is None:
            raise live.ProtocolError(
                live.UNKNOWN, "resume: that set is not waiting any more; start a new one"
            )
        return who, found
    return who, live.LiveSet(person, exercise, config, width, height, sex=sex)


async def _park(state: WebState, who: Acting, s: live.LiveSet) -> None:
    """Keep a dropped set a while, in the database, so the page can resume it on any worker. A store
    that cannot take it now (busy, or the person was deleted) only means the set cannot be resumed."""
    with contextlib.suppress(KneehabError):
        await run_in_threadpool(Parking(state.db, state.clock).park, who, s)


@router.websocket(LIVE_URL)
async def live_socket(ws: WebSocket) -> None:
    state: WebState = ws.app.state.web
    await ws.accept()  # first accept, so a refusal can say why (a close code and reason)
    current: live.LiveSet | None = None
    who: Acting | None = None
    try:
        actor = await _who(ws, state)
        who, current = await _start(ws, state, actor)
        st = current.pipe.status
        await ws.send_json(
            {"type": "ready", "resume": current.token, "exercise": current.exercise,
             "resumed": current.last_t >= 0, "last_t": current.last_t if current.last_t >= 0 else None,
             "reps": st.reps, "want_view": current.config.views[0],
             "has_hold": current.config.hold is not None, "has_reps": current.config.reps is not None}
        )  # fmt: skip
        limit = live.RateLimit(state.settings.live_max_fps, state.settings.live_max_lead_s)
        while True:
            msg = await _receive(ws)
            if msg is None:  # dropped: keep the set a while for a resume
                await _park(state, who, current)
                return
            if isinstance(msg, live.Frame):  # the hot path: a frame checked in one pass
                limit.check(msg.t)
                replies = current.push(msg.t, msg.points)
                msg = None  # the frame's landmarks go now, not when the next frame has come
            else:
                kind = msg["type"]
                if kind == "end":
                    summary = current.end()
                    current = None
                    await ws.send_json(summary)
                    await ws.close(1000, "set finished")
                    return
                if kind == "start":
                    raise live.ProtocolError(
                        live.BAD, "'start' was already sent; send frames, then 'end'"
                    )
                if (t := live._number(msg.get("t"))) is not None:
                    limit.check(t)  # a bad `t` is refused by the frame check just below
                replies = current.frame(msg)
            for out in replies:
                await ws.send_json(out)
    except live.ProtocolError as err:
        if current is not None and who is not None and err.code in (live.TOO_FAST,):
            await _park(
                state, who, current
            )  # a burst after a reconnect may resume at a calmer pace
        await _close(ws, err.code, err.reason)
    except WebSocketDisconnect:
        if current is not None and who is not None:
            await _park(state, who, current)


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # the client already went away
        await ws.close(code, reason)
