"""Staff pages at the door of an event (see events.staff_views); included from portal/urls.py."""

from django.urls import path

from events import staff_views

app_name = "events_staff"

urlpatterns = [
    path("staff/events/<int:event_id>/check-in/", staff_views.checkin_page, name="checkin"),
    path("staff/events/<int:event_id>/check-in/scan", staff_views.checkin_scan, name="checkin_scan"),
    path("staff/events/<int:event_id>/check-in/count", staff_views.checkin_count, name="checkin_count"),
    path("staff/events/<int:event_id>/attendance.csv", staff_views.attendance_csv, name="attendance_csv"),
    path("staff/events/<int:event_id>/release-seats", staff_views.release_seats, name="release_seats"),
]
