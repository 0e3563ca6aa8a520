"""Rows for the check-in tests, independent of tests/events/factories.py (written alongside)."""

from datetime import timedelta

import factory
from django.db.models import F
from django.utils import timezone

from events.models import Booking, Event
from portal.models import StaffAssignment
from tests.factories import StationFactory, UserFactory, make_staff


class DoorEventFactory(factory.django.DjangoModelFactory):
    """A published free salon starting in an hour: check-in is open."""

    class Meta:
        model = Event

    station = factory.SubFactory(StationFactory)
    title = factory.Sequence(lambda n: f"午间沙龙{n}")
    category = Event.Category.LUNCH_SALON
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=1))
    capacity = 10
    status = Event.Status.PUBLISHED


class SeatFactory(factory.django.DjangoModelFactory):
    """A booking written directly; seats it holds are added to the event's counter, as the services would."""

    class Meta:
        model = Booking

    event = factory.SubFactory(DoorEventFactory)
    user = factory.SubFactory(UserFactory)
    seats = 1
    status = Booking.Status.CONFIRMED
    confirmed_at = factory.LazyAttribute(lambda booking: timezone.now() if booking.status in Booking.HOLDING_SEATS else None)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        booking = super()._create(model_class, *args, **kwargs)
        if booking.status in Booking.HOLDING_SEATS:
            Event.objects.filter(pk=booking.event_id).update(confirmed_seats=F("confirmed_seats") + booking.seats)
            booking.event.refresh_from_db(fields=["confirmed_seats"])
        return booking


def station_staff(station, **kwargs):
    return make_staff(StaffAssignment.Role.STATION_STAFF, station=station, **kwargs)


def holding_seats(event):
    """The seats the bookings of `event` hold, counted from the rows: the counter must equal it."""
    return sum(Booking.objects.filter(event=event, status__in=Booking.HOLDING_SEATS).values_list("seats", flat=True))
