"""Turning a view-model into HTML. Templates only display what the view-model decided."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import BaseModel

from kneehab.web.auth import CSRF_FIELD, csrf_token_of

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def _csrf_token(request: Request) -> str:
    return csrf_token_of(request)


def _csrf_field(request: Request) -> Markup:
    """Every POST form's hidden CSRF token (issue 10 §2); nothing when nobody is signed in."""
    token = csrf_token_of(request)
    if not token:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def _signed_in(request: Request) -> bool:
    return getattr(request.state, "auth", None) is not None


templates.env.globals.update(csrf_token=_csrf_token, csrf_field=_csrf_field, signed_in=_signed_in)

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
    nav_items: tuple[tuple[str, str], ...] = NAV,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HTMLResponse:
    context = {
        "vm": vm,
        "title": title,
        "nav": nav_items if nav else (),
        "path": request.url.path,
        **extra,
    }
    return templates.TemplateResponse(
        request, template, context, status_code=status, headers=headers
    )
