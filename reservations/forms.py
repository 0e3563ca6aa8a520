from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from portal.models import Organisation
from stations.hours import SHANGHAI

MIDNIGHT_END = "24:00"


DAY_MINUTES = 24 * 60


def _times(step, first, last):
    """Choices every `step` minutes from `first` to `last` minutes after midnight, on the step grid; 24:00 ends the day."""
    first += -first % step
    return [(v, v) for v in (f"{m // 60:02d}:{m % 60:02d}" if m < DAY_MINUTES else MIDNIGHT_END
                             for m in range(first, last + 1, step))]


class ReservationRequestForm(forms.Form):
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.ChoiceField(label=pgettext_lazy("time of day", "From"))
    end = forms.ChoiceField(label=pgettext_lazy("time of day", "Until"))
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    attendees = forms.IntegerField(label=_("Expected people"), min_value=1, max_value=32767, initial=1)
    organisation = forms.ModelChoiceField(label=_("On behalf of"), queryset=Organisation.objects.none(), required=False)
    weeks = forms.TypedChoiceField(
        label=_("Repeat"), coerce=int, initial=1, required=False, empty_value=1,
        help_text=_("The same time every week: each date is a reservation of its own, and you can see which dates are free before you send."),
    )

    def __init__(self, *args, reservable, user, hours=(0, DAY_MINUTES), **kwargs):
        """`hours`: the earliest start and the latest end the room is ever open, in minutes after midnight."""
        super().__init__(*args, **kwargs)
        step = reservable.slot_minutes
        first, last = hours
        self.fields["start"].choices = _times(step, first, last - step)
        self.fields["end"].choices = _times(step, first + step, last)
        self.fields["weeks"].choices = [(1, _("Only this date"))] + [
            (n, ngettext_lazy("Weekly, %(count)d week", "Weekly, %(count)d weeks", n) % {"count": n})
            for n in range(2, settings.RESERVATIONS_MAX_WEEKS + 1)
        ]
        self.fields["organisation"].queryset = Organisation.objects.filter(
            memberships__user=user, memberships__verified_at__isnull=False
        ).order_by("name").distinct()
        if not self.fields["organisation"].queryset.exists():
            del self.fields["organisation"]

    def clean(self):
        data = super().clean()
        day, start, end = data.get("date"), data.get("start"), data.get("end")
        if day and not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Choose a date between the years %(first)s and %(last)s."), params={"first": 2000, "last": 2100})
        if day and start and end:
            try:
                data["starts_at"] = datetime.combine(day, time.fromisoformat(start), tzinfo=SHANGHAI)
                if end == MIDNIGHT_END:
                    data["ends_at"] = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=SHANGHAI)
                else:
                    data["ends_at"] = datetime.combine(day, time.fromisoformat(end), tzinfo=SHANGHAI)
            except (ValueError, OverflowError):
                raise forms.ValidationError(_("Choose a date between the years %(first)s and %(last)s."),
                                            params={"first": 2000, "last": 2100}) from None
        return data
