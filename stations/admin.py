from django.contrib import admin

from portal import scopes
from portal.admin_scoping import ScopedModelAdmin
from stations.models import Station

scopes.register(Station, street=["street"], station=[scopes.SELF])


@admin.register(Station)
class StationAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "street", "address", "is_active"]
    list_filter = ["kind", "is_active", "street__district"]
    search_fields = ["name", "address", "description"]
    list_select_related = ["street__district"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["street", "building", "neighbourhood"]
