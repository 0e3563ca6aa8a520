"""Pages for an enterprise contact: ask a station for an activity (活动配送) and follow the answers.

State changes go through events.delivery; its EventError becomes a form error or a flash message.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from events import delivery
from events.models import ActivityRequest
from events.services import EventError
from stations.models import Station


class ActivityRequestForm(forms.Form):
    organisation = forms.ModelChoiceField(label=gettext_lazy("Enterprise"), queryset=None, empty_label=None)
    station = forms.ModelChoiceField(
        label=gettext_lazy("Station"), queryset=Station.objects.none(),
        help_text=gettext_lazy("The station that will run the activity: usually the one in your building or park."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind of activity"), choices=ActivityRequest.Kind.choices)
    preferred_dates = forms.CharField(
        label=gettext_lazy("Preferred dates"), max_length=200,
        help_text=gettext_lazy("E.g. Wednesday lunchtimes in December, or any weekday after 17:30."),
    )
    headcount = forms.IntegerField(
        label=gettext_lazy("Expected number of people"), min_value=1, max_value=1000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    details = forms.CharField(
        label=gettext_lazy("Details"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("What you have in mind, the room you can offer, anything the station should know."),
    )

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = enterprises
        self.fields["station"].queryset = Station.objects.filter(is_active=True).select_related("street__district").order_by(
            "street__district__ordering", "street__name", "name"
        )


def _initial_station(enterprises):
    """The station in the enterprise's own building, when there is exactly one enterprise and such a station."""
    if len(enterprises) != 1 or enterprises[0].building_id is None:
        return None
    return Station.objects.filter(is_active=True, building_id=enterprises[0].building_id).order_by("pk").first()


@login_required
def request_list(request):
    requests = (
        ActivityRequest.objects.filter(requested_by=request.user)
        .select_related("organisation", "station", "event")
        .order_by("-created_at", "-pk")
    )
    return render(request, "events/delivery/request_list.html", {
        "requests": requests,
        "may_request": delivery.contact_enterprises(request.user).exists(),
    })


@login_required
def request_create(request):
    enterprises = list(delivery.contact_enterprises(request.user).select_related("building"))
    if not enterprises:
        return render(request, "events/delivery/not_a_contact.html")
    queryset = delivery.contact_enterprises(request.user)
    form = ActivityRequestForm(request.POST or None, enterprises=queryset, initial={"station": _initial_station(enterprises)})
    if request.method == "POST" and form.is_valid():
        try:
            delivery.activity_request_create(user=request.user, **form.cleaned_data)
        except EventError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your request has been sent. The station will answer here and in your inbox."))
            return redirect("events_delivery:list")
    return render(request, "events/delivery/request_form.html", {"form": form})


@login_required
@require_POST
def request_withdraw(request, request_id):
    activity_request = get_object_or_404(ActivityRequest, pk=request_id, requested_by=request.user)
    try:
        delivery.activity_request_withdraw(request=activity_request, user=request.user)
    except EventError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your request has been withdrawn."))
    return redirect("events_delivery:list")
