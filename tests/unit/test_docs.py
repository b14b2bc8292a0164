"""Docs are checked artifacts: every setting is documented."""

from __future__ import annotations

from pathlib import Path

from kneehab.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{name}`" in text, f"docs/settings.md does not document {name}"
        assert f"`KNEEHAB_{name.upper()}`" in text


def test_settings_come_from_the_given_environment_only() -> None:
    s = load_settings({"KNEEHAB_PORT": "9001", "KNEEHAB_DATA_DIR": "/tmp/kh", "OTHER": "x"})
    assert s.port == 9001
    assert s.effective_database_url == "sqlite:////tmp/kh/kneehab.db"
    assert (
        load_settings({}, database_url="sqlite:///x.db").effective_database_url == "sqlite:///x.db"
    )
