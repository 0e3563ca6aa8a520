"""Celery's Redis transport, publishing through one Redis client per channel instead of a new one per message.

kombu's Redis channel makes a new `redis.Redis` for each message it publishes, and each new client copies redis-py's
table of some 170 reply callbacks: 0.3 ms of CPU for every booking, order and claim that tells someone something
(measured in bench/, issue #8), against 0.7 ms for the rest of the publish. A client holds no connection of its own — it
borrows one from the channel's pool for each command, and is safe to share — so one client per pool does the same work.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    _publisher = None

    def _create_client(self, asynchronous=False):
        if asynchronous:  # the worker's client for BRPOP: made once per channel by kombu already
            return super()._create_client(asynchronous=True)
        pool = self.pool
        if self._publisher is None or self._publisher.connection_pool is not pool:  # a new pool after a disconnect
            self._publisher = super()._create_client()
        return self._publisher


class Transport(redis.Transport):
    Channel = Channel
