"""Fixtures for the notification tests: a channel that records what it sends, and a Celery app wired to another broker."""

import signal
import socket
import threading
import time
from contextlib import contextmanager

import pytest
from kombu import pools as kombu_pools

from portal.celery import app as celery_app
from portal.notifications.channels import Channel, get_channels

# Port 1 on localhost refuses connections at once: a broker that is down, not one that is slow.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


class RecordingChannel(Channel):
    """Records the id of every notification it sends, safely across threads.

    `delay` keeps a send in flight for a while, so concurrent deliveries really
    overlap; `error` makes every send fail.
    """

    name = "recording"
    delay = 0.0
    error = None
    sent = []
    _lock = threading.Lock()

    def can_reach(self, user):
        return user.is_active

    def send(self, notification):
        if self.error is not None:
            raise self.error
        time.sleep(self.delay)
        with self._lock:
            type(self).sent.append(notification.pk)


@pytest.fixture
def recording_channel(settings):
    """Make RecordingChannel the only channel. get_channels() is cached, so it is cleared on the way in and out."""
    RecordingChannel.sent, RecordingChannel.delay, RecordingChannel.error = [], 0.0, None
    settings.NOTIFICATION_CHANNELS = [f"{RecordingChannel.__module__}.RecordingChannel"]
    get_channels.cache_clear()
    yield RecordingChannel
    get_channels.cache_clear()
    RecordingChannel.sent, RecordingChannel.delay, RecordingChannel.error = [], 0.0, None


def _reset_broker_pools(app):
    # The app caches its broker connection and producer pools on first use, in kombu's process-wide
    # registry; close and forget them so the next publish connects to whatever broker_url says now.
    kombu_pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def celery_configured(**conf):
    """Reconfigure the portal's Celery app for one test, restoring every key afterwards.

    Django's `settings` fixture can't do this: Celery copies the CELERY_* settings into
    `app.conf` once, when the app is first used.
    """
    saved = {key: celery_app.conf[key] for key in conf}
    celery_app.conf.update(conf)
    _reset_broker_pools(celery_app)
    try:
        yield celery_app
    finally:
        celery_app.conf.update(saved)
        _reset_broker_pools(celery_app)


@pytest.fixture
def unreachable_broker():
    """Celery publishing for real (not eagerly) to a broker that refuses connections."""
    with celery_configured(broker_url=UNREACHABLE_BROKER, task_always_eager=False) as app:
        yield app


@pytest.fixture
def silent_broker():
    """Celery publishing to a broker that accepts the connection and then never answers: slow, not down."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:  # listens, never accepts, never replies
        port = server.getsockname()[1]
        with celery_configured(broker_url=f"redis://127.0.0.1:{port}/0", task_always_eager=False) as app:
            yield app


class TookTooLong(BaseException):
    """A BaseException, so that code which swallows Exception (as enqueue() does) can't swallow the deadline."""


@contextmanager
def finishes_within(seconds):
    """Fail, rather than hang, when the block runs longer than `seconds` (main thread, Unix)."""

    def expire(signum, frame):
        raise TookTooLong(f"still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
