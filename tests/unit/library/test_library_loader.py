"""The loader reports every broken library with the file and the field, and accepts the shipped one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kneehab.domain.exercise import JOINTS, REQUIRED_JOINTS, Column, Role
from kneehab.errors import LibraryError
from kneehab.library.load import default_library, load_library

PROGRAM_IDS = {
    "inner-thigh-stretch", "supine-hamstring-stretch", "side-lunge-stretch", "seated-butterfly-stretch",
    "seated-straight-leg-raise", "bridge", "side-lying-leg-raise", "step-up", "double-knee-to-chest",
    "stationary-cardio", "pool-exercise", "walking", "childs-pose", "cat-cow",
}  # fmt: skip
VARIANT_IDS = {"bridge-ball-squeeze", "single-knee-to-chest"}
# The bottom-leg raise is offered "if tolerated" beside the lateral leg raise, so it is a later option
# the program lists (with the condition matrix applied), not a rung reached by a ladder.
LATER_IDS = {
    "single-leg-balance", "plank", "bicycle-crunch", "lunge", "squat", "side-lying-inner-thigh-raise",
}  # fmt: skip


def edit(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence, so a test fails loudly if the data it relies on changes."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems(root: Path) -> list[str]:
    with pytest.raises(LibraryError) as info:
        load_library(root)
    return info.value.problems


def test_shipped_library_has_exactly_the_agreed_exercises_and_roles() -> None:
    lib = default_library()
    assert set(lib.exercises) == PROGRAM_IDS | VARIANT_IDS | LATER_IDS
    for ids, role in (
        (PROGRAM_IDS, Role.PROGRAM),
        (VARIANT_IDS, Role.VARIANT),
        (LATER_IDS, Role.LATER),
    ):
        assert {i for i in ids if lib.exercises[i].role == role} == ids


def test_program_exercises_cover_every_condition_column() -> None:
    for ex in default_library().exercises.values():
        if ex.role == Role.PROGRAM:
            assert {n.column for n in ex.conditions} == set(Column), ex.id


def test_copy_of_shipped_library_loads(lib_copy: Path) -> None:
    assert len(load_library(lib_copy).exercises) == 22


def test_broken_toml_names_the_file(lib_copy: Path) -> None:
    (lib_copy / "exercises" / "bridge.toml").write_text('id = "bridge\nname = ', encoding="utf-8")
    found = problems(lib_copy)
    assert any(p.startswith("exercises/bridge.toml: not valid TOML") for p in found)


def test_id_must_equal_file_name(lib_copy: Path) -> None:
    shutil.move(lib_copy / "exercises" / "walking.toml", lib_copy / "exercises" / "walk.toml")
    assert "exercises/walk.toml: id: 'walking' must equal the file name 'walk'" in problems(
        lib_copy
    )


def test_duplicate_id_is_reported_once_with_both_files(lib_copy: Path) -> None:
    shutil.copy(lib_copy / "exercises" / "plank.toml", lib_copy / "exercises" / "plank-copy.toml")
    found = problems(lib_copy)
    assert "exercises/plank.toml: id: duplicate id 'plank' (also in plank-copy.toml)" in found


def test_dangling_variant_reference(lib_copy: Path) -> None:
    lib_copy.joinpath("exercises", "bridge-ball-squeeze.toml").unlink()
    found = problems(lib_copy)
    assert (
        "exercises/bridge.toml: progression[3].to: 'bridge-ball-squeeze' is not an exercise "
        "in this library"
    ) in found


def test_dangling_regression_variant(lib_copy: Path) -> None:
    lib_copy.joinpath("exercises", "single-knee-to-chest.toml").unlink()
    found = problems(lib_copy)
    assert any(
        p.startswith("exercises/double-knee-to-chest.toml: regressions[0].to:") for p in found
    )


def test_ladder_until_below_start(lib_copy: Path) -> None:
    # v2: the aerobic ladders belong to the engine (C-8 steps of a fifth); a strength ladder shows it.
    f = lib_copy / "exercises" / "bridge.toml"
    edit(f, 'change = "reps"\nby = 2\nuntil = 15', 'change = "reps"\nby = 2\nuntil = 8')
    found = problems(lib_copy)
    assert "exercises/bridge.toml: progression[0].until: 8 is below the starting dose 10" in found


def test_ladder_must_climb(lib_copy: Path) -> None:
    f = lib_copy / "exercises" / "plank.toml"
    text = f.read_text(encoding="utf-8")
    extra = '\n[[progression]]\nchange = "hold_s"\nby = 10\nuntil = 40\nnote = "again"\n'
    f.write_text(text.replace("[[regressions]]", extra + "\n[[regressions]]", 1), encoding="utf-8")
    found = problems(lib_copy)
    assert any("progression[2].until: 40 does not climb" in p for p in found)


def test_dose_out_of_limits(lib_copy: Path) -> None:
    f = lib_copy / "exercises" / "step-up.toml"
    edit(f, "step_cm = 10\nload_kg = 0", "step_cm = 40\nload_kg = 0")
    found = problems(lib_copy)
    assert "exercises/step-up.toml: dose.step_cm: 40 is outside limits [5, 25]" in found


def test_limit_below_c8_floor(lib_copy: Path) -> None:
    f = lib_copy / "exercises" / "side-lunge-stretch.toml"
    edit(f, "hold_s = [10, 60]", "hold_s = [5, 60]")
    found = problems(lib_copy)
    assert (
        "exercises/side-lunge-stretch.toml: limits.hold_s: low 5 is below the RULES C-8 floor 10"
    ) in found


def test_unknown_joint_name(lib_copy: Path) -> None:
    f = lib_copy / "exercises" / "walking.toml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("toe_r = [68, 85]", "foot_r = [68, 85]", 1), encoding="utf-8")
    found = problems(lib_copy)
    assert any(
        p.startswith("exercises/walking.toml: figure.keyframes[0].points: unknown joint(s) foot_r")
        for p in found
    )


def test_missing_required_joint(lib_copy: Path) -> None:
    f = lib_copy / "exercises" / "plank.toml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("head = [14, 72], ", "", 1), encoding="utf-8")
    found = problems(lib_copy)
    assert (
        "exercises/plank.toml: figure.keyframes[0].points: missing required joint(s) head" in found
    )


def test_unknown_equipment_and_missing_condition_column(lib_copy: Path) -> None:
    f = lib_copy / "exercises" / "cat-cow.toml"
    edit(f, 'id = "mat"\nuse', 'id = "yoga_block"\nuse')
    edit(f, '[[conditions]]\ncolumn = "medial_meniscus"\ncode = "ok"\n', "")
    found = problems(lib_copy)
    assert "exercises/cat-cow.toml: equipment[0].id: 'yoga_block' is not in equipment.toml" in found
    assert "exercises/cat-cow.toml: conditions: no RULES §4.3 note for medial_meniscus" in found


def test_schema_error_names_field(lib_copy: Path) -> None:
    f = lib_copy / "exercises" / "squat.toml"
    edit(f, 'block = "strength"', 'block = "gym"')
    found = problems(lib_copy)
    assert any(p.startswith("exercises/squat.toml: block: got 'gym'") for p in found)


def test_shared_file_problems_name_file_and_index(lib_copy: Path) -> None:
    (lib_copy / "avoid.toml").write_text('[[avoid]]\nid = "x"\nname = "X"\n', encoding="utf-8")
    found = problems(lib_copy)
    assert "avoid.toml: avoid[0]: why: is required" in found
    assert "avoid.toml: avoid[0]: article_quote: is required" in found


def test_every_keyframe_uses_canonical_joints() -> None:
    for ex in default_library().exercises.values():
        for frame in ex.figure.keyframes:
            assert set(REQUIRED_JOINTS) <= set(frame.points) <= set(JOINTS), ex.id


def test_every_file_needs_its_unknown_note(lib_copy: Path) -> None:
    """RULES D-6 (v2): program, variant and later files alike."""
    f = lib_copy / "exercises" / "cat-cow.toml"
    edit(f, '[unknown]\nnote = "Pad your knees well."\n', "")
    found = problems(lib_copy)
    assert any(p.startswith("exercises/cat-cow.toml: unknown: missing") for p in found), found


def test_a_rule_id_inside_a_text_is_a_problem(lib_copy: Path) -> None:
    """RULES D-13: ids travel in `rules`; a step, a version's text or a guidance text may not carry one."""
    edit(
        lib_copy / "exercises" / "bridge.toml",
        'summary = "Lying on your back, squeeze your buttocks and lift your hips."',
        'summary = "Lying on your back, squeeze your buttocks and lift your hips (RULES D-4)."',
    )
    edit(
        lib_copy / "exercises" / "cat-cow.toml",
        'name = "Seated cat-cow"',
        'name = "Seated cat-cow (§4.3)"',
    )
    edit(
        lib_copy / "guidance.toml",
        "For the first 72 hours after an injury, use cold",
        "For the first 72 hours after an injury (D-14), use cold",
    )
    found = problems(lib_copy)
    assert any(p.startswith("exercises/bridge.toml: summary: contains a rule id") for p in found)
    assert any(p.startswith("exercises/cat-cow.toml: versions[0].name: contains") for p in found)
    assert any(p.startswith("guidance.toml: ice-heat-cold-only.text: contains") for p in found)


def test_a_version_needs_a_name_or_an_exclusion_reason(lib_copy: Path) -> None:
    edit(lib_copy / "exercises" / "cat-cow.toml", 'name = "Seated cat-cow"\n', "")
    found = problems(lib_copy)
    assert any("exercises/cat-cow.toml" in p and "versions" in p for p in found), found
