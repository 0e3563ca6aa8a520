"""White-collar lunch (白领午餐): vetted merchants' set meals, ordered before a cut-off, collected at lunch points.

Money is integer fen everywhere. An order freezes its price at the time it is placed:
list price × quantity = merchant discount + subsidy + self-paid, and self-paid ≥ 0 (database constraints).
The scarce things — portions of an offer, a person's balance, a street's monthly subsidy budget, one
subsidised meal per person per day — are guarded in `lunch.services` (row locks and conditional UPDATEs) and by constraints here.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import Building, Neighbourhood, Organisation, Street, TimestampedModel


def yuan(fen):
    """28.00 from 2800: how fen are shown."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


class Merchant(TimestampedModel):
    """A vetted partner restaurant. Its staff are the organisation's merchant staff (portal.StaffAssignment)."""

    class Rating(models.TextChoices):
        A = "A", _("A — excellent")
        B = "B", _("B — good")
        C = "C", _("C — acceptable")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="lunch_merchant", verbose_name=_("organisation"),
        limit_choices_to={"kind": Organisation.Kind.MERCHANT},
    )
    licence_number = models.CharField(_("food business licence number"), max_length=40)
    licence_expires_on = models.DateField(_("licence expires on"))
    food_safety_rating = models.CharField(_("food safety rating"), max_length=1, choices=Rating.choices)
    last_inspected_on = models.DateField(_("last inspected on"), null=True, blank=True)
    contact_name = models.CharField(_("contact"), max_length=40)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(_("why suspended"), max_length=200, blank=True)
    allows_pay_at_pickup = models.BooleanField(_("accepts payment at pickup"), default=False)
    licence_warning_sent_on = models.DateField(_("licence expiry warning sent on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("lunch merchant")
        verbose_name_plural = _("lunch merchants")
        ordering = ["organisation__name"]

    def __str__(self):
        return self.organisation.name

    @property
    def name(self):
        return self.organisation.name


class Meal(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="meals", verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    allergens = models.CharField(_("allergens"), max_length=120, blank=True, help_text=_("E.g. 花生、虾、麸质."))
    list_price_fen = models.PositiveIntegerField(_("list price (fen)"), validators=[MinValueValidator(1), MaxValueValidator(100_000)])
    photo = models.ImageField(_("photo"), upload_to="lunch/meals/", blank=True)
    is_active = models.BooleanField(_("on the menu"), default=True)

    class Meta:
        verbose_name = _("set meal")
        verbose_name_plural = _("set meals")
        ordering = ["merchant", "name"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="meal_unique_name"),
            models.CheckConstraint(condition=Q(list_price_fen__gt=0), name="meal_price_positive"),
        ]

    def __str__(self):
        return f"{self.name} ¥{yuan(self.list_price_fen)}"


class PickupPoint(models.Model):
    """Where lunches are collected: a station's lunch point (白领午餐点) or a delivery building's lobby."""

    name = models.CharField(_("name"), max_length=80)
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="lunch_points", verbose_name=_("street or town"))
    station = models.ForeignKey("stations.Station", on_delete=models.CASCADE, null=True, blank=True, related_name="lunch_points",
                                verbose_name=_("station"))
    building = models.ForeignKey(Building, on_delete=models.SET_NULL, null=True, blank=True, related_name="lunch_points",
                                 verbose_name=_("delivery building"))
    address = models.CharField(_("where exactly"), max_length=200, blank=True, help_text=_("E.g. 一楼大堂取餐柜."))
    window_opens = models.TimeField(_("pickup from"))
    window_closes = models.TimeField(_("pickup until"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(window_opens__lt=F("window_closes")), name="pickup_window_order"),
            models.CheckConstraint(condition=Q(station__isnull=False) | Q(building__isnull=False), name="pickup_point_has_place"),
        ]

    def __str__(self):
        return self.name


class DailyOffer(TimestampedModel):
    """One meal of one merchant on one day, with its portions and cut-off."""

    date = models.DateField(_("date"))
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="offers", verbose_name=_("merchant"))
    meal = models.ForeignKey(Meal, on_delete=models.PROTECT, related_name="offers", verbose_name=_("meal"))
    points = models.ManyToManyField(PickupPoint, through="OfferPoint", related_name="offers", verbose_name=_("pickup points"))
    quota = models.PositiveIntegerField(_("portions"), validators=[MinValueValidator(1)])
    sold = models.PositiveIntegerField(_("portions ordered"), default=0, editable=False)
    cutoff_at = models.DateTimeField(_("order until"))
    discount_fen = models.PositiveIntegerField(_("merchant discount (fen)"), default=0)
    is_open = models.BooleanField(_("open for orders"), default=True)
    manifest_sent_at = models.DateTimeField(_("manifest sent at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("daily offer")
        verbose_name_plural = _("daily offers")
        ordering = ["-date", "merchant", "meal"]
        constraints = [
            models.UniqueConstraint(fields=["date", "meal"], name="offer_once_per_day"),
            models.CheckConstraint(condition=Q(sold__lte=F("quota")), name="offer_not_oversold"),
        ]
        indexes = [models.Index(fields=["date", "is_open"], name="offer_date_open_idx")]

    def __str__(self):
        return f"{self.date} {self.meal.name}"

    @property
    def left(self):
        return max(self.quota - self.sold, 0)


class OfferPoint(models.Model):
    """A pickup point an offer serves, with an optional quota of its own."""

    offer = models.ForeignKey(DailyOffer, on_delete=models.CASCADE, related_name="offer_points", verbose_name=_("offer"))
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="offer_points", verbose_name=_("pickup point"))
    quota = models.PositiveIntegerField(_("portions for this point"), null=True, blank=True,
                                        help_text=_("Empty: any of the offer's portions."))
    sold = models.PositiveIntegerField(_("portions ordered"), default=0, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("pickup point of an offer")
        verbose_name_plural = _("pickup points of an offer")
        constraints = [
            models.UniqueConstraint(fields=["offer", "point"], name="offer_point_once"),
            models.CheckConstraint(condition=Q(quota__isnull=True) | Q(sold__lte=F("quota")), name="offer_point_not_oversold"),
        ]

    def __str__(self):
        return f"{self.offer} @ {self.point}"


class SubsidyPolicy(TimestampedModel):
    """A street's subsidy: so much per meal, for whom, within a monthly budget."""

    class Audience(models.TextChoices):
        OFFICE_WORKERS = "workers", _("Verified office workers of enterprises in the street's buildings")
        ELDERLY = "elderly", _("Elderly residents of the listed neighbourhoods")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="lunch_policies", verbose_name=_("street or town"))
    name = models.CharField(_("name"), max_length=80)
    audience = models.CharField(_("who is eligible"), max_length=10, choices=Audience.choices)
    neighbourhoods = models.ManyToManyField(Neighbourhood, blank=True, related_name="+", verbose_name=_("neighbourhoods"),
                                            help_text=_("For elderly residents: the neighbourhoods whose verified residents qualify."))
    subsidy_fen = models.PositiveIntegerField(_("subsidy per meal (fen)"))
    monthly_budget_fen = models.PositiveBigIntegerField(_("monthly budget (fen)"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("subsidy policy")
        verbose_name_plural = _("subsidy policies")
        ordering = ["street", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")), name="policy_dates"),
        ]

    def __str__(self):
        return self.name


class SubsidySpend(models.Model):
    """What a policy has spent in one month: the row locked while an order takes its subsidy."""

    policy = models.ForeignKey(SubsidyPolicy, on_delete=models.CASCADE, related_name="spends", verbose_name=_("policy"))
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    spent_fen = models.PositiveBigIntegerField(_("spent (fen)"), default=0)
    budget_fen = models.PositiveBigIntegerField(_("budget (fen)"))
    meals = models.PositiveIntegerField(_("subsidised meals"), default=0)

    class Meta:
        verbose_name = _("monthly subsidy spend")
        verbose_name_plural = _("monthly subsidy spend")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "month"], name="spend_once_per_month"),
            models.CheckConstraint(condition=Q(spent_fen__lte=F("budget_fen")), name="spend_within_budget"),
        ]

    def __str__(self):
        return f"{self.policy} {self.month:%Y-%m}"


