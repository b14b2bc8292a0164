"""`kneehab serve` loads the web stack only when it runs: every other command starts without it."""

from __future__ import annotations

import subprocess
import sys


def test_cli_does_not_import_the_web_framework() -> None:
    code = (
        "import sys; import kneehab.cli.main; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'uvicorn', 'starlette')"
        " or m.startswith('kneehab.web')); print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
