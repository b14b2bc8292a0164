"""Render the screening and condition-matrix spec tables into docs/screening-and-planning.md.

Run `python tests/spec/render_planning_doc.py` after changing a table; tests/spec/test_planning_doc.py fails while
the committed page is out of date. Each row on the page is a test that runs against the real engine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DOC = HERE.parent.parent / "docs" / "screening-and-planning.md"

from test_condition_matrix import BASE as MATRIX_BASE  # noqa: E402
from test_condition_matrix import COLUMNS, MATRIX, START  # noqa: E402
from test_screening_table import CHECKIN_TABLE, INTAKE_TABLE  # noqa: E402
from test_session_selection import ROWS as SESSION_ROWS  # noqa: E402

from kneehab.domain.intake import Intake  # noqa: E402
from kneehab.domain.planning import plan  # noqa: E402
from kneehab.domain.screening import screen  # noqa: E402
from kneehab.library.load import default_library  # noqa: E402

INTRO = """\
# kneehab clinical rules — screening and the starting program

Generated from the spec tests (`tests/spec/test_screening_table.py`, `tests/spec/test_condition_matrix.py`) by
`python tests/spec/render_planning_doc.py`; a test fails when it is out of date. Each row is a test that runs
against the real engine and the real exercise library. Rule ids refer to the clinical rule book; docs/clinical-rules.md explains them. kneehab never diagnoses.
For progression and escalation see [clinical-rules.md](clinical-rules.md).

## 1. Warning signs at intake (RULES §1.2, D-2, C-3)

The highest level wins: emergency > urgent > out of scope > soon > ok, and every rule that fired is cited.
`emergency`, `urgent` and `out_of_scope` give no self-managed program; `soon` gives the program at starting doses
with a review within 1–2 weeks and no step-ups until a clinician has reviewed it. Facts count without a tick
(rule book v2, C-3): under 16 is RF15; MCL grade 3 is out of scope; 55 or over with an injury this week (0 weeks
since onset) is RF01, urgent; 16–17 is RF18 (out of scope after an injury less than 6 weeks ago, else soon);
pain at rest 8 or more is RF19, out of scope, and 7 is RF19, soon; chest symptoms are RF17, an emergency with or
without leg symptoms; numbness within a week of an injury, or a cold, pale or blue foot, makes RF10 an emergency.
The person's words for each rule are in the worked examples (`tests/spec/test_intake_triage_v2.py`, EX-27).

| scenario | answers (besides a 50-year-old with gradual medial knee OA) | level | rules cited |
|---|---|---|---|
"""

CHECKIN = """
## 2. New symptoms at a check-in (RULES C-14)

| scenario | onset | symptoms | level | rules cited |
|---|---|---|---|---|
"""

MATRIX_INTRO = """
## 3. What goes into the starting program (RULES §4.3, C-4, D-6)

`A` = left out (the program says why), `M` = included with a change the program states, `E` = emphasised,
`OK` = included as tolerated; `x|y` = either is acceptable. An included exercise is in the session or, beyond the
6-exercise session cap, offered as a swap (D-10, section 5). A person whose cause is unknown gets the safest common
program: nothing marked `A` for any condition in its phase (D-6); after an injury in weeks 0–4 both early columns
apply (C-4). Each column is a person with (age 45, pain 3/10):

"""


def _answers(changes: dict[str, Any]) -> str:
    return ", ".join(f"`{k}`: {v}" for k, v in changes.items()) or "nothing"


def _example() -> str:
    intake = Intake.model_validate({**MATRIX_BASE, **COLUMNS["medial OA"]})
    program = plan(intake, screen(intake), default_library(), start=START)
    assert program is not None
    lines = [
        "\n## 4. Worked example: the starting program for gradual medial knee OA\n",
        f"Start {START.isoformat()} (a {START.strftime('%A')}); pain limit {program.pain_ceiling}/10 "
        f"({', '.join(program.pain_ceiling_rules)}).\n",
        "| block | exercise | dose | days | rules |",
        "|---|---|---|---|---|",
    ]
    for item in program.items:
        dose = item.dose_text
        lines.append(
            f"| {item.block.value} | {item.name} | {dose} | {' '.join(item.days)} | {', '.join(item.rules)} |"
        )
    swaps = ", ".join(s.item.name for s in program.swaps) or "none"
    lines.append(f"\nSwaps (D-10): {swaps}.")
    return "\n".join(lines) + "\n"


SESSION_INTRO = """
## 5. Session size and selection (RULES D-10, EXAMPLES EX-33)

At most 6 non-aerobic exercises a session. Slot 1: double knee to chest when allowed; slot 2: the first of the
article's four stretches by code (E, then OK, then M), then the article's order; the other slots: E before the
rest, strength block before stretch/yoga, OK before M, then the article's order. Every other allowed exercise is a
swap (strength for strength, stretch/yoga for stretch/yoga); an exercise an `A` cell, giving way (P13) or the
no-floor/fall-risk profile (D-11) keeps out is never a swap. `(M)` = included with a change. All rows: can get
down to the floor, not unsteady.

| person | session (in order) | swaps | left out | cardio options |
|---|---|---|---|---|
"""


def _session_rows() -> str:
    out = [SESSION_INTRO]
    for who, _facts, session, swaps, left_out, cardio, _pool in SESSION_ROWS:
        out.append(
            f"| {who} | {session} | {swaps or '—'} | {left_out or '—'} | {', '.join(cardio)} |\n"
        )
    return "".join(out)


def render() -> str:
    out = [INTRO]
    for scenario, changes, level, rules in INTAKE_TABLE:
        out.append(
            f"| {scenario} | {_answers(changes)} | {level.value} | {', '.join(sorted(rules)) or '—'} |\n"
        )
    out.append(CHECKIN)
    for scenario, onset, words, chest, level, rules in CHECKIN_TABLE:
        sym = " + ".join([*words, *(["chest pain/breathless"] if chest else [])]) or "none"
        out.append(
            f"| {scenario} | {onset} | {sym} | {level.value} | {', '.join(sorted(rules)) or '—'} |\n"
        )
    out.append(MATRIX_INTRO)
    for name, facts in COLUMNS.items():
        out.append(f"- **{name}**: {_answers(facts)}\n")
    cols = list(COLUMNS)
    out.append("\n| exercise | " + " | ".join(cols) + " |\n")
    out.append("|---|" + "---|" * len(cols) + "\n")
    for ex, row in MATRIX.items():
        out.append(f"| {ex} | " + " | ".join(row[c].replace("|", "/") for c in cols) + " |\n")
    out.append(_example())
    out.append(_session_rows())
    return "".join(out)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
