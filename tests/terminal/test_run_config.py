"""``gridline terminal run``'s config as a run uses it: an enrolled data dir names the device and the broker (the
demo's join commands rely on it, and on a second start without ``--enroll``); ``--data-dir`` and ``--broker``
override; a data dir whose credentials others can read is refused."""
from __future__ import annotations

import argparse
import os

import pytest

from terminal.app.config import parse_config
from terminal.cli import enrolled_config
from terminal.enroll import DeviceCredentials, save_credentials


def args(**given) -> argparse.Namespace:
    return argparse.Namespace(**({"data_dir": None, "enroll": None, "hub": None, "broker": None} | given))


@pytest.fixture
def config(tmp_path):
    return parse_config({"device_id": "kiosk-fs-01", "broker": "mqtt://127.0.0.1:1883",
                         "data_dir": str(tmp_path / "kiosk-fs-01"), "position": {"kind": "fixed", "lat": 22.25,
                                                                                  "lon": 113.52}})


def test_not_enrolled_keeps_the_config(config):
    assert enrolled_config(config, args()) == config


def test_an_enrolled_data_dir_names_the_device_and_its_broker(config, tmp_path):
    joined = tmp_path / "joined" / "kiosk-fs-join"
    save_credentials(joined, DeviceCredentials("kiosk-fs-join", "kiosk-fs-join", "pw", "mqtt://127.0.0.1:40404"))
    used = enrolled_config(config, args(data_dir=joined))
    assert (used.device_id, used.broker, used.data_dir) == ("kiosk-fs-join", "mqtt://127.0.0.1:40404", joined)
    assert enrolled_config(config, args(data_dir=joined, broker="mqtt://10.0.0.2:1883")).broker == "mqtt://10.0.0.2:1883"


def test_the_hub_it_enrolled_at_serves_the_phones_photos(config, tmp_path):
    joined = tmp_path / "joined" / "phone-fs-join"
    save_credentials(joined, DeviceCredentials("phone-fs-join", "phone-fs-join", "pw", "mqtt://127.0.0.1:40404",
                                               hub_url="http://127.0.0.1:8080"))
    assert enrolled_config(config, args(data_dir=joined)).hub_url == "http://127.0.0.1:8080"


def test_bad_enrolment_input_stops_with_a_message(config, tmp_path):
    with pytest.raises(SystemExit, match="needs --hub"):
        enrolled_config(config, args(enroll="ABCD-EFGH-JKLM"))
    with pytest.raises(SystemExit, match="cannot reach the hub"):
        enrolled_config(config, args(enroll="ABCD-EFGH-JKLM", hub="http://127.0.0.1:1"))
    leaky = tmp_path / "leaky"
    save_credentials(leaky, DeviceCredentials("kiosk-fs-join", "kiosk-fs-join", "pw", ""))
    os.chmod(leaky / "credentials.json", 0o644)
    with pytest.raises(SystemExit, match="chmod 600"):
        enrolled_config(config, args(data_dir=leaky))
