from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("events/<int:event_id>/", views.event_detail, name="detail"),
    path("events/<int:event_id>/book/", views.booking_create, name="book"),
    path("events/bookings/<int:booking_id>/cancel/", views.booking_cancel, name="cancel"),
    path("me/bookings/", views.my_bookings, name="my_bookings"),
]
