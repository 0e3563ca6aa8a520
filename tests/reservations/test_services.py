from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from reservations.models import Reservation
from reservations.services import ReservationError, reservation_block, reservation_cancel, reservation_decide, reservation_request
from tests.factories import UserFactory, make_staff
from tests.reservations.factories import meeting_room, shanghai_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _read_messages_in_english():
    """The assertions read the rule messages' English wording; the Chinese comes from the same msgids."""
    with translation.override("en"):
        yield


def ask(area, start, end, user=None, **kw):
    return reservation_request(area=area, user=user or UserFactory(), starts_at=start, ends_at=end, purpose="部门例会", **kw)


def test_a_request_holds_its_slot_until_staff_decide(django_capture_on_commit_callbacks, mailoutbox):
    area = meeting_room()
    with django_capture_on_commit_callbacks(execute=True):
        first = ask(area, shanghai_at(2, 14), shanghai_at(2, 15, 30))
    assert first.status == Reservation.Status.PENDING
    assert len(mailoutbox) == 1
    with pytest.raises(ReservationError) as refused:
        ask(area, shanghai_at(2, 15), shanghai_at(2, 16))
    assert "taken" in str(refused.value.message)
    assert Reservation.objects.count() == 1


def test_touching_edges_are_fine_and_cancelled_or_rejected_slots_free_up():
    area = meeting_room()
    ask(area, shanghai_at(2, 12), shanghai_at(2, 13))
    ask(area, shanghai_at(2, 13), shanghai_at(2, 14))  # starts as the other ends
    person = UserFactory()
    mine = ask(area, shanghai_at(2, 15), shanghai_at(2, 16), user=person)
    reservation_cancel(reservation_id=mine.pk, user=person)
    again = ask(area, shanghai_at(2, 15), shanghai_at(2, 16))
    staff = make_staff("station_staff", station=area.station)
    reservation_decide(reservation=again, actor=staff, approve=False, remark="当天场地维修")
    assert ask(area, shanghai_at(2, 15), shanghai_at(2, 16)).status == Reservation.Status.PENDING


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ((2, 14), (2, 14), "after the start"),
        ((2, 14, 10), (2, 15), "steps of 30"),
        ((2, 14), (2, 19, 30), "longest"),
        ((2, 14), (2, 14, 0), "after the start"),
        ((2, 6), (2, 7), "opening hours"),
        ((2, 20, 30), (2, 21, 30), "opening hours"),
        ((45, 10), (45, 11), "days ahead"),
    ],
)
def test_each_rule_has_a_clear_message_and_changes_nothing(start, end, words):
    area = meeting_room()
    with pytest.raises(ReservationError) as refused:
        ask(area, shanghai_at(*start), shanghai_at(*end))
    assert words in str(refused.value.message)
    assert not Reservation.objects.exists()


def test_over_capacity_and_the_past_are_refused():
    area = meeting_room(capacity=8)
    with pytest.raises(ReservationError) as too_many:
        ask(area, shanghai_at(2, 14), shanghai_at(2, 15), attendees=9)
    assert "8" in str(too_many.value.message)
    with pytest.raises(ReservationError) as past:
        ask(area, shanghai_at(-1, 14), shanghai_at(-1, 15))
    assert "past" in str(past.value.message)


def test_times_are_read_in_shanghai_with_the_server_in_utc():
    area = meeting_room()
    # 06:00–07:30 UTC is 14:00–15:30 in Shanghai: inside the 08:00–21:00 hours.
    day = shanghai_at(2, 0).date()
    start = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
    reservation = ask(area, start, start + timedelta(minutes=90))
    assert reservation.starts_at == shanghai_at(2, 14)
    # 22:00 UTC is 06:00 the next morning in Shanghai: closed.
    with pytest.raises(ReservationError):
        ask(area, datetime(day.year, day.month, day.day, 22, 0, tzinfo=UTC),
            datetime(day.year, day.month, day.day, 23, 0, tzinfo=UTC))


def test_without_approval_the_reservation_is_confirmed_at_once():
    area = meeting_room(needs_approval=False)
    assert ask(area, shanghai_at(2, 9), shanghai_at(2, 10)).status == Reservation.Status.APPROVED


