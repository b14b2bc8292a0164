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
`tests/spec/test_examples_*.py`, `tests/spec/test_escalation_table.py`,
`tests/spec/test_escalation_examples.py`) by `python tests/spec/render_rules_doc.py`; a test fails when
it is out of date. Every row below is a test that runs against the real engine: the *decision* and
*what the person is told* columns are the product's own output. Rule ids refer to
the clinical rule book (its D-, C-, P-, E- rows), summarised here. kneehab never diagnoses; warning signs always win.

A course is replayed from its history (`kneehab progress --history FILE`: intake, start, today,
sessions, check-ins, outcomes, `rescreens` — the red-flag questions asked again mid-course, each
`{"date", "red_flags": ["RF07", …], "cold_foot", "chest_symptoms", "new_injury"}` — and `reviewed`).
The intake keeps the answers it was given; a re-screen acts from its own date on.
"""

PROGRESSION = """\
## 1. After each session: progress, hold, regress, pause, resume or stop (RULES §2.3, v2)

Decisions are made at the morning check-in after a session (C-6): first the check-in's words and any
re-screen of that day, then the baseline, the week's judgement and the phase, then one decision per
exercise (the most restrictive wins: stop > pause > regress > hold > resume > progress, §0.3), then
the day's one load change.

- **Usual pain, the baseline (C-5).** The low median (the ⌈n/2⌉-th smallest) of the most recent 7
  morning check-ins of the 14 days before; with fewer than 3, the intake's pain now. Every morning
  counts. A **rise morning** is morning pain > baseline + 1 (a clinician may set 0); a **big rise** is
  baseline + 3 or more.
- **Pain limit (D-1, C-2).** min(7, max(F, baseline)) for each date: F = 3, or 2 in the acute profile
  (injury < 3 weeks, MCL grade II < 4 weeks, meniscus injury < 6 weeks, a new injury < 21 days ago),
  recomputed every day; a clinician value 2–5 replaces F, never the baseline floor. Pain already
  present at rest is not caused by the exercise. A limit above 5 is flagged for a clinician.
- **P1 — stop.** Pain 8 or more, or sharp or catching pain: stop that exercise that day. At the next
  check-in, with no warning sign, it is paused one step lower (C-9); walking and other aerobic work
  continues at 5 minutes.
- **P2 — progress one rung** when the last two performances at this dose (the later yesterday, at
  most 4 days apart, 8 for a weekly item) were done in full, within the limit, with an effort of easy
  or moderate (or 2+ reps in reserve, C-16), the morning is not a rise, last week was not rising, no
  hold applies, 7 days have passed since the exercise last changed (C-7), and it is the day's one load
  change (P11: resumes first, then accepted later options, then progressions; the longest unchanged
  first). Steps stay under the condition's step-height cap (D-4: 15 cm for kneecap pain, early MCL
  grade II and early meniscus, and the fall-risk profile; 20 cm for meniscus later; 25 cm otherwise).
- **P3 — hold**, naming the first condition of P2 that is not met.
- **P4 / P8 — regress one step** only what a sore morning can be traced to: an exercise whose pain
  went above the limit; else the most recent increase of the last 7 days; else, on the second rise
  morning in a row, the session's strength work; else nothing ("nothing in your last session stands
  out"). A big rise brings all three down. A regression first undoes the latest step up (C-8).
- **P9 — flare hold.** After a rise morning, a P1 stop or any check-in word, nothing steps up,
  resumes or unlocks for 72 hours (that check-in and the next two).
- **P5 — pause** an exercise that provoked a rise morning after each of its last two sessions at the
  easier dose; after two rising calendar weeks, every increase of those weeks is undone.
- **P10 — resume** by itself at the paused dose after 3 good mornings; a pause after giving way (P13),
  repeated catching, or a second pause within 28 days waits for a clinician.
- **P12 — aerobic work is never paused**: it steps by about a fifth (10, 12, 14, 16, 19, 22, 26, 30
  minutes; down by at least 2, never below 5) and holds at 5 minutes.
- **P13 — giving way** pauses the standing exercises that load the knee and holds progression until
  a clinician review.

Worked examples — the Bridge and the Step-up (RULES §2.3 decision table):
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


ENGINE_INTRO = """\
### Worked examples from the rule book (EXAMPLES.md): whole courses through the engine

Each table is a spec test (`tests/spec/test_examples_load.py`, `test_examples_flare.py`,
`test_examples_words.py`, `test_examples_caps_clinician.py`): a person follows the program day by day
(`tests/spec/course_sim.py`), and the rows show the engine's own decisions and words.
"""


