"""Micro-wishes (微心愿): the small wishes of people in difficulty, published under an alias, claimed and fulfilled.

The beneficiary — name, address, phone — is private: it stays in the admin, shown to the staff of the
beneficiary's station or street, with the phone and address masked unless the staff member holds
`wishes.view_beneficiary_contact`. The public wall shows only the wish, its alias and the neighbourhood.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Neighbourhood, Organisation, Street, TimestampedModel

# Compound surnames to recognise when an alias is made from a full name (欧阳娜娜 → 欧阳).
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐", "端木")


def mask_phone(phone):
    """138****5678: enough for staff to tell two numbers apart, not enough to call.

    A mobile number keeps its first 3 and last 4 digits; a shorter one (a Shanghai landline, 62881234)
    keeps only 2 and 2, so most of it stays hidden.
    """
    digits = (phone or "").strip()
    if len(digits) < 7:
        return "****" if digits else ""
    if len(digits) < 11:
        return f"{digits[:2]}****{digits[-2:]}"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_address(address):
    """Keep the first few characters (the road), hide the house and room numbers."""
    address = (address or "").strip()
    if not address:
        return ""
    keep = min(6, max(1, len(address) // 3))
    return address[:keep] + "****"


class Beneficiary(TimestampedModel):
    class Gender(models.TextChoices):
        FEMALE = "f", _("Female")
        MALE = "m", _("Male")

    class Hardship(models.TextChoices):
        ELDERLY_ALONE = "elderly_alone", _("Elderly person living alone")
        DISABLED = "disabled", _("Person with a disability")
        NEEDY_MEMBER = "needy_member", _("Party member in difficulty")
        LOW_INCOME = "low_income", _("Low-income family")
        OTHER = "other", _("Other")

    full_name = models.CharField(_("full name"), max_length=40)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(
        _("year of birth"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, related_name="beneficiaries", verbose_name=_("station"),
        help_text=_("The station whose staff look after this person and mediate every delivery."),
    )
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="beneficiaries",
                                      verbose_name=_("neighbourhood or village"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    hardship = models.CharField(_("kind of hardship"), max_length=16, choices=Hardship.choices)
    consent_on = models.DateField(_("consent to publish given on"), null=True, blank=True,
                                  help_text=_("Wishes are published only once the person has agreed."))
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                            related_name="+", verbose_name=_("consent recorded by"))
    notes = models.TextField(_("staff notes"), blank=True)

    class Meta:
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        ordering = ["-created_at"]
        permissions = [("view_beneficiary_contact", _("Can see beneficiaries' full phone numbers and addresses"))]

    def __str__(self):
        return f"{self.full_name} · {self.neighbourhood}"

    @property
    def has_consent(self):
        return self.consent_on is not None

    @property
    def surname(self):
        name = self.full_name.strip()
        for compound in COMPOUND_SURNAMES:
            if name.startswith(compound) and len(name) > len(compound):
                return compound
        return name[:1]

    def default_alias(self, *, year):
        """胡阿姨, 王老伯: the surname and a respectful form of address by gender and age."""
        age = year - self.birth_year if self.birth_year else None
        if self.gender == self.Gender.FEMALE:
            title = "奶奶" if age is not None and age >= 80 else "阿姨"
        else:
            title = "老伯" if age is None or age >= 60 else "师傅"
        return f"{self.surname}{title}"


class Campaign(TimestampedModel):
    """A wish drive, e.g. the wish tree before 七一; optionally with a number of wishes asked of each party organisation."""

    name = models.CharField(_("name"), max_length=120)
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="wish_campaigns", verbose_name=_("street or town"))
    stations = models.ManyToManyField("stations.Station", related_name="wish_campaigns", blank=True, verbose_name=_("stations"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    target_wishes = models.PositiveSmallIntegerField(_("target number of wishes"), default=0)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("wish campaign")
        verbose_name_plural = _("wish campaigns")
        ordering = ["-starts_on", "name"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start")]

    def __str__(self):
        return self.name


class CampaignTarget(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets", verbose_name=_("campaign"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("party organisation"),
                                     limit_choices_to={"kind": Organisation.Kind.PARTY})
    wishes = models.PositiveSmallIntegerField(_("wishes asked of it"))

    class Meta:
        verbose_name = _("organisation target")
        verbose_name_plural = _("organisation targets")
        constraints = [models.UniqueConstraint(fields=["campaign", "organisation"], name="campaign_target_once")]

    def __str__(self):
        return f"{self.campaign} · {self.organisation} · {self.wishes}"


class Wish(TimestampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("Waiting for review")
        PUBLISHED = "published", _("Waiting to be claimed")
        CLAIMED = "claimed", _("Claimed")
        REPORTED = "reported", _("Fulfilment reported")
        FULFILLED = "fulfilled", _("Fulfilled")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    PUBLIC = (Status.PUBLISHED, Status.CLAIMED, Status.REPORTED, Status.FULFILLED)
    OPEN = (Status.CLAIMED, Status.REPORTED)  # a claimer is at work

    class Category(models.TextChoices):
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service")
        COMPANIONSHIP = "companionship", _("Companionship")

    class Recurrence(models.TextChoices):
        ONCE = "", _("Once")
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month")

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("beneficiary"))
    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="wishes", verbose_name=_("station"))
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="wishes",
                                 verbose_name=_("campaign"))
    alias = models.CharField(_("public alias"), max_length=20, blank=True,
                             help_text=_("Shown on the wall instead of the name, e.g. 胡阿姨. Empty: made from the surname."))
    title = models.CharField(_("wish"), max_length=80, help_text=_("In a few words, e.g. 一台血糖测量仪."))
    story = models.TextField(_("why it matters"), blank=True,
                             help_text=_("Public. Nothing that identifies the person: no address, no phone, no full name."))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    estimated_value = models.DecimalField(_("estimated value (yuan)"), max_digits=8, decimal_places=2, default=Decimal("0"),
                                          validators=[MinValueValidator(Decimal("0"))])
    people_served = models.PositiveSmallIntegerField(_("people it serves"), default=1, validators=[MinValueValidator(1)])
    recurrence = models.CharField(_("repeats"), max_length=8, choices=Recurrence.choices, blank=True, default=Recurrence.ONCE)
    photo = models.ImageField(_("photo"), upload_to="wishes/photos/", blank=True)
    photo_is_public = models.BooleanField(_("photo may be shown publicly"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    expires_on = models.DateField(_("expires on if unclaimed"), null=True, blank=True)
    thanks_note = models.TextField(_("thank-you note"), blank=True, help_text=_("The beneficiary's words, as staff wrote them down."))
    thanks_is_public = models.BooleanField(_("thank-you story may be shown publicly"), default=False)

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = [models.F("published_at").desc(nulls_last=True), "-created_at"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="wish_status_published_idx"),
            models.Index(fields=["station", "status"], name="wish_station_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(estimated_value__gte=0), name="wish_value_not_negative"),
            models.CheckConstraint(condition=Q(people_served__gte=1), name="wish_serves_someone"),
        ]

    def __str__(self):
        return f"{self.display_alias}：{self.title}"

    @property
    def display_alias(self):
        return self.alias or "—"

    @property
    def is_recurring(self):
        return bool(self.recurrence)


class WishEvent(models.Model):
    """One step in a wish's life: who moved it from which status to which, when and why."""

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="history", verbose_name=_("wish"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    from_status = models.CharField(_("from"), max_length=10, choices=Wish.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Wish.Status.choices)
    note = models.CharField(_("why"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("wish history entry")
        verbose_name_plural = _("wish history")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.wish_id}: {self.from_status or '·'} → {self.to_status}"


class Claim(TimestampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Being fulfilled")
        REPORTED = "reported", _("Fulfilment reported")
        CONFIRMED = "confirmed", _("Confirmed by the station")
        RELEASED = "released", _("Released")

    # A wish has at most one claim that is not released (a database constraint below).
    LIVE = (Status.ACTIVE, Status.REPORTED, Status.CONFIRMED)
    OPEN = (Status.ACTIVE, Status.REPORTED)

    wish = models.ForeignKey(Wish, on_delete=models.PROTECT, related_name="claims", verbose_name=_("wish"))
    claimer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wish_claims", verbose_name=_("claimer"))
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="wish_claims",
                                     verbose_name=_("on behalf of"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    deadline = models.DateTimeField(_("fulfil by"))
    commitment_until = models.DateField(_("committed until"), null=True, blank=True,
                                        help_text=_("For a repeating service: the end of the period the claimer commits to."))
    report_note = models.TextField(_("fulfilment report"), blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    sent_back_note = models.CharField(_("sent back because"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("confirmed by"))
    released_note = models.CharField(_("released because"), max_length=300, blank=True)
    reminded_at = models.DateTimeField(_("deadline reminder sent at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("deadline reminders sent"), default=0)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["wish"], condition=Q(status__in=["active", "reported", "confirmed"]),
                                    name="claim_one_live_per_wish"),
        ]
        indexes = [models.Index(fields=["claimer", "status"], name="claim_claimer_status_idx")]

    def __str__(self):
        return f"{self.wish} · {self.claimer}"


def reminders_owed(deadline, now):
    """How many of the reminders before `deadline` (one for each of settings.WISHES_REMIND_DAYS) are due at `now`."""
    return sum(1 for days in settings.WISHES_REMIND_DAYS if deadline <= now + timedelta(days=days))


def reminders_as_if_swept(deadline, now):
    """(reminded_at, reminders_sent) of an open claim the reminder sweep has been by at `now`: for seeded data."""
    sent = reminders_owed(deadline, now)
    return (deadline - timedelta(days=settings.WISHES_REMIND_DAYS[sent - 1]) if sent else None), sent


class ClaimPhoto(models.Model):
    """A photo of the fulfilment, re-encoded without EXIF; public only once staff approve it."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="photos", verbose_name=_("claim"))
    image = models.ImageField(_("photo"), upload_to="wishes/fulfilled/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="wishes/fulfilled/thumbs/")
    is_public = models.BooleanField(_("may be shown publicly"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fulfilment photo")
        verbose_name_plural = _("fulfilment photos")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.claim} #{self.pk}"


class ServiceVisit(models.Model):
    """One occurrence of a repeating service wish (this month's foot care), recorded by the claimer or the station."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="visits", verbose_name=_("claim"))
    on = models.DateField(_("date"))
    people_served = models.PositiveSmallIntegerField(_("people served"), validators=[MinValueValidator(1)])
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                    verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service visit")
        verbose_name_plural = _("service visits")
        ordering = ["on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "on"], name="visit_once_per_day"),
            models.CheckConstraint(condition=Q(people_served__gte=1), name="visit_serves_someone"),
        ]

    def __str__(self):
        return f"{self.claim} · {self.on}"


class HonourBoardOptOut(models.Model):
    """A person who would rather not be named on the monthly honour board (每月先锋榜)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("honour board opt-out")
        verbose_name_plural = _("honour board opt-outs")

    def __str__(self):
        return str(self.user)
