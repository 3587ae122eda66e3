"""Hub configuration: one pydantic-settings model, read from ``GRIDLINE_*`` environment variables."""
from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people copy from examples; refused outside dev so a deployment never runs on a known key.
_WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "gridline", "password", "test"}
MIN_SECRET_CHARS = 16
_HH_MM = re.compile(r"\d{2}:\d{2}")


def parse_office_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:30-12:00,14:00-17:30"`` → ((08:30, 12:00), (14:00, 17:30)); periods in order, none overlapping. An end
    of ``24:00`` is midnight (``time.max``, hub.org.calendar.END_OF_DAY): ``"00:00-24:00"`` is round the clock."""
    periods: list[tuple[time, time]] = []
    for part in text.split(","):
        bounds = part.strip().split("-")
        try:
            if len(bounds) != 2 or not all(_HH_MM.fullmatch(b.strip()) for b in bounds):
                raise ValueError(part)
            start = time.fromisoformat(bounds[0].strip())
            end = time.max if bounds[1].strip() == "24:00" else time.fromisoformat(bounds[1].strip())
        except ValueError:
            raise ValueError(f"办公时间格式应为 HH:MM-HH:MM[,HH:MM-HH:MM...] / office hours must read "
                             f"HH:MM-HH:MM[,HH:MM-HH:MM...], got {part.strip()!r}") from None
        if not start < end or (periods and start < periods[-1][1]):
            raise ValueError(f"办公时段须按顺序且不重叠 / office periods must be in order and not overlap: {text!r}")
        periods.append((start, end))
    return tuple(periods)


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
    shared_session_expiry_s: int = Field(default=30, ge=0, description="session expiry for a worker in a share "
                                         "group: brokers queue a dead member's share of uplinks until its session "
                                         "expires, so keep it short (devices re-send what got no receipt)")
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
    job_fallback_poll_s: float = Field(default=0.5, gt=0, le=60, description="case intake, device actions and "
                                       "the dispatcher are woken at once by this worker's commits; this poll "
                                       "catches work committed by the HTTP API or other hub workers")
    # -- cross-worker wake-ups (hub/jobs/notify.py; PostgreSQL only) --
    pg_notify_wakeups: bool = Field(default=True, description="on PostgreSQL, rings reach the other hub workers "
                                    "through LISTEN/NOTIFY; off = every worker polls every job_fallback_poll_s")
    job_listening_poll_s: float = Field(default=10.0, gt=0, le=600, description="fallback poll while this worker "
                                        "listens for the others' wake-ups (a safety net only); "
                                        "job_fallback_poll_s applies while the LISTEN connection is down")
    task_accept_window_s: float = Field(default=1800.0, gt=0, description="a dispatched task not accepted within "
                                        "this is re-sent once, and after as long again escalated")
    overdue_escalation_every_s: float = Field(default=4 * 3600.0, gt=0, description="an overdue case escalates "
                                              "one more level each time this passes without it being closed")
    escalation_sweep_s: float = Field(default=30.0, gt=0, le=3600, description="unaccepted/overdue sweep period")
    # 回访 (hub/followup): the window runs on the WALL CLOCK from closing (residents tap cards at weekends too).
    followup_window_h: float = Field(default=48.0, gt=0, le=24 * 90, description="follow-up window after closing; "
                                     "unanswered past it counts as not followed up (未回访)")
    followup_share: float = Field(default=1.0, ge=0, le=1, description="share of closed cases followed up: 1 = all; "
                                  "less samples deterministically by case id (reproducible)")
    followup_sweep_s: float = Field(default=30.0, gt=0, le=3600, description="fallback period of the follow-up job")
    # -- the working calendar (hub/org/workdays.py): time limits, accept windows and repeat escalation count only
    #    office hours on working days (official holidays and 调休 from chinese-calendar, plus admins' local days) --
    time_zone: str = Field(default="Asia/Shanghai", max_length=64, description="the deployment's time zone (IANA "
                           "name): office hours, local days of case references and welfare check-ins")
    office_hours: str = Field(default="08:30-12:00,14:00-17:30", max_length=200, description="a working day's "
                              "office periods, HH:MM-HH:MM, comma-separated, in order (办公时间); "
                              "00:00-24:00 = round the clock")
    work_weekdays: str = Field(default="12345", pattern=r"^[1-7]{1,7}$", description="ISO weekdays worked "
                               "(1 = Monday) before public holidays and 调休 make-up days")
    calendar_refresh_s: float = Field(default=60.0, gt=0, le=3600, description="longest delay before a calendar "
                                      "day an admin changed on another hub worker counts here (this worker and, on "
                                      "PostgreSQL, the others are told at once)")
    # -- operations (hub/api/prometheus.py, hub/api/metrics.py) --
    metrics_token: SecretStr = Field(default=SecretStr(""), description="bearer token a Prometheus scraper sends "
                                     "to /metrics; empty = /metrics answers clients on this host only")
    # -- control-room dashboard (hub/web) --
    map_tile_url: str = Field(default="", max_length=500, description="base-map tile URL template "
                              "({z}/{x}/{y}, optional {s}); empty = plain background, no tiles (closed networks)")
    map_tile_crs: Literal["wgs84", "gcj02", "bd09"] = Field(default="wgs84", description="datum of the base "
                                                            "map: gcj02 for Chinese maps (AutoNavi/Tencent), bd09 "
                                                            "for Baidu's; positions are shifted from WGS-84 for "
                                                            "display")
    map_tile_attribution: str = Field(default="", max_length=200)
    # -- base maps (hub/web/basemaps.py, docs/basemaps.md) --
    map_basemap: Literal["xyz", "tianditu", "baidu", "mbtiles", "none"] = Field(
        default="xyz", description="xyz: map_tile_url; tianditu: 天地图 base + label layers (needs "
        "map_tianditu_key); baidu: BD-09 tiles on Baidu's tile grid; mbtiles: map_mbtiles_file served at "
        "/tiles/{z}/{x}/{y}; none: grid outlines only")
    map_tile_subdomains: str = Field(default="abc", max_length=16, description="what {s} in map_tile_url "
                                     "takes turns with, e.g. 1234 for webrd0{s}.is.autonavi.com")
    map_tianditu_key: SecretStr = Field(default=SecretStr(""), description="天地图 key (a browser-side key: "
                                        "the dashboard sends it with each tile request)")
    map_tianditu_style: Literal["vec", "img", "ter"] = Field(default="vec", description="天地图 layers: vec "
                                                             "矢量 + cva, img 影像 + cia, ter 地形 + cta")
    map_mbtiles_file: Path | None = Field(default=None, description="an MBTiles file (SQLite) the hub serves at "
                                          "/tiles/{z}/{x}/{y} for offline control rooms")

    # -- device identity and broker security (hub/devices, docs/security.md) --
    broker_ca_file: Path | None = Field(default=None, description="CA bundle that signed the broker's certificate "
                                        "(mqtts://); unset = the system's CAs")
    broker_client_cert: Path | None = Field(default=None, description="client certificate for the broker (PEM)")
    broker_client_key: Path | None = Field(default=None, description="its private key (PEM)")
    broker_auth_dir: Path | None = Field(default=None, description="the hub writes Mosquitto's password file "
                                         "'passwd' and 'acl' here and keeps them current; unset = not managed")
    broker_reload_pid_file: Path | None = Field(default=None, description="SIGHUP this pid after writing them")
    broker_reload_command: str = Field(default="", description="or run this, e.g. 'systemctl reload mosquitto'")
    broker_auth_sync_s: float = Field(default=5.0, gt=0, le=30, description="longest delay before a revocation "
                                      "reaches the broker")
    device_broker_url: str = Field(default="", description="broker URL handed to enrolled devices; empty = "
                                   "broker_url without credentials")
    enroll_code_ttl_s: float = Field(default=24 * 3600.0, gt=0, description="how long an enrolment code works")
    enroll_attempts_per_min: int = Field(default=10, ge=1, description="enrolment tries per client address")
    # -- position track partitions and retention (hub/store/partitions.py; PostgreSQL only) --
    position_retention_days: int = Field(default=180, ge=0, description="position partitions (UTC days of the "
                                         "record id's time) older than this are dropped; 0 = keep forever")
    position_partitions_ahead_days: int = Field(default=3, ge=1, le=60, description="day partitions prepared "
                                                "ahead; positions beyond them wait in the default partition")
    position_partition_check_s: float = Field(default=3600.0, gt=0, description="maintenance job period")
    sqlite_statistics_every_s: float = Field(default=6 * 3600.0, gt=0, description="SQLite: how often the query "
                                             "planner's statistics are refreshed (bounded ANALYZE; also at start)")
    # -- per-device uplink rate limit (hub/mqtt/uplink_limit.py; docs/security.md "Limits") --
    device_rate_per_s: float = Field(default=20.0, ge=0, description="uplink messages per second a device may "
                                     "keep up, per hub worker; more are deferred, not stored (0 = no limit)")
    device_burst: int = Field(default=20_000, ge=1, description="messages a device may send at once above that "
                              "rate: a day's offline backlog drains at full speed")
    # -- control-room sign-in throttling (hub/auth/operators.py; docs/security.md "Sign-in") --
    sign_in_max_failures: int = Field(default=5, ge=1, le=100, description="wrong passwords from one client "
                                      "address before that address is locked out of the account")
    sign_in_account_max_failures: int = Field(default=20, ge=2, le=10_000, description="wrong passwords from all "
                                              "addresses (each address's first sign_in_max_failures only) before "
                                              "the account is locked for addresses that never signed in to it")
    sign_in_lockout_s: float = Field(default=60.0, gt=0, le=86_400, description="the first lock; each further "
                                     "lock in a row lasts twice as long")
    sign_in_max_lockout_s: float = Field(default=900.0, gt=0, le=86_400, description="the longest lock")
    trusted_proxies: str = Field(default="", max_length=1000, description="comma-separated addresses of reverse "
                                 "proxies whose X-Forwarded-For / X-Forwarded-Proto the hub believes (client address "
                                 "for sign-in throttling, scheme for the Origin check); empty = none, every "
                                 "client's own address counts")

    @field_validator("data_dir", "broker_ca_file", "broker_client_cert", "broker_client_key", "broker_auth_dir",
                     "broker_reload_pid_file", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty or blank path (``GRIDLINE_BROKER_RELOAD_PID_FILE=`` in an env file) means unset - its default -
        not ``Path("")``, which is the current directory: a pid file "." would be tried instead of the reload
        command, broker accounts written into wherever the hub was started."""
        if isinstance(value, str) and not value.strip():
            assert info.field_name is not None
            return cls.model_fields[info.field_name].default
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知时区 / unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("office_hours")
    @classmethod
    def _office_hours_parse(cls, value: str) -> str:
        parse_office_hours(value)
        return value

    @property
    def office_periods(self) -> tuple[tuple[time, time], ...]:
        return parse_office_hours(self.office_hours)

    @property
    def work_weekday_numbers(self) -> frozenset[int]:
        """The worked weekdays as Python's ``date.weekday()`` numbers (Monday = 0)."""
        return frozenset(int(c) - 1 for c in self.work_weekdays)

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> HubSettings:
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

    def uvicorn_proxy_options(self) -> dict[str, Any]:
        """uvicorn believes X-Forwarded-For/-Proto only from ``trusted_proxies`` (uvicorn's own default would trust
        127.0.0.1, so any local process could pick its address for the sign-in throttle)."""
        proxies = [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]
        return {"proxy_headers": True, "forwarded_allow_ips": proxies} if proxies else {"proxy_headers": False}
