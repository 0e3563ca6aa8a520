"""The public station pages through the test client: list, filters, near me, map feed, a station's page.

Pages are read in English (the language cookie), so the assertions don't depend on the translations.
"""

import json
import math
import random
import time
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from portal.models import Street
from stations.hours import local_now
from stations.models import FunctionArea, OpeningException, OpeningHours, Station, ThemeTag
from stations.selectors import METRES_PER_DEGREE_LAT
from stations.templatetags.stations_extras import format_distance, opening_badge, tel
from tests.factories import BuildingFactory, DistrictFactory, NeighbourhoodFactory, StationFactory, StreetFactory
from tests.stations.factories import (
    FunctionAreaFactory,
    OpeningHoursFactory,
    ServiceItemFactory,
    StationPhotoFactory,
    TeamFactory,
    ThemeTagFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
HUAIHAI = (31.2190, 121.4560)  # 淮海中路, near 新天地
LIST = reverse("stations:list")
GEOJSON = reverse("stations:geojson")


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def north_of(point, metres):
    """A point `metres` due north of `point` (a meridian is a great circle, so the distance is exact)."""
    return point[0] + metres / METRES_PER_DEGREE_LAT, point[1]


def station_at(point, **kwargs):
    return StationFactory(latitude=point[0], longitude=point[1], **kwargs)


def open_all_day(station):
    """Open around the clock every day: the test doesn't depend on when it runs."""
    OpeningHours.objects.bulk_create(OpeningHours(station=station, weekday=d, opens=clock(0), closes=clock(0)) for d in range(7))


def names(response):
    return [s.name for s in response.context["page"].object_list]


def text(response):
    return response.content.decode()


# ---------------------------------------------------------------------------
# The list


def test_the_list_shows_active_stations_with_their_cards(client):
    district = DistrictFactory(name="徐汇区")
    station = StationFactory(
        name="梧桐·SPACE", kind=Station.Kind.BUILDING, street=StreetFactory(name="湖南街道", district=district), address="长乐路989号",
    )
    station.theme_tags.add(ThemeTagFactory(name="阅读"))
    StationFactory(name="已关闭的服务站", is_active=False)

    response = client.get(LIST)

    assert response.status_code == 200
    page = text(response)
    assert names(response) == ["梧桐·SPACE"]
    assert f'href="{station.get_absolute_url()}"' in page
    assert "Building station" in page
    assert "徐汇区 湖南街道" in page
    assert "长乐路989号" in page
    assert "阅读" in page
    assert "已关闭的服务站" not in page
    assert "1 station found" in page


def test_the_header_links_to_the_list_and_the_home_page_to_each_station(client):
    station = StationFactory(name="梧桐·SPACE")
    home = text(client.get(reverse("portal:home")))
    assert f'href="{LIST}"' in home
    assert f'href="{station.get_absolute_url()}"' in home
    listing = text(client.get(LIST))
    assert f'<a href="{LIST}" aria-current="page">' in listing


def test_pages_of_twenty(client):
    StationFactory.create_batch(25)
    first, second = client.get(LIST), client.get(LIST, {"page": 2})
    assert len(names(first)) == 20
    assert len(names(second)) == 5
    assert set(names(first)).isdisjoint(names(second))
    assert "Page 1 of 2" in text(first)


def test_page_numbers_past_the_end_show_the_last_page_and_nonsense_the_first(client):
    StationFactory.create_batch(25)
    past = client.get(LIST, {"page": 999})
    assert past.status_code == 200
    assert past.context["page"].number == 2
    nonsense = client.get(LIST, {"page": "abc"})
    assert nonsense.status_code == 200
    assert nonsense.context["page"].number == 1


def test_pagination_keeps_the_filters_but_not_the_mistakes(client):
    StationFactory.create_batch(25, kind=Station.Kind.PARK)
    page = text(client.get(LIST, {"kind": "park", "district": "abc"}))
    pagination = page[page.index('<nav class="pagination"'):]
    pagination = pagination[:pagination.index("</nav>")]
    assert "?kind=park&amp;page=2" in pagination
    assert "district=abc" not in pagination


def test_an_empty_result_says_what_to_do(client):
    StationFactory(name="梧桐·SPACE")
    page = text(client.get(LIST, {"q": "不存在的服务站"}))
    assert "No station matches your search." in page
    assert "Try other words or fewer filters." in page


# ---------------------------------------------------------------------------
# Each filter


def test_district_filter(client):
    xuhui, jingan = DistrictFactory(name="徐汇区"), DistrictFactory(name="静安区")
    StationFactory(name="徐汇站", street=StreetFactory(district=xuhui))
    StationFactory(name="静安站", street=StreetFactory(district=jingan))
    assert names(client.get(LIST, {"district": xuhui.pk})) == ["徐汇站"]


def test_street_filter(client):
    hunan, tianping = StreetFactory(name="湖南街道"), StreetFactory(name="天平街道")
    StationFactory(name="湖南站", street=hunan)
    StationFactory(name="天平站", street=tianping)
    assert names(client.get(LIST, {"street": tianping.pk})) == ["天平站"]


def test_kind_filter(client):
    StationFactory(name="楼宇站", kind=Station.Kind.BUILDING)
    StationFactory(name="居民区站", kind=Station.Kind.NEIGHBOURHOOD)
    assert names(client.get(LIST, {"kind": "neighbourhood"})) == ["居民区站"]


def test_function_area_filter(client):
    FunctionAreaFactory(station=StationFactory(name="有阅读区"), kind=FunctionArea.Kind.READING)
    FunctionAreaFactory(station=StationFactory(name="有健身区"), kind=FunctionArea.Kind.FITNESS)
    assert names(client.get(LIST, {"area": "reading"})) == ["有阅读区"]


def test_access_mode_filter(client):
    FunctionAreaFactory(station=StationFactory(name="来访制"), access_mode=FunctionArea.Access.WALK_IN)
    FunctionAreaFactory(station=StationFactory(name="预约制"), access_mode=FunctionArea.Access.RESERVATION)
    assert names(client.get(LIST, {"access": "reservation"})) == ["预约制"]


def test_theme_filter(client):
    reading = ThemeTagFactory(name="阅读")
    StationFactory(name="读书站").theme_tags.add(reading)
    StationFactory(name="公益站").theme_tags.add(ThemeTagFactory(name="微公益"))
    assert names(client.get(LIST, {"theme": reading.pk})) == ["读书站"]


def test_open_now_filter(client):
    open_all_day(StationFactory(name="全天开放"))
    StationFactory(name="没有开放时间")
    assert names(client.get(LIST, {"open": "on"})) == ["全天开放"]
    assert set(names(client.get(LIST))) == {"全天开放", "没有开放时间"}


def test_filters_combine(client):
    xuhui = DistrictFactory(name="徐汇区")
    target = StationFactory(name="徐汇阅读站", street=StreetFactory(district=xuhui), kind=Station.Kind.NEIGHBOURHOOD)
    FunctionAreaFactory(station=target, kind=FunctionArea.Kind.READING)
    other = StationFactory(name="徐汇楼宇站", street=StreetFactory(district=xuhui))
    FunctionAreaFactory(station=other, kind=FunctionArea.Kind.READING)
    assert names(client.get(LIST, {"district": xuhui.pk, "area": "reading", "kind": "neighbourhood"})) == ["徐汇阅读站"]


# ---------------------------------------------------------------------------
# Keyword search


@pytest.mark.parametrize("q", ["梧桐", "SPACE", "space", "长乐路", "话剧", "阅读"])
def test_search_matches_chinese_and_latin_substrings_of_name_address_description_and_tags(client, q):
    station = StationFactory(name="梧桐·SPACE", address="长乐路989号", description="梧桐话剧社每周排练。")
    station.theme_tags.add(ThemeTagFactory(name="阅读"))
    StationFactory(name="淮海·大隐", address="淮海中路1号")
    assert names(client.get(LIST, {"q": q})) == ["梧桐·SPACE"]


def test_every_word_of_the_search_must_match(client):
    StationFactory(name="梧桐·SPACE", address="长乐路989号")
    StationFactory(name="梧桐·IAPM", address="淮海中路999号")
    assert names(client.get(LIST, {"q": "梧桐 淮海"})) == ["梧桐·IAPM"]


def test_search_characters_are_not_patterns(client):
    StationFactory(name="梧桐·SPACE")
    assert names(client.get(LIST, {"q": "%"})) == []
    assert names(client.get(LIST, {"q": "_"})) == []


# ---------------------------------------------------------------------------
# Near me


def test_near_me_sorts_by_distance_shows_it_and_keeps_to_the_500_metre_circle(client):
    station_at(north_of(HUAIHAI, 420), name="四百米")
    station_at(north_of(HUAIHAI, 120), name="一百米")
    station_at(north_of(HUAIHAI, 1500), name="一公里半")
    StationFactory(name="没有坐标", latitude=None, longitude=None)

    response = client.get(LIST, {"lat": HUAIHAI[0], "lng": HUAIHAI[1]})

    assert names(response) == ["一百米", "四百米"]
    page = text(response)
    assert "120 m" in page
    assert "420 m" in page
    assert "Nearest first, within 500 m of your location." in page


def test_near_me_with_a_larger_radius(client):
    station_at(north_of(HUAIHAI, 1500), name="一公里半")
    station_at(north_of(HUAIHAI, 4000), name="四公里")
    station_at(north_of(HUAIHAI, 300), name="三百米")
    response = client.get(LIST, {"lat": HUAIHAI[0], "lng": HUAIHAI[1], "radius": 2000})
    assert names(response) == ["三百米", "一公里半"]
    assert "1.5 km" in text(response)
    assert names(client.get(LIST, {"lat": HUAIHAI[0], "lng": HUAIHAI[1], "radius": 5000})) == ["三百米", "一公里半", "四公里"]


def test_near_me_combines_with_the_filters(client):
    reading = station_at(north_of(HUAIHAI, 400), name="有阅读区")
    FunctionAreaFactory(station=reading, kind=FunctionArea.Kind.READING)
    station_at(north_of(HUAIHAI, 100), name="没有阅读区")
    assert names(client.get(LIST, {"lat": HUAIHAI[0], "lng": HUAIHAI[1], "area": "reading"})) == ["有阅读区"]


def test_near_a_neighbourhood_or_a_building(client):
    neighbourhood = NeighbourhoodFactory(name="淮海居民区", latitude=HUAIHAI[0], longitude=HUAIHAI[1])
    far_point = north_of(HUAIHAI, 3000)
    building = BuildingFactory(name="远处大厦", latitude=far_point[0], longitude=far_point[1])
    NeighbourhoodFactory(name="没有坐标的居民区")
    station_at(north_of(HUAIHAI, 200), name="居民区旁")
    station_at(north_of(far_point, 100), name="大厦旁")

    by_neighbourhood = client.get(LIST, {"place": f"n{neighbourhood.pk}"})
    assert names(by_neighbourhood) == ["居民区旁"]
    assert "Nearest first, within 500 m of 淮海居民区." in text(by_neighbourhood)
    assert names(client.get(LIST, {"place": f"b{building.pk}"})) == ["大厦旁"]
    # The picker lists places with coordinates only.
    picker = text(client.get(LIST))
    assert f'value="n{neighbourhood.pk}"' in picker
    assert f'value="b{building.pk}"' in picker
    assert "没有坐标的居民区" not in picker


def test_a_chosen_place_wins_over_the_phone_position(client):
    neighbourhood = NeighbourhoodFactory(latitude=HUAIHAI[0], longitude=HUAIHAI[1])
    station_at(north_of(HUAIHAI, 100), name="居民区旁")
    elsewhere = north_of(HUAIHAI, 10_000)
    assert names(client.get(LIST, {"place": f"n{neighbourhood.pk}", "lat": elsewhere[0], "lng": elsewhere[1]})) == ["居民区旁"]


def test_the_near_me_button_and_its_fallbacks_are_on_the_page(client):
    page = text(client.get(LIST))
    assert "data-near-me-button" in page
    assert "You did not allow this page to use your location." in page
    assert 'name="place"' in page
    assert 'name="radius"' in page
    for metres in (500, 1000, 2000, 5000):
        assert f'<option value="{metres}"' in page


@pytest.mark.parametrize(
    "metres, label",
    [
        (0, "0 m"), (4, "10 m"), (320, "320 m"), (324, "320 m"), (996, "1 km"), (1000, "1 km"), (1234, "1.2 km"),
        (2000, "2 km"), (9_960, "10 km"), (12_345, "12 km"),
    ],
)
def test_distance_labels(metres, label):
    assert format_distance(metres) == label


def test_phone_numbers_become_tel_targets():
    assert tel("021-6433 1234") == "02164331234"
    assert tel("+86 21 6433-1234") == "+862164331234"


# ---------------------------------------------------------------------------
# The opening badge, in Shanghai time


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)  # 2 March 2026 is a Monday


