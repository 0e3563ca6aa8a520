"""The events admin: staff keep their own station's events (the street its stations'), seats move through the services."""

import csv
import io

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

import events.admin
from events.models import Booking, Event
from events.services import booking_create
from portal.models import AuditEntry, Notification
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import StationFactory, StreetFactory, UserFactory, make_staff
from tests.stations.admin_forms import change_form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:events_event_changelist")
BOOKINGS = reverse("admin:events_booking_changelist")
ADD = reverse("admin:events_event_add")
DATETIMES = ("starts_at", "ends_at", "booking_opens_at", "booking_closes_at", "cancellation_deadline")
CONFIRMED, WAITLISTED, CANCELLED = Booking.Status.CONFIRMED, Booking.Status.WAITLISTED, Booking.Status.CANCELLED


def change_url(event):
    return reverse("admin:events_event_change", args=[event.pk])


@pytest.fixture
def world():
    """Two stations in one street, one in another; an event at each."""
    street = StreetFactory(name="湖南街道")
    mine, neighbour, elsewhere = StationFactory(street=street), StationFactory(street=street), StationFactory()
    return {
        "street": street,
        "mine": mine,
        "neighbour": neighbour,
        "elsewhere": elsewhere,
        "my_event": EventFactory(station=mine, title="梧桐书法社·午间书法体验"),
        "neighbour_event": EventFactory(station=neighbour, title="咖啡沙龙"),
        "far_event": EventFactory(station=elsewhere, title="长宁工会快乐课堂·茶艺"),
    }


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def staff_client(client, world):
    login(client, make_staff("station_staff", station=world["mine"]))
    return client


def posted(page, **changes):
    """The change form as the page rendered it (date and time in two boxes each), with `changes`."""
    data = change_form_data(page)
    form = page.context["adminform"].form
    for name in DATETIMES:
        value = form[name].value()
        data.pop(name, None)
        local = timezone.localtime(value) if value else None
        data[f"{name}_0"] = local.date().isoformat() if local else ""
        data[f"{name}_1"] = local.strftime("%H:%M:%S") if local else ""
    data.update({k: str(v) for k, v in changes.items()})
    return data


def fill(event, *, confirmed, waiting):
    """`confirmed` people with a seat and `waiting` on the list, booked through the service."""
    people = [UserFactory() for _ in range(confirmed + waiting)]
    for person in people:
        booking_create(event=event, user=person)
    event.refresh_from_db()
    assert (event.confirmed_seats, event.bookings.filter(status=WAITLISTED).count()) == (confirmed, waiting)
    return people


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who sees what


def test_station_staff_list_only_their_own_stations_events(staff_client, world):
    page = staff_client.get(CHANGELIST)
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [world["my_event"]]
    assert staff_client.get(change_url(world["my_event"])).status_code == 200
    for other in ("neighbour_event", "far_event"):
        assert staff_client.get(change_url(world[other])).status_code == 302


def test_street_admins_list_the_events_of_every_station_of_their_street(client, world):
    login(client, make_staff("street_admin", street=world["street"]))
    page = client.get(CHANGELIST)
    assert set(page.context["cl"].queryset) == {world["my_event"], world["neighbour_event"]}
    assert client.get(change_url(world["far_event"])).status_code == 302


def test_the_list_shows_seats_taken_capacity_and_seats_left(staff_client, world):
    event = world["my_event"]
    fill(event, confirmed=3, waiting=0)
    page = staff_client.get(CHANGELIST)
    assert [c for c in ("seats_taken", "capacity", "seats_left", "status", "starts_at") if c not in page.context["cl"].list_display] == []
    row = page.content.decode().split(f'href="{change_url(event)}"')[1].split("</tr>")[0]
    assert '<td class="field-seats_taken">3</td>' in row
    assert '<td class="field-capacity">10</td>' in row
    assert '<td class="field-seats_left">7</td>' in row


def test_the_booking_list_is_scoped_and_filters_by_event_and_status(staff_client, world):
    mine = world["my_event"]
    first, second = fill(mine, confirmed=2, waiting=0)
    other_event = EventFactory(station=world["mine"], title="午间瑜伽")
    other = BookingFactory(event=other_event)
    BookingFactory(event=world["neighbour_event"])
    BookingFactory(event=world["far_event"])
    cancelled = BookingFactory(event=mine, status=CANCELLED)

    everything = staff_client.get(BOOKINGS)
    assert set(everything.context["cl"].queryset) == {*mine.bookings.all(), other}
    by_event = staff_client.get(BOOKINGS, {"event__id__exact": mine.pk, "status__exact": CONFIRMED})
    assert {b.user for b in by_event.context["cl"].queryset} == {first, second}
    assert cancelled not in by_event.context["cl"].queryset
    # The event filter offers only events of their own station.
    choices = {title for spec in by_event.context["cl"].filter_specs if spec.title == "event" for _, title in spec.lookup_choices}
    assert choices == {mine.title, other_event.title}


