# Load Celery with Django so shared tasks bind to the portal's app.
from portal.celery import app as celery_app

__all__ = ("celery_app",)
