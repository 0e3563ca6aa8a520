"""Racing requests for one room, on PostgreSQL."""

from importlib import import_module

import pytest
from django.db import OperationalError, connection

from reservations import services
from reservations.models import Reservation
from reservations.services import ReservationError, reservation_request
from stations.models import FunctionArea
from tests.concurrency import run_concurrently, slow_down, without_select_for_update
from tests.factories import UserFactory
from tests.reservations.factories import meeting_room, shanghai_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def requests_for(area, slots):
    people = [UserFactory() for _ in slots]

    def call(person, start, end):
        return lambda: reservation_request(area=area, user=person, starts_at=start, ends_at=end, purpose="例会")

    return [call(person, *slot) for person, slot in zip(people, slots, strict=True)]


def holding(area):
    return list(Reservation.objects.filter(area=area, status__in=Reservation.HOLDING).order_by("starts_at"))


def assert_no_overlap(rows):
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert earlier.ends_at <= later.starts_at


def test_fifty_requests_for_the_same_slot_one_holds_it():
    area = meeting_room()
    slot = (shanghai_at(2, 14), shanghai_at(2, 15, 30))
    outcomes = run_concurrently(requests_for(area, [slot] * 50), refusals=(ReservationError,))
    assert outcomes.errors == []
    assert len(outcomes.results) == 1
    assert len(outcomes.refusals) == 49
    assert all(r.message == services.TAKEN for r in outcomes.refusals)
    assert len(holding(area)) == 1


def test_overlapping_different_slots_racing_never_overlap():
    area = meeting_room()
    # 24 requests of 60 minutes starting every 30 minutes from 09:00: neighbours overlap by half.
    slots = [(shanghai_at(2, 9 + i // 2, 30 * (i % 2)), shanghai_at(2, 10 + i // 2, 30 * (i % 2))) for i in range(24)]
    outcomes = run_concurrently(requests_for(area, slots), refusals=(ReservationError,))
    assert outcomes.errors == []
    rows = holding(area)
    assert len(rows) == len(outcomes.results) >= 6
    assert_no_overlap(rows)


@pytest.fixture
def no_room_lock(monkeypatch):
    """The service as it would be without its room lock, with a pause that widens the race."""
    without_select_for_update(monkeypatch, FunctionArea)
    slow_down(monkeypatch, Reservation.objects, "create", 0.02)


def _deadlock_on_the_constraint(error):
    return isinstance(error, OperationalError) and "deadlock detected" in str(error) and "exclusion constraint" in str(error)


def test_control_without_the_lock_the_constraint_alone_still_holds(no_room_lock):
    area = meeting_room()
    slot = (shanghai_at(2, 14), shanghai_at(2, 15))
    outcomes = run_concurrently(requests_for(area, [slot] * 20), refusals=(ReservationError,))
    assert len(holding(area)) == 1
    # Without the lock, two inserts of the same slot at the same moment can also wait on each other in the constraint's
    # check, and PostgreSQL aborts one as a deadlock: an error rather than the "taken" message, never a double booking.
    # The room lock is what turns every loser into the friendly refusal (the test above: 0 errors).
    assert all(_deadlock_on_the_constraint(error) for error in outcomes.errors), outcomes.errors
    assert len(outcomes.results) + len(outcomes.refusals) + len(outcomes.errors) == 20


def test_control_without_lock_and_constraint_the_race_double_books(no_room_lock):
    """Shows the race is real and that these tests can see it: with both guards off, the slot is taken twice."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE reservations_reservation DROP CONSTRAINT reservation_no_overlap")
    try:
        area = meeting_room()
        slot = (shanghai_at(2, 14), shanghai_at(2, 15))
        run_concurrently(requests_for(area, [slot] * 20), refusals=(ReservationError,))
        assert len(holding(area)) > 1
    finally:
        Reservation.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(import_module("reservations.migrations.0002_no_overlap_on_postgresql").CREATE)
