"""Tests of planner.io.coords (WGS-84 ⇄ GCJ-02 ⇄ BD-09) and of choose_crs/convert_geometries.

Expected values come from other implementations, never from planner itself:

* pairs published in the test suites / READMEs of three independent projects (cited
  at each table, with the commit the file was read at);
* a table of 20 points computed with ``prcoords`` 1.0.2 (PyPI, CC0, by Mingye Wang),
  and, when ``prcoords`` is installed, a live comparison on 3,000 random points;
* round trips (the inverses are iterative, so forward∘inverse must be the identity);
* UTM zone numbers worked out by hand, and pyproj's own reading of the chosen CRS.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from planner.errors import CRSError
from planner.io.coords import (
    COORD_SYSTEMS,
    convert,
    normalise_coord_system,
    out_of_china,
)
from planner.io.crs import choose_crs, convert_geometries

# --------------------------------------------------------------------------------------
# Published reference pairs
# --------------------------------------------------------------------------------------

# (src, dst, lon, lat, expected_lon, expected_lat, tolerance_deg)
# Forward transforms (wgs84→gcj02, gcj02→bd09) are closed-form and must agree to 1e-8°.
# The references compute inverses with one-step or closed-form approximations, good to a
# few 1e-7° (a few cm); planner's iterative inverses must agree within 1e-5° (≈ 1 m).
PUBLISHED = [
    # googollee/eviltransform, python/test.py, commit 3416646abc64972e899118271bd98030224d9d6c:
    # TESTS = (wgsLat, wgsLng, gcjLat, gcjLng) for Shanghai, Shenzhen, Beijing.
    ("wgs84", "gcj02", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597, 1e-8),
    ("wgs84", "gcj02", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766, 1e-8),
    ("wgs84", "gcj02", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069, 1e-8),
    # wandergis/coordtransform, README.md (npm coordtransform), commit
    # 0148136a26bbcbfb3f9aabd808d9bb401f13e9bf: results printed for (116.404, 39.915).
    ("bd09", "gcj02", 116.404, 39.915, 116.39762729119315, 39.90865673957631, 1e-5),
    ("gcj02", "bd09", 116.404, 39.915, 116.41036949371029, 39.92133699351021, 1e-8),
    ("wgs84", "gcj02", 116.404, 39.915, 116.41024449916938, 39.91640428150164, 1e-8),
    ("gcj02", "wgs84", 116.404, 39.915, 116.39775550083061, 39.91359571849836, 1e-5),
    # hujiulong/gcoord, test/unit/crs/{WGS84,GCJ02,BD09}.spec.ts, commits
    # 42ea29df479c739f9b39f9c8e939fb7ae39e5a3e and 0bb92090a8e324921888043de75e5b31854d5309:
    # transforms of [123, 45], asserted there with toBeCloseTo(…, 5).
    ("wgs84", "gcj02", 123.0, 45.0, 123.00607541, 45.00197815, 1e-5),
    ("wgs84", "bd09", 123.0, 45.0, 123.0124491, 45.0083293, 1e-5),
    ("gcj02", "wgs84", 123.0, 45.0, 122.99395597, 44.99804071, 1e-5),
    ("gcj02", "bd09", 123.0, 45.0, 123.00636499, 45.00636899, 1e-5),
    ("bd09", "gcj02", 123.0, 45.0, 122.99363304, 44.99365430, 1e-5),
    ("bd09", "wgs84", 123.0, 45.0, 122.98762210, 44.99171540, 1e-5),
]


@pytest.mark.parametrize(("src", "dst", "lon", "lat", "exp_lon", "exp_lat", "tol"), PUBLISHED)
def test_published_pairs(
    src: str, dst: str, lon: float, lat: float, exp_lon: float, exp_lat: float, tol: float
) -> None:
    out_lon, out_lat = convert([lon], [lat], src, dst)
    assert abs(out_lon[0] - exp_lon) < tol
    assert abs(out_lat[0] - exp_lat) < tol


def test_published_outside_china_unchanged() -> None:
    # gcoord GCJ02.spec.ts / WGS84.spec.ts: transform([183, 45]) equals [183, 45].
    for src, dst in [("wgs84", "gcj02"), ("gcj02", "wgs84")]:
        lon, lat = convert([183.0], [45.0], src, dst)
        assert (lon[0], lat[0]) == (183.0, 45.0)


# --------------------------------------------------------------------------------------
# An independent implementation: prcoords 1.0.2
# --------------------------------------------------------------------------------------

# Computed with prcoords 1.0.2 (pip install prcoords==1.0.2; Python 3.11) by
#   g = prcoords.wgs_gcj((lat, lon)); b = prcoords.wgs_bd((lat, lon))
# for Jinan, Weihai and Qingdao and 17 points drawn with
# numpy.random.default_rng(2024).uniform(73, 135, 17), .uniform(18, 54, 17), rounded to 1e-6.
# Columns: wgs_lon, wgs_lat, gcj_lon, gcj_lat, bd_lon, bd_lat.
# fmt: off
PRCOORDS_TABLE = [
    (117.000923, 36.675807, 117.00677020029472, 36.67607756795963, 117.01315277841384, 36.68240230154442),
    (122.12042, 37.513068, 122.12547707126981, 37.51410044715334, 122.13199060785622, 37.520010538127266),
    (120.38264, 36.067082, 120.38777309344799, 36.06735825611013, 120.39425330544978, 36.073398115477744),
    (114.901543, 46.779424, 114.9085279371805, 46.78093078253433, 114.91513894778682, 46.78661351609106),
    (86.288038, 39.485605, 86.29041883626934, 39.48611880429412, 86.2968232988877, 39.492342721856794),
    (92.186026, 29.712588, 92.18712775157651, 29.709797573501387, 92.19360505515067, 29.715835998185213),
    (122.566898, 25.428381, 122.57051120298338, 25.425452081973386, 122.57706474113179, 25.431126024229126),
    (134.73973, 33.93812, 134.74515479152475, 33.93703772803644, 134.75156412638873, 33.943321316051886),
    (81.818373, 28.00949, 81.82083852180833, 28.005719495743104, 81.82730622668156, 28.01185584287729),
    (77.880983, 49.498482, 77.88364735434158, 49.49891687042275, 77.89000251374115, 49.50514688136188),
    (84.211076, 25.673664, 84.21329471493591, 25.670468804371115, 84.21977233948138, 25.676509380663504),
    (95.298107, 27.87282, 95.29911450787453, 27.869346308105477, 95.3055885775231, 27.875506188977056),
    (83.516393, 47.058552, 83.51968018939817, 47.059430045259475, 83.52605385380465, 47.06568892124299),
    (109.503078, 27.661152, 109.50771641536062, 27.657819983998102, 109.51429491630938, 27.66351846994177),
    (111.242066, 27.650263, 111.24742204634991, 27.646962813568933, 111.25385753381433, 27.653274712775637),
    (79.533912, 20.551744, 79.53577953350187, 20.54901249019762, 79.54228049980999, 20.55508859576917),
    (108.075325, 34.819517, 108.0802786193042, 34.818651017975704, 108.08684529524264, 34.82449809250508),
    (73.287038, 27.511396, 73.29018543217373, 27.5076986307102, 73.29670321975237, 27.513707742302227),
    (101.83739, 50.001913, 101.83994574142878, 50.002853821690124, 101.84650440375368, 50.00869210585823),
    (133.488576, 28.307459, 133.49359208802844, 28.304395829246765, 133.50015800068297, 28.31001465455482),
]
# fmt: on
_TABLE = np.array(PRCOORDS_TABLE)


def test_forward_matches_prcoords_table() -> None:
    wgs_lon, wgs_lat = _TABLE[:, 0], _TABLE[:, 1]
    lon, lat = convert(wgs_lon, wgs_lat, "wgs84", "gcj02")
    np.testing.assert_allclose(lon, _TABLE[:, 2], rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat, _TABLE[:, 3], rtol=0, atol=1e-9)
    lon, lat = convert(wgs_lon, wgs_lat, "wgs84", "bd09")
    np.testing.assert_allclose(lon, _TABLE[:, 4], rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat, _TABLE[:, 5], rtol=0, atol=1e-9)
    lon, lat = convert(_TABLE[:, 2], _TABLE[:, 3], "gcj02", "bd09")
    np.testing.assert_allclose(lon, _TABLE[:, 4], rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat, _TABLE[:, 5], rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("src", "cols", "dst", "expected_cols"),
    [
        ("gcj02", (2, 3), "wgs84", (0, 1)),
        ("bd09", (4, 5), "wgs84", (0, 1)),
        ("bd09", (4, 5), "gcj02", (2, 3)),
    ],
)
def test_inverse_recovers_prcoords_inputs(
    src: str, cols: tuple[int, int], dst: str, expected_cols: tuple[int, int]
) -> None:
    """The inverse of prcoords' forward output gives back the point it started from."""
    lon, lat = convert(_TABLE[:, cols[0]], _TABLE[:, cols[1]], src, dst)
    np.testing.assert_allclose(lon, _TABLE[:, expected_cols[0]], rtol=0, atol=1e-8)
    np.testing.assert_allclose(lat, _TABLE[:, expected_cols[1]], rtol=0, atol=1e-8)


