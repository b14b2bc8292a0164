"""Issue 14: the handout (PDF), the calendar (iCalendar) and the FHIR R4 Bundle, rendered from the demo
clinic's people (seeded once for this module, through the services) and read back with independent
tools: pypdf, poppler's pdftoppm, zxing-cpp, icalendar + recurring-ical-events, fhir.resources (R4B)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import icalendar
import pypdf
import pytest
import recurring_ical_events
import zxingcpp
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from PIL import Image

from kneehab.demo_clinic import JOE, LENA, MARIA, TOM, seed_demo_clinic
from kneehab.domain.identity import SERVER_ADMIN
from kneehab.domain.program import WEEKDAYS
from kneehab.domain.types import Condition
from kneehab.errors import Conflict, InvalidInput
from kneehab.exports import fhir_bundle
from kneehab.library.load import default_library
from kneehab.services import accounts, exports
from kneehab.services.acting import on_machine
from kneehab.store.db import Database, open_database

TODAY = date(2026, 12, 6)
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BASE = "https://knee.example.org"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
QR = zxingcpp.BarcodeFormat.QRCode
POINTS = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    seed_demo_clinic(db, today=TODAY, now=NOW, library=default_library())
    return db


@pytest.fixture(scope="module")
def lib():  # type: ignore[no-untyped-def]
    return default_library()


def _req(
    db: Database, email: str, lib, *, today: date = TODAY, now: datetime = NOW
) -> exports.Request:  # type: ignore[no-untyped-def]
    found = accounts.find(db, email)
    assert found is not None and found.person_id is not None
    return exports.Request(SERVER_ADMIN, found.person_id, now, today, BASE, lib)


def _text(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(_io(pdf)).pages]


def _io(data: bytes):  # type: ignore[no-untyped-def]
    import io

    return io.BytesIO(data)


# --- the handout ---------------------------------------------------------------------------------


def test_handout_says_every_exercise_dose_and_the_help_rule_on_numbered_stamped_pages(
    demo, lib
) -> None:  # type: ignore[no-untyped-def]
    req = _req(demo, MARIA.email, lib)
    pdf = exports.handout(demo, req)
    program = exports.program_subject(demo, req.who, today=TODAY, library=lib).program
    pages = _text(pdf)
    whole = " ".join(" ".join(p.split()) for p in pages)
    for item in program.items:
        assert item.name in whole, item.name
        assert item.dose_text in whole, (item.name, item.dose_text)
    # The article's "see a professional" rule, and the red flags in plain words.
    assert " ".join(program.see_professional.split()) in whole
    assert "Call emergency services" in whole and "A hot, red, swollen knee" in whole
    assert "Moves to avoid for now" in whole and program.avoid[0].name in whole
    assert "Ice and heat" in whole and "Two-week log" in whole
    version = exports.program_subject(demo, req.who, today=TODAY, library=lib).version
    for n, text in enumerate(pages, 1):
        flat = " ".join(text.split())
        assert f"Page {n} of {len(pages)}" in flat
        assert f"Program version {version}, from" in flat and "printed Sun 6 Dec 2026" in flat
    # Deterministic: the same data on the same date gives the same bytes; only the stated creation
    # timestamp may differ.
    assert exports.handout(demo, req) == pdf
    later = exports.handout(demo, _req(demo, MARIA.email, lib, now=NOW + timedelta(hours=1)))
    assert later != pdf
    assert pypdf.PdfReader(_io(later)).metadata.creation_date.hour == 13  # type: ignore[union-attr]


def _sizes(pdf: bytes, page: int) -> Counter[float]:
    sizes: Counter[float] = Counter()

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        if text.strip():
            sizes[round(size * tm[0], 1)] += len(text)

    pypdf.PdfReader(_io(pdf)).pages[page].extract_text(visitor_text=visit)
    return sizes


@pytest.mark.parametrize(("paper", "large"), [("a4", False), ("letter", True)])
def test_handout_paper_and_print_size(demo, lib, paper: str, large: bool) -> None:  # type: ignore[no-untyped-def]
    pdf = exports.handout(demo, _req(demo, MARIA.email, lib), paper=paper, large=large)
    reader = pypdf.PdfReader(_io(pdf))
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            POINTS[paper], abs=0.5
        )
    body = _sizes(pdf, 1).most_common(1)[0][0]  # the first exercise page: mostly body text
    assert body >= 14 if large else body == 11


def test_handout_pages_render_with_content_and_the_qr_codes_open_the_right_pages(
    demo, lib, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    assert shutil.which("pdftoppm"), (
        "poppler-utils is installed by `make test` (Makefile: pdf-tools)"
    )
    req = _req(demo, MARIA.email, lib)
    pdf_path = tmp_path / "handout.pdf"
    pdf_path.write_bytes(exports.handout(demo, req))
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", str(pdf_path), str(tmp_path / "p")], check=True
    )
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == len(pypdf.PdfReader(pdf_path).pages)
    for png in pngs:
        image = Image.open(png).convert("L")
        assert image.size == (827, 1170)  # A4 at 100 dpi
        dark = sum(image.histogram()[:128]) / (image.size[0] * image.size[1])
        assert dark > 0.001, f"{png.name} looks empty"  # beyond the running head and foot alone
    program = exports.program_subject(demo, req.who, today=TODAY, library=lib).program
    program = exports.program_subject(demo, req.who, today=TODAY, library=lib).program
    texts = _text(pdf_path.read_bytes())
    at = next(n for n, t in enumerate(texts, 1) if f"1. {program.items[0].name}" in t)
    # The codes as a printer would give them (150 dpi), read by zxing-cpp.
    for n in (1, at):
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "150",
                "-f",
                str(n),
                "-l",
                str(n),
                "-png",
                str(pdf_path),
                str(tmp_path / f"q{n}"),
            ],
            check=True,
        )
    cover, exercise = sorted(tmp_path.glob("q1-*.png"))[0], sorted(tmp_path.glob(f"q{at}-*.png"))[0]
    found = [r.text for r in zxingcpp.read_barcodes(Image.open(cover), formats=QR)]
    assert found == [f"{BASE}/program"]
    first = [r.text for r in zxingcpp.read_barcodes(Image.open(exercise), formats=QR)]
    assert first == [f"{BASE}/program/exercises/{program.items[0].exercise_id}"]
    # The demo person's pages, for docs/screenshots (the cover, an exercise, the log).
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, png in (("cover", pngs[0]), ("exercise", pngs[at - 1]), ("log", pngs[-1])):
        shutil.copyfile(png, SCREENSHOTS / f"handout-{name}.png")


def test_a_withheld_program_has_no_handout_and_bad_options_are_named(demo, lib) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict, match="on hold"):
        exports.handout(demo, _req(demo, LENA.email, lib))
    with pytest.raises(InvalidInput, match="allowed: a4, letter"):
        exports.handout(demo, _req(demo, MARIA.email, lib), paper="a5")


# --- the calendar --------------------------------------------------------------------------------


def test_calendar_expands_to_the_program_schedule_for_eight_weeks(demo, lib) -> None:  # type: ignore[no-untyped-def]
    req = _req(demo, MARIA.email, lib)
    program = exports.program_subject(demo, req.who, today=TODAY, library=lib).program
    cal = icalendar.Calendar.from_ical(exports.calendar(demo, req, remind_at="07:30"))
    start = TODAY
    events = recurring_ical_events.of(cal).between(start, start + timedelta(weeks=8))
    sessions = [e for e in events if "review" not in str(e["UID"])]
    by_day: dict[date, list[icalendar.Event]] = {}
    for e in sessions:
        by_day.setdefault(e["DTSTART"].dt, []).append(e)
    for offset in range(56):
        day = start + timedelta(days=offset)
        items = program.items_on(day)
        if not items:
            assert day not in by_day, day
            continue
        (event,) = by_day[day]  # one event (one reminder) per exercise day
        description = str(event["DESCRIPTION"])
        assert [
            line.split(". ", 1)[1].split(": ")[0]
            for line in description.splitlines()[1 : 1 + len(items)]
        ] == [i.name for i in items]
        alarm = event.walk("VALARM")[0]
        assert alarm["TRIGGER"].dt == timedelta(hours=7, minutes=30)
    assert len(by_day) == sum(1 for o in range(56) if program.items_on(start + timedelta(days=o)))
    rules = [e for e in cal.walk("VEVENT") if "RRULE" in e]
    assert len(rules) == len(
        {
            tuple(d for d in WEEKDAYS if program.schedule()[d] == ids)
            for ids in program.schedule().values()
            if ids
        }
    )


def test_calendar_uids_are_stable_and_a_program_change_raises_the_sequence(demo, lib) -> None:  # type: ignore[no-untyped-def]
    def parsed(**kw):  # type: ignore[no-untyped-def]
        cal = icalendar.Calendar.from_ical(
            exports.calendar(demo, _req(demo, MARIA.email, lib, **kw), remind_at="08:00")
        )
        return {str(e["UID"]): e for e in cal.walk("VEVENT")}

    # Deterministic: the same data and `now` give the same bytes.
    same = [exports.calendar(demo, _req(demo, MARIA.email, lib), remind_at="08:00") for _ in (1, 2)]
    assert same[0] == same[1]
    now, later = parsed(), parsed(now=NOW + timedelta(days=1))
    assert now.keys() == later.keys()
    assert all(now[u]["SEQUENCE"] == later[u]["SEQUENCE"] for u in now)
    before = parsed(today=TODAY - timedelta(days=10))  # Maria's doses have stepped up since
    shared = now.keys() & before.keys()
    assert shared, "the session patterns keep their UIDs"
    assert all(now[u]["SEQUENCE"] > before[u]["SEQUENCE"] for u in shared)
    with pytest.raises(InvalidInput, match="HH:MM"):
        exports.calendar(demo, _req(demo, MARIA.email, lib), remind_at="7pm")


# --- FHIR R4 ---------------------------------------------------------------------------------------

EXPECTED_CODES = {
    "exercise_therapy": ("http://snomed.info/sct", "229065009", "Exercise therapy"),
    "knee_pain": ("http://snomed.info/sct", "30989003", "Knee pain"),
    "pain_nrs": ("http://loinc.org", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"),
    "exercise_duration": ("http://loinc.org", "55411-3", "Exercise duration"),
    "unconfirmed": ("http://terminology.hl7.org/CodeSystem/condition-ver-status", "unconfirmed", "Unconfirmed"),
    "activity": ("http://terminology.hl7.org/CodeSystem/observation-category", "activity", "Activity"),
    "physical_activity": ("http://hl7.org/fhir/us/physical-activity/CodeSystem/pa-temporary-codes", "PhysicalActivity", "Physical Activity"),
}  # fmt: skip


def test_the_code_table(demo, lib) -> None:  # type: ignore[no-untyped-def]
    table = fhir_bundle.CODES
    for key, (system, code, display) in EXPECTED_CODES.items():
        assert (table[key].system, table[key].code, table[key].display) == (system, code, display)
    standard = {fhir_bundle.SNOMED, fhir_bundle.LOINC}
    own = [c for c in table.values() if c.system == fhir_bundle.KNEEHAB_SYSTEM]
    assert {c.code for c in own} >= {
        "psfs",
        "chair-stand-30s",
        "walk-speed-40m",
    }  # no standard code
    assert not any(c.system in standard and not c.code[0].isdigit() for c in table.values())
    # One entry per condition the intake offers, nothing generic beside them.
    stated = {k for k in table if k.startswith("stated_condition")}
    assert stated == {f"stated_condition_{c.value}" for c in Condition}
    for c in Condition:
        code = fhir_bundle.stated_condition(c.value)
        assert (code.system, code.code) == (
            fhir_bundle.KNEEHAB_SYSTEM,
            f"stated-condition-{c.value}",
        )


def _references(node: object) -> list[dict[str, str]]:
    if isinstance(node, dict):
        found = [node] if "reference" in node and isinstance(node["reference"], str) else []
        return found + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


def _codings(node: object) -> list[dict[str, str]]:
    if isinstance(node, dict):
        found = [node] if {"system", "code"} <= node.keys() and "display" in node else []
        return found + [c for v in node.values() for c in _codings(v)]
    if isinstance(node, list):
        return [c for v in node for c in _codings(v)]
    return []


@pytest.mark.parametrize("who", [MARIA, JOE, LENA, TOM], ids=lambda a: a.email.split("@")[0])
def test_fhir_bundle_validates_and_round_trips_for_every_demo_person(demo, lib, who) -> None:  # type: ignore[no-untyped-def]
    req = _req(demo, who.email, lib)
    raw = exports.fhir(demo, req)
    data = json.loads(raw)
    bundle = Bundle.model_validate(data)  # R4B models: every resource validated
    assert (
        json.loads(bundle.model_dump_json(exclude_none=True)) == data
    )  # parse → serialise → parse
    assert Bundle.model_validate_json(bundle.model_dump_json()).model_dump() == bundle.model_dump()
    assert exports.fhir(demo, req) == raw
    resources = [e["resource"] for e in data["entry"]]
    kinds = Counter(r["resourceType"] for r in resources)
    patient = fhir_bundle.full_url("Patient", f"kneehab-{req.person_id}")
    # Every fullUrl a urn:uuid, once each, and every reference one of them (resolved in the Bundle).
    urls = [e["fullUrl"] for e in data["entry"]]
    assert len(set(urls)) == len(urls) and all(u.startswith("urn:uuid:") for u in urls)
    assert {r["reference"] for r in _references(data)} <= set(urls)
    (condition,) = [r for r in resources if r["resourceType"] == "Condition"]
    assert condition["verificationStatus"]["coding"][0]["code"] == "unconfirmed"
    assert "not a diagnosis" in condition["verificationStatus"]["text"]
    (plan,) = [r for r in resources if r["resourceType"] == "CarePlan"]
    requests = {r["id"]: r for r in resources if r["resourceType"] == "ServiceRequest"}
    assert [a["reference"]["reference"] for a in plan["activity"]] == [
        fhir_bundle.full_url("ServiceRequest", i) for i in requests
    ]
    for r in requests.values():
        assert r["code"]["coding"][0]["code"] == "229065009" and r["code"]["text"].startswith(
            "Exercise therapy: "
        )
        assert r["occurrenceTiming"]["repeat"]["dayOfWeek"]
    subject = exports.course_subject(demo, req.who, today=TODAY, library=lib)
    assert plan["status"] == ("on-hold" if subject.on_hold else "active")
    assert len(requests) == (len(subject.program.items) if subject.program else 0)
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    assert kinds["Observation"] == len(observations) > 0
    for o in observations:
        assert o["subject"]["reference"] == patient and o["effectiveDateTime"]
        assert o.get("valueQuantity", {}).get("system", fhir_bundle.UCUM) == fhir_bundle.UCUM
    pain = [o for o in observations if o["code"]["coding"][0]["code"] == "72514-3"]
    assert len(pain) >= len(subject.checkins)
    table = {(c.system, c.code, c.display) for c in fhir_bundle.CODES.values()}
    for c in _codings(data):
        assert (c["system"], c["code"], c["display"]) in table, c
    # HL7 Physical Activity IG: the exercise duration declares the activity-measure profile; nothing
    # else claims a profile (docs/interop.md says why).
    for o in observations:
        duration = o["code"]["coding"][0]["code"] == "55411-3"
        assert o.get("meta", {}).get("profile") == (
            [fhir_bundle.PA_ACTIVITY_MEASURE] if duration else None
        ), o["id"]
    claimed = [r for r in resources if "meta" in r]
    if who is JOE:  # Joe records aerobic minutes
        assert claimed
    for r in claimed:
        Observation.model_validate(r)  # still a valid R4B Observation with the profile declared


def test_fhir_outcomes_carry_their_units(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kneehab.demo import DEMO_INTAKE
    from kneehab.domain.records import OutcomeRecord, PsfsActivity
    from kneehab.services import enroll, record_outcome

    db = open_database(f"sqlite:///{tmp_path / 'k.db'}")
    lib = default_library()
    start = TODAY - timedelta(days=3)
    pid = enroll(
        db, DEMO_INTAKE, start=start, now=NOW - timedelta(days=3), library=lib, actor=SERVER_ADMIN
    ).person_id
    for o in (
        OutcomeRecord(date=start, measure="chair_stand_30s", value=11),
        OutcomeRecord(date=start, measure="walk_40m", value=32),
        OutcomeRecord(date=start, measure="psfs", activities=(PsfsActivity(activity="stairs", score=4), PsfsActivity(activity="walking", score=7))),
    ):  # fmt: skip
        record_outcome(db, on_machine(pid), o, today=start, now=NOW - timedelta(days=3))
    data = json.loads(exports.fhir(db, exports.Request(SERVER_ADMIN, pid, NOW, TODAY, BASE, lib)))
    Bundle.model_validate(data)
    values = {
        r["code"]["coding"][0]["code"]: r["valueQuantity"]
        for r in (e["resource"] for e in data["entry"])
        if r["resourceType"] == "Observation"
    }
    assert values["chair-stand-30s"] == {
        "value": 11,
        "unit": "stands",
        "system": fhir_bundle.UCUM,
        "code": "{stands}",
    }
    assert values["walk-speed-40m"] == {
        "value": 1.25,
        "unit": "m/s",
        "system": fhir_bundle.UCUM,
        "code": "m/s",
    }
    assert values["psfs"]["value"] == 5.5 and values["psfs"]["code"] == "{score}"


def test_the_command_line_writes_the_handout_and_the_fhir_bundle(demo, lib, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kneehab.cli.main import main

    url = str(demo.engine.url).removeprefix("sqlite:///")
    out = tmp_path / "maria.pdf"
    args = ["--db", url, "--person", MARIA.email, "--today", TODAY.isoformat()]
    assert main(["handout", *args, "-o", str(out), "--large", "--paper", "letter"]) == 0
    assert out.read_bytes().startswith(b"%PDF-") and out.stat().st_mode & 0o777 == 0o600
    assert main(["handout", *args, "-o", str(out), "--paper", "a5"]) == 2
    bundle = tmp_path / "maria.json"
    assert main(["export", "--fhir", *args, "-o", str(bundle)]) == 0
    Bundle.model_validate_json(bundle.read_text(encoding="utf-8"))


def test_a_condition_the_clinician_states_is_coded_from_the_table(db, lib) -> None:  # type: ignore[no-untyped-def]
    """A clinician's set_condition value is the fields it changes ({"condition": …}): the Condition
    was coded `stated-condition-{'condition': …}`, a code in no table. Now it is the table's code, and
    a set_condition that leaves the condition alone keeps the stated one."""
    from kneehab.demo import DEMO_INTAKE
    from kneehab.domain.records import ClinicianAction
    from kneehab.services import clinician_action, enroll

    start = TODAY - timedelta(days=3)
    pid = enroll(
        db, DEMO_INTAKE, start=start, now=NOW - timedelta(days=3), library=lib, actor=SERVER_ADMIN
    ).person_id
    req = exports.Request(SERVER_ADMIN, pid, NOW, TODAY, BASE, lib)

    def condition() -> dict:  # type: ignore[type-arg]
        data = json.loads(exports.fhir(db, req))
        (found,) = [
            e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Condition"
        ]
        return found  # type: ignore[no-any-return]

    assert (
        condition()["code"]["coding"][1]
        == fhir_bundle.stated_condition(DEMO_INTAKE.condition.value).coding()
    )
    for day, value in ((start + timedelta(days=1), {"condition": "mcl_sprain", "mcl_grade": 1}), (start + timedelta(days=2), {"onset": "injury"})):  # fmt: skip
        action = ClinicianAction(date=day, action="set_condition", value=value, reason="assessed")
        clinician_action(db, on_machine(pid), action, today=day, now=NOW - timedelta(days=1), by="Ben (physio)", library=lib)  # fmt: skip
    found = condition()
    assert found["code"]["coding"][1] == fhir_bundle.stated_condition("mcl_sprain").coding()
    assert "their clinician" in found["verificationStatus"]["text"]


# --- the handout's layout (found in an audit of issue 14) -----------------------------------------

MM = 72 / 25.4
SUBHEADINGS = ("Steps", "Cues", "Stop if", "Avoid these mistakes", "Next step when")


def _words(
    pdf: bytes, tmp_path: Path
) -> list[tuple[float, float, list[tuple[float, float, float, float, str]]]]:
    """Per page: its width, height and words with their boxes (points), by poppler's pdftotext."""
    src, out = tmp_path / "h.pdf", tmp_path / "h.html"
    src.write_bytes(pdf)
    subprocess.run(["pdftotext", "-bbox", str(src), str(out)], check=True)
    pages = []
    doc = out.read_text(encoding="utf-8")
    for w, h, body in re.findall(
        r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', doc, re.S
    ):
        words = [
            (float(a), float(b), float(c), float(d), html.unescape(t))
            for a, b, c, d, t in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                body,
            )
        ]
        pages.append((float(w), float(h), words))
    return pages


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_handout_text_stays_inside_the_margins_and_the_log_names_are_whole(
    demo, lib, tmp_path, paper: str, large: bool
) -> None:  # type: ignore[no-untyped-def]
    """The log's header names ran into each other ("Pain during" / "Pain next morning"), the large
    print running head ran past the right margin, and a sub-heading could stand alone at a page foot."""
    req = _req(demo, MARIA.email, lib)
    pdf = exports.handout(demo, req, paper=paper, large=large)
    pages = _words(pdf, tmp_path)
    side = 16 * MM - 1  # the handout's left and right margins (16 mm), less a point of rounding
    for n, (w, h, words) in enumerate(pages, 1):
        for x0, y0, x1, y1, text in words:
            assert x0 >= side and x1 <= w - side, (n, text, x0, x1)
            assert y0 >= 6 * MM and y1 <= h - 6 * MM, (n, text, y0, y1)  # head and foot inside too
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                assert apart, (n, a[4], b[4])
    # The log: its header row, read as words and split where a gap is wider than a space, is the six
    # column names whole (each inside its own cell); the text layer has them whole too.
    _w, _h, log = pages[-1]
    top = next(y0 for x0, y0, x1, y1, t in log if t == "Date")
    row = sorted((x0, x1, t) for x0, y0, x1, y1, t in log if abs(y0 - top) < 1)
    names, gap = [row[0][2]], 6.0  # a space is ≤ 4.2 pt at 12 pt bold; cells leave ≥ 8 pt between
    for (_a0, a1, _a), (b0, _b1, b) in pairwise(row):
        if b0 - a1 > gap:
            names.append(b)
        else:
            names[-1] += " " + b
    assert names == ["Date", "Session", "Done", "Pain during", "Pain next morning", "Notes"]
    text = pypdf.PdfReader(_io(pdf)).pages[-1].extract_text()
    assert all(name in text for name in ("Date", "Done", "Pain during", "Pain next morning"))
    # No sub-heading is the last line of a page's body (above the running foot).
    for n in range(1, len(pages) + 1):
        lines = subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(tmp_path / "h.pdf"), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        body = [
            ln.strip() for ln in lines.splitlines() if ln.strip() and "Program version" not in ln
        ]
        body = [ln for ln in body if not ln.startswith(f"Page {n} of")]
        assert not body[-1].startswith(SUBHEADINGS), (paper, large, n, body[-1])


def test_the_handout_lists_the_swaps_the_cover_promises(demo, lib) -> None:  # type: ignore[no-untyped-def]
    """The cover says the other exercises "are listed as swaps"; they were listed nowhere."""
    req = _req(demo, MARIA.email, lib)
    program = exports.program_subject(demo, req.who, today=TODAY, library=lib).program
    assert program.swaps and any("listed as swaps" in n for n in program.notices)
    whole = " ".join(" ".join(_text(exports.handout(demo, req))).split())
    assert "Swaps you can choose" in whole
    for swap in program.swaps:
        assert swap.item.name in whole and swap.item.dose_text in whole, swap.item.name
