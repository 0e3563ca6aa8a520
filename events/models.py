"""Events at stations: lunch-hour salons, after-work courses, culture and health events; and their bookings."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.models import Organisation, TimestampedModel


def new_booking_code():
    # 10 characters of an unambiguous alphabet: easy to read out or type at check-in, ~50 bits.
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def new_calendar_token():
    return secrets.token_urlsafe(32)


class EventCategory(models.TextChoices):
    LUNCH_SALON = "lunch_salon", _("Lunch-hour salon")
    AFTER_WORK = "after_work", _("After-work course")
    CULTURE = "culture", _("Culture")
    HEALTH = "health", _("Health")
    VOLUNTEER = "volunteer", _("Volunteer service")
    PARTY_EDUCATION = "party_education", _("Party education")
    DELIVERY = "delivery", _("Activity delivered to an enterprise")


class EventAudience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    OFFICE_WORKERS = "office_workers", _("Office workers")
    RESIDENTS = "residents", _("Residents")
    PARTY_MEMBERS = "party_members", _("Party members")


class EventSeries(TimestampedModel):
    """A recurring event, e.g. yoga every Tuesday 12:10–12:50 for 8 weeks, created once; it produces its occurrences."""

    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="event_series", verbose_name=_("station"))
    function_area = models.ForeignKey(
        "stations.FunctionArea", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("room"),
    )
    organiser = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("organiser"),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=EventCategory.choices)
    audience = models.CharField(_("audience"), max_length=20, choices=EventAudience.choices, default=EventAudience.EVERYONE)
    first_date = models.DateField(_("first date"))
    weekly_count = models.PositiveSmallIntegerField(_("number of weeks"), default=8)
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("seats"))
    fee_fen = models.PositiveIntegerField(_("fee (fen)"), default=0)
    subsidy_note = models.CharField(_("subsidy note"), max_length=200, blank=True)
    whole_course = models.BooleanField(
        _("book the whole course"), default=False,
        help_text=_("People book every session at once (a course), rather than each session on its own."),
    )

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")
        ordering = ["first_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="series_ends_after_start"),
            models.CheckConstraint(condition=Q(weekly_count__gte=1, weekly_count__lte=52), name="series_week_count"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="series_has_seats"),
        ]

    def __str__(self):
        return self.title


class Event(TimestampedModel):
    Category = EventCategory
    Audience = EventAudience

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")
        FINISHED = "finished", _("Finished")

    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="events", verbose_name=_("station"))
    function_area = models.ForeignKey(
        "stations.FunctionArea", on_delete=models.SET_NULL, null=True, blank=True, related_name="events", verbose_name=_("room"),
    )
    organiser = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="organised_events", verbose_name=_("organiser"),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    cover = models.ImageField(_("cover image"), upload_to="events/covers/", blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("seats"))
    # Seats held by confirmed (and attended) bookings; moved only by the booking services, under the event's row lock.
    confirmed_seats = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    booking_opens_at = models.DateTimeField(_("booking opens"), null=True, blank=True, help_text=_("Empty: as soon as it is published."))
    booking_closes_at = models.DateTimeField(_("booking closes"), null=True, blank=True, help_text=_("Empty: when the event starts."))
    cancellation_deadline = models.DateTimeField(
        _("cancellation deadline"), null=True, blank=True, help_text=_("Empty: until the event starts."),
    )
    fee_fen = models.PositiveIntegerField(_("fee (fen)"), default=0, help_text=_("In fen: 5000 is ¥50.00. 0 for free events."))
    subsidy_note = models.CharField(_("subsidy note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # An activity delivered to one enterprise: hidden from the public list, bookable by its members only.
    private_for = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="private_events", verbose_name=_("only for"),
    )
    series = models.ForeignKey(
        EventSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="occurrences", verbose_name=_("series"),
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="event_status_start_idx"),
            models.Index(fields=["station", "starts_at"], name="event_station_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_has_seats"),
            # The last line of defence against overbooking, whatever path writes the row.
            models.CheckConstraint(condition=Q(confirmed_seats__lte=F("capacity")), name="event_not_overbooked"),
            # A series makes each of its occurrences once.
            models.UniqueConstraint(fields=["series", "starts_at"], name="event_series_occurrence_once"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("events:detail", args=[self.pk])

    @property
    def seats_left(self):
        return max(self.capacity - self.confirmed_seats, 0)

    @property
    def fee_yuan(self):
        return f"{self.fee_fen // 100}.{self.fee_fen % 100:02d}"


class Booking(TimestampedModel):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Seat confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("Did not come")

    # Statuses that hold a person's one place at an event.
    ACTIVE = (Status.CONFIRMED, Status.WAITLISTED, Status.ATTENDED, Status.NO_SHOW)
    # Statuses whose seats count against capacity.
    HOLDING_SEATS = (Status.CONFIRMED, Status.ATTENDED)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("event"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("person"))
    seats = models.PositiveSmallIntegerField(_("seats"), default=1, help_text=_("More than one when an enterprise contact books for colleagues."))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    code = models.CharField(_("booking code"), max_length=16, unique=True, default=new_booking_code, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # The start time the last reminder announced: a moved event is due a new reminder, a repeated run is not.
    reminded_for = models.DateTimeField(_("reminded for start at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        # The waiting list is served in this order.
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=["confirmed", "waitlisted", "attended", "no_show"]),
                name="booking_one_active_per_person",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="booking_has_seats"),
        ]
        indexes = [
            models.Index(fields=["event", "status", "created_at"], name="booking_event_status_idx"),
            models.Index(fields=["user", "status"], name="booking_user_status_idx"),
        ]

    def __str__(self):
        return f"{self.event} · {self.user} · {self.get_status_display()}"


class CalendarToken(models.Model):
    """The secret in a person's private "my bookings" calendar feed URL. Revoke by deleting; a new one is made on demand."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token", verbose_name=_("person"))
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_calendar_token, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return f"{self.user}"


class ActivityRequest(TimestampedModel):
    """An enterprise asks a station to deliver an activity to its staff (活动配送)."""

    class Kind(models.TextChoices):
        HEALTH = "health", _("Health care")
        STRESS = "stress", _("Stress relief")
        RECREATION = "recreation", _("Recreation")
        CULTURE = "culture", _("Culture")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the station")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="activity_requests", verbose_name=_("enterprise"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_requests",
                                     verbose_name=_("requested by"))
    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="activity_requests", verbose_name=_("station"))
    kind = models.CharField(_("kind of activity"), max_length=12, choices=Kind.choices)
    preferred_dates = models.CharField(_("preferred dates"), max_length=200, help_text=_("E.g. 12月的周三中午."))
    headcount = models.PositiveIntegerField(_("expected people"))
    details = models.TextField(_("details"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    staff_remark = models.TextField(_("staff remark"), blank=True)
    event = models.OneToOneField(Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="activity_request",
                                 verbose_name=_("event"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity request")
        verbose_name_plural = _("activity requests")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(headcount__gte=1), name="activity_request_headcount")]

    def __str__(self):
        return f"{self.organisation} · {self.get_kind_display()}"

