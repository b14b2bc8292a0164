"""Render the progression and escalation spec tables into docs/clinical-rules.md.

The page is what a physical therapist reads to check the product: each rule in plain words, then the
test rows that pin it down, with the product's own decision and the words the person sees.
Run `python tests/spec/render_rules_doc.py` after changing a table or a rule;
tests/spec/test_progression_doc.py fails while the committed page is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent.parent / "docs" / "clinical-rules.md"

INTRO = """\
# kneehab clinical rules — progression and escalation

This page is generated from the spec tests (`tests/spec/test_progression_table.py`,
`tests/spec/test_escalation_table.py`, `tests/spec/test_escalation_examples.py`) by `python tests/spec/render_rules_doc.py`; a test fails when
it is out of date. Every row below is a test that runs against the real engine: the *decision* and
*what the person is told* columns are the product's own output. Rule ids refer to
`RULES.md` (D-, C-, P-, E- rows). kneehab never diagnoses; warning signs always win.

A course is replayed from its history (`kneehab progress --history FILE`: intake, start, today,
sessions, check-ins, outcomes, `rescreens` — the red-flag questions asked again mid-course, each
`{"date", "red_flags": ["RF07", …], "cold_foot", "chest_symptoms", "new_injury"}` — and `reviewed`).
The intake keeps the answers it was given; a re-screen acts from its own date on.
"""

PROGRESSION = """\
## 1. After each session: progress, hold, regress, pause or stop (RULES §2.3)

Decisions are made at the morning check-in after a session (C-6), one exercise at a time.

- **Pain limit (D-1, C-2).** 3/10 by default; a clinician may set 4 or 5. In the acute profile
  (injury < 3 weeks, MCL grade II < 4 weeks, meniscus after injury < 6 weeks, counted as intake
  weeks + days since start ÷ 7) the limit is 2/10, recomputed every day.
- **Baseline (C-5).** Pain at intake until there are 3 mornings that do not follow a session day;
  then the middle value of the last 3 of them. "Above baseline" means morning pain > baseline +
  tolerance (0, or 1 if a clinician sets it).
- **P1 — stop.** Pain 8 or more, sharp/catching pain, or any new symptom: stop the exercise that day
  (C-9) and ask the warning-sign questions again. If a red flag is found the whole program stops
  (E1); if the next check-in is clear the exercise becomes *paused* (P5).
- **Re-screens (§1.1).** Red flags answered again mid-course act from the day they are given;
  what was decided before stays as it was. An urgent or emergency answer stops every exercise that
  day and locks the program until a clinician clears it; a `soon` answer holds progression from
  that day until a clinician has reviewed the program (D-2).
- **P2 — progress one rung** when pain stayed within the limit, the morning was back to baseline, the
  weekly morning trend is not rising, and the last **2 sessions at this dose** were done in full and
  felt easy (RIR ≥ 2). A dose change restarts the count (C-6). At most **one step per exercise in any
  7 days** (C-7). One variable per step; a load, step-height or variant step may also reset reps to
  the bottom of the range (C-8). Triage `soon` holds progression until a clinician reviews (D-2).
- **P3 — hold** when pain and morning are fine but P2 is not met.
- **P4 — regress one rung** when pain went above the limit (up to 7) or the morning was above
  baseline: undo the most recent step; else lower the first ladder key above its start; else the C-8
  floors (reps −2 not below 5, stretch hold −10 s not below 10 s, sets −1 not below 1, aerobic −5 min);
  else the library's easier variant. When nothing can be lowered the exercise is **paused**.
- **P5 — pause** an exercise whose morning was above baseline 2 days running after a regression, or
  when morning pain/stiffness rose 2 weeks running (pain-free exercises continue). Paused exercises
  logged anyway are recorded and flagged (C-13).

Worked examples — the Bridge, starting at 2 sets of 10 with a 2 s hold:
"""

ESCALATION = """\
## 2. See a professional (RULES §5, v2)

Measured each day (C-11): `pain_base` = mean daily average pain of days −6…0 (≥ 4 ratings, else the
intake pain); `pain7` = mean of the last 7 days (needs ≥ 4; too few ratings count as *not improved*,
and the message says so). Improved = 1 point or 15 % better; clearly improved (MCID) = 2 points or
30 %. *Worse* (v2) = average pain 2 points higher, or exercises paused after provoking the knee on 2
dates within 14 days, or two consecutive rising calendar weeks (C-5), or a usual morning pain (C-5
baseline) of 8 or more. Adherence (C-12) = strength days done / prescribed in the last 14 days,
judged from day 14. Non-chronic = intake `weeks_since_onset` < 13; chronic ≥ 13.
"Day N" counts from the start (day 0); a rule due on day N fires on or after day N, never before
(C-10). The level shown is the highest of every rule that fired; all of them are listed, apart from
the text (D-13: no rule id inside a sentence). A rule triggered by an event (a check-in word, a
re-screen answer, an E13 trigger, a P1 stop) fires on that date; a rule triggered by a state (a lock,
a hold that waits for a clinician, E2–E8, E10, E12) fires on every date the state holds.

