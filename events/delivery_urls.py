"""Activity delivery pages for enterprise contacts (see events.delivery_views); included from portal/urls.py."""

from django.urls import path

from events import delivery_views

app_name = "events_delivery"

urlpatterns = [
    path("events/delivery/", delivery_views.request_list, name="list"),
    path("events/delivery/request/", delivery_views.request_create, name="create"),
    path("events/delivery/<int:request_id>/withdraw/", delivery_views.request_withdraw, name="withdraw"),
]
