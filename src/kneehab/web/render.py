"""Turning a view-model into HTML. Templates only display what the view-model decided."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True

# The navigation: (path, label). The current page is marked with aria-current by the layout.
NAV: tuple[tuple[str, str], ...] = (
    ("/today", "Today"),
    ("/program", "My program"),
    ("/checkin", "Check-in"),
    ("/progress", "Progress"),
    ("/data", "My data"),
)


def page(
    request: Request,
    template: str,
    vm: BaseModel | None,
    *,
    title: str,
    status: int = 200,
    nav: bool = True,
    **extra: Any,
) -> HTMLResponse:
    context = {
        "vm": vm,
        "title": title,
        "nav": NAV if nav else (),
        "path": request.url.path,
        **extra,
    }
    return templates.TemplateResponse(request, template, context, status_code=status)
