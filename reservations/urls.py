from django.urls import path

from reservations import views

app_name = "reservations"

urlpatterns = [
    path("reservations/", views.room_list, name="rooms"),
    path("reservations/rooms/<int:area_id>/", views.room_week, name="room"),
    path("reservations/rooms/<int:area_id>/request/", views.request_form, name="request"),
    path("me/reservations/", views.my_reservations, name="mine"),
    path("me/reservations/<int:reservation_id>/cancel/", views.cancel, name="cancel"),
    path("me/reservations/weekly/<uuid:series>/cancel/", views.cancel_series, name="cancel_series"),
    path("me/reservations/<int:reservation_id>/calendar.ics", views.calendar_file, name="calendar"),
]