Clinician events (D-7): a **review** ends every state that waits for a clinician (the D-2 and
re-screen holds, the giving-way hold, the repeated-swelling hold) and E10; an **assessment** is a
review that also lifts an urgent or emergency lock; an **acknowledgement** hides a rule for the same
trigger (the same unbroken run of its state, or the same event) — the next rule that falls due still
fires, and a lock is never hidden by an acknowledgement.

| rule | when | level |
|---|---|---|
| E1 | a warning sign at a check-in or a re-screen | its §1 tier: urgent / emergency from that day until a clinician records an assessment (the program stays stopped); giving way (soon) every day until a clinician review; any other soon answer on its day only |
| E2 | non-chronic onset, day ≥ 14, not improved | soon |
| E3 | worse, after day 7 | soon |
| E4 | any onset, day ≥ 42, not clearly improved | soon |
| E5 | kneecap (patellofemoral) pain, day ≥ 56, not clearly improved | soon |
| E6 | day ≥ 84, PSFS change below 2 points | soon |
| E7 | day ≥ 180, not clearly improved | soon |
| E8 | knee OA, day ≥ 84, average pain still ≥ 7 with ≥ 50 % adherence | soon |
| E9 | adherence below 50 % | message |
| E10 | chronic, and no doctor or physical therapist has examined the knee (`assessed` no / not sure / missing), from day 0 until acknowledged or reviewed | soon |
| E11 | clearly improved for 2 weeks | message |
| E12 | ≥ 50 % of the non-aerobic session items paused or stopped, or any item paused waiting for a clinician (not a clinician's own pause) | soon, with the trouble-tolerating advice |
| E13 | an aerobic item's second hold at its 5-minute floor within 14 days, or a stop of an aerobic item | soon |
| P1 | an exercise stopped that day after strong or sharp pain, outside a lock | message |
| D-2 | triage `soon` at intake or at a re-screen, not yet reviewed | soon |

A pause on its own is not an escalation (v2): it restarts by itself (P10), and E12 covers a program
that is largely paused or an item that waits for a clinician.

Worked examples:
"""

EXAMPLES_INTRO = """\
### Worked examples from the rule book (EXAMPLES.md)

Each table is a spec test (`tests/spec/test_escalation_examples.py`): the person's situation on one
date → the product's own escalation.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def progression_rows() -> list[str]:
    import test_progression_table as t

    lines = [
        "| scenario | inputs | decision | rules | what the person is told |",
        "|---|---|---|---|---|",
    ]
    for row in t.TABLE:
        d = t.run_row(row)
        change = d.from_dose.describe()
        if d.to_dose != d.from_dose:
            change += f" → {d.to_dose.describe()}"
        lines.append(
            f"| {_cell(row.scenario)} | {_cell(row.inputs())} | **{d.action.value}** "
            f"({_cell(change)}) | {', '.join(d.rules)} | {_cell(d.reason)} |"
        )
    return lines


def escalation_rows() -> list[str]:
    import test_escalation_table as t

    from kneehab.domain.escalation import escalate

    lines = [
        "| scenario | situation | level | rules | what the person is told |",
        "|---|---|---|---|---|",
    ]
    for row in t.TABLE:
        e = escalate(t.situation(row))
        told = " ".join((*e.reasons, e.message))
        lines.append(
            f"| {_cell(row.scenario)} | {_cell(row.inputs())} | **{e.level.value}** | "
            f"{', '.join(e.rules) or '—'} | {_cell(told)} |"
        )
    return lines


def example_rows() -> list[str]:
    import test_escalation_examples as t

    from kneehab.domain.escalation import escalate

    lines = [EXAMPLES_INTRO]
    for title, cases in t.TABLES.items():
        lines += [
            f"#### {title}",
            "",
            "| scenario | situation | level | rules | what the person is told |",
            "|---|---|---|---|---|",
        ]
        for case in cases:
            e = escalate(t.situation(case))
            told = " ".join((*e.reasons, e.message))
            lines.append(
                f"| {_cell(case.scenario)} | {_cell(case.inputs())} | **{e.level.value}** | "
                f"{', '.join(e.rules) or '—'} | {_cell(told)} |"
            )
        lines.append("")
    return lines


def render() -> str:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    parts = [
        INTRO,
        PROGRESSION,
        *progression_rows(),
        "",
        ESCALATION,
        *escalation_rows(),
        "",
        *example_rows(),
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
