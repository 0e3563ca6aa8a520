"""Many people booking and cancelling the same event at once: no seat is lost or given twice (PostgreSQL row locks).

The control switches the event lock off and shows the race does happen, so we know these tests can see it.
"""

import threading
from collections import Counter
from functools import partial

import pytest
from django.db import IntegrityError
from django.db.models import F

import events.services
from events.models import Booking, Event
from events.services import EventError, booking_cancel, booking_create
from portal.models import Membership, Notification
from tests.concurrency import run_concurrently, slow_down
from tests.events.factories import EventFactory, book, holding_seats
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONFIRMED, WAITLISTED, CANCELLED = Booking.Status.CONFIRMED, Booking.Status.WAITLISTED, Booking.Status.CANCELLED
BOOKERS = 60
CAPACITY = 10
CHECK_TO_WRITE_SECONDS = 0.02  # see slow_booking_write


def report(name, outcome, event):
    """One line per run, shown with `pytest -s`: what the threads did and how long it took."""
    by_status = Counter(Booking.objects.filter(event=event).values_list("status", flat=True))
    event.refresh_from_db()
    print(
        f"\n{name}: {len(outcome)} threads in {outcome.seconds:.2f}s; "
        f"bookings confirmed {by_status[CONFIRMED]} ({event.confirmed_seats}/{event.capacity} seats), "
        f"waitlisted {by_status[WAITLISTED]}, cancelled {by_status[CANCELLED]}; "
        f"refusals {len(outcome.refusals)}, errors {Counter(type(e).__name__ for e in outcome.errors)}"
    )


def assert_seats_add_up(event):
    event.refresh_from_db()
    assert event.confirmed_seats == holding_seats(event) <= event.capacity


def waiting_list(event):
    return list(Booking.objects.filter(event=event, status=WAITLISTED).order_by("created_at", "pk").values_list("pk", flat=True))


def in_booking_order(event, *statuses):
    return list(Booking.objects.filter(event=event, status__in=statuses).order_by("created_at", "pk").values_list("pk", flat=True))


@pytest.fixture
def slow_booking_write(monkeypatch):
    """Widen the window a missing lock would let through: pause between counting the free seats and writing the booking."""
    slow_down(monkeypatch, Booking.objects, "create", CHECK_TO_WRITE_SECONDS)


@pytest.fixture
def locked_way_only(monkeypatch):
    """Every booking the locked way (book_in_transaction), as a course session or a retry would go."""
    monkeypatch.setattr(events.services, "_book_at_once", lambda *args: None)


@pytest.fixture
def without_the_event_lock(monkeypatch, locked_way_only):
    """The locked way as it would be without select_for_update: a plain read."""
    monkeypatch.setattr(events.services, "_lock_event", lambda event_id: Event.objects.get(pk=event_id))


@pytest.fixture
def without_the_conditional_seat_count(monkeypatch):
    """The single booking's statement on the event row as it would be without its condition: seats counted blindly."""
    def blind(event, seats, now, *, take_seats, full):
        if take_seats:
            Event.objects.filter(pk=event.pk).update(confirmed_seats=F("confirmed_seats") + seats)
        return True

    monkeypatch.setattr(events.services, "_event_still_as_read", blind)


# --- the real thing


@pytest.mark.parametrize("way", ["at once", "locked"])
@pytest.mark.parametrize("window", ["as-is", "widened"])
def test_sixty_people_booking_ten_seats_at_once_get_ten_seats_and_fifty_places_in_line(mailoutbox, request, window, way):
    if window == "widened":
        request.getfixturevalue("slow_booking_write")  # the same window the controls show the race in
    if way == "locked":
        request.getfixturevalue("locked_way_only")
    event = EventFactory(capacity=CAPACITY)
    people = UserFactory.create_batch(BOOKERS)

    outcome = run_concurrently([partial(booking_create, event=event, user=person) for person in people], refusals=EventError)
    report(f"60 bookers, window {window}, {way}", outcome, event)

    assert outcome.errors == []
    assert outcome.refusals == []
    assert Counter(b.status for b in outcome.results) == {CONFIRMED: CAPACITY, WAITLISTED: BOOKERS - CAPACITY}
    assert_seats_add_up(event)
    assert event.confirmed_seats == CAPACITY
    # First come, first served: the seats went to the first ten bookings written, the rest queue behind them.
    assert in_booking_order(event, CONFIRMED, WAITLISTED)[:CAPACITY] == in_booking_order(event, CONFIRMED)
    assert Counter(Notification.objects.values_list("kind", flat=True)) == {
        "events.booking.confirmed": CAPACITY,
        "events.booking.waitlisted": BOOKERS - CAPACITY,
    }
    assert len(mailoutbox) == BOOKERS  # every e-mail left after its booking committed, once


