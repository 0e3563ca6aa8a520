"""The lunch reports of the admin: meals per day, subsidy against budget, the monthly settlement per merchant.

Each report is one or two grouped SQL queries (`values()` + `annotate()`), whatever the number of orders, over
a queryset the caller has already limited to the user's scope (`scopes.scope_q`). Amounts stay integer fen
until they are shown: `yuan()` on the page, a two-place `Decimal` in CSV and XLSX so a spreadsheet can sum them.

Which orders count:
- meals per day: live orders (placed, picked up, not collected) — what the merchant cooks;
- settlement: the orders the merchant is owed for — picked up, not collected, and placed orders whose cut-off
  has passed (they can no longer be cancelled: the meal was cooked, only the pickup scan is missing);
- subsidy: the month's counters (`SubsidySpend`, what the budget check uses) next to the sum of the live
  subsidised orders, which should always agree.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import tablib
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext_lazy as _
from import_export.formats.base_formats import CSV, XLSX

from lunch.models import Order, SubsidyPolicy, SubsidySpend, yuan
from portal.spreadsheets import safe_cell

MAX_DAYS = 366  # a report covers at most a year of days …
MAX_MONTHS = 24  # … or two years of months

EXPORT_FORMATS = {"csv": CSV, "xlsx": XLSX}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, int, money (fen), date, month, percent


@dataclass
class Report:
    title: str
    columns: list
    rows: list = field(default_factory=list)
    totals: dict | None = None

    def display(self, row, column):
        value = row.get(column.key)
        if value is None:
            return "—" if column.kind in ("percent", "text") else ""
        if value == "":
            return ""
        if column.kind == "money":
            return yuan(value)
        if column.kind == "date":
            return f"{value:%Y-%m-%d}"
        if column.kind == "month":
            return f"{value:%Y-%m}"
        if column.kind == "percent":
            return f"{value:.1f} %"
        return str(value)

    def table(self):
        """Rows of shown cells, for the page: [(cell, column kind), …] per row."""
        return [[(self.display(row, c), c.kind) for c in self.columns] for row in self.rows]

    def total_cells(self):
        if self.totals is None:
            return None
        return [(self.display(self.totals, c), c.kind) for c in self.columns]

    def dataset(self):
        data = tablib.Dataset(headers=[str(c.label) for c in self.columns])
        for row in [*self.rows, *([self.totals] if self.totals else [])]:
            data.append([_export_cell(row.get(c.key), c.kind) for c in self.columns])
        return data


def _export_cell(value, kind):
    if value is None:
        return ""
    if kind == "money":
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
    if kind == "month":
        return f"{value:%Y-%m}"
    if kind == "percent":
        return round(Decimal(value), 1)
    if kind in ("int", "date"):
        return value
    # Names come from staff and merchants: never let a spreadsheet read one as a formula.
    return safe_cell(value)


def export(report, fmt):
    """(content, content type, file extension) of the report in `fmt` ("csv" or "xlsx").

    Written with tablib directly rather than Format.export_data(): with IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT
    that turns every cell into text, and a settlement whose amounts Excel can't add up is no use. Text cells are
    escaped here instead (`_export_cell`).
    """
    format_ = EXPORT_FORMATS[fmt]()
    dataset = report.dataset()
    dataset.title = str(report.title)[:31]  # Excel's limit for a sheet name
    content = dataset.export(format_.get_title())
    if fmt == "csv":
        content = content.encode("utf-8-sig")  # with a BOM, so Excel reads the Chinese correctly
    return content, format_.get_content_type(), format_.get_extension()


def month_after(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _sum(expression, **filters):
    return Coalesce(Sum(expression, filter=Q(**filters) if filters else None), 0)


# ---------------------------------------------------------------------------
# (1) Meals per day per merchant and pickup point


def meals_per_day(orders, *, start, end):
    columns = [
        Column("date", _("date"), "date"),
        Column("merchant", _("merchant")),
        Column("point", _("pickup point")),
        Column("orders", _("orders"), "int"),
        Column("meals", _("meals"), "int"),
        Column("picked_up", _("picked up"), "int"),
        Column("not_collected", _("not collected"), "int"),
        Column("waiting", _("not yet picked up"), "int"),
    ]
    grouped = (
        orders.filter(offer__date__gte=start, offer__date__lte=end, status__in=Order.LIVE)
        .values("offer__date", "offer__merchant_id", "offer__merchant__organisation__name", "point_id", "point__name")
        .annotate(
            n_orders=Count("pk"), n_meals=_sum("quantity"),
            n_picked_up=_sum("quantity", status=Order.Status.PICKED_UP),
            n_not_collected=_sum("quantity", status=Order.Status.NOT_COLLECTED),
            n_waiting=_sum("quantity", status=Order.Status.PLACED),
        )
        .order_by("offer__date", "offer__merchant__organisation__name", "offer__merchant_id", "point__name", "point_id")
    )
    rows = [
        {"date": g["offer__date"], "merchant": g["offer__merchant__organisation__name"], "point": g["point__name"],
         "orders": g["n_orders"], "meals": g["n_meals"], "picked_up": g["n_picked_up"], "not_collected": g["n_not_collected"],
         "waiting": g["n_waiting"]}
        for g in grouped
    ]
    return Report(_("Meals per day"), columns, rows, _totals(rows, columns, label_key="date"))


# ---------------------------------------------------------------------------
# (2) Subsidy spent against budget per street (policy) and month


def subsidy_against_budget(policies, *, first_month, last_month):
    """`policies`: the subsidy policies in the user's scope."""
    columns = [
        Column("month", _("month"), "month"),
        Column("street", _("street or town")),
        Column("policy", _("subsidy policy")),
        Column("budget", _("monthly budget"), "money"),
        Column("spent", _("subsidy spent"), "money"),
        Column("left", _("budget left"), "money"),
        Column("used", _("used"), "percent"),
        Column("meals", _("subsidised meals"), "int"),
        Column("order_subsidy", _("subsidy in live orders"), "money"),
        Column("order_meals", _("subsidised live orders"), "int"),
    ]
    until = month_after(last_month)
    spends = (
        SubsidySpend.objects.filter(policy__in=policies, month__gte=first_month, month__lt=until)
        .values("policy_id", "month", "budget_fen", "spent_fen", "meals")
    )
    in_orders = (
        Order.objects.filter(policy__in=policies, subsidy_fen__gt=0, status__in=Order.LIVE,
                             offer__date__gte=first_month, offer__date__lt=until)
        .annotate(month=TruncMonth("offer__date"))
        .values("policy_id", "month")
        .annotate(subsidy=Sum("subsidy_fen"), meals=Count("pk"))
        .order_by()
    )
    names = {p["pk"]: p for p in SubsidyPolicy.objects.filter(pk__in=policies).values("pk", "name", "street__name", "monthly_budget_fen")}
    merged = {}
    for spend in spends:
        merged[(spend["policy_id"], spend["month"])] = {
            "budget": spend["budget_fen"], "spent": spend["spent_fen"], "meals": spend["meals"], "order_subsidy": 0, "order_meals": 0,
        }
    for group in in_orders:
        month = _as_date(group["month"])
        row = merged.setdefault((group["policy_id"], month), {
            # No counter row yet (it is created with the month's first subsidised order): the policy's budget applies.
            "budget": names[group["policy_id"]]["monthly_budget_fen"], "spent": 0, "meals": 0,
        })
        row["order_subsidy"], row["order_meals"] = group["subsidy"], group["meals"]
    rows = []
    for (policy_id, month), row in merged.items():
        policy = names[policy_id]
        row.update(month=month, street=policy["street__name"], policy=policy["name"], left=row["budget"] - row["spent"],
                   used=Decimal(row["spent"] * 100) / row["budget"] if row["budget"] else None)
        rows.append(row)
    rows.sort(key=lambda r: (r["month"], r["street"], r["policy"]))
    totals = _totals(rows, columns, label_key="month")
    if totals is not None:
        totals["used"] = Decimal(totals["spent"] * 100) / totals["budget"] if totals["budget"] else None
    return Report(_("Subsidy against budget"), columns, rows, totals)


