"""A city has thousands of stations and places: no drop-down and no lunch page lists them all at once."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.filters import MAX_CHOICES
from portal.models import Neighbourhood
from stations.models import Station
from tests.factories import DistrictFactory, StationFactory, StreetFactory
from tests.lunch import factories as lf

pytestmark = pytest.mark.django_db


def _options(html, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no {name} drop-down"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.fixture
def many_stations():
    """More stations than a drop-down lists, in two districts; the first district alone has few."""
    small, large = DistrictFactory(name="黄浦区"), DistrictFactory(name="浦东新区")
    small_street, large_street = StreetFactory(district=small), StreetFactory(district=large)
    few = [StationFactory(street=small_street, name=f"外滩服务站{n}") for n in range(3)]
    Station.objects.bulk_create(
        Station(name=f"浦东服务站{n:03}", slug=f"pudong-{n}", street=large_street, kind=Station.Kind.BUILDING, address="浦东路")
        for n in range(MAX_CHOICES + 5)
    )
    return small, few


@pytest.mark.parametrize("url_name", ["events:list", "wishes:wall"])
def test_a_city_of_stations_is_not_one_drop_down(client, many_stations, url_name):
    _small, few = many_stations
    page = client.get(reverse(url_name)).content.decode()
    assert _options(page, "station") == [""]
    assert "first, then a station from the list" in page or "再从列表中选择服务站" in page


def test_the_chosen_station_stays_listed_and_filters(client, many_stations):
    _small, few = many_stations
    page = client.get(reverse("events:list"), {"station": few[0].pk}).content.decode()
    assert _options(page, "station") == ["", str(few[0].pk)]


def test_a_district_narrows_the_station_list(client, many_stations):
    small, few = many_stations
    page = client.get(reverse("events:list"), {"district": small.pk}).content.decode()
    assert sorted(_options(page, "station")) == sorted(["", *(str(s.pk) for s in few)])


def test_a_street_narrows_the_wall_station_list(client, many_stations):
    _small, few = many_stations
    page = client.get(reverse("wishes:wall"), {"street": few[0].street_id}).content.decode()
    assert sorted(_options(page, "station")) == sorted(["", *(str(s.pk) for s in few)])


def _assert_waits_for_a_narrower_filter(client, url_name, name, *, hint, narrow, few, chosen):
    """Too many choices: the `name` drop-down of `url_name` offers none and says how to narrow it (English or Chinese
    `hint`); narrowed by `narrow`, it lists `few`; with `chosen` picked, it lists that one."""
    page = client.get(reverse(url_name)).content.decode()
    assert _options(page, name) == [""]
    assert hint[0] in page or hint[1] in page
    narrowed = client.get(reverse(url_name), narrow).content.decode()
    assert sorted(_options(narrowed, name)) == sorted(["", *(str(row.pk) for row in few)])
    assert _options(client.get(reverse(url_name), {name: chosen.pk}).content.decode(), name) == ["", str(chosen.pk)]


def test_a_city_of_campaigns_waits_for_a_street_on_the_wall(client):
    """Hundreds of campaigns over the years: the wall lists a street's own, or the one chosen; a few are all listed."""
    from tests.wishes.factories import wish
    from wishes.models import Campaign

    today = timezone.localdate()
    quiet, busy = StreetFactory(), StreetFactory()
    stations = {street: StationFactory(street=street) for street in (quiet, busy)}

    def campaign(street, n):
        made = Campaign.objects.create(name=f"心愿季{street.pk}-{n:03}", street=street, starts_on=today, ends_on=today + timedelta(days=30))
        wish(station=stations[street], campaign=made)  # on the wall
        return made

    few = [campaign(quiet, n) for n in range(2)]
    assert sorted(_options(client.get(reverse("wishes:wall")).content.decode(), "campaign")) == sorted(["", *(str(c.pk) for c in few)])

    many = [campaign(busy, n) for n in range(MAX_CHOICES)]
    _assert_waits_for_a_narrower_filter(client, "wishes:wall", "campaign", hint=("a campaign from the list", "选择主题活动"),
                                        narrow={"street": quiet.pk}, few=few, chosen=many[7])


def test_a_city_of_streets_waits_for_a_district_on_the_station_list(client):
    small, large = DistrictFactory(name="黄浦区"), DistrictFactory(name="浦东新区")
    few = [StreetFactory(district=small) for _ in range(3)]
    assert sorted(_options(client.get(reverse("stations:list")).content.decode(), "street")) == sorted(["", *(str(s.pk) for s in few)])

    many = [StreetFactory(district=large) for _ in range(MAX_CHOICES)]
    _assert_waits_for_a_narrower_filter(client, "stations:list", "street", hint=("a street or town from the list", "选择街道或镇"),
                                        narrow={"district": small.pk}, few=few, chosen=many[5])


def test_a_few_stations_are_all_listed(client):
    stations = [StationFactory() for _ in range(4)]
    page = client.get(reverse("events:list")).content.decode()
    assert sorted(_options(page, "station")) == sorted(["", *(str(s.pk) for s in stations)])


def test_places_wait_for_a_street_when_a_city_has_thousands(client):
    crowded, quiet = StreetFactory(), StreetFactory()
    Neighbourhood.objects.bulk_create(
        Neighbourhood(street=crowded, name=f"小区{n:03}", latitude="31.2", longitude="121.4") for n in range(MAX_CHOICES + 1)
    )
    home = Neighbourhood.objects.create(street=quiet, name="华庭居民区", latitude="31.21", longitude="121.41")
    everywhere = client.get(reverse("stations:list")).content.decode()
    assert _options(everywhere, "place") == [""]
    assert "再从列表中选择地点" in everywhere
    narrowed = client.get(reverse("stations:list"), {"street": quiet.pk}).content.decode()
    assert _options(narrowed, "place") == ["", f"n{home.pk}"]
    # A link "near this place" works whatever the list shows, and the place stays chosen.
    near = client.get(reverse("stations:list"), {"place": f"n{home.pk}"}).content.decode()
    assert _options(near, "place") == ["", f"n{home.pk}"]
    assert "华庭居民区" in near


def test_all_pickup_points_of_a_city_are_not_one_page(client):
    street = StreetFactory()
    seller = lf.merchant(street=street)
    day = timezone.localdate() + timedelta(days=1)
    points = [lf.point(street=street, name=f"午餐点{n:02}") for n in range(13)]
    lf.offer(seller=seller, points=points, day=day)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("lunch:today"), {"point": "all", "date": day.isoformat()}).content.decode()
    assert page.count('class="lunch-point"') == 10
    assert "3 more pickup points have lunch on this day" in page
    one = client.get(reverse("lunch:today"), {"point": points[12].pk, "date": day.isoformat()}).content.decode()
    assert one.count('class="lunch-point"') == 1
