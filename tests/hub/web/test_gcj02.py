"""WGS-84 → GCJ-02 for Chinese base maps, against published reference values (eviltransform's test points)."""
from __future__ import annotations

import pytest

from hub.web.gcj02 import gcj02_to_wgs84, out_of_china, wgs84_to_gcj02

# (wgs lat, wgs lon, gcj lat, gcj lon): Shanghai, Shenzhen, Beijing
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]
TOLERANCE_DEG = 1e-6  # ~0.1 m; the published variants differ by millimetres (earth radius constant)


@pytest.mark.parametrize("wlat,wlon,glat,glon", REFERENCE)
def test_forward_matches_reference(wlat, wlon, glat, glon):
    lat, lon = wgs84_to_gcj02(wlat, wlon)
    assert abs(lat - glat) < TOLERANCE_DEG and abs(lon - glon) < TOLERANCE_DEG


@pytest.mark.parametrize("wlat,wlon,glat,glon", REFERENCE)
def test_inverse_recovers_wgs84(wlat, wlon, glat, glon):
    lat, lon = gcj02_to_wgs84(glat, glon)
    assert abs(lat - wlat) < TOLERANCE_DEG and abs(lon - wlon) < TOLERANCE_DEG


def test_shift_in_zhuhai_is_hundreds_of_metres():
    # the sample community: the shift is what makes an unconverted pin land in the wrong street
    lat, lon = wgs84_to_gcj02(22.25, 113.52)
    metres = ((lat - 22.25) * 111_000) ** 2 + ((lon - 113.52) * 103_000) ** 2
    assert 200 < metres ** 0.5 < 800


@pytest.mark.parametrize("lat,lon", [(51.5, -0.12), (48.85, 2.35), (-33.9, 151.2)])
def test_outside_china_is_unchanged(lat, lon):
    assert out_of_china(lat, lon)
    assert wgs84_to_gcj02(lat, lon) == (lat, lon) == gcj02_to_wgs84(lat, lon)
