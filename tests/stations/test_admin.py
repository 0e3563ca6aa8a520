"""The stations admin: station staff keep their own station (and what is inside it), the street keeps the street."""

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal import roles
from portal.models import Organisation
from stations.models import FunctionArea, OpeningHours, ServiceItem, Station, Team, ThemeTag
from tests.factories import OrganisationFactory, StationFactory, StreetFactory, UserFactory, make_staff
from tests.stations.admin_forms import add_inline_row, change_form_data
from tests.stations.factories import FunctionAreaFactory, ThemeTagFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:stations_station_changelist")


def change_url(station):
    return reverse("admin:stations_station_change", args=[station.pk])


@pytest.fixture
def street_a():
    street = StreetFactory(name="湖南街道")
    return street


@pytest.fixture
def stations(street_a):
    """Two stations in street A and one in another street."""
    return {
        "mine": StationFactory(street=street_a, name="梧桐·SPACE"),
        "neighbour": StationFactory(street=street_a, name="武康大楼服务站"),
        "elsewhere": StationFactory(name="别处服务站"),
    }


def test_station_staff_see_and_open_only_their_own_station(client, stations):
    client.force_login(make_staff("station_staff", station=stations["mine"]))
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [stations["mine"]]
    html = page.content.decode()
    assert f'href="{change_url(stations["mine"])}"' in html
    assert f'href="{change_url(stations["neighbour"])}"' not in html
    assert client.get(change_url(stations["mine"])).status_code == 200
    # Another station of the same street is as closed to them as one of another street.
    for other in ("neighbour", "elsewhere"):
        assert client.get(change_url(stations[other])).status_code == 302
        assert client.post(change_url(stations[other]), {"name": "改名"}).status_code in (302, 403)
        stations[other].refresh_from_db()
        assert stations[other].name != "改名"


def test_station_staff_cannot_add_or_delete_stations(client, stations):
    client.force_login(make_staff("station_staff", station=stations["mine"]))
    assert client.get(reverse("admin:stations_station_add")).status_code == 403
    assert client.get(reverse("admin:stations_station_delete", args=[stations["mine"].pk])).status_code == 403


def test_street_admin_sees_every_station_of_their_street(client, stations, street_a):
    client.force_login(make_staff("street_admin", street=street_a))
    page = client.get(CHANGELIST)
    assert set(page.context["cl"].queryset) == {stations["mine"], stations["neighbour"]}


def test_changelist_filters_by_theme_and_district(client, stations, street_a):
    reading = ThemeTagFactory(name="阅读")
    stations["mine"].theme_tags.add(reading)
    client.force_login(make_staff("street_admin", street=street_a))
    page = client.get(CHANGELIST, {"theme_tags__id__exact": reading.pk})
    assert list(page.context["cl"].queryset) == [stations["mine"]]
    page = client.get(CHANGELIST, {"street__district__id__exact": street_a.district_id})
    assert set(page.context["cl"].queryset) == {stations["mine"], stations["neighbour"]}
    page = client.get(CHANGELIST, {"q": "梧桐"})
    assert list(page.context["cl"].queryset) == [stations["mine"]]


