"""Delivery channels. Each knows whom it can reach and how to send; add SMS or WeChat here."""

from abc import ABC, abstractmethod
from functools import cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string


class Channel(ABC):
    name = ""

    @abstractmethod
    def can_reach(self, user):
        """Whether this channel has a way to reach the user at all."""

    @abstractmethod
    def send(self, notification):
        """Send or raise; the caller records the outcome."""


class EmailChannel(Channel):
    name = "email"

    def can_reach(self, user):
        return bool(user.email) and user.is_active

    def send(self, notification):
        user = notification.recipient
        site_url = getattr(settings, "SITE_URL", "").rstrip("/")
        context = {"notification": notification, "user": user, "site_url": site_url}
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + notification.title
            text = render_to_string("portal/email/notification.txt", context)
            html = render_to_string("portal/email/notification.html", context)
        message = EmailMultiAlternatives(subject=subject.replace("\n", " "), body=text, to=[user.email])
        message.attach_alternative(html, "text/html")
        if notification.attachment_name:
            mimetype = "text/csv" if notification.attachment_name.endswith(".csv") else "text/plain"
            # A BOM, so spreadsheet programs open the Chinese in a CSV as UTF-8.
            message.attach(notification.attachment_name, "\ufeff" + notification.attachment, mimetype)
        message.send(fail_silently=False)


@cache
def get_channels():
    return tuple(import_string(path)() for path in settings.NOTIFICATION_CHANNELS)


def get_channel(name):
    for channel in get_channels():
        if channel.name == name:
            return channel
    raise LookupError(f"No notification channel named {name!r}")
