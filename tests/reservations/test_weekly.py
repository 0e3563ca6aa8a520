"""Weekly requests (each date a reservation of its own, taken dates reported, free ones still held) and room hours."""

from datetime import time, timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from portal.models import Notification
from reservations import selectors
from reservations.models import Reservation, ReservationQuota
from reservations.services import (
    TAKEN,
    ReservationError,
    reservation_cancel_series,
    reservation_preview,
    reservation_request,
    reservation_request_weekly,
)
from tests.concurrency import run_concurrently
from tests.factories import MembershipFactory, UserFactory
from tests.reservations.factories import meeting_room, shanghai_at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _read_messages_in_english():
    with translation.override("en"):
        yield


def weekly(area, user, weeks, start=(2, 14), end=(2, 15, 30), **kw):
    return reservation_request_weekly(area=area, user=user, starts_at=shanghai_at(*start), ends_at=shanghai_at(*end),
                                      purpose="合唱团排练", weeks=weeks, **kw)


def test_a_weekly_request_holds_every_free_date_as_its_own_reservation_in_one_series():
    area = meeting_room()
    user = UserFactory()
    outcomes = weekly(area, user, 4)
    rows = list(Reservation.objects.order_by("starts_at"))
    assert [o.reservation for o in outcomes] == rows and len(rows) == 4
    assert len({r.series for r in rows}) == 1 and rows[0].series is not None
    assert [r.starts_at for r in rows] == [shanghai_at(2 + 7 * n, 14) for n in range(4)]
    assert all(r.status == Reservation.Status.PENDING and r.user == user for r in rows)
    # One notice for the whole request, not one per date.
    assert Notification.objects.filter(recipient=user).count() == 1


def test_a_taken_date_is_reported_and_the_free_dates_are_still_held():
    area = meeting_room()
    other = reservation_request(area=area, user=UserFactory(), starts_at=shanghai_at(9, 15), ends_at=shanghai_at(9, 16),
                                purpose="企业内部会议")
    user = UserFactory()
    preview = reservation_preview(area=area, user=user, starts_at=shanghai_at(2, 14), ends_at=shanghai_at(2, 15, 30), weeks=3)
    assert [o.is_free for o in preview] == [True, False, True]
    assert preview[1].problem == TAKEN
    assert Reservation.objects.count() == 1  # a preview holds nothing

    outcomes = weekly(area, user, 3)
    assert [o.reservation is not None for o in outcomes] == [True, False, True]
    assert outcomes[1].problem == TAKEN
    assert Reservation.objects.filter(user=user).count() == 2
    other.refresh_from_db()
    assert other.status == Reservation.Status.PENDING


def test_dates_beyond_the_booking_horizon_are_reported_one_by_one():
    area = meeting_room()
    area.reservable.max_days_ahead = 14
    area.reservable.save()
    outcomes = weekly(area, UserFactory(), 4)
    assert [o.is_free for o in outcomes] == [True, True, False, False]
    assert "14 days ahead" in outcomes[2].problem
    assert Reservation.objects.count() == 2


def test_when_no_date_is_free_nothing_is_held_and_the_reason_is_given():
    area = meeting_room()
    owner = UserFactory()
    weekly(area, owner, 2)
    with pytest.raises(ReservationError) as refused:
        weekly(area, UserFactory(), 2)
    assert "None of the dates" in str(refused.value.message)
    assert Reservation.objects.exclude(user=owner).count() == 0
    # A single date keeps the precise reason.
    with pytest.raises(ReservationError) as refused:
        weekly(area, UserFactory(), 1)
    assert refused.value.message == TAKEN


def test_the_weekly_quota_is_counted_per_week():
    area = meeting_room()
    user = UserFactory()
    organisation = MembershipFactory(user=user, verified=True).organisation
    ReservationQuota.objects.create(station=area.station, organisation=organisation, hours_per_week=2)
    # The second week already has 1 hour of this organisation at the station: the morning of the second date itself, so it
    # is that date's week whatever weekday the test runs on.
    reservation_request(area=area, user=user, organisation=organisation, starts_at=shanghai_at(9, 9), ends_at=shanghai_at(9, 10),
                        purpose="周会")
    outcomes = weekly(area, user, 3, organisation=organisation)
    assert [o.is_free for o in outcomes] == [True, False, True]
    assert "hours a week" in outcomes[1].problem


@pytest.mark.parametrize("weeks", [0, 13])
def test_the_number_of_weeks_is_bounded(weeks):
    with pytest.raises(ReservationError):
        weekly(meeting_room(), UserFactory(), weeks)
    assert Reservation.objects.count() == 0


