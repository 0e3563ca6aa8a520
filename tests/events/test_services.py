"""Booking seats: confirmed while they last, then the waiting list, promoted in order; and every rule that refuses a booking."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

import events.services
from events.models import Booking, Event
from events.services import MAX_GROUP_SEATS, EventError, booking_cancel, booking_create, event_capacity_change
from portal.models import AuditEntry, Membership, Notification, Organisation
from tests.events.factories import BookingFactory, EventFactory, book, holding_seats
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

CONFIRMED, WAITLISTED, CANCELLED, ATTENDED = (
    Booking.Status.CONFIRMED,
    Booking.Status.WAITLISTED,
    Booking.Status.CANCELLED,
    Booking.Status.ATTENDED,
)


def refused(service, **kwargs):
    """Call a service that must refuse; return its message in English. The message is always a whole sentence."""
    with pytest.raises(EventError) as caught:
        service(**kwargs)
    with translation.override("en"):
        message = str(caught.value.message).strip()
    assert message and not message[0].islower() and message[-1] == ".", f"not a sentence: {message!r}"
    return message


def assert_seats_add_up(event):
    """The counter is the sum of seats held by confirmed and attended bookings, and never above capacity."""
    event.refresh_from_db()
    held = holding_seats(event)
    assert event.confirmed_seats == held
    assert held <= event.capacity


def statuses(*bookings):
    return [Booking.objects.get(pk=b.pk).status for b in bookings]


def kinds(person):
    return sorted(Notification.objects.filter(recipient=person).values_list("kind", flat=True))


def group_contact(role=Membership.Role.REPRESENTATIVE):
    """Someone who may book seats for colleagues: a verified representative or manager of an enterprise."""
    return MembershipFactory(role=role, verified=True).user


def fill(event, n):
    """n people with a confirmed seat each, through the real service."""
    return [book(event) for _ in range(n)]


# --- confirmed while seats last, then the waiting list


def test_a_booking_is_confirmed_while_seats_last_and_the_person_is_told_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    event = EventFactory(capacity=2)
    person = UserFactory(language="en")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        booking = booking_create(event=event, user=person)
        assert mailoutbox == []  # nothing leaves before the booking is committed

    assert (booking.status, booking.seats, booking.event, booking.user) == (CONFIRMED, 1, event, person)
    assert booking.confirmed_at is not None and len(booking.code) == 10
    assert_seats_add_up(event)
    assert event.confirmed_seats == 1 and event.seats_left == 1
    notification = Notification.objects.get(recipient=person)
    assert notification.kind == "events.booking.confirmed"
    assert event.title in notification.title and booking.code in notification.body
    assert notification.url == event.get_absolute_url()
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [[person.email]]
    assert event.title in mailoutbox[0].subject
    assert AuditEntry.objects.filter(action="events.booking.confirmed", actor=person, object_id=str(booking.pk)).exists()


def test_when_the_event_is_full_the_next_person_goes_on_the_waiting_list_and_is_told(django_capture_on_commit_callbacks, mailoutbox):
    event = EventFactory(capacity=2)
    fill(event, 2)
    late = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(event=event, user=late)

    assert booking.status == WAITLISTED and booking.confirmed_at is None
    assert_seats_add_up(event)
    assert event.confirmed_seats == 2
    assert kinds(late) == ["events.booking.waitlisted"]
    assert [m.to for m in mailoutbox][-1] == [late.email]
    assert AuditEntry.objects.filter(action="events.booking.waitlisted", actor=late).exists()


def test_the_last_seat_goes_to_the_next_person_and_only_then_the_waiting_list_starts():
    event = EventFactory(capacity=3)
    bookings = [book(event) for _ in range(5)]
    assert [b.status for b in bookings] == [CONFIRMED] * 3 + [WAITLISTED] * 2
    assert_seats_add_up(event)


# --- giving seats back, and promotion from the waiting list


def test_a_cancelled_seat_goes_to_the_first_person_waiting_who_is_told(django_capture_on_commit_callbacks, mailoutbox):
    event = EventFactory(capacity=2)
    first, second = fill(event, 2)
    waiting = [book(event) for _ in range(3)]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = booking_cancel(booking_id=first.pk, user=first.user)

    assert cancelled.status == CANCELLED and cancelled.cancelled_at is not None
    assert statuses(first, second, *waiting) == [CANCELLED, CONFIRMED, CONFIRMED, WAITLISTED, WAITLISTED]
    promoted = Booking.objects.get(pk=waiting[0].pk)
    assert promoted.confirmed_at is not None
    assert_seats_add_up(event)
    assert event.confirmed_seats == 2
    assert kinds(promoted.user) == ["events.booking.promoted", "events.booking.waitlisted"]
    assert [m.to for m in mailoutbox] == [[promoted.user.email]]
    assert AuditEntry.objects.filter(action="events.booking.promoted", object_id=str(promoted.pk)).exists()
    assert AuditEntry.objects.filter(action="events.booking.cancelled", actor=first.user, object_id=str(first.pk)).exists()


def test_a_group_that_does_not_fit_keeps_its_place_and_gets_the_seats_when_enough_free_up():
    event = EventFactory(capacity=4)
    big_group = booking_create(event=event, user=group_contact(), seats=3)
    single = book(event)
    assert Event.objects.get(pk=event.pk).confirmed_seats == 4
    waiting_group = booking_create(event=event, user=group_contact(Membership.Role.MANAGER), seats=3)
    first_single = book(event)
    second_single = book(event)
    assert statuses(waiting_group, first_single, second_single) == [WAITLISTED] * 3

    # One seat comes free: the group ahead doesn't fit, so the first single behind it gets the seat.
    booking_cancel(booking_id=single.pk, user=single.user)
    assert statuses(waiting_group, first_single, second_single) == [WAITLISTED, CONFIRMED, WAITLISTED]
    assert kinds(waiting_group.user) == ["events.booking.waitlisted"]
    assert_seats_add_up(event)

    # Three seats come free: the group is first in line again and takes them all, ahead of the later single.
    booking_cancel(booking_id=big_group.pk, user=big_group.user)
    assert statuses(waiting_group, first_single, second_single) == [CONFIRMED, CONFIRMED, WAITLISTED]
    assert kinds(waiting_group.user) == ["events.booking.promoted", "events.booking.waitlisted"]
    assert kinds(second_single.user) == ["events.booking.waitlisted"]
    assert_seats_add_up(event)
    assert event.confirmed_seats == 4


def test_several_seats_freed_by_one_group_go_to_several_people_in_order():
    event = EventFactory(capacity=3)
    group = booking_create(event=event, user=group_contact(), seats=3)
    waiting = [book(event) for _ in range(4)]

    booking_cancel(booking_id=group.pk, user=group.user)

    assert statuses(*waiting) == [CONFIRMED, CONFIRMED, CONFIRMED, WAITLISTED]
    assert_seats_add_up(event)


def test_a_place_on_the_waiting_list_can_be_given_up_at_any_time_without_moving_seats():
    event = EventFactory(capacity=1, cancellation_deadline=timezone.now() + timedelta(hours=1))
    (holder,) = fill(event, 1)
    waiting = book(event)
    after_the_start = event.starts_at + timedelta(minutes=5)

    cancelled = booking_cancel(booking_id=waiting.pk, user=waiting.user, now=after_the_start)

    assert cancelled.status == CANCELLED and cancelled.cancelled_at == after_the_start
    assert statuses(holder) == [CONFIRMED]
    assert_seats_add_up(event)
    assert event.confirmed_seats == 1


def test_a_confirmed_seat_cannot_be_given_back_after_the_cancellation_deadline():
    deadline = timezone.now() + timedelta(days=1)
    event = EventFactory(capacity=1, cancellation_deadline=deadline)
    (holder,) = fill(event, 1)
    waiting = book(event)

    message = refused(booking_cancel, booking_id=holder.pk, user=holder.user, now=deadline)

    assert "deadline" in message
    assert statuses(holder, waiting) == [CONFIRMED, WAITLISTED]
    assert kinds(waiting.user) == ["events.booking.waitlisted"]
    assert_seats_add_up(event)
    # Just before the deadline it still works.
    booking_cancel(booking_id=holder.pk, user=holder.user, now=deadline - timedelta(seconds=1))
    assert statuses(holder, waiting) == [CANCELLED, CONFIRMED]


def test_without_a_deadline_a_seat_can_be_given_back_until_the_event_starts():
    event = EventFactory(capacity=1)
    (holder,) = fill(event, 1)

    refused(booking_cancel, booking_id=holder.pk, user=holder.user, now=event.starts_at)

    assert statuses(holder) == [CONFIRMED]
    booking_cancel(booking_id=holder.pk, user=holder.user, now=event.starts_at - timedelta(minutes=1))
    assert statuses(holder) == [CANCELLED]
    assert_seats_add_up(event)


def test_someone_elses_booking_id_is_refused_and_nothing_changes():
    event = EventFactory(capacity=1)
    (victim,) = fill(event, 1)
    waiting = book(event)
    forger = UserFactory()
    notifications, audit = Notification.objects.count(), AuditEntry.objects.count()

    message = refused(booking_cancel, booking_id=victim.pk, user=forger)
    refused(booking_cancel, booking_id=Booking.objects.order_by("pk").last().pk + 1000, user=forger)

    assert "no such booking" in message
    assert statuses(victim, waiting) == [CONFIRMED, WAITLISTED]
    assert (Notification.objects.count(), AuditEntry.objects.count()) == (notifications, audit)
    assert_seats_add_up(event)


def test_a_booking_that_is_already_cancelled_or_attended_cannot_be_cancelled():
    event = EventFactory(capacity=3)
    cancelled = book(event)
    booking_cancel(booking_id=cancelled.pk, user=cancelled.user)
    attended = BookingFactory(event=event, status=ATTENDED)

    refused(booking_cancel, booking_id=cancelled.pk, user=cancelled.user)
    refused(booking_cancel, booking_id=attended.pk, user=attended.user)

    assert statuses(cancelled, attended) == [CANCELLED, ATTENDED]
    assert_seats_add_up(event)
    assert event.confirmed_seats == 1  # attended seats still count


def test_the_same_person_cannot_book_the_same_event_twice():
    event = EventFactory(capacity=1)
    holder, waiting = UserFactory(), UserFactory()
    booking_create(event=event, user=holder)
    booking_create(event=event, user=waiting)

    assert "already booked" in refused(booking_create, event=event, user=holder)
    refused(booking_create, event=event, user=waiting)

    assert Booking.objects.filter(event=event).count() == 2
    assert kinds(holder) == ["events.booking.confirmed"]
    assert_seats_add_up(event)


def test_the_database_refuses_a_second_active_booking_whatever_path_writes_it():
    booking = BookingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(event=booking.event, user=booking.user, status=WAITLISTED)


def test_a_person_who_cancelled_can_book_again():
    event = EventFactory(capacity=1)
    person = UserFactory()
    first = booking_create(event=event, user=person)
    booking_cancel(booking_id=first.pk, user=person)

    again = booking_create(event=event, user=person)

    assert again.pk != first.pk and again.code != first.code
    assert statuses(first, again) == [CANCELLED, CONFIRMED]
    assert_seats_add_up(event)
    # And once more from the waiting list.
    booking_cancel(booking_id=again.pk, user=person)
    fill(event, 1)
    third = booking_create(event=event, user=person)
    assert third.status == WAITLISTED
    assert Booking.objects.filter(event=event, user=person).count() == 3


# --- events that cannot be booked


def _in(**delta):
    return timezone.now() + timedelta(**delta)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        pytest.param(lambda: {"status": Event.Status.CANCELLED}, "cancelled", id="cancelled"),
        pytest.param(lambda: {"status": Event.Status.DRAFT}, "not open", id="draft"),
        pytest.param(lambda: {"status": Event.Status.FINISHED}, "not open", id="finished"),
        pytest.param(lambda: {"starts_at": _in(hours=-1)}, "already started", id="past"),
        pytest.param(lambda: {"booking_opens_at": _in(days=1)}, "Booking opens on", id="not-yet-open"),
        pytest.param(lambda: {"booking_closes_at": _in(minutes=-1)}, "closed", id="closed"),
    ],
)
def test_an_event_that_is_not_open_for_booking_refuses_and_nothing_is_written(django_capture_on_commit_callbacks, mailoutbox, fields, words):
    event = EventFactory(**fields())
    person = UserFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = refused(booking_create, event=event, user=person)

    assert words in message
    assert not Booking.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="events.").exists()
    assert callbacks == [] and mailoutbox == []
    assert_seats_add_up(event)


def test_booking_opens_at_the_announced_time():
    opens = timezone.now() + timedelta(days=1)
    event = EventFactory(booking_opens_at=opens)
    refused(booking_create, event=event, user=UserFactory(), now=opens - timedelta(seconds=1))
    assert booking_create(event=event, user=UserFactory(), now=opens).status == CONFIRMED


def test_an_event_cancelled_after_the_page_was_loaded_is_checked_again_under_the_lock():
    event = EventFactory()
    stale = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)

    assert "cancelled" in refused(booking_create, event=stale, user=UserFactory())
    assert not Booking.objects.exists() and not Notification.objects.exists()


# --- group bookings


@pytest.mark.parametrize("role", [Membership.Role.REPRESENTATIVE, Membership.Role.MANAGER])
def test_a_verified_enterprise_contact_may_book_seats_for_colleagues(role):
    event = EventFactory(capacity=10)
    booking = booking_create(event=event, user=group_contact(role), seats=4)
    assert (booking.status, booking.seats) == (CONFIRMED, 4)
    assert_seats_add_up(event)
    assert event.confirmed_seats == 4
    assert AuditEntry.objects.get(action="events.booking.confirmed").data == {"seats": 4}


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda: UserFactory(), id="no-membership"),
        pytest.param(lambda: MembershipFactory(verified=True).user, id="verified-plain-member"),
        pytest.param(lambda: MembershipFactory(role=Membership.Role.REPRESENTATIVE).user, id="unverified-representative"),
        pytest.param(
            lambda: (
                MembershipFactory(role=Membership.Role.MANAGER, verified=True, organisation=OrganisationFactory(kind=Organisation.Kind.PARTY)).user
            ),
            id="manager-of-a-party-organisation",
        ),
        pytest.param(lambda: make_staff("street_admin", street=OrganisationFactory().street), id="street-staff"),
    ],
)
def test_only_a_verified_enterprise_contact_may_book_more_than_one_seat(who):
    event = EventFactory()
    person = who()

    assert "verified contact of an enterprise" in refused(booking_create, event=event, user=person, seats=2)

    assert not Booking.objects.exists() and not Notification.objects.filter(kind__startswith="events.").exists()
    assert booking_create(event=event, user=person).seats == 1  # one seat for themselves is fine


def test_a_group_larger_than_the_event_is_refused_but_one_that_must_wait_goes_on_the_list():
    event = EventFactory(capacity=5)
    contact = group_contact()

    assert "5 seats in all" in refused(booking_create, event=event, user=contact, seats=6)
    assert not Booking.objects.exists()

    fill(event, 3)
    waiting = booking_create(event=event, user=contact, seats=3)  # fits the event, not the seats left
    assert waiting.status == WAITLISTED
    assert_seats_add_up(event)
    assert event.confirmed_seats == 3


@pytest.mark.parametrize("seats", [0, -1])
def test_fewer_than_one_seat_is_refused(seats):
    event = EventFactory()
    assert "at least one seat" in refused(booking_create, event=event, user=group_contact(), seats=seats)
    assert not Booking.objects.exists()


def test_more_seats_than_a_group_may_book_at_once_are_refused():
    event = EventFactory(capacity=MAX_GROUP_SEATS + 10)
    refused(booking_create, event=event, user=group_contact(), seats=MAX_GROUP_SEATS + 1)
    assert booking_create(event=event, user=group_contact(), seats=MAX_GROUP_SEATS).status == CONFIRMED


def test_the_database_refuses_a_booking_of_no_seats():
    event = EventFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(event=event, user=UserFactory(), status=WAITLISTED, seats=0)


# --- changing the number of seats


def test_an_event_cannot_have_fewer_seats_than_are_confirmed():
    event = EventFactory(capacity=5)
    fill(event, 3)
    staff = make_staff("street_admin", street=event.station.street)

    assert "3 seats are already confirmed" in refused(event_capacity_change, event=event, capacity=2, actor=staff)

    event.refresh_from_db()
    assert event.capacity == 5
    assert event_capacity_change(event=event, capacity=3, actor=staff).capacity == 3  # exactly as many is fine
    assert AuditEntry.objects.filter(action="events.event.capacity_changed", actor=staff).count() == 1


def test_an_event_cannot_have_no_seats_at_all():
    event = EventFactory(capacity=5)
    refused(event_capacity_change, event=event, capacity=0, actor=None)
    event.refresh_from_db()
    assert event.capacity == 5


def test_the_database_refuses_an_overbooked_event_whatever_path_writes_it():
    event = EventFactory(capacity=3)
    fill(event, 3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(confirmed_seats=F("confirmed_seats") + 1)
    assert_seats_add_up(event)
    assert (event.capacity, event.confirmed_seats) == (3, 3)


def test_more_seats_go_to_the_waiting_list_in_order(django_capture_on_commit_callbacks, mailoutbox):
    event = EventFactory(capacity=3)
    fill(event, 3)
    group = booking_create(event=event, user=group_contact(), seats=3)
    singles = [book(event) for _ in range(3)]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        changed = event_capacity_change(event=event, capacity=5, actor=None)  # two more seats: the group doesn't fit, two singles do
    assert (changed.capacity, changed.confirmed_seats, changed.seats_left) == (5, 5, 0)
    assert statuses(group, *singles) == [WAITLISTED, CONFIRMED, CONFIRMED, WAITLISTED]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(b.user.email for b in singles[:2])
    assert_seats_add_up(event)

    event_capacity_change(event=event, capacity=8, actor=None)  # three more: the group, first in line, takes them
    assert statuses(group, *singles) == [CONFIRMED, CONFIRMED, CONFIRMED, WAITLISTED]
    assert kinds(group.user) == ["events.booking.promoted", "events.booking.waitlisted"]
    assert_seats_add_up(event)
    assert event.confirmed_seats == 8


# --- rolled back means nobody hears of it


def test_a_booking_rolled_back_after_notifying_leaves_no_booking_no_notification_and_no_email(
    django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    event = EventFactory()

    def audit_fails(**kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(events.services, "audit_log", audit_fails)  # fails after the booking and its notification are written
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        book(event)

    assert not Booking.objects.exists()
    assert not Notification.objects.exists()
    assert callbacks == [] and mailoutbox == []
    assert_seats_add_up(event)
    assert event.confirmed_seats == 0
