"""`kneehab library list|show|check|figures` through the real entrypoint."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kneehab.cli.main import main
from kneehab.library.load import DEFAULT_PATH, default_library


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["library", *args], environ={})
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lib_copy(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    shutil.copytree(DEFAULT_PATH, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def test_list_shows_every_exercise_with_its_columns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "name", "category", "block", "role"]
    for ex in default_library().exercises.values():
        row = next(line for line in lines if line.startswith(ex.id + " "))
        assert ex.category.value in row and ex.block.value in row and ex.role.value in row
    assert "22 exercises" in out


def test_show_gives_everything_a_person_needs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "seated-straight-leg-raise")
    assert code == 0
    for expected in (
        "Seated straight leg raise",
        "Steps:",
        "  1. Tighten the muscle on the top of your thigh.",
        "Dose: 2 sets of 10, hold 1 s, each side",
        "Progression",
        "Add 0.5 kg of ankle weight and go back to 10 repetitions.",
        "If it is too hard:",
        "MCL sprain, grade 2-3: emphasise: Wear your hinged brace",
        "For each condition:",
        "sturdy chair: to sit on; instead you can use any sturdy chair",
        "Stop rules:",
        "Source: article, Leg Exercises — 5. Seated Straight Leg Raise",
    ):
        assert expected in out


def test_show_lists_options_and_phase_notes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "stationary-cardio")
    assert code == 0
    assert "rowing machine (needs: rower)" in out
    assert "seated leg and arm movements at home (at home, nothing needed)" in out
    assert "Medial meniscus: avoid (early):" in out
    code, out, _ = run(capsys, "show", "inner-thigh-stretch")
    assert "MCL sprain, grade 2-3: avoid (early)" in out
    assert "MCL sprain, grade 2-3: modify (later)" in out
    assert "stretch strap: looped around the foot" in out and "a towel or a belt" in out


def test_show_unknown_id_says_how_to_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "step-ups")
    assert code == 2
    assert out == ""
    assert "no exercise with id 'step-ups'" in err
    assert "Did you mean: step-up?" in err
    assert "kneehab library list" in err
    assert "Traceback" not in err


def test_check_builtin_library(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check")
    assert (code, out.strip()) == (0, "ok: 22 exercises")


def test_check_reports_every_problem_with_file_and_field(
    capsys: pytest.CaptureFixture[str], lib_copy: Path
) -> None:
    walking = lib_copy / "exercises" / "walking.toml"
    walking.write_text(walking.read_text(encoding="utf-8").replace("minutes = 10", "minutes = 90"))
    (lib_copy / "exercises" / "broken.toml").write_text("id = [", encoding="utf-8")
    code, out, err = run(capsys, "check", str(lib_copy))
    assert code == 2
    assert out == ""
    assert "the exercise library has 3 problem(s)" in err
    assert "exercises/broken.toml: not valid TOML" in err
    assert "exercises/walking.toml: dose.minutes: 90 is outside limits [5, 30]" in err
    assert "exercises/walking.toml: progression[0].until: 30 is below the starting dose 90" in err
    assert "Traceback" not in err


def test_check_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "nope"))
    assert code == 2
    assert "is not a folder" in err


def test_figures_writes_an_svg_per_exercise(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "figures", str(tmp_path / "figs"))
    assert code == 0
    files = sorted(p.name for p in (tmp_path / "figs").glob("*.svg"))
    lib = default_library()
    versions = [f"{e.id}.{v.profile}.svg" for e in lib.exercises.values() for v in e.versions]
    versions = [v for v in versions if v != "lunge.fall_risk.svg"]  # excluded in that profile
    assert files == sorted([f"{i}.svg" for i in lib.exercises] + versions)  # v2: D-11 versions
    ET.parse(tmp_path / "figs" / "bridge.svg")
    ET.parse(tmp_path / "figs" / "childs-pose.no_floor.svg")
    assert f"wrote {len(files)} figures" in out


def test_figures_into_a_file_path_is_a_user_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "figures", str(blocker / "sub"))
    assert code == 2
    assert "cannot write figures there" in err


def test_show_reads_another_library_folder(
    capsys: pytest.CaptureFixture[str], lib_copy: Path
) -> None:
    plank = lib_copy / "exercises" / "plank.toml"
    plank.write_text(plank.read_text(encoding="utf-8").replace('name = "Plank"', 'name = "Planky"'))
    code, out, _ = run(capsys, "show", "plank", "--library", str(lib_copy))
    assert code == 0
    assert out.startswith("Planky  (plank)")
