"""What a person did and felt: session entries, morning check-ins and outcome measures (RULES §2.2, §6).

The same models validate a history file (`kneehab progress --history`), the CLI's `log`/`checkin`, the web
player and the REST API. Dates "in the future" are checked where `today` is known (C-13), not here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field, model_validator

from kneehab.domain.intake import Intake, RedFlagIds
from kneehab.domain.program import ProgramItem
from kneehab.domain.types import Frozen, PainScore

Effort = Literal["easy", "moderate", "hard"]
SideDone = Literal["left", "right", "both"]

# RULES C-14: the words a person may report (screening.symptom_flags maps each to its rule).
Symptom = Literal[
    "swelling",
    "locking",
    "giving_way",
    "catching",
    "calf_pain",
    "calf_swelling",
    "fever",
    "numbness",
    "cold_foot",
    "new_injury",  # v2 (C-14): a new knee injury since the last check-in
]
SYMPTOMS: tuple[str, ...] = get_args(Symptom)

# Why the camera coach could not trust a count (motion/quality.py's codes, kept apart from it: domain/ is pure).
CameraProblem = Literal[
    "no_person", "out_of_frame", "low_confidence", "wrong_view", "multiple_people", "no_movement"
]


class CameraSet(Frozen):
    """What the camera coach counted in one set (issue 13), saved with the entry when the person
    confirms. The entry's own `reps`/`hold_s` are what the person confirmed (they may correct a count);
    these are the camera's numbers, so a clinician sees both."""

    set: int = Field(ge=1, le=10)
    reps: int = Field(ge=0, le=100)
    hold_s: float | None = Field(default=None, ge=0, le=600)  # time actually held (RULES §7.3 band)
    knee_inward: tuple[int, ...] = Field(default=(), max_length=100)  # rep numbers flagged (§7.3)
    reliable: bool
    problems: tuple[CameraProblem, ...] = Field(default=(), max_length=6)


class SessionEntry(Frozen):
    """One exercise in one session."""

    exercise_id: str
    sets_done: int = Field(ge=0, le=10)
    reps: tuple[int, ...] | None = None  # per set
    hold_s: tuple[int, ...] | None = None  # per set
    side: SideDone | None = None
    load_kg: float | None = Field(default=None, ge=0, le=20)
    step_cm: int | None = Field(default=None, ge=0, le=60)
    minutes: int | None = Field(default=None, ge=0, le=300)
    pain_during_max: PainScore
    effort: Effort | None = None
    rir: int | None = Field(default=None, ge=0, le=10)
    sharp_pain: bool = False  # sharp or catching pain during the exercise (P1)
    skipped: bool = False
    skip_reason: str = Field(default="", max_length=500)
    camera: tuple[CameraSet, ...] | None = Field(default=None, max_length=10)  # the camera's counts

    @model_validator(mode="after")
    def _consistent(self) -> SessionEntry:
        for name in ("reps", "hold_s"):
            values = getattr(self, name)
            if values is None:
                continue
            if any(v < 0 for v in values):
                raise ValueError(f"{name}: values cannot be negative")
            if any(v > (100 if name == "reps" else 600) for v in values):
                raise ValueError(f"{name}: a value is impossibly large")
            if len(values) != self.sets_done:
                raise ValueError(
                    f"{name}: has {len(values)} values but sets_done is {self.sets_done}"
                )
        return self

    @property
    def easy(self) -> bool:
        """RULES P2: completed with reps in reserve ≥ 2, or rated 'easy'."""
        return (self.rir is not None and self.rir >= 2) or self.effort == "easy"


