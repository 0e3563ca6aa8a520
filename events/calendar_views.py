"""Calendar downloads: one event's .ics, a person's private feed, and the page that hands out the feed URL."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from events import calendars
from events.models import CalendarToken, Event

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"
# Events anyone may add to a calendar: not drafts, not activities delivered to one enterprise.
PUBLIC_STATUSES = (Event.Status.PUBLISHED, Event.Status.CANCELLED, Event.Status.FINISHED)


@require_GET
def event_ics(request, event_id):
    event = (
        Event.objects.select_related("station", "function_area")
        .filter(pk=event_id, status__in=PUBLIC_STATUSES, private_for__isnull=True)
        .first()
    )
    if event is None:
        raise Http404
    response = HttpResponse(calendars.event_calendar(event), content_type=ICS_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


@require_GET
def bookings_feed(request, token):
    # No login: calendar apps can't sign in, so the unguessable token is the credential.
    calendar_token = CalendarToken.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if calendar_token is None:
        raise Http404
    response = HttpResponse(calendars.bookings_calendar(calendar_token.user), content_type=ICS_CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="my-bookings.ics"'
    # One person's bookings: no shared cache may keep them, and nobody should index the URL.
    patch_cache_control(response, private=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def feed_urls(request, calendar_token):
    """The feed's web address, on the host the person is using, and its webcal:// twin (most calendar apps
    open that as "subscribe")."""
    if calendar_token is None:
        return None
    web = request.build_absolute_uri(reverse("events_calendar:feed", args=[calendar_token.token]))
    return {"https": web, "webcal": "webcal://" + web.split("://", 1)[1]}


def calendar_feed_context(request):
    """What templates/events/includes/calendar_feed.html needs: add it to the context of a page that includes it."""
    return {"calendar_feed": feed_urls(request, calendars.calendar_token_for(request.user))}


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed(request):
    if request.method == "POST":
        had_one = calendars.calendar_token_for(request.user) is not None
        calendars.calendar_token_regenerate(user=request.user, actor=request.user)
        if had_one:
            messages.success(request, _("You have a new calendar link. The old one no longer works: subscribe again with the new one."))
        else:
            messages.success(request, _("Your calendar link is ready. Add it to your calendar app to see your bookings there."))
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            return redirect(target)
        return redirect("events_calendar:feed_page")
    return render(request, "events/calendar_feed_page.html", calendar_feed_context(request))
