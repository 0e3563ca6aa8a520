"""The public event list's query parameters, turned into `upcoming_events()` / `week_events()` arguments.

Like the station list: the FilterSet does no filtering of its own, a value that doesn't
validate is left out and explained, and nothing in the address bar can make the page fail.
"""

from datetime import date
from functools import cached_property

import django_filters
from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from events.models import Event
from events.selectors import upcoming_events
from portal.models import District
from stations.filters import MAX_PARAM_LENGTH, FieldGroup
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


class EventFilter(django_filters.FilterSet):
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

    def __init__(self, data=None, queryset=None, *, now=None, **kwargs):
        self.now = now
        super().__init__(self._normalise(data), queryset, **kwargs)

    def _normalise(self, data):
        """One value per parameter (the last, as QueryDict.get gives), none longer than MAX_PARAM_LENGTH."""
        if data is None:
            return None
        clean = QueryDict(mutable=True)
        for name in self.base_filters:
            value = data.get(name)
            if value is not None:
                clean[name] = value.strip()[:MAX_PARAM_LENGTH]
        return clean

    @cached_property
    def valid(self):
        self.form.is_valid()
        return {name: value for name, value in getattr(self.form, "cleaned_data", {}).items() if name not in self.form.errors}

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

    # -- For the templates --------------------------------------------------------------------------

    def query(self, *, exclude=()):
        params = QueryDict(mutable=True)
        for name in self.base_filters:
            if name in exclude or name not in self.valid:
                continue
            value = self.data.get(name)
            if value not in (None, ""):
                params[name] = value
        return params.urlencode()

    def problems(self):
        form = self.form
        problems = []
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            problems.extend(f"{label}: {error}" if label else error for error in errors)
        return problems

    @property
    def has_more_filters(self):
        return any(self.data.get(name) for name in self.MORE_FIELDS)

    def group(self, names):
        return FieldGroup(self.form, names)
