from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm

from portal import scopes
from portal.admin_scoping import ScopedModelAdmin, ScopedStackedInline, ScopedTabularInline
from stations import services
from stations.models import (
    FunctionArea,
    OpeningException,
    OpeningHours,
    ServiceItem,
    Station,
    StationPhoto,
    Team,
    ThemeTag,
)
from stations.resources import ChineseCSV, StationResource

scopes.register(Station, street=["street"], station=[scopes.SELF])
# Themes are shared vocabulary: every member of staff reads them, superusers curate them.
scopes.register(ThemeTag, reference=True)
for _child in (OpeningHours, OpeningException, StationPhoto, FunctionArea, Team, ServiceItem):
    scopes.register(_child, street=["station__street"], station=["station"])

IMPORT_MAX_BYTES = 5 * 1024 * 1024  # 191 stations fit in a few dozen kilobytes


# --- Inlines


class OpeningHoursInline(ScopedTabularInline):
    model = OpeningHours
    extra = 0
    fields = ["weekday", "opens", "closes"]


class OpeningExceptionInline(ScopedTabularInline):
    model = OpeningException
    extra = 0
    fields = ["date", "is_closed", "opens", "closes", "reason"]


class FunctionAreaInline(ScopedStackedInline):
    model = FunctionArea
    extra = 0
    fields = [("kind", "name"), ("access_mode", "capacity"), "description", "position"]


class TeamInline(ScopedStackedInline):
    model = Team
    extra = 0
    fields = ["name", "description", ("schedule", "how_to_join"), "position"]


class ServiceItemInline(ScopedStackedInline):
    model = ServiceItem
    extra = 0
    fields = ["name", "description", ("provider", "how_to_get"), "position"]


class StationPhotoForm(forms.ModelForm):
    """A new photo is uploaded once and never replaced: to change it, delete it and add another.

    The upload is a plain form field, not the model's `image`: the checks are ours
    (services.validate_photo_upload, so a bad file is a form error with our message),
    and what gets stored is the service's re-encoded copy, never the upload itself.
    StationAdmin.save_formset hands the upload to `services.station_photo_add`.
    """

    upload = forms.FileField(label=_("photo"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))

    class Meta:
        model = StationPhoto
        fields = ["caption", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["upload"].disabled = True
            self.fields["upload"].widget = forms.HiddenInput()

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if self.instance.pk:
            return None
        if not upload:
            raise ValidationError(_("Choose a photo to upload."), code="required")
        services.validate_photo_upload(upload)
        return upload


class StationPhotoInline(ScopedTabularInline):
    model = StationPhoto
    form = StationPhotoForm
    extra = 1
    fields = ["preview", "upload", "caption", "position"]
    readonly_fields = ["preview"]

    @admin.display(description=_("preview"))
    def preview(self, photo):
        if not photo.pk or not photo.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="{}" style="max-height:80px;max-width:160px">', photo.thumbnail.url, photo.caption)


# --- Station


class StationImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is too large: at most %(limit)d MB.") % {"limit": IMPORT_MAX_BYTES // (1024 * 1024)}, code="too_large"
            )
        return upload


@admin.register(Station)
class StationAdmin(ImportExportMixin, ScopedModelAdmin):
    list_display = ["name", "kind", "district", "street", "address", "is_active"]
    # "Related only": a street administrator is offered their own district and streets, not all of Shanghai.
    list_filter = ["kind", "is_active", ("street__district", admin.RelatedOnlyFieldListFilter), ("street", admin.RelatedOnlyFieldListFilter),
                   "theme_tags"]
    search_fields = ["name", "slug", "address", "description", "street__name"]
    list_select_related = ["street__district"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["street", "building", "neighbourhood"]
    filter_horizontal = ["theme_tags"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "is_active"]}),
        (_("Where"), {"fields": ["street", "building", "neighbourhood", "address", ("latitude", "longitude")]}),
        (_("About"), {"fields": ["phone", "description", "theme_tags"]}),
    ]
    inlines = [
        OpeningHoursInline,
        OpeningExceptionInline,
        FunctionAreaInline,
        TeamInline,
        ServiceItemInline,
        StationPhotoInline,
    ]

    # Import and export (django-import-export), both scoped: see StationResource.
    resource_classes = [StationResource]
    import_formats = [ChineseCSV, XLSX]
    export_formats = [CSV, XLSX]
    import_form_class = StationImportForm
    to_encoding = "utf-8-sig"  # with a BOM, so Excel reads the Chinese in an exported CSV correctly

    @admin.display(description=_("district"), ordering="street__district__ordering")
    def district(self, station):
        return station.street.district

    # Photos: uploads go through the service, which re-encodes them.

    def save_formset(self, request, form, formset, change):
        if formset.model is not StationPhoto:
            return super().save_formset(request, form, formset, change)
        station = form.instance
        formset.save(commit=False)  # sorts forms into new, changed and deleted
        for photo in formset.deleted_objects:
            services.station_photo_delete(photo=photo, actor=request.user)
        for photo, changed_fields in formset.changed_objects:
            photo.save(update_fields=[name for name in changed_fields if name in ("caption", "position")])
        for photo_form in formset.extra_forms:
            if not photo_form.has_changed() or photo_form.cleaned_data.get("DELETE"):
                continue
            data = photo_form.cleaned_data
            services.station_photo_add(
                station=station, upload=data["upload"], caption=data.get("caption") or "", position=data.get("position"),
                actor=request.user,
            )

    # Import: street administrators (rows of their streets only) and superusers.

    def has_import_permission(self, request):
        scope = scopes.scope_of(request.user)
        if not (scope.superuser or scope.streets):
            return False
        return self.has_add_permission(request) and super().has_import_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # A file is imported whole or not at all: one invalid row rolls every row back.
        kwargs["rollback_on_validation_errors"] = True
        kwargs["use_transactions"] = True
        return kwargs

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The file passed the preview but not the real run (the data changed in between):
            # everything was rolled back, so say so instead of reporting success.
            messages.error(request, gettext("Nothing was imported: some rows no longer pass the checks. Upload the file again to see why."))
            return HttpResponseRedirect(reverse("admin:stations_station_import"))
        return super().process_result(result, request)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["station_map"] = {
            "tileUrl": settings.STATIONS_TILE_URL,
            "subdomains": settings.STATIONS_TILE_SUBDOMAINS,
            "attribution": settings.STATIONS_TILE_ATTRIBUTION,
            "center": settings.STATIONS_MAP_CENTER,
            "messages": {
                "noLocation": gettext("Enter a latitude and a longitude to see the station on the map."),
                "outOfRange": gettext("These coordinates are out of range."),
                "tilesFailed": gettext("The map tiles could not be loaded; the marker position is still shown."),
                "mapFailed": gettext("The map could not be loaded. The coordinates are saved all the same."),
            },
        }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


@admin.register(ThemeTag)
class ThemeTagAdmin(ScopedModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(FunctionArea)
class FunctionAreaAdmin(ScopedModelAdmin):
    list_display = ["display_name", "kind", "station", "access_mode", "capacity"]
    list_filter = ["kind", "access_mode", ("station__street__district", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "description", "station__name"]
    list_select_related = ["station"]
    autocomplete_fields = ["station"]
    fields = ["station", ("kind", "name"), ("access_mode", "capacity"), "description", "position"]
