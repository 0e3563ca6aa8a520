"""The public event list's query parameters, turned into `upcoming_events()` / `week_events()` arguments.

Like the station list (see portal.filters): the FilterSet does no filtering of its own, a value that
doesn't validate is left out and explained, and nothing in the address bar can make the page fail.
"""

from datetime import date

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from events.models import Event
from events.selectors import upcoming_events
from portal.filters import ListFilterSet, narrow_station_choices
from portal.models import District
from stations.models import Station

# Dates outside these years are typing mistakes; refusing them also keeps date arithmetic from overflowing.
FIRST_YEAR, LAST_YEAR = 2000, 2100
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": _("Enter a date like 2026-11-23.")}


def time_band_choices():
    return [
        ("lunch", _("Lunch hour (11:30–13:30)")),
        ("after_work", _("After work (17:30–21:00)")),
        ("weekend", _("At the weekend")),
    ]


class EventFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to", "week"):
            day = data.get(name)
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(name, _("Choose a date between the years %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR})
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and "date_from" not in self.errors and "date_to" not in self.errors and end < start:
            self.add_error("date_to", _("The last day is before the first day; it was left out."))
        return data


class EventFilter(ListFilterSet):
    date_from = django_filters.DateFilter(label=_("From"), widget=DATE_WIDGET, error_messages=DATE_ERRORS)
    date_to = django_filters.DateFilter(label=_("Until"), widget=DATE_WIDGET, error_messages=DATE_ERRORS)
    time = django_filters.ChoiceFilter(label=_("Time of day"), choices=time_band_choices, empty_label=_("Any time"))
    category = django_filters.ChoiceFilter(label=_("Kind of event"), choices=Event.Category.choices, empty_label=_("Any kind"))
    district = django_filters.ModelChoiceFilter(label=_("District"), queryset=District.objects.all(), empty_label=_("Any district"))
    station = django_filters.ModelChoiceFilter(
        label=_("Station"), queryset=Station.objects.filter(is_active=True).order_by("name"), empty_label=_("Any station"),
    )
    audience = django_filters.ChoiceFilter(label=_("For"), choices=Event.Audience.choices, empty_label=_("Anyone"))
    seats = django_filters.BooleanFilter(label=_("Only events with seats left"), widget=forms.CheckboxInput)
    # The week the calendar view shows (any day of it); the list view ignores it.
    week = django_filters.DateFilter(label=_("Week of"), widget=forms.HiddenInput, error_messages=DATE_ERRORS)

    # Shown behind "More filters", so on a phone the events start within the first screen.
    MORE_FIELDS = ("date_from", "date_to", "district", "station", "audience")

    class Meta:
        model = Event
        fields = []
        form = EventFilterForm

    def narrow_form(self, form):
        narrow_station_choices(self, form, by="district", lookup="street__district", hint=_("Choose a district first, then a station from the list."))

    def selector_arguments(self):
        data = self.valid
        return {
            "now": self.now,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "time_band": data.get("time") or None,
            "category": data.get("category") or None,
            "station": data.get("station"),
            "district": data.get("district"),
            "audience": data.get("audience") or None,
            "seats_left": bool(data.get("seats")),
        }

    def week_of(self, today):
        day = self.valid.get("week")
        return day if isinstance(day, date) else today

    def filter_queryset(self, queryset):
        return upcoming_events(**self.selector_arguments())
