"""Load and validate an exercise library folder. The app, the CLI check and the tests all use this one loader.

Layout: `exercises/ID.toml` (one exercise each, id == file name), `avoid.toml`, `equipment.toml`,
`guidance.toml`. Every problem is reported with its file and field; nothing raises a traceback for bad data.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kneehab.domain.exercise import (
    JOINTS,
    NUMERIC_KEYS,
    REQUIRED_JOINTS,
    AvoidItem,
    Column,
    EquipmentInfo,
    Exercise,
    Figure,
    Guidance,
    Library,
    Role,
    TextOverride,
)
from kneehab.domain.progression_ladder import REPS_FLOOR, SETS_FLOOR, STRETCH_HOLD_FLOOR
from kneehab.domain.types import RULE_ID_PATTERN, Category
from kneehab.domain.validation import describe_errors
from kneehab.errors import LibraryError

DEFAULT_PATH = Path(__file__).parent


def _read_toml(path: Path, problems: list[str], where: str = "") -> dict[str, Any] | None:
    name = where or path.name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.append(f"{name}: file is missing")
    except tomllib.TOMLDecodeError as err:
        problems.append(f"{name}: not valid TOML ({err})")
    except OSError as err:
        problems.append(f"{name}: cannot be read ({err.strerror})")
    return None


def _validate(model: Any, data: Any, where: str, problems: list[str]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems.extend(f"{where}: {line}" for line in describe_errors(err.errors()))
        return None


def _read_tables(root: Path, name: str, model: Any, problems: list[str]) -> list[Any]:
    """The `[[name]]` tables of `name.toml`, each validated; a bad one is a problem naming its index."""
    data = _read_toml(root / f"{name}.toml", problems) or {}
    found = []
    for i, item in enumerate(data.get(name, [])):
        parsed = _validate(model, item, f"{name}.toml: {name}[{i}]", problems)
        if parsed is not None:
            found.append(parsed)
    return found


def _check_floors(ex: Exercise, where: str) -> list[str]:
    """RULES C-8: a regression never goes below the ladder's floors, so no lowest limit may either."""
    out: list[str] = []
    floors: dict[str, float] = {"reps": REPS_FLOOR, "sets": SETS_FLOOR}
    if ex.category == Category.STRETCH:
        floors["hold_s"] = STRETCH_HOLD_FLOOR
    for key, floor in floors.items():
        bounds = ex.limits.bounds(key)
        if bounds is not None and bounds[0] < floor:
            out.append(
                f"{where}: limits.{key}: low {bounds[0]:g} is below the RULES C-8 floor {floor:g}"
            )
    return out


# RULES D-13 (EX-36): no text a person reads may carry a rule id, the word "RULES" or "§".
RULE_ID_IN_TEXT = RULE_ID_PATTERN  # D-13, declared once in the domain


def person_texts(ex: Exercise) -> list[tuple[str, str]]:
    """Every (field, text) of an exercise file that a person can read."""
    out: list[tuple[str, str]] = [
        ("name", ex.name),
        ("summary", ex.summary),
        ("why", ex.why),
        ("start_position", ex.start_position),
    ]
    out += [(f"steps[{i}]", t) for i, t in enumerate(ex.steps)]
    out += [(f"cues[{i}]", t) for i, t in enumerate(ex.cues)]
    out += [(f"mistakes[{i}]", t) for i, t in enumerate(ex.mistakes)]
    out += [(f"stop_rules[{i}]", t) for i, t in enumerate(ex.stop_rules)]
    out += [(f"works[{i}]", t) for i, t in enumerate(ex.works)]
    out += [(f"equipment[{i}].use", e.use) for i, e in enumerate(ex.equipment)]
    out += [(f"progression[{i}].note", r.note) for i, r in enumerate(ex.progression)]
    out += [(f"regressions[{i}].note", r.note) for i, r in enumerate(ex.regressions)]
    out += [("figure.caption", ex.figure.caption)]
    detector = ex.detector or {}
    for i, form in enumerate(detector.get("form", []) if isinstance(detector, dict) else []):
        if isinstance(form, dict) and isinstance(form.get("message"), str):
            out.append((f"detector.form[{i}].message", form["message"]))

    def override(prefix: str, o: TextOverride) -> list[tuple[str, str]]:
        got = [(f"{prefix}.remainder", o.remainder)]
        if o.start_position is not None:
            got.append((f"{prefix}.start_position", o.start_position))
        got += [(f"{prefix}.steps[{i}]", t) for i, t in enumerate(o.steps or ())]
        return got

    for i, n in enumerate(ex.conditions):
        out += [(f"conditions[{i}].note", n.note), *override(f"conditions[{i}]", n)]
    for i, opt in enumerate(ex.options):
        out += [
            (f"options[{i}].name", opt.name),
            (f"options[{i}].start_position", opt.start_position),
        ]
        out += [(f"options[{i}].steps[{j}]", t) for j, t in enumerate(opt.steps)]
        out += [
            (f"options[{i}].conditions[{j}].note", n.note) for j, n in enumerate(opt.conditions)
        ]
    if ex.unknown is not None:
        out += [("unknown.note", ex.unknown.note), *override("unknown", ex.unknown)]
    for i, v in enumerate(ex.versions):
        w = f"versions[{i}]"
        out += [(f"{w}.name", v.name), (f"{w}.summary", v.summary), (f"{w}.note", v.note)]
        out += [(f"{w}.why", v.why), (f"{w}.start_position", v.start_position or "")]
        for key in ("steps", "cues", "mistakes"):
            out += [(f"{w}.{key}[{j}]", t) for j, t in enumerate(getattr(v, key) or ())]
        out += [(f"{w}.equipment[{j}].use", e.use) for j, e in enumerate(v.equipment or ())]
        for j, o in enumerate(v.overrides):
            out += override(f"{w}.overrides[{j}]", o)
        if v.figure is not None:
            out.append((f"{w}.figure.caption", v.figure.caption))
    return out


