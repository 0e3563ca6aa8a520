"""Event times, seats and fees worded for people, and booking codes as QR codes.

"11月26日 周四 12:10–12:50", "还剩 3 个座位" / "已满，可排队", "免费" / "¥50.00".
"""


from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from events.selectors import SHANGHAI
from portal.qr import qr_svg

register = template.Library()

CHINESE_WEEKDAYS = "一二三四五六日"


def local(moment):
    return timezone.localtime(moment, SHANGHAI)


def day_label(day):
    """"11月26日 周四" in Chinese, "Thu 26 Nov" otherwise.

    Chinese is written out here because Django's zh-Hans MONTH_DAY_FORMAT pads the month ("01月5日") and
    its weekday is "星期四"; event listings say "1月5日 周一".
    """
    if (get_language() or "").startswith("zh"):
        return f"{day.month}月{day.day}日 周{CHINESE_WEEKDAYS[day.weekday()]}"
    return formats.date_format(day, "D j M")


@register.filter
def day(value):
    return day_label(value)


@register.filter
def clock(moment):
    return local(moment).strftime("%H:%M")


@register.filter
def when(event):
    """The event's day and times in Shanghai: "11月26日 周四 12:10–12:50" (the end's day too if it ends on another)."""
    start, end = local(event.starts_at), local(event.ends_at)
    if start.date() == end.date():
        return f"{day_label(start.date())} {start:%H:%M}–{end:%H:%M}"
    return f"{day_label(start.date())} {start:%H:%M} – {day_label(end.date())} {end:%H:%M}"


@register.filter
def moment(value):
    """A deadline or an opening: "11月26日 周四 10:00"."""
    value = local(value)
    return f"{day_label(value.date())} {value:%H:%M}"


@register.filter
def seats_label(event):
    left = event.seats_left
    if left <= 0:
        return _("Full — waiting list open")
    return ngettext("%(n)s seat left", "%(n)s seats left", left) % {"n": left}


@register.filter
def fee_label(event):
    if not event.fee_fen:
        return _("Free")
    return f"¥{event.fee_yuan}"


@register.simple_tag
def booking_qr(code):
    """The booking code as an inline SVG QR code, drawn on the server; screen readers hear what it is."""
    return qr_svg(code, css_class="booking-qr", label=_("QR code for booking %(code)s") % {"code": code})
