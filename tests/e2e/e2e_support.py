"""Browser tests: the real app under uvicorn on a free port with a tmp SQLite file, driven by
Debian's Chromium through Playwright (never a downloaded browser). Axe-core runs on every page and
every page is photographed at desktop and phone size into docs/screenshots/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from kneehab.config import Settings
from kneehab.library.load import load_library
from kneehab.store.db import Database, open_database
from kneehab.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIME_SCALE = 100.0
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    db: Database
    library: Any


@pytest.fixture(scope="session")
def library():  # type: ignore[no-untyped-def]
    return load_library()


@pytest.fixture
def server(tmp_path: Path, library) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'kneehab.db'}"
    db = open_database(url)
    port = _free_port()
    # A session stays signed in across the days a test's course spans (lifetimes: tests/integration).
    settings = Settings(
        database_url=url, time_scale=TIME_SCALE, port=port, session_idle_hours=24 * 30,
        session_max_days=365,
    )  # fmt: skip
    app = create_app(settings, db=db, library=library)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the kneehab server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", db, library)
    srv.should_exit = True
    thread.join(timeout=10)
    db.close()


# Module scope: Playwright's sync API keeps an event loop in the worker's main thread while it runs, and
# an async test that lands on the same xdist worker later could not start its own.
@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian's chromium is not installed (make browser installs it)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    # bypass_csp only so the test can inject axe-core; the app's own pages load nothing inline.
    ctx = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    yield ctx
    ctx.close()


PERSON_EMAIL = "alice@example.org"  # tests/history_seed.py gives this account the seeded courses
PASSWORD = "a long enough passphrase"


def sign_in(context, server: Server) -> None:  # type: ignore[no-untyped-def]
    """The context signed in as the test person (signed up on first use): its tabs share the cookie."""
    account = {"email": PERSON_EMAIL, "password": PASSWORD}
    r = context.request.post(server.url + "/api/v1/auth/signup", data=account)
    if r.status == 409:
        r = context.request.post(server.url + "/api/v1/auth/login", data=account)
    assert r.status in (200, 201), r.text()


def signed_in_context(browser, server: Server, **options: Any):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(**options)
    sign_in(ctx, server)
    return ctx


@pytest.fixture
def page(context, server: Server):  # type: ignore[no-untyped-def]
    """A tab signed in as a self-managed person without a program yet (issue 10): first run ends with
    their program, and a seeded course is theirs."""
    sign_in(context, server)
    return context.new_page()


@pytest.fixture
def anonymous_page(context):  # type: ignore[no-untyped-def]
    """A first visit: nobody signed in."""
    return context.new_page()


def check_axe(page) -> None:  # type: ignore[no-untyped-def]
    """No serious or critical accessibility violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in bad
    ]
    assert not bad, f"{page.url}: " + "; ".join(details)


def _whole_page(page, size: dict[str, int], path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole page in one picture. The viewport is made as tall as the page first, so sticky parts (the
    "Stop — it hurts" bar) are drawn in their place with their label, not over the middle of the page."""
    page.set_viewport_size(size)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.screenshot(path=str(path))


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Full-page screenshots at desktop and phone size (restores the desktop viewport)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    _whole_page(page, DESKTOP, SHOTS / f"{name}-desktop.png")
    _whole_page(page, PHONE, SHOTS / f"{name}-phone.png")
    page.set_viewport_size(DESKTOP)


def shoot_phone_view(page, name: str, scroll_to: str = "") -> None:  # type: ignore[no-untyped-def]
    """What a phone shows (390×844, one screen), for the README, scrolled to `scroll_to` when given;
    restores the desktop viewport."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    if scroll_to:
        page.locator(scroll_to).first.evaluate(
            "e => { e.scrollIntoView(); window.scrollBy(0, -12); }"
        )
    else:
        page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"readme-{name}-phone.png"))
    page.set_viewport_size(DESKTOP)


def phone_height(page) -> int:  # type: ignore[no-untyped-def]
    """How tall the page is on a 390×844 phone (restores the desktop viewport)."""
    page.set_viewport_size(PHONE)
    height = int(page.evaluate("() => document.documentElement.scrollHeight"))
    page.set_viewport_size(DESKTOP)
    return height


def visit(page, name: str) -> None:  # type: ignore[no-untyped-def]
    check_axe(page)
    shoot(page, name)


def answer_step(page, yes: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    """Answer this step's safety questions (no, unless listed by rule id) and continue.

    The one home for this in the browser tests: it waits for this step's questions, then for the next
    page, so the next step's questions are never read from this one (a race a loaded machine showed, where
    a step went without its answers and the flow stayed a step behind)."""
    page.locator("fieldset.question").first.wait_for()
    for q in page.locator("fieldset.question").all():
        rf = (q.get_attribute("id") or "")[2:]
        q.locator(f'input[value="{"yes" if rf in yes else "no"}"]').check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
