"""Stations in and out of spreadsheets (CSV, XLSX), so a street can load all its stations at once.

One row per station, matched on `slug`: a known slug updates that station, a new
one creates it. Places are given by name (the street within its district, the
building and neighbourhood within the street), themes as a list of names.

Who may import what follows `portal.scopes`: superusers anything, a street
administrator only stations of their own streets, nobody else anything. The
admin runs the whole file in one transaction and rolls it all back when a single
row fails, so a file is imported completely or not at all.
"""

import math
import re

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV

from portal import scopes
from portal.audit import audit_log
from portal.models import Building, Neighbourhood, Street
from stations.models import Station, ThemeTag

# Theme lists as people type them: "阅读、微公益", "阅读,微公益", "阅读，微公益".
THEME_SEPARATORS = re.compile(r"[,，、;；\n]+")
THEME_EXPORT_SEPARATOR = "、"


class ChineseCSV(CSV):
    """CSV as it arrives from offices in China: UTF-8 (with or without Excel's BOM) or GB18030.

    Excel and WPS on a Chinese Windows save "CSV (逗号分隔)" in the ANSI code page, i.e. GBK.
    GB18030 is a superset of GBK, and a UTF-8 file almost never decodes as anything else by
    accident, so trying UTF-8 first is safe. Read as bytes to decide here, not in the admin.
    """

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("gb18030")
        return super().create_dataset(in_stream, **kwargs)


def _text(value):
    """A cell as stripped text. Spreadsheets hand over numbers as floats: 62881234.0 is "62881234"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return _text(value)


class KindWidget(widgets.Widget):
    """The kind of station: its code ("building") or its label in any of the portal's languages ("楼宇党群服务站")."""

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return ""  # the model says the field is required
        codes = {code.casefold(): code for code in Station.Kind.values}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                codes.update({str(label).casefold(): code for code, label in Station.Kind.choices})
        try:
            return codes[text.casefold()]
        except KeyError:
            choices = "、".join(str(label) for label in Station.Kind.labels)
            raise ValueError(_("Unknown kind “%(value)s”: use one of %(choices)s.") % {"value": text, "choices": choices}) from None

    def render(self, value, obj=None, **kwargs):
        return str(Station.Kind(value).label) if value else ""


class CoordinateWidget(widgets.Widget):
    def __init__(self, limit, **kwargs):
        self.limit = limit
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": text}) from None
        if not math.isfinite(number) or not -self.limit <= number <= self.limit:
            raise ValueError(_("%(value)s is out of range: it must lie between -%(limit)d and %(limit)d.") % {"value": text, "limit": self.limit})
        return number

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class YesNoWidget(widgets.Widget):
    """Yes or no, as spreadsheets and people write it. Empty leaves the value as it is."""

    TRUE = {"1", "true", "yes", "y", "是", "开放", "对"}
    FALSE = {"0", "false", "no", "n", "否", "关闭", "不"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = _text(value).casefold()
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("“%(value)s” is neither yes (1) nor no (0).") % {"value": _text(value)})

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        if kwargs.get("force_native_type"):
            return value
        return "1" if value else "0"


class ThemeTagsWidget(widgets.Widget):
    """Exports a station's themes as one cell; importing them is StationResource's job."""

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return THEME_EXPORT_SEPARATOR.join(sorted(tag.name for tag in value.all()))


class StationResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    slug = fields.Field(attribute="slug", column_name="slug", widget=TextWidget())
    kind = fields.Field(attribute="kind", column_name="kind", widget=KindWidget())
    # Places and themes are read in import_instance() (a place's name only means something
    # within its parent), so their fields only export: readonly keeps the generic import off them.
    district = fields.Field(attribute="street__district__name", column_name="district", readonly=True)
    street = fields.Field(attribute="street__name", column_name="street", readonly=True)
    building = fields.Field(attribute="building__name", column_name="building", readonly=True)
    neighbourhood = fields.Field(attribute="neighbourhood__name", column_name="neighbourhood", readonly=True)
    address = fields.Field(attribute="address", column_name="address", widget=TextWidget())
    latitude = fields.Field(attribute="latitude", column_name="latitude", widget=CoordinateWidget(90))
    longitude = fields.Field(attribute="longitude", column_name="longitude", widget=CoordinateWidget(180))
    phone = fields.Field(attribute="phone", column_name="phone", widget=TextWidget())
    description = fields.Field(attribute="description", column_name="description", widget=TextWidget())
    theme_tags = fields.Field(attribute="theme_tags", column_name="theme_tags", widget=ThemeTagsWidget(), readonly=True)
    is_active = fields.Field(attribute="is_active", column_name="is_active", widget=YesNoWidget(), saves_null_values=False)

    class Meta:
        model = Station
        name = gettext_lazy("Stations")
        fields = [
            "name", "slug", "kind", "district", "street", "building", "neighbourhood", "address",
            "latitude", "longitude", "phone", "description", "theme_tags", "is_active",
        ]
        import_order = fields
        export_order = fields
        import_id_fields = ["slug"]
        clean_model_instances = True
        use_transactions = True
        skip_diff = False

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self._places = {}

    # --- Export

    def export(self, queryset=None, **kwargs):
        if queryset is not None:
            queryset = queryset.select_related("street__district", "building", "neighbourhood").prefetch_related("theme_tags")
        return super().export(queryset=queryset, **kwargs)

    # --- Import

    def import_instance(self, instance, row, **kwargs):
        """Plain fields through their widgets, then places, themes and the importer's scope, all as row errors."""
        errors = {}
        governed_before = instance.street_id if instance.pk else None
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        self._import_places(instance, row, errors)
        self._import_theme_tags(instance, row, errors)
        if "latitude" not in errors and "longitude" not in errors and (instance.latitude is None) != (instance.longitude is None):
            errors["latitude"] = [_("Give both latitude and longitude, or neither.")]
        self._check_scope(instance, governed_before, errors)
        if errors:
            raise ValidationError(errors)

    def _check_scope(self, instance, governed_before, errors):
        scope = scopes.scope_of(self.user) if self.user is not None else scopes.StaffScope()
        if scope.superuser:
            return
        if not scope.streets:
            errors.setdefault(NON_FIELD_ERRORS, []).append(_("Only street administrators can import stations."))
            return
        if governed_before is not None and governed_before not in scope.streets:
            errors.setdefault("slug", []).append(
                _("A station with this web address already exists in a street you don't look after.")
            )
        if instance.street_id is not None and instance.street_id not in scope.streets:
            errors.setdefault("street", []).append(
                _("%(street)s is not a street you look after.") % {"street": instance.street}
            )

    def _street(self, district_name, street_name):
        key = ("street", district_name, street_name)
        if key not in self._places:
            qs = Street.objects.select_related("district").filter(name=street_name)
            if district_name:
                qs = qs.filter(district__name=district_name)
            self._places[key] = list(qs[:2])
        return self._places[key]

    def _in_street(self, model, street_id, name):
        key = (model, street_id, name)
        if key not in self._places:
            self._places[key] = model.objects.filter(street_id=street_id, name=name).first()
        return self._places[key]

    def _import_places(self, instance, row, errors):
        if "street" in row:
            district_name, street_name = _text(row.get("district")), _text(row.get("street"))
            if not street_name:
                errors.setdefault("street", []).append(_("Give the street or town."))
                return
            found = self._street(district_name, street_name)
            if not found:
                if district_name:
                    message = _("There is no street or town “%(street)s” in %(district)s.") % {"street": street_name, "district": district_name}
                else:
                    message = _("There is no street or town “%(street)s”.") % {"street": street_name}
                errors.setdefault("street", []).append(message)
                return
            if len(found) > 1:
                errors.setdefault("district", []).append(
                    _("Several districts have a street or town named “%(street)s”: give the district.") % {"street": street_name}
                )
                return
            instance.street = found[0]
        if instance.street_id is None:
            return  # the model reports the missing street
        for column, model, message in (
            ("building", Building, _("There is no building or park “%(name)s” in %(street)s.")),
            ("neighbourhood", Neighbourhood, _("There is no neighbourhood or village “%(name)s” in %(street)s.")),
        ):
            if column not in row:
                if "street" in row and getattr(instance, f"{column}_id") is not None:
                    # The station moved street: a building of the old street can't stay.
                    place = getattr(instance, column)
                    if place.street_id != instance.street_id:
                        setattr(instance, column, None)
                continue
            name = _text(row.get(column))
            if not name:
                setattr(instance, column, None)
                continue
            place = self._in_street(model, instance.street_id, name)
            if place is None:
                errors.setdefault(column, []).append(message % {"name": name, "street": instance.street})
            else:
                setattr(instance, column, place)

    def _import_theme_tags(self, instance, row, errors):
        if "theme_tags" not in row:
            return
        names = []
        for part in THEME_SEPARATORS.split(_text(row.get("theme_tags"))):
            part = part.strip()
            if part and part not in names:
                names.append(part)
        max_length = ThemeTag._meta.get_field("name").max_length
        too_long = [n for n in names if len(n) > max_length]
        if too_long:
            errors.setdefault("theme_tags", []).append(
                _("A theme name has at most %(limit)d characters: %(names)s.") % {"limit": max_length, "names": "、".join(too_long)}
            )
            return
        known = set(ThemeTag.objects.filter(name__in=names).values_list("name", flat=True))
        unknown = [n for n in names if n not in known]
        if unknown and not getattr(self.user, "is_superuser", False):
            errors.setdefault("theme_tags", []).append(
                _("Unknown themes: %(names)s. Ask a site administrator to add them first.") % {"names": "、".join(unknown)}
            )
            return
        instance._imported_theme_names = names

    def save_m2m(self, instance, row, **kwargs):
        super().save_m2m(instance, row, **kwargs)
        names = getattr(instance, "_imported_theme_names", None)
        if names is None:
            return
        tags = []
        for name in names:
            # Only superusers get here with names that don't exist yet (see _import_theme_tags).
            tags.append(ThemeTag.objects.get_or_create(name=name)[0])
        instance.theme_tags.set(tags)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if self._is_dry_run(kwargs) or result.has_errors() or result.has_validation_errors():
            return
        totals = {kind: count for kind, count in result.totals.items() if count}
        audit_log(
            action="stations.station.imported",
            actor=self.user,
            data={"file": kwargs.get("file_name") or "", "rows": len(dataset), "totals": totals},
        )