class Account(models.Model):
    """A person's prepaid lunch balance. `balance_fen` is the sum of the ledger, kept under the row lock."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lunch_account", verbose_name=_("person"))
    balance_fen = models.BigIntegerField(_("balance (fen)"), default=0)
    low_balance_notices = models.BooleanField(_("low-balance reminders"), default=True)
    low_balance_notice_on = models.DateField(_("last low-balance reminder"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("lunch account")
        verbose_name_plural = _("lunch accounts")
        constraints = [models.CheckConstraint(condition=Q(balance_fen__gte=0), name="account_never_negative")]

    def __str__(self):
        return f"{self.user} ¥{yuan(self.balance_fen)}"


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        TOP_UP = "topup", _("Top-up")
        ORDER = "order", pgettext_lazy("ledger entry", "Order")
        REFUND = "refund", _("Refund")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"), help_text=_("Positive: money in. Negative: money out."))
    order = models.ForeignKey("Order", on_delete=models.PROTECT, null=True, blank=True, related_name="entries", verbose_name=_("order"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("recorded by"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="ledger_entry_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind="topup", amount_fen__gt=0, order__isnull=True) | Q(kind="order", amount_fen__lt=0, order__isnull=False)
                           | Q(kind="refund", amount_fen__gt=0, order__isnull=False)),
                name="ledger_entry_kind_sign",
            ),
            models.UniqueConstraint(fields=["order", "kind"], condition=Q(order__isnull=False), name="ledger_once_per_order_and_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {yuan(self.amount_fen)}"


def new_pickup_code():
    return f"{secrets.randbelow(10**6):06d}"


class Order(TimestampedModel):
    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        CANCELLED = "cancelled", _("Cancelled")
        PICKED_UP = "picked_up", _("Picked up")
        NOT_COLLECTED = "not_collected", _("Not collected")

    class Payment(models.TextChoices):
        BALANCE = "balance", _("From my balance")
        AT_PICKUP = "pickup", _("Pay at pickup")

    LIVE = (Status.PLACED, Status.PICKED_UP, Status.NOT_COLLECTED)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lunch_orders", verbose_name=_("person"))
    offer = models.ForeignKey(DailyOffer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("offer"))
    point = models.ForeignKey(PickupPoint, on_delete=models.PROTECT, related_name="orders", verbose_name=_("pickup point"))
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    # The price, frozen when the order is placed.
    list_price_fen = models.PositiveIntegerField(_("list price per meal (fen)"))
    discount_fen = models.PositiveIntegerField(_("merchant discount (fen)"))
    subsidy_fen = models.PositiveIntegerField(_("subsidy (fen)"))
    self_paid_fen = models.PositiveIntegerField(_("self-paid (fen)"))
    policy = models.ForeignKey(SubsidyPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="orders",
                               verbose_name=_("subsidy policy"))
    # Set on subsidised orders only: one subsidised meal per person per day (a unique constraint).
    subsidised_on = models.DateField(_("subsidised day"), null=True, blank=True, editable=False)
    payment = models.CharField(_("payment"), max_length=8, choices=Payment.choices, default=Payment.BALANCE)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.PLACED)
    pickup_code = models.CharField(_("pickup code"), max_length=6, default=new_pickup_code)
    # The offer's date, kept here so a code is unique among the orders one point hands over that day.
    pickup_day = models.DateField(_("pickup day"), editable=False)
    idempotency_key = models.UUIDField(_("form key"), editable=False)
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    picked_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("handed over by"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lunch order")
        verbose_name_plural = _("lunch orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1, quantity__lte=10), name="order_quantity_range"),
            models.CheckConstraint(
                condition=Q(list_price_fen__gt=0)
                & Q(discount_fen__lte=F("list_price_fen") * F("quantity"))
                & Q(self_paid_fen=F("list_price_fen") * F("quantity") - F("discount_fen") - F("subsidy_fen")),
                name="order_price_adds_up",
            ),
            models.CheckConstraint(condition=Q(subsidised_on__isnull=True) | Q(subsidy_fen__gt=0), name="order_subsidy_marked"),
            models.UniqueConstraint(fields=["user", "subsidised_on"], condition=Q(status__in=["placed", "picked_up", "not_collected"]),
                                    name="order_one_subsidy_per_day"),
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="order_idempotent"),
            models.UniqueConstraint(fields=["point", "pickup_day", "pickup_code"], name="order_code_unique_per_point_and_day"),
        ]
        indexes = [
            models.Index(fields=["offer", "point", "status"], name="order_offer_point_idx"),
            models.Index(fields=["user", "-created_at"], name="order_user_recent_idx"),
        ]

    def __str__(self):
        return f"{self.offer} · {self.pickup_code}"

    def save(self, *args, **kwargs):
        if self.pickup_day is None and self.offer_id:
            self.pickup_day = self.offer.date
        super().save(*args, **kwargs)

    @property
    def total_fen(self):
        return self.list_price_fen * self.quantity


class Feedback(models.Model):
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("order"))
    stars = models.PositiveSmallIntegerField(_("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meal feedback")
        verbose_name_plural = _("meal feedback")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="feedback_stars_range")]

    def __str__(self):
        return f"{self.order} ★{self.stars}"