def test_matches_prcoords_on_random_points() -> None:
    """3,000 random points over China against the installed prcoords, to 1e-6 degrees."""
    prcoords = pytest.importorskip("prcoords")
    rng = np.random.default_rng(7)
    lon = rng.uniform(73.0, 135.0, 3000)
    lat = rng.uniform(18.0, 54.0, 3000)

    def reference(fn_name: str) -> tuple[np.ndarray, np.ndarray]:
        fn = getattr(prcoords, fn_name)
        out = [fn((b, a)) for a, b in zip(lon, lat, strict=True)]  # prcoords takes (lat, lon)
        return np.array([c.lon for c in out]), np.array([c.lat for c in out])

    cases = [
        ("wgs_gcj", "wgs84", "gcj02", 1e-9),
        ("wgs_bd", "wgs84", "bd09", 1e-9),
        ("gcj_bd", "gcj02", "bd09", 1e-9),
        # prcoords' iterative ("bored") inverses stop at 1e-5° steps: a few 1e-7° off.
        ("gcj_wgs_bored", "gcj02", "wgs84", 1e-6),
        ("bd_gcj_bored", "bd09", "gcj02", 1e-6),
        ("bd_wgs_bored", "bd09", "wgs84", 1e-6),
    ]
    for fn_name, src, dst, tol in cases:
        ref_lon, ref_lat = reference(fn_name)
        got_lon, got_lat = convert(lon, lat, src, dst)
        assert np.max(np.abs(got_lon - ref_lon)) < tol, fn_name
        assert np.max(np.abs(got_lat - ref_lat)) < tol, fn_name


