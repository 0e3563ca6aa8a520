"""The forms of the wish pages: the claim pledge, the fulfilment report, a service visit, the honour board's month.

They only check what a person typed; every rule about wishes and claims is checked again by the
services, whose WishError the views show.
"""

import re
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from portal.models import Street
from stations.hours import local_now
from wishes.services import MAX_REPORT_PHOTOS

MYSELF = "self"


class ClaimForm(forms.Form):
    """Who the pledge is made for (when the person may act for a party organisation) and, for a repeating service, how long."""

    on_behalf = forms.ChoiceField(
        label=_("Who is claiming"), widget=forms.RadioSelect, initial=MYSELF,
        # Never echo what was sent: a forged value is no business of the page.
        error_messages={"required": _("Choose who is claiming: yourself or one of your organisations."),
                        "invalid_choice": _("Choose who is claiming: yourself or one of your organisations.")},
    )
    months = forms.IntegerField(
        label=_("For how many months will you keep it up?"), min_value=1, max_value=24,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Between 1 and 24 months. The station counts on you for every visit in that time."),
    )

    def __init__(self, *args, wish, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(organisation.pk): organisation for organisation in organisations}
        if self.organisations:
            self.fields["on_behalf"].choices = [(MYSELF, _("For myself, as a party member"))] + [
                (value, _("On behalf of %(organisation)s") % {"organisation": organisation.name})
                for value, organisation in self.organisations.items()
            ]
        else:
            del self.fields["on_behalf"]
        if wish.is_recurring:
            self.fields["months"].initial = settings.WISHES_SERVICE_MONTHS
        else:
            del self.fields["months"]

    def clean_on_behalf(self):
        return self.organisations.get(self.cleaned_data["on_behalf"])

    @property
    def organisation(self):
        return self.cleaned_data.get("on_behalf")

    @property
    def commitment_months(self):
        return self.cleaned_data.get("months")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several files from one <input type="file" multiple>; each is checked (and re-encoded) by the service."""

    def __init__(self, *args, max_files, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if len(files) > self.max_files:
            raise forms.ValidationError(_("At most %(n)d photos, please.") % {"n": self.max_files}, code="too_many")
        single = super().clean
        return [single(upload, initial) for upload in files if upload]


class ReportForm(forms.Form):
    note = forms.CharField(
        label=_("How was the wish fulfilled?"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A few words for the station, e.g. what you handed over and when. Please don't write the person's name, address or phone."),
    )
    photos = MultiplePhotoField(
        label=_("Photos"), required=False, max_files=MAX_REPORT_PHOTOS,
        help_text=_("Up to %(n)d photos (JPEG, PNG, WebP or GIF). Only photos the station approves are ever shown publicly.")
        % {"n": MAX_REPORT_PHOTOS},
    )


class VisitForm(forms.Form):
    on = forms.DateField(label=_("Date of the visit"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    people_served = forms.IntegerField(label=_("People served"), min_value=1, max_value=32767,
                                       widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    note = forms.CharField(label=_("Remarks"), max_length=300, required=False)

    def __init__(self, *args, claim, **kwargs):
        super().__init__(*args, **kwargs)
        today = local_now().date()
        self.fields["on"].initial = today
        self.fields["on"].widget.attrs.update(max=today.isoformat(), min=(today - timedelta(days=366)).isoformat())
        self.fields["people_served"].initial = claim.wish.people_served
        self.fields["people_served"].validators.append(MaxValueValidator(claim.wish.people_served))
        self.fields["people_served"].widget.attrs["max"] = claim.wish.people_served
        # Unique ids on a page with a form for each repeating service.
        self.auto_id = f"id_visit{claim.pk}_%s"

    def clean_on(self):
        day = self.cleaned_data["on"]
        if not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Enter a date like 2026-11-23."))
        return day


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class HonourBoardForm(forms.Form):
    """The month (YYYY-MM) and street the honour board shows; anything else falls back to this month, all streets."""

    month = forms.CharField(label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-07"}))
    street = forms.ModelChoiceField(
        label=_("Street or town"), required=False, empty_label=_("All streets and towns"),
        queryset=Street.objects.select_related("district"),
    )

    def clean_month(self):
        match = MONTH.match(self.cleaned_data["month"].strip())
        if not match:
            return None
        year, month = int(match[1]), int(match[2])
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            return None
        return year, month
