from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from portal import views

app_patterns = (
    [
        path("", views.home, name="home"),
        path("inbox/", views.inbox, name="inbox"),
        path("inbox/read-all/", views.inbox_mark_read, name="inbox_read_all"),
        path("inbox/<int:notification_id>/read/", views.inbox_mark_read, name="inbox_read"),
        path("inbox/<int:notification_id>/open/", views.inbox_open, name="inbox_open"),
        path("inbox/<int:notification_id>/attachment/", views.inbox_attachment, name="inbox_attachment"),
        path("me/", views.profile, name="profile"),
        path("me/memberships/add/", views.membership_add, name="membership_add"),
        path("me/residences/add/", views.residence_add, name="residence_add"),
        path("me/<str:kind>/<int:claim_id>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
        path("language/", views.set_language, name="set_language"),
        path("healthz", views.healthz, name="healthz"),
        # Pages that name no icon (the admin's) make browsers ask for this one.
        path("favicon.ico", views.favicon, name="favicon"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(app_patterns)),
    path("", include("stations.urls")),
    path("", include("events.urls")),
    path("", include("events.staff_urls")),
    path("", include("events.calendar_urls")),
    path("", include("events.delivery_urls")),
    path("", include("reservations.urls")),
    path("", include("wishes.urls")),
    path("", include("lunch.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    # Uploaded photos in development; production serves /media/ from nginx.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
