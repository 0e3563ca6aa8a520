"""Recurring events: a series is created once and produces its weekly occurrences."""

from datetime import datetime, timedelta

from django.db import transaction

from events.models import Event, EventSeries
from portal.audit import audit_log
from stations.hours import SHANGHAI


def series_occurrence_times(series):
    """(starts_at, ends_at) of every week of the series, as aware Shanghai times."""
    for week in range(series.weekly_count):
        day = series.first_date + timedelta(weeks=week)
        yield (datetime.combine(day, series.start_time, tzinfo=SHANGHAI), datetime.combine(day, series.end_time, tzinfo=SHANGHAI))


def series_generate(*, series, actor, publish=True):
    """Create the occurrences the series doesn't have yet. Safe to run again: existing ones are left as they are.

    Returns the events created.
    """
    with transaction.atomic():
        series = EventSeries.objects.select_for_update().get(pk=series.pk)
        existing = set(Event.objects.filter(series=series).values_list("starts_at", flat=True))
        created = []
        for starts_at, ends_at in series_occurrence_times(series):
            if starts_at in existing:
                continue
            created.append(
                Event.objects.create(
                    series=series,
                    station=series.station,
                    function_area=series.function_area,
                    organiser=series.organiser,
                    title=series.title,
                    description=series.description,
                    category=series.category,
                    audience=series.audience,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=series.capacity,
                    fee_fen=series.fee_fen,
                    subsidy_note=series.subsidy_note,
                    status=Event.Status.PUBLISHED if publish else Event.Status.DRAFT,
                )
            )
        if created:
            audit_log(action="events.series.generated", actor=actor, target=series, data={"created": len(created)})
    return created