def done_as_prescribed(
    item: ProgramItem, *, pain: int, effort: Effort = "easy", rir: int | None = None
) -> SessionEntry:
    """The item's dose done in full (every set, rep and hold as prescribed): how demo people,
    synthetic courses and tests log a steady session."""
    d, sets = item.dose, item.dose.sets or 1
    return SessionEntry(
        exercise_id=item.exercise_id,
        sets_done=sets,
        reps=(d.reps,) * sets if d.reps else None,
        hold_s=(d.hold_s,) * sets if d.hold_s else None,
        load_kg=d.load_kg,
        step_cm=d.step_cm,
        minutes=d.minutes,
        side="both" if item.per_side else None,
        pain_during_max=pain,
        effort=effort,
        rir=rir,
    )


class Session(Frozen):
    date: date
    entries: tuple[SessionEntry, ...] = ()

    @model_validator(mode="after")
    def _one_entry_per_side(self) -> Session:
        seen: set[tuple[str, str | None]] = set()
        for e in self.entries:
            key = (e.exercise_id, e.side)
            if key in seen:
                raise ValueError(
                    f"entries: {e.exercise_id} ({e.side or 'no side'}) is logged twice"
                )
            seen.add(key)
        return self


class CheckIn(Frozen):
    """The next-morning check-in (RULES §2.2)."""

    date: date
    morning_pain: PainScore
    morning_stiffness: PainScore | None = None
    avg_pain: PainScore | None = None  # "average knee pain today" (NPRS, §5.2)
    new_symptoms: tuple[Symptom, ...] = ()
    chest_symptoms: bool = False  # with calf symptoms → emergency (RF05)


class Rescreen(Frozen):
    """The red-flag questions asked again during the course (RULES §1.1): the short set before a
    session, or the full set after "Stop — it hurts" or P1. Dated: it acts from `date` on, and the
    intake keeps the answers it was given (RULES D-2, C-10)."""

    date: date
    red_flags: RedFlagIds = ()  # RF ids answered yes (symptom words already turned into ids)
    cold_foot: bool = False  # RF10 detail: a cold, pale or blue foot → emergency (C-3)
    chest_symptoms: bool = False  # RF05 detail: with chest pain or breathlessness → emergency
    new_injury: bool = False  # "any new injury?" (short set); kept, no tier of its own
    # The full set (§1.1) rather than the short set before a session or the symptom words of a stop or
    # a check-in: only a full set restarts the weekly clock. A history file's re-screen is a full set
    # unless it says otherwise.
    full_set: bool = True


