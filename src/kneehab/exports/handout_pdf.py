"""The printable handout (issue 14 §1): what a physical therapist would hand over, as a PDF.

A cover page (name, date, pain limit, the week at a glance, when to stop and when to get help), one
section per exercise (its vector figure, numbered steps, the dose in words, cues, stop rules and the next
step), the moves to avoid with reasons, ice and heat, and a two-week log sheet to fill in by hand. A QR
code beside each exercise (and on the cover) opens its page at the configured public URL. Every page
carries the program version, its date and the page number. Large print keeps body text at 14 pt.

Every word about exercises comes from the program and the library (which quote the article); the
figures are the library's own SVG drawings, drawn into the PDF as vector paths (ADR 0007: fpdf2).
Deterministic: the creation date is `ctx.now`, the only thing two renders of the same data differ in.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import cast

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kneehab.domain.exercise import Exercise
from kneehab.domain.program import WEEKDAYS, ItemStatus, Program, ProgramItem
from kneehab.domain.red_flags import RED_FLAG_QUESTIONS
from kneehab.domain.types import BLOCK_ORDER, Block, Level
from kneehab.errors import InvalidInput, StoreError
from kneehab.exports.context import ExportContext, ProgramSubject
from kneehab.library.figures import render_svg

PAPERS = {"a4": "A4", "letter": "Letter"}
# Debian's fonts-dejavu-core (installed by the Makefile's `pdf-tools` target): every character the library
# uses (≥, –, ’, ×) prints, which the PDF core fonts cannot.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT = "DejaVu"
BLOCK_WORDS = {
    Block.WARM_UP: "Warm-up",
    Block.STRENGTH: "Strength",
    Block.AEROBIC: "Aerobic",
    Block.COOL_DOWN: "Cool-down",
}
DAY_WORDS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
HELP_HEADINGS = {
    Level.EMERGENCY: "Call emergency services or go to an emergency department now if:",
    Level.URGENT: "Get a medical check today if:",
    Level.SOON: "See a physical therapist or doctor this week if:",
}
INK = (43, 45, 66)
GREY = (110, 115, 130)
LOG_DAYS = 14


@dataclass(frozen=True)
class Sizes:
    body: float
    small: float
    h1: float
    h2: float

    @property
    def line(self) -> float:
        return self.body * 0.46  # mm per line: 1.3 × the size in points


NORMAL = Sizes(body=11, small=9, h1=22, h2=16)
LARGE = Sizes(body=14, small=12, h1=26, h2=19)


def day_words(day: date) -> str:
    return f"{DAY_WORDS[WEEKDAYS[day.weekday()]]} {day.day} {day.strftime('%b %Y')}"


def exercise_path(exercise_id: str) -> str:
    return f"/program/exercises/{exercise_id}"


def _font_dir() -> Path:
    for folder in FONT_DIRS:
        if (folder / "DejaVuSans.ttf").is_file():
            return folder
    raise StoreError(
        "fonts: the handout needs the DejaVu fonts (Debian package fonts-dejavu-core; "
        "`make pdf-tools` installs it)"
    )


def _plain_svg(svg: str) -> str:
    """fpdf2 draws shapes; the accessibility title and description are said as text beside it."""
    return re.sub(r"<(title|desc)\b[^>]*>.*?</\1>", "", svg, flags=re.DOTALL)


class Handout(FPDF):
    def __init__(self, subject: ProgramSubject, ctx: ExportContext, *, large: bool, paper: str):
        super().__init__(orientation="portrait", unit="mm", format=PAPERS[paper])
        self.person, self.ctx = subject, ctx
        self.sizes = LARGE if large else NORMAL
        folder = _font_dir()
        self.add_font(FONT, "", str(folder / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(folder / "DejaVuSans-Bold.ttf"))
        self.set_margins(16, 20, 16)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_creation_date(ctx.now)
        self.set_title(f"Home exercise program for {subject.name}")
        self.set_author("kneehab")
        self.set_creator("kneehab")
        self.set_lang("en")
        self.alias_nb_pages()
        self.set_text_color(*INK)

    # --- running heads --------------------------------------------------------------------------

    @property
    def stamp(self) -> str:
        s = self.person
        return f"Program version {s.version}, from {day_words(s.version_date)} · printed {day_words(self.ctx.today)}"

    def _running(self, text: str, top: float, bottom: float, align: str) -> None:
        """A running head or foot between `top` and `bottom` (mm from the page top): one line when it
        fits between the margins, else wrapped at a " · " (large print, a long name), never past them."""
        self.set_font(FONT, "", self.sizes.small)
        self.set_text_color(*GREY)
        fits = self.get_string_width(text.replace("{nb}", "999")) <= self.width
        lines = [text] if fits else text.split(" · ", 1)
        step = min(5.0, (bottom - top) / len(lines))
        for n, line in enumerate(lines):
            self.set_xy(self.l_margin, top + n * step)
            self.cell(self.width, step, line, align=align)
        self.set_text_color(*INK)

    def header(self) -> None:
        self._running(f"{self.person.name} · {self.stamp}", 7, 18, "L")
        self.set_y(20)

    def footer(self) -> None:
        self._running(
            f"Page {self.page_no()} of {{nb}} · {self.stamp}", self.h - 16, self.h - 6, "C"
        )

    # --- text helpers ---------------------------------------------------------------------------

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def heading(self, text: str, size: float | None = None, *, gap: float = 2) -> None:
        self.room(self.sizes.line * 5)  # never a heading alone at the foot of a page
        self.set_font(FONT, "B", size or self.sizes.h2)
        self.multi_cell(0, (size or self.sizes.h2) * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)

    def para(
        self, text: str, *, bold: bool = False, size: float | None = None, w: float = 0
    ) -> None:
        if not text:
            return
        self.set_font(FONT, "B" if bold else "", size or self.sizes.body)
        self.multi_cell(w, self.sizes.line, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def subheading(self, text: str) -> None:
        """A bold sub-heading ("Steps", "Cues", "Stop if", …) never alone at the foot of a page: drawn
        only where it and at least two lines of what it heads fit."""
        self.set_font(FONT, "B", self.sizes.body)
        lines = cast(
            list[str], self.multi_cell(0, self.sizes.line, text, dry_run=True, output="LINES")
        )
        self.room(self.sizes.line * (len(lines) + 2) + 1)
        self.para(text, bold=True)

    def labelled(self, label: str, text: str) -> None:
        """A bold label and its text in one paragraph ("Dose: 2 sets of 10 …")."""
        if not text:
            return
        self.set_font(FONT, "", self.sizes.body)
        self.multi_cell(
            0, self.sizes.line, f"**{label}** {text}", markdown=True,
            new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )  # fmt: skip
        self.ln(1)

    def items(self, lines: list[str] | tuple[str, ...], *, numbered: bool = False) -> None:
        self.set_font(FONT, "", self.sizes.body)
        indent = self.sizes.body * 0.7
        for n, line in enumerate(lines, 1):
            mark = f"{n}." if numbered else "•"
            self.cell(indent, self.sizes.line, mark)
            self.multi_cell(0, self.sizes.line, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def rules_tag(self, rules: tuple[str, ...] | list[str]) -> None:
        """RULES D-13: the rule ids travel apart from the sentence, as a small "why" tag."""
        if rules:
            self.para("why: " + " · ".join(rules), size=self.sizes.small)

    def qr(self, url: str, x: float, y: float, size: float) -> None:
        """A QR code drawn as vector squares (medium error correction, 4-module quiet zone)."""
        code = segno.make(url, error="m", micro=False)
        matrix = code.matrix
        cell = size / (len(matrix) + 8)
        self.set_fill_color(255, 255, 255)
        self.rect(x, y, size, size, style="F")
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    self.rect(x + (c + 4) * cell, y + (r + 4) * cell, cell, cell, style="F")
        self.set_fill_color(255, 255, 255)

    def room(self, height: float) -> None:
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()


# --- the sections -----------------------------------------------------------------------------


def _pain_limit(program: Program) -> str:
    return (
        f"Keep knee pain during exercise at {program.pain_ceiling} out of 10 or less. "
        "If it goes higher, stop that exercise."
    )


def _week(pdf: Handout, program: Program) -> None:
    """The week at a glance: one row per day, its blocks and exercises (or a rest day)."""
    pdf.heading("Your week at a glance", pdf.sizes.h2 * 0.85)
    schedule = program.schedule()
    names = {i.exercise_id: i for i in program.items}
    first = pdf.sizes.body * 1.6
    pdf.set_draw_color(*GREY)
    for key in WEEKDAYS:
        items = [names[x] for x in schedule[key]]
        text = (
            "; ".join(
                f"{BLOCK_WORDS[b]}: " + ", ".join(i.name for i in items if i.block == b)
                for b in BLOCK_ORDER
                if any(i.block == b for i in items)
            )
            or "Rest day"
        )
        pdf.set_font(FONT, "B", pdf.sizes.body)
        pdf.cell(first, pdf.sizes.line, DAY_WORDS[key])
        pdf.set_font(FONT, "", pdf.sizes.body)
        pdf.multi_cell(0, pdf.sizes.line, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.w - pdf.r_margin, pdf.get_y() + 0.5)
        pdf.ln(1.5)
    pdf.ln(2)


def _stop_rules(program: Program, library_get: dict[str, Exercise]) -> list[str]:
    """The stop rules every exercise of the program shares, in the library's words, once each."""
    seen: dict[str, None] = {}
    for item in program.items:
        ex = library_get.get(item.exercise_id)
        for rule in ex.stop_rules if ex else ():
            seen.setdefault(rule, None)
    counts = {
        r: sum(
            1
            for i in program.items
            if r in getattr(library_get.get(i.exercise_id), "stop_rules", ())
        )
        for r in seen
    }
    common = [r for r in seen if counts[r] > 1]
    return common or list(seen)


