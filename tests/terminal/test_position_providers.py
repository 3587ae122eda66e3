"""Position providers: NMEA parsing and streaming, gpsd over a loopback fake daemon, fixed/simulated, config."""
from __future__ import annotations

import json
import math
import socket
import threading
from datetime import UTC, date, datetime

import pytest

from terminal.position import (
    FixedPositionProvider,
    GpsdProvider,
    NmeaProvider,
    PlyerGpsProvider,
    PositionUnavailable,
    SimulatedTrackProvider,
    haversine_m,
    position_from_config,
)
from terminal.position.nmea import NmeaError, parse_sentence, with_checksum

from .helpers import StepClock, wait_until

# The NMEA 0183 reference pair (Munich, 23 March 1994), checksums as published.
GGA = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47"
RMC = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"
# A BeiDou+GPS receiver in Beijing (Tiananmen), checksums computed.
BEIJING_GGA = with_checksum("GNGGA,020304.00,3954.4578,N,11623.7314,E,1,14,1.6,50.2,M,-8.3,M,,")
BEIJING_RMC = with_checksum("GNRMC,020304.00,A,3954.4578,N,11623.7314,E,0.8,45.0,150525,,,A,V")


def test_reference_gga_and_rmc_parse():
    gga = parse_sentence(GGA)
    assert gga.kind == "GGA" and gga.valid and gga.satellites == 8
    assert gga.lat == pytest.approx(48 + 7.038 / 60) and gga.lon == pytest.approx(11 + 31.0 / 60)
    assert gga.hdop == 0.9 and gga.accuracy_m == pytest.approx(4.5) and gga.altitude_m == 545.4
    rmc = parse_sentence(RMC)
    assert rmc.kind == "RMC" and rmc.valid and rmc.utc_date == date(1994, 3, 23)
    assert rmc.speed_mps == pytest.approx(22.4 * 0.514444) and rmc.course_deg == 84.4


def test_bad_or_missing_checksum_is_rejected():
    corrupted = GGA.replace("4807.038", "4817.038")  # one digit: 18 km north
    with pytest.raises(NmeaError, match="checksum mismatch"):
        parse_sentence(corrupted)
    with pytest.raises(NmeaError, match="missing checksum"):
        parse_sentence(GGA.split("*")[0])
    with pytest.raises(NmeaError):
        parse_sentence("GPGGA,no dollar*00")


def test_southern_western_hemispheres_and_other_sentences():
    fix = parse_sentence(with_checksum("GPGGA,000001,3351.000,S,15112.000,W,1,05,2.0,10.0,M,,M,,"))
    assert fix.lat == pytest.approx(-(33 + 51 / 60)) and fix.lon == pytest.approx(-(151 + 12 / 60))
    assert parse_sentence(with_checksum("GPGSV,3,1,11,03,03,111,00")) is None
    no_fix = parse_sentence(with_checksum("GPGGA,000001,,,,,0,00,99.9,,M,,M,,"))
    assert not no_fix.valid and no_fix.lat is None


def test_nmea_provider_merges_an_epoch_from_a_file(tmp_path):
    log = tmp_path / "receiver.nmea"
    noise = "$GPGGA,garbage*00"
    log.write_text("\r\n".join([noise, BEIJING_GGA, BEIJING_RMC, ""]))
    provider = NmeaProvider(log, clock=StepClock())
    with provider:
        assert provider.wait_fix(5) is not None
        # The GGA gives a first fix; the RMC of the same epoch completes it with speed and date.
        assert wait_until(lambda: provider.latest().speed_mps is not None, timeout=5)
    assert provider.rejected == 1
    latest = provider.latest()
    assert latest.lat == pytest.approx(39 + 54.4578 / 60) and latest.lon == pytest.approx(116 + 23.7314 / 60)
    assert latest.accuracy_m == pytest.approx(8.0)            # HDOP 1.6 x 5 m, from the GGA of the same epoch
    assert latest.speed_mps == pytest.approx(0.8 * 0.514444)  # from the RMC
    assert latest.timestamp == datetime(2025, 5, 15, 2, 3, 4, tzinfo=UTC)


def test_nmea_provider_feed_without_thread_and_rmc_alone_has_no_accuracy():
    provider = NmeaProvider([], clock=StepClock())
    fix = provider.feed(BEIJING_RMC)
    assert fix.accuracy_m is None  # no GGA for that epoch: a FixFilter will not trust it
    assert provider.feed(with_checksum("GNGGA,020305.00,,,,,0,00,99.9,,M,,M,,")) is None