def test_only_staff_of_the_station_decide_and_a_rejection_needs_a_reason():
    area = meeting_room()
    reservation = ask(area, shanghai_at(2, 14), shanghai_at(2, 15))
    outsider = make_staff("station_staff", station=meeting_room().station)
    with pytest.raises(PermissionDenied):
        reservation_decide(reservation=reservation, actor=outsider, approve=True)
    staff = make_staff("station_staff", station=area.station)
    with pytest.raises(ReservationError):
        reservation_decide(reservation=reservation, actor=staff, approve=False, remark=" ")
    approved = reservation_decide(reservation=reservation, actor=staff, approve=True)
    assert approved.status == Reservation.Status.APPROVED
    told = approved.user.notifications.get(kind="reservations.reservation.approved")
    # The decision says which reservation it is about: the date and time in Shanghai, and the station.
    start = shanghai_at(2, 14)
    assert told.body.startswith(f"{start:%Y-%m-%d} 14:00–15:00 · {area.station.name}")
    with pytest.raises(ReservationError):
        reservation_decide(reservation=approved, actor=staff, approve=False, remark="again")

    rejected = reservation_decide(reservation=ask(area, shanghai_at(2, 16), shanghai_at(2, 17)), actor=staff, approve=False,
                                  remark="当天有消防检查")
    told = rejected.user.notifications.get(kind="reservations.reservation.rejected")
    assert told.body == f"{start:%Y-%m-%d} 16:00–17:00 · {area.station.name}\n当天有消防检查"


def test_staff_block_a_slot_and_nobody_can_take_it():
    area = meeting_room()
    staff = make_staff("station_staff", station=area.station)
    reservation_block(area=area, starts_at=shanghai_at(3, 9), ends_at=shanghai_at(3, 12), actor=staff, reason="消防检查")
    with pytest.raises(ReservationError):
        ask(area, shanghai_at(3, 10), shanghai_at(3, 11))


def test_a_person_cancels_only_their_own_reservation():
    area = meeting_room()
    reservation = ask(area, shanghai_at(2, 14), shanghai_at(2, 15))
    with pytest.raises(ReservationError):
        reservation_cancel(reservation_id=reservation.pk, user=UserFactory())
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.PENDING


@pytest.mark.postgres
def test_the_database_itself_refuses_overlaps_on_postgresql():
    area = meeting_room()
    user = UserFactory()
    Reservation.objects.create(area=area, user=user, starts_at=shanghai_at(2, 14), ends_at=shanghai_at(2, 15), purpose="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(area=area, user=user, starts_at=shanghai_at(2, 14, 30), ends_at=shanghai_at(2, 16), purpose="b")
    # Touching edges and rows that no longer hold their slot are allowed.
    Reservation.objects.create(area=area, user=user, starts_at=shanghai_at(2, 15), ends_at=shanghai_at(2, 16), purpose="c")
    Reservation.objects.create(area=area, user=user, starts_at=shanghai_at(2, 14), ends_at=shanghai_at(2, 15), purpose="d",
                               status=Reservation.Status.CANCELLED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'reservation_no_overlap'")
        assert cursor.fetchone()[0] == 1


def test_an_organisation_stays_within_its_weekly_quota_across_rooms():
    from reservations.models import ReservationQuota
    from tests.factories import MembershipFactory, OrganisationFactory

    area = meeting_room()
    other_room = meeting_room(station=area.station)
    company = OrganisationFactory()
    contact = MembershipFactory(organisation=company, verified=True).user
    ReservationQuota.objects.create(station=area.station, hours_per_week=3)
    ask(area, shanghai_at(7, 9), shanghai_at(7, 11), user=contact, organisation=company)
    with pytest.raises(ReservationError) as refused:
        ask(other_room, shanghai_at(7, 14), shanghai_at(7, 16), user=contact, organisation=company)
    assert "3 hours" in str(refused.value.message)
    ask(other_room, shanghai_at(7, 14), shanghai_at(7, 15), user=contact, organisation=company)  # exactly 3 hours
    # Without the organisation, a person's own reservation is not counted against it.
    ask(other_room, shanghai_at(7, 16), shanghai_at(7, 18), user=contact)


def test_only_verified_members_reserve_for_an_organisation():
    from tests.factories import MembershipFactory

    membership = MembershipFactory()
    with pytest.raises(ReservationError):
        ask(meeting_room(), shanghai_at(2, 9), shanghai_at(2, 10), user=membership.user, organisation=membership.organisation)