def test_changelist_query_count_does_not_grow_with_stations(client, street_a, django_assert_max_num_queries):
    client.force_login(make_staff("street_admin", street=street_a))
    StationFactory.create_batch(3, street=street_a)
    with django_assert_max_num_queries(30) as few:
        client.get(CHANGELIST)
    StationFactory.create_batch(30, street=street_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(CHANGELIST).status_code == 200


def test_station_staff_edit_what_is_inside_their_station_through_the_inlines(client, stations):
    station = stations["mine"]
    client.force_login(make_staff("station_staff", station=station))
    page = client.get(change_url(station))
    prefixes = {f.formset.prefix for f in page.context["inline_admin_formsets"]}
    assert prefixes == {"opening_hours", "opening_exceptions", "function_areas", "teams", "services", "photos"}
    # Every inline lets them add, change and delete.
    for inline in page.context["inline_admin_formsets"]:
        assert inline.has_add_permission and inline.has_change_permission and inline.has_delete_permission, inline.formset.prefix

    data = change_form_data(page)
    add_inline_row(data, "opening_hours", {"weekday": "2", "opens": "09:00", "closes": "21:00"})
    add_inline_row(data, "function_areas", {"kind": "reading", "name": "阅读区", "access_mode": "walk_in", "position": "0"})
    add_inline_row(data, "teams", {"name": "梧桐话剧社", "schedule": "每周三 19:00–21:00", "position": "0"})
    add_inline_row(data, "services", {"name": "法律咨询", "position": "0"})
    add_inline_row(data, "opening_exceptions", {"date": "2026-10-01", "is_closed": "on", "reason": "国庆节"})
    response = client.post(change_url(station), data)
    assert response.status_code == 302, [f.formset.errors for f in response.context["inline_admin_formsets"]]
    assert OpeningHours.objects.get(station=station).weekday == 2
    assert FunctionArea.objects.get(station=station).name == "阅读区"
    assert Team.objects.get(station=station).name == "梧桐话剧社"
    assert ServiceItem.objects.get(station=station).name == "法律咨询"
    assert station.opening_exceptions.get().reason == "国庆节"


def test_an_inline_row_of_another_station_cannot_be_edited_through_mine(client, stations):
    station, other = stations["mine"], stations["neighbour"]
    foreign = FunctionAreaFactory(station=other, name="别人的阅读区")
    client.force_login(make_staff("station_staff", station=station))
    data = change_form_data(client.get(change_url(station)))
    data.update({"function_areas-TOTAL_FORMS": "1", "function_areas-INITIAL_FORMS": "1", "function_areas-0-id": str(foreign.pk),
                 "function_areas-0-station": str(station.pk), "function_areas-0-kind": "reading",
                 "function_areas-0-name": "被改了", "function_areas-0-access_mode": "walk_in", "function_areas-0-position": "0"})
    response = client.post(change_url(station), data)
    # Django's inline formset only saves rows of its own queryset: an id from elsewhere is ignored.
    assert response.status_code in (200, 302)
    foreign.refresh_from_db()
    assert foreign.name == "别人的阅读区" and foreign.station == other
    assert not FunctionArea.objects.filter(name="被改了").exists()


def test_service_providers_offered_are_only_those_in_scope(client, stations, street_a):
    station = stations["mine"]
    near = OrganisationFactory(street=street_a, name="本街道医院")
    far = OrganisationFactory(street=stations["elsewhere"].street, name="外街道医院")
    client.force_login(make_staff("street_admin", street=street_a))
    page = client.get(change_url(station))
    services_formset = next(f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is ServiceItem)
    offered = set(services_formset.empty_form.fields["provider"].queryset)
    assert near in offered
    assert far not in offered
    assert Organisation.objects.filter(pk=far.pk).exists()


def test_every_theme_is_offered_to_station_staff_but_only_superusers_write_themes(client, stations):
    reading, charity = ThemeTagFactory(name="阅读"), ThemeTagFactory(name="微公益")
    station = stations["mine"]
    client.force_login(make_staff("station_staff", station=station))
    page = client.get(change_url(station))
    assert set(page.context["adminform"].form.fields["theme_tags"].queryset) == {reading, charity}
    data = change_form_data(page)
    data["theme_tags"] = [str(reading.pk), str(charity.pk)]
    assert client.post(change_url(station), data).status_code == 302
    assert set(station.theme_tags.all()) == {reading, charity}

    assert client.get(reverse("admin:stations_themetag_changelist")).status_code == 200
    assert client.get(reverse("admin:stations_themetag_add")).status_code == 403
    assert client.post(reverse("admin:stations_themetag_change", args=[reading.pk]), {"name": "改名"}).status_code == 403
    assert ThemeTag.objects.filter(name="阅读").exists()


def test_street_admin_manages_function_areas_of_their_street_only(client, stations, street_a):
    client.force_login(make_staff("street_admin", street=street_a))
    add = reverse("admin:stations_functionarea_add")
    page = client.get(add)
    offered = set(page.context["adminform"].form.fields["station"].queryset)
    assert offered == {stations["mine"], stations["neighbour"]}
    data = {"station": stations["elsewhere"].pk, "kind": "meeting", "access_mode": "reservation", "position": "0"}
    assert client.post(add, data).status_code == 200  # not a valid choice
    assert not FunctionArea.objects.exists()
    data["station"] = stations["neighbour"].pk
    assert client.post(add, data).status_code == 302
    assert FunctionArea.objects.get().station == stations["neighbour"]


def test_the_change_form_has_a_map_preview_configured_from_settings(client, stations, settings):
    settings.STATIONS_TILE_URL = "https://tiles.example.cn/{z}/{x}/{y}.png"
    settings.STATIONS_TILE_ATTRIBUTION = "© 测试地图"
    station = stations["mine"]
    client.force_login(make_staff("station_staff", station=station))
    page = client.get(change_url(station))
    html = page.content.decode()
    assert 'id="station-map"' in html
    assert "vendor/leaflet/leaflet.js" in html and "stations/admin_map.js" in html
    config = json.loads(html.split('id="station-map-config" type="application/json">')[1].split("</script>")[0])
    assert config["tileUrl"] == settings.STATIONS_TILE_URL
    assert config["attribution"] == "© 测试地图"
    assert config["subdomains"] == settings.STATIONS_TILE_SUBDOMAINS
    assert set(config["messages"]) == {"noLocation", "outOfRange", "tilesFailed", "mapFailed"}
    saved_lat = json.loads(html.split('id="station-map-saved-lat" type="application/json">')[1].split("</script>")[0])
    assert saved_lat == pytest.approx(float(station.latitude))


def test_the_default_tiles_are_autonavi_with_four_subdomains(settings):
    assert settings.STATIONS_TILE_URL.startswith("https://webrd0{s}.is.autonavi.com/appmaptile?")
    assert "{x}" in settings.STATIONS_TILE_URL and "{z}" in settings.STATIONS_TILE_URL
    assert settings.STATIONS_TILE_SUBDOMAINS == ["1", "2", "3", "4"]


def test_role_groups_hold_the_station_permissions(db):
    roles.sync_role_groups()
    parts = ["openinghours", "openingexception", "functionarea", "team", "serviceitem", "stationphoto"]
    for role in (roles.STREET_ADMIN, roles.STATION_STAFF):
        held = set(Group.objects.get(name=roles.group_name(role)).permissions.values_list("codename", flat=True))
        for part in parts:
            assert {f"{verb}_{part}" for verb in ("view", "add", "change", "delete")} <= held, (role, part)
        assert "view_themetag" in held and "change_themetag" not in held
    staff = set(Group.objects.get(name=roles.group_name(roles.STATION_STAFF)).permissions.values_list("codename", flat=True))
    assert {"view_station", "change_station"} <= staff
    assert not {"add_station", "delete_station"} & staff


def test_a_person_without_a_role_gets_nothing(client, stations):
    user = UserFactory()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(stations["mine"])).status_code in (302, 403)
    assert Station.objects.count() == 3
