"""Exercise illustrations as SVG files: long-cached, revalidated by ETag, never inlined into pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kneehab.web.deps import State
from kneehab.web.figures import CACHE_CONTROL, MEDIA_TYPE

router = APIRouter()


@router.get("/figures/{exercise_id}.svg", include_in_schema=False)
def figure(exercise_id: str, request: Request, state: State) -> Response:
    f = state.figures.file(exercise_id)
    etag = f'"{f.etag}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(f.body, media_type=MEDIA_TYPE, headers=headers)
