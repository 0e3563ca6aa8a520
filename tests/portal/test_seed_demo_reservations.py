"""`seed_demo`'s reservable rooms, weekly quotas and a week of reservations in every status."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from portal.demo import reservations_seed
from portal.demo.events_seed import first_monday
from reservations.models import ReservableArea, Reservation, ReservationQuota
from stations.models import FunctionArea
from tests.portal.seed_helpers import row_counts, seed_demo, summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return seed_demo()


def test_every_room_open_by_reservation_is_reservable(seeded):
    rooms = FunctionArea.objects.filter(access_mode=FunctionArea.Access.RESERVATION)
    assert rooms.exists()
    assert set(ReservableArea.objects.values_list("area_id", flat=True)) == set(rooms.values_list("pk", flat=True))
    for reservable in ReservableArea.objects.select_related("area"):
        assert reservable.slot_minutes == 30
        assert reservable.needs_approval == (reservable.area.kind == FunctionArea.Kind.MEETING)
    quotas = ReservationQuota.objects.select_related("station__street")
    assert quotas.exists() and all(q.station.street.name == "周家桥街道" and q.hours_per_week == 6 and q.organisation is None for q in quotas)


def test_a_week_of_reservations_in_every_status_next_week(seeded):
    reservations = Reservation.objects.all()
    assert reservations.count() == len(reservations_seed.RESERVATIONS) + len(reservations_seed.BLOCKS)
    assert set(reservations.values_list("status", flat=True)) == set(Reservation.Status.values)
    assert reservations.filter(is_block=True, status=Reservation.Status.APPROVED).count() == 1
    rejected = reservations.get(status=Reservation.Status.REJECTED)
    assert rejected.staff_remark and rejected.decided_by is not None
    assert reservations.filter(organisation__isnull=False, user__email="worker@demo.station.cn").exists()
    monday = first_monday()
    for reservation in reservations:
        assert monday <= timezone.localtime(reservation.starts_at).date() < monday + timedelta(days=7)
        assert reservation.attendees <= (reservation.area.capacity or reservation.attendees)


def test_no_two_holding_reservations_of_a_room_overlap(seeded):
    holding = list(Reservation.objects.filter(status__in=Reservation.HOLDING).order_by("area_id", "starts_at"))
    for earlier, later in pairwise(holding):
        if earlier.area_id == later.area_id:
            assert earlier.ends_at <= later.starts_at, (earlier, later)


def test_running_it_again_creates_nothing(seeded):
    before = row_counts()
    rows = summary(seed_demo())
    assert row_counts() == before
    for label in ("reservations.ReservableArea", "reservations.ReservationQuota", "reservations.Reservation"):
        assert rows[label][1:] == (0, 0), label
