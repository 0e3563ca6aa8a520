import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portal.models import Neighbourhood, Organisation, mainland_mobile_validator


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False,
                                   help_text=_("How staff and other members see you, e.g. 王先生."))
    # People type numbers with spaces, dashes or +86; tidy first, then check the format.
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def clean_phone(self):
        phone = re.sub(r"[\s\-()]", "", self.cleaned_data["phone"])
        if phone.startswith("+86"):
            phone = phone[3:]
        elif phone.startswith("0086"):
            phone = phone[4:]
        if phone:
            mainland_mobile_validator(phone)
        return phone


class MembershipRequestForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.filter(is_active=True)
        .exclude(kind=Organisation.Kind.MERCHANT)
        .select_related("street__district")
        .order_by("kind", "name"),
        help_text=_("Your enterprise if you work in one of the buildings, or your party organisation."),
    )


class ResidenceRequestForm(forms.Form):
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood or village"),
        queryset=Neighbourhood.objects.select_related("street__district").order_by("street__district__ordering", "street__name", "name"),
    )
