"""The in-browser pose model's files (npm `@mediapipe/pose`: its WASM, model and loader), served by
kneehab itself at `/pose/` from the installed package, so nothing is fetched from another site.

The package is installed by `npm ci` (package.json pins it) into `node_modules/` of the checkout; the
setting `pose_dir` points elsewhere. Without it the player simply offers no camera (the tap counter and
the paced counter are always there).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

POSE_URL = "/pose"
# src/kneehab/web/pose_assets.py → the checkout's root
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "node_modules" / "@mediapipe" / "pose"
# The files the page asks for (model complexity 1 = the "full" landmark model); nothing else is served.
FILES = frozenset(
    {
        "pose.js",
        "pose_solution_packed_assets_loader.js",
        "pose_solution_packed_assets.data",
        "pose_solution_simd_wasm_bin.js",
        "pose_solution_simd_wasm_bin.wasm",
        "pose_solution_simd_wasm_bin.data",
        "pose_solution_wasm_bin.js",
        "pose_solution_wasm_bin.wasm",
        "pose_web.binarypb",
        "pose_landmark_full.tflite",
        "pose_landmark_lite.tflite",
    }
)


def pose_dir(configured: Path | None) -> Path | None:
    """The package folder, when it is really there."""
    folder = configured or DEFAULT_DIR
    return folder if (folder / "pose.js").is_file() else None


class _OnlyListed(StaticFiles):
    def lookup_path(self, path: str):  # type: ignore[no-untyped-def]
        if path.lstrip("/") not in FILES:
            return "", None
        return super().lookup_path(path)


def install(app: FastAPI, folder: Path) -> None:
    """Mount the package's files at /pose (only those listed above)."""
    app.mount(POSE_URL, _OnlyListed(directory=str(folder)), name="pose")