def _as_date(value):
    # TruncMonth of a DateField is a date on PostgreSQL and SQLite alike; be tolerant of a datetime all the same.
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# ---------------------------------------------------------------------------
# (3) The monthly settlement per merchant


def settled_orders(orders, *, now):
    """The orders a merchant is owed for: handed over, not collected, or placed and past the cut-off."""
    return orders.filter(
        Q(status__in=[Order.Status.PICKED_UP, Order.Status.NOT_COLLECTED]) | Q(status=Order.Status.PLACED, offer__cutoff_at__lte=now)
    )


def settlement(orders, *, first_month, last_month, now):
    """Per merchant and month: what was sold and who paid which part of it.

    For every row, list price = merchant discount + subsidy + paid from balances + paid at pickup
    + still to be collected at pickup (pay-at-pickup orders not handed over).
    """
    columns = [
        Column("month", _("month"), "month"),
        Column("merchant", _("merchant")),
        Column("orders", _("orders"), "int"),
        Column("meals", _("meals"), "int"),
        Column("subsidised", _("subsidised meals"), "int"),
        Column("list_total", _("at list price"), "money"),
        Column("discount", _("merchant discounts"), "money"),
        Column("subsidy", _("subsidy the street owes"), "money"),
        Column("from_balance", _("paid from balances"), "money"),
        Column("at_pickup", _("paid at pickup"), "money"),
        Column("at_pickup_open", _("to collect at pickup (not handed over)"), "money"),
    ]
    until = month_after(last_month)
    pickup, balance = Order.Payment.AT_PICKUP, Order.Payment.BALANCE
    grouped = (
        settled_orders(orders, now=now)
        .filter(offer__date__gte=first_month, offer__date__lt=until)
        .annotate(month=TruncMonth("offer__date"))
        .values("month", "offer__merchant_id", "offer__merchant__organisation__name")
        .annotate(
            n_orders=Count("pk"), n_meals=_sum("quantity"), n_subsidised=Count("pk", filter=Q(subsidy_fen__gt=0)),
            s_list=_sum(F("list_price_fen") * F("quantity")), s_discount=_sum("discount_fen"), s_subsidy=_sum("subsidy_fen"),
            s_balance=_sum("self_paid_fen", payment=balance),
            s_pickup=_sum("self_paid_fen", payment=pickup, status=Order.Status.PICKED_UP),
            s_pickup_open=Coalesce(Sum("self_paid_fen", filter=Q(payment=pickup) & ~Q(status=Order.Status.PICKED_UP)), 0),
        )
        .order_by("month", "offer__merchant__organisation__name", "offer__merchant_id")
    )
    rows = [
        {"month": _as_date(g["month"]), "merchant": g["offer__merchant__organisation__name"], "orders": g["n_orders"],
         "meals": g["n_meals"], "subsidised": g["n_subsidised"], "list_total": g["s_list"], "discount": g["s_discount"],
         "subsidy": g["s_subsidy"], "from_balance": g["s_balance"], "at_pickup": g["s_pickup"], "at_pickup_open": g["s_pickup_open"]}
        for g in grouped
    ]
    return Report(_("Monthly settlement per merchant"), columns, rows, _totals(rows, columns, label_key="month"))


def _totals(rows, columns, *, label_key):
    if not rows:
        return None
    totals = {c.key: sum(r.get(c.key) or 0 for r in rows) for c in columns if c.kind in ("int", "money")}
    totals.update({c.key: "" for c in columns if c.kind == "text"})
    totals[label_key] = None
    first_text = next((c.key for c in columns if c.kind == "text"), None)
    if first_text:
        totals[first_text] = str(_("Total"))
    return totals


def clamp_days(start, end):
    """A valid day range: start ≤ end, at most MAX_DAYS long."""
    if end < start:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    return start, end


def clamp_months(first, last):
    first, last = first.replace(day=1), last.replace(day=1)
    if last < first:
        first, last = last, first
    while (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        first = month_after(first)
    return first, last


def parse_month(text, default):
    try:
        year, month = (int(part) for part in str(text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return default
