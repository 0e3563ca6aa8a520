"""The public station list's query parameters, turned into `station_search()` arguments.

The FilterSet does no filtering of its own (see portal.filters): `filter_queryset` hands the valid
values to the selector, and a value that doesn't validate is left out and explained next to its field.
Nothing a visitor types into the address bar can make the page fail.
"""

from functools import cached_property

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.filters import MAX_CHOICES, MAX_PARAM_LENGTH, ListFilterSet, narrow_by
from portal.models import Building, District, Neighbourhood, Street
from stations.models import FunctionArea, Station, ThemeTag
from stations.selectors import DEFAULT_RADIUS_M, station_search
from stations.templatetags.stations_extras import format_distance

MAX_SEARCH_TERMS = 10
RADIUS_CHOICES_M = (500, 1000, 2000, 5000)  # 500 m first: the articles' "500米党群服务圈"


def radius_choices():
    # A callable, so the labels are translated when the page is drawn, not when the module loads.
    return [(metres, format_distance(metres)) for metres in RADIUS_CHOICES_M]


class FloatFilter(django_filters.Filter):
    field_class = forms.FloatField


class StationFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        # Half a coordinate is no place; say so once, unless one half is already wrong on its own.
        if "lat" not in self.errors and "lng" not in self.errors and (data.get("lat") is None) != (data.get("lng") is None):
            self.add_error("lat", _("The location needs both a latitude and a longitude; it was left out."))
        return data


LATITUDE_ERROR = _("The latitude must be a number between -90 and 90; the location was left out.")
LONGITUDE_ERROR = _("The longitude must be a number between -180 and 180; the location was left out.")


