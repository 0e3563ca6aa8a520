"""The public event pages: the list (and its week calendar), one event's page with its one button, and My bookings.

Booking and cancelling go through events.services; their EventError becomes a flash message
and a redirect back, so nothing a visitor sends ends in a 500.
"""

from datetime import timedelta
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from events import selectors, services
from events.calendar_views import calendar_feed_context
from events.checkin import no_show_restriction_message
from events.filters import EventFilter
from events.models import Booking, Event
from portal import page_cache
from portal.filters import list_url, query_string_too_long, redirect_to_understood

PAGE_SIZE = 20


def _list_url(query="", **extra):
    return list_url("events:list", query, **extra)


@require_safe
@page_cache.public_page("places", "stations", "events")
def event_list(request):
    now = timezone.now()
    today = timezone.localtime(now, selectors.SHANGHAI).date()
    filterset = EventFilter(request.GET, queryset=Event.objects.none(), now=now)
    view_mode = "week" if request.GET.get("view") == "week" else "list"
    if query_string_too_long(request):
        return redirect_to_understood(request, "events:list", filterset.query(), **({"view": "week"} if view_mode == "week" else {}))

    list_query = filterset.query(exclude=("week",))
    context = {
        "filterset": filterset,
        "view_mode": view_mode,
        "problems": filterset.problems(),
        "query": list_query,
        "list_view_url": _list_url(list_query),
        "week_view_url": _list_url(filterset.query(), view="week"),
        "clear_all_url": _list_url("", **({"view": "week"} if view_mode == "week" else {})),
        "main_group": filterset.group(("time", "category")),
        "more_group": filterset.group(EventFilter.MORE_FIELDS),
        "seats_group": filterset.group(("seats",)),
        "hidden": [("week", filterset.data["week"])] if view_mode == "week" and "week" in filterset.valid and filterset.data.get("week") else [],
    }
    if view_mode == "week":
        monday = selectors.week_start(filterset.week_of(today))
        days, more = selectors.week_events(week_of=monday, **filterset.selector_arguments())
        week_query = filterset.query(exclude=("week",))
        context.update({
            "days": days,
            "today": today,
            "too_many": more,
            "week_limit": selectors.WEEK_LIMIT,
            "week_count": sum(len(events) for _day, events in days),
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "previous_week_url": _list_url(week_query, view="week", week=(monday - timedelta(days=7)).isoformat()),
            "next_week_url": _list_url(week_query, view="week", week=(monday + timedelta(days=7)).isoformat()),
            "this_week_url": _list_url(week_query, view="week"),
            "is_this_week": monday == selectors.week_start(today),
        })
    else:
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
        context.update({
            "page": page,
            # includes/pagination.html repeats request.GET: give it only what was understood.
            "pagination_request": SimpleNamespace(GET=QueryDict(list_query)),
        })
    response = render(request, "events/event_list.html", context)
    shown = context["page"].object_list if "page" in context else [e for _day, events in context["days"] for e in events]
    return page_cache.fresh_until(response, [moment for event in shown for moment in _turning_points(event)], now=now)


def _booking_state(event, booking, user, now):
    """Which one thing the event page offers: see templates/events/includes/booking_box.html."""
    if event.status == Event.Status.CANCELLED:
        return "cancelled"
    if event.status == Event.Status.FINISHED or event.starts_at <= now:
        return "past"
    if booking is not None:
        return "confirmed" if booking.status == Booking.Status.CONFIRMED else "waitlisted"
    if event.booking_opens_at and now < event.booking_opens_at:
        return "not_open"
    if event.booking_closes_at and now >= event.booking_closes_at:
        return "closed"
    if not user.is_authenticated:
        return "anonymous"
    return "book" if event.seats_left > 0 else "waitlist"