# --------------------------------------------------------------------------------------
# Round trips, properties
# --------------------------------------------------------------------------------------

_lon = st.floats(73.0, 135.0, allow_nan=False)
_lat = st.floats(18.0, 54.0, allow_nan=False)
_points = st.lists(st.tuples(_lon, _lat), min_size=1, max_size=30)


@pytest.mark.parametrize(("a", "b"), [("wgs84", "gcj02"), ("gcj02", "bd09"), ("wgs84", "bd09")])
@settings(max_examples=200, deadline=None)
@given(points=_points)
def test_round_trip_within_1e7_degrees(a: str, b: str, points: list[tuple[float, float]]) -> None:
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    mid_lon, mid_lat = convert(lon, lat, a, b)
    back_lon, back_lat = convert(mid_lon, mid_lat, b, a)
    assert np.max(np.abs(back_lon - lon)) < 1e-7
    assert np.max(np.abs(back_lat - lat)) < 1e-7
    # and the other way round
    mid_lon, mid_lat = convert(lon, lat, b, a)
    back_lon, back_lat = convert(mid_lon, mid_lat, a, b)
    assert np.max(np.abs(back_lon - lon)) < 1e-7
    assert np.max(np.abs(back_lat - lat)) < 1e-7


def test_round_trip_on_a_grid_over_china() -> None:
    lon, lat = np.meshgrid(np.arange(73.0, 135.01, 0.25), np.arange(18.0, 54.01, 0.25))
    for a, b in [("wgs84", "gcj02"), ("gcj02", "bd09"), ("wgs84", "bd09")]:
        back_lon, back_lat = convert(*convert(lon, lat, a, b), b, a)
        assert np.max(np.abs(back_lon - lon)) < 1e-7
        assert np.max(np.abs(back_lat - lat)) < 1e-7


