from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.models import EventSeries
from events.series import series_generate
from portal import scopes
from portal.admin_scoping import ScopedModelAdmin

scopes.register(EventSeries, street=["station__street"], station=["station"])


@admin.register(EventSeries)
class EventSeriesAdmin(ScopedModelAdmin):
    list_display = ["title", "station", "category", "first_date", "weekly_count", "start_time", "end_time", "capacity", "whole_course"]
    list_filter = ["category", "whole_course", "station__street__district"]
    search_fields = ["title", "station__name"]
    list_select_related = ["station"]
    autocomplete_fields = ["station", "organiser"]
    actions = ["generate"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        created = series_generate(series=obj, actor=request.user)
        if created:
            self.message_user(request, ngettext("%d session was created.", "%d sessions were created.", len(created)) % len(created))

    @admin.action(description=_("Create the missing sessions of the selected series"), permissions=["change"])
    def generate(self, request, queryset):
        total = sum(len(series_generate(series=series, actor=request.user)) for series in queryset)
        self.message_user(request, ngettext("%d session was created.", "%d sessions were created.", total) % total, messages.SUCCESS)
