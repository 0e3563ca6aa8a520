"""Lunch money, cut-offs and pickup codes worded for people.

"¥15.00" from 1500 fen, "orders close at 10:30 — 1 h 20 min left", the pickup code as a QR code.
"""


from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from events.templatetags.events_extras import day_label
from lunch.models import yuan as _yuan
from portal.qr import qr_svg
from stations.hours import SHANGHAI

register = template.Library()


@register.filter
def yuan(fen):
    """28.00 from 2800 (the template writes the ¥)."""
    if fen in (None, ""):
        return ""
    return _yuan(int(fen))


@register.filter
def unsigned_yuan(fen):
    """28.00 from -2800: the template writes the sign (a real minus) and the ¥."""
    return _yuan(abs(int(fen)))


@register.filter
def day(value):
    return day_label(value)


@register.filter
def hhmm(value):
    """A time of day or an aware moment as 10:30 in Shanghai."""
    if hasattr(value, "tzinfo") and hasattr(value, "date"):
        value = timezone.localtime(value, SHANGHAI)
    return f"{value:%H:%M}"


def duration(seconds):
    """1 h 20 min, 20 min, less than a minute."""
    minutes = int(seconds) // 60
    if minutes < 1:
        return _("less than a minute")
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)d min") % {"minutes": minutes}
    if not minutes:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}


@register.simple_tag
def cutoff_note(offer, now):
    """When orders close, with the time left when that is today."""
    cutoff = timezone.localtime(offer.cutoff_at, SHANGHAI)
    local_now = timezone.localtime(now, SHANGHAI)
    if now >= offer.cutoff_at:
        return _("Orders closed at %(time)s") % {"time": f"{cutoff:%H:%M}"}
    if cutoff.date() == local_now.date():
        return _("Orders close at %(time)s — %(left)s left") % {"time": f"{cutoff:%H:%M}", "left": duration((offer.cutoff_at - now).total_seconds())}
    return _("Orders close on %(day)s at %(time)s") % {"day": day_label(cutoff.date()), "time": f"{cutoff:%H:%M}"}


@register.simple_tag
def pickup_qr(code):
    """The pickup code as an inline SVG QR code (drawn like the event booking codes); screen readers hear what it is."""
    return qr_svg(code, css_class="pickup-qr", label=_("QR code for pickup code %(code)s") % {"code": code})
