"""Sessions as production keeps them with Redis: in the database, with a copy in Redis that saves each signed-in
request its session query — and that never makes a request fail, or a signed-out session come back, when Redis
fails (portal.cache.FailSoftRedisCache)."""

import uuid

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Booking
from portal.cache import FailSoftRedisCache
from tests.events.factories import EventFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SESSION_COPY = "django.contrib.sessions.cached_db"  # cached_db's key prefix


def use_session_cache(settings, location, **extra):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "sessions"
    settings.CACHES = {**settings.CACHES, "sessions": {
        "BACKEND": "portal.cache.FailSoftRedisCache", "LOCATION": location, "KEY_PREFIX": f"sessions-test-{uuid.uuid4().hex[:8]}",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}, **extra,
    }}
    FailSoftRedisCache.pause.end()


@pytest.fixture
def redis_sessions(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis, as production has it: set REDIS_URL=redis://127.0.0.1:6379/15")
    use_session_cache(settings, settings.REDIS_URL, MAX_TIMEOUT=300)
    yield caches["sessions"]
    caches["sessions"].clear()


@pytest.fixture
def dead_redis_sessions(settings):
    use_session_cache(settings, "redis://127.0.0.1:1/0")  # nothing listens there
    yield caches["sessions"]
    FailSoftRedisCache.pause.end()


def session_reads(queries):
    return [q["sql"] for q in queries.captured_queries if 'FROM "django_session"' in q["sql"]]


def test_a_signed_in_request_reads_its_session_from_redis_and_signing_out_removes_the_copy(redis_sessions):
    client = Client()
    client.force_login(UserFactory())
    key = client.session.session_key
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("events:my_bookings")).status_code == 200
    assert session_reads(queries) == []
    # No copy lives longer than MAX_TIMEOUT, whatever the session's own age (two weeks).
    assert 0 < redis_sessions._cache.get_client().ttl(redis_sessions.make_key(SESSION_COPY + key)) <= 300

    stolen = client.cookies["sessionid"].value
    client.logout()
    assert redis_sessions.get(SESSION_COPY + key) is None
    thief = Client()
    thief.cookies["sessionid"] = stolen
    response = thief.get(reverse("events:my_bookings"))
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_with_redis_down_people_still_sign_in_book_and_sign_out(dead_redis_sessions):
    event = EventFactory(capacity=5)
    person = UserFactory()
    client = Client(raise_request_exception=True)
    client.force_login(person)  # the copy can't be written: the session is in the database all the same
    assert FailSoftRedisCache.pause.active()  # and Redis is left alone for a while: no timeout at every call

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("events:my_bookings")).status_code == 200
    assert len(session_reads(queries)) == 1  # the database answered

    response = client.post(reverse("events:book", args=[event.pk]), {"seats": "1"})
    assert response.status_code == 302
    assert Booking.objects.filter(event=event, user=person, status=Booking.Status.CONFIRMED).exists()

    stolen = client.cookies["sessionid"].value
    client.logout()
    thief = Client()
    thief.cookies["sessionid"] = stolen
    assert reverse("account_login") in thief.get(reverse("events:my_bookings")).url


def test_a_failing_redis_is_asked_once_then_left_alone(dead_redis_sessions, monkeypatch):
    calls = []
    real = FailSoftRedisCache._soft

    def counting(self, call, *args, failed=None):
        if not self.pause.active():
            calls.append(call.__name__)
        return real(self, call, *args, failed=failed)

    monkeypatch.setattr(FailSoftRedisCache, "_soft", counting)
    assert dead_redis_sessions.get("a", "fallback") == "fallback"
    assert dead_redis_sessions.set("b", 1) is None
    assert dead_redis_sessions.delete("c") is False
    assert ("d" in dead_redis_sessions) is False
    assert calls == ["get"]


def test_no_entry_outlives_the_max_timeout(settings):
    use_session_cache(settings, "redis://127.0.0.1:1/0", MAX_TIMEOUT=300, TIMEOUT=None)
    cache = caches["sessions"]
    assert cache._capped(60) == 60
    assert cache._capped(14 * 24 * 3600) == 300
    assert cache._capped(None) == 300  # "forever" too
    from django.core.cache.backends.base import DEFAULT_TIMEOUT

    assert cache._capped(DEFAULT_TIMEOUT) == 300  # the alias's default, None here
