"""One morning check-in's decisions (RULES v2, C-6, §0.3): the C-9 follow-up of stopped exercises,
catching and giving way, P8 attribution, P5, P4, P2/P3/P9, P10, P12 — one decision per exercise, the
most restrictive winning — then the day's one load change (P11) and any D-12 unlock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kneehab.domain.baseline import (
    week_means,
)
from kneehab.domain.checkin_words import Reading
from kneehab.domain.conditions import (
    skipped_rungs,
    step_cap_cm,
)
from kneehab.domain.course_state import (
    AEROBIC_GENTLEST,
    ATTRIBUTION_DAYS,
    CADENCE_DAYS,
    E13_WINDOW,
    P2_GAP,
    P2_GAP_WEEKLY,
    REPAUSE_DAYS,
    RESUME_MORNINGS,
    CourseState,
    ExerciseState,
)
from kneehab.domain.planning import STANDING_KNEE_LOADING
from kneehab.domain.program import ItemStatus, ProgramItem
from kneehab.domain.progression import (
    PAIN_STOP,
    RESTRICTIVENESS,
    Action,
    Decision,
    Performance,
    day_text,
    decision,
    dose_words,
)
from kneehab.domain.progression_ladder import AEROBIC_FLOOR, step_up
from kneehab.domain.records import (
    CheckIn,
)
from kneehab.domain.types import (
    Block,
    Category,
    Dose,
)


class CheckinDecisions:
    """One check-in's decisions (C-6): one per exercise, the most restrictive winning (§0.3), then
    the day's one load change (P11)."""

    def __init__(
        self,
        run: CourseState,
        day: dt.date,
        checkin: CheckIn,
        reading: Reading,
        *,
        rise: bool,
        big: bool,
        undo_weeks: tuple[dt.date, dt.date] | None,
    ) -> None:
        self.r, self.day, self.checkin, self.reading = run, day, checkin, reading
        self.rise, self.big, self.undo_weeks = rise, big, undo_weeks
        self.out: dict[str, Decision] = {}
        self.candidates: list[tuple[int, Decision]] = []  # (class, decision) for P11
        self.unlock_today: str | None = None  # D-12: the accepted option that unlocks today
        self.base = run.baseline(day)

    # -- helpers --

    def put(self, d: Decision) -> None:
        old = self.out.get(d.exercise_id)
        if old is None or RESTRICTIVENESS[d.action] > RESTRICTIVENESS[old.action]:
            if old is not None:
                d = d.model_copy(update={"rules": tuple(dict.fromkeys((*d.rules, *old.rules)))})
            self.out[d.exercise_id] = d
        else:
            self.out[d.exercise_id] = old.model_copy(
                update={"rules": tuple(dict.fromkeys((*old.rules, *d.rules)))}
            )

    def hold_end(self) -> dt.date | None:
        return self.r.flare_hold_until(self.day)

    def resume_date(self) -> str:
        end = self.hold_end()
        return day_text((end or self.day) + dt.timedelta(days=1))

    # -- the run --

    def run(self) -> None:
        r = self.r
        self.stopped_items()
        self.catching()
        self.giving_way()
        attributed = self.attribution() if (self.rise or self.reading.swelling) else set()
        week_targets = self.week_undo()
        for item in r.program.items:
            ex = r.ex[item.exercise_id]
            if item.status != ItemStatus.ACTIVE:
                self.paused(item)
                continue
            judged = self.judge(item.exercise_id)
            decided = self.out.get(item.exercise_id)
            if decided is not None and decided.action in (Action.STOP, Action.PAUSE):
                continue
            if item.exercise_id in week_targets:
                self.regress(
                    item, week_targets[item.exercise_id], ("P5", "C-5"), self.week_reason(item)
                )
                continue
            if self.p5(item):
                continue
            above = [p for p in judged if p.above_ceiling and p.pain < PAIN_STOP]
            if above:
                late = any(p.date != self.day - dt.timedelta(days=1) for p in above)
                worst = max(above, key=lambda p: p.pain)
                why = (
                    f"Pain during {item.name} reached {worst.pain}/10 on {day_text(worst.date)}, "
                    f"above your limit that day ({worst.ceiling}/10)"
                )
                rules = ("P4", "D-1", "C-2", *(("C-6",) if late else ()))
                if item.exercise_id in attributed:
                    rules = (*rules, "P8")
                ex.used.update(p.date for p in above)
                self.step_back(item, why, rules)
                continue
            if item.exercise_id in attributed:
                self.step_back(item, self.rise_why(), ("P4", "P8", *self.swelling_rules()))
                continue
            yesterday = next((p for p in judged if p.date == self.day - dt.timedelta(days=1)), None)
            if yesterday is not None:
                self.progress_or_hold(item, yesterday)
        self.load_change()
        for ex_id in sorted(self.out, key=lambda i: r.ex[i].item_index):
            r.apply(self.out[ex_id])
        if self.unlock_today is not None:
            r.unlock(self.unlock_today, self.day)

    def swelling_rules(self) -> tuple[str, ...]:
        return ("C-14",) if self.reading.swelling else ()

    # -- C-9: stopped items at the next check-in --

    def stopped_items(self) -> None:
        r = self.r
        for item in r.program.items:
            ex = r.ex[item.exercise_id]
            if (
                item.status != ItemStatus.STOPPED
                or ex.stopped_on is None
                or ex.stopped_on >= self.day
            ):
                continue
            if item.category == Category.AEROBIC:
                dose = item.dose.with_(minutes=AEROBIC_FLOOR)
                reason = (
                    f"No warning signs this morning, so {item.name} continues at "
                    f"{AEROBIC_FLOOR} minutes: {AEROBIC_GENTLEST.get(item.exercise_id, 'go gently')}."
                )
                self.put(
                    decision(item, Action.RESUME, ("C-9", "P12"), reason, today=self.day, to=dose)
                )
                continue
            lower = r.lower(item.exercise_id, item.dose)
            dose = lower[0] if lower else item.dose
            if lower is not None:
                r.undo_latest(item.exercise_id, dose)
            kind = "catching" if ex.stopped_by_catching_repeat else self.pause_kind(ex)
            self.put(
                decision(
                    item,
                    Action.PAUSE,
                    ("P1", "C-9", *(("C-14",) if kind == "catching" else ())),
                    f"No warning signs this morning, so {item.name} moves from stopped to paused "
                    f"one step easier ({dose_words(item, dose)}). {self.pause_ending(item, dose, kind)}",
                    today=self.day,
                    to=dose,
                )
            )
            ex.paused_on, ex.pause_kind = self.day, kind

    def pause_kind(self, ex: ExerciseState) -> str:
        """P10: a second pause within 28 days of the last resume waits for a clinician."""
        if ex.last_resume is not None and (self.day - ex.last_resume).days <= REPAUSE_DAYS:
            return "repause"
        return "auto"

    def pause_ending(self, item: ProgramItem, dose: Dose, kind: str) -> str:
        """C-17 (2): a pause says how it ends."""
        if kind == "auto":
            # P10: three good mornings on or after the pause date, after any flare hold.
            first = self.day + dt.timedelta(
                days=RESUME_MORNINGS if self.rise else RESUME_MORNINGS - 1
            )
            end = self.hold_end()
            earliest = day_text(max(first, end + dt.timedelta(days=1)) if end else first)
            return (
                f"It restarts by itself at {dose_words(item, dose)} after 3 mornings at your usual "
                f"level (earliest {earliest}). Keep doing your other exercises."
            )
        return (
            "It stays paused until your physio has reviewed it; book a review within 1–2 weeks. "
            "Keep doing your other exercises."
        )

    # -- C-14 words --

    def catching(self) -> None:
        """C-14 `catching`: P1 for the exercises of the last session."""
        if not self.reading.catching:
            return
        r = self.r
        last = max((d for d in r.done if d < self.day), default=None)
        if last is None:
            return
        for item in r.program.items:
            ex = r.ex[item.exercise_id]
            if last not in ex.perfs or item.status == ItemStatus.STOPPED:
                continue
            ex.stopped_by_catching_repeat = self.reading.catching_repeat
            reason = (
                f"Stop {item.name}: your knee caught after your last session. The warning-sign "
                "questions are asked again at your next check-in."
            )
            rules = ("P1", "C-14", *(("C-9",) if not self.reading.catching_repeat else ()))
            self.put(decision(item, Action.STOP, rules, reason, today=self.day))

    def giving_way(self) -> None:
        """P13 (v2): standing knee-loading exercises pause until a clinician review."""
        if not self.reading.giving_way:
            return
        for item in self.r.program.items:
            if item.exercise_id not in STANDING_KNEE_LOADING or item.status == ItemStatus.STOPPED:
                continue
            ex = self.r.ex[item.exercise_id]
            if item.status == ItemStatus.PAUSED:
                ex.pause_kind = "p13"
                continue
            reason = (
                f"{item.name} is paused: your knee gave way, so no exercises that stand on the "
                "leg until a physio has checked it. Book a review this week. It stays paused "
                "until your physio has reviewed it."
            )
            self.put(decision(item, Action.PAUSE, ("P13", "RF08"), reason, today=self.day))
            ex.paused_on, ex.pause_kind = self.day, "p13"

    # -- judging performances (C-6) --

    def judge(self, ex_id: str) -> list[Performance]:
        ex = self.r.ex[ex_id]
        out: list[Performance] = []
        for when in sorted(ex.perfs):
            if when >= self.day or when in ex.judged:
                continue
            missed = (when + dt.timedelta(days=1)) not in self.r.checkin_dates
            if when == self.day - dt.timedelta(days=1) or missed:
                ex.judged.add(when)
                out.append(ex.perfs[when])
        return out

    # -- P8 attribution --

    def attribution(self) -> set[str]:
        r = self.r
        window = {self.day - dt.timedelta(days=1), self.day - dt.timedelta(days=2)}
        s: dict[str, list[Performance]] = {}
        for item in r.program.items:
            if item.status != ItemStatus.ACTIVE:
                continue
            ex = r.ex[item.exercise_id]
            perfs = [p for w, p in ex.perfs.items() if w in window and w not in ex.used]
            if perfs:
                s[item.exercise_id] = perfs
        t1 = {x for x, ps in s.items() if any(p.above_ceiling for p in ps)}
        t2 = self.latest_increase(s)
        t3 = {x for x in s if r.item(x).block == Block.STRENGTH}
        if self.big:
            chosen = t1 | t2 | t3
        elif t1:
            chosen = t1
        elif t2:
            chosen = t2
        elif r.rise.get(self.day - dt.timedelta(days=1), False):
            chosen = t3
        else:
            chosen = set()
        for x in chosen:
            r.ex[x].used.update(p.date for p in s[x])
        self.attributed = chosen
        return chosen

    def latest_increase(self, s: dict[str, list[Performance]]) -> set[str]:
        best: tuple[dt.date, int, str] | None = None
        first = self.day - dt.timedelta(days=ATTRIBUTION_DAYS)
        for x, perfs in s.items():
            ex = self.r.ex[x]
            for when, dose in ex.increases:
                if not first <= when < self.day or when in ex.undone:
                    continue
                if any(p.date >= when and p.dose == dose for p in perfs):
                    key = (when, ex.item_index, x)
                    if best is None or key > best:
                        best = key
        return {best[2]} if best else set()

    def rise_why(self) -> str:
        if self.reading.swelling and not self.rise:
            return "You reported swelling this morning, and this exercise is the likeliest cause"
        return (
            f"Your knee was sorer this morning ({self.checkin.morning_pain}/10; usual "
            f"{self.base.value}/10) after this exercise"
        )

    # -- regressions --

    def step_back(self, item: ProgramItem, why: str, rules: Sequence[str]) -> None:
        lower = self.r.lower(item.exercise_id, item.dose)
        if item.category == Category.AEROBIC and lower is None:
            self.floor_hold(item, why, rules)
            return
        if lower is None:
            ex = self.r.ex[item.exercise_id]
            kind = self.pause_kind(ex)
            reason = (
                f"{why}. {item.name} is at its easiest dose, so it is paused. "
                f"{self.pause_ending(item, item.dose, kind)}"
            )
            self.put(decision(item, Action.PAUSE, (*rules, "C-8"), reason, today=self.day))
            ex.paused_on, ex.pause_kind = self.day, kind
            return
        dose, step_rules, note = lower
        self.regress(item, dose, (*rules, *step_rules), why, note)

    def regress(
        self, item: ProgramItem, dose: Dose, rules: Sequence[str], why: str, note: str = ""
    ) -> None:
        self.r.undo_latest(item.exercise_id, dose)
        end = self.resume_date()
        reason = (
            f"{why}, so {item.name} goes back one step: {dose_words(item, item.dose)} → "
            f"{dose_words(item, dose)}. {note} Nothing steps up before {end}."
        ).replace("  ", " ")
        self.put(decision(item, Action.REGRESS, rules, reason, today=self.day, to=dose))

    def floor_hold(self, item: ProgramItem, why: str, rules: Sequence[str]) -> None:
        """P12: an aerobic item at 5 minutes holds there; a second hold in 14 days is E13."""
        ex = self.r.ex[item.exercise_id]
        ex.floor_holds.append(self.day)
        recent = [d for d in ex.floor_holds if (self.day - d).days < E13_WINDOW]
        if len(recent) >= 2:
            self.r.e13_dates.append(self.day)
        gentle = AEROBIC_GENTLEST.get(item.exercise_id, "keep it short and gentle")
        reason = (
            f"{why}. {item.name} is already at {AEROBIC_FLOOR} minutes, its shortest, so it stays "
            f"there: {gentle}."
        )
        self.put(decision(item, Action.HOLD, (*rules, "P12"), reason, today=self.day))

    def week_undo(self) -> dict[str, Dose]:
        """P5 (b): after two rising weeks, every exercise with an increase in those weeks goes back
        to its dose at the start of the first of them."""
        if self.undo_weeks is None:
            return {}
        first, last = self.undo_weeks
        end = last + dt.timedelta(days=7)
        self.r.p5_dates.append(self.day)
        out: dict[str, Dose] = {}
        for item in self.r.program.items:
            ex = self.r.ex[item.exercise_id]
            if item.status != ItemStatus.ACTIVE:
                continue
            if any(first <= when < end and when not in ex.undone for when, _ in ex.increases):
                target = ex.dose_on(first - dt.timedelta(days=1), item.dose)
                if target != item.dose:
                    out[item.exercise_id] = target
                    for when, _ in ex.increases:
                        if first <= when < end:
                            ex.undone.add(when)
                    ex.raises = [x for x in ex.raises if not first <= x[0] < end]
        return out

    def week_reason(self, item: ProgramItem) -> str:
        first, last = self.undo_weeks or (self.day, self.day)
        a, _ = week_means(self.r.checkins, first)
        b, _ = week_means(self.r.checkins, last)
        return (
            f"Your morning pain or stiffness rose two weeks running (week of {day_text(first)}: "
            f"{a if a is not None else '—'}/10, then {b if b is not None else '—'}/10), so "
            f"{item.name} goes back to where it was before those weeks"
        )

    # -- P5 (a) --

    def p5(self, item: ProgramItem) -> bool:
        """P5 (v2 a): after a regression, the regressed dose provoked a rise morning twice."""
        r = self.r
        ex = r.ex[item.exercise_id]
        if (
            item.category == Category.AEROBIC
            or ex.last_regress is None
            or ex.regressed_dose is None
        ):
            return False
        since = max(ex.last_regress, ex.last_resume or ex.last_regress)
        perfs = [p for w, p in sorted(ex.perfs.items()) if since <= w < self.day]
        last_two = perfs[-2:]
        if len(last_two) < 2 or not all(at_or_below(p.dose, ex.regressed_dose) for p in last_two):
            return False
        mornings: list[dt.date] = []
        for p in last_two:
            rises = [
                p.date + dt.timedelta(days=k)
                for k in (1, 2)
                if r.rise.get(p.date + dt.timedelta(days=k), False)
                and p.date + dt.timedelta(days=k) <= self.day
                and p.date + dt.timedelta(days=k) not in mornings
            ]
            if not rises:
                return False
            mornings.append(rises[0])
        kind = self.pause_kind(ex)
        name = item.name
        reason = (
            f"{name} is paused: your knee was above its usual level the mornings after your last "
            f"two {name.lower()} sessions, even at the easier dose. "
            f"{self.pause_ending(item, item.dose, kind)}"
        )
        rules = ["P5"]
        if self.hold_end() is not None:
            rules.append("P9")
        self.put(decision(item, Action.PAUSE, rules, reason, today=self.day))
        ex.paused_on, ex.pause_kind = self.day, kind
        r.p5_dates.append(self.day)
        return True

    # -- paused items: P10 --

    def paused(self, item: ProgramItem) -> None:
        r = self.r
        ex = r.ex[item.exercise_id]
        if item.status != ItemStatus.PAUSED or ex.paused_on is None or item.exercise_id in self.out:
            return
        yesterday = self.day - dt.timedelta(days=1)
        logged = ex.perfs.get(yesterday)
        if logged is not None:
            ex.judged.add(yesterday)
        mornings = [self.day - dt.timedelta(days=k) for k in range(RESUME_MORNINGS)]
        good = all(
            m in r.checkin_dates and m >= ex.paused_on and not r.rise.get(m, True) for m in mornings
        )
        if ex.pause_kind == "auto" and good and not r.held(self.day):
            reason = (
                f"Your knee was at its usual level on 3 mornings in a row, so {item.name.lower()} "
                f"restarts at {dose_words(item, item.dose)}."
            )
            self.candidates.append(
                (1, decision(item, Action.RESUME, ("P10", "P11"), reason, today=self.day))
            )
        elif logged is not None:
            reason = (
                f"You did {item.name} while it is paused. It has been recorded; it stays paused."
            )
            self.put(
                decision(
                    item,
                    Action.PAUSE,
                    ("C-13",),
                    reason,
                    today=self.day,
                    flags=("logged_while_paused",),
                )
            )

    # -- P2 / P3 / P9 --

    def progress_or_hold(self, item: ProgramItem, latest: Performance) -> None:
        r = self.r
        ex = r.ex[item.exercise_id]
        since = ex.latest_change or r.h.start
        at_dose = [
            p
            for w, p in sorted(ex.perfs.items())
            if w < self.day and (ex.latest_change is None or w >= since) and p.dose == item.dose
        ]
        hold = self.first_unmet(item, ex, at_dose[-2:])
        if hold is not None:
            rules, why = hold
            rules = (*rules, *self.hold_rules(item, ex))
            self.put(decision(item, Action.HOLD, rules, why, today=self.day))
            return
        phases = r.phases(self.day)
        caps = {"step_cm": float(step_cap_cm(r.h.intake, phases))}
        step = step_up(
            item.exercise_id,
            item.dose,
            r.library,
            caps=caps,
            skip=skipped_rungs(item.exercise_id, phases),
        )
        if step is None:
            reason = (
                f"{item.name} is at the top of its steps for your knee: keep "
                f"{dose_words(item, item.dose)} and ask your physio about what comes next."
            )
            self.put(decision(item, Action.HOLD, ("P3", "D-4"), reason, today=self.day))
            return
        reason = (
            f"{item.name}: your last two sessions were done in full, within your pain limit, and "
            f"your knee was at its usual level this morning. Next step: "
            f"{dose_words(item, item.dose)} → {dose_words(item, step.dose)}. {step.note}"
        )
        self.candidates.append(
            (
                3,
                decision(
                    item,
                    Action.PROGRESS,
                    ("P2", "P11", *step.rules),
                    reason,
                    today=self.day,
                    to=step.dose,
                ),
            )
        )

    def first_unmet(
        self, item: ProgramItem, ex: ExerciseState, last_two: list[Performance]
    ) -> tuple[tuple[str, ...], str] | None:
        """P3 (v2): the first unmet P2 condition, in P2's order, with the rule that blocked it."""
        r = self.r
        name = item.name
        weekly = len(item.days) == 1
        gap = P2_GAP_WEEKLY if weekly else P2_GAP
        holds = self.holds(item, ex)
        if self.hold_end() is not None:
            return holds[0]  # the flare hold (P9) comes first
        if len(last_two) < 2 or (last_two[1].date - last_two[0].date).days > gap:
            return ("P3",), (
                f"Keep {dose_words(item, item.dose)}: to step up, {name.lower()} needs two "
                f"sessions at this dose within {gap} days."
            )
        if any((p.date + dt.timedelta(days=1)) not in r.checkin_dates for p in last_two):
            return ("P3", "C-6"), (
                f"Keep {dose_words(item, item.dose)}: to step up, each of the last two sessions "
                "needs a morning check-in the day after."
            )
        if not all(p.completed for p in last_two):
            return ("P3",), (
                f"Keep {dose_words(item, item.dose)}: to step up, {name.lower()} needs two "
                "sessions in a row with every set done in full."
            )
        if any(p.above_ceiling for p in last_two):
            return ("P3", "D-1"), (
                f"Keep {dose_words(item, item.dose)}: to step up, the pain during it needs to stay "
                "within your limit in two sessions in a row."
            )
        if not all(p.qualifying for p in last_two):
            if not all(p.rated for p in last_two):
                return ("P3", "C-16"), (
                    f"Keep {dose_words(item, item.dose)}. Please rate how hard {name.lower()} felt "
                    "(easy, moderate or hard) so kneehab can tell when to step up."
                )
            return ("P3", "C-16"), (
                f"Keep {dose_words(item, item.dose)}: it still felt hard. It steps up after two "
                "sessions in a row that feel easy or moderate."
            )
        if holds:
            return holds[0]
        if ex.latest_change is not None and (self.day - ex.latest_change).days < CADENCE_DAYS:
            nxt = ex.latest_change + dt.timedelta(days=CADENCE_DAYS)
            return ("P3", "C-7"), (
                f"Keep {dose_words(item, item.dose)}: it changed on {day_text(ex.latest_change)}, "
                f"and one step a week is the most, so the next step can come from {day_text(nxt)}."
            )
        return None

    def holds(self, item: ProgramItem, ex: ExerciseState) -> list[tuple[tuple[str, ...], str]]:
        """Every progression hold in force today (§0.1), in P2's order, each with its rule ids and
        the words of a hold it causes."""
        r = self.r
        keep = f"Keep {dose_words(item, item.dose)}"
        found: list[tuple[tuple[str, ...], str]] = []
        if self.hold_end() is not None:
            found.append((("P9",), self.flare_words(item)))
        if r.rising_week_hold(self.day):
            found.append(
                (
                    ("P3", "C-5"),
                    f"{keep}: your mornings rose last week, so nothing steps up until a week is "
                    "not rising.",
                )
            )
        if r.triage_hold or r.rescreen_hold:
            found.append(
                (
                    ("P3", "D-2"),
                    f"{keep}: nothing steps up until a clinician has reviewed your program.",
                )
            )
        if r.rf08_hold:
            found.append(
                (
                    ("RF08", "P13"),
                    f"{keep}: your knee gave way, so nothing steps up until a physio has "
                    "reviewed it.",
                )
            )
        if r.swelling_hold:
            found.append(
                (
                    ("P3", "C-14"),
                    f"{keep}: your knee swelled twice within a week, so nothing steps up until "
                    "a physio has reviewed it.",
                )
            )
        if ex.progression_paused:
            found.append((("P3", "D-7"), f"{keep}: your physio is setting this dose."))
        return found

    def hold_rules(self, item: ProgramItem, ex: ExerciseState) -> tuple[str, ...]:
        """The ids of every hold in force today, so a hold lists all that apply."""
        return tuple(x for rules, _ in self.holds(item, ex) for x in rules if x != "P3")

    def flare_words(self, item: ProgramItem) -> str:
        """C-17 (7), (8): the exercise, the numbers, and when anything can step up again."""
        end = self.resume_date()
        keep = f"{item.name} stays at {dose_words(item, item.dose)}"
        sorer = (
            f"Your knee was sorer this morning ({self.checkin.morning_pain}/10; usual "
            f"{self.base.value}/10)"
        )
        if self.rise and not getattr(self, "attributed", set()):
            return (
                f"{sorer}. Nothing in your last session stands out, so doses stay the same and "
                f"nothing steps up until {end}. If something else (a long walk, gardening, stairs) "
                "brought it on, ease off that."
            )
        if self.rise:
            return f"{sorer}, so {keep} and nothing steps up until {end}."
        if self.reading.flare:
            return f"Because of what you reported this morning, {keep} and nothing steps up until {end}."
        return f"Your knee had a flare in the last few days, so {keep} and nothing steps up until {end}."

    # -- P11 --

    def load_change(self) -> None:
        """P11 (v2): one load change per check-in — P10 resumes first, then accepted D-12 unlocks,
        then P2 progressions; within a class, the oldest latest change, then session order."""
        r = self.r
        unlocks = r.review_options(self.day) if not r.locked else []
        if not self.candidates and not unlocks:
            return

        def order(c: tuple[int, Decision]) -> tuple[int, dt.date, int]:
            ex = r.ex[c[1].exercise_id]
            return (c[0], ex.latest_change or r.h.start, ex.item_index)

        ranked = sorted(self.candidates, key=order)
        resumes = [c for c in ranked if c[0] == 1]
        if unlocks and not resumes:
            winner_name = r.library.get(unlocks[0]).name
            self.unlock_today = unlocks[0]
            losers = ranked
        else:
            winner = ranked[0][1]
            self.put(winner)
            winner_name = r.item(winner.exercise_id).name
            losers = ranked[1:]
        for _, other in losers:
            item = r.item(other.exercise_id)
            reason = (
                f"Ready to step up, but only one change a day: today it is "
                f"{winner_name.lower()}. {item.name} keeps {dose_words(item, item.dose)} and can "
                "step up at your next check-in."
            )
            self.put(decision(item, Action.HOLD, ("P11",), reason, today=self.day))


def at_or_below(dose: Dose, ref: Dose) -> bool:
    for key in ("sets", "reps", "hold_s", "load_kg", "step_cm", "minutes"):
        a, b = dose.get(key), ref.get(key)
        if isinstance(a, int | float) and isinstance(b, int | float) and a > b:
            return False
    return True
