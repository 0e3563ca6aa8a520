from django.urls import path

from stations import views

app_name = "stations"

# Included at the site root: the feed sits beside the list at /stations.geojson, not under it.
urlpatterns = [
    path("stations/", views.station_list, name="list"),
    path("stations.geojson", views.station_geojson, name="geojson"),
    path("stations/<slug:slug>/", views.station_page, name="detail"),
]
