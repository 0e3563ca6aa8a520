"""The public page cache: first-time visitors get stored pages, and never a page older than its data."""

import gzip
import re
import uuid
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from events.services import booking_create
from portal import page_cache
from stations.models import Station
from tests.events.factories import EventFactory
from tests.factories import StationFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


@pytest.fixture(params=["memory", "redis"])
def page_cache_on(request, settings):
    """The cache on, in memory and — where REDIS_URL is set, as in CI — in Redis, the production path."""
    settings.PAGE_CACHE_ENABLED = True
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("needs Redis for the production path of the page cache: set REDIS_URL=redis://127.0.0.1:6379/15")
        prefix = f"pages-test-{uuid.uuid4().hex[:8]}"
        settings.CACHES = {**settings.CACHES, page_cache.CACHE_ALIAS: {
            "BACKEND": "portal.cache.RedisCache", "LOCATION": settings.REDIS_URL, "KEY_PREFIX": prefix,
        }}
    page_cache.pause.end()
    page_cache.watch_open_connections()
    yield request.param
    cache = caches[page_cache.CACHE_ALIAS]
    if request.param == "redis":
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    else:
        cache.clear()


def _stored_pages(cache_kind):
    cache = caches[page_cache.CACHE_ALIAS]
    if cache_kind == "redis":
        return list(cache._cache.get_client().scan_iter(f"{cache.key_prefix}:*:page:*"))
    return [key for key in cache._cache if ":page:" in key]


@pytest.fixture
def event(db):
    return EventFactory(title="午间瑜伽", capacity=5)


def _seats_text(client, event):
    return client.get(reverse("events:detail", args=[event.pk]), HTTP_COOKIE="django_language=en").content.decode()


def test_a_second_visit_is_served_without_the_database(page_cache_on, client, event, django_assert_num_queries):
    url = reverse("events:detail", args=[event.pk])
    first = client.get(url)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = Client().get(url)
    assert second.status_code == 200
    assert TOKEN.sub("", first.content.decode()) == TOKEN.sub("", second.content.decode())


def test_a_booking_shows_on_the_next_visit(page_cache_on, event, django_capture_on_commit_callbacks):
    visitor = Client()
    visitor.cookies["django_language"] = "en"
    url = reverse("events:detail", args=[event.pk])
    assert "5 seats left" in visitor.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        booking_create(event=event, user=UserFactory())
    assert "4 seats left" in visitor.get(url).content.decode()


