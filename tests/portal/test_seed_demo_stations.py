"""`seed_demo`'s station content: themes, function areas, teams, service menus, opening hours and holidays."""

from datetime import date, datetime, time

import pytest

from portal.demo import data
from portal.demo import stations_data as content
from stations.hours import SHANGHAI, open_now_q, opening_state, periods_on
from stations.models import FunctionArea, OpeningException, OpeningHours, ServiceItem, Station, Team, ThemeTag
from tests.portal.seed_helpers import row_counts, seed_demo, summary

pytestmark = pytest.mark.django_db

NEW_YEAR = date(2027, 1, 1)
SPRING_FESTIVAL = [date(2027, 2, day) for day in range(6, 13)]
HOLIDAYS = [NEW_YEAR, *SPRING_FESTIVAL]
STATION_MODELS = [ThemeTag, Station.theme_tags.through, FunctionArea, Team, ServiceItem, OpeningHours, OpeningException]


def shanghai(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def seeded():
    return seed_demo()


def test_the_data_covers_every_station_and_names_only_known_ones():
    slugs = {row["slug"] for row in data.STATIONS}
    assert set(content.HOURS) == slugs
    assert set(content.THEMES) == slugs
    for mapping in (content.FUNCTION_AREAS, content.TEAMS, content.SERVICES):
        assert set(mapping) <= slugs
    assert {special["station"] for special in content.SPECIAL_HOURS} <= slugs
    organisations = {(row["street"], row["name"]) for row in data.ORGANISATIONS}
    for services in content.SERVICES.values():
        for service in services:
            assert service["provider"] is None or service["provider"] in organisations, service["name"]


def test_the_first_run_loads_every_kind_and_the_second_creates_nothing_and_changes_nothing(seeded):
    first = summary(seeded)
    for model in STATION_MODELS:
        total, new, updated = first[model._meta.label]
        assert total == new > 0, model
    counts = row_counts()
    stamps = dict(Station.objects.values_list("slug", "updated_at"))
    snapshot = {model: list(model.objects.order_by("pk").values()) for model in STATION_MODELS}

    second = summary(seed_demo())

    assert row_counts() == counts
    assert dict(Station.objects.values_list("slug", "updated_at")) == stamps
    for model in STATION_MODELS:
        assert list(model.objects.order_by("pk").values()) == snapshot[model], model
        assert second[model._meta.label] == (counts[model._meta.label], 0, 0)
    assert all((new, updated) == (0, 0) for _, new, updated in second.values()), second


def test_a_second_run_puts_back_changed_content_and_leaves_additions_alone(seeded):
    space = Station.objects.get(slug="wutong-space")
    Team.objects.filter(station=space, name="梧桐话剧社").update(schedule="停课")
    OpeningHours.objects.filter(station=space, weekday=0).update(closes=time(12, 0))
    own_tag = ThemeTag.objects.create(name="站点自加")
    space.theme_tags.add(own_tag)

    rows = summary(seed_demo())

    assert Team.objects.get(station=space, name="梧桐话剧社").schedule == "每周三 19:00–21:00"
    assert OpeningHours.objects.get(station=space, weekday=0).closes == time(21, 0)
    assert own_tag in space.theme_tags.all()
    assert rows["stations.Team"][1:] == (0, 1)
    assert rows["stations.OpeningHours"][1:] == (0, 1)
    assert rows["stations.Station_theme_tags"][1:] == (0, 0)


def test_wutong_space_has_its_three_teams_with_weekly_courses(seeded):
    teams = Team.objects.filter(station__slug="wutong-space")
    assert list(teams.values_list("name", flat=True)) == ["梧桐话剧社", "梧桐书法社", "梧桐阿卡贝拉音乐社"]
    assert all(team.schedule.startswith("每周") and team.how_to_join for team in teams)


@pytest.mark.parametrize(
    ("slug", "themes"),
    [
        ("huaihai-1298", {"传统文化"}),
        ("huaihai-ruili", {"美好生活"}),
        ("huaihai-dayin", {"阅读"}),
        ("wutong-microcharity", {"微公益"}),
        ("changshou-xinhui", {"白领午餐"}),
    ],
)
def test_stations_carry_the_themes_of_the_articles(seeded, slug, themes):
    assert themes <= set(Station.objects.get(slug=slug).theme_tags.values_list("name", flat=True))


def test_wutong_learning_has_the_rooms_the_article_lists(seeded):
    areas = dict(FunctionArea.objects.filter(station__slug="wutong-learning").values_list("name", "kind"))
    assert areas == {"爱心妈咪小屋": "nursing", "职工音乐书屋": "music_books", "书记工作室": "consultation"}


@pytest.mark.parametrize("slug", ["zhoujiaqiao-building-station", "zhoujiaqiao-white-collar-centre"])
def test_zhoujiaqiao_stations_open_the_six_areas_walk_in_or_by_reservation(seeded, slug):
    areas = {area.kind: area for area in FunctionArea.objects.filter(station__slug=slug)}
    assert set(areas) == {"fitness", "reading", "handcraft", "meeting", "consultation", "nursing"}
    meeting = areas["meeting"]
    assert (meeting.name, meeting.access_mode) == ("多功能会议室", FunctionArea.Access.RESERVATION)
    assert meeting.capacity and meeting.capacity >= 20
    for kind in ("fitness", "reading", "nursing"):
        assert areas[kind].access_mode == FunctionArea.Access.WALK_IN, kind
    assert all(area.capacity for area in areas.values())


def test_yunlian_1_offers_tidal_parking_and_meals_from_the_coach_company(seeded):
    station = Station.objects.get(slug="zhoujiadu-yunlian-1")
    assert station.neighbourhood.name == "云莲一居民区"
    parking = ServiceItem.objects.select_related("provider").get(station=station, name="潮汐式停车")
    assert parking.provider.name == "上海浦东东站长途客运有限公司"
    assert parking.provider.kind == "partner"
    meals = ServiceItem.objects.get(station=station, name__startswith="老年助餐")
    assert meals.provider_id == parking.provider_id


def test_the_services_name_the_partner_units_of_the_articles(seeded):
    providers = dict(ServiceItem.objects.filter(provider__isnull=False).values_list("name", "provider__name"))
    assert providers["长工快乐课堂"] == "长宁区工人文化宫"
    assert providers["长宁工会快乐课堂"] == "长宁区总工会"
    assert providers["班后一小时培训、考证课程"] == "上海助友职业技术培训中心"
    assert providers["免费量血压"] == "金汇镇社区卫生服务中心"
    assert providers["“乐ING食刻”线上点餐"] == "盒马鲜生"


def test_every_active_station_has_opening_hours(seeded):
    stations = Station.objects.filter(is_active=True)
    assert stations.count() == len(data.STATIONS)
    for station in stations:
        weekdays = set(station.opening_hours.values_list("weekday", flat=True))
        assert set(range(5)) <= weekdays, station.slug


def test_the_hours_include_a_lunch_break_saturdays_and_a_station_open_until_midnight(seeded):
    assert OpeningHours.objects.filter(weekday=5).values("station").distinct().count() >= 3
    assert OpeningHours.objects.filter(station__slug="huaihai-1298", weekday=2).count() == 2
    late = OpeningHours.objects.get(station__slug="zhoujiaqiao-white-collar-centre", weekday=2)
    assert late.closes == time(0, 0)
    # Wednesday 25 November 2026: at 23:30 only the white-collar centre is open, until midnight.
    night = shanghai(2026, 11, 25, 23, 30)
    assert list(Station.objects.filter(open_now_q(night)).values_list("slug", flat=True)) == ["zhoujiaqiao-white-collar-centre"]
    assert opening_state(Station.objects.get(slug="zhoujiaqiao-white-collar-centre"), night).closes_at == shanghai(2026, 11, 26, 0, 0)
    # At 12:15 淮海·1298 has its lunch break; the lunch points of 长寿路街道 are open.
    noon = shanghai(2026, 11, 25, 12, 15)
    open_at_noon = set(Station.objects.filter(open_now_q(noon)).values_list("slug", flat=True))
    assert "huaihai-1298" not in open_at_noon
    assert {"changshou-xinhui", "changshou-pinggao"} <= open_at_noon


def test_the_holidays_are_closed_all_day_at_every_station(seeded):
    for station in Station.objects.prefetch_related("opening_hours", "opening_exceptions"):
        closed = {e.date: e for e in station.opening_exceptions.all() if e.is_closed}
        assert set(HOLIDAYS) <= set(closed), station.slug
        assert closed[NEW_YEAR].reason == "元旦"
        assert {closed[day].reason for day in SPRING_FESTIVAL} == {"春节"}
        assert all(closed[day].opens is None and closed[day].closes is None for day in HOLIDAYS)
        for day in HOLIDAYS:
            assert periods_on(station, day) == [], (station.slug, day)
    assert not Station.objects.filter(open_now_q(shanghai(2027, 1, 1, 10, 0))).exists()
    assert not Station.objects.filter(open_now_q(shanghai(2027, 2, 8, 10, 0))).exists()


def test_one_station_has_special_hours_on_new_years_eve_of_the_lunar_calendar(seeded):
    special = OpeningException.objects.get(is_closed=False)
    assert (special.station.slug, special.date) == ("zhoujiadu-dongzhan", date(2027, 2, 5))
    assert (special.opens, special.closes) == (time(7, 0), time(21, 0))
    station = Station.objects.get(slug="zhoujiadu-dongzhan")
    assert periods_on(station, date(2027, 2, 5)) == [(shanghai(2027, 2, 5, 7, 0), shanghai(2027, 2, 5, 21, 0))]
    # After its usual 18:00, until 21:00.
    assert Station.objects.filter(open_now_q(shanghai(2027, 2, 5, 20, 0)), pk=station.pk).exists()
    assert not Station.objects.filter(open_now_q(shanghai(2027, 2, 12, 20, 0)), pk=station.pk).exists()