def test_offsets_in_shandong_are_hundreds_of_metres() -> None:
    """Sanity of magnitude: GCJ-02 moves Jinan by ~0.5 km, BD-09 by ~1.2 km (metres by hand)."""
    lon, lat = 117.0, 36.65
    g_lon, g_lat = convert(lon, lat, "wgs84", "gcj02")
    b_lon, b_lat = convert(lon, lat, "wgs84", "bd09")
    m_per_deg_lat = 111_000.0
    m_per_deg_lon = 111_000.0 * math.cos(math.radians(lat))
    d_gcj = math.hypot((g_lon - lon) * m_per_deg_lon, (g_lat - lat) * m_per_deg_lat)
    d_bd = math.hypot((b_lon - lon) * m_per_deg_lon, (b_lat - lat) * m_per_deg_lat)
    assert 300 < d_gcj < 800
    assert 800 < d_bd < 1800


OUTSIDE = [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688), (139.6917, 35.6895)]


@pytest.mark.parametrize("src", COORD_SYSTEMS)
@pytest.mark.parametrize("dst", COORD_SYSTEMS)
def test_outside_china_unchanged(src: str, dst: str) -> None:
    """Paris, New York, Sydney and Tokyo (east of 137.8347°E) are not shifted."""
    lon = np.array([p[0] for p in OUTSIDE])
    lat = np.array([p[1] for p in OUTSIDE])
    assert out_of_china(lon, lat).all()
    out_lon, out_lat = convert(lon, lat, src, dst)
    np.testing.assert_array_equal(out_lon, lon)
    np.testing.assert_array_equal(out_lat, lat)


def test_out_of_china_box_edges() -> None:
    # The box used by every implementation cited above: 72.004-137.8347 E, 0.8293-55.8271 N.
    lon = np.array([72.004, 72.0039, 137.8347, 137.8348, 100.0, 100.0, 100.0, 100.0])
    lat = np.array([30.0, 30.0, 30.0, 30.0, 0.8293, 0.8292, 55.8271, 55.8272])
    expected = [False, True, False, True, False, True, False, True]
    assert out_of_china(lon, lat).tolist() == expected


@pytest.mark.parametrize(("src", "dst"), [("wgs84", "gcj02"), ("gcj02", "wgs84"),
                                          ("gcj02", "bd09"), ("bd09", "gcj02"),
                                          ("wgs84", "bd09"), ("bd09", "wgs84")])  # fmt: skip
def test_nan_stays_nan_and_does_not_disturb_others(src: str, dst: str) -> None:
    lon = np.array([117.0, np.nan, 122.1, np.nan])
    lat = np.array([36.65, 36.0, 37.5, np.nan])
    out_lon, out_lat = convert(lon, lat, src, dst)
    assert np.isnan(out_lon[[1, 3]]).all()
    assert np.isnan(out_lat[3])
    alone_lon, alone_lat = convert(lon[[0, 2]], lat[[0, 2]], src, dst)
    np.testing.assert_allclose(out_lon[[0, 2]], alone_lon, rtol=0, atol=1e-10)
    np.testing.assert_allclose(out_lat[[0, 2]], alone_lat, rtol=0, atol=1e-10)
    assert np.isfinite(out_lon[[0, 2]]).all() and np.isfinite(out_lat[[0, 2]]).all()
    # A point missing its longitude cannot be shifted: its latitude becomes NaN too.
    assert np.isnan(out_lat[1])