@pytest.fixture
def weekday_station():
    station = StationFactory()
    for weekday in range(5):
        OpeningHoursFactory(station=station, weekday=weekday, opens="09:00", closes="12:00")
        OpeningHoursFactory(station=station, weekday=weekday, opens="13:00", closes="17:00")
    return station


@pytest.mark.parametrize(
    "now, state, label",
    [
        (at(2, 10), "open", "Open · closes at 12:00"),
        (at(2, 12, 30), "closed", "Closed · opens at 13:00"),
        (at(2, 14), "open", "Open · closes at 17:00"),
        (at(2, 8), "closed", "Closed · opens at 09:00"),
        (at(2, 18), "closed", "Closed · opens tomorrow at 09:00"),
        (at(6, 18), "closed", "Closed · opens Monday at 09:00"),
        # The server's clock is UTC; 02:00 UTC on Monday is 10:00 in Shanghai.
        (datetime(2026, 3, 2, 2, 0, tzinfo=ZoneInfo("UTC")), "open", "Open · closes at 12:00"),
    ],
)
def test_opening_badge(weekday_station, now, state, label):
    with translation.override("en"):
        badge = opening_badge(Station.objects.prefetch_related("opening_hours", "opening_exceptions").get(pk=weekday_station.pk), now)
    assert (badge.state, badge.text) == (state, label)