class SwapChoice(Frozen):
    """RULES D-10 (v2): the person chose a swap: `in` enters at its start dose, `out` goes to the swaps."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    date: date
    swap_in: str = Field(alias="in")
    swap_out: str = Field(alias="out")


class OfferAnswer(Frozen):
    """RULES D-12 (v2): the answer to "Ready to try: X"."""

    date: date
    exercise_id: str
    answer: Literal["accept", "not_now"]


ClinicianActionKind = Literal[
    "review",
    "assessment",
    "acknowledge",
    "set_ceiling",
    "set_tolerance",
    "set_session_cap",
    "set_dose",
    "resume",
    "pause",
    "pause_progression",
    "resume_progression",
    "add",
    "remove",
    "set_condition",
    "set_phase",
    "note",
]


class ClinicianAction(Frozen):
    """RULES D-7/D-8 (v2): one dated clinician action with its required reason."""

    date: date
    action: ClinicianActionKind
    exercise_id: str | None = None
    value: int | str | dict[str, Any] | None = None
    reason: str = Field(min_length=1, max_length=1000)
    # The clinician's name as the person reads it ("Ben (physio)"); "" for actions kept before names.
    by: str = Field(default="", max_length=200)
    # D-7: adding an exercise whose §4.3 cell is `avoid` needs this explicit reason (shown as such).
    override: str | None = Field(default=None, min_length=1, max_length=1000)


OutcomeMeasure = Literal["nprs", "psfs", "chair_stand_30s", "walk_40m"]


class PsfsActivity(Frozen):
    activity: str = Field(min_length=1, max_length=120)
    score: int = Field(ge=0, le=10)


class OutcomeRecord(Frozen):
    """One outcome measurement (RULES D-3, §6). Licensed packs use measure 'pack:<id>' with item responses."""

    date: date
    measure: str = Field(pattern=r"^(nprs|psfs|chair_stand_30s|walk_40m|pack:[a-z0-9_-]+)$")
    value: float | None = None  # nprs 0–10; chair stand count; 40 m walk seconds
    activities: tuple[PsfsActivity, ...] = ()  # PSFS
    responses: dict[str, int] = Field(default_factory=dict)  # licensed pack item id → response

    @model_validator(mode="after")
    def _shape(self) -> OutcomeRecord:
        if self.measure == "psfs":
            if not 1 <= len(self.activities) <= 5:
                raise ValueError("psfs: name 1 to 5 activities")
        elif self.measure.startswith("pack:"):
            if not self.responses:
                raise ValueError("responses: a licensed pack needs item responses")
        elif self.value is None:
            raise ValueError(f"value: required for {self.measure}")
        elif self.measure == "nprs" and not (
            0 <= self.value <= 10 and self.value == int(self.value)
        ):
            raise ValueError("value: NPRS is a whole number from 0 to 10")
        elif self.measure == "chair_stand_30s" and not (0 <= self.value <= 60):
            raise ValueError("value: chair stands in 30 s must be 0–60")
        elif self.measure == "walk_40m" and not (5 <= self.value <= 600):
            raise ValueError("value: 40 m walk time must be 5–600 seconds")
        return self


class History(Frozen):
    """A whole course of care as data: the input of `kneehab progress --history` (issue 3 contract)."""

    intake: Intake
    start: date
    today: date
    pain_ceiling: int | None = Field(default=None, ge=2, le=5)
    # RULES C-5 (v2): tolerance 1 by default; a clinician may set 0.
    morning_tolerance: int = Field(default=1, ge=0, le=1)
    sessions: tuple[Session, ...] = ()
    checkins: tuple[CheckIn, ...] = ()
    outcomes: tuple[OutcomeRecord, ...] = ()
    rescreens: tuple[Rescreen, ...] = ()  # red flags asked again mid-course, each from its date on
    reviewed: bool = False
    # v2 dated events (EXAMPLES contract): the person's swaps, offer answers, clinician actions.
    swaps: tuple[SwapChoice, ...] = ()
    offers: tuple[OfferAnswer, ...] = ()
    clinician: tuple[ClinicianAction, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _screened(cls, data: Any) -> Any:
        """C-14: a history file's intake must say which warning signs were answered yes — an
        empty list means every question was asked and answered no; a missing one is invalid."""
        if isinstance(data, dict):
            intake = data.get("intake")
            if isinstance(intake, dict) and "red_flags" not in intake:
                raise ValueError(
                    "intake.red_flags: is required — list the warning signs answered yes "
                    "(RF01…RF16), or [] when every question was asked and answered no"
                )
        return data

    @model_validator(mode="after")
    def _dates(self) -> History:
        if self.today < self.start:
            raise ValueError(f"today: {self.today} is before start {self.start}")
        for s in self.sessions:
            if s.date > self.today:
                raise ValueError(
                    f"sessions: {s.date} is after today ({self.today}); a history cannot hold a future date"
                )
            if s.date < self.start:
                raise ValueError(f"sessions: {s.date} is before the program start ({self.start})")
        for c in self.checkins:
            if c.date > self.today:
                raise ValueError(
                    f"checkins: {c.date} is after today ({self.today}); a history cannot hold a future date"
                )
        for r in self.rescreens:
            if r.date > self.today:
                raise ValueError(
                    f"rescreens: {r.date} is after today ({self.today}); a history cannot hold a future date"
                )
        dates = [s.date for s in self.sessions]
        if len(dates) != len(set(dates)):
            raise ValueError(
                "sessions: two sessions share a date; put all of a day's entries in one"
            )
        cdates = [c.date for c in self.checkins]
        if len(cdates) != len(set(cdates)):
            raise ValueError("checkins: two check-ins share a date")
        return self