def _cover(pdf: Handout, subject: ProgramSubject, ctx: ExportContext) -> None:
    program = subject.program
    pdf.add_page()
    size = 30.0
    pdf.qr(ctx.url("/program"), pdf.w - pdf.r_margin - size, pdf.get_y(), size)
    pdf.heading("Your home exercise program", pdf.sizes.h1, gap=3)
    text_w = pdf.width - size - 4
    pdf.para(f"For: {subject.name}", bold=True, w=text_w)
    pdf.para(f"Date: {day_words(ctx.today)}", w=text_w)
    pdf.para(
        f"Program version {subject.version}, in effect from {day_words(subject.version_date)}; "
        f"started {day_words(program.start)}.",
        w=text_w,
    )
    pdf.para("Scan the code to open your program in kneehab.", size=pdf.sizes.small, w=text_w)
    pdf.set_y(max(pdf.get_y(), 20 + size + 4))
    pdf.heading("Your pain limit", pdf.sizes.h2 * 0.85)
    pdf.para(_pain_limit(program), bold=True)
    pdf.rules_tag(program.pain_ceiling_rules)
    if subject.triage.level == Level.SOON:
        pdf.para(subject.triage.message, bold=True)
    for notice in program.notices:
        pdf.para(notice)
    if program.phase_note:
        pdf.para(program.phase_note)
    _week(pdf, program)
    pdf.heading("When to stop", pdf.sizes.h2 * 0.85)
    pdf.items(_stop_rules(program, ctx.library.exercises))
    pdf.heading("When to get help", pdf.sizes.h2 * 0.85)
    pdf.para(program.see_professional)
    for level in (Level.EMERGENCY, Level.URGENT, Level.SOON):
        reasons = [q.reason for q in RED_FLAG_QUESTIONS if q.tier == level]
        if reasons:
            pdf.subheading(HELP_HEADINGS[level])
            pdf.items(reasons)
    if program.start_small:
        pdf.heading("How your program steps up", pdf.sizes.h2 * 0.85)
        pdf.para(program.start_small)


