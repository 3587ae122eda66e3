"""Kiosk idle return, with an injected clock."""
from __future__ import annotations

import pytest

from terminal.app.presenters.idle import IdleTimer


class Ticks:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_goes_home_after_the_timeout_once_and_touches_postpone_it():
    ticks = Ticks()
    idle = IdleTimer(90, clock=ticks)
    ticks.now += 89
    assert not idle.should_go_home("report")
    idle.touched()
    ticks.now += 89
    assert not idle.should_go_home("report")
    ticks.now += 2
    assert idle.should_go_home("report")
    assert not idle.should_go_home("report")  # fired: the next spell starts now
    ticks.now += 90
    assert not idle.should_go_home("home")  # already home: nothing to do


def test_kiosk_context_uses_the_configured_timeout(make_context):
    ticks = Ticks()
    ctx = make_context(monotonic=ticks)
    assert ctx.idle.timeout_s == 90
    ticks.now += 91
    assert ctx.idle.should_go_home("checkin")


def test_timeout_must_be_positive():
    with pytest.raises(ValueError):
        IdleTimer(0)
