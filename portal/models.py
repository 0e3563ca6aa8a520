"""The shared core: people, geography, organisations, staff roles, notifications, audit."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

mainland_mobile_validator = RegexValidator(
    regex=r"^1[3-9]\d{9}$",
    message=_("Enter a mainland China mobile number: 11 digits starting with 13–19."),
)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


# ---------------------------------------------------------------------------
# People


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person using the portal; logs in with a confirmed e-mail address."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    # NULL rather than "" for "no phone", so the unique constraint only binds real numbers.
    phone = models.CharField(
        _("mobile phone"),
        max_length=11,
        null=True,
        blank=True,
        unique=True,
        validators=[mainland_mobile_validator],
    )

    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("Notifications and e-mails are written in this language."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.display_name or self.email

    def get_full_name(self):
        return self.display_name or self.email

    def get_short_name(self):
        return self.display_name or self.email.split("@")[0]


# ---------------------------------------------------------------------------
# Geography: district → street/town → neighbourhood/village and building/park


class District(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    ordering = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["ordering", "name"]

    def __str__(self):
        return self.name


class Street(models.Model):
    class Kind(models.TextChoices):
        STREET = "street", _("Street (街道)")
        TOWN = "town", _("Town (镇)")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("district"))
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STREET)

    class Meta:
        verbose_name = _("street or town")
        verbose_name_plural = _("streets and towns")
        ordering = ["district__ordering", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="street_unique_name_in_district")]

    def __str__(self):
        return f"{self.district.name}{self.name}"


class Neighbourhood(models.Model):
    class Kind(models.TextChoices):
        NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood (居民区)")
        VILLAGE = "village", _("Village (村)")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="neighbourhoods", verbose_name=_("street or town"))
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices, default=Kind.NEIGHBOURHOOD)
    # WGS-84; a reference point for "stations near my neighbourhood / building".
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("neighbourhood or village")
        verbose_name_plural = _("neighbourhoods and villages")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="neighbourhood_unique_name_in_street")]

    def __str__(self):
        return self.name


class Building(models.Model):
    class Kind(models.TextChoices):
        OFFICE = "office", _("Office building (楼宇)")
        PARK = "park", _("Business park (园区)")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("street or town"))
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OFFICE)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # WGS-84; a reference point for "stations near my neighbourhood / building".
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("building or park")
        verbose_name_plural = _("buildings and parks")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="building_unique_name_in_street")]

    def __str__(self):
        return self.name


# ---------------------------------------------------------------------------
# Organisations and what people are to them


class Organisation(TimestampedModel):
    class Kind(models.TextChoices):
        PARTY = "party", _("Party organisation")
        ENTERPRISE = "enterprise", _("Enterprise")
        PARTNER = "partner", _("Partner unit")
        MERCHANT = "merchant", _("Merchant")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("street or town"),
        help_text=_("The street whose staff look after this organisation."),
    )
    building = models.ForeignKey(
        Building, on_delete=models.SET_NULL, null=True, blank=True, related_name="organisations", verbose_name=_("building or park"),
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children",
        verbose_name=_("parent organisation"), help_text=_("E.g. the party committee a branch belongs to."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "kind", "name"], name="organisation_unique_name")]
        indexes = [models.Index(fields=["kind", "is_active"])]

    def __str__(self):
        return self.name


class VerifiableClaim(TimestampedModel):
    """Something a person says about themselves that station staff confirm in admin."""

    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("verified by"),
    )

    class Meta:
        abstract = True

    @property
    def is_verified(self):
        return self.verified_at is not None


class Membership(VerifiableClaim):
    """A person's tie to an organisation: office worker of an enterprise, member of a party organisation…"""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        REPRESENTATIVE = "representative", _("Representative (acts for the organisation)")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_once_per_organisation")]

    def __str__(self):
        return f"{self.user} · {self.organisation}"


class Residence(VerifiableClaim):
    """A person lives in a neighbourhood (居民) — unverified until staff confirm it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="residences", verbose_name=_("user"))
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="residences", verbose_name=_("neighbourhood or village"))

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "neighbourhood"], name="residence_once_per_neighbourhood")]

    def __str__(self):
        return f"{self.user} · {self.neighbourhood}"


# ---------------------------------------------------------------------------
# Staff roles and their scopes


class StaffAssignment(TimestampedModel):
    """Gives a person a staff role over part of the portal: a street, a station or a merchant."""

    class Role(models.TextChoices):
        STREET_ADMIN = "street_admin", _("Street administrator")
        STATION_STAFF = "station_staff", _("Station staff")
        MERCHANT_STAFF = "merchant_staff", _("Merchant staff")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_assignments", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    street = models.ForeignKey(Street, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("street or town"))
    station = models.ForeignKey(
        "stations.Station", on_delete=models.CASCADE, null=True, blank=True, related_name="staff_assignments", verbose_name=_("station"),
    )
    merchant = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="staff_assignments",
        limit_choices_to={"kind": Organisation.Kind.MERCHANT}, verbose_name=_("merchant"),
    )

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        ordering = ["user", "role"]
        constraints = [
            # Each role names exactly the one thing it governs.
            models.CheckConstraint(
                condition=(
                    Q(role="street_admin", street__isnull=False, station__isnull=True, merchant__isnull=True)
                    | Q(role="station_staff", street__isnull=True, station__isnull=False, merchant__isnull=True)
                    | Q(role="merchant_staff", street__isnull=True, station__isnull=True, merchant__isnull=False)
                ),
                name="staff_assignment_matches_role",
            ),
            models.UniqueConstraint(fields=["user", "street"], condition=Q(role="street_admin"), name="staff_street_once"),
            models.UniqueConstraint(fields=["user", "station"], condition=Q(role="station_staff"), name="staff_station_once"),
            models.UniqueConstraint(fields=["user", "merchant"], condition=Q(role="merchant_staff"), name="staff_merchant_once"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.street or self.station or self.merchant}"


# ---------------------------------------------------------------------------
# Notifications


class Notification(models.Model):
    """Something the portal tells a person; shown in their inbox and delivered by the channels."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=80, help_text=_("Dotted name of what happened, e.g. events.booking.confirmed."))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # A small text file that goes with it (a merchant's CSV manifest): attached to the e-mail, downloadable from the inbox.
    attachment_name = models.CharField(_("attachment name"), max_length=100, blank=True)
    attachment = models.TextField(_("attachment"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title


class NotificationDelivery(models.Model):
    """One notification through one channel (e-mail today; SMS or WeChat later)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notification"))
    channel = models.CharField(_("channel"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When delivery was last handed to the task queue; the sweep re-enqueues stale ones.
    enqueued_at = models.DateTimeField(_("enqueued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]
        indexes = [models.Index(fields=["status", "enqueued_at"], name="delivery_pending_idx")]

    def __str__(self):
        return f"{self.notification_id}:{self.channel}:{self.status}"


# ---------------------------------------------------------------------------
# Audit trail


class AuditEntry(models.Model):
    """Who did what to which object, written by the services that matter."""

    action = models.CharField(_("action"), max_length=80, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("actor"))
    content_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("object type"))
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.action} {self.object_repr}"