@pytest.mark.parametrize("dst", ["gcj02", "bd09"])
def test_shapes_preserved_and_input_untouched(dst: str) -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(115, 123, (3, 4))
    lat = rng.uniform(34, 38, (3, 4))
    lon0, lat0 = lon.copy(), lat.copy()
    out_lon, out_lat = convert(lon, lat, "wgs84", dst)
    assert out_lon.shape == out_lat.shape == (3, 4)
    np.testing.assert_array_equal(lon, lon0)  # inputs are not modified
    np.testing.assert_array_equal(lat, lat0)
    flat_lon, flat_lat = convert(lon.ravel(), lat.ravel(), "wgs84", dst)
    np.testing.assert_array_equal(out_lon.ravel(), flat_lon)
    np.testing.assert_array_equal(out_lat.ravel(), flat_lat)
    back_lon, back_lat = convert(out_lon, out_lat, dst, "wgs84")
    assert back_lon.shape == back_lat.shape == (3, 4)
    scalar_lon, scalar_lat = convert(117.0, 36.65, "wgs84", dst)
    assert np.shape(scalar_lon) == np.shape(scalar_lat) == ()
    same_lon, _ = convert(lon, lat, "wgs84", "wgs84")
    np.testing.assert_array_equal(same_lon, lon)
    assert same_lon is not lon


def test_mismatched_shapes_raise() -> None:
    with pytest.raises(ValueError, match=r"lon and lat differ in shape: \(2,\) vs \(3,\)"):
        convert([117.0, 118.0], [36.0, 36.5, 37.0], "wgs84", "gcj02")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GCJ-02", "gcj02"),
        ("gcj02", "gcj02"),
        ("高德", "gcj02"),
        ("AMap", "gcj02"),
        ("baidu", "bd09"),
        ("BD-09", "bd09"),
        ("百度", "bd09"),
        ("EPSG:4326", "wgs84"),
        ("WGS 84", "wgs84"),
        ("wgs_84", "wgs84"),
    ],
)
def test_aliases(name: str, expected: str) -> None:
    assert normalise_coord_system(name) == expected
    got = convert([117.0], [36.65], name, "wgs84")
    want = convert([117.0], [36.65], expected, "wgs84")
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("name", ["utm50", "EPSG:3857", "", "gcj03"])
def test_unknown_system_is_crs_error(name: str) -> None:
    with pytest.raises(CRSError, match=r"unknown coordinate system .* Fix: use one of wgs84"):
        convert([117.0], [36.65], name, "wgs84")
    with pytest.raises(ValueError, match="unknown coordinate system"):  # also a ValueError
        convert([117.0], [36.65], "wgs84", name)


def test_unknown_system_message_names_where() -> None:
    with pytest.raises(CRSError, match=r"unknown coordinate system 'mars2' in markets\.csv"):
        normalise_coord_system("mars2", where="markets.csv")


# --------------------------------------------------------------------------------------
# choose_crs, convert_geometries
# --------------------------------------------------------------------------------------


def _central_meridian(crs: CRS) -> float:
    """'Longitude of natural origin' (EPSG parameter 8802) of a Transverse Mercator CRS."""
    params = crs.to_json_dict()["conversion"]["parameters"]
    return float(next(p["value"] for p in params if p["id"]["code"] == 8802))


