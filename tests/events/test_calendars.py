"""Calendar files: an event's .ics, the private "my bookings" feed, and handing out (and revoking) its URL."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Booking, CalendarToken, Event
from events.schedule import event_move
from portal.models import AuditEntry
from tests.events.factories import BookingFactory, EventFactory, shanghai
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def event_ics_url(event):
    return reverse("events_calendar:event_ics", args=[event.pk])


def feed_url(token):
    return reverse("events_calendar:feed", args=[token])


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def vevents(calendar):
    return calendar.walk("VEVENT")


def by_uid(calendar):
    return {str(vevent["UID"]): vevent for vevent in vevents(calendar)}


# --- one event's .ics


def test_an_event_ics_has_the_shanghai_start_and_a_timezone_that_defines_it(client, settings):
    settings.SITE_URL = "https://dangqun.example.cn"
    event = EventFactory(starts_at=shanghai(3, 12, 10), ends_at=shanghai(3, 12, 50), description="带上毛笔。")

    response = client.get(event_ics_url(event))

    assert response["Content-Disposition"] == f'attachment; filename="event-{event.pk}.ics"'
    calendar = parse(response)
    [vevent] = vevents(calendar)
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start == event.starts_at and end == event.ends_at  # the same instants
    assert (start.hour, start.minute) == (12, 10)  # written as Shanghai wall-clock time…
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert start.astimezone(ZoneInfo("UTC")).hour == 4  # …which is 04:10 UTC
    assert b"DTSTART;TZID=Asia/Shanghai:" + start.strftime("%Y%m%dT121000").encode() in response.content
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Asia/Shanghai"
    assert {rule.decoded("TZOFFSETTO") for rule in vtimezone.walk("STANDARD")} == {timedelta(hours=8)}
    assert vtimezone.walk("DAYLIGHT") == []

    assert str(vevent["UID"]) == f"event-{event.pk}@dangqun.example.cn"
    assert str(vevent["SUMMARY"]) == event.title
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["LOCATION"]) == f"{event.station.name}, {event.station.address}"
    assert "带上毛笔。" in str(vevent["DESCRIPTION"])
    assert str(vevent["URL"]) == f"https://dangqun.example.cn/events/{event.pk}/"


def test_the_uid_stays_and_the_sequence_goes_up_when_the_event_is_moved(client):
    event = EventFactory(starts_at=shanghai(3, 12, 10))
    Event.objects.filter(pk=event.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    [before] = vevents(parse(client.get(event_ics_url(event))))

    event_move(event=event, starts_at=shanghai(3, 18, 30), ends_at=shanghai(3, 19, 30), actor=None)
    [after] = vevents(parse(client.get(event_ics_url(event))))

    assert str(after["UID"]) == str(before["UID"])
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert after.decoded("DTSTART") == shanghai(3, 18, 30)
    assert (after.decoded("DTSTART").hour, after["DTSTART"].params["TZID"]) == (18, "Asia/Shanghai")


def test_a_cancelled_event_is_marked_cancelled(client):
    event = EventFactory(status=Event.Status.CANCELLED)

    [vevent] = vevents(parse(client.get(event_ics_url(event))))

    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["UID"]).startswith(f"event-{event.pk}@")


@pytest.mark.parametrize("hidden", ["draft", "private"])
def test_draft_and_private_events_have_no_public_ics(client, hidden):
    event = EventFactory(status=Event.Status.DRAFT) if hidden == "draft" else EventFactory(private_for=OrganisationFactory())

    assert client.get(event_ics_url(event)).status_code == 404


def test_an_unknown_event_has_no_ics(client):
    assert client.get("/events/999999/calendar.ics").status_code == 404


# --- the private feed


@pytest.fixture
def person():
    return UserFactory()


@pytest.fixture
def token(person):
    return CalendarToken.objects.create(user=person).token


def test_the_feed_has_only_the_persons_own_bookings(client, person, token):
    mine = BookingFactory(user=person, event=EventFactory(starts_at=shanghai(2, 12, 10)))
    waiting = BookingFactory(user=person, event=EventFactory(starts_at=shanghai(5, 18, 30)), status=Booking.Status.WAITLISTED)
    someone_elses = BookingFactory(event=mine.event)
    not_mine = BookingFactory(event=EventFactory())

    response = client.get(feed_url(token))

    assert response["Cache-Control"] == "private"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.content
    events = by_uid(parse(response))
    assert set(events) == {f"event-{mine.event_id}@127.0.0.1", f"event-{waiting.event_id}@127.0.0.1"}
    confirmed_entry = events[f"event-{mine.event_id}@127.0.0.1"]
    assert str(confirmed_entry["STATUS"]) == "CONFIRMED"
    assert mine.code in str(confirmed_entry["DESCRIPTION"])
    assert someone_elses.code not in response.content.decode() and not_mine.code not in response.content.decode()
    waiting_entry = events[f"event-{waiting.event_id}@127.0.0.1"]
    assert str(waiting_entry["STATUS"]) == "TENTATIVE"
    assert waiting_entry.decoded("DTSTART") == waiting.event.starts_at
    assert (waiting_entry.decoded("DTSTART").hour, waiting_entry["DTSTART"].params["TZID"]) == (18, "Asia/Shanghai")


def test_the_feed_keeps_the_last_30_days_and_drops_what_the_person_gave_back(client, person, token):
    recent = BookingFactory(user=person, event=EventFactory(starts_at=shanghai(-20, 12, 10)), status=Booking.Status.ATTENDED)
    old = BookingFactory(user=person, event=EventFactory(starts_at=shanghai(-40, 12, 10)), status=Booking.Status.ATTENDED)
    given_back = BookingFactory(user=person, status=Booking.Status.CANCELLED)
    called_off = BookingFactory(user=person, event=EventFactory(status=Event.Status.CANCELLED), status=Booking.Status.CANCELLED)

    events = by_uid(parse(client.get(feed_url(token))))

    uids = {uid.split("@")[0] for uid in events}
    assert uids == {f"event-{recent.event_id}", f"event-{called_off.event_id}"}
    assert f"event-{old.event_id}" not in uids and f"event-{given_back.event_id}" not in uids
    # A cancelled event stays in the calendar as cancelled, so it doesn't silently vanish from it.
    assert str(events[f"event-{called_off.event_id}@127.0.0.1"]["STATUS"]) == "CANCELLED"


def test_the_feed_shows_a_rebooked_event_once(client, person, token):
    event = EventFactory()
    BookingFactory(user=person, event=event, status=Booking.Status.CANCELLED)
    BookingFactory(user=person, event=event, status=Booking.Status.CONFIRMED)

    [vevent] = vevents(parse(client.get(feed_url(token))))

    assert str(vevent["STATUS"]) == "CONFIRMED"


def test_an_unknown_token_is_404(client, token):
    assert client.get(feed_url("x" * 43)).status_code == 404
    assert client.get(feed_url(token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404


def test_a_deactivated_persons_feed_is_404(client, person, token):
    person.is_active = False
    person.save(update_fields=["is_active"])

    assert client.get(feed_url(token)).status_code == 404


# --- handing out the feed URL


def test_the_calendar_page_needs_a_login(client):
    response = client.post(reverse("events_calendar:feed_page"))

    assert response.status_code == 302 and "login" in response["Location"]
    assert not CalendarToken.objects.exists()


def test_making_a_link_then_a_new_one_revokes_the_old_url(client, person):
    client.force_login(person)
    page = reverse("events_calendar:feed_page")
    assert b"webcal://" not in client.get(page).content

    assert client.post(page).status_code == 302
    first = CalendarToken.objects.get(user=person).token
    content = client.get(page).content.decode()
    assert f"webcal://testserver/calendar/{first}.ics" in content
    assert f"http://testserver/calendar/{first}.ics" in content
    assert client.get(feed_url(first)).status_code == 200

    response = client.post(page, {"next": "/me/bookings/"})
    assert response["Location"] == "/me/bookings/"
    second = CalendarToken.objects.get(user=person).token
    assert second != first
    assert client.get(feed_url(first)).status_code == 404  # the old URL is revoked
    assert client.get(feed_url(second)).status_code == 200
    assert list(AuditEntry.objects.filter(actor=person).order_by("pk").values_list("action", flat=True)) == [
        "events.calendar_token.created",
        "events.calendar_token.regenerated",
    ]


def test_the_link_page_does_not_redirect_elsewhere(client, person):
    client.force_login(person)

    response = client.post(reverse("events_calendar:feed_page"), {"next": "https://evil.example.com/"})

    assert response["Location"] == reverse("events_calendar:feed_page")
