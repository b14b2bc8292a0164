"""Settings, built once by each entrypoint from its environment and passed down (never read at import time)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, field_validator

# The names a browser on this machine uses for it; anything else in the Host header is refused
# (DNS rebinding: a foreign page whose name resolves to 127.0.0.1 must not reach the data).
LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]", "::1")


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("kneehab", appauthor=False))


class Settings(BaseModel):
    """Every setting kneehab reads; each is documented in docs/settings.md."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: SQLite file kneehab.db in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir, description="Where the SQLite file lives."
    )
    host: str = Field(default="127.0.0.1", description="Web server bind address.")
    port: int = Field(default=8000, ge=1, le=65535, description="Web server port.")
    time_scale: float = Field(
        default=1.0,
        gt=0,
        le=1000,
        description="Test-only: speeds up the session player's timers (1.0 = real time).",
    )
    log_level: str = Field(
        default="INFO", description="Python log level. Logs never carry health data."
    )
    allowed_hosts: tuple[str, ...] = Field(
        default=LOOPBACK_HOSTS,
        description="Host names the web app answers to (comma-separated in the environment); "
        "others get 400. Add the public name when serving beyond this machine.",
    )
    public_url: str | None = Field(
        default=None,
        description="The address people use, e.g. https://knee.example.org: its host is allowed, "
        "and an https address makes the session cookie Secure.",
    )
    allow_insecure_network: bool = Field(
        default=False,
        description="Serve beyond loopback over plain http (only behind a TLS proxy on a trusted "
        "network). Without it, `serve` refuses a non-loopback address unless public_url is https.",
    )

    pose_dir: Path | None = Field(
        default=None,
        description="Camera coach: the folder of the npm package @mediapipe/pose (default: "
        "node_modules/@mediapipe/pose of the checkout, installed by `npm ci`).",
    )
    camera_test_mode: bool = Field(
        default=False,
        description="Test-only: the player's camera coach accepts recorded landmarks from the test "
        "and analyses a fake camera frame by frame. Never set it for real use.",
    )
    live_max_fps: float = Field(
        default=60,
        gt=0,
        le=100_000,
        description="Camera coach: landmark frames per second of their own time a connection may send "
        "(frame times closer than a third less than that are refused with code 4429).",
    )
    live_max_lead_s: float = Field(
        default=10,
        gt=0,
        description="Camera coach: how far the frames' times may run ahead of real time (faster than "
        "real time is refused with code 4429).",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="App server processes `kneehab serve` starts (more than 1: gunicorn with "
        "uvicorn workers, ADR 0006). About one per CPU core.",
    )
    metrics_enabled: bool = Field(
        default=False,
        description="Serve Prometheus metrics at /metrics (requests, latency and errors by route "
        "template). Off by default; keep /metrics off the public proxy.",
    )

    session_idle_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="A signed-in session ends after this long unused."
    )
    session_max_days: float = Field(
        default=30, gt=0, le=365, description="A signed-in session ends this long after sign-in."
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(h.strip().lower() for h in value.split(",") if h.strip())
        return value

    @property
    def hosts(self) -> frozenset[str]:
        """Every Host name the app answers to: the allowed ones and public_url's."""
        from urllib.parse import urlsplit

        names = set(self.allowed_hosts)
        if self.public_url:
            found = urlsplit(self.public_url).hostname
            if found:
                names.add(found.lower())
        return frozenset(names)

    @property
    def base_url(self) -> str:
        """Where people open kneehab: the public URL, else the address it listens on."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'kneehab.db'}"


def load_settings(environ: Mapping[str, str], **overrides: object) -> Settings:
    """Build settings from an explicit environment mapping (plus CLI overrides that are not None)."""
    env: dict[str, object] = {
        k[len("KNEEHAB_") :].lower(): v for k, v in environ.items() if k.startswith("KNEEHAB_")
    }
    env.update({k: v for k, v in overrides.items() if v is not None})
    return Settings.model_validate(env)