def test_seats_given_back_while_others_book_go_to_the_earliest_waiting_in_order():
    event = EventFactory(capacity=CAPACITY)
    holders = [book(event) for _ in range(CAPACITY)]
    for _ in range(20):
        book(event)
    queue = waiting_list(event)
    newcomers = UserFactory.create_batch(20)

    calls = [partial(booking_cancel, booking_id=b.pk, user=b.user) for b in holders]
    calls += [partial(booking_create, event=event, user=person) for person in newcomers]
    outcome = run_concurrently(calls, refusals=EventError)
    report("10 cancel + 20 book", outcome, event)

    assert outcome.errors == []
    assert outcome.refusals == []
    assert_seats_add_up(event)
    assert event.confirmed_seats == CAPACITY  # every seat given back went to someone, and to one person only
    assert in_booking_order(event, CONFIRMED) == queue[:CAPACITY]  # the earliest in line, in order
    # A seat was never free for a newcomer to take: each cancellation handed its seat on before it committed.
    new_bookings = list(Booking.objects.filter(user__in=newcomers))
    assert len(new_bookings) == 20 and {b.status for b in new_bookings} == {WAITLISTED}
    assert waiting_list(event) == queue[CAPACITY:] + [b.pk for b in sorted(new_bookings, key=lambda b: (b.created_at, b.pk))]
    assert set(Booking.objects.filter(pk__in=[b.pk for b in holders]).values_list("status", flat=True)) == {CANCELLED}
    assert Notification.objects.filter(kind="events.booking.promoted").count() == CAPACITY


def test_groups_booking_at_once_never_overbook_and_leave_no_seat_a_waiting_request_could_use():
    event = EventFactory(capacity=CAPACITY)
    contacts = [MembershipFactory(role=Membership.Role.REPRESENTATIVE, verified=True).user for _ in range(30)]

    # Groups of 2, 3 and 4 don't always add up to 10: a seat may be left that no waiting group fits.
    outcome = run_concurrently([partial(booking_create, event=event, user=c, seats=2 + i % 3) for i, c in enumerate(contacts)], refusals=EventError)
    report("30 groups of 2-4", outcome, event)

    assert outcome.errors == [] and outcome.refusals == []
    assert_seats_add_up(event)
    free = event.capacity - event.confirmed_seats
    # Seats only ever got scarcer, so each request that had to wait is still larger than what is left.
    assert all(b.seats > free for b in Booking.objects.filter(event=event, status=WAITLISTED))


# --- the control: without the lock, the race happens


@pytest.mark.parametrize("guard_removed", ["without_the_event_lock", "without_the_conditional_seat_count"])
def test_control_without_its_guard_bookers_race_for_the_same_seats(request, guard_removed, slow_booking_write):
    """The locked way without its lock, or the single booking without the condition of its seat count."""
    request.getfixturevalue(guard_removed)
    event = EventFactory(capacity=CAPACITY)
    people = UserFactory.create_batch(BOOKERS)

    outcome = run_concurrently([partial(booking_create, event=event, user=person) for person in people], refusals=EventError)
    report(f"control, {guard_removed}", outcome, event)

    overbooked = Booking.objects.filter(event=event, status=CONFIRMED).count() > CAPACITY
    counter_refused = [e for e in outcome.errors if isinstance(e, IntegrityError)]
    assert overbooked or counter_refused, "the race did not show: this test could not see a missing guard"
    # The check constraint is the last line of defence: even without the guard the counter never passes capacity.
    event.refresh_from_db()
    assert event.confirmed_seats <= CAPACITY


def _give_back_while_others_join_an_empty_waiting_list(monkeypatch):
    """Ten holders give their seats back while twenty others book the full event, whose waiting list is empty.

    The newcomers read the event full; each holds its write back until every seat has been given back (a slow request
    would), so the seats come free between their read and their write on every run, however fast the machine is.
    """
    given_back, left = threading.Event(), [CAPACITY]
    counting = threading.Lock()
    write_booking = Booking.objects.create

    def write_once_the_seats_are_back(*args, **kwargs):
        assert given_back.wait(timeout=30), "the seats were not given back"
        return write_booking(*args, **kwargs)

    def give_back(booking):
        try:
            return booking_cancel(booking_id=booking.pk, user=booking.user)
        finally:
            with counting:
                left[0] -= 1
                if not left[0]:
                    given_back.set()

    event = EventFactory(capacity=CAPACITY)
    holders = [book(event) for _ in range(CAPACITY)]
    monkeypatch.setattr(Booking.objects, "create", write_once_the_seats_are_back)
    event.refresh_from_db()  # the newcomers read it full, as the event page's read would
    newcomers = UserFactory.create_batch(20)
    calls = [partial(give_back, b) for b in holders]
    calls += [partial(booking_create, event=event, user=person) for person in newcomers]
    return event, run_concurrently(calls, refusals=EventError)


def test_nobody_is_left_waiting_for_a_seat_given_back_while_they_joined_the_waiting_list(monkeypatch):
    """Each newcomer read the event full, but a seat may come free before their waiting place commits: the statement
    that checks "still full" sends them the locked way, where they take the seat."""
    event, outcome = _give_back_while_others_join_an_empty_waiting_list(monkeypatch)
    report("10 cancel + 20 book, empty waiting list", outcome, event)

    assert outcome.errors == [] and outcome.refusals == []
    assert_seats_add_up(event)
    assert event.confirmed_seats == CAPACITY
    assert Booking.objects.filter(event=event, status=WAITLISTED).count() == 10


def test_control_without_the_full_check_a_place_on_the_waiting_list_is_written_beside_a_free_seat(
        without_the_conditional_seat_count, monkeypatch):
    event, outcome = _give_back_while_others_join_an_empty_waiting_list(monkeypatch)
    report("control, 10 cancel + 20 book, no full check", outcome, event)

    event.refresh_from_db()
    waiting = Booking.objects.filter(event=event, status=WAITLISTED).count()
    assert event.confirmed_seats < CAPACITY and waiting > 0, "the race did not show: this test could not see a missing check"
