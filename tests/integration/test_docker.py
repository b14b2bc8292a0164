"""Issue 11 §5: the Dockerfile and compose.yaml build and start (PostgreSQL, the migration step, the app
with 2 workers) and the app is ready. Where no Docker daemon answers, the test skips with a reason that
says so, and the run's summary repeats it in red (tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER_SKIP = "DOCKER UNAVAILABLE: the Dockerfile and compose.yaml were NOT built or started"


def _docker_problem() -> str | None:
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    done = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return lines[-1] if lines else "docker info failed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_compose_builds_migrates_and_serves(tmp_path: Path) -> None:
    problem = _docker_problem()
    if problem is not None:
        pytest.skip(f"{DOCKER_SKIP} ({problem})")
    port = _free_port()
    project = f"kneehab-test-{os.getpid()}"
    env = {**os.environ, "KNEEHAB_HOST_PORT": str(port)}
    compose = ["docker", "compose", "-f", str(ROOT / "compose.yaml"), "-p", project]
    try:
        subprocess.run(
            [*compose, "up", "-d", "--build", "--wait"], cwd=ROOT, env=env, check=True, timeout=900
        )
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as r:
                    status = r.status
            except OSError:
                time.sleep(1)
        assert status == 200, "the app in compose did not become ready"
    finally:
        subprocess.run([*compose, "down", "-v"], cwd=ROOT, env=env, check=False, timeout=300)
