"""The wish wall's query parameters, turned into `wish_search()` arguments.

Like the station and event lists (see portal.filters): the FilterSet does no filtering of its own, a
value that doesn't validate is left out and explained, and nothing in the address bar can make the
page fail. Only the public statuses can be asked for: a draft is not on the wall under any filter.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from portal.filters import ListFilterSet, narrow_by, narrow_station_choices
from portal.models import Street
from stations.models import Station
from wishes.models import Wish
from wishes.selectors import campaigns_on_the_wall, wish_search


def public_status_choices():
    labels = dict(Wish.Status.choices)
    return [(status.value, labels[status]) for status in Wish.PUBLIC]


class WishFilter(ListFilterSet):
    category = django_filters.ChoiceFilter(label=_("Kind of wish"), choices=Wish.Category.choices, empty_label=_("Any kind"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=public_status_choices, empty_label=_("Any status"))
    station = django_filters.ModelChoiceFilter(
        label=_("Station"), queryset=Station.objects.filter(is_active=True).order_by("name"), empty_label=_("Any station"),
    )
    street = django_filters.ModelChoiceFilter(
        label=_("Street or town"), queryset=Street.objects.select_related("district"), empty_label=_("Any street or town"),
    )
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=campaigns_on_the_wall(), empty_label=_("Any campaign"))

    MAIN_FIELDS = ("category", "status")
    # Behind "More filters", so on a phone the first wishes show within the first screen.
    MORE_FIELDS = ("station", "street", "campaign")

    class Meta:
        model = Wish
        fields = []

    def narrow_form(self, form):
        narrow_station_choices(self, form, by="street", lookup="street", hint=_("Choose a street or town first, then a station from the list."))
        # A city runs hundreds of campaigns over the years: past MAX_CHOICES, the street's own.
        narrow_by(self, form, "campaign", campaigns_on_the_wall().only("pk", "name"), by="street", lookup="street",
                  hint=_("Choose a street or town first, then a campaign from the list."))

    def search_arguments(self, *, with_status=True):
        data = self.valid
        return {
            "station": data.get("station"),
            "street": data.get("street"),
            "category": data.get("category") or None,
            "status": (data.get("status") or None) if with_status else None,
            "campaign": data.get("campaign"),
        }

    def filter_queryset(self, queryset):
        return wish_search(queryset=queryset, **self.search_arguments())

    def counted(self, queryset):
        """The wishes the counters count: the filters without the status (else "claimed" would just repeat it)."""
        return wish_search(queryset=queryset, **self.search_arguments(with_status=False))


class FulfilledWishFilter(WishFilter):
    """The "fulfilled" view: the same filters, the status fixed."""

    status = None
    MAIN_FIELDS = ("category", "station")
    MORE_FIELDS = ("street", "campaign")