@translation.override("en")
def test_opening_badge_for_evenings_holidays_and_stations_without_hours():
    evening = StationFactory()
    OpeningHoursFactory(station=evening, weekday=0, opens="18:00", closes="00:00")
    assert opening_badge(evening, at(2, 20)).text == "Open · closes at 24:00"

    always = StationFactory()
    open_all_day(always)
    assert opening_badge(always, at(2, 20)).text == "Open · 24 hours"

    holiday = StationFactory()
    OpeningHoursFactory(station=holiday, weekday=0, opens="09:00", closes="17:00")
    OpeningHoursFactory(station=holiday, weekday=1, opens="09:00", closes="17:00")
    OpeningException.objects.create(station=holiday, date=at(2, 0).date(), is_closed=True, reason="清明节")
    assert opening_badge(holiday, at(2, 10)).text == "Closed · opens tomorrow at 09:00"

    assert opening_badge(StationFactory(), at(2, 10)).text == "Opening hours not listed"


def test_cards_show_the_opening_badge(client):
    open_all_day(StationFactory(name="全天开放"))
    StationFactory(name="没有开放时间")
    page = text(client.get(LIST))
    assert "Open · 24 hours" in page
    assert "Opening hours not listed" in page


# ---------------------------------------------------------------------------
# The map feed


