"""Loaders for the demo stations' reservable rooms and a week of reservations in every status.

Appended to `portal.demo.seed.LOADERS`, after the stations' content (it reads their rooms) and the accounts.

Every function area open "by reservation" gets a `ReservableArea` (30-minute slots; meeting rooms need
staff approval, other rooms confirm at once); the 周家桥 stations get a default weekly quota of 6 hours.
The settings are set when the row is made and then left to the admin.

The reservations lie in the week after the current one (Monday-based, like the demo events), so a
second run in the same week finds every one again, by (room, start, person), and creates nothing.
Each one's time is the first slot from the planned day and hour that passes the service's own rules
(`check_request`: opening hours, holidays, slot steps, capacity). They are made through the service's
locked core (`reservations.services.hold_slot`, which runs inside the seed's transaction; the public
`reservation_request` opens a durable one) and the organisations' quotas are checked the same way;
the staff block goes through `reservation_block`. The decisions are then written directly, so the
demo people get no notifications.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from portal.demo.events_seed import first_monday
from reservations import services
from reservations.models import ReservableArea, Reservation, ReservationQuota
from stations.models import FunctionArea

QUOTA_STREET = "周家桥街道"
QUOTA_HOURS = 6
DECIDER = "admin@demo.station.cn"

ORG_WORKER = ("长寿路街道", "演示科技（上海）有限公司")
ORG_MEMBER = ("周家桥街道", "来福士联合党总支")

# (station, room, person, on behalf of, weekday, preferred start, minutes, people, purpose, outcome, staff remark)
RESERVATIONS = [
    ("wutong-space", "多功能活动室", "resident@demo.station.cn", None, 0, "14:00", 120, 25, "五原居民区楼组长议事会", "approved", ""),
    ("wutong-space", "书法教室", "resident@demo.station.cn", None, 2, "10:00", 90, 8, "社区书法兴趣小组练习", "approved", ""),
    ("wutong-iapm", "多功能会议室", "resident@demo.station.cn", None, 4, "10:00", 120, 30, "老年合唱团排练", "pending", ""),
    ("huaihai-1298", "多功能活动室", "resident@demo.station.cn", None, 5, "09:30", 90, 12, "邻里读书会", "cancelled", ""),
    ("changshou-pinggao", "多功能会议室", "worker@demo.station.cn", ORG_WORKER, 1, "12:00", 60, 15, "部门季度分享会（午间）", "pending", ""),
    ("changshou-pinggao", "多功能会议室", "worker@demo.station.cn", ORG_WORKER, 3, "14:00", 120, 18, "新员工入职培训", "approved", ""),
    ("changshou-xinhui", "多功能会议室", "worker@demo.station.cn", ORG_WORKER, 4, "15:00", 60, 10, "客户交流座谈", "rejected",
     "该时段已安排街道党建联席会议，请改约其他时间。"),
    ("zhoujiaqiao-building-station", "多功能会议室", "member@demo.station.cn", ORG_MEMBER, 1, "14:00", 120, 30,
     "来福士联合党总支主题党日", "approved", ""),
    ("zhoujiaqiao-building-station", "多功能会议室", "member@demo.station.cn", ORG_MEMBER, 3, "10:00", 90, 20,
     "楼宇党建联建工作会", "pending", ""),
    ("zhoujiaqiao-white-collar-centre", "咨询洽谈区", "member@demo.station.cn", ORG_MEMBER, 2, "12:00", 60, 5,
     "党员组织关系转接咨询", "approved", ""),
]

# (station, room, staff member, weekday, preferred start, minutes, reason)
BLOCKS = [
    ("wutong-space", "多功能活动室", "staff@demo.station.cn", 2, "09:00", 180, "设备检修（投影与音响）"),
]


def load_reservable_areas(ctx):
    slugs = list(ctx.stations)
    rooms = FunctionArea.objects.filter(station__slug__in=slugs, access_mode=FunctionArea.Access.RESERVATION).order_by("pk")
    for room in rooms:
        ctx.upsert(ReservableArea, {"area": room}, on_create={
            "slot_minutes": 30, "needs_approval": room.kind == FunctionArea.Kind.MEETING,
        })
    for station in ctx.stations.values():
        if station.street_id == ctx.street(QUOTA_STREET).pk:
            ctx.upsert(ReservationQuota, {"station": station, "organisation": None}, on_create={"hours_per_week": QUOTA_HOURS})


def _slot(room, monday, weekday, start, minutes, attendees, now):
    """The first (starts_at, ends_at) from the planned day and time that the service's rules allow, or None."""
    first = time.fromisoformat(start)
    for day_offset in range(7):
        day = monday + timedelta(days=(weekday + day_offset) % 7)
        starts_at = timezone.make_aware(datetime.combine(day, first))
        last = timezone.make_aware(datetime.combine(day, time(21, 0)))
        while starts_at + timedelta(minutes=minutes) <= last:
            ends_at = starts_at + timedelta(minutes=minutes)
            try:
                services.check_request(area=room, reservable=room.reservable, starts_at=starts_at, ends_at=ends_at,
                                       attendees=attendees, now=now)
            except services.ReservationError:
                starts_at += timedelta(minutes=30)
                continue
            return starts_at, ends_at
    return None


def _room(ctx, slug, name):
    return FunctionArea.objects.select_related("reservable").get(station=ctx.station(slug), name=name)


def load_reservations(ctx):
    monday, now = first_monday(), timezone.now()
    ctx.touch(Reservation)
    decider = ctx.user(DECIDER)
    for slug, name, email, org, weekday, start, minutes, attendees, purpose, outcome, remark in RESERVATIONS:
        room, user = _room(ctx, slug, name), ctx.user(email)
        organisation = ctx.organisation(*org) if org else None
        slot = _slot(room, monday, weekday, start, minutes, attendees, now)
        if slot is None or Reservation.objects.filter(area=room, starts_at=slot[0], user=user).exists():
            continue
        starts_at, ends_at = slot
        initial = Reservation.Status.PENDING if room.reservable.needs_approval else Reservation.Status.APPROVED
        try:
            if organisation is not None:
                services.check_quota(area=room, organisation=organisation, starts_at=starts_at, ends_at=ends_at)
            reservation = services.hold_slot(room, user=user, organisation=organisation, starts_at=starts_at, ends_at=ends_at,
                                         purpose=purpose, attendees=attendees, status=initial)
        except services.ReservationError:
            continue  # someone took that time since: the demo does without this one
        ctx.created[Reservation] += 1
        if outcome == reservation.status:
            continue
        reservation.status = outcome
        fields = ["status", "updated_at"]
        if outcome in (Reservation.Status.APPROVED, Reservation.Status.REJECTED):
            reservation.staff_remark, reservation.decided_by, reservation.decided_at = remark, decider, now
            fields += ["staff_remark", "decided_by", "decided_at"]
        reservation.save(update_fields=fields)
    for slug, name, email, weekday, start, minutes, reason in BLOCKS:
        room, actor = _room(ctx, slug, name), ctx.user(email)
        slot = _slot(room, monday, weekday, start, minutes, 1, now)
        if slot is None or Reservation.objects.filter(area=room, starts_at=slot[0], user=actor).exists():
            continue
        try:
            services.reservation_block(area=room, starts_at=slot[0], ends_at=slot[1], actor=actor, reason=reason)
        except services.ReservationError:
            continue
        ctx.created[Reservation] += 1


LOADERS = [load_reservable_areas, load_reservations]
