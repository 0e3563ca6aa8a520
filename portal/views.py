from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from events import selectors as event_selectors
from portal import page_cache, selectors, services
from portal.exceptions import PortalError
from portal.forms import MembershipRequestForm, ProfileForm, ResidenceRequestForm
from portal.models import Membership, Residence
from stations.models import Station


@page_cache.public_page("places", "stations", "events")
def home(request):
    stations = (
        Station.objects.filter(is_active=True)
        .select_related("street__district")
        .order_by("street__district__ordering", "name")[:6]
    )
    # One query: the next events with their stations (events.selectors joins what the cards show).
    next_events = event_selectors.next_events(3)
    return render(request, "portal/home.html", {"stations": stations, "next_events": next_events})


@login_required
def inbox(request):
    page = Paginator(selectors.inbox_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "portal/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_mark_read(request, notification_id=None):
    if notification_id is not None:
        get_object_or_404(selectors.inbox_for(request.user), pk=notification_id)
    services.notification_mark_read(user=request.user, notification_id=notification_id)
    return redirect("portal:inbox")


@login_required
@require_POST
def inbox_open(request, notification_id):
    notification = get_object_or_404(selectors.inbox_for(request.user), pk=notification_id)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect("portal:inbox")


@login_required
@require_safe
def inbox_attachment(request, notification_id):
    """The file that came with one of the person's notifications (a merchant's manifest): only its recipient gets it."""
    notification = get_object_or_404(selectors.inbox_for(request.user).exclude(attachment_name=""), pk=notification_id)
    response = HttpResponse("\ufeff" + notification.attachment,
                            content_type="text/csv; charset=utf-8" if notification.attachment_name.endswith(".csv") else "text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{notification.attachment_name}"'
    return response


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"display_name": user.display_name, "phone": user.phone or "", "language": user.language},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(user=user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Your profile has been saved."))
            response = redirect("portal:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax",
                                max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600)
            return response
    return render(request, "portal/profile.html", {
        "form": form,
        "memberships": selectors.memberships_of(user),
        "residences": selectors.residences_of(user),
        "membership_form": MembershipRequestForm(),
        "residence_form": ResidenceRequestForm(),
    })


@login_required
@require_POST
def membership_add(request):
    form = MembershipRequestForm(request.POST)
    if form.is_valid():
        try:
            services.membership_request(user=request.user, organisation=form.cleaned_data["organisation"])
        except PortalError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you. Station staff will verify this soon."))
    else:
        messages.error(request, _("Please choose an organisation from the list."))
    return redirect("portal:profile")


@login_required
@require_POST
def residence_add(request):
    form = ResidenceRequestForm(request.POST)
    if form.is_valid():
        try:
            services.residence_request(user=request.user, neighbourhood=form.cleaned_data["neighbourhood"])
        except PortalError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you. Station staff will verify this soon."))
    else:
        messages.error(request, _("Please choose a neighbourhood from the list."))
    return redirect("portal:profile")


@login_required
@require_POST
def claim_withdraw(request, kind, claim_id):
    model = {"membership": Membership, "residence": Residence}.get(kind)
    if model is None:
        raise Http404
    claim = get_object_or_404(model, pk=claim_id, user=request.user)
    services.claim_withdraw(user=request.user, claim=claim)
    messages.success(request, _("Removed."))
    return redirect("portal:profile")


@require_POST
def set_language(request):
    """Switch the interface language, and remember it for a signed-in person's notifications."""
    language = request.POST.get("language")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax",
                            max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600)
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=language)
    return response


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_safe
def favicon(request):
    """Pages that name no icon (the admin's) make browsers ask for /favicon.ico: send them to the portal's."""
    return redirect(static("img/favicon.svg"), permanent=True)