class StationFilter(ListFilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        help_text=_("A name, an address, a street or a theme, e.g. 梧桐 or 阅读."),
        widget=forms.TextInput(attrs={"type": "search", "enterkeyhint": "search", "autocomplete": "off"}),
    )
    open = django_filters.BooleanFilter(label=_("Open now"), widget=forms.CheckboxInput)
    district = django_filters.ModelChoiceFilter(label=_("District"), queryset=District.objects.all(), empty_label=_("Any district"))
    street = django_filters.ModelChoiceFilter(
        label=_("Street or town"), queryset=Street.objects.select_related("district"), empty_label=_("Any street or town"),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind of station"), choices=Station.Kind.choices, empty_label=_("Any kind"))
    area = django_filters.ChoiceFilter(
        label=_("Has a function area"), choices=FunctionArea.Kind.choices, empty_label=_("Any function area"),
    )
    access = django_filters.ChoiceFilter(
        label=_("Access"), choices=FunctionArea.Access.choices, empty_label=_("Walk in or by reservation"),
        help_text=_("来访制 (walk in) or 预约制 (by reservation)."),
    )
    theme = django_filters.ModelChoiceFilter(label=_("Theme"), queryset=ThemeTag.objects.all(), empty_label=_("Any theme"))
    # Where "near" is: a neighbourhood or building picked from the list, or the phone's position.
    place = django_filters.ChoiceFilter(
        label=_("Near a neighbourhood or building"),
        empty_label=_("Choose a place"),
        error_messages={"invalid_choice": _("That neighbourhood or building is not on the list; choose another one.")},
    )
    lat = FloatFilter(
        label=_("Latitude"), widget=forms.HiddenInput, min_value=-90, max_value=90,
        error_messages={"invalid": LATITUDE_ERROR, "min_value": LATITUDE_ERROR, "max_value": LATITUDE_ERROR},
    )
    lng = FloatFilter(
        label=_("Longitude"), widget=forms.HiddenInput, min_value=-180, max_value=180,
        error_messages={"invalid": LONGITUDE_ERROR, "min_value": LONGITUDE_ERROR, "max_value": LONGITUDE_ERROR},
    )
    radius = django_filters.TypedChoiceFilter(
        label=_("Within"),
        choices=radius_choices,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose one of the distances in the list.")},
    )

    # The filters shown in the search form and in the "near" form; every other one travels as a hidden field.
    SEARCH_FIELDS = ("q", "open", "district", "street", "kind", "area", "access", "theme")
    MORE_FIELDS = ("district", "street", "kind", "area", "access", "theme")
    NEAR_FIELDS = ("place", "radius", "lat", "lng")

    class Meta:
        model = Station
        fields = []
        form = StationFilterForm

    # The location's hidden fields have messages that say what they are about.
    LABEL_HIDDEN_ERRORS = False

    def __init__(self, data=None, queryset=None, *, now=None, drawn=True, **kwargs):
        self.search_shortened = False
        self.drawn = drawn
        super().__init__(data, queryset, now=now, **kwargs)
        self.filters["place"].extra["choices"] = PlaceChoices(self)

    def normalise_value(self, name, value):
        """The keyword cut to MAX_SEARCH_TERMS words (and MAX_PARAM_LENGTH characters)."""
        if name != "q":
            return value
        terms = value.split()
        shortened = " ".join(terms[:MAX_SEARCH_TERMS])[:MAX_PARAM_LENGTH]
        self.search_shortened = shortened != " ".join(terms)
        return shortened

    # -- Reference places ---------------------------------------------------------------------------

    @cached_property
    def places(self):
        """Neighbourhoods ("n<id>") and buildings ("b<id>") with coordinates: {value: (name, lat, lng)}, grouped.

        Those of the chosen street (or district) when there are more than MAX_CHOICES (a city has thousands);
        the chosen place is always among them, so a link "near this place" works whatever else is chosen.
        """
        data = self.data or {}
        street, district, chosen = (str(data.get(name) or "") for name in ("street", "district", "place"))
        self.places_overflow = False
        groups = []
        for prefix, model in (("n", Neighbourhood), ("b", Building)):
            rows = (
                model.objects.filter(latitude__isnull=False, longitude__isnull=False)
                .select_related("street")
                .only("name", "latitude", "longitude", "street__name")
                .order_by("street__name", "name")
            )
            if _an_id(street):
                rows = rows.filter(street_id=int(street))
            elif _an_id(district):
                rows = rows.filter(street__district_id=int(district))
            listed = list(rows[: MAX_CHOICES + 1])
            chosen_pk = int(chosen[1:]) if chosen[:1] == prefix and _an_id(chosen[1:]) else None
            if len(listed) > MAX_CHOICES:
                self.places_overflow = True
                listed = [row for row in listed if row.pk == chosen_pk]
            if chosen_pk is not None and all(row.pk != chosen_pk for row in listed):
                listed += list(model.objects.filter(pk=chosen_pk, latitude__isnull=False, longitude__isnull=False)
                               .select_related("street").only("name", "latitude", "longitude", "street__name"))
            groups.append((model._meta.verbose_name_plural, {f"{prefix}{row.pk}": row for row in listed}))
        return groups

    def narrow_form(self, form):
        # Only for a form that is drawn: the map feed never draws it, and never reads the places.
        if not self.drawn:
            return
        if self.places and self.places_overflow:
            form.fields["place"].help_text = _("Choose a district or a street first, then a place from the list.")
        # A city has some 215 streets and towns: past MAX_CHOICES, those of the chosen district.
        narrow_by(self, form, "street", Street.objects.select_related("district"), by="district", lookup="district",
                  hint=_("Choose a district first, then a street or town from the list."))

    def _place_choices(self):
        return [
            (label, [(value, f"{row.name}（{row.street.name}）") for value, row in rows.items()])
            for label, rows in self.places
            if rows
        ]

    def _place(self, value):
        for _label, rows in self.places:
            if value in rows:
                return rows[value]
        return None

    # -- From valid values to selector arguments ----------------------------------------------------

    @cached_property
    def reference_point(self):
        """(lat, lng, place) of the "near" point, or None: a chosen place wins over a position from the phone."""
        data = self.valid
        if data.get("place"):
            place = self._place(data["place"])
            return place.latitude, place.longitude, place
        if data.get("lat") is not None and data.get("lng") is not None:
            return data["lat"], data["lng"], None
        return None

    @property
    def radius_m(self):
        return self.valid.get("radius") or DEFAULT_RADIUS_M

    def search_arguments(self):
        data = self.valid
        arguments = {
            "q": data.get("q") or "",
            "district": data.get("district"),
            "street": data.get("street"),
            "kind": data.get("kind") or None,
            "area_kind": data.get("area") or None,
            "access_mode": data.get("access") or None,
            "theme": data.get("theme"),
            "open_now": bool(data.get("open")),
            "now": self.now,
        }
        if self.reference_point is not None:
            lat, lng, _place = self.reference_point
            arguments.update(near=(lat, lng), radius_m=self.radius_m)
        return arguments

    def filter_queryset(self, queryset):
        return station_search(queryset=queryset, **self.search_arguments())

    # -- For the templates --------------------------------------------------------------------------

    def hidden_params(self, *, keep):
        """(name, value) of the valid parameters a form doesn't show itself, so submitting it keeps them."""
        return [(name, value) for name, value in self._valid_params(()).items() if name not in keep]


def _an_id(value):
    return value.isdigit() and len(value) <= 12


class PlaceChoices:
    """The place picker's choices, read once per request however often the form copies its fields.

    A form deep-copies its fields, and with them a bound method's instance: the whole filterset,
    which would then load the places a second time.
    """

    def __init__(self, filterset):
        self.filterset = filterset

    def __call__(self):
        return self.filterset._place_choices()

    def __deepcopy__(self, memo):
        return self
