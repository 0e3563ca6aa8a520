from django.contrib.contenttypes.models import ContentType

from portal.models import AuditEntry


def audit_log(*, action, actor=None, target=None, data=None):
    """Record that `actor` did `action` (a dotted name like "portal.membership.verified") to `target`."""
    return AuditEntry.objects.create(
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        data=data or {},
    )
