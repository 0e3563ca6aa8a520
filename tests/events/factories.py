from datetime import timedelta

import factory
from django.db.models import F
from django.utils import timezone

from events.models import Booking, Event
from events.services import booking_create
from portal.models import StaffAssignment
from tests.factories import StationFactory, UserFactory, make_staff


def shanghai(days, hour, minute=0):
    """A wall-clock time in Shanghai, `days` from today."""
    return (timezone.localtime() + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def noon_in_a_few_days(days=3):
    """12:00 Shanghai time, `days` from today: a lunch-hour salon, well clear of any deadline."""
    return shanghai(days, 12)


class EventFactory(factory.django.DjangoModelFactory):
    """A published free lunch salon at noon in three days.

    `door_open=True`: it starts in an hour instead, so check-in is open.
    """

    class Meta:
        model = Event

    class Params:
        door_open = factory.Trait(starts_at=factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(hours=1)))

    station = factory.SubFactory(StationFactory)
    title = factory.Sequence(lambda n: f"午间沙龙{n}")
    category = Event.Category.LUNCH_SALON
    starts_at = factory.LazyFunction(noon_in_a_few_days)
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=1))
    capacity = 10
    status = Event.Status.PUBLISHED


class BookingFactory(factory.django.DjangoModelFactory):
    """One booking row, written directly. Seats it holds are added to the event's counter, as the services would.

    Prefer `book` (through `events.services.booking_create`) to build a waiting list: it decides confirmed/waitlisted itself.
    """

    class Meta:
        model = Booking

    event = factory.SubFactory(EventFactory)
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


def book(event, user=None, **kwargs):
    """A booking made through the service, as a person would: confirmed or waitlisted by its rules."""
    return booking_create(event=event, user=user or UserFactory(), **kwargs)


def station_staff(station, **kwargs):
    return make_staff(StaffAssignment.Role.STATION_STAFF, station=station, **kwargs)


def holding_seats(event):
    """The seats the bookings of `event` hold, counted from the rows: the counter must equal it."""
    return sum(Booking.objects.filter(event=event, status__in=Booking.HOLDING_SEATS).values_list("seats", flat=True))
