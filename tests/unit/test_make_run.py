"""`make run` installs the app alone: the camera coach's [vision] extra (MediaPipe, OpenCV) is not needed
by the web app, and a newcomer should not wait for it (issue 9 §7). The web app never imports it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _recipe(makefile: str, target: str) -> tuple[list[str], list[str]]:
    m = re.search(rf"^{re.escape(target)}:([^\n]*)\n((?:\t[^\n]*\n)*)", makefile, re.M)
    assert m, target
    return m.group(1).split(), [line.strip() for line in m.group(2).splitlines()]


def test_make_run_installs_without_the_vision_extra() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    prereqs, _ = _recipe(makefile, "run")
    # The app alone, plus the handout's fonts (pdf-tools, Debian); never the dev or vision extras.
    assert prereqs == ["$(APPSTAMP)", "pdf-tools"]
    _, install = _recipe(makefile, "$(APPSTAMP)")
    pip = [line for line in install if "pip install" in line and "-e" in line]
    assert pip == ["$(BIN)/pip install --quiet -e ."]
    _, full = _recipe(makefile, "$(STAMP)")
    assert any("[dev,vision]" in line for line in full)  # the tests still get everything


def test_the_web_app_starts_without_mediapipe_or_opencv() -> None:
    code = (
        "import sys\n"
        "sys.modules['mediapipe'] = None\n"
        "sys.modules['cv2'] = None\n"
        "from kneehab.web.app import create_app\n"
        "from kneehab.cli.main import run\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
