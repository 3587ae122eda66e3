"""``GridlineApp``: one Kivy app for the three profiles; which screens it has depends on the profile.

Network events arrive on the sync thread and reach the UI only through ``@mainthread`` into one coalesced
``Clock.create_trigger`` refresh; a 1 s tick updates the status bar, the kiosk's idle return and the patrol.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from terminal.app.context import TerminalContext
from terminal.app.ui.screens.checkpoints import CheckpointScreen, HoursScreen
from terminal.app.ui.screens.deliberation import DeliberationScreen
from terminal.app.ui.screens.followup import FollowupScreen
from terminal.app.ui.screens.kiosk import CheckinScreen, KioskHomeScreen, NoticesScreen
from terminal.app.ui.screens.lookup import LookupScreen
from terminal.app.ui.screens.patrol import PatrolScreen
from terminal.app.ui.screens.report import ReportDoneScreen, ReportScreen
from terminal.app.ui.screens.tasks import TaskScreen, TasksScreen
from terminal.app.ui.screens.visit import VisitScreen
from terminal.app.ui.screens.watch import WatchScreen
from terminal.app.ui.widgets import GridlineScreen, StatusBar

log = logging.getLogger(__name__)

# profile -> [(screen name, class, kv file)]; "home" is where each profile starts and the kiosk returns.
PROFILE_SCREENS: dict[str, list[tuple[str, type[GridlineScreen], str]]] = {
    "kiosk": [("home", KioskHomeScreen, "kiosk_home.kv"), ("report", ReportScreen, "report.kv"),
              ("checkin", CheckinScreen, "checkin.kv"), ("notices", NoticesScreen, "notices.kv"),
              ("lookup", LookupScreen, "lookup.kv"), ("report_done", ReportDoneScreen, "report_done.kv"),
              ("followup", FollowupScreen, "followup.kv"),  # follow-up: the prompt a card tap brings
              ("deliberation", DeliberationScreen, "deliberation.kv")],  # deliberation: topics, one vote per card
    "tablet": [("home", PatrolScreen, "patrol.kv"), ("report", ReportScreen, "report.kv"),
               ("checkpoint", CheckpointScreen, "checkpoint.kv"), ("hours", HoursScreen, "hours.kv"),
               ("watch", WatchScreen, "watch.kv")],  # checkpoints, the volunteer's hours, visits at the door
    "phone": [("home", TasksScreen, "tasks.kv"), ("task", TaskScreen, "task_detail.kv"),
              ("watch", WatchScreen, "watch.kv"),  # 1+1+N: the helper's watch list
              ("visit", VisitScreen, "visit.kv")],  # home visits: one record, a service case per need (issue 18)
}
# Type sizes per profile: the kiosk is read by older residents at arm's length.
TYPE_SCALE = {"kiosk": (24, 88), "tablet": (20, 64), "phone": (16, 52)}  # (font sp, touch target dp)


def screen_names(profile: str) -> list[str]:
    return [name for name, _, _ in PROFILE_SCREENS[profile]]


def load_kv(name: str) -> None:
    path = str(files("terminal.app").joinpath("kv", name))
    if path not in Builder.files:
        Builder.load_file(path)


class GridlineApp(App):
    lang = StringProperty("zh")
    base_font = NumericProperty(sp(16))
    touch = NumericProperty(dp(52))
    is_kiosk = BooleanProperty(False)

    def __init__(self, ctx: TerminalContext, *, start_screen: str = "home", screenshot: Path | None = None,
                 run_for: float | None = None, connect: bool = True, **kwargs: Any):
        """``start_screen="all"`` with ``screenshot`` a directory: one PNG per screen, ``<profile>_<screen>.png``."""
        super().__init__(**kwargs)
        self.ctx, self.start_screen, self.screenshot_path, self.run_for = ctx, start_screen, screenshot, run_for
        self.connect = connect
        self.shots_saved: list[Path] = []
        self._shot_queue: list[tuple[str, Path]] = []
        self.title = ctx.title()
        self.lang = ctx.tr.language
        font, touch = TYPE_SCALE[ctx.profile]
        self.base_font, self.touch, self.is_kiosk = sp(font), dp(touch), ctx.profile == "kiosk"
        self.shot_saved: Path | None = None

    # --- kv helpers ----------------------------------------------------------------------------
    def tr(self, key: str, *_depends: object, **values: object) -> str:
        """kv calls ``app.tr('key', app.lang)``: the second argument only makes kv re-evaluate on a switch."""
        return self.ctx.tr.t(key, **values)

    def screen(self, name: str) -> GridlineScreen:
        return self.manager.get_screen(name)

    # --- build ---------------------------------------------------------------------------------
    def build(self) -> BoxLayout:
        names = screen_names(self.ctx.profile)
        if self.start_screen == "all" and self.screenshot_path is not None:
            folder = Path(self.screenshot_path)
            self._shot_queue = [(name, folder / f"{self.ctx.profile}_{name}.png") for name in names]
            self.start_screen = names[0]
        elif self.screenshot_path is not None:
            self._shot_queue = [(self.start_screen, Path(self.screenshot_path))]
        if self.start_screen not in names:
            raise ValueError(f"profile {self.ctx.profile} has screens {', '.join(screen_names(self.ctx.profile))}, "
                             f"not {self.start_screen!r}")
        Window.clearcolor = (0.09, 0.11, 0.15, 1)
        load_kv("widgets.kv")
        root = BoxLayout(orientation="vertical")
        self.status_bar = StatusBar()
        self.manager = ScreenManager(transition=NoTransition())
        for name, cls, kv in PROFILE_SCREENS[self.ctx.profile]:
            load_kv(kv)
            self.manager.add_widget(cls(name=name))
        root.add_widget(self.status_bar)
        root.add_widget(self.manager)
        self.manager.current = self.start_screen
        self.refresh_trigger = Clock.create_trigger(lambda dt: self.refresh_now(), 0.15)
        self.ctx.on_change = self._changed_elsewhere
        Window.bind(on_touch_down=self._touched)
        Clock.schedule_interval(self._tick, 1.0)
        if self.screenshot_path is not None:
            Clock.schedule_once(self._shoot, self.run_for or 1.0)
        elif self.run_for:
            Clock.schedule_once(lambda dt: self.stop(), self.run_for)
        self.refresh_now()
        return root

    def on_start(self) -> None:
        self.ctx.start(connect=self.connect)
        self.refresh_now()

    def on_stop(self) -> None:
        self.ctx.on_change = lambda: None
        self.ctx.stop()

    # --- refreshes -------------------------------------------------------------------------------
    @mainthread
    def _changed_elsewhere(self) -> None:
        self.refresh_trigger()  # many downlinks in a burst cost one refresh

    def refresh_now(self) -> None:
        self.status_bar.show(self.ctx.status.view())
        self.manager.current_screen.refresh()

    def _tick(self, _dt: float) -> None:
        self.status_bar.show(self.ctx.status.view())
        screen = self.manager.current_screen
        if hasattr(screen, "tick"):
            screen.tick()
        if self.ctx.idle is not None and self.ctx.idle.should_go_home(self.manager.current):
            self.go_home_idle()

    def _touched(self, *_args: object) -> None:
        if self.ctx.idle is not None:
            self.ctx.idle.touched()

    def go(self, name: str) -> None:
        self.manager.current = name

    def go_home_idle(self) -> None:
        """Forget whatever the last person left half-done, then home."""
        for flow in (self.ctx.report, self.ctx.checkin):
            if flow is not None:
                flow.reset()
        for screen in self.manager.screens:
            screen.message = ""
        self.go("home")

    def toggle_language(self) -> None:
        self.lang = self.ctx.tr.toggle()
        self.title = self.ctx.title()
        self.refresh_now()

    # --- screenshots -----------------------------------------------------------------------------
    def _shoot(self, _dt: float) -> None:
        if not self._shot_queue:
            self.stop()
            return
        name, _ = self._shot_queue[0]
        self.go(name)
        self.refresh_now()
        Clock.schedule_once(self._save_shot, 0.25)  # let a few frames draw the refreshed screen

    def _save_shot(self, _dt: float) -> None:
        _, target = self._shot_queue.pop(0)
        tmp = Path(tempfile.mkdtemp(prefix="gridline-shot-"))
        # Draw this screen alone into the back buffer now and read that: after a flip the back buffer holds an
        # older frame (the one-frame switch where both screens were children), so screens came out on top of each
        # other when the picture was read from whatever was left there.
        Window.dispatch("on_draw")
        saved = Path(Window.screenshot(name=str(tmp / "shot.png")))  # kivy numbers the name; move it to ours
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(saved), target)
        shutil.rmtree(tmp, ignore_errors=True)
        self.shots_saved.append(target)
        self.shot_saved = target
        Clock.schedule_once(self._shoot, 0)
