"""My program in short screens: the overview, one page per exercise, avoid / equipment / advice pages, and the
exercise figures as cacheable files. Each page has its JSON twin."""

from __future__ import annotations

import httpx
import pytest
from api_support import enrol, pass_check

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_program_overview_is_short_and_links_every_exercise(
    client: httpx.AsyncClient,
) -> None:
    await enrol(client)
    page = await client.get("/program")
    twin = (await client.get("/api/v1/program")).json()
    cards = [ex for s in twin["sections"] for ex in s["exercises"]]
    assert cards and all(f'href="{c["url"]}"' in page.text for c in cards)
    assert all(c["url"] == f"/program/exercises/{c['id']}" for c in cards)
    assert all(c["dose"] and c["why_line"] and c["figure_alt"] for c in cards)
    assert "Keep knee pain during exercise at" in page.text
    # The week at a glance: which blocks and how many exercises, the names on demand.
    days = twin["week"]
    assert len(days) == 7 and any(d["count"] for d in days)
    busy = next(d for d in days if d["count"])
    assert busy["summary"].endswith(f"· {busy['count']} exercises") and busy["blocks"]
    assert "<details>" in page.text
    # No inlined pictures and none of the long sections: the page stays small.
    assert "<svg" not in page.text and "Common mistakes" not in page.text
    assert len(page.content) < 25_000, len(page.content)


async def test_exercise_page_and_twin(client: httpx.AsyncClient) -> None:
    await enrol(client)
    page = await client.get("/program/exercises/bridge")
    twin = (await client.get("/api/v1/program/exercises/bridge")).json()
    assert page.status_code == 200 and twin["name"] == "Bridge"
    assert twin["steps"] and twin["cues"] and twin["mistakes"] and twin["stop_rules"]
    assert twin["dose"] and twin["why"] and twin["rules"] and twin["condition_change"]
    assert twin["progressions"], "the steps still ahead are listed"
    assert twin["figure_url"].startswith("/figures/bridge.svg?v=")
    for heading in ("Steps", "Common mistakes", "Why it is in your program", "Steps ahead"):
        assert f"<h2>{heading}</h2>" in page.text
    assert f'src="{twin["figure_url"]}" alt="Bridge, drawn step by step' in page.text
    assert '<span class="tag rules" aria-label="Rules">why: ' in page.text  # ids apart (D-13)


async def test_exercise_page_shows_equipment_and_its_substitute(client: httpx.AsyncClient) -> None:
    await enrol(client, equipment=[])  # no strap: the household substitute is named
    twin = (await client.get("/api/v1/program")).json()
    strap = next(
        c["id"] for s in twin["sections"] for c in s["exercises"] if "strap" in c["name"].lower()
    )
    ex = (await client.get(f"/api/v1/program/exercises/{strap}")).json()
    assert ex["equipment"] and not ex["equipment"][0]["have"]
    assert ex["equipment"][0]["substitute"]


async def test_unknown_exercise_is_404_in_both_formats(client: httpx.AsyncClient) -> None:
    await enrol(client)
    page = await client.get("/program/exercises/moonwalk")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    api = await client.get("/api/v1/program/exercises/moonwalk")
    assert api.status_code == 404 and "moonwalk" in api.json()["detail"]


async def test_avoid_equipment_and_advice_pages(client: httpx.AsyncClient) -> None:
    await enrol(client)
    avoid = (await client.get("/api/v1/program/avoid")).json()
    assert avoid["avoid"] and all(a["why"] for a in avoid["avoid"])
    assert avoid["avoid"][0]["name"] in (await client.get("/program/avoid")).text
    equipment = (await client.get("/api/v1/program/equipment")).json()
    assert equipment["items"] and all(e["use"] for e in equipment["items"])
    assert (await client.get("/program/equipment")).status_code == 200
    advice = (await client.get("/api/v1/program/advice")).json()
    assert advice["ice_heat"] and advice["see_professional"]
    page = await client.get("/program/advice")
    assert 'id="ice-heat"' in page.text and 'id="see-a-professional"' in page.text


async def test_figures_are_cacheable_svg_files(client: httpx.AsyncClient) -> None:
    await enrol(client)
    url = (await client.get("/api/v1/program/exercises/bridge")).json()["figure_url"]
    r = await client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "no-store" not in r.headers.get("cache-control", "")
    etag = r.headers["etag"]
    assert etag.strip('"').startswith(url.split("?v=")[1])  # the URL carries the content hash
    # The drawing keeps its own accessible title and description.
    assert "<title id=" in r.text and "<desc id=" in r.text
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    assert (await client.get("/figures/moonwalk.svg")).status_code == 404
    # Pages with health data stay uncached.
    assert (await client.get("/program")).headers["cache-control"] == "no-store"


async def test_today_list_is_short_without_inlined_pictures(client: httpx.AsyncClient) -> None:
    await enrol(client)
    await pass_check(client)
    page = await client.get("/today")
    plan = (await client.get("/api/v1/today")).json()["plan"]
    assert all(e["figure_url"].startswith(f"/figures/{e['id']}.svg?v=") for e in plan["exercises"])
    assert '<svg class="face"' in page.text  # only the player's one rating form has faces
    assert page.text.count('name="pain_during_max"') <= 11
    assert len(page.content) < 40_000, len(page.content)
