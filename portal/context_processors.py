from django.conf import settings

from portal.models import Notification


def portal(request):
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    # Where the language switcher returns to; a monstrous query string is not worth repeating.
    next_path = request.get_full_path() if len(request.META.get("QUERY_STRING", "")) <= 1000 else request.path
    return {"site_name": settings.SITE_NAME, "unread_notifications": unread, "language_next": next_path}
