from django.conf import settings

from portal.models import Notification


def portal(request):
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"site_name": settings.SITE_NAME, "unread_notifications": unread}