def test_a_write_that_is_not_committed_moves_nothing_on(page_cache_on, event, django_capture_on_commit_callbacks):
    before = page_cache.generations(["events"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(capacity=9)
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert page_cache.generations(["events"]) == before


def test_a_savepoint_rolled_back_keeps_the_outer_write(page_cache_on, event, django_capture_on_commit_callbacks):
    before = page_cache.generations(["events"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(capacity=9)
        with pytest.raises(RuntimeError), transaction.atomic():
            Event.objects.filter(pk=event.pk).update(capacity=7)
            raise RuntimeError("inner rolled back")
    assert page_cache.generations(["events"]) != before


def test_a_write_inside_a_savepoint_that_was_rolled_back_registers_again(page_cache_on, event, django_capture_on_commit_callbacks):
    before = page_cache.generations(["events"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            Event.objects.filter(pk=event.pk).update(capacity=7)
            raise RuntimeError("inner rolled back")
        Event.objects.filter(pk=event.pk).update(capacity=9)
    assert page_cache.generations(["events"]) != before


@pytest.mark.parametrize("write", ["save", "update", "bulk_create", "delete"])
def test_every_kind_of_write_moves_its_topic_on(page_cache_on, write, django_capture_on_commit_callbacks):
    station = StationFactory(name="梧桐服务站")
    before = page_cache.generations(["stations", "events"])
    # As a service writes: in a transaction of its own.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        if write == "save":
            station.name = "新名字"
            station.save()
        elif write == "update":
            Station.objects.filter(pk=station.pk).update(name="新名字")
        elif write == "bulk_create":
            Station.objects.bulk_create([Station(name="另一个", slug="another", street=station.street, kind=station.kind)])
        else:
            Station.objects.filter(pk=station.pk).delete()
    after = page_cache.generations(["stations", "events"])
    assert after[0] != before[0]
    assert after[1] == before[1], "a station write must not throw away the event pages"


def test_a_renamed_station_shows_on_the_list(page_cache_on, django_capture_on_commit_callbacks):
    station = StationFactory(name="梧桐服务站")
    visitor = Client()
    assert "梧桐服务站" in visitor.get(reverse("stations:list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Station.objects.filter(pk=station.pk).update(name="长寿路服务站")
    page = visitor.get(reverse("stations:list")).content.decode()
    assert "长寿路服务站" in page and "梧桐服务站" not in page


def test_a_cached_page_carries_the_visitors_own_csrf_token(page_cache_on, event):
    url = reverse("events:detail", args=[event.pk])
    Client().get(url)  # stored
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(url)
    tokens = set(TOKEN.findall(page.content.decode()))
    assert tokens, "the page has a form"
    assert "csrftoken" in page.cookies
    # The language switcher on the cached page works with the token it carries.
    answer = visitor.post(reverse("portal:set_language"), {"language": "en", "next": url, "csrfmiddlewaretoken": tokens.pop()})
    assert answer.status_code == 302


def test_languages_are_kept_apart(page_cache_on, event):
    url = reverse("events:detail", args=[event.pk])
    chinese = Client().get(url).content.decode()
    english_visitor = Client()
    english_visitor.cookies["django_language"] = "en"
    english = english_visitor.get(url).content.decode()
    assert 'lang="zh-hans"' in chinese
    assert 'lang="en"' in english


def test_signed_in_people_and_sessions_are_never_served_from_the_cache(page_cache_on, event, django_assert_max_num_queries):
    url = reverse("events:detail", args=[event.pk])
    Client().get(url)
    member = Client()
    member.force_login(UserFactory(display_name="王小明"))
    page = member.get(url).content.decode()
    assert "王小明" in page or "退出" in page or "Log out" in page
    # And what a signed-in person saw is not stored for anyone else.
    assert "王小明" not in Client().get(url).content.decode()


def test_a_message_waiting_in_its_cookie_is_shown_not_a_stored_page(page_cache_on):
    """Messages ride in a cookie: someone who just signed out has no session, but must see 'signed out' on the next page."""
    home = reverse("portal:home")
    Client().get(home, HTTP_COOKIE="django_language=en")  # the home page is stored
    person = Client()
    person.cookies["django_language"] = "en"
    person.force_login(UserFactory())
    person.post(reverse("account_logout"))
    assert "messages" in person.cookies and person.cookies["sessionid"].value == ""
    del person.cookies["sessionid"]  # a browser drops the emptied session cookie; the test client would send it on
    assert "You have signed out." in person.get(home).content.decode()
    assert "You have signed out." not in Client().get(home, HTTP_COOKIE="django_language=en").content.decode()


def test_errors_are_not_stored(page_cache_on, django_assert_num_queries):
    url = reverse("events:detail", args=[987654])
    assert Client().get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert _stored_pages(page_cache_on) == []


def test_the_lunch_page_is_kept_per_chosen_point(page_cache_on):
    visitor_all = Client()
    visitor_all.cookies["lunch_point"] = "all"
    visitor_near = Client()
    visitor_near.cookies["lunch_point"] = "near"
    visitor_all.get(reverse("lunch:today"))
    visitor_near.get(reverse("lunch:today"))
    assert len(_stored_pages(page_cache_on)) == 2


def test_a_page_lives_no_longer_than_its_next_turning_point():
    now = timezone.now()
    response = type("Response", (), {})()
    page_cache.fresh_until(response, [now - timedelta(hours=1), now + timedelta(minutes=5), None], now=now)
    assert response.fresh_until == now + timedelta(minutes=5)
    # A countdown "4 min 50 s left" shows "4 min" until 50 s from now.
    page_cache.fresh_until(response, [], now=now, countdown_to=[now + timedelta(minutes=4, seconds=50)])
    assert response.fresh_until == now + timedelta(seconds=50)


def test_an_event_page_expires_when_booking_closes(page_cache_on, settings):
    closes = timezone.now() + timedelta(seconds=30)
    event = EventFactory(booking_closes_at=closes)
    response = Client().get(reverse("events:detail", args=[event.pk]))
    assert response.fresh_until == closes


def test_an_unreachable_cache_serves_pages_and_lets_writes_through(settings, event, django_capture_on_commit_callbacks):
    settings.PAGE_CACHE_ENABLED = True
    settings.CACHES = {
        **settings.CACHES,
        page_cache.CACHE_ALIAS: {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    page_cache.pause.end()
    page_cache.watch_open_connections()
    try:
        assert Client().get(reverse("events:detail", args=[event.pk])).status_code == 200
        page_cache.pause.end()
        with django_capture_on_commit_callbacks(execute=True):
            booking = booking_create(event=event, user=UserFactory())
        assert booking.pk is not None
    finally:
        page_cache.pause.end()


def test_an_unknown_topic_is_a_programming_error():
    with pytest.raises(ValueError):
        page_cache.public_page("everything")


@pytest.mark.django_db(transaction=True)
def test_real_commits_move_topics_on(page_cache_on):
    station = StationFactory()
    before = page_cache.generations(["stations"])
    Station.objects.filter(pk=station.pk).update(name="自动提交")  # autocommit: at once
    middle = page_cache.generations(["stations"])
    assert middle != before
    with transaction.atomic():
        Station.objects.filter(pk=station.pk).update(name="事务里")
        assert page_cache.generations(["stations"]) == middle, "not before the commit"
    assert page_cache.generations(["stations"]) != middle


def test_the_geojson_feed_is_kept_compressed_for_browsers_that_take_it(page_cache_on):
    for n in range(30):
        StationFactory(name=f"服务站{n}")
    url = reverse("stations:geojson")
    plain = Client().get(url)
    assert plain.status_code == 200
    again = Client().get(url)
    compressed = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain.content == again.content
    assert "Content-Encoding" not in again
    assert again["Cache-Control"] == plain["Cache-Control"]


def test_pages_with_a_form_are_never_compressed(page_cache_on, event):
    url = reverse("events:detail", args=[event.pk])
    Client().get(url)
    hit = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in hit
    assert TOKEN.search(hit.content.decode())
