"""Distances are great-circle distances computed in the database, checked against an independent geodesic."""

import math

import pytest

from stations.models import FunctionArea, ThemeTag
from stations.selectors import bounding_box, station_search
from tests.factories import DistrictFactory, StationFactory, StreetFactory

pytestmark = pytest.mark.django_db

# Real places in Shanghai (WGS-84).
PEOPLES_SQUARE = (31.23040, 121.47370)
PLACES = {
    "oriental-pearl": (31.23970, 121.49980),
    "jingan-temple": (31.22340, 121.44550),
    "xujiahui": (31.19390, 121.43660),
    "hongqiao-station": (31.19430, 121.32060),
    "pudong-airport": (31.14430, 121.80830),
}


def vincenty_m(p1, p2):
    """Geodesic distance on the WGS-84 ellipsoid (Vincenty's inverse formula): an independent reference."""
    a, f = 6378137.0, 1 / 298.257223563
    b = (1 - f) * a
    lat1, lon1, lat2, lon2 = map(math.radians, (*p1, *p2))
    u1, u2 = math.atan((1 - f) * math.tan(lat1)), math.atan((1 - f) * math.tan(lat2))
    lam = big_l = lon2 - lon1
    for _ in range(200):
        sin_l, cos_l = math.sin(lam), math.cos(lam)
        sin_s = math.hypot(math.cos(u2) * sin_l, math.cos(u1) * math.sin(u2) - math.sin(u1) * math.cos(u2) * cos_l)
        cos_s = math.sin(u1) * math.sin(u2) + math.cos(u1) * math.cos(u2) * cos_l
        sigma = math.atan2(sin_s, cos_s)
        sin_alpha = math.cos(u1) * math.cos(u2) * sin_l / sin_s
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_s - 2 * math.sin(u1) * math.sin(u2) / cos2_alpha
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        prev, lam = lam, big_l + (1 - c) * f * sin_alpha * (sigma + c * sin_s * (cos_2sm + c * cos_s * (-1 + 2 * cos_2sm**2)))
        if abs(lam - prev) < 1e-12:
            break
    u_sq = cos2_alpha * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    d_sigma = big_b * sin_s * (cos_2sm + big_b / 4 * (cos_s * (-1 + 2 * cos_2sm**2)
                                                      - big_b / 6 * cos_2sm * (-3 + 4 * sin_s**2) * (-3 + 4 * cos_2sm**2)))
    return b * big_a * (sigma - d_sigma)


@pytest.fixture
def landmarks():
    return {slug: StationFactory(slug=slug, latitude=lat, longitude=lng) for slug, (lat, lng) in PLACES.items()}


def test_distances_match_the_geodesic_within_one_percent(landmarks):
    rows = station_search(near=PEOPLES_SQUARE, radius_m=50_000)
    measured = {s.slug: s.distance for s in rows}
    assert set(measured) == set(PLACES)
    for slug, point in PLACES.items():
        expected = vincenty_m(PEOPLES_SQUARE, point)
        assert measured[slug] == pytest.approx(expected, rel=0.01), slug
    # A sanity anchor: People's Square to the Oriental Pearl Tower is about 2.6 km.
    assert 2_400 < measured["oriental-pearl"] < 2_800


def test_nearest_first_and_the_radius_is_respected(landmarks):
    within_6km = [s.slug for s in station_search(near=PEOPLES_SQUARE, radius_m=6_000)]
    assert within_6km == ["oriental-pearl", "jingan-temple", "xujiahui"]
    within_3km = [s.slug for s in station_search(near=PEOPLES_SQUARE, radius_m=3_000)]
    assert within_3km == ["oriental-pearl", "jingan-temple"]
    assert [s.slug for s in station_search(near=PEOPLES_SQUARE, radius_m=500)] == []


def test_the_default_radius_is_the_500_metre_service_circle():
    StationFactory(slug="close", latitude=31.2304, longitude=121.4780)  # ~410 m east
    StationFactory(slug="far", latitude=31.2304, longitude=121.4800)  # ~600 m east
    assert [s.slug for s in station_search(near=PEOPLES_SQUARE)] == ["close"]


def test_the_bounding_box_contains_the_circle():
    lat, lng = PEOPLES_SQUARE
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, 1_000)
    assert vincenty_m((lat, lng), (max_lat, lng)) == pytest.approx(1_000, rel=0.01)
    assert vincenty_m((lat, lng), (lat, max_lng)) == pytest.approx(1_000, rel=0.01)
    assert min_lat < lat < max_lat and min_lng < lng < max_lng


def test_stations_without_coordinates_are_left_out_of_near_me():
    StationFactory(latitude=None, longitude=None)
    assert list(station_search(near=PEOPLES_SQUARE, radius_m=50_000)) == []


def test_filters_combine():
    district = DistrictFactory(name="徐汇区")
    street = StreetFactory(district=district, name="湖南街道")
    reading = StationFactory(street=street, name="梧桐·Learning", description="爱心妈咪小屋")
    FunctionArea.objects.create(station=reading, kind=FunctionArea.Kind.READING, access_mode=FunctionArea.Access.WALK_IN)
    meeting = StationFactory(street=street, name="梧桐·IAPM")
    FunctionArea.objects.create(station=meeting, kind=FunctionArea.Kind.MEETING, access_mode=FunctionArea.Access.RESERVATION)
    other = StationFactory(name="淮海·大隐")
    tag = ThemeTag.objects.create(name="阅读")
    other.theme_tags.add(tag)
    StationFactory(name="关闭的站", street=street, is_active=False)

    assert set(station_search(district=district)) == {reading, meeting}
    assert list(station_search(area_kind="reading")) == [reading]
    assert list(station_search(access_mode="reservation")) == [meeting]
    assert list(station_search(area_kind="meeting", access_mode="walk_in")) == []
    assert list(station_search(theme=tag)) == [other]
    assert set(station_search(q="梧桐")) == {reading, meeting}
    assert list(station_search(q="妈咪")) == [reading]
    assert list(station_search(q="阅读")) == [other]  # through its theme tag
    assert list(station_search(q="梧桐 IAPM")) == [meeting]  # every word must match
    assert list(station_search(q="湖南 大隐")) == []
