"""Public pages served from Redis, invalidated exactly when the data they show changes.

A first-time visitor (no session cookie) who opens the station list, an event, the wish wall or
today's lunch gets the page as it was last rendered — in about a millisecond instead of twenty —
for as long as nothing it shows has changed. How "changed" is known:

* Every public page names its *topics*: the apps whose tables it reads (``stations``, ``events``,
  ``reservations``, ``wishes``, ``lunch``) and ``places`` (districts, streets, neighbourhoods,
  buildings, organisations).
* Each topic has a *generation* token in the cache, and a page's key contains the generations of
  its topics. A page is therefore never looked up again once one of its topics has moved on.
* The generation moves when a statement writes one of the topic's tables, seen at the database
  connection itself (an execute wrapper on every connection): ORM saves and deletes, queryset
  ``update()``/``delete()``, ``bulk_create``, cascades, admin edits, Celery tasks, management
  commands — whatever path the write took. Inside a transaction the generation moves after the
  commit (a rollback moves nothing); a page rendered meanwhile is stored under the old generation,
  which nobody reads any more. The generation is read *before* the page's data, so a page can't be
  stored under a generation newer than its data.
* What changes with the clock alone — "open now", the time left to a lunch cut-off, an event
  that has started — is bounded by a short lifetime, and a view may shorten it further for one
  response (``fresh_until``): the lunch page expires at the next cut-off it shows, an event page
  when its booking closes. The service layer checks every rule again on the POST anyway.

What is cached is the rendered body with each CSRF token punched out; a hit puts the visitor's own
token back, so forms on a cached page work. Signed-in people, anyone with a session or a message
waiting (in the session or the messages cookie), non-200 answers and answers that set cookies are
never cached.

The cache is off unless Redis is configured (``REDIS_URL``): a per-process memory cache could not
be invalidated across gunicorn workers. When Redis fails, pages are rendered as if there were no
cache (for a few seconds nobody even asks it), and a write never fails or waits because a
generation could not be moved: entries live at most ``PAGE_CACHE_TIMEOUT`` seconds.
"""

