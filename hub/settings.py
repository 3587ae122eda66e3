"""Hub configuration: one pydantic-settings model, read from ``GRIDLINE_*`` environment variables."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people copy from examples; refused outside dev so a deployment never runs on a known key.
_WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "gridline", "password", "test"}
MIN_SECRET_CHARS = 16


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDLINE_", extra="ignore")

    env: Literal["dev", "prod"] = "dev"
    data_dir: Path = Path("data/hub")
    db_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite file in data_dir")
    broker_url: str = Field(default="mqtt://127.0.0.1:1883", description="mqtt://user:pass@host:port or 'embedded'")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    client_id: str = Field(default="gridline-hub", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    share_group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]+$",
                                    description="MQTT 5 $share group so several hub workers split uplinks")
    batch_max: int = Field(default=500, ge=1, le=5000)
    batch_wait_ms: int = Field(default=20, ge=0, le=5000)
    downlink_resend_s: float = Field(default=30.0, gt=0)
    maintenance_interval_s: float = Field(default=1.0, gt=0, description="downlink expiry/resend sweep period")
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0,
                                  description="broker keeps the hub's subscriptions and queued uplinks this long")
    dead_letter_payload_cap: int = Field(default=64 * 1024, ge=0)
    secret_key: SecretStr = SecretStr("")
    # -- dispatch and escalation (hub/cases/dispatch.py, escalation.py) --
    auto_dispatch: bool = Field(default=True, description="智能派单: file and dispatch confidently routed reports to "
                                "the grid leader without an operator")
    case_poll_interval_s: float = Field(default=0.05, gt=0, le=60, description="how often case intake and the "
                                        "dispatcher look for new reports / case changes (report → task latency)")
    task_accept_window_s: float = Field(default=1800.0, gt=0, description="a dispatched task not accepted within "
                                        "this is re-sent once, and after as long again escalated")
    overdue_escalation_every_s: float = Field(default=4 * 3600.0, gt=0, description="an overdue case escalates "
                                              "one more level each time this passes without it being closed")
    escalation_sweep_s: float = Field(default=30.0, gt=0, le=3600, description="unaccepted/overdue sweep period")

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> "HubSettings":
        if not self.db_url:
            self.db_url = f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"
        secret = self.secret_key.get_secret_value()
        if self.env != "dev" and (secret.strip().lower() in _WEAK_SECRETS or len(secret) < MIN_SECRET_CHARS):
            raise ValueError(
                f"GRIDLINE_SECRET_KEY must be set to a random value of at least {MIN_SECRET_CHARS} characters "
                f"when env={self.env!r}"
            )
        return self

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"
