"""Privacy of the people behind the wishes, as a whole: canary values for one beneficiary, a wish of theirs taken
through every step of the workflow, then every page a visitor or the claimer can reach by following links is read,
with the error pages, the claimer's notifications and everything logged on the way, and none may hold the canaries.

Pages of single features check their own fields (test_views.py, test_admin.py); this one catches a leak through a
page, feed or message nobody thought of, because it doesn't list the pages: it follows the links.
"""

import logging
import re
from collections import Counter, deque
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from portal.models import Notification
from stations.hours import local_now
from tests.factories import NeighbourhoodFactory, StationFactory
from tests.wishes.factories import BeneficiaryFactory, claimed, jpeg_with_exif, party_member, staff_of, wish
from wishes import services
from wishes.models import ClaimPhoto, Wish

pytestmark = pytest.mark.django_db

NAME = "胡秀兰金丝雀"
ADDRESS = "武夷路金丝雀弄88号"
PHONE = "13912345678"
BIRTH_YEAR = 1929
# The year as a number of its own, not a row id inside a URL path (/inbox/1929/open/ is the 1929th notification).
WHOLE_BIRTH_YEAR = re.compile(rf"(?<![\d/]){BIRTH_YEAR}(?![\d/])")

# Links the crawl doesn't follow: the admin (staff only, tested with its permissions), logging out, binary files.
NOT_FOLLOWED = ("/admin/", "/static/", "/media/", "/accounts/logout/")
# The same path with other filters or pages shows the same kind of content: a few of each are enough.
VARIANTS_PER_PATH = 4
MAX_PAGES = 400
HREF = re.compile(r"""(?:href|src|action|data-[a-z-]*url)="(/[^"#]*)""")


def leaks(text):
    """The canaries found in `text`."""
    found = [value for value in (NAME, ADDRESS, PHONE, "金丝雀") if value in text]
    if WHOLE_BIRTH_YEAR.search(text):
        found.append(str(BIRTH_YEAR))
    return found


def crawl(client, starts):
    """Every same-site URL reachable from `starts` by links, read once each: {url: (status, body)}."""
    seen, per_path, queue, pages = set(), Counter(), deque(starts), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft().replace("&amp;", "&")
        path = urlsplit(url).path
        if url in seen or path.startswith(NOT_FOLLOWED) or per_path[path] >= VARIANTS_PER_PATH:
            continue
        seen.add(url)
        per_path[path] += 1
        response = client.get(url)
        body = response.content.decode("utf-8", errors="replace")
        pages[url] = (response.status_code, body)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
        elif "html" in response.get("Content-Type", ""):
            queue.extend(HREF.findall(body))
    return pages


def url_names(urls):
    names = set()
    for url in urls:
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            continue
        names.add(f"{match.namespace}:{match.url_name}")
    return names


@pytest.fixture
def story(django_capture_on_commit_callbacks, caplog):
    """One beneficiary's wishes at every step, as staff and a party member take them through; the claimer is returned."""
    caplog.set_level(logging.DEBUG)
    station = StationFactory(name="武夷路党群服务站", phone="021-62520000", address="武夷路100号")
    staff = staff_of(station)
    person = BeneficiaryFactory(station=station, full_name=NAME, address=ADDRESS, phone=PHONE, birth_year=BIRTH_YEAR,
                                neighbourhood=NeighbourhoodFactory(street=station.street, name="武夷居民区"))
    member = party_member(display_name="李党员")
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        wish(beneficiary=person, title="一台电风扇", actor=staff)  # on the wall
        wish(beneficiary=person, title="一个电子高压锅", status=Wish.Status.DRAFT, actor=staff)  # not yet public

        fulfilled = wish(beneficiary=person, title="一台血糖测量仪", actor=staff)
        claim = claimed(fulfilled, user=member)
        services.claim_report(claim_id=claim.pk, user=member, note="送到了，社工陪同。", photos=[jpeg_with_exif()])
        services.claim_send_back(claim=claim, actor=staff, reason="请补一张照片")
        services.claim_report(claim_id=claim.pk, user=member, note="照片补上了。", photos=[jpeg_with_exif("again.jpg")])
        services.claim_photo_publish(photo=ClaimPhoto.objects.filter(claim=claim).first(), actor=staff, public=True)
        services.claim_confirm(claim=claim, actor=staff)
        services.wish_record_thanks(wish=fulfilled, actor=staff, note="谢谢党员同志，血糖仪很好用。", public=True)

        care = wish(beneficiary=person, title="每月上门修脚", category=Wish.Category.SERVICE, recurrence=Wish.Recurrence.MONTHLY,
                    people_served=8, actor=staff)
        services.visit_record(claim=claimed(care, user=member), actor=member, on=local_now().date(), people_served=8)

        open_one = wish(beneficiary=person, title="一副老花镜", actor=staff)
        claimed(open_one, user=member)  # stays open: reminded, then released at its deadline
        services.remind_deadlines(now=now + timedelta(days=12))
        services.release_overdue_claims(now=now + timedelta(days=15))

        withdrawn = wish(beneficiary=person, title="一把轮椅", actor=staff)
        claimed(withdrawn, user=party_member())
        services.wish_withdraw(wish=withdrawn, actor=staff, reason="已由家属解决")
    return {"member": member, "withdrawn": withdrawn, "station": station}