def test_cancelling_the_series_frees_the_dates_still_ahead_of_that_person_only():
    area = meeting_room()
    user = UserFactory()
    outcomes = weekly(area, user, 3)
    series = outcomes[0].reservation.series
    with pytest.raises(ReservationError):
        reservation_cancel_series(series=series, user=UserFactory())
    # Seen from the time the first date has begun, only the two later dates can still be cancelled.
    assert reservation_cancel_series(series=series, user=user, now=shanghai_at(2, 14, 30)) == 2
    statuses = list(Reservation.objects.order_by("starts_at").values_list("status", flat=True))
    assert statuses == [Reservation.Status.PENDING, Reservation.Status.CANCELLED, Reservation.Status.CANCELLED]
    with pytest.raises(ReservationError):
        reservation_cancel_series(series=series, user=user, now=shanghai_at(2, 14, 30))


def form_data(area, weeks, **extra):
    start = shanghai_at(2, 14)
    return {"date": start.date().isoformat(), "start": "14:00", "end": "15:30", "purpose": "合唱团排练", "attendees": 12,
            "weeks": weeks, **extra}


def test_the_form_shows_which_dates_are_free_before_it_reserves_them(client):
    area = meeting_room()
    reservation_request(area=area, user=UserFactory(), starts_at=shanghai_at(16, 14), ends_at=shanghai_at(16, 15), purpose="x")
    user = UserFactory()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("reservations:request", args=[area.pk])

    preview = client.post(url, form_data(area, 4))
    assert preview.status_code == 200
    assert [o.is_free for o in preview.context["preview"]] == [True, True, False, True]
    assert 'name="confirm"' in preview.content.decode()
    assert Reservation.objects.filter(user=user).count() == 0

    done = client.post(url, form_data(area, 4, confirm="1"))
    assert done.status_code == 302 and done["Location"] == reverse("reservations:mine")
    assert Reservation.objects.filter(user=user).count() == 3
    notes = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("3 dates are requested" in n for n in notes)
    assert any("was not reserved" in n and "taken" in n for n in notes), notes

    mine = client.get(reverse("reservations:mine")).content.decode()
    series = Reservation.objects.filter(user=user).first().series
    assert reverse("reservations:cancel_series", args=[series]) in mine


def test_an_impossible_number_of_weeks_from_the_form_changes_nothing(client):
    area = meeting_room()
    client.force_login(UserFactory())
    response = client.post(reverse("reservations:request", args=[area.pk]), form_data(area, 99, confirm="1"))
    assert response.status_code == 200 and "weeks" in response.context["form"].errors
    assert Reservation.objects.count() == 0


def test_cancel_series_needs_login_and_post(client):
    url = reverse("reservations:cancel_series", args=["6c0e5b8e-3f55-4c1c-9a55-2f3e0a4c1b11"])
    assert "/accounts/login/" in client.post(url)["Location"]
    client.force_login(UserFactory())
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and Reservation.objects.count() == 0


def test_a_room_can_keep_narrower_hours_than_its_station():
    area = meeting_room()  # the station opens 08:00–21:00
    area.reservable.opens, area.reservable.closes = time(9, 0), time(17, 0)
    area.reservable.save()
    for start, end in [((2, 8, 30), (2, 9, 30)), ((2, 16, 30), (2, 17, 30))]:
        with pytest.raises(ReservationError) as refused:
            reservation_request(area=area, user=UserFactory(), starts_at=shanghai_at(*start), ends_at=shanghai_at(*end), purpose="x")
        assert "not open" in str(refused.value.message)
    assert reservation_request(area=area, user=UserFactory(), starts_at=shanghai_at(2, 13), ends_at=shanghai_at(2, 17), purpose="培训")
    day = shanghai_at(2, 0).date()
    grid_area = selectors.room_for_week(area.pk, selectors.week_start(day))
    slots = next(d for d in selectors.week_grid(grid_area, day) if d.date == day).slots
    assert slots[0].starts_at == shanghai_at(2, 9) and slots[-1].ends_at == shanghai_at(2, 17)


def test_room_hours_must_close_after_they_open():
    area = meeting_room()
    area.reservable.opens, area.reservable.closes = time(17, 0), time(9, 0)
    with pytest.raises(ValidationError):
        area.reservable.full_clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_weekly_requests_racing_for_the_same_dates_never_double_book():
    area = meeting_room()
    people = [UserFactory() for _ in range(8)]

    def call(person, offset):
        # Each person asks 3 weeks, starting one week apart: neighbours compete for two dates.
        start = shanghai_at(2 + 7 * (offset % 2), 14)
        return lambda: reservation_request_weekly(area=area, user=person, starts_at=start, ends_at=start + timedelta(minutes=90),
                                                  purpose="排练", weeks=3)

    outcomes = run_concurrently([call(p, i) for i, p in enumerate(people)], refusals=(ReservationError,))
    assert outcomes.errors == []
    rows = list(Reservation.objects.filter(area=area, status__in=Reservation.HOLDING).order_by("starts_at"))
    # Four distinct Thursdays are asked for; each is held exactly once.
    assert [r.starts_at for r in rows] == [shanghai_at(2 + 7 * n, 14) for n in range(4)]
