"""A person's course as an HL7 FHIR R4 Bundle (issue 14 §3): what `Patient/{id}/$everything` returns.

Patient; the stated condition as a Condition whose verification status is *unconfirmed* and which says
who reported it (RULES D-6: never a diagnosis); a CarePlan whose activities reference one ServiceRequest
per exercise (SNOMED CT 229065009 "Exercise therapy", the exercise named, the dose as timing and text);
Observations for daily knee pain (0–10 NRS, LOINC), PSFS, 30-second chair stand and walk speed (UCUM
units), and each session day following the HL7 Physical Activity IG where it fits (exercise duration in
minutes, category `activity` + PhysicalActivity). Every code used is in CODES below; where no standard
code exists the code is kneehab's own (KNEEHAB_SYSTEM) and says so.

Deterministic: resource ids are built from the person and the record (no random ids), each entry's fullUrl
is `urn:uuid:` of a UUID5 of its type and id, and references point at those fullUrls; Bundle.timestamp is
`ctx.now`, the stated creation timestamp.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from kneehab.domain.program import WEEKDAYS, ItemStatus, ProgramItem
from kneehab.domain.records import OutcomeRecord
from kneehab.exports.context import CourseSubject, DatedEntry, ExportContext

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PA_TEMPORARY = "http://hl7.org/fhir/us/physical-activity/CodeSystem/pa-temporary-codes"
# kneehab's own code system, used only where no standard code exists (docs/interop.md lists them).
KNEEHAB_SYSTEM = "urn:kneehab:fhir:CodeSystem:kneehab"
# Fixed: the namespace of the entries' urn:uuid fullUrls (changing it changes every fullUrl).
FULL_URL_NAMESPACE = uuid.UUID("0b5d7f3e-6a2c-5c8e-9f41-6b1d2e7a9c30")


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}

    def concept(self, text: str | None = None) -> dict[str, Any]:
        return {"coding": [self.coding()], "text": text or self.display}


# The one table of every code the bundle uses (a test checks system, code and display).
CODES: dict[str, Code] = {
    "exercise_therapy": Code(SNOMED, "229065009", "Exercise therapy"),
    "knee_pain": Code(SNOMED, "30989003", "Knee pain"),
    "pain_nrs": Code(
        LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
    ),
    "exercise_duration": Code(LOINC, "55411-3", "Exercise duration"),
    "survey": Code(OBS_CATEGORY, "survey", "Survey"),
    "exam": Code(OBS_CATEGORY, "exam", "Exam"),
    "activity": Code(OBS_CATEGORY, "activity", "Activity"),
    "physical_activity": Code(PA_TEMPORARY, "PhysicalActivity", "Physical Activity"),
    "problem_list_item": Code(CONDITION_CATEGORY, "problem-list-item", "Problem List Item"),
    "active": Code(CONDITION_CLINICAL, "active", "Active"),
    "unconfirmed": Code(CONDITION_VERIFICATION, "unconfirmed", "Unconfirmed"),
    # No standard code (LOINC has none for these as used here): kneehab's own, said so in docs/interop.md.
    "psfs": Code(
        KNEEHAB_SYSTEM, "psfs", "Patient-Specific Functional Scale, mean of activity scores (0-10)"
    ),
    "psfs_activity": Code(
        KNEEHAB_SYSTEM, "psfs-activity", "Patient-Specific Functional Scale activity score (0-10)"
    ),
    "chair_stand_30s": Code(
        KNEEHAB_SYSTEM, "chair-stand-30s", "30-second chair stand test, number of stands"
    ),
    "walk_speed_40m": Code(
        KNEEHAB_SYSTEM, "walk-speed-40m", "Walk speed over 40 m (fast-paced walk test)"
    ),
    "walk_time_40m": Code(KNEEHAB_SYSTEM, "walk-time-40m", "Time to walk 40 m"),
    "session": Code(
        KNEEHAB_SYSTEM, "home-exercise-session", "Home exercise session, exercises done"
    ),
    "sets_done": Code(KNEEHAB_SYSTEM, "exercise-sets-done", "Sets done of one exercise"),
    # The stated cause (RULES D-6: as the patient or their clinician stated it, never a diagnosis),
    # one code per condition the intake offers (a test holds this to domain.types.Condition).
    **{
        f"stated_condition_{key}": Code(KNEEHAB_SYSTEM, f"stated-condition-{key}", words)
        for key, words in (
            ("pes_anserine_bursitis", "Pes anserine bursitis"),
            ("medial_knee_oa", "Osteoarthritis of the inner (medial) knee"),
            ("patellofemoral_pain", "Pain around the kneecap (patellofemoral pain)"),
            ("mcl_sprain", "Sprain of the inner knee ligament (MCL)"),
            ("medial_meniscus", "Inner (medial) meniscus problem"),
            ("unknown", "Cause not known"),
        )
    },
}
UNITS: dict[str, tuple[str, str]] = {  # unit shown → UCUM code
    "score": ("{score}", "{score}"),
    "stands": ("stands", "{stands}"),
    "m/s": ("m/s", "m/s"),
    "s": ("s", "s"),
    "min": ("min", "min"),
    "exercises": ("exercises", "{exercises}"),
}
# The HL7 Physical Activity IG profile a resource is declared to conform to (docs/interop.md says which
# resources claim it and why the others do not).
PA_ACTIVITY_MEASURE = (
    "http://hl7.org/fhir/us/physical-activity/StructureDefinition/pa-observation-activity-measure"
)


def stated_condition(condition: str) -> Code:
    """The code of a stated condition, from CODES (every condition the intake offers has one)."""
    return CODES[f"stated_condition_{condition}"]


def full_url(resource_type: str, ident: str) -> str:
    """A Bundle entry's fullUrl: `urn:uuid:` of a UUID5 of the resource's type and id, so it is
    the same in every export and points at no route (kneehab serves $everything, not each resource)."""
    return f"urn:uuid:{uuid.uuid5(FULL_URL_NAMESPACE, f'{resource_type}/{ident}')}"


def _qty(value: float, unit: str) -> dict[str, Any]:
    shown, code = UNITS[unit]
    number: float | int = int(value) if float(value).is_integer() else round(value, 2)
    return {"value": number, "unit": shown, "system": UCUM, "code": code}


def _ref(kind: str, ident: str) -> dict[str, str]:
    """A reference to another entry of the Bundle, by its urn:uuid fullUrl (FHIR R4 Bundle §3.1.2.3:
    resolved inside the Bundle), with the resource type said."""
    return {"reference": full_url(kind, ident), "type": kind}


class Builder:
    def __init__(self, subject: CourseSubject, ctx: ExportContext) -> None:
        self.s, self.ctx = subject, ctx
        self.pid = f"kneehab-{subject.person_id}"
        self.resources: list[dict[str, Any]] = []

    def add(self, resource: dict[str, Any]) -> None:
        self.resources.append(resource)

    @property
    def patient(self) -> dict[str, str]:
        return _ref("Patient", self.pid)

    # --- resources ------------------------------------------------------------------------

    def patient_resource(self) -> None:
        s = self.s
        gender = {"female": "female", "male": "male"}.get(s.intake.sex.value, "unknown")
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "id": self.pid,
            "identifier": [{"system": self.ctx.url("/fhir/sid/person"), "value": str(s.person_id)}],
            "active": True,
            "gender": gender,
        }
        if s.name and s.name != s.email:
            resource["name"] = [{"text": s.name}]
        if s.email:
            resource["telecom"] = [{"system": "email", "value": s.email}]
        self.add(resource)

    def condition(self) -> None:
        s = self.s
        by = "the patient" if s.condition_by == "patient" else "their clinician"
        stated = stated_condition(s.condition)
        words = stated.display
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "id": f"{self.pid}-condition",
            "clinicalStatus": CODES["active"].concept(),
            "verificationStatus": CODES["unconfirmed"].concept(
                f"Reported by {by}; not a diagnosis (kneehab never diagnoses)"
            ),
            "category": [CODES["problem_list_item"].concept()],
            "code": {
                "coding": [CODES["knee_pain"].coding(), stated.coding()],
                "text": f"Inner (medial) knee pain, {s.intake.knee.value} knee; stated cause: {words}",
            },
            "subject": self.patient,
            "recordedDate": s.intake_at.date().isoformat(),
            "note": [{"text": f"Stated by {by} at enrolment or later; not a diagnosis."}],
        }
        if s.condition_by == "patient":
            resource["asserter"] = self.patient
        self.add(resource)

    def service_request(self, item: ProgramItem) -> str:
        ident = f"{self.pid}-exercise-{item.exercise_id}"
        steps = " ".join(f"{n}. {t}" for n, t in enumerate(item.steps, 1))
        self.add(
            {
                "resourceType": "ServiceRequest",
                "id": ident,
                "status": "active"
                if item.status == ItemStatus.ACTIVE and not self.s.on_hold
                else "on-hold",
                "intent": "plan",
                "code": CODES["exercise_therapy"].concept(f"Exercise therapy: {item.name}"),
                "orderDetail": [{"text": f"{item.name}: {item.dose_text}"}],
                "subject": self.patient,
                "occurrenceTiming": {
                    "repeat": {
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "d",
                        "dayOfWeek": [d for d in WEEKDAYS if d in item.days],
                    },
                    "code": {"text": item.dose_text},
                },
                "reasonReference": [_ref("Condition", f"{self.pid}-condition")],
                "patientInstruction": " ".join(p for p in (item.start_position, steps) if p),
                "note": [{"text": f"Dose: {item.dose_text}. Rest {item.rest_s} s between sets."}],
            }
        )
        return ident

    def care_plan(self) -> None:
        s = self.s
        program = s.program
        requests = [self.service_request(i) for i in program.items] if program else []
        note = (
            f"Pain limit: keep knee pain during exercise at {program.pain_ceiling} out of 10 or less."
            if program
            else s.triage.message
        )
        self.add(
            {
                "resourceType": "CarePlan",
                "id": f"{self.pid}-careplan",
                "status": "on-hold" if s.on_hold else "active",
                "intent": "plan",
                "category": [CODES["exercise_therapy"].concept("Home exercise program")],
                "title": "Home exercise program for inner knee pain",
                "description": f"Program version {s.version}, in effect from {s.version_date.isoformat()}.",
                "subject": self.patient,
                "period": {"start": s.start.isoformat()},
                "created": s.intake_at.date().isoformat(),
                "addresses": [_ref("Condition", f"{self.pid}-condition")],
                "activity": [{"reference": _ref("ServiceRequest", r)} for r in requests],
                "note": [{"text": note}],
            }
        )

    def observation(
        self, ident: str, code: Code, day: date, *, value: dict[str, Any] | None = None,
        category: tuple[str, ...] = ("survey",), text: str | None = None,
        components: list[dict[str, Any]] | None = None, profile: str | None = None,
    ) -> None:  # fmt: skip
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"{self.pid}-{ident}",
            **({"meta": {"profile": [profile]}} if profile else {}),
            "status": "final",
            "category": [CODES[c].concept() for c in category],
            "code": code.concept(text),
            "subject": self.patient,
            "effectiveDateTime": day.isoformat(),
            "performer": [self.patient],
        }
        if value is not None:
            resource["valueQuantity"] = value
        if components:
            resource["component"] = components
        self.add(resource)

    def checkins(self) -> None:
        for c in self.s.checkins:
            day = c.date.isoformat()
            self.observation(
                f"pain-morning-{day}", CODES["pain_nrs"], c.date, value=_qty(c.morning_pain, "score"),
                text="Knee pain this morning (0-10)",
            )  # fmt: skip
            if c.avg_pain is not None:
                self.observation(
                    f"pain-average-{day}", CODES["pain_nrs"], c.date, value=_qty(c.avg_pain, "score"),
                    text="Average knee pain over the last day (0-10)",
                )  # fmt: skip

    def outcome(self, n: int, o: OutcomeRecord) -> None:
        ident = f"outcome-{o.date.isoformat()}-{o.measure.replace('_', '-')}-{n}"
        if o.measure == "nprs" and o.value is not None:
            self.observation(
                ident,
                CODES["pain_nrs"],
                o.date,
                value=_qty(o.value, "score"),
                text="Knee pain (0-10)",
            )
        elif o.measure == "psfs" and o.activities:
            mean = sum(a.score for a in o.activities) / len(o.activities)
            parts = [
                {
                    "code": CODES["psfs_activity"].concept(a.activity),
                    "valueQuantity": _qty(a.score, "score"),
                }
                for a in o.activities
            ]
            self.observation(
                ident, CODES["psfs"], o.date, value=_qty(mean, "score"), components=parts
            )
        elif o.measure == "chair_stand_30s" and o.value is not None:
            self.observation(
                ident,
                CODES["chair_stand_30s"],
                o.date,
                value=_qty(o.value, "stands"),
                category=("exam",),
            )
        elif o.measure == "walk_40m" and o.value is not None:
            time = [{"code": CODES["walk_time_40m"].concept(), "valueQuantity": _qty(o.value, "s")}]
            self.observation(
                ident, CODES["walk_speed_40m"], o.date, value=_qty(40 / o.value, "m/s"),
                category=("exam",), components=time,
            )  # fmt: skip

    def sessions(self) -> None:
        """Per session day: the exercises done (kneehab's code), and for aerobic minutes the PA IG's
        exercise duration (LOINC 55411-3, minutes, category activity + PhysicalActivity)."""
        names = {i.exercise_id: i.name for i in self.s.program.items} if self.s.program else {}
        days: dict[date, list[DatedEntry]] = {}
        for e in self.s.entries:
            days.setdefault(e.day, []).append(e)
        for day, entries in sorted(days.items()):
            done = [e.entry for e in entries if not e.entry.skipped]
            parts = [
                {
                    "code": CODES["sets_done"].concept(names.get(e.exercise_id, e.exercise_id)),
                    "valueInteger": e.sets_done,
                }
                for e in done
            ]
            self.observation(
                f"session-{day.isoformat()}", CODES["session"], day, value=_qty(len(done), "exercises"),
                category=("activity", "physical_activity"), components=parts or None,
            )  # fmt: skip
            minutes = sum(e.minutes or 0 for e in done)
            if minutes:
                self.observation(
                    f"exercise-duration-{day.isoformat()}", CODES["exercise_duration"], day,
                    value=_qty(minutes, "min"), category=("activity", "physical_activity"),
                    profile=PA_ACTIVITY_MEASURE,
                )  # fmt: skip


def bundle(subject: CourseSubject, *, ctx: ExportContext) -> dict[str, Any]:
    b = Builder(subject, ctx)
    b.patient_resource()
    b.condition()
    b.care_plan()
    b.checkins()
    for n, o in enumerate(subject.outcomes):
        b.outcome(n, o)
    b.sessions()
    return {
        "resourceType": "Bundle",
        "id": f"{b.pid}-everything-{ctx.today.isoformat()}",
        "type": "searchset",
        "timestamp": ctx.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "total": len(b.resources),
        "entry": [
            {
                "fullUrl": full_url(r["resourceType"], r["id"]),
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in b.resources
        ],
    }


def render(subject: CourseSubject, *, ctx: ExportContext) -> bytes:
    return (json.dumps(bundle(subject, ctx=ctx), indent=2, ensure_ascii=False) + "\n").encode()
