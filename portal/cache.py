"""Django's Redis cache backend, reusing its client; and a variant that fails soft, for sessions.

Django's RedisCacheClient builds a new ``redis.Redis`` object around its connection pool for every
call; with redis-py 8 that costs more than the round trip itself (a page served from the cache
made four of them). The client is thread-safe and Django keeps one cache object per thread anyway,
so one client per pool is kept and reused.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient


class Pause:
    """A process's pause from a failing cache: for a few seconds it isn't asked at all, so a request pays a failing
    Redis's timeout once, not at every call."""

    def __init__(self, what, seconds=5.0):
        self.what, self.seconds, self.until = what, seconds, 0.0

    def active(self):
        return time.monotonic() < self.until

    def begin(self, exc):
        self.until = time.monotonic() + self.seconds
        logger.warning("%s unavailable for %ss: %s", self.what, self.seconds, exc)

    def end(self):
        self.until = 0.0


class FailSoftRedisCache(RedisCache):
    """A Redis cache in front of what the database holds anyway (sessions, `cached_db`).

    When Redis fails or is slow, a read answers "not cached" (the database answers instead), a write is dropped, and
    for a few seconds the process leaves Redis alone: a request never fails, nor waits more than the socket timeout,
    because of it. A write dropped that way (a logout while Redis was failing) can leave an outdated copy behind, so
    no entry lives longer than the alias's ``MAX_TIMEOUT`` seconds.
    """

    pause = Pause("session cache")

    def __init__(self, server, params):
        super().__init__(server, params)
        self.max_timeout = params.get("MAX_TIMEOUT")

    def _soft(self, call, *args, failed=None):
        if self.pause.active():
            return failed
        try:
            return call(*args)
        except (RedisError, OSError) as exc:
            self.pause.begin(exc)
            return failed

    def _capped(self, timeout):
        timeout = self.default_timeout if timeout is DEFAULT_TIMEOUT else timeout
        if self.max_timeout is None:
            return timeout
        return self.max_timeout if timeout is None else min(timeout, self.max_timeout)

    def get(self, key, default=None, version=None):
        return self._soft(super().get, key, default, version, failed=default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._soft(super().set, key, value, self._capped(timeout), version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft(super().add, key, value, self._capped(timeout), version, failed=False)

    def delete(self, key, version=None):
        return self._soft(super().delete, key, version, failed=False)

    def has_key(self, key, version=None):
        return self._soft(super().has_key, key, version, failed=False)
