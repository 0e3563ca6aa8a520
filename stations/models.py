"""Stations (党群服务站): where they are, when they open, and what they offer."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Building, Neighbourhood, Organisation, Street, TimestampedModel


class ThemeTag(models.Model):
    """A station's theme, e.g. 传统文化, 微公益, 美好生活, 阅读."""

    name = models.CharField(_("name"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("theme tag")
        verbose_name_plural = _("theme tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Station(TimestampedModel):
    class Kind(models.TextChoices):
        BUILDING = "building", _("Building station")
        PARK = "park", _("Business park station")
        NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood station")
        CENTRE = "centre", _("Town or street centre")

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("web address"), max_length=80, unique=True, allow_unicode=False)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="stations", verbose_name=_("street or town"))
    building = models.ForeignKey(
        Building, on_delete=models.SET_NULL, null=True, blank=True, related_name="stations", verbose_name=_("building or park"),
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="stations",
        verbose_name=_("neighbourhood or village"),
    )
    address = models.CharField(_("address"), max_length=200)
    # WGS-84, as phones report them. Floats: distances are computed from them in SQL.
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)
    theme_tags = models.ManyToManyField(ThemeTag, blank=True, related_name="stations", verbose_name=_("themes"))
    is_active = models.BooleanField(_("open to the public"), default=True,
                                    help_text=_("Untick when the station closes for good; it disappears from the public pages."))

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["street__district__ordering", "name"]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="station_coords_idx"),
            models.Index(fields=["is_active", "street"], name="station_active_street_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90), name="station_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180), name="station_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True) | Q(latitude__isnull=False, longitude__isnull=False),
                name="station_coords_both_or_neither",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("stations:detail", args=[self.slug])

    @property
    def has_location(self):
        return self.latitude is not None and self.longitude is not None


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """One opening period on a weekday, in Shanghai time. Two rows make a lunch break.

    `closes` of 00:00 means midnight at the end of the day.
    """

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("station"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("00:00 means midnight."))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday_range"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")) | Q(closes="00:00"), name="opening_hours_closes_after_opens"),
        ]
        indexes = [models.Index(fields=["weekday", "opens", "closes"], name="opening_hours_lookup_idx")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class OpeningException(models.Model):
    """A date on which the usual hours don't apply: a holiday, a special closure, or special hours.

    Closed all day: `is_closed` and no times. Special hours: one row per period, with times.
    """

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="opening_exceptions", verbose_name=_("station"))
    date = models.DateField(_("date"))
    is_closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=100, blank=True, help_text=_("E.g. 国庆节, 场地维修."))

    class Meta:
        verbose_name = _("opening exception")
        verbose_name_plural = _("opening exceptions")
        ordering = ["date", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_closed=True, opens__isnull=True, closes__isnull=True)
                | (Q(is_closed=False, opens__isnull=False, closes__isnull=False) & (Q(closes__gt=models.F("opens")) | Q(closes="00:00"))),
                name="opening_exception_closed_or_hours",
            ),
        ]
        indexes = [models.Index(fields=["date", "station"], name="opening_exception_date_idx")]

    def __str__(self):
        if self.is_closed:
            return f"{self.date} {self.reason or ''}".strip()
        return f"{self.date} {self.opens:%H:%M}–{self.closes:%H:%M}"


class StationPhoto(models.Model):
    """A photo, stored as re-encoded copies (which drops EXIF, GPS included)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="photos", verbose_name=_("station"))
    image = models.ImageField(_("photo"), upload_to="stations/photos/", width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="stations/thumbs/")
    width = models.PositiveIntegerField(_("width"), default=0, editable=False)
    height = models.PositiveIntegerField(_("height"), default=0, editable=False)
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "id"]

    def __str__(self):
        return self.caption or f"{self.station} #{self.pk}"


class FunctionArea(models.Model):
    class Kind(models.TextChoices):
        FITNESS = "fitness", _("Fitness area")
        READING = "reading", _("Reading area")
        HANDCRAFT = "handcraft", _("Handcraft area")
        MEETING = "meeting", _("Multifunction meeting room")
        CONSULTATION = "consultation", _("Consultation area")
        NURSING = "nursing", _("Nursing-mother room")
        MUSIC_BOOKS = "music_books", _("Music and book room")
        HEALTH = "health", _("Health micro-station")
        OTHER = "other", _("Other")

    class Access(models.TextChoices):
        WALK_IN = "walk_in", _("Walk in")
        RESERVATION = "reservation", _("By reservation")

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="function_areas", verbose_name=_("station"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True, help_text=_("Leave empty to use the kind, e.g. 阅读区."))
    access_mode = models.CharField(_("access"), max_length=12, choices=Access.choices, default=Access.WALK_IN)
    capacity = models.PositiveSmallIntegerField(_("capacity"), null=True, blank=True, help_text=_("People at once."))
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("function area")
        verbose_name_plural = _("function areas")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["kind", "access_mode"], name="function_area_filter_idx")]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.name or str(self.get_kind_display())


class Team(models.Model):
    """A club that meets at the station: 梧桐话剧社, 书法社, 阿卡贝拉音乐社…"""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="teams", verbose_name=_("station"))
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    schedule = models.CharField(_("regular schedule"), max_length=120, blank=True, help_text=_("E.g. 每周三 19:00–21:00."))
    how_to_join = models.CharField(_("how to join"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
    """An entry of the station's service menu (资源清单 / 菜单式服务)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="services", verbose_name=_("station"))
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    provider = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="station_services",
        verbose_name=_("provided by"), help_text=_("A partner unit, if not the station itself."),
    )
    how_to_get = models.CharField(_("how to get it"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("service menu")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name
