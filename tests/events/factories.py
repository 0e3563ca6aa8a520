from datetime import timedelta

import factory
from django.db.models import F
from django.utils import timezone

from events.models import Booking, Event
from tests.factories import StationFactory, UserFactory


def noon_in_a_few_days(days=3):
    """12:00 Shanghai time, `days` from today: a lunch-hour salon, well clear of any deadline."""
    return (timezone.localtime() + timedelta(days=days)).replace(hour=12, minute=0, second=0, microsecond=0)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    station = factory.SubFactory(StationFactory)
    title = factory.Sequence(lambda n: f"午间沙龙{n}")
    category = Event.Category.LUNCH_SALON
    starts_at = factory.LazyFunction(noon_in_a_few_days)
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=1))
    capacity = 10
    status = Event.Status.PUBLISHED


class BookingFactory(factory.django.DjangoModelFactory):
    """One booking row, written directly. Seats it holds are added to the event's counter, as the services would.

    Prefer `events.services.booking_create` to build a waiting list: it decides confirmed/waitlisted itself.
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
