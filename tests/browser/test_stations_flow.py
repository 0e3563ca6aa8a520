"""A resident near 淮海中路 finds the nearest open station with a reading area, on a phone.

Every page goes through visit/check_page (axe, console errors). The map tiles come from a tile
server the test can't reach: the happy path answers tile requests with a blank PNG, and a second
test lets them fail to show that the page still works without them.
"""

import base64
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from stations.models import FunctionArea, OpeningHours, Station
from stations.selectors import METRES_PER_DEGREE_LAT
from tests.browser.axe import assert_accessible
from tests.browser.helpers import check_page, console_errors, submit, visit
from tests.factories import NeighbourhoodFactory, StationFactory, StreetFactory
from tests.stations.factories import FunctionAreaFactory

# The live server runs in another thread and sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

ZH = "zh-hans"
HUAIHAI = {"latitude": 31.2190, "longitude": 121.4560}  # 淮海中路, where the resident stands
TILE_URL = "https://tiles.example.invalid/{z}/{x}/{y}.png"
TILES = re.compile(r"^https://tiles\.example\.invalid/")
BLANK_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def north(metres):
    return HUAIHAI["latitude"] + metres / METRES_PER_DEGREE_LAT, HUAIHAI["longitude"]


def station(name, slug, metres, *, reading, open_all_day, street):
    lat, lng = north(metres)
    s = StationFactory(name=name, slug=slug, latitude=lat, longitude=lng, street=street, phone="021-6433 1234")
    FunctionAreaFactory(station=s, kind=FunctionArea.Kind.READING if reading else FunctionArea.Kind.FITNESS)
    if open_all_day:
        # 00:00 to 00:00 is the whole day: the test doesn't depend on the clock.
        OpeningHours.objects.bulk_create(OpeningHours(station=s, weekday=d, opens="00:00", closes="00:00") for d in range(7))
    return s


@pytest.fixture
def stations(settings):
    settings.STATIONS_TILE_URL = TILE_URL
    settings.STATIONS_TILE_ATTRIBUTION = "© 测试地图"
    street = StreetFactory(name="湖南街道")
    return {
        "nearest": station("淮海·1298", "huaihai-1298", 120, reading=False, open_all_day=True, street=street),
        "closed": station("淮海·大隐", "huaihai-dayin", 250, reading=True, open_all_day=False, street=street),
        "target": station("梧桐·SPACE", "wutong-space", 380, reading=True, open_all_day=True, street=street),
        "far": station("梧桐·Learning", "wutong-learning", 3000, reading=True, open_all_day=True, street=street),
    }


def card_links(page):
    return page.locator("main .station-list h3 a")


def test_a_resident_finds_the_nearest_open_station_with_a_reading_area(page, live_server, stations):
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(HUAIHAI)
    page.route(TILES, lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_PNG))

    visit(page, reverse("stations:list"), lang=ZH)
    button = page.locator("[data-near-me-button]")
    expect(button).to_be_visible()
    with page.expect_navigation():
        button.click()
    check_page(page, lang=ZH)
    assert "lat=31.219" in page.url and "lng=121.456" in page.url

    # Nearest first, within the 500-metre circle: the far station isn't there.
    expect(card_links(page)).to_have_text(["淮海·1298", "淮海·大隐", "梧桐·SPACE"])
    expect(page.locator("main .station-distance")).to_have_text(["120 米", "250 米", "380 米"])

    form = page.locator("main form[role=search]")
    form.locator("[name=open]").check()
    form.locator("details.more-filters summary").click()
    form.locator("[name=area]").select_option("reading")
    submit(page, form.locator("[type=submit]"), lang=ZH)
    expect(card_links(page)).to_have_text(["梧桐·SPACE"])
    assert "lat=31.219" in page.url  # still near the resident

    with page.expect_navigation():
        card_links(page).first.click()
    check_page(page, lang=ZH)
    assert page.url == live_server.url + stations["target"].get_absolute_url()
    expect(page.locator("h1")).to_have_text("梧桐·SPACE")
    expect(page.locator(".station-status .opening-open")).to_be_visible()
    expect(page.locator(".hours-table tbody tr")).to_have_count(7)
    expect(page.locator("a[href='tel:02164331234']")).to_be_visible()
    station_map = page.locator("[data-station-map]")
    expect(station_map).to_be_visible()
    expect(station_map.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(station_map.locator(".leaflet-tile-loaded").first).to_be_attached()
    check_page(page, lang=ZH)


def test_the_map_view_marks_the_stations_found(desktop_page, live_server, stations):
    page = desktop_page
    page.route(TILES, lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_PNG))

    visit(page, reverse("stations:list") + "?view=map&area=reading", lang=ZH)
    expect(page.locator("[data-station-map] .leaflet-marker-icon")).to_have_count(3)
    expect(card_links(page)).to_have_count(3)
    page.locator("[data-station-map] .leaflet-marker-icon").first.click()
    popup_link = page.locator(".leaflet-popup-content a").first
    expect(popup_link).to_be_visible()
    assert popup_link.get_attribute("href").startswith("/stations/")
    check_page(page, lang=ZH)