def _load_change_rows(title: str, course: object, table: list[tuple]) -> list[str]:
    from course_sim import decisions_on, load_change_on, short

    lines = [
        f"#### {title}",
        "",
        "| check-in | load change | held by P11 | what the person is told |",
        "|---|---|---|---|",
    ]
    for row in table:
        when = row[0]
        made = load_change_on(course, when)  # type: ignore[arg-type]
        held = sorted(
            x
            for x, d in decisions_on(course, when).items()  # type: ignore[arg-type]
            if d.action.value == "hold" and "P11" in d.rules
        )
        change = (
            f"{made.exercise_id} {short(made.from_dose)} → {short(made.to_dose)}" if made else "—"
        )
        lines.append(
            f"| {when} | {_cell(change)} | {', '.join(held) or '—'} | "
            f"{_cell(made.reason) if made else '—'} |"
        )
    return [*lines, ""]


def _decision_rows(title: str, course: object, dates: list[str]) -> list[str]:
    from course_sim import decisions_on, short

    lines = [
        f"#### {title}",
        "",
        "| check-in | exercise | decision | rules | what the person is told |",
        "|---|---|---|---|---|",
    ]
    for when in dates:
        for x, d in sorted(decisions_on(course, when).items()):  # type: ignore[arg-type]
            change = short(d.from_dose)
            if d.to_dose != d.from_dose:
                change += f" → {short(d.to_dose)}"
            lines.append(
                f"| {when} | {x} | **{d.action.value}** ({_cell(change)}) | "
                f"{', '.join(d.rules)} | {_cell(d.reason)} |"
            )
    return [*lines, ""]


def engine_example_rows() -> list[str]:
    import test_examples_flare as fl
    import test_examples_load as ld
    import test_examples_words as wd
    from course_sim import simulate

    from kneehab.domain.checkin_words import CourseSoFar, read

    ex02 = simulate(
        ld.OA_70, until="3/13", morning=5, stiffness=4, avg_pain=5, entry=ld.moderate(4)
    )
    ex03 = simulate(
        ld.MCL2_24, until="3/17", morning=4, stiffness=3, avg_pain=4, entry=ld.moderate(3)
    )
    ex09 = simulate(
        fl.PFP_28,
        until="3/8",
        morning=fl.mornings({"3/8": 4}, 2),
        stiffness=3,
        entry=fl._ex09_entry,
    )
    ex10 = simulate(
        fl.OA_58, until="3/13", morning=fl.mornings({"3/11": 5, "3/12": 5}, 3), entry=fl._ex10_entry
    )
    ex17 = simulate(
        fl.PFP_28,
        until="3/16",
        morning=fl.mornings({"3/8": 4, "3/11": 4, "3/13": 4}, 2),
        entry=fl._ex17_entry,
    )
    ex21 = simulate(wd.MENISCUS_32, until="3/12", morning=2, words={"3/12": ["giving_way"]})
    lines = [ENGINE_INTRO]
    lines += _load_change_rows(
        "EX-02 — 70-year-old with knee OA, usual pain 5: limit 5, one load change a day",
        ex02,
        ld.EX02,
    )
    lines += _load_change_rows("EX-03 — MCL grade II in week 2, usual pain 4", ex03, ld.EX03)
    lines += _decision_rows("EX-09 — only the exercise that hurt steps back", ex09, ["3/8"])
    lines += _decision_rows(
        "EX-10 — the most recent increase, one per sore morning", ex10, ["3/11", "3/12"]
    )
    lines += _decision_rows(
        "EX-17 / EX-18 — a pause that ends by itself",
        ex17,
        ["3/11", "3/13", "3/16"],
    )
    lines += _decision_rows("EX-21 — the knee gave way", ex21, ["3/12"])
    lines += [
        "#### EX-23 — check-in words",
        "",
        "| words | level | rules | what the person is told |",
        "|---|---|---|---|",
    ]
    for row, words, chest, facts, flags, *_ in wd.EX23:
        reading = read(
            wd.D,
            words,
            chest_symptoms=chest,
            red_flags=flags,
            so_far=CourseSoFar(**{"age": 40, **facts}),
        )
        t = reading.triage
        lines.append(
            f"| {_cell(row)} | **{t.level.value}** | {', '.join(t.rules) or '—'} | "
            f"{_cell(t.message) or '—'} |"
        )
    return [*lines, ""]


def render() -> str:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    parts = [
        INTRO,
        PROGRESSION,
        *progression_rows(),
        "",
        *engine_example_rows(),
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
