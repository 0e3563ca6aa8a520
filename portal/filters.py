"""What the public lists with filters (stations, events) share: turning the address bar into valid values.

A list's FilterSet does no filtering of its own: it hands the valid values to a selector, and a value
that doesn't validate is left out and explained. Nothing a visitor types into the address bar can
make the page fail.
"""

from functools import cached_property

import django_filters
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse

MAX_PARAM_LENGTH = 100  # no filter value is longer; a longer one is cut, never echoed back whole
# Longer query strings are no search a person typed. They are answered with a redirect to the parameters
# that were understood, so the page never repeats them (the language switcher repeats the full path).
MAX_QUERY_STRING = 2048
# A drop-down lists at most this many choices: a city has thousands of stations, and a list of them
# all is useless on a phone (and makes the page heavy). Past it, the list waits for a narrower filter.
MAX_CHOICES = 80


def list_url(name, query="", **extra):
    """The URL named `name` with the query string `query` and the `extra` parameters."""
    params = QueryDict(query, mutable=True)
    params.update(extra)
    return reverse(name) + (f"?{params.urlencode()}" if params else "")


def query_string_too_long(request):
    return len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING


def redirect_to_understood(request, name, query, **extra):
    """A redirect to the list with only the parameters that were understood (and a sane page number)."""
    page_number = request.GET.get("page", "")
    if page_number.isdigit() and len(page_number) < 10:
        extra["page"] = page_number
    return redirect(list_url(name, query, **extra))


class ListFilterSet(django_filters.FilterSet):
    """A FilterSet for a public list: one value per parameter, valid values only, helpers for the templates."""

    # Shown behind "More filters"; the details element is open when one of them is used.
    MORE_FIELDS = ()
    # Whether an error on a hidden field is shown with the field's label; off where its messages say what they are about.
    LABEL_HIDDEN_ERRORS = True

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
                clean[name] = self.normalise_value(name, value.strip())[:MAX_PARAM_LENGTH]
        return clean

    def normalise_value(self, name, value):
        """A hook for one parameter's stripped value before it is cut to MAX_PARAM_LENGTH."""
        return value

    @property
    def form(self):
        if not hasattr(self, "_form"):
            self.narrow_form(super().form)
        return self._form

    def narrow_form(self, form):
        """A hook to narrow long drop-downs by the other filters' values (see narrow_choices)."""

    @cached_property
    def valid(self):
        self.form.is_valid()
        return {name: value for name, value in getattr(self.form, "cleaned_data", {}).items() if name not in self.form.errors}

    # -- For the templates --------------------------------------------------------------------------

    def query(self, *, exclude=()):
        """The valid parameters as a query string, e.g. for pagination and the view switch."""
        return self._valid_params(exclude).urlencode()

    def _valid_params(self, exclude):
        params = QueryDict(mutable=True)
        for name in self.base_filters:
            if name in exclude or name not in self.valid:
                continue
            value = self.data.get(name)
            if value not in (None, ""):
                params[name] = value
        return params

    def problems(self):
        """Each parameter that was left out, with the field's label, for the summary at the top of the page."""
        form = self.form
        problems = []
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields and (self.LABEL_HIDDEN_ERRORS or not form[name].is_hidden) else None
            problems.extend(f"{label}: {error}" if label else error for error in errors)
        return problems

    @property
    def has_more_filters(self):
        return any(self.data.get(name) for name in self.MORE_FIELDS)

    def group(self, names):
        return FieldGroup(self.form, names)


class FieldGroup:
    """Some fields of a form, to draw with includes/form_fields.html where a page splits one form in two."""

    def __init__(self, form, names):
        self.form, self.names = form, names

    def visible_fields(self):
        return [self.form[name] for name in self.names if not self.form[name].is_hidden]

    def hidden_fields(self):
        return [self.form[name] for name in self.names if self.form[name].is_hidden]

    def non_field_errors(self):
        return ""


def narrow_choices(form, name, queryset, *, selected, hint):
    """Show the `name` drop-down with the choices of `queryset` (already narrowed by the other filters).

    When there are more than MAX_CHOICES, only the chosen one stays (the filter still works through a
    link) and `hint` says how to narrow the list. The field still accepts any value of its own
    queryset; only what the drop-down shows changes. One query, the one the drop-down made anyway.
    """
    field = form.fields[name]
    rows = list(queryset[: MAX_CHOICES + 1])
    if len(rows) > MAX_CHOICES:
        rows = [selected] if selected is not None else []
        field.help_text = form[name].help_text = hint  # the bound field, made while validating, copied the old one
    field.widget.choices = [("", field.empty_label), *((row.pk, str(row)) for row in rows)]


def narrow_by(filterset, form, name, queryset, *, by, lookup, hint):
    """The `name` drop-down with the rows of `queryset`, only those matching the filter `by` (through `lookup`)
    when one is chosen; past MAX_CHOICES it waits for that narrower filter (see narrow_choices)."""
    if filterset.valid.get(by):
        queryset = queryset.filter(**{lookup: filterset.valid[by]})
    narrow_choices(form, name, queryset, selected=filterset.valid.get(name), hint=hint)


def narrow_station_choices(filterset, form, *, by, lookup, hint):
    """The station drop-down of a list's filters, narrowed by the filter `by` (a district, a street)."""
    from stations.models import Station

    stations = Station.objects.filter(is_active=True).order_by("name").only("pk", "name")
    narrow_by(filterset, form, "station", stations, by=by, lookup=lookup, hint=hint)
