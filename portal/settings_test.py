"""The test profile: fast hashing, e-mail kept in memory, Celery eager unless a test wires a real broker."""

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL = REDIS_URL or "memory://"  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# allauth's rate limits would trip over a test suite that signs in hundreds of times.
ACCOUNT_RATE_LIMITS = False
MEDIA_ROOT = BASE_DIR / "test-artifacts" / "media"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The page cache is switched on only by the tests about it, with a memory cache they clear: pages
# cached by one test must not answer another (their transactions never commit, so nothing moves on).
PAGE_CACHE_ENABLED = False
CACHES["pages"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages-test"}  # noqa: F405
# Sessions in the database only, whatever REDIS_URL says: a copy in Redis would outlive each test's rolled-back
# transaction. tests/portal/test_session_cache.py switches the production engine on.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
