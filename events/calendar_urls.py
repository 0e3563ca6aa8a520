from django.urls import path, re_path

from events import calendar_views

app_name = "events_calendar"

urlpatterns = [
    path("events/<int:event_id>/calendar.ics", calendar_views.event_ics, name="event_ics"),
    # Tokens are secrets.token_urlsafe(32): 43 characters of A–Z, a–z, 0–9, "-" and "_".
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", calendar_views.bookings_feed, name="feed"),
    path("me/calendar/", calendar_views.calendar_feed, name="feed_page"),
]