def test_geojson_feed(client):
    station = StationFactory(
        name="梧桐·SPACE", slug="wutong-space", kind=Station.Kind.BUILDING, address="长乐路989号",
        street=StreetFactory(name="湖南街道", district=DistrictFactory(name="徐汇区")), latitude=31.2196, longitude=121.4509,
    )
    StationFactory(is_active=False)
    StationFactory(latitude=None, longitude=None)

    response = client.get(GEOJSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "max-age=300" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert data["features"] == [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [121.4509, 31.2196]},
            "properties": {
                "name": "梧桐·SPACE",
                "url": station.get_absolute_url(),
                "kind": "Building station",
                "address": "长乐路989号",
                "street": "湖南街道",
                "district": "徐汇区",
            },
        }
    ]


def test_geojson_feed_takes_the_list_filters(client):
    StationFactory(name="楼宇站", kind=Station.Kind.BUILDING)
    StationFactory(name="园区站", kind=Station.Kind.PARK)
    station_at(north_of(HUAIHAI, 100), name="附近的园区站", kind=Station.Kind.PARK)
    features = json.loads(client.get(GEOJSON, {"kind": "park"}).content)["features"]
    assert {f["properties"]["name"] for f in features} == {"园区站", "附近的园区站"}
    near = json.loads(client.get(GEOJSON, {"kind": "park", "lat": HUAIHAI[0], "lng": HUAIHAI[1]}).content)["features"]
    assert [f["properties"]["name"] for f in near] == ["附近的园区站"]
    # Bad values are left out here too.
    assert len(json.loads(client.get(GEOJSON, {"kind": "nonsense", "lat": "abc"}).content)["features"]) == 3


def feed(client, **params):
    return json.loads(client.get(GEOJSON, params).content)


def east_of(point, metres):
    return point[0], point[1] + metres / (METRES_PER_DEGREE_LAT * math.cos(math.radians(point[0])))


@pytest.fixture
def crowded(settings):
    """Four stations within 100 m at 淮海中路, one at 陆家嘴 and one at 松江, with the map taking three one by one."""
    settings.STATIONS_MAP_POINT_LIMIT = 3
    huaihai = [station_at(east_of(HUAIHAI, 30 * i), name=f"淮海{i}号站", kind=Station.Kind.BUILDING) for i in range(4)]
    lujiazui = station_at((31.2397, 121.4998), name="陆家嘴站", kind=Station.Kind.PARK)
    songjiang = station_at((31.0322, 121.2277), name="松江站", kind=Station.Kind.BUILDING)
    return {"huaihai": huaihai, "lujiazui": lujiazui, "songjiang": songjiang}


def test_a_crowded_map_gets_stations_close_together_as_one_group(client, crowded):
    data = feed(client)

    assert data["grouped"] is True
    (group,) = [f for f in data["features"] if "count" in f["properties"]]
    assert group["properties"] == {"count": 4}
    lngs = [s.longitude for s in crowded["huaihai"]]
    assert group["bbox"] == [round(min(lngs), 6), HUAIHAI[0], round(max(lngs), 6), HUAIHAI[0]]
    assert group["geometry"]["coordinates"] == [pytest.approx(sum(lngs) / 4, abs=1e-6), pytest.approx(HUAIHAI[0])]
    # A station alone in its square comes as itself, with its link.
    singles = {f["properties"]["name"]: f["properties"]["url"] for f in data["features"] if "count" not in f["properties"]}
    assert singles == {"陆家嘴站": crowded["lujiazui"].get_absolute_url(), "松江站": crowded["songjiang"].get_absolute_url()}
    # The collection spans them all, so the map can show the whole set before it asks for its view.
    assert data["bbox"] == [121.2277, 31.0322, 121.4998, 31.2397]


