"""Stations (党群服务站). The foundation keeps what the rest of the portal points at;
the stations issue adds function areas, hours, teams, service menus and photos."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Building, Neighbourhood, Street, TimestampedModel


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
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("open to the public"), default=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["street__district__ordering", "name"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="station_coords_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="station_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="station_longitude_range",
            ),
        ]

    def __str__(self):
        return self.name
