"""One mechanism that makes every ModelAdmin respect staff scopes (see `portal.scopes`)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from portal import scopes
from portal.exceptions import PortalError


def _limit_choices(request, db_field, kwargs):
    """Offer only rows the user governs, plus the value the field holds now.

    Reference data without scope paths (themes, districts) is offered whole.

    Choices come from the user's *change* scope, not what they may read: a
    station's staff can read every street but must not move their station into
    another one. The current value stays valid so a form can be saved unchanged.
    """
    related = db_field.related_model
    if related is None or not scopes.is_registered(related):
        return
    base = kwargs.get("queryset")
    if base is None:
        base = related._default_manager.all()
    rule = scopes.rule_for(related)
    if rule.reference and not rule.has_paths:
        # Pure reference data (themes, districts) belongs to no one's area: every member of staff may pick it.
        kwargs["queryset"] = base
        return
    allowed = scopes.scope_q(request.user, related)
    current = getattr(request, "_scoped_admin_obj", None)
    if current is not None and isinstance(current, db_field.model) and not db_field.many_to_many:
        current_pk = getattr(current, db_field.attname, None)
        if current_pk is not None:
            allowed |= Q(pk=current_pk)
    elif current is not None and db_field.many_to_many and current.pk:
        allowed |= Q(pk__in=getattr(current, db_field.name).values("pk"))
    kwargs["queryset"] = base.filter(allowed)


class ScopedFieldsMixin:
    """Limits foreign-key and many-to-many choices to rows the user may write into."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _limit_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        _limit_choices(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedAdminMixin(ScopedFieldsMixin):
    """Change lists, object pages and writes limited to the user's scope.

    Reference data (`reference=True`) is readable by all staff; writes always
    need a scope path, so a model without paths is written by superusers only.
    """

    def _rule(self):
        return scopes.rule_for(self.model)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The form's choice fields need the object to keep its current values valid.
        request._scoped_admin_obj = obj
        return super().get_form(request, obj, change=change, **kwargs)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return scopes.scoped_queryset(request.user, qs, for_change=False)

    def has_module_permission(self, request):
        if request.user.is_superuser:
            return True
        if self._rule().superuser_only:
            return False
        return super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if self._rule().superuser_only and not request.user.is_superuser:
            return False
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or scopes.in_scope(request.user, obj, for_change=False)

    def _may_write(self, request, obj):
        if request.user.is_superuser:
            return True
        rule = self._rule()
        if not rule.has_paths:
            return False
        return obj is None or scopes.in_scope(request.user, obj)

    def has_add_permission(self, request, *args):
        return self._may_write(request, None) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request, obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.ensure_in_scope(request, obj)

    def ensure_in_scope(self, request, obj):
        """Refuse a write that would move a row out of the user's reach (the admin view rolls back)."""
        if not scopes.in_scope(request.user, obj):
            raise PermissionDenied(_("This would put the record outside the area you look after."))


class ScopedModelAdmin(ScopedAdminMixin, admin.ModelAdmin):
    pass


class ScopedInlineMixin(ScopedFieldsMixin):
    """Inlines live inside a scoped parent; they only need their choices limited."""


class ScopedTabularInline(ScopedInlineMixin, admin.TabularInline):
    """A tabular inline whose controls are named: Django puts the labels in the column headers only, so a
    screen reader meets an unnamed checkbox or box in each row. Each control gets its field's name."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and not field.widget.is_hidden:
            field.widget.attrs.setdefault("aria-label", str(field.label or db_field.verbose_name))
        return field


class ScopedStackedInline(ScopedInlineMixin, admin.StackedInline):
    pass


def apply_to_each(model_admin, request, rows, call, *, label=str):
    """An admin action's loop: `call(row)` for each row the user may change; a service's refusal (PortalError) or a
    scope refusal becomes a warning naming the row (`label(row)`), and the others go on. Returns how many went through."""
    done = 0
    for row in rows:
        if not model_admin.has_change_permission(request, row):
            continue
        try:
            call(row)
        except PortalError as error:
            model_admin.message_user(request, f"{label(row)}: {error.message}", messages.WARNING)
            continue
        except PermissionDenied:
            model_admin.message_user(request, f"{label(row)}: {_('This is outside the area you look after.')}", messages.WARNING)
            continue
        done += 1
    return done