def _steps(item: ProgramItem, ex: Exercise) -> tuple[str, tuple[str, ...]]:
    """The text the person sees (RULES D-13: the item's, with its version and condition applied)."""
    return (item.start_position or ex.start_position), (item.steps or ex.steps)


def _ahead(item: ProgramItem, ex: Exercise, ctx: ExportContext) -> list[str]:
    """The progression steps not yet reached at the current dose (a variant names its exercise)."""
    out = []
    for rung in ex.progression:
        if rung.change == "variant":
            target = ctx.library.exercises.get(rung.to or "")
            out.append(f"{rung.note} ({target.name})" if target else rung.note)
            continue
        now = item.dose.get(rung.change)
        if rung.until is None or now is None or float(now) < rung.until:
            out.append(rung.note)
    return out


def _figure(pdf: Handout, item: ProgramItem, ex: Exercise) -> None:
    svg = _plain_svg(render_svg(ex, item.version, labels=False))
    match = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    vw, vh = (float(match.group(1)), float(match.group(2))) if match else (448.0, 220.0)
    h = min(48.0, pdf.width * vh / vw)  # a figure leaves room for the text on its page
    w = h * vw / vh
    pdf.room(h + pdf.sizes.line * 2)
    x = pdf.l_margin + (pdf.width - w) / 2
    pdf.image(io.BytesIO(svg.encode()), x=x, y=pdf.get_y(), w=w, h=h)
    pdf.set_y(pdf.get_y() + h + 1)
    panels = [
        f"{n}. {k.label[:1].upper()}{k.label[1:]}" for n, k in enumerate(ex.figure.keyframes, 1)
    ]
    pdf.set_font(FONT, "", pdf.sizes.small)
    pdf.multi_cell(
        0,
        pdf.sizes.small * 0.5,
        "Drawing, left to right: " + "  →  ".join(panels),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)