@require_safe
@page_cache.public_page("places", "stations", "events")
def event_detail(request, event_id):
    try:
        event = selectors.event_for_page(event_id)
    except Event.DoesNotExist:
        raise Http404(_("There is no such event.")) from None
    now = timezone.now()
    booking = selectors.my_booking(event=event, user=request.user)
    state = _booking_state(event, booking, request.user, now)
    deadline = event.cancellation_deadline or event.starts_at
    group = state in ("book", "waitlist") and selectors.may_book_for_a_group(request.user)
    response = render(request, "events/event_detail.html", {
        "event": event,
        "booking": booking,
        "state": state,
        "deadline": deadline,
        "may_cancel": state == "waitlisted" or (state == "confirmed" and now < deadline),
        "group_booking": group,
        "max_group_seats": services.MAX_GROUP_SEATS,
        "login_url": f"{reverse('account_login')}?{urlencode({'next': event.get_absolute_url()})}",
    })
    # What the page offers changes by the clock when booking opens or closes, or the event starts.
    return page_cache.fresh_until(response, _turning_points(event, deadline), now=now)


def _turning_points(event, deadline=None):
    return (event.booking_opens_at, event.booking_closes_at, event.starts_at, deadline)


def _seats(request):
    """The seats asked for: 1 unless a (group) number was sent; None for something that is no number of seats."""
    value = request.POST.get("seats", "1").strip() or "1"
    if not (value.isascii() and value.isdigit()) or len(value) > 4:
        return None
    return int(value)


@require_POST
def booking_create(request, event_id):
    event = selectors.event_to_book(event_id)
    if event is None:
        raise Http404(_("There is no such event."))
    if not request.user.is_authenticated:
        return redirect_to_login(event.get_absolute_url())
    seats = _seats(request)
    if seats is None:
        messages.error(request, _("Enter the number of seats as a whole number, e.g. 3."))
        return redirect(event)
    try:
        booking = services.booking_create(event=event, user=request.user, seats=seats)
    except services.EventError as error:
        messages.error(request, error.message)
        return redirect(event)
    if booking.status == Booking.Status.CONFIRMED:
        messages.success(request, _("You are booked — seat confirmed. Your booking code is %(code)s.") % {"code": booking.code})
    else:
        if getattr(booking, "restricted_until", None):
            # Seats were free, but repeated no-shows allow only the waiting list for now: say why.
            messages.warning(request, no_show_restriction_message(booking.restricted_until))
        else:
            messages.info(request, _("The event is full: you are on the waiting list. If a seat comes free, it is yours and we tell you."))
    return redirect(event)


def _back(request, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@require_POST
def booking_cancel(request, booking_id):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("events:my_bookings"))
    # Only to choose the words of the message; the service checks everything again under its locks.
    before = Booking.objects.filter(pk=booking_id, user=request.user).values_list("status", "event_id").first()
    fallback = reverse("events:detail", args=[before[1]]) if before else reverse("events:my_bookings")
    try:
        services.booking_cancel(booking_id=booking_id, user=request.user)
    except services.EventError as error:
        messages.error(request, error.message)
        return _back(request, fallback)
    if before[0] == Booking.Status.WAITLISTED:
        messages.success(request, _("You have left the waiting list."))
    else:
        messages.success(request, _("Your booking is cancelled and your seat goes to the next person."))
    return _back(request, fallback)


@login_required
@require_safe
def my_bookings(request):
    now = timezone.now()
    upcoming, past = selectors.bookings_of(request.user, now=now)
    for booking in upcoming:
        deadline = booking.event.cancellation_deadline or booking.event.starts_at
        booking.may_cancel = booking.status == Booking.Status.WAITLISTED or (
            booking.status == Booking.Status.CONFIRMED and now < deadline
        )
        booking.deadline = deadline
    return render(request, "events/my_bookings.html", {
        "upcoming": upcoming,
        "past": past,
        "past_limit": selectors.PAST_BOOKINGS_SHOWN,
        **calendar_feed_context(request),
    })