def test_bookings_are_read_only_and_made_by_people_not_staff(staff_client, world):
    booking = BookingFactory(event=world["my_event"])
    assert staff_client.get(reverse("admin:events_booking_add")).status_code == 403
    assert staff_client.get(reverse("admin:events_booking_delete", args=[booking.pk])).status_code == 403
    page = staff_client.get(reverse("admin:events_booking_change", args=[booking.pk]))
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == []
    # The event page lists its bookings without a row to add one.
    inline = staff_client.get(change_url(world["my_event"])).context["inline_admin_formsets"][0]
    assert inline.formset.model is Booking and not inline.has_add_permission
    assert booking.code in staff_client.get(change_url(world["my_event"])).content.decode()


# --- creating and editing


def test_staff_cannot_create_an_event_at_another_station(staff_client, world):
    page = staff_client.get(ADD)
    assert set(page.context["adminform"].form.fields["station"].queryset) == {world["mine"]}
    start = timezone.localtime() + timezone.timedelta(days=5)
    data = {
        "title": "别处的沙龙", "station": world["neighbour"].pk, "category": Event.Category.LUNCH_SALON, "audience": Event.Audience.EVERYONE,
        "status": Event.Status.PUBLISHED, "starts_at_0": start.date().isoformat(), "starts_at_1": "12:10:00",
        "ends_at_0": start.date().isoformat(), "ends_at_1": "12:50:00", "capacity": "20", "fee_fen": "0",
        "bookings-TOTAL_FORMS": "0", "bookings-INITIAL_FORMS": "0",
    }
    refused = staff_client.post(ADD, data)
    assert refused.status_code == 200
    assert "station" in refused.context["adminform"].form.errors
    assert not Event.objects.filter(title="别处的沙龙").exists()

    data["station"] = world["mine"].pk
    assert staff_client.post(ADD, data).status_code == 302
    created = Event.objects.get(title="别处的沙龙")
    assert (created.station, created.confirmed_seats) == (world["mine"], 0)


def test_a_room_must_belong_to_the_events_station(staff_client, world):
    from stations.models import FunctionArea

    room = FunctionArea.objects.create(station=world["neighbour"], kind=FunctionArea.Kind.MEETING, name="别人的会议室")
    page = staff_client.get(change_url(world["my_event"]))
    # The room of another station isn't offered at all (scope), and a forged post is refused by the form.
    assert room not in page.context["adminform"].form.fields["function_area"].queryset
    response = staff_client.post(change_url(world["my_event"]), posted(page, function_area=room.pk))
    assert response.status_code == 200
    assert "function_area" in response.context["adminform"].form.errors


def test_the_change_form_offers_no_cancelled_status(staff_client, world):
    page = staff_client.get(change_url(world["my_event"]))
    statuses = [value for value, _ in page.context["adminform"].form.fields["status"].choices]
    assert Event.Status.CANCELLED not in statuses
    response = staff_client.post(change_url(world["my_event"]), posted(page, status=Event.Status.CANCELLED))
    assert "status" in response.context["adminform"].form.errors
    world["my_event"].refresh_from_db()
    assert world["my_event"].status == Event.Status.PUBLISHED


def test_lowering_the_capacity_below_the_confirmed_seats_is_refused_and_changes_nothing(staff_client, world):
    event = world["my_event"]
    fill(event, confirmed=4, waiting=0)
    page = staff_client.get(change_url(event))

    response = staff_client.post(change_url(event), posted(page, capacity=3, title="改了名字"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["capacity"] == [
        "4 seats are already confirmed: the event cannot have fewer seats than that."
    ]
    event.refresh_from_db()
    assert (event.capacity, event.confirmed_seats, event.title) == (10, 4, "梧桐书法社·午间书法体验")
    assert not AuditEntry.objects.filter(action="events.event.capacity_changed").exists()


def test_lowering_to_the_confirmed_seats_is_allowed_through_the_service(staff_client, world):
    event = world["my_event"]
    fill(event, confirmed=4, waiting=0)
    response = staff_client.post(change_url(event), posted(staff_client.get(change_url(event)), capacity=4))
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.capacity, event.confirmed_seats) == (4, 4)
    assert AuditEntry.objects.filter(action="events.event.capacity_changed", object_id=str(event.pk)).exists()


def test_when_bookings_come_in_after_the_form_checked_the_service_refuses_and_nothing_is_saved(staff_client, world, monkeypatch):
    """The form's check reads the counter before saving; the service's check under the row lock is the real guard."""
    event = world["my_event"]
    fill(event, confirmed=4, waiting=0)
    page = staff_client.get(change_url(event))
    monkeypatch.setattr(events.admin.EventAdminForm, "clean_capacity", lambda form: form.cleaned_data["capacity"])

    response = staff_client.post(change_url(event), posted(page, capacity=2, title="改了名字"))

    assert response.status_code == 302
    assert response.url == change_url(event)
    assert any("cannot have fewer seats" in m for m in messages_of(response))
    event.refresh_from_db()
    assert (event.capacity, event.confirmed_seats, event.title) == (10, 4, "梧桐书法社·午间书法体验")


def test_raising_the_capacity_gives_the_new_seats_to_the_waiting_list_in_order(staff_client, world):
    event = world["my_event"]
    event.capacity = 2
    event.save(update_fields=["capacity"])
    people = fill(event, confirmed=2, waiting=3)

    response = staff_client.post(change_url(event), posted(staff_client.get(change_url(event)), capacity=4))

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.capacity, event.confirmed_seats) == (4, 4)
    statuses = {b.user: b.status for b in event.bookings.all()}
    assert [statuses[p] for p in people] == [CONFIRMED, CONFIRMED, CONFIRMED, CONFIRMED, WAITLISTED]
    promoted = Notification.objects.filter(kind="events.booking.promoted")
    assert set(promoted.values_list("recipient", flat=True)) == {people[2].pk, people[3].pk}
    assert any("2 people on the waiting list got a seat" in m for m in messages_of(response))


