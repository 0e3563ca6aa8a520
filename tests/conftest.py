import os
import shutil

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"


def _is_postgres():
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (row locks, constraints): set DATABASE_URL=postgres://…")
    skip_browser = pytest.mark.skip(reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    skip_redis = pytest.mark.skip(reason="needs a Redis broker: set REDIS_URL=redis://127.0.0.1:6379/0")
    has_browser = os.path.exists(CHROMIUM) or shutil.which("chromium") is not None
    for item in items:
        if "postgres" in item.keywords and not _is_postgres():
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not has_browser:
            item.add_marker(skip_browser)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
