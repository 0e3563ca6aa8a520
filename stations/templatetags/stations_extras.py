"""Distances and opening times, worded for people: "320 m", "1.2 km", "Open · closes at 17:00"."""

from dataclasses import dataclass
from datetime import timedelta

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from stations.hours import LOOKAHEAD_DAYS, MIDNIGHT, local_now, opening_state

register = template.Library()


def format_distance(metres):
    """Metres to a short label: tens of metres under a kilometre, then kilometres ("320 m", "1 km", "1.2 km", "12 km")."""
    if metres is None:
        return ""
    rounded = int(round(float(metres) / 10) * 10)
    if rounded < 1000:
        return _("%(n)s m") % {"n": max(rounded, 10) if metres > 0 else 0}
    km = round(float(metres) / 1000, 1)
    if km < 10 and km != int(km):
        return _("%(n)s km") % {"n": formats.number_format(km, 1)}
    return _("%(n)s km") % {"n": formats.number_format(round(km))}


@register.filter
def distance(metres):
    return format_distance(metres)


def clock(moment):
    """HH:MM in Shanghai time; a period that ends at midnight ends at "24:00", not "00:00"."""
    return moment.strftime("%H:%M")


def end_clock(moment):
    return "24:00" if moment.time() == MIDNIGHT else clock(moment)


@register.simple_tag
def period(start, end):
    """One opening period, "09:00–17:00"."""
    return f"{clock(start)}–{end_clock(end)}"


def _day_word(day, today):
    """None for today; otherwise "tomorrow" or the weekday's name."""
    if day == today:
        return None
    if day == today + timedelta(days=1):
        return _("tomorrow")
    return formats.date_format(day, "l")


@dataclass(frozen=True)
class OpeningBadge:
    state: str  # "open", "closed" or "unknown": the CSS modifier
    text: str


def opening_badge(station, now=None):
    """What a station card and page say about opening: "Open · closes at 17:00", "Closed · opens tomorrow at 09:00"…"""
    now = local_now(now)
    today = now.date()
    state = opening_state(station, now)
    if state.is_open:
        closes_at = state.closes_at
        # Periods that run into each other (00:00–00:00 day after day) are one long opening.
        for _step in range(2 * LOOKAHEAD_DAYS):
            following = opening_state(station, closes_at)
            if not following.is_open:
                break
            closes_at = following.closes_at
        else:
            return OpeningBadge("open", _("Open · 24 hours"))
        # An opening that ends at midnight ends on the day before, at 24:00.
        day = (closes_at - timedelta(minutes=1)).date() if closes_at.time() == MIDNIGHT else closes_at.date()
        word = _day_word(day, today)
        if word is None:
            text = _("Open · closes at %(time)s") % {"time": end_clock(closes_at)}
        else:
            text = _("Open · closes %(day)s at %(time)s") % {"day": word, "time": end_clock(closes_at)}
        return OpeningBadge("open", text)
    if state.opens_at is not None:
        word = _day_word(state.opens_at.date(), today)
        if word is None:
            text = _("Closed · opens at %(time)s") % {"time": clock(state.opens_at)}
        else:
            text = _("Closed · opens %(day)s at %(time)s") % {"day": word, "time": clock(state.opens_at)}
        return OpeningBadge("closed", text)
    if not station.opening_hours.all():
        return OpeningBadge("unknown", _("Opening hours not listed"))
    return OpeningBadge("closed", _("Closed for the next week"))


@register.inclusion_tag("stations/includes/opening_badge.html")
def opening_badge_for(station, now=None):
    return {"badge": opening_badge(station, now)}


@register.filter
def tel(phone):
    """A phone number as a tel: target: digits and a leading +, without the spaces and dashes people write."""
    phone = (phone or "").strip()
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if phone.startswith("+") else digits