def test_no_page_a_visitor_can_reach_holds_a_beneficiarys_private_details(client, story):
    pages = crawl(client, ["/", reverse("wishes:wall"), reverse("wishes:fulfilled"), reverse("wishes:honour"),
                           story["station"].get_absolute_url()])

    assert {url: found for url, (_, body) in pages.items() if (found := leaks(body))} == {}
    assert all(status < 500 for status, _ in pages.values())
    # The crawl did read the public wish pages, the fulfilled story with its thank-you note among them.
    assert {"wishes:wall", "wishes:fulfilled", "wishes:honour", "wishes:detail"} <= url_names(pages)
    assert any("谢谢党员同志" in body for _, body in pages.values())


def test_no_page_the_claimer_can_reach_nor_any_notification_of_theirs_holds_them(client, story):
    member = story["member"]
    client.force_login(member)
    pages = crawl(client, ["/", reverse("wishes:mine"), reverse("portal:inbox"), reverse("wishes:wall")])

    assert {url: found for url, (_, body) in pages.items() if (found := leaks(body))} == {}
    assert all(status < 500 for status, _ in pages.values())
    assert {"wishes:mine", "wishes:report", "wishes:visit", "wishes:detail", "portal:inbox"} <= url_names(pages)

    notifications = Notification.objects.filter(recipient=member)
    kinds = set(notifications.values_list("kind", flat=True))
    # Claimed, sent back, confirmed, reminded and released: every kind a claimer gets.
    assert len(kinds) >= 5, kinds
    for note in notifications:
        assert leaks(" ".join((note.title, note.body, note.url, note.attachment))) == [], note.kind
    for message in mail.outbox:
        assert leaks(" ".join((message.subject, message.body))) == [], message.subject


def test_error_pages_and_refusals_hold_none_of_them(client, story):
    withdrawn = story["withdrawn"]
    assert client.get(reverse("wishes:detail", args=[withdrawn.pk])).status_code == 404
    responses = [client.get(reverse("wishes:detail", args=[withdrawn.pk])),
                 client.get(reverse("wishes:detail", args=[10**9]))]
    client.force_login(party_member())
    responses += [
        client.post(reverse("wishes:claim", args=[withdrawn.pk]), follow=True),
        client.get(reverse("wishes:claim", args=[withdrawn.pk]), follow=True),
        client.post(reverse("wishes:report", args=[withdrawn.claims.get().pk]), {"note": "x"}, follow=True),
    ]
    for response in responses:
        assert response.status_code < 500
        assert leaks(response.content.decode()) == []


def test_nothing_logged_on_the_way_holds_them(client, story, caplog):
    client.force_login(story["member"])
    crawl(client, [reverse("wishes:mine"), reverse("wishes:wall")])
    client.get(reverse("wishes:detail", args=[story["withdrawn"].pk]))

    assert caplog.records, "the crawl logs at least the 404 of the withdrawn wish"
    assert [record.getMessage() for record in caplog.records if leaks(record.getMessage())] == []