def test_zoomed_in_on_a_group_the_map_gets_its_stations_one_by_one(client, crowded):
    south, north = north_of(HUAIHAI, -200)[0], north_of(HUAIHAI, 200)[0]
    west, east = east_of(HUAIHAI, -200)[1], east_of(HUAIHAI, 300)[1]
    inside = feed(client, bbox=f"{west},{south},{east},{north}", zoom=17)
    # Four stations in view, more than the three the map takes: at zoom 17 (squares of 0.0007°, about 70 m)
    # they fall in two squares of two.
    assert inside["grouped"] is True
    assert sorted(f["properties"]["count"] for f in inside["features"]) == [2, 2]

    two = feed(client, bbox=f"{west},{south},{east_of(HUAIHAI, 45)[1]},{north}", zoom=17)
    assert two["grouped"] is False
    assert {f["properties"]["name"] for f in two["features"]} == {"淮海0号站", "淮海1号站"}


def test_the_view_and_the_filters_narrow_the_feed_together(client, crowded):
    pudong = "121.45,31.2,121.6,31.3"
    assert [f["properties"]["name"] for f in feed(client, bbox=pudong, kind="park")["features"]] == ["陆家嘴站"]
    assert {f["properties"].get("count") for f in feed(client, bbox=pudong, kind="building")["features"]} == {4}
    empty = feed(client, bbox="100,10,101,11")
    assert (empty["features"], empty["grouped"], "bbox" in empty) == ([], False, False)


@pytest.mark.parametrize("junk", [
    {"bbox": "abc"}, {"bbox": "121,31,122"}, {"bbox": "121,31,122,32,5"}, {"bbox": "122,31,121,32"},
    {"bbox": "nan,31,122,32"}, {"bbox": "121,31,inf,32"}, {"bbox": "-200,31,122,32"}, {"bbox": "121,32,122,31"},
    {"zoom": "-1"}, {"zoom": "99"}, {"zoom": "ten"}, {"zoom": "1e3"}, {"bbox": "", "zoom": ""},
])
def test_a_view_or_zoom_that_makes_no_sense_is_left_out(client, crowded, junk):
    response = client.get(GEOJSON, junk)
    assert response.status_code == 200
    assert json.loads(response.content) == feed(client)


