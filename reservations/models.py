"""Reserving a station's rooms (场地预约): no two live reservations of one room ever overlap."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.models import Organisation, TimestampedModel


class ReservableArea(models.Model):
    """How a function area open "by reservation" takes reservations."""

    area = models.OneToOneField(
        "stations.FunctionArea", on_delete=models.CASCADE, related_name="reservable", verbose_name=_("room"),
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=30)
    min_minutes = models.PositiveSmallIntegerField(_("shortest reservation (minutes)"), default=30)
    max_minutes = models.PositiveSmallIntegerField(_("longest reservation (minutes)"), default=240)
    max_days_ahead = models.PositiveSmallIntegerField(_("bookable days ahead"), default=30)
    needs_approval = models.BooleanField(_("needs staff approval"), default=True)
    # The room follows its station's opening hours; these narrow them (e.g. 09:00–17:00 although the station opens till 21:00).
    opens = models.TimeField(_("reservable from"), null=True, blank=True,
                             help_text=_("Empty: from when the station opens. Otherwise not before this time of day."))
    closes = models.TimeField(_("reservable until"), null=True, blank=True,
                              help_text=_("Empty: until the station closes. Otherwise not after this time of day."))

    class Meta:
        verbose_name = _("reservable room")
        verbose_name_plural = _("reservable rooms")
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gte=5, slot_minutes__lte=240), name="reservable_slot_range"),
            models.CheckConstraint(condition=Q(min_minutes__lte=F("max_minutes")), name="reservable_min_le_max"),
            models.CheckConstraint(
                condition=Q(opens__isnull=True) | Q(closes__isnull=True) | Q(opens__lt=F("closes")), name="reservable_opens_before_closes",
            ),
        ]

    def __str__(self):
        return str(self.area)

    def clean(self):
        if self.opens and self.closes and self.opens >= self.closes:
            raise ValidationError({"closes": _("The room must close after it opens.")})


class Reservation(TimestampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    # Statuses that hold the time slot: a pending request keeps it until staff decide.
    HOLDING = (Status.PENDING, Status.APPROVED)

    area = models.ForeignKey("stations.FunctionArea", on_delete=models.CASCADE, related_name="reservations", verbose_name=_("room"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reservations", verbose_name=_("person"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="reservations", verbose_name=_("on behalf of"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    purpose = models.CharField(_("purpose"), max_length=200)
    attendees = models.PositiveSmallIntegerField(_("expected people"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    is_block = models.BooleanField(_("blocked by staff"), default=False, help_text=_("Maintenance or a station event."))
    staff_remark = models.CharField(_("staff remark"), max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The occurrences of one weekly request share a series; each is a reservation of its own.
    series = models.UUIDField(_("weekly series"), null=True, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["area", "starts_at"], name="reservation_area_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="reservation_ends_after_start"),
            models.CheckConstraint(condition=Q(attendees__gte=1), name="reservation_attendees"),
            # On PostgreSQL an exclusion constraint (migration 0002) also forbids overlapping live reservations.
        ]

    def __str__(self):
        return f"{self.area} {self.starts_at:%Y-%m-%d %H:%M}"


class ReservationQuota(models.Model):
    """At most this many hours a week of a station's rooms for one organisation (or, without one, for each)."""

    station = models.ForeignKey("stations.Station", on_delete=models.CASCADE, related_name="reservation_quotas", verbose_name=_("station"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("organisation"),
        help_text=_("Empty: the limit for every organisation without a limit of its own."),
    )
    hours_per_week = models.PositiveSmallIntegerField(_("hours per week"))

    class Meta:
        verbose_name = _("weekly quota")
        verbose_name_plural = _("weekly quotas")
        constraints = [
            models.UniqueConstraint(fields=["station", "organisation"], name="quota_once_per_organisation"),
            models.UniqueConstraint(fields=["station"], condition=Q(organisation__isnull=True), name="quota_one_default_per_station"),
        ]

    def __str__(self):
        return f"{self.station} · {self.organisation or '*'} · {self.hours_per_week}h"