def _days(item: ProgramItem) -> str:
    return ", ".join(DAY_WORDS[d] for d in WEEKDAYS if d in item.days)


def _exercise(pdf: Handout, n: int, item: ProgramItem, ctx: ExportContext) -> None:
    ex = ctx.library.get(item.exercise_id)
    pdf.add_page()
    size = 30.0
    top = pdf.get_y()
    pdf.qr(ctx.url(exercise_path(item.exercise_id)), pdf.w - pdf.r_margin - size, top, size)
    text_w = pdf.width - size - 4
    pdf.set_font(FONT, "B", pdf.sizes.h2)
    pdf.multi_cell(
        text_w, pdf.sizes.h2 * 0.5, f"{n}. {item.name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(1)
    pdf.para(f"{BLOCK_WORDS[item.block]} · {ex.summary}", w=text_w)
    if item.status != ItemStatus.ACTIVE:
        pdf.para(
            "Paused for now: do not do it until it is back in your program.", bold=True, w=text_w
        )
    pdf.set_y(max(pdf.get_y(), top + size + 2))
    _figure(pdf, item, ex)
    pdf.labelled("Dose:", item.dose_text + ".")
    pdf.labelled("Days:", _days(item) + ".")
    if item.tempo:
        pdf.labelled("Pace:", item.tempo + ".")
    pdf.labelled("Rest between sets:", f"{item.rest_s} seconds.")
    if item.options:
        pdf.labelled("Ways to do it:", ", ".join(item.options) + ".")
    start, steps = _steps(item, ex)
    pdf.labelled("Start position:", start)
    pdf.subheading("Steps")
    pdf.items(steps, numbered=True)
    if item.modification:
        pdf.labelled("For your knee:", item.modification)
    if ex.cues:
        pdf.subheading("Cues")
        pdf.items(ex.cues)
    if ex.mistakes:
        pdf.subheading("Avoid these mistakes")
        pdf.items(ex.mistakes)
    pdf.subheading("Stop if")
    pdf.items(ex.stop_rules)
    ahead = _ahead(item, ex, ctx)
    if ahead:
        pdf.subheading(
            "Next step when your sessions go well and your knee is back to usual the next morning"
        )
        pdf.items(ahead[:1])
    pdf.labelled("Why:", item.why)
    pdf.rules_tag(item.rules)


def _swaps(pdf: Handout, program: Program) -> None:
    """RULES D-10: the exercises beyond the session cap, which the cover's notice says are listed as
    swaps: each with its dose and the exercises it can take the place of."""
    if not program.swaps:
        return
    pdf.add_page()
    pdf.heading("Swaps you can choose")
    pdf.para(
        "Each of these can take the place of one exercise of your session, at the dose shown. "
        "Choose a swap in kneehab, so your record and reminders follow it."
    )
    names = {i.exercise_id: i.name for i in program.items}
    for swap in program.swaps:
        pdf.subheading(swap.item.name)
        pdf.labelled("Dose:", swap.item.dose_text + ".")
        instead = [names.get(x, x) for x in swap.can_replace]
        if instead:
            pdf.labelled("Instead of:", ", ".join(instead) + ".")
        pdf.rules_tag(swap.item.rules)


def _avoid(pdf: Handout, program: Program) -> None:
    pdf.add_page()
    pdf.heading("Moves to avoid for now")
    if program.avoid_note:
        pdf.para(program.avoid_note)
    for entry in program.avoid:
        pdf.room(pdf.sizes.line * 4)
        pdf.para(entry.name, bold=True)
        pdf.para(entry.why)
        if entry.examples:
            pdf.para("For example: " + "; ".join(entry.examples) + ".")
        pdf.rules_tag(entry.rules)
    if program.left_out:
        pdf.heading("Left out of your program, and why", pdf.sizes.h2 * 0.85)
        for left in program.left_out:
            pdf.room(pdf.sizes.line * 3)
            pdf.labelled(f"{left.name}:", left.why)


def _advice(pdf: Handout, program: Program) -> None:
    pdf.room(60)
    pdf.ln(2)
    pdf.heading("Ice and heat")
    pdf.para(program.ice_heat)
    if program.trouble_tolerating:
        pdf.para(program.trouble_tolerating)


def _log(pdf: Handout, program: Program, today: date) -> None:
    """Two weeks to fill in by hand, from today: the scheduled session, and four columns to write in."""
    pdf.add_page()
    pdf.heading("Two-week log")
    pdf.para(
        "Fill in one row a day. Pain is 0 (none) to 10 (the worst imaginable). "
        f"Pain during exercise should stay at {program.pain_ceiling} or less."
    )
    size = pdf.sizes.small if pdf.sizes is NORMAL else pdf.sizes.body
    days = [today + timedelta(days=offset) for offset in range(LOG_DAYS)]
    rows = [_log_row(program, day) for day in days]
    # The names in the small size (12 pt in large print, where 14 pt names need more than A4's width);
    # the rows, written beside by hand, in the body size.
    widths = _log_widths(pdf, pdf.sizes.small, size, rows)
    row_h = max(9.0, size * 0.75)
    pdf.set_font(FONT, "B", pdf.sizes.small)
    pdf.set_draw_color(*GREY)
    pdf.set_fill_color(235, 238, 243)
    for label, w in zip(LOG_COLUMNS, widths, strict=True):
        pdf.cell(w, row_h, label, border=1, fill=True, align="C")
    pdf.ln(row_h)
    pdf.set_font(FONT, "", size)
    for cells in rows:
        pdf.room(row_h)
        for text, w in zip(cells, widths, strict=True):
            pdf.cell(w, row_h, text, border=1, align="C" if text in ("☐", "") else "L")
        pdf.ln(row_h)


LOG_COLUMNS = ("Date", "Session", "Done", "Pain during", "Pain next morning", "Notes")


def _log_row(program: Program, day: date) -> tuple[str, ...]:
    items = program.items_on(day) if day >= program.start else []
    session = f"{len(items)} exercises" if items else "Rest day"
    return (day_words(day)[:-5], session, "☐" if items else "", "", "", "")


def _log_widths(pdf: Handout, head: float, size: float, rows: list[tuple[str, ...]]) -> list[float]:
    """Each column as wide as its name (bold) or its widest entry, plus the cell padding; what is left
    goes to the columns written in by hand. Every name stays on one line inside its cell."""
    pad = 2 * pdf.c_margin + 1
    pdf.set_font(FONT, "B", head)
    need = [pdf.get_string_width(label) + pad for label in LOG_COLUMNS]
    pdf.set_font(FONT, "", size)
    for row in rows:
        need = [max(n, pdf.get_string_width(t) + pad) for n, t in zip(need, row, strict=True)]
    spare = pdf.width - sum(need)
    if spare < 0:
        raise StoreError(f"handout: the log's columns need {-spare:.0f} mm more than the page has")
    by_hand = (3, 4, 5)  # pain during, pain next morning, notes: room to write
    return [n + (spare / len(by_hand) if i in by_hand else 0) for i, n in enumerate(need)]


def render(
    subject: ProgramSubject, *, ctx: ExportContext, large: bool = False, paper: str = "a4"
) -> bytes:
    """The handout as PDF bytes (A4 or US Letter; large print with body text at 14 pt)."""
    if paper not in PAPERS:
        raise InvalidInput(f"paper: '{paper}' is not allowed (allowed: {', '.join(PAPERS)})")
    pdf = Handout(subject, ctx, large=large, paper=paper)
    _cover(pdf, subject, ctx)
    for n, item in enumerate(subject.program.items, 1):
        _exercise(pdf, n, item, ctx)
    _swaps(pdf, subject.program)
    _avoid(pdf, subject.program)
    _advice(pdf, subject.program)
    _log(pdf, subject.program, ctx.today)
    return bytes(pdf.output())
