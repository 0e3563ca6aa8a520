"""Activity requests (活动配送) in the admin: station staff and street administrators read them and answer.

A request is what the enterprise wrote, so the change form shows it read-only; it is
answered on two small pages of its own, reached from buttons on the change form
(and links in the list): "Accept" asks for the event's details and calls
`activity_request_accept`, "Decline" asks for a remark and calls
`activity_request_decline`. Both are scoped like the rest of the admin: staff of
another station get 403.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events import delivery
from events.models import ActivityRequest
from events.services import EventError
from portal import scopes
from portal.admin_scoping import ScopedModelAdmin
from stations.models import FunctionArea

scopes.register(ActivityRequest, street=["station__street"], station=["station"])


class AcceptForm(forms.Form):
    title = forms.CharField(label=_("Event title"), max_length=120, widget=forms.TextInput(attrs={"class": "vTextField"}))
    starts_at = forms.SplitDateTimeField(label=_("Starts at"), widget=AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(label=_("Ends at"), widget=AdminSplitDateTime)
    capacity = forms.IntegerField(
        label=_("Seats"), min_value=1, help_text=_("Set from the expected number of people; change it if the room holds fewer."),
    )
    function_area = forms.ModelChoiceField(label=_("Room"), queryset=FunctionArea.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
                                  help_text=_("Shown on the event page to the enterprise's staff."))
    remark = forms.CharField(label=_("Note to the enterprise"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text=_("Optional, e.g. what the enterprise should prepare."))

    def __init__(self, *args, activity_request, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["function_area"].queryset = FunctionArea.objects.filter(station_id=activity_request.station_id)

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The event must end after it starts."))
        return cleaned


class DeclineForm(forms.Form):
    remark = forms.CharField(
        label=_("Why the station declines"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("The enterprise reads this. If another date or kind of activity would work, say so."),
    )


class ActivityRequestAdmin(ScopedModelAdmin):
    list_display = ["organisation", "kind", "station", "status", "answer_links", "headcount", "preferred_dates", "created_at"]
    list_filter = ["status", "kind", ("station", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["organisation__name", "requested_by__email", "requested_by__display_name", "preferred_dates", "details"]
    list_select_related = ["organisation", "station"]
    date_hierarchy = "created_at"
    fieldsets = [
        (_("The request"), {"fields": ["organisation", "requested_by", "contact_phone", "station", "kind", "preferred_dates", "headcount",
                                       "details", "created_at"]}),
        (_("The answer"), {"fields": ["status", "staff_remark", "event", "decided_by", "decided_at"]}),
    ]
    readonly_fields = ["organisation", "requested_by", "contact_phone", "station", "kind", "preferred_dates", "headcount", "details",
                       "created_at", "status", "staff_remark", "event", "decided_by", "decided_at"]

    @admin.display(description=_("mobile phone"))
    def contact_phone(self, obj):
        return obj.requested_by.phone or "—"

    @admin.display(description=_("answer"))
    def answer_links(self, obj):
        if obj.status != ActivityRequest.Status.PENDING:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:events_activityrequest_accept", args=[obj.pk]), gettext("Accept"),
            reverse("admin:events_activityrequest_decline", args=[obj.pk]), gettext("Decline"),
        )

    # Requests come from enterprises, through the portal; they stay as history once answered.
    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Everything on the form is read-only: the answer goes through the Accept / Decline pages, not "Save".
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                         "show_save_and_add_another": False, "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        return [
            path("<path:object_id>/accept/", self.admin_site.admin_view(self.accept_view), name=f"{prefix}_accept"),
            path("<path:object_id>/decline/", self.admin_site.admin_view(self.decline_view), name=f"{prefix}_decline"),
            *super().get_urls(),
        ]

    # --- answering

    def _request_to_answer(self, request, object_id):
        obj = ActivityRequest.objects.select_related("organisation", "station", "requested_by").filter(pk=unquote(object_id)).first()
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _answered(self, request, obj):
        self.message_user(request, gettext("This request has already been answered."), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:events_activityrequest_change", args=[obj.pk]))

    def _render_answer(self, request, obj, form, *, title, template, fields):
        adminform = helpers.AdminForm(form, [(None, {"fields": fields})], {})
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(obj),
            "opts": self.model._meta,
            "original": obj,
            "adminform": adminform,
            "form": form,
            "media": self.media + form.media,
            "errors": helpers.AdminErrorList(form, []),
        }
        return TemplateResponse(request, template, context)

    def accept_view(self, request, object_id):
        obj = self._request_to_answer(request, object_id)
        if obj.status != ActivityRequest.Status.PENDING:
            return self._answered(request, obj)
        initial = {"title": f"{obj.get_kind_display()} · {obj.organisation.name}", "capacity": obj.headcount}
        form = AcceptForm(request.POST or None, activity_request=obj, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                accepted = delivery.activity_request_accept(request=obj, actor=request.user, **form.cleaned_data)
            except EventError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    format_html(gettext("Accepted. The event “{}” is published for {} only, and the requester has been told."),
                                accepted.event.title, obj.organisation.name),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:events_activityrequest_change", args=[obj.pk]))
        return self._render_answer(
            request, obj, form, title=gettext("Accept the activity request"), template="admin/events/activityrequest/accept.html",
            fields=["title", ("starts_at", "ends_at"), "capacity", "function_area", "description", "remark"],
        )

    def decline_view(self, request, object_id):
        obj = self._request_to_answer(request, object_id)
        if obj.status != ActivityRequest.Status.PENDING:
            return self._answered(request, obj)
        form = DeclineForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                delivery.activity_request_decline(request=obj, actor=request.user, remark=form.cleaned_data["remark"])
            except EventError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, gettext("Declined. The requester has been told, with your remark."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:events_activityrequest_changelist"))
        return self._render_answer(
            request, obj, form, title=gettext("Decline the activity request"), template="admin/events/activityrequest/decline.html",
            fields=["remark"],
        )


if not admin.site.is_registered(ActivityRequest):
    admin.site.register(ActivityRequest, ActivityRequestAdmin)
