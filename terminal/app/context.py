"""Everything one app run needs, built from the config without kivy: device, providers, translator, presenters.

The Kivy app takes a context and only draws it; the end-to-end tests drive the same context over a real
broker, so what they prove is what the buttons call.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from protocol import DownlinkMessage
from terminal.app.alerts import Alerter, SoundProvider, platform_alerter
from terminal.app.config import PROFILES, AppConfig, ConfigError
from terminal.app.i18n import Translator
from terminal.app.navigation import Navigator, platform_navigator
from terminal.app.presenters.checkin import CheckinFlow
from terminal.app.presenters.checkpoints import CheckpointFlow
from terminal.app.presenters.deliberation import DeliberationFlow
from terminal.app.presenters.deployment_key import DeploymentKeyKeeper
from terminal.app.presenters.followup import FollowupFlow
from terminal.app.presenters.gridmap import GridMap
from terminal.app.presenters.idle import IdleTimer
from terminal.app.presenters.lookup import LookupFlow
from terminal.app.presenters.notices import NoticesPresenter
from terminal.app.presenters.patrol import PatrolFlow
from terminal.app.presenters.photo import PhotoTaker
from terminal.app.presenters.receipt import ReceiptPresenter
from terminal.app.presenters.report import ReportFlow
from terminal.app.presenters.service_receipt import ServiceReceipt
from terminal.app.presenters.sync_status import SyncStatusPresenter
from terminal.app.presenters.tasks import TaskFlow
from terminal.app.presenters.trackmap import TrackMap
from terminal.app.presenters.visit import VisitFlow
from terminal.app.presenters.watch import WatchFlow
from terminal.app.taxonomy import load_categories, synced_categories
from terminal.camera import CameraProvider, camera_from_config
from terminal.clock import Clock, utc_now
from terminal.device import Device
from terminal.enroll import load_credentials
from terminal.photo_fetch import TaskPhotoCache
from terminal.position import PositionProvider, position_from_config


class TerminalContext:
    def __init__(self, config: AppConfig, profile: str, *, clock: Clock = utc_now,
                 monotonic: Callable[[], float] = time.monotonic, camera: CameraProvider | None = None,
                 position: PositionProvider | None = None, alerter: Alerter | None = None,
                 sound: SoundProvider | None = None, navigator: Navigator | None = None, **device_options: Any):
        if profile not in PROFILES:
            raise ConfigError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        if position is None and not config.position:
            raise ConfigError("the config needs a [position] table (kind = fixed | simulated | gpsd | nmea | plyer)")
        self.config, self.profile, self.clock = config, profile, clock
        self.tr = Translator(config.language)
        self.on_change: Callable[[], None] = lambda: None  # the app sets a coalesced UI refresh here
        try:
            self.position = position or position_from_config(config.position, clock=clock)
            self.photos = PhotoTaker(camera or camera_from_config(config.camera))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"provider config: {exc}") from exc
        self.categories = load_categories(config.taxonomy)
        self.grid_map = GridMap(config.grid.bbox, rows=3, cols=4) if config.grid.bbox else None
        self.device = Device(config.device_id, config.data_dir, config.broker, deployment_key=config.deployment_key,
                             clock=clock, on_downlink=self._downlink, **device_options)
        self.categories = synced_categories(self.device.store) or self.categories  # the hub's list, once it came
        # the hub's deployment key (enrolment, rotations), else the config's: resident cards are hashed with it
        self.keys = DeploymentKeyKeeper(self.device, config.data_dir, config.deployment_key, on_key=self._key_arrived)
        self.status = SyncStatusPresenter(self.device.status, self.tr, clock=clock)
        self.report = self.checkin = self.notices = self.idle = self.patrol = self.tasks = None
        self.lookup: LookupFlow | None = None
        self.receipt: ReceiptPresenter | None = None
        self.service_receipt: ServiceReceipt | None = None  # kiosk: the case reference of a service check-in
        self.visit: VisitFlow | None = None  # phone: 入户走访 (home visits, hub/services)
        self.followup: FollowupFlow | None = None
        self.deliberation: DeliberationFlow | None = None
        self.watch: WatchFlow | None = None  # 1+1+N: the helper's watch list (phone)
        self.checkpoints: CheckpointFlow | None = None  # 巡查点 and the volunteer's hours (tablet)
        latest = self.position.latest
        if profile == "kiosk":
            self.report = ReportFlow(self.device, self.photos, self.tr, self.categories, position=latest,
                                     grid_map=self.grid_map)
            if self.device.deployment_key:
                self.checkin = CheckinFlow(self.device, self.photos, self.tr, position=latest)
            self.notices = NoticesPresenter(self.device, self.tr, grid_code=config.grid.code)
            self.lookup = LookupFlow(self.device, self.photos, self.tr, clock=clock)  # 查进度
            self.receipt = ReceiptPresenter(self.device, self.tr, clock=clock)  # the success screen
            self.service_receipt = ServiceReceipt(self.device, self.tr, clock=clock)  # a service check-in's case
            self.followup = FollowupFlow(self.device, self.tr, clock=clock)  # 回访 prompts on a card tap
            self.deliberation = DeliberationFlow(  # 议事: topics (their images fetched like task photos), votes
                self.device, self.photos, self.tr, clock=clock, on_change=self._changed,
                photo_cache=self._photo_cache(config, device_options))
            self.idle = IdleTimer(config.idle_timeout_s, clock=monotonic)
        elif profile == "tablet":
            self.patrol = PatrolFlow(self.device, self.position, self.tr, interval_s=config.patrol_interval_s,
                                     clock=clock, track_map=TrackMap(config.grid.bbox, config.grid.outline),
                                     grid_code=config.grid.code)
            patrol = self.patrol
            self.checkpoints = CheckpointFlow(  # 巡查点: QR + GPS, the checklist, failed items reported
                self.device, self.photos, self.tr, fix=lambda: patrol.last_fix() or latest(), clock=clock,
                patrol_started=lambda: patrol.session.started_at if patrol.running and patrol.session else None)
            self.watch = WatchFlow(self.device, self.tr, clock=clock, via="patrol")  # 1+1+N: a visit at the door
            self.report = ReportFlow(self.device, self.photos, self.tr, self.categories,
                                     position=lambda: patrol.last_fix() or latest(), grid_map=self.grid_map)
        else:
            photo_cache = self._photo_cache(config, device_options)
            self.tasks = TaskFlow(self.device, self.photos, self.tr, position=latest,
                                  alerter=alerter or platform_alerter(sound), clock=clock, on_change=self._changed,
                                  photo_cache=photo_cache, navigator=navigator or platform_navigator(),
                                  grid_code=config.grid.code, grid_bbox=config.grid.bbox,
                                  grid_name=config.grid.name, monotonic=monotonic)
            self.watch = WatchFlow(self.device, self.tr, clock=clock)  # 1+1+N: today's residents, 平安 / 异常
            self.visit = VisitFlow(self.device, self.tr, grid_code=config.grid.code)  # 入户走访: 一表通

    @staticmethod
    def _photo_cache(config: AppConfig, device_options: dict[str, Any]) -> TaskPhotoCache:
        """Photos from the hub's device route with this device's own credentials: a phone's task photos, a kiosk's
        topic images."""
        credentials = device_options.get("credentials") or load_credentials(config.data_dir)
        return TaskPhotoCache(config.data_dir, config.hub_url, credentials,
                              ca_file=credentials.ca_file if credentials else None)

    def _changed(self) -> None:
        self.on_change()

    def _downlink(self, message: DownlinkMessage) -> None:
        """Sync thread: hand tasks to the task presenter, and ask the UI to refresh (notices, tasks, categories)."""
        if self.keys.on_downlink(message):  # a rotated deployment key: fetched off this thread
            return
        if message.kind == "taxonomy" and self.report is not None:
            synced = synced_categories(self.device.store)
            if synced:
                self.categories = synced
                self.report.set_categories(synced)
        if self.deliberation is not None:
            self.deliberation.on_downlink(message)  # a topic's image: fetched in the background
        if self.tasks is not None:
            self.tasks.on_downlink(message)  # calls on_change itself
        else:
            self.on_change()

    def _key_arrived(self) -> None:
        """A (new) deployment key is in force: check-in works from now on."""
        if self.profile == "kiosk" and self.checkin is None and self.device.deployment_key:
            self.checkin = CheckinFlow(self.device, self.photos, self.tr, position=self.position.latest)
        self.on_change()

    def title(self) -> str:
        if self.profile == "kiosk":
            return self.tr.t("kiosk.title", grid=self.config.grid.name or self.config.grid.code)
        return self.tr.t(f"app.{self.profile}")

    def start(self, *, connect: bool = True) -> TerminalContext:
        """``connect=False``: positions and camera work, the outbox fills, nothing is sent (demo, screenshots)."""
        if self.profile != "tablet":  # the patrol starts and stops its own receiver
            self.position.start()
        if connect:
            self.device.start()
        return self

    def stop(self) -> None:
        """Closing the app does not end a patrol: it resumes on the next start (see PatrolFlow)."""
        self.photos.close()
        self.position.stop()
        self.device.stop()

    def __enter__(self) -> TerminalContext:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
