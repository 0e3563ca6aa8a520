"""The baseline's settings: a bare Django project with one view, no apps, no middleware and no database.

It runs in the same gunicorn as the portal, so its req/s is what this machine gives a Django page that
does nothing but render a template; every page of the portal is reported as a ratio to it.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent

SECRET_KEY = "bench-baseline-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.baseline.urls"
WSGI_APPLICATION = "bench.baseline.wsgi.application"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [HERE / "templates"], "APP_DIRS": False}]
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = False
USE_TZ = True
