"""events.selectors.event_to_book: the booking's read as fixed SQL (portal.db.FixedRead) reads what the queryset it
stands for reads — the same columns, converted as the ORM converts them, the same events — in one statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import selectors
from events.models import Event
from events.series import series_generate
from tests.events.factories import EventFactory
from tests.events.test_series import make_series

pytestmark = pytest.mark.django_db


def queryset_read(event_id):
    return (Event.objects.filter(status__in=selectors.VISIBLE_STATUSES).select_related("station", "series")
            .only(*selectors.BOOKING_FIELDS, "station__name", "series__whole_course").get(pk=event_id))


def loaded(instance):
    deferred = instance.get_deferred_fields()
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields if f.attname not in deferred}


def test_the_booking_read_is_the_querysets_in_one_statement():
    plain = EventFactory(fee_fen=500)
    course = make_series(whole_course=True)
    session = series_generate(series=course, actor=None)[0]
    for event in (plain, session):
        with CaptureQueriesContext(connection) as read:
            got = selectors.event_to_book(event.pk)
            shown = (got.station.name, got.series.whole_course if got.series else None, got.starts_at.tzinfo is not None)
        assert len(read) == 1
        expected = queryset_read(event.pk)
        assert shown == (expected.station.name, expected.series.whole_course if expected.series else None, True)
        assert got.get_deferred_fields() == expected.get_deferred_fields()
        assert loaded(got) == loaded(expected)
        assert loaded(got.station) == loaded(expected.station)
    assert selectors.event_to_book(plain.pk).series is None and selectors.event_to_book(session.pk).series.whole_course


def test_an_event_nobody_may_see_or_an_id_no_row_can_have_is_none():
    hidden = EventFactory(status=Event.Status.DRAFT)
    for event_id in (hidden.pk, hidden.pk + 1000, 0, 2**63, 99999999999999999999):
        assert selectors.event_to_book(event_id) is None
