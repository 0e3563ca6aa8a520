"""Events as iCalendar: one event's .ics file, and a person's private "my bookings" feed.

Times are written as Shanghai wall-clock time with TZID=Asia/Shanghai and the
VTIMEZONE that defines it: 12:10 in Shanghai reads 12:10 in the file and in a
Shanghai calendar, and a calendar elsewhere converts the same instant. UIDs depend only on the event, so a moved event updates
the entry already in someone's calendar instead of adding a second one; SEQUENCE
follows the event's last change, so clients take the newer version.
"""

from datetime import UTC, date, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from events.models import Booking, CalendarToken, Event
from portal.audit import audit_log

# Shanghai has kept UTC+8 without daylight saving since 1992: a VTIMEZONE from then on is one line of rules.
SHANGHAI_RULES_SINCE = date(1992, 1, 1)
FEED_PAST_DAYS = 30
# Statuses shown in the feed: what holds a place, and past visits (attended, no-show) in the last FEED_PAST_DAYS.
FEED_BOOKING_STATUSES = Booking.ACTIVE


def site_host():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute_url(path):
    return settings.SITE_URL.rstrip("/") + path


def event_uid(event):
    return f"event-{event.pk}@{site_host()}"


def new_calendar(name=None):
    tz = ZoneInfo(settings.TIME_ZONE)
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{site_host()}//Community Party-Mass Service Stations//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    # Some clients want the VTIMEZONE before the events that use it.
    calendar.add_component(icalendar.Timezone.from_tzid(tz.key, first_date=SHANGHAI_RULES_SINCE, last_date=date(2100, 1, 1)))
    return calendar, tz


def _location(event):
    station = event.station
    place = f"{station.name} · {event.function_area.display_name}" if event.function_area_id else station.name
    return f"{place}, {station.address}" if station.address else place


def _vevent(event, tz, *, stamp, booking=None):
    component = icalendar.Event()
    component.add("uid", event_uid(event))
    # DTSTAMP, CREATED and LAST-MODIFIED must be UTC (RFC 5545 3.8.7).
    component.add("dtstamp", stamp.astimezone(UTC))
    component.add("dtstart", timezone.localtime(event.starts_at, tz))
    component.add("dtend", timezone.localtime(event.ends_at, tz))
    component.add("created", event.created_at.astimezone(UTC))
    component.add("last-modified", event.updated_at.astimezone(UTC))
    # Any saved change (a move, above all) gives a higher number; no counter to keep in step. Seconds since
    # 1970 fit the 32-bit integer clients expect until 2038; two saves within one second share a number.
    component.add("sequence", int(event.updated_at.timestamp()))

    summary = event.title
    lines = [event.description.strip()] if event.description.strip() else []
    if event.status == Event.Status.CANCELLED:
        status = "CANCELLED"
        summary = _("Cancelled: {title}").format(title=event.title)
    elif booking is not None and booking.status == Booking.Status.WAITLISTED:
        status = "TENTATIVE"
        summary = _("Waiting list: {title}").format(title=event.title)
        lines.append(_("You are on the waiting list; if a seat comes free it is yours and we tell you."))
    else:
        status = "CONFIRMED"
        if booking is not None and booking.status == Booking.Status.CONFIRMED:
            lines.append(_("Your booking code: {code}").format(code=booking.code))
    url = absolute_url(event.get_absolute_url())
    lines.append(url)

    component.add("summary", summary)
    component.add("location", _location(event))
    component.add("description", "\n\n".join(lines))
    component.add("url", url)
    component.add("status", status)
    station = event.station
    if station.latitude is not None and station.longitude is not None:
        component.add("geo", (float(station.latitude), float(station.longitude)))  # WGS-84, as iCalendar expects
    return component


def event_calendar(event, *, now=None):
    """The .ics file (bytes) for one event, in the active language."""
    calendar, tz = new_calendar()
    calendar.add_component(_vevent(event, tz, stamp=now or timezone.now()))
    return calendar.to_ical()


def bookings_for_feed(user, *, now=None):
    """The person's bookings for their feed, one per event: upcoming ones and those of the last FEED_PAST_DAYS.

    A booking cancelled because its event was cancelled stays in, so calendars show the
    event as cancelled instead of it silently disappearing.
    """
    now = now or timezone.now()
    bookings = (
        Booking.objects.filter(user=user, event__ends_at__gte=now - timedelta(days=FEED_PAST_DAYS))
        .filter(Q(status__in=FEED_BOOKING_STATUSES) | Q(status=Booking.Status.CANCELLED, event__status=Event.Status.CANCELLED))
        .exclude(event__status=Event.Status.DRAFT)
        .select_related("event__station", "event__function_area")
        .order_by("event__starts_at", "event_id", "-created_at")
    )
    one_per_event = {}
    for booking in bookings:
        kept = one_per_event.get(booking.event_id)
        # A place the person holds wins over an older, cancelled booking of the same event.
        if kept is None or (kept.status == Booking.Status.CANCELLED and booking.status != Booking.Status.CANCELLED):
            one_per_event[booking.event_id] = booking
    return list(one_per_event.values())


def bookings_calendar(user, *, now=None):
    """The private feed (bytes) of `user`'s bookings, written in their own language."""
    now = now or timezone.now()
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        calendar, tz = new_calendar(name=_("My bookings · {site}").format(site=settings.SITE_NAME))
        # Ask subscribing clients to look again every hour (RFC 7986, and Outlook's older name for it).
        calendar.add("refresh-interval", icalendar.vDuration(timedelta(hours=1)), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
        for booking in bookings_for_feed(user, now=now):
            calendar.add_component(_vevent(booking.event, tz, stamp=now, booking=booking))
        return calendar.to_ical()


def calendar_token_regenerate(*, user, actor):
    """Give `user` a new secret feed URL. The old URL, if any, stops working at once."""
    with transaction.atomic():
        # The person's row is locked so two clicks at once can't both create a token (one per person).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        revoked = CalendarToken.objects.filter(user=user).delete()[0] > 0
        token = CalendarToken.objects.create(user=user)
        audit_log(action="events.calendar_token.regenerated" if revoked else "events.calendar_token.created", actor=actor, target=token)
    return token


def calendar_token_for(user):
    return CalendarToken.objects.filter(user=user).first()