@pytest.mark.parametrize(
    ("lon", "lat", "epsg", "zone"),
    [
        # zone = floor((lon + 180) / 6) + 1, by hand:
        (117.0, 36.65, 32650, "50N"),  # Jinan: floor(297 / 6) + 1 = 49 + 1 = 50
        (122.1, 37.5, 32651, "51N"),  # Weihai: floor(302.1 / 6) + 1 = 50 + 1 = 51
        (120.0, 36.0, 32651, "51N"),  # on the 120°E boundary: zone 51 is 120-126°E
        (119.99, 36.0, 32650, "50N"),
        (-43.2, -22.9, 32723, "23S"),  # Rio: floor(136.8 / 6) + 1 = 23, south
        (180.0, 10.0, 32660, "60N"),  # the last zone, not 61
    ],
)
def test_choose_crs_utm(lon: float, lat: float, epsg: int, zone: str) -> None:
    crs = choose_crs(lon, lat)
    assert crs.to_epsg() == epsg
    assert crs.utm_zone == zone  # pyproj's own reading of the CRS
    assert crs.name == f"WGS 84 / UTM zone {zone}"
    # The zone's central meridian (6 * zone - 183) lies within 3° of the centre.
    lon_0 = _central_meridian(crs)
    assert lon_0 == 6 * int(zone[:-1]) - 183
    assert abs(lon_0 - lon) <= 3.0


@pytest.mark.parametrize(("lon", "cm"), [(117.0, 117), (118.4, 117), (118.6, 120), (122.1, 123)])
def test_choose_crs_cgcs2000(lon: float, cm: int) -> None:
    crs = choose_crs(lon, 36.5, projection="cgcs2000")
    # EPSG:4534 is CM 75E and the codes step by one per 3°: 4534 + (cm - 75) / 3, by hand.
    assert crs.to_epsg() == 4534 + (cm - 75) // 3
    assert _central_meridian(crs) == cm
    assert crs.name == f"CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"
    assert crs.geodetic_crs is not None and crs.geodetic_crs.to_epsg() == 4490


def test_choose_crs_errors() -> None:
    with pytest.raises(CRSError, match="is not a longitude/latitude in degrees"):
        choose_crs(4_000_000.0, 500_000.0)
    with pytest.raises(CRSError, match=r"outside the CGCS2000 3-degree zones.*Fix: use projection"):
        choose_crs(2.35, 48.85, projection="cgcs2000")
    with pytest.raises(CRSError, match=r"unknown projection 'lambert'.*Fix: use 'utm'"):
        choose_crs(117.0, 36.6, projection="lambert")


def test_convert_geometries_matches_convert_on_vertices() -> None:
    shell = [(117.00, 36.60), (117.10, 36.60), (117.10, 36.70), (117.00, 36.70), (117.00, 36.60)]
    hole = [(117.03, 36.63), (117.05, 36.63), (117.05, 36.65), (117.03, 36.63)]
    geoms = [
        shapely.Polygon(shell, [hole]),
        shapely.Point(122.1, 37.5),
        shapely.LineString([(120.3, 36.0), (120.4, 36.1)]),
        None,
    ]
    out = convert_geometries(geoms, "bd09", "wgs84")
    assert out.shape == (4,)
    assert out[3] is None
    for before, after in zip(geoms[:3], out[:3], strict=True):
        assert after.geom_type == before.geom_type
        xy = shapely.get_coordinates(before)
        exp_lon, exp_lat = convert(xy[:, 0], xy[:, 1], "bd09", "wgs84")
        # The iterative inverse may take one more step in a larger batch: 1e-10° apart at most.
        np.testing.assert_allclose(
            shapely.get_coordinates(after), np.column_stack([exp_lon, exp_lat]), rtol=0, atol=1e-10
        )
    poly = out[0]
    assert len(poly.interiors) == 1
    assert poly.is_valid
    # An independent check of the direction: BD-09 lies north-east of WGS-84 in Shandong.
    assert poly.centroid.x < geoms[0].centroid.x and poly.centroid.y < geoms[0].centroid.y


def test_convert_geometries_same_system_and_alias() -> None:
    g = [shapely.Point(117.0, 36.6)]
    assert convert_geometries(g, "GCJ-02", "gcj02")[0].equals(g[0])
    with pytest.raises(CRSError, match="unknown coordinate system"):
        convert_geometries(g, "gcj02", "sogou")


def test_choose_crs_returns_projected_metres() -> None:
    crs = choose_crs(117.0, 36.65)
    assert isinstance(crs, CRS) and crs.is_projected
    assert crs.axis_info[0].unit_name == "metre"