class FakeGpsd:
    """A stand-in for gpsd on a free loopback port: answers WATCH with scripted JSON lines per connection."""

    def __init__(self, sessions: list[list[dict]]):
        self.sessions = sessions
        self.watch_requests: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for reports in self.sessions:
            conn, _ = self.server.accept()
            with conn:
                self.watch_requests.append(conn.recv(1024))
                for report in reports:
                    conn.sendall(json.dumps(report).encode() + b"\n")
        self.done = True

    def close(self) -> None:
        self.server.close()


def tpv(lat: float, lon: float, when: str, **extra) -> dict:
    return {"class": "TPV", "device": "/dev/ttyACM0", "mode": 3, "time": when, "lat": lat, "lon": lon, **extra}


def test_gpsd_tpv_over_loopback_and_reconnect():
    daemon = FakeGpsd([
        [{"class": "VERSION", "release": "3.25"}, {"class": "TPV", "mode": 1, "time": "2025-05-15T02:00:00.000Z"},
         tpv(22.5431, 114.0579, "2025-05-15T02:00:01.000Z", epx=3.0, epy=4.0, speed=1.1, track=90.0)],
        [tpv(22.5432, 114.0579, "2025-05-15T02:00:09.000Z", eph=12.0)],
    ])
    provider = GpsdProvider("127.0.0.1", daemon.port)
    try:
        provider.start()
        first = provider.wait_fix(5)
        assert first is not None and first.accuracy_m == pytest.approx(5.0)  # hypot(epx, epy)
        assert (first.lat, first.lon, first.speed_mps, first.heading_deg) == (22.5431, 114.0579, 1.1, 90.0)
        assert first.timestamp == datetime(2025, 5, 15, 2, 0, 1, tzinfo=UTC)
        second = provider.wait_fix(10, newer_than=first.timestamp)  # after gpsd dropped us and we reconnected
        assert second is not None and second.accuracy_m == 12.0
        assert daemon.watch_requests[0].startswith(b"?WATCH=")
    finally:
        provider.stop()
        daemon.close()


def test_gpsd_is_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        GpsdProvider("192.168.1.20")
    GpsdProvider("::1")
    GpsdProvider("localhost")


def test_fixed_and_simulated_providers():
    clock = StepClock()
    kiosk = FixedPositionProvider(22.25, 113.53, 3.0, clock=clock)
    assert kiosk.latest() is None
    with kiosk:
        assert (kiosk.latest().lat, kiosk.latest().accuracy_m, kiosk.latest().timestamp) == (22.25, 3.0, clock.now)

    start, corner, end = (22.2500, 113.5300), (22.2509, 113.5300), (22.2509, 113.5310)
    leg1 = haversine_m(*start, *corner)
    track = SimulatedTrackProvider([start, corner, end], speed_mps=1.0, clock=clock)
    with track:
        clock.advance(leg1 / 2)
        halfway = track.latest()
        assert halfway.lat == pytest.approx((start[0] + corner[0]) / 2) and halfway.lon == pytest.approx(113.53)
        assert halfway.heading_deg == pytest.approx(0.0, abs=0.01)
        clock.advance(10_000)
        assert (track.latest().lat, track.latest().lon) == end


def test_plyer_missing_is_a_clear_error():
    try:
        import plyer  # noqa: F401
    except ImportError:
        with pytest.raises(PositionUnavailable, match="plyer"):
            PlyerGpsProvider().start()
    else:
        pytest.skip("plyer installed here")


def test_position_from_config(tmp_path):
    clock = StepClock()
    assert isinstance(position_from_config({"kind": "fixed", "lat": 1, "lon": 2}, clock=clock), FixedPositionProvider)
    track = position_from_config({"kind": "simulated", "waypoints": [[1, 2], [1.001, 2]]}, clock=clock)
    assert isinstance(track, SimulatedTrackProvider)
    assert isinstance(position_from_config({"kind": "nmea", "path": str(tmp_path / "x.nmea")}), NmeaProvider)
    assert isinstance(position_from_config({"kind": "gpsd"}), GpsdProvider)
    assert isinstance(position_from_config({"kind": "plyer"}), PlyerGpsProvider)
    with pytest.raises(ValueError):
        position_from_config({"kind": "gpsd", "host": "10.0.0.1"})
    with pytest.raises(ValueError, match="unknown position kind"):
        position_from_config({"kind": "beacon"})
    assert math.isclose(haversine_m(0, 0, 0, 1), 111_195, rel_tol=1e-3)