import gzip
import hashlib
import logging
import re
import secrets
import time
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from portal.cache import Pause, RedisCache

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
TOPICS = ("places", "stations", "events", "reservations", "wishes", "lunch")
_PLACE_TABLES = {"portal_district", "portal_street", "portal_neighbourhood", "portal_building", "portal_organisation"}
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{32,64}(")')
_CSRF_HOLE = b"\x00csrf\x00"
_COMPRESS_FROM = 2048  # bytes

pause = Pause("page cache")  # after a failure the process leaves the cache alone for a few seconds


def enabled():
    return bool(getattr(settings, "PAGE_CACHE_ENABLED", False))


def topic_of_table(table):
    """The topic a table belongs to, or None for tables no public page shows (sessions, users …)."""
    if table in _PLACE_TABLES:
        return "places"
    app = table.split("_", 1)[0]
    return app if app in TOPICS else None


def topics_written_by(sql):
    match = _WRITE.match(sql)
    return topic_of_table(match.group(1).lower()) if match else None


# --- the cache itself, kept at arm's length: any failure is a miss


def _cache():
    return caches[CACHE_ALIAS]


def _token():
    return f"{time.time_ns():x}{secrets.token_hex(3)}"


class _DjangoCacheStore:
    """Generations and pages in any Django cache (the memory cache of the tests): three calls a visit."""

    def __init__(self, cache):
        self.cache = cache

    def lookup(self, topics, where):
        """(page key, stored page or None), creating generations the cache doesn't hold."""
        keys = [f"gen:{topic}" for topic in topics]
        found = self.cache.get_many(keys)
        for key in keys:
            if key not in found:
                # A fresh random token can't coincide with a generation that was evicted.
                self.cache.add(key, _token(), None)
                found[key] = self.cache.get(key)
        page_key = f"page:{where}:" + ".".join(str(found[key]) for key in keys)
        return page_key, self.cache.get(page_key)

    def keep(self, page_key, page, lifetime):
        self.cache.set(page_key, page, lifetime)

    def move_on(self, topics):
        self.cache.set_many({f"gen:{topic}": _token() for topic in topics}, None)


# Reads the generations, creates any that is missing, and fetches the page: one round trip.
_LOOKUP = """
local generations = redis.call('MGET', unpack(KEYS))
for i = 1, #KEYS do
  if not generations[i] then
    redis.call('SET', KEYS[i], ARGV[2] .. i, 'NX')
    generations[i] = redis.call('GET', KEYS[i])
  end
end
local page_key = ARGV[1] .. table.concat(generations, '.')
return {page_key, redis.call('GET', page_key)}
"""


class _RedisStore:
    """The same in Redis, talking to it directly: a visit is one round trip (a Lua script)."""

    def __init__(self, cache):
        self.client = cache._cache.get_client(write=True)
        self.prefix = f"{cache.key_prefix}:{cache.version}:"
        self.script = self.client.register_script(_LOOKUP)

    def lookup(self, topics, where):
        keys = [f"{self.prefix}gen:{topic}" for topic in topics]
        found = self.script(keys=keys, args=[f"{self.prefix}page:{where}:", _token()])
        return found[0], (found[1] if len(found) > 1 else None)

    def keep(self, page_key, page, lifetime):
        self.client.set(page_key, page, ex=lifetime)

    def move_on(self, topics):
        self.client.mset({f"{self.prefix}gen:{topic}": _token() for topic in topics})


def _store():
    cache = _cache()
    store = getattr(cache, "_page_store", None)
    if store is None:
        store = cache._page_store = _RedisStore(cache) if isinstance(cache, RedisCache) else _DjangoCacheStore(cache)
    return store


def generations(topics):
    """The current generation of each topic (for tests and diagnostics)."""
    page_key, _page = _store().lookup(topics, "-")
    if isinstance(page_key, bytes):
        page_key = page_key.decode(errors="replace")
    return page_key.rsplit(":", 1)[1].split(".")


def invalidate(topics):
    """Move the topics on: every page showing one of them is rendered afresh on its next visit."""
    if not topics or pause.active():
        return
    try:
        _store().move_on(sorted(topics))
    except Exception as exc:  # a write has happened; it must not fail because the cache did
        pause.begin(exc)


def invalidate_all():
    invalidate(TOPICS)


# --- seeing writes at the database connection


class _TopicCommitted:
    """An on-commit callback that moves one topic on."""

    def __init__(self, topic):
        self.topic = topic

    def __call__(self):
        invalidate({self.topic})


class _WriteWatcher:
    """Execute wrapper: notes the topic a statement writes, and moves it on once that is committed.

    In a transaction, a callback per topic waits for the commit; a savepoint rolled back takes its
    callbacks with it (Django's bookkeeping), and a later write of that topic registers a new one.
    """

    def __init__(self, connection):
        self.connection = connection

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        topic = topics_written_by(sql) if isinstance(sql, str) else None
        if topic is not None and enabled():
            if not self.connection.in_atomic_block:
                invalidate({topic})
            else:
                # One callback per topic and savepoint context: a callback registered under the same
                # savepoints shares this write's fate (kept or discarded together).
                sids = set(self.connection.savepoint_ids)
                if not any(isinstance(func, _TopicCommitted) and func.topic == topic and kept == sids
                           for kept, func, _ in self.connection.run_on_commit):
                    self.connection.on_commit(_TopicCommitted(topic))
        return result


def _watch(sender, connection, **kwargs):
    if enabled() and not any(isinstance(wrapper, _WriteWatcher) for wrapper in connection.execute_wrappers):
        connection.execute_wrappers.append(_WriteWatcher(connection))


connection_created.connect(_watch)


def watch_open_connections():
    """For connections opened before the cache was switched on (tests)."""
    for connection in connections.all(initialized_only=True):
        _watch(None, connection)


# --- the view decorator


def public_page(*topics, timeout=None, cookies=()):
    """Serve the view's answer to anonymous visitors from the cache while `topics` are unchanged.

    `cookies` names the cookies the view reads (a remembered choice): their values are part of the
    key. The view may call ``fresh_until(response, …)`` when its content changes with the clock
    sooner than the default lifetime.
    """
    unknown = set(topics) - set(TOPICS)
    if unknown:
        raise ValueError(f"unknown page-cache topics: {sorted(unknown)}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _cacheable(request):
                return view(request, *args, **kwargs)
            try:
                page_key, page = _store().lookup(topics, _where(request, cookies))
            except Exception as exc:
                pause.begin(exc)
                return view(request, *args, **kwargs)
            if page is not None:
                return _from_cache(request, page)
            response = view(request, *args, **kwargs)
            _keep(page_key, response, timeout)
            return response

        return wrapper

    return decorator


def _cacheable(request):
    return (
        enabled()
        and not pause.active()
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _where(request, cookies):
    """What else than the topics a page depends on: language, host, path and query, remembered choices."""
    remembered = "".join(f"\x00{request.COOKIES.get(name, '')}" for name in cookies)
    where = hashlib.sha256(f"{request.get_host()}{request.get_full_path()}{remembered}".encode()).hexdigest()[:32]
    return f"{request.LANGUAGE_CODE}:{where}"


def _keep(page_key, response, timeout):
    if response.status_code != 200 or response.streaming or response.cookies:
        return
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store", "no-cache")) or "\n" in cache_control:
        return
    lifetime = timeout if timeout is not None else settings.PAGE_CACHE_TIMEOUT
    fresh_until = getattr(response, "fresh_until", None)
    if fresh_until is not None:
        lifetime = min(lifetime, int((fresh_until - timezone.now()).total_seconds()))
    if lifetime <= 0:
        return
    body = _CSRF_INPUT.sub(rb"\1" + _CSRF_HOLE + rb"\2", response.content)
    # A page without a form (the GeoJSON feed) is also kept compressed, for the browsers that take it.
    # Pages carrying a CSRF token are not: compressed secrets can leak (BREACH), and the token is put in per visit.
    compressed = gzip.compress(body, 6, mtime=0) if _CSRF_HOLE not in body and len(body) >= _COMPRESS_FROM else b""
    page = b"%s\n%s\n%d\n%s%s" % (response["Content-Type"].encode(), cache_control.encode(), len(body), body, compressed)
    try:
        _store().keep(page_key, page, lifetime)
    except Exception as exc:
        pause.begin(exc)


def _from_cache(request, page):
    content_type, cache_control, length, rest = page.split(b"\n", 3)
    body, compressed = rest[: int(length)], rest[int(length) :]
    if compressed and "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(compressed, content_type=content_type.decode())
        response["Content-Encoding"] = "gzip"
    else:
        if _CSRF_HOLE in body:
            body = body.replace(_CSRF_HOLE, get_token(request).encode())
        response = HttpResponse(body, content_type=content_type.decode())
    if compressed:
        patch_vary_headers(response, ("Accept-Encoding",))
    if cache_control:
        response["Cache-Control"] = cache_control.decode()
    return response


def fresh_until(response, moments, *, now, countdown_to=()):
    """Let the cached page live no longer than the first of `moments` still ahead (an event starts,
    orders close), nor past the next minute a countdown to one of `countdown_to` shows."""
    ahead = [moment for moment in moments if moment is not None and moment > now]
    for moment in countdown_to:
        if moment is not None and moment > now:
            seconds_to_tick = (moment - now).total_seconds() % 60 or 60
            ahead.append(now + timedelta(seconds=seconds_to_tick))
    if ahead:
        first = min(ahead)
        current = getattr(response, "fresh_until", None)
        response.fresh_until = first if current is None else min(current, first)
    return response