def test_without_map_tiles_the_pages_still_work(page, live_server, stations):
    page.route(TILES, lambda route: route.abort())

    def check_without_tiles():
        expect(page.locator("[data-map-status]")).not_to_be_empty()  # says the background map is missing
        expect(page.locator("[data-station-map] .leaflet-marker-icon").first).to_be_visible()
        # Chromium notes each failed tile in the console; anything else would be a broken script.
        unexpected = [e for e in console_errors(page) if not e.startswith("Failed to load resource")]
        assert not unexpected, unexpected
        assert_accessible(page)

    assert page.goto(reverse("stations:list") + "?view=map").status == 200
    expect(card_links(page)).to_have_count(4)
    check_without_tiles()

    assert page.goto(stations["target"].get_absolute_url()).status == 200
    expect(page.locator(".hours-table")).to_be_visible()
    check_without_tiles()


def test_when_the_location_is_refused_the_place_picker_is_offered(page, live_server, stations):
    # No permission granted: the browser refuses the page's request for the position.
    neighbourhood = NeighbourhoodFactory(
        name="淮海居民区", street=stations["target"].street, latitude=HUAIHAI["latitude"], longitude=HUAIHAI["longitude"],
    )

    visit(page, reverse("stations:list"), lang=ZH)
    page.locator("[data-near-me-button]").click()
    status = page.locator("[data-near-me-status]")
    expect(status).not_to_be_empty()
    place = page.locator("main form[data-near-form] [name=place]")
    expect(place).to_be_focused()
    check_page(page, lang=ZH)

    place.select_option(f"n{neighbourhood.pk}")
    submit(page, page.locator("main form[data-near-form] [type=submit]"), lang=ZH)
    expect(card_links(page)).to_have_text(["淮海·1298", "淮海·大隐", "梧桐·SPACE"])


def test_the_list_works_without_javascript(browser, live_server, stations):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(reverse("stations:list") + "?view=map&kind=" + Station.Kind.BUILDING)
        expect(card_links(page)).to_have_count(4)
        expect(page.locator("[data-near-me-button]")).to_be_hidden()
        expect(page.locator("[data-station-map]")).to_be_hidden()
        expect(page.locator("main form[data-near-form] [name=place]")).to_be_visible()
    finally:
        context.close()


def test_a_crowded_map_groups_the_stations_and_a_tap_on_a_group_opens_it(desktop_page, live_server, stations, settings):
    settings.STATIONS_MAP_POINT_LIMIT = 2  # four stations are "too many": the feed groups them
    page = desktop_page
    page.route(TILES, lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_PNG))

    with page.expect_request(lambda request: "stations.geojson?bbox=" in request.url):  # the view, once it is known
        visit(page, reverse("stations:list") + "?view=map", lang=ZH)
    groups = page.locator("[data-station-map] .map-group")
    expect(groups.first).to_be_visible()
    assert re.fullmatch(r"\d+", groups.first.inner_text())
    assert "个服务站" in groups.first.get_attribute("title")
    check_page(page, lang=ZH)

    # Tapping the groups zooms in until the stations near 淮海中路 stand on their own, each with its popup.
    near = ["淮海·1298", "淮海·大隐", "梧桐·SPACE"]
    def marker(name):
        return page.locator(f"[data-station-map] .leaflet-marker-icon[title='{name}']:not(.map-group)")

    for _ in range(4):
        if all(marker(name).count() for name in near):
            break
        expect(groups.first).to_be_visible()
        with page.expect_response(lambda response: "stations.geojson?bbox=" in response.url):
            groups.first.click()
        page.wait_for_timeout(400)  # the zoom animation
    for name in near:
        expect(marker(name)).to_be_visible()
    marker("梧桐·SPACE").click()
    expect(page.locator(".leaflet-popup-content a").first).to_have_attribute("href", stations["target"].get_absolute_url())
    check_page(page, lang=ZH)
