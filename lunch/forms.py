"""Forms of the lunch pages. They only turn what was sent into clean values; lunch.services decides."""

import uuid

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from lunch.models import Order, yuan
from lunch.selectors import portions_left


def _quantity_error():
    return _("Order between 1 and %(n)s meals.") % {"n": settings.LUNCH_MAX_QUANTITY}


class OrderForm(forms.Form):
    """Confirming one offer: where, how many, how to pay. `key` is the form's one-time key (a double submit places one order)."""

    point = forms.TypedChoiceField(label=_("Pickup point"), coerce=int, widget=forms.RadioSelect)
    quantity = forms.TypedChoiceField(label=_("How many meals"), coerce=int,
                                      help_text=_("The subsidy applies to one meal a day; the merchant's discount to every meal."))
    payment = forms.ChoiceField(label=_("How to pay"), widget=forms.RadioSelect)
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, offer, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.offer_points = {op.point_id: op for op in offer.active_offer_points}
        self.fields["point"].choices = [(op.point_id, op.point.name) for op in self.offer_points.values()]
        self.fields["point"].error_messages["invalid_choice"] = _("This meal is not delivered to that pickup point. Choose one of the list.")
        self.fields["quantity"].choices = [(n, str(n)) for n in range(1, settings.LUNCH_MAX_QUANTITY + 1)]
        self.fields["quantity"].error_messages["invalid_choice"] = _quantity_error()
        # The balance is read when the label is shown, not to check a submitted form (the order checks it in the statement that takes it).
        balance_label = lazy(lambda: _("From my balance (now ¥%(balance)s)") % {"balance": yuan(account.balance_fen)}, str)()
        payments = [(Order.Payment.BALANCE, balance_label)]
        if offer.merchant.allows_pay_at_pickup:
            payments.append((Order.Payment.AT_PICKUP, _("Pay the merchant when I collect it")))
        self.fields["payment"].choices = payments
        self.fields["payment"].error_messages["invalid_choice"] = _("Choose how to pay.")
        self.fields["key"].error_messages["invalid"] = _("This form has expired. Please check the details and confirm again.")
        # The first point is chosen to start with, so the price shown is always for a point that is ticked.
        self.fields["point"].initial = next(iter(self.offer_points), None)
        self.fields["quantity"].initial = 1
        self.fields["payment"].initial = Order.Payment.BALANCE
        self.fields["key"].initial = uuid.uuid4()

    def point_choices(self):
        """(offer point, portions left, checked) for the template's own radio list."""
        chosen = self._chosen("point")
        return [(op, portions_left(self.offer, op), str(op.point_id) == str(chosen)) for op in self.offer_points.values()]

    def _chosen(self, name):
        if self.is_bound:
            return self.data.get(name)
        return self.initial.get(name, self.fields[name].initial)

    def selection(self):
        """(offer point, quantity) for the price preview: what was sent where it makes sense, else the defaults."""
        try:
            point_id = int(self._chosen("point"))
        except (TypeError, ValueError):
            point_id = None
        offer_point = self.offer_points.get(point_id) or next(iter(self.offer_points.values()), None)
        try:
            quantity = int(self._chosen("quantity"))
        except (TypeError, ValueError):
            quantity = 1
        if not 1 <= quantity <= settings.LUNCH_MAX_QUANTITY:
            quantity = 1
        return offer_point, quantity


class FeedbackForm(forms.Form):
    stars = forms.TypedChoiceField(label=_("How was it?"), coerce=int, widget=forms.RadioSelect,
                                   choices=[(n, str(n)) for n in range(5, 0, -1)],
                                   error_messages={"required": _("Choose from 1 to 5 stars."), "invalid_choice": _("Choose from 1 to 5 stars.")})
    comment = forms.CharField(label=_("Comment"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("The merchant and station staff read it."))


class HandoverForm(forms.Form):
    point = forms.TypedChoiceField(label=_("Pickup point"), coerce=int)
    code = forms.CharField(label=_("Pickup code"), max_length=20,
                           error_messages={"required": _("Type the 6-digit pickup code.")})

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.points = {p.pk: p for p in points}
        self.fields["point"].choices = [(p.pk, p.name) for p in points]
        self.fields["point"].error_messages["invalid_choice"] = _("Choose one of your pickup points.")

    def clean_point(self):
        return self.points[self.cleaned_data["point"]]