def _check_texts(ex: Exercise, where: str) -> list[str]:
    return [
        f"{where}: {field}: contains a rule id or 'RULES'/'§' (ids belong in `rules`, RULES D-13)"
        for field, text in person_texts(ex)
        if RULE_ID_IN_TEXT.search(text)
    ]


def _check_figure(ex: Exercise, where: str) -> list[str]:
    out = _check_keyframes(ex.figure, f"{where}: figure")
    for i, v in enumerate(ex.versions):
        if v.figure is not None:
            out += _check_keyframes(v.figure, f"{where}: versions[{i}].figure")
    return out


def _check_keyframes(figure: Figure, where: str) -> list[str]:
    """Keyframes use only canonical joint names, have the required ones, and agree on their joint set."""
    out: list[str] = []
    first: set[str] | None = None
    for i, frame in enumerate(figure.keyframes):
        field = f"{where}.keyframes[{i}].points"
        names = set(frame.points)
        unknown = sorted(names - set(JOINTS))
        if unknown:
            out.append(
                f"{field}: unknown joint(s) {', '.join(unknown)} (allowed: {', '.join(JOINTS)})"
            )
        missing = [j for j in REQUIRED_JOINTS if j not in names]
        if missing:
            out.append(f"{field}: missing required joint(s) {', '.join(missing)}")
        if first is None:
            first = names
        elif names != first:
            diff = sorted(names ^ first)
            out.append(f"{field}: joints differ from keyframes[0] ({', '.join(diff)})")
    return out


def _check_ladder(ex: Exercise, where: str, lib_ids: set[str]) -> list[str]:
    """Each rung stays inside its limits and climbs: never below the start or an earlier rung of its key."""
    out: list[str] = []
    start = ex.dose.to_dose()
    seen_keys: set[str] = set()
    seen_until: dict[str, float] = {}
    for i, rung in enumerate(ex.progression):
        field = f"{where}: progression[{i}]"
        if rung.change == "variant":
            if rung.to not in lib_ids:
                out.append(f"{field}.to: '{rung.to}' is not an exercise in this library")
            continue
        bounds = ex.limits.bounds(rung.change)
        if bounds is None:
            out.append(f"{field}.change: '{rung.change}' has no limits.{rung.change}")
            continue
        assert rung.until is not None
        if not bounds[0] <= rung.until <= bounds[1]:
            out.append(
                f"{field}.until: {rung.until:g} is outside limits.{rung.change} {list(bounds)}"
            )
        current = start.get(rung.change)
        if current is not None and rung.until < float(current) and rung.change not in seen_keys:
            out.append(f"{field}.until: {rung.until:g} is below the starting dose {current}")
        previous = seen_until.get(rung.change)
        if previous is not None and rung.until <= previous:
            out.append(
                f"{field}.until: {rung.until:g} does not climb above the earlier "
                f"{rung.change} rung ({previous:g}); a ladder only goes up"
            )
        seen_keys.add(rung.change)
        seen_until[rung.change] = rung.until
    return out


def _check_regressions(ex: Exercise, where: str, lib_ids: set[str]) -> list[str]:
    out: list[str] = []
    for i, reg in enumerate(ex.regressions):
        field = f"{where}: regressions[{i}]"
        if reg.change == "variant":
            if reg.to not in lib_ids:
                out.append(f"{field}.to: '{reg.to}' is not an exercise in this library")
        elif ex.limits.bounds(reg.change) is None:
            out.append(f"{field}.change: '{reg.change}' has no limits.{reg.change}")
        elif reg.by is None or reg.by <= 0:
            out.append(f"{field}.by: a numeric regression needs a positive 'by'")
    return out