def test_the_feed_costs_the_same_queries_for_six_stations_as_for_six_hundred(client, settings, crowded):
    def queries(**params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(GEOJSON, params).status_code == 200
        return len(captured)

    few = (queries(), queries(zoom=18), queries(kind="park"))
    for i in range(600):
        station_at((31.0 + (i % 30) * 0.03, 121.1 + (i // 30) * 0.05), name=f"站{i}")
    many = (queries(), queries(zoom=18), queries(kind="park"))
    assert few == many
    assert max(many) <= 2
    assert len(feed(client)["features"]) < 300  # grouped: the whole city doesn't come one station at a time


def test_the_map_view_points_the_map_at_the_feed_with_the_same_filters(client):
    StationFactory(kind=Station.Kind.PARK)
    page = text(client.get(LIST, {"view": "map", "kind": "park"}))
    assert f'data-geojson-url="{GEOJSON}?kind=park"' in page
    assert "leaflet.js" in page
    assert 'data-tile-url="' in page
    # The list stays on the page under the map, for people and for when the map can't load.
    assert 'class="station-list"' in page
    assert "leaflet.js" not in text(client.get(LIST))


def test_tile_server_comes_from_settings(client, settings):
    settings.STATIONS_TILE_URL = "https://tiles.example.cn/{z}/{x}/{y}.png"
    settings.STATIONS_TILE_ATTRIBUTION = "© 示例地图"
    page = text(client.get(LIST, {"view": "map"}))
    assert 'data-tile-url="https://tiles.example.cn/{z}/{x}/{y}.png"' in page
    assert 'data-tile-attribution="© 示例地图"' in page
    # GCJ-02 tiles (the default, AutoNavi) shift the markers; WGS-84 tiles must not.
    settings.STATIONS_TILE_GCJ02 = False
    assert "data-tile-gcj02" not in text(client.get(LIST, {"view": "map"}))
    settings.STATIONS_TILE_GCJ02 = True
    assert "data-tile-gcj02" in text(client.get(LIST, {"view": "map"}))


# ---------------------------------------------------------------------------
# A station's page


def test_station_page_shows_everything_a_visitor_needs(client):
    station = StationFactory(
        name="梧桐·SPACE", slug="wutong-space", phone="021-6433 1234", address="长乐路989号", description="面向白领开放。",
    )
    station.theme_tags.add(ThemeTagFactory(name="传统文化"))
    open_all_day(station)
    FunctionAreaFactory(station=station, kind=FunctionArea.Kind.READING, access_mode=FunctionArea.Access.WALK_IN, capacity=20)
    FunctionAreaFactory(station=station, kind=FunctionArea.Kind.MEETING, name="多功能厅", access_mode=FunctionArea.Access.RESERVATION)
    TeamFactory(station=station, name="梧桐话剧社", schedule="每周三 19:00–21:00", how_to_join="到前台登记")
    ServiceItemFactory(station=station, name="法律咨询", how_to_get="提前一天电话预约")
    StationPhotoFactory(station=station, caption="阅读区一角")
    StationPhotoFactory(station=station, caption="")

    response = client.get(station.get_absolute_url())

    assert response.status_code == 200
    page = text(response)
    assert "<h1>梧桐·SPACE</h1>" in page
    assert 'href="tel:02164331234"' in page
    assert "长乐路989号" in page
    assert "面向白领开放。" in page
    assert "Open · 24 hours" in page
    assert page.count("00:00–24:00") == 7  # the whole week
    assert "Reading area" in page
    assert "Walk in" in page
    assert "Room for 20 people" in page
    assert "多功能厅" in page
    assert "By reservation" in page
    assert "梧桐话剧社" in page
    assert escape("每周三 19:00–21:00") in page
    assert "到前台登记" in page
    assert "法律咨询" in page
    assert "提前一天电话预约" in page
    assert 'alt="阅读区一角"' in page
    assert 'alt="梧桐·SPACE"' in page  # no caption: the station's name
    assert "传统文化" in page
    assert 'data-station-map' in page


def test_station_page_explains_todays_holiday(client):
    station = StationFactory()
    OpeningHoursFactory(station=station, weekday=local_now().weekday(), opens="09:00", closes="17:00")
    OpeningException.objects.create(station=station, date=local_now().date(), is_closed=True, reason="国庆节")
    page = text(client.get(station.get_absolute_url()))
    assert "Closed all day today: 国庆节." in page


def test_station_page_explains_todays_special_hours(client):
    station = StationFactory()
    OpeningException.objects.create(station=station, date=local_now().date(), is_closed=False, opens="10:00", closes="15:00", reason="调休")
    page = text(client.get(station.get_absolute_url()))
    assert "Special opening hours today: 调休." in page
    assert "10:00–15:00" in page


def test_station_page_without_hours_location_or_extras(client):
    station = StationFactory(latitude=None, longitude=None, phone="")
    page = text(client.get(station.get_absolute_url()))
    assert "has not listed its opening hours yet" in page
    assert "data-station-map" not in page
    assert "tel:" not in page
    for heading in ("Function areas", "Teams and clubs", "Service menu", "Photos"):
        assert heading not in page


def test_unknown_and_inactive_stations_are_not_found(client):
    gone = StationFactory(is_active=False)
    assert client.get(reverse("stations:detail", args=["no-such-station"])).status_code == 404
    assert client.get(gone.get_absolute_url()).status_code == 404


# ---------------------------------------------------------------------------
# Bad input never fails the page


@pytest.mark.parametrize(
    "params, message",
    [
        ({"kind": "nonsense"}, "Kind of station: Select a valid choice."),
        ({"district": "abc"}, "District: Select a valid choice."),
        ({"district": "999999"}, "District: Select a valid choice."),
        ({"street": "-1"}, "Street or town: Select a valid choice."),
        ({"theme": "zzz"}, "Theme: Select a valid choice."),
        ({"area": "pool"}, "Has a function area: Select a valid choice."),
        ({"access": "vip"}, "Access: Select a valid choice."),
        ({"lat": "abc", "lng": "121.45"}, "The latitude must be a number between -90 and 90"),
        ({"lat": "95", "lng": "121.45"}, "The latitude must be a number between -90 and 90"),
        ({"lat": "nan", "lng": "121.45"}, "The latitude must be a number between -90 and 90"),
        ({"lat": "31.2", "lng": "200"}, "The longitude must be a number between -180 and 180"),
        ({"lat": "31.2", "lng": "-inf"}, "The longitude must be a number between -180 and 180"),
        ({"lat": "31.2"}, "The location needs both a latitude and a longitude"),
        ({"lng": "121.45"}, "The location needs both a latitude and a longitude"),
        ({"lat": "31.215", "lng": "121.445", "radius": "-5"}, "Within: Choose one of the distances in the list."),
        ({"lat": "31.215", "lng": "121.445", "radius": str(10**9)}, "Within: Choose one of the distances in the list."),
        ({"place": "n999999"}, "That neighbourhood or building is not on the list"),
        ({"place": "x1"}, "That neighbourhood or building is not on the list"),
        ({"q": "梧桐 " * 30}, "Your search was too long: only its first words were used."),
    ],
)
def test_bad_parameters_are_left_out_and_explained(client, params, message):
    StationFactory(name="梧桐·SPACE")
    response = client.get(LIST, params)
    assert response.status_code == 200
    page = text(response)
    assert escape(message) in page
    assert "Some of your search could not be used and was left out" in page
    assert names(response) == ["梧桐·SPACE"]  # the rest of the search still ran (and nothing matched nothing)


def test_a_bad_radius_falls_back_to_500_metres(client):
    station_at(north_of(HUAIHAI, 300), name="三百米")
    station_at(north_of(HUAIHAI, 800), name="八百米")
    response = client.get(LIST, {"lat": HUAIHAI[0], "lng": HUAIHAI[1], "radius": "-5"})
    assert names(response) == ["三百米"]


def test_a_five_megabyte_search_is_cut_short(client):
    StationFactory(name="梧桐·SPACE")
    response = client.get(LIST, {"q": "梧" * (5 * 1024 * 1024)})
    # Redirected to the understood part, so the page never repeats the five megabytes.
    assert response.status_code == 302
    assert len(response["Location"]) < 2048
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert len(response.context["filterset"].data["q"]) == 100
    assert len(response.content) < 100_000


def test_a_long_search_of_many_words_uses_the_first_ten(client):
    StationFactory(name="梧桐·SPACE")
    response = client.get(LIST, {"q": " ".join(["梧桐"] * 50)})
    assert response.status_code == 200
    assert response.context["filterset"].data["q"] == " ".join(["梧桐"] * 10)
    assert names(response) == ["梧桐·SPACE"]


def test_a_huge_query_string_on_the_feed_and_the_station_page_does_not_fail(client):
    station = StationFactory()
    huge = "9" * (5 * 1024 * 1024)
    assert client.get(GEOJSON, {"district": huge, "lat": huge, "q": huge}).status_code == 200
    assert client.get(station.get_absolute_url(), {"x": "y"}).status_code == 200


def test_repeated_parameters_take_the_last_value(client):
    StationFactory(name="园区站", kind=Station.Kind.PARK)
    StationFactory(name="楼宇站", kind=Station.Kind.BUILDING)
    assert names(client.get(f"{LIST}?kind=nonsense&kind=park")) == ["园区站"]


def test_only_get_and_head(client):
    assert client.post(LIST).status_code == 405
    assert client.head(LIST).status_code == 200


# ---------------------------------------------------------------------------
# Query counts: the same for 50 stations as for 5,000


def make_stations(count, streets, tags, start=0):
    """`count` active stations around Shanghai with tags, areas and hours, inserted in bulk."""
    rng = random.Random(start)
    stations = Station.objects.bulk_create(
        Station(
            name=f"服务站{start + i}",
            slug=f"bulk-{start + i}",
            kind=rng.choice(Station.Kind.values),
            street=streets[i % len(streets)],
            address=f"测试路{start + i}号",
            latitude=HUAIHAI[0] + rng.uniform(-0.2, 0.2),
            longitude=HUAIHAI[1] + rng.uniform(-0.2, 0.2),
            description="梧桐" if i % 7 == 0 else "",
        )
        for i in range(count)
    )
    if not all(s.pk for s in stations):  # bulk_create returns no ids on backends that can't
        stations = list(Station.objects.filter(slug__startswith="bulk-").order_by("pk")[start:start + count])
    Through = Station.theme_tags.through
    Through.objects.bulk_create(Through(station=s, themetag=tags[i % len(tags)]) for i, s in enumerate(stations) if i % 3 == 0)
    FunctionArea.objects.bulk_create(
        FunctionArea(station=s, kind=FunctionArea.Kind.READING if i % 2 else FunctionArea.Kind.MEETING) for i, s in enumerate(stations)
    )
    # A quarter without hours, a quarter open all day (so "open now" finds some whatever the time), half 9 to 5.
    OpeningHours.objects.bulk_create(
        OpeningHours(station=s, weekday=d, opens=clock(0 if i % 4 == 1 else 9), closes=clock(0 if i % 4 == 1 else 17))
        for i, s in enumerate(stations) if i % 4
        for d in range(7)
    )
    today = local_now().date()
    OpeningException.objects.bulk_create(
        OpeningException(station=s, date=today + timedelta(days=1), reason="调休") for i, s in enumerate(stations) if i % 10 == 0
    )
    return stations


PAGES = {
    "list": (LIST, {}),
    "list, filtered": (LIST, {"q": "梧桐", "area": "reading", "open": "on"}),
    "near me": (LIST, {"lat": HUAIHAI[0], "lng": HUAIHAI[1], "radius": 5000}),
    "near a place": (LIST, {"place": "PLACE", "radius": 5000}),
    "map view": (LIST, {"view": "map", "district": "DISTRICT"}),
    "map feed": (GEOJSON, {}),
    "map feed, near me": (GEOJSON, {"lat": HUAIHAI[0], "lng": HUAIHAI[1], "radius": 5000, "theme": "THEME"}),
    "station page": ("DETAIL", {}),
}
# Upper bounds, so a new query on any of these pages is noticed. The list: count, page, its themes, hours and
# exceptions (3 prefetches), the district, street and theme pickers, and the neighbourhoods and buildings of the
# place picker. Validating a chosen district or theme costs one more. A station's page: itself and 7 prefetches.
# The map feed: its squares, then the stations shown one by one (none to fetch when every square holds several).
MAX_QUERIES = {
    "list": 10, "list, filtered": 10, "near me": 10, "near a place": 10, "map view": 11,
    "map feed": 2, "map feed, near me": 3, "station page": 8,
}
GROUPING = ("map feed", "map feed, near me")  # with more stations, fewer come one by one: the same or one query less


def query_counts(client, fixtures):
    counts = {}
    for name, (url, params) in PAGES.items():
        url = fixtures["detail"] if url == "DETAIL" else url
        params = {k: fixtures.get(v, v) if isinstance(v, str) else v for k, v in params.items()}
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


def test_every_page_costs_the_same_queries_for_50_and_5000_stations(client):
    districts = [DistrictFactory(name=f"{n}区") for n in ("黄浦", "徐汇", "长宁", "静安", "普陀")]
    streets = [StreetFactory(district=d) for d in districts for _ in range(4)]
    tags = [ThemeTag.objects.create(name=n) for n in ("传统文化", "微公益", "美好生活", "阅读")]
    NeighbourhoodFactory.create_batch(5, latitude=HUAIHAI[0], longitude=HUAIHAI[1])
    BuildingFactory.create_batch(5, latitude=HUAIHAI[0], longitude=HUAIHAI[1])
    stations = make_stations(50, streets, tags)
    fixtures = {
        "PLACE": f"n{NeighbourhoodFactory(latitude=HUAIHAI[0], longitude=HUAIHAI[1]).pk}",
        "DISTRICT": districts[1].pk,
        "THEME": tags[0].pk,
        "detail": stations[0].get_absolute_url(),
    }
    TeamFactory(station=stations[0])
    ServiceItemFactory(station=stations[0])

    few = query_counts(client, fixtures)
    make_stations(4950, streets, tags, start=50)
    assert Station.objects.count() == 5000
    many = query_counts(client, fixtures)

    print("\nqueries per page with 50 / 5,000 stations:", {name: (few[name], many[name]) for name in PAGES})
    assert {n: c for n, c in many.items() if n not in GROUPING} == {n: c for n, c in few.items() if n not in GROUPING}
    assert all(few[name] - 1 <= many[name] <= few[name] for name in GROUPING)
    for name, count in many.items():
        assert count <= MAX_QUERIES[name], f"{name}: {count} queries"

    start = time.perf_counter()
    response = client.get(LIST)
    list_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    near = client.get(LIST, {"lat": HUAIHAI[0], "lng": HUAIHAI[1], "radius": 5000})
    near_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    feed = client.get(GEOJSON)
    feed_ms = (time.perf_counter() - start) * 1000
    print(
        f"5,000 stations on {connection.vendor}: list {list_ms:.0f} ms, near me {near_ms:.0f} ms "
        f"({near.context['page'].paginator.count} within 5 km), map feed {feed_ms:.0f} ms ({len(feed.content) // 1024} KiB)"
    )
    assert response.context["page"].paginator.count == 5000
    # Grouped: every station is on the map, in a few hundred features at most.
    features = json.loads(feed.content)["features"]
    assert sum(f["properties"].get("count", 1) for f in features) == 5000
    assert len(features) <= 300


def test_page_query_counts_do_not_grow_with_rows_on_the_page(client, django_assert_max_num_queries):
    streets = list(Street.objects.all()) or [StreetFactory()]
    tags = [ThemeTag.objects.create(name="阅读")]
    make_stations(60, streets, tags)
    with django_assert_max_num_queries(MAX_QUERIES["list"]):
        assert client.get(LIST).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES["near me"]):
        assert client.get(LIST, {"lat": HUAIHAI[0], "lng": HUAIHAI[1], "radius": 5000}).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES["map feed"]):
        assert client.get(GEOJSON).status_code == 200
