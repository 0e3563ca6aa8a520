"""Settings for the community station portal.

Everything that differs between a laptop and production comes from environment
variables (django-environ). With nothing set, the portal runs on a SQLite file
with Celery tasks executed eagerly in-process, so `make run` needs no services.
`DJANGO_ENV=production` switches on the hardened profile that passes
`manage.py check --deploy`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    # No default: a production server must never run with a key from the repo.
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="dev-only-insecure-key-7q!r2v9w$k4m8x1z6c3b5n0p-change-me-in-prod"
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_filters",
    "import_export",
    "portal",
    "stations",
    "events",
    "reservations",
    "wishes",
    "lunch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock instead of failing at once when two requests write together, and take the write
    # lock when a transaction begins: "check, then write" in a service is then never interleaved.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The hot paths' fixed reads are PREPAREd once per PostgreSQL connection (portal/db.py). Behind a pooler that hands one
# client's statements to several server connections (PgBouncer in transaction mode), switch this off.
DB_PREPARED_READS = env.bool("DB_PREPARED_READS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- django-allauth: e-mail is the login, and it must be confirmed.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = env.str("EMAIL_SUBJECT_PREFIX", default="[党群服务站] ")
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
LOGIN_REDIRECT_URL = "portal:home"
LOGIN_URL = "account_login"

# --- Internationalisation: Chinese first, English second, Shanghai time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media files: vendored assets, served by WhiteNoise.
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve straight from the app folders: no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- E-mail
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="党群服务站 <noreply@station.example.cn>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery. Without REDIS_URL tasks run eagerly, in-process, after commit.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing must never hold a web request hostage: fail fast, the sweep retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2, "max_retries": 0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if REDIS_URL.startswith("redis://"):
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"  # kombu's, with one publishing client (see portal/broker.py)

# Notifications still undelivered after this many seconds are picked up again.
NOTIFICATION_SWEEP_AFTER_SECONDS = env.int("NOTIFICATION_SWEEP_AFTER_SECONDS", default=300)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_CHANNELS = ["portal.notifications.channels.EmailChannel"]
CELERY_BEAT_SCHEDULE = {
    "portal.sweep_notifications": {
        "task": "portal.tasks.sweep_notifications",
        "schedule": 60.0,
    },
    "events.send_event_reminders": {
        "task": "events.tasks.send_event_reminders",
        "schedule": 5 * 60.0,
    },
    "events.mark_event_no_shows": {
        "task": "events.tasks.mark_event_no_shows",
        "schedule": 15 * 60.0,
    },
    "wishes.sweep_wish_deadlines": {
        "task": "wishes.tasks.sweep_wish_deadlines",
        "schedule": 60 * 60.0,
    },
    # Lunch: manifests leave as soon as a cut-off passes; uncollected orders are marked after each pickup window.
    "lunch.send_lunch_manifests": {"task": "lunch.tasks.send_lunch_manifests", "schedule": 60.0},
    "lunch.mark_uncollected_lunches": {"task": "lunch.tasks.mark_uncollected_lunches", "schedule": 15 * 60.0},
    "lunch.check_merchant_licences": {"task": "lunch.tasks.check_merchant_licences", "schedule": crontab(hour=6, minute=0)},
    "lunch.remind_low_lunch_balances": {"task": "lunch.tasks.remind_low_lunch_balances", "schedule": crontab(hour=19, minute=30)},
}
# People with a seat are reminded this long before an event starts.
EVENTS_REMINDER_BEFORE = timedelta(hours=env.int("EVENTS_REMINDER_HOURS", default=2))
# Lunch (amounts in fen)
LUNCH_MAX_QUANTITY = env.int("LUNCH_MAX_QUANTITY", default=5)  # meals in one order; the subsidy applies to one
LUNCH_MAX_TOP_UP_FEN = env.int("LUNCH_MAX_TOP_UP_FEN", default=100_000)  # ¥1,000 at a time
LUNCH_NO_SHOW_LIMIT = env.int("LUNCH_NO_SHOW_LIMIT", default=3)  # uncollected orders in the window → balance payment only
LUNCH_NO_SHOW_WINDOW_DAYS = env.int("LUNCH_NO_SHOW_WINDOW_DAYS", default=30)
LUNCH_LICENCE_WARN_DAYS = env.int("LUNCH_LICENCE_WARN_DAYS", default=30)
LUNCH_USUAL_ORDERS = env.int("LUNCH_USUAL_ORDERS", default=3)  # orders in two weeks that make someone a "usual" for low-balance notes
# Micro-wishes
WISHES_MAX_VALUE = env.int("WISHES_MAX_VALUE", default=500)  # yuan: a micro-wish is small
WISHES_CLAIM_DAYS = env.int("WISHES_CLAIM_DAYS", default=14)  # days a claimer has to fulfil a wish
WISHES_MAX_OPEN_CLAIMS = env.int("WISHES_MAX_OPEN_CLAIMS", default=3)  # claims one person may hold at once
WISHES_PUBLISHED_DAYS = env.int("WISHES_PUBLISHED_DAYS", default=90)  # an unclaimed wish expires after this, unless its campaign says otherwise
WISHES_SERVICE_MONTHS = env.int("WISHES_SERVICE_MONTHS", default=6)  # the period a claimer of a repeating service commits to
# Days before a claim's deadline the claimer is reminded (the first reminder also tells the station's staff).
WISHES_REMIND_DAYS = tuple(sorted({int(days) for days in env.list("WISHES_REMIND_DAYS", default=["3", "1"])}, reverse=True))
RESERVATIONS_MAX_WEEKS = env.int("RESERVATIONS_MAX_WEEKS", default=12)  # a weekly request runs for at most this many weeks
EVENTS_MAX_GROUP_SEATS = env.int("EVENTS_MAX_GROUP_SEATS", default=20)
EVENTS_CHECK_IN_OPENS_BEFORE = timedelta(hours=2)
# No-show fairness for free events: this many no-shows within the window, and for a while
# after the last one a person may only join waiting lists.
EVENTS_NO_SHOW_THRESHOLD = env.int("EVENTS_NO_SHOW_THRESHOLD", default=3)
EVENTS_NO_SHOW_WINDOW_DAYS = env.int("EVENTS_NO_SHOW_WINDOW_DAYS", default=60)
EVENTS_NO_SHOW_RESTRICTION_DAYS = env.int("EVENTS_NO_SHOW_RESTRICTION_DAYS", default=30)

# --- Cache: per-process memory. Nothing that a request needs lives only here.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public pages for first-time visitors are kept in Redis and invalidated exactly (portal/page_cache.py).
# Without Redis there is no page cache: a per-process cache could not be invalidated across workers.
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE", default=bool(REDIS_URL))
PAGE_CACHE_TIMEOUT = env.int("PAGE_CACHE_TIMEOUT", default=60)  # seconds; bounds what changes with the clock alone
PAGE_CACHE_URL = env.str("PAGE_CACHE_URL", default=REDIS_URL)
if PAGE_CACHE_ENABLED and PAGE_CACHE_URL:
    CACHES["pages"] = {
        "BACKEND": "portal.cache.RedisCache",
        "LOCATION": PAGE_CACHE_URL,
        "KEY_PREFIX": "pages",
        # A slow or absent Redis costs a request at most this, then is left alone for a few seconds.
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
    }
else:
    CACHES["pages"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"}

# Sessions live in the database; with Redis, a copy there saves each signed-in request its session query. The copy
# fails soft (portal.cache.FailSoftRedisCache): without Redis the database answers, and no copy outlives 5 minutes.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
    CACHES["sessions"] = {
        "BACKEND": "portal.cache.FailSoftRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "sessions",
        "MAX_TIMEOUT": 300,
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
    }
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
# Messages ride in a signed cookie (the session only when they are too big): a booking or an order
# then writes the session neither when the message is left nor when it is shown.
MESSAGE_STORAGE = "django.contrib.messages.storage.fallback.FallbackStorage"
# Refuse oversized requests instead of parsing them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Station maps, public and in admin (Leaflet, vendored under static/vendor/leaflet).
# The default tiles are AutoNavi's (高德), which are drawn in GCJ-02, the offset datum Chinese maps
# must use. Station coordinates are stored in WGS-84 (what phones report), so on these tiles a
# marker can sit a few hundred metres (~500 m in Shanghai) from the building. Tiles in WGS-84
# (e.g. OpenStreetMap) show the true position but may not load from inside China.
STATIONS_TILE_URL = env.str(
    "STATIONS_TILE_URL",
    default="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
)
STATIONS_TILE_SUBDOMAINS = env.list("STATIONS_TILE_SUBDOMAINS", default=["1", "2", "3", "4"])
STATIONS_TILE_ATTRIBUTION = env.str("STATIONS_TILE_ATTRIBUTION", default="© 高德地图 AutoNavi")
# Whether the tiles are drawn in GCJ-02: the public maps then shift each WGS-84 marker the same way.
# Set it to false with WGS-84 tiles such as OpenStreetMap's.
STATIONS_TILE_GCJ02 = env.bool("STATIONS_TILE_GCJ02", default=True)
# The map feed sends stations one by one up to this many in a view; beyond it, stations close together come grouped.
STATIONS_MAP_POINT_LIMIT = env.int("STATIONS_MAP_POINT_LIMIT", default=300)
STATIONS_MAP_ZOOM = 10  # the zoom the feed groups at when the map doesn't say (its first request: the whole city)
STATIONS_MAP_CENTER = [31.2304, 121.4737]  # People's Square, for a station without coordinates yet

# --- django-import-export: stations come in and go out as CSV/XLSX through the admin.
# One transaction per file: a single bad row rolls the whole file back.
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Importing creates rows, exporting reads them: the admin checks these Django permissions,
# then the resources and querysets narrow them to the user's scope.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# A cell starting with "=" is exported without it, so a spreadsheet doesn't run it as a formula.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Absolute links in e-mails and notifications.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SITE_NAME = _("Community Party-Mass Service Stations")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