def _check_exercise(ex: Exercise, fname: str, lib_ids: set[str], equip: set[str]) -> list[str]:
    """Cross-field checks the model alone cannot do: references, ladder order, dose within limits."""
    out: list[str] = []
    if ex.id != fname:
        out.append(f"exercises/{fname}.toml: id: '{ex.id}' must equal the file name '{fname}'")
    where = f"exercises/{fname}.toml"
    start = ex.dose.to_dose()
    for key in NUMERIC_KEYS:
        value = start.get(key)
        bounds = ex.limits.bounds(key)
        if value is None:
            continue
        if bounds is None:
            out.append(f"{where}: dose.{key}: is set but limits.{key} is missing")
        elif not bounds[0] <= float(value) <= bounds[1]:
            out.append(f"{where}: dose.{key}: {value} is outside limits {list(bounds)}")
    out.extend(_check_ladder(ex, where, lib_ids))
    out.extend(_check_regressions(ex, where, lib_ids))
    out.extend(_check_floors(ex, where))
    for i, eq in enumerate(ex.equipment):
        if eq.id not in equip:
            out.append(f"{where}: equipment[{i}].id: '{eq.id}' is not in equipment.toml")
    out.extend(_check_figure(ex, where))
    if ex.unknown is None:
        out.append(
            f"{where}: unknown: missing (every exercise needs its `unknown` note, RULES D-6)"
        )
    for i, v in enumerate(ex.versions):
        for j, e in enumerate(v.equipment or ()):
            if e.id not in equip:
                out.append(
                    f"{where}: versions[{i}].equipment[{j}].id: '{e.id}' is not in equipment.toml"
                )
    profiles = [v.profile for v in ex.versions]
    for p in set(profiles):
        if profiles.count(p) > 1:
            out.append(f"{where}: versions: more than one '{p}' version")
    out.extend(_check_texts(ex, where))
    if ex.role == Role.PROGRAM:
        covered = {n.column for n in ex.conditions}
        missing = [c.value for c in Column if c not in covered]
        if missing:
            out.append(f"{where}: conditions: no RULES §4.3 note for {', '.join(missing)}")
    return out


def load_library(path: Path | str | None = None) -> Library:
    """Read and validate a library folder; raise LibraryError listing every problem."""
    root = Path(path) if path is not None else DEFAULT_PATH
    problems: list[str] = []
    if not root.is_dir():
        raise LibraryError([f"{root}: is not a folder"])
    ex_dir = root / "exercises"
    files = sorted(ex_dir.glob("*.toml")) if ex_dir.is_dir() else []
    if not files:
        problems.append("exercises/: no exercise files (*.toml) found")
    exercises: dict[str, Exercise] = {}
    names: dict[str, str] = {}
    for f in files:
        data = _read_toml(f, problems, f"exercises/{f.name}")
        if data is None:
            continue
        ex = _validate(Exercise, data, f"exercises/{f.name}", problems)
        if ex is None:
            continue
        if ex.id in exercises:
            problems.append(
                f"exercises/{f.name}: id: duplicate id '{ex.id}' (also in {names[ex.id]})"
            )
            continue
        exercises[ex.id] = ex
        names[ex.id] = f.name
    avoid: list[AvoidItem] = _read_tables(root, "avoid", AvoidItem, problems)
    equipment: dict[str, EquipmentInfo] = {
        e.id: e for e in _read_tables(root, "equipment", EquipmentInfo, problems)
    }
    guidance: dict[str, Guidance] = {
        g.id: g for g in _read_tables(root, "guidance", Guidance, problems)
    }
    shared: list[tuple[str, str]] = []
    for a in avoid:
        shared += [(f"avoid.toml: {a.id}.name", a.name), (f"avoid.toml: {a.id}.why", a.why)]
        shared += [(f"avoid.toml: {a.id}.examples", t) for t in a.examples]
    for e in equipment.values():
        shared += [(f"equipment.toml: {e.id}.name", e.name)]
        shared += [(f"equipment.toml: {e.id}.substitute", e.substitute)]
    for g in guidance.values():
        shared += [
            (f"guidance.toml: {g.id}.title", g.title),
            (f"guidance.toml: {g.id}.text", g.text),
        ]
    problems.extend(
        f"{where}: contains a rule id or 'RULES'/'§' (ids belong in `rules`, RULES D-13)"
        for where, text in shared
        if RULE_ID_IN_TEXT.search(text)
    )
    ids = set(exercises)
    for fname, ex in ((Path(names[i]).stem, e) for i, e in exercises.items()):
        problems.extend(_check_exercise(ex, fname, ids, set(equipment)))
    if problems:
        raise LibraryError(problems)
    return Library(exercises=exercises, avoid=tuple(avoid), equipment=equipment, guidance=guidance)


@lru_cache(maxsize=1)
def default_library() -> Library:
    """The library shipped with the package, loaded once per process."""
    return load_library(DEFAULT_PATH)
