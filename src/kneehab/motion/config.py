"""The `[detector]` table of an exercise file: which signal to watch and how to turn it into events.

Every threshold lives in the exercise file; this module only says what may be written there. The domain
keeps the table as a plain dict; `detector_config(exercise)` validates it once, at the boundary.

Angle thresholds are in degrees of the named signal (see kneehab.motion.signals). For reps, `enter` is
where a rep starts and `exit` where it ends: `enter > exit` watches a rise (a squat's knee flexion),
`enter < exit` a fall (a bridge's hip flexion). The gap between them is the hysteresis that keeps jitter
at a threshold from counting. With `reference = "rest"` thresholds are offsets from the person's own rest
position, calibrated from the last few seconds between reps.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kneehab.domain.validation import describe_errors
from kneehab.errors import InvalidInput
from kneehab.motion.signals import BASE_NAMES

View = Literal["front", "side"]
Sex = Literal["female", "male", "unspecified"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _signal_name(v: str) -> str:
    if v not in BASE_NAMES:
        raise ValueError(f"unknown signal '{v}'; known: {', '.join(BASE_NAMES)}")
    return v


class Smoothing(_Model):
    median_s: float = Field(
        0.12, ge=0, le=1
    )  # short median first: kills one-frame spikes and swaps
    min_cutoff_hz: float = Field(1.5, gt=0, le=30)  # one-euro filter: low = smoother when still
    beta: float = Field(0.05, ge=0, le=10)  # one-euro filter: high = less lag when moving fast
    max_gap_s: float = Field(0.4, ge=0, le=5)  # hold the last value through dropouts this short


class Reps(_Model):
    enter: float
    exit: float
    reference: Literal["absolute", "rest"] = "absolute"
    # "leg": enter/exit are in leg lengths (thigh + shank), for signals measured in pixels.
    scale: Literal["none", "leg"] = "none"
    rest_window_s: float = Field(6.0, gt=0, le=120)
    min_duration_s: float = Field(0.5, ge=0, le=30)
    refractory_s: float = Field(0.3, ge=0, le=30)

    @model_validator(mode="after")
    def _hysteresis(self) -> Reps:
        if self.enter == self.exit:
            raise ValueError("enter and exit must differ (their gap is the hysteresis)")
        return self

    @property
    def rising(self) -> bool:
        return self.enter > self.exit


class Hold(_Model):
    band: tuple[float, float]  # the signal range in which the position counts as held
    min_s: float = Field(1.0, ge=0, le=600)  # held this long before a hold is reported
    max_gap_s: float = Field(
        0.5, ge=0, le=10
    )  # leaving the band this briefly does not end the hold
    tick_s: float = Field(1.0, gt=0, le=60)

    @field_validator("band")
    @classmethod
    def _ordered(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] >= v[1]:
            raise ValueError("band must be [low, high] with low < high")
        return v


class FormRule(_Model):
    """A form cue checked at the end of each rep (or while holding), RULES §7.3."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    signal: str
    side: Literal["rep", "both", "none"] = (
        "rep"  # the rep's working side, the worse side, a global signal
    )
    at: Literal["peak", "hold"] = "peak"
    at_peak_of: str | None = (
        None  # measured where this signal peaks in the rep (default: the rep signal)
    )
    above: float | None = None
    below: float | None = None
    # Sex-specific norms for the same bound (RULES §7.3: FPPA women ≤12°, men ≤9°). `above`/`below`
    # is what applies when the sex is unspecified; the files set it to the more permissive norm.
    by_sex: dict[Literal["female", "male"], float] = Field(default_factory=dict)
    views: tuple[View, ...] = (
        "front",
        "side",
    )  # only judged when the camera sees the body this way
    message: str
    rules: tuple[str, ...] = ()

    _sig = field_validator("signal")(classmethod(lambda cls, v: _signal_name(v)))

    @field_validator("at_peak_of")
    @classmethod
    def _peak_name(cls, v: str | None) -> str | None:
        return None if v is None else _signal_name(v)

    @model_validator(mode="after")
    def _bound(self) -> FormRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of 'above' or 'below'")
        return self

    def for_sex(self, sex: Sex) -> FormRule:
        """This rule with its bound for `sex` (unchanged when unspecified or no norm is given)."""
        bound = self.by_sex.get(sex) if sex != "unspecified" else None
        if bound is None:
            return self
        key = "above" if self.above is not None else "below"
        return self.model_copy(update={key: bound})


class Quality(_Model):
    min_visibility: float = Field(0.3, ge=0, le=1)
    margin: float = Field(
        0.05, ge=0, le=0.5
    )  # how far outside the picture a point may be estimated
    idle_after_s: float = Field(
        12.0, gt=0, le=600
    )  # no movement this long → "are you the one I see?"


class DetectorConfig(_Model):
    version: Literal[1] = 1
    views: tuple[View, ...] = Field(min_length=1)  # camera views this exercise can be judged from
    signal: str
    # auto: one counter on the side that moves most (each rep gets that side); each: one counter per
    # side (legs worked one at a time); left/right: that side only; mean: both sides averaged.
    side: Literal["auto", "each", "left", "right", "mean"] = "auto"
    side_signal: str | None = None  # chooses each rep's side when the rep signal has no side
    report_side: Literal["working", "other"] = "working"  # "other": the stretched, straight leg
    reps: Reps | None = None
    hold: Hold | None = None
    form: tuple[FormRule, ...] = ()
    metrics: tuple[str, ...] = ()  # extra signals reported per rep, at the rep's peak knee flexion
    smoothing: Smoothing = Smoothing()
    quality: Quality = Quality()
    cue_cooldown_s: float = Field(4.0, ge=0, le=120)  # one cue at a time, at most one per cooldown

    _sig = field_validator("signal")(classmethod(lambda cls, v: _signal_name(v)))

    @field_validator("side_signal")
    @classmethod
    def _side_sig(cls, v: str | None) -> str | None:
        return None if v is None else _signal_name(v)

    @field_validator("metrics")
    @classmethod
    def _metric_names(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_signal_name(m) for m in v)

    def for_sex(self, sex: Sex) -> DetectorConfig:
        """The settings for a person of this sex: sex-specific form norms resolved once, up front."""
        if sex == "unspecified" or not any(r.by_sex for r in self.form):
            return self
        return self.model_copy(update={"form": tuple(r.for_sex(sex) for r in self.form)})

    @model_validator(mode="after")
    def _something_to_detect(self) -> DetectorConfig:
        if self.reps is None and self.hold is None:
            raise ValueError("a detector needs 'reps', 'hold' or both")
        return self


def parse_detector(data: dict[str, Any], *, where: str = "detector") -> DetectorConfig:
    """Validate a `[detector]` table; problems raise InvalidInput naming each field."""
    try:
        return DetectorConfig.model_validate(data)
    except ValidationError as err:
        problems = [f"{where}.{line}" for line in describe_errors(err.errors())]
        raise InvalidInput(problems[0], problems=problems) from None
