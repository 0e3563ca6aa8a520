"""Django's Redis cache backend, reusing its client.

Django's RedisCacheClient builds a new ``redis.Redis`` object around its connection pool for every
call; with redis-py 8 that costs more than the round trip itself (a page served from the cache
made four of them). The client is thread-safe and Django keeps one cache object per thread anyway,
so one client per pool is kept and reused.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


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