def test_saving_other_fields_never_overwrites_seats_booked_meanwhile(staff_client, world):
    event = world["my_event"]
    page = staff_client.get(change_url(event))
    fill(event, confirmed=2, waiting=0)  # booked while the form was open

    assert staff_client.post(change_url(event), posted(page, title="梧桐书法社·午间书法体验（加场）")).status_code == 302

    event.refresh_from_db()
    assert (event.title, event.confirmed_seats, event.capacity) == ("梧桐书法社·午间书法体验（加场）", 2, 10)


# --- actions


def test_the_cancel_action_gives_every_place_back_and_tells_everyone(staff_client, world, django_capture_on_commit_callbacks):
    event, far = world["my_event"], world["far_event"]
    event.capacity = 2
    event.save(update_fields=["capacity"])
    people = fill(event, confirmed=2, waiting=1)
    far_booking = BookingFactory(event=far)
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            CHANGELIST,
            {"action": "cancel_events", "_selected_action": [event.pk, far.pk], "reason": "老师生病，改期另行通知"},
        )

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.confirmed_seats) == (Event.Status.CANCELLED, 0)
    assert set(event.bookings.values_list("status", flat=True)) == {CANCELLED}
    assert all(b.cancelled_at for b in event.bookings.all())
    told = Notification.objects.filter(kind="events.event.cancelled")
    assert set(told.values_list("recipient", flat=True)) == {p.pk for p in people}
    assert all("老师生病" in n.body and event.title in n.title for n in told)
    entry = AuditEntry.objects.get(action="events.event.cancelled")
    assert entry.object_id == str(event.pk) and entry.data["bookings"] == 3
    # The event of another street, slipped into the post, is untouched.
    far.refresh_from_db()
    far_booking.refresh_from_db()
    assert (far.status, far.confirmed_seats, far_booking.status) == (Event.Status.PUBLISHED, 1, CONFIRMED)
    assert any("1 event was cancelled; 3 bookings" in m for m in messages_of(response))


def test_cancelling_a_cancelled_event_again_is_refused_with_a_message(staff_client, world):
    event = world["my_event"]
    staff_client.post(CHANGELIST, {"action": "cancel_events", "_selected_action": [event.pk]})
    response = staff_client.post(CHANGELIST, {"action": "cancel_events", "_selected_action": [event.pk]})
    assert any("has already been cancelled" in m for m in messages_of(response))
    assert AuditEntry.objects.filter(action="events.event.cancelled").count() == 1


def _csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_attendee_export_lists_the_people_of_the_selected_events_in_scope(staff_client, world):
    event = world["my_event"]
    with_phone = UserFactory(display_name="张晓雯", phone="13800138000")
    booking = booking_create(event=event, user=with_phone)
    Booking.objects.filter(pk=booking.pk).update(checked_in_at=timezone.make_aware(timezone.datetime(2030, 1, 8, 12, 5)))
    no_name = UserFactory(display_name="")
    booking_create(event=event, user=no_name)
    BookingFactory(event=event, status=CANCELLED)  # gave their place back: not an attendee
    BookingFactory(event=world["neighbour_event"], user=UserFactory(display_name="隔壁站的人"))

    response = staff_client.post(
        CHANGELIST, {"action": "export_attendees", "_selected_action": [event.pk, world["neighbour_event"].pk]}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0] == ["event", "starts at", "station", "name", "mobile phone", "seats", "status", "booking code", "checked in at"]
    starts = timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M")
    booking.refresh_from_db()
    assert rows[1] == [event.title, starts, event.station.name, "张晓雯", "13800138000", "1", "Seat confirmed", booking.code, "2030-01-08 12:05"]
    assert rows[2][3:5] == [no_name.email, ""]
    assert len(rows) == 3  # the cancelled booking and the neighbouring station's people are not there
