"""The in-site inbox: the unread count in the header, the list, marking read, and opening a notification's link."""

import pytest
from django.urls import reverse

from portal import services
from portal.models import Notification
from portal.notifications import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("portal:inbox")
READ_ALL = reverse("portal:inbox_read_all")
# session, user, unread count for the header, page count, the page itself
INBOX_MAX_QUERIES = 5


def read_url(notification):
    return reverse("portal:inbox_read", args=[notification.pk])


def open_url(notification):
    return reverse("portal:inbox_open", args=[notification.pk])


def make_notification(recipient, title="Your booking is confirmed", url=""):
    return notify(recipient=recipient, kind="portal.test", title=title, body="See you there.", url=url)


def is_unread(notification):
    return Notification.objects.get(pk=notification.pk).read_at is None


@pytest.fixture
def person(client):
    user = UserFactory(language="en")
    client.force_login(user)
    return user


def test_the_header_counts_only_my_unread_notifications(client, person):
    make_notification(person, "one")
    make_notification(person, "two")
    services.notification_mark_read(user=person, notification_id=make_notification(person, "already read").pk)
    make_notification(UserFactory(), "someone else's")

    response = client.get(reverse("portal:home"))
    assert response.context["unread_notifications"] == 2
    assert '<span aria-hidden="true">2</span>' in response.content.decode()

    client.post(READ_ALL)
    response = client.get(reverse("portal:home"))
    assert response.context["unread_notifications"] == 0
    assert "count-badge" not in response.content.decode()


def test_the_inbox_lists_my_notifications_and_not_anyone_elses(client, person):
    mine = [make_notification(person, "Lunch order confirmed"), make_notification(person, "Wish claimed")]
    theirs = make_notification(UserFactory(), "A stranger's booking")

    response = client.get(INBOX)
    assert response.status_code == 200
    assert {n.pk for n in response.context["page"].object_list} == {n.pk for n in mine}
    content = response.content.decode()
    assert "Lunch order confirmed" in content and "Wish claimed" in content
    assert theirs.title not in content


def test_marking_one_notification_read(client, person):
    first, second = make_notification(person, "first"), make_notification(person, "second")
    response = client.post(read_url(first))
    assert response.status_code == 302 and response.url == INBOX
    assert not is_unread(first)
    assert is_unread(second)


def test_marking_all_read_leaves_other_peoples_notifications_alone(client, person):
    mine = [make_notification(person) for _ in range(3)]
    theirs = make_notification(UserFactory())
    response = client.post(READ_ALL)
    assert response.status_code == 302 and response.url == INBOX
    assert not any(is_unread(n) for n in mine)
    assert is_unread(theirs)


def test_marking_read_twice_keeps_the_first_time(client, person):
    notification = make_notification(person)
    client.post(read_url(notification))
    first_read_at = Notification.objects.get(pk=notification.pk).read_at
    client.post(read_url(notification))
    client.post(READ_ALL)
    assert Notification.objects.get(pk=notification.pk).read_at == first_read_at


@pytest.mark.parametrize("target", ["/me/", "/inbox/?page=2", "http://testserver/me/"])
def test_opening_follows_a_local_link_and_marks_read(client, person, target):
    notification = make_notification(person, url=target)
    response = client.post(open_url(notification))
    assert response.status_code == 302 and response.url == target
    assert not is_unread(notification)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/phish", "//evil.example/phish", "http://evil.example/me/", "javascript:alert(1)", "https:///evil.example", ""],
)
def test_opening_never_follows_a_foreign_or_unsafe_link(client, person, target):
    notification = make_notification(person, url=target)
    response = client.post(open_url(notification))
    assert response.status_code == 302 and response.url == INBOX
    assert not is_unread(notification)


def test_another_persons_notification_is_not_found_and_stays_unread(client, person):
    theirs = make_notification(UserFactory(), url="/me/")
    assert client.post(open_url(theirs)).status_code == 404
    # Marking someone else's notification read changes nothing (the view answers as for an already-read one).
    assert client.post(read_url(theirs)).status_code == 404
    assert is_unread(theirs)
    assert client.post(reverse("portal:inbox_open", args=[theirs.pk + 1000])).status_code == 404


@pytest.mark.parametrize("url_name", ["inbox_read", "inbox_open", "inbox_read_all"])
def test_the_actions_answer_only_to_post(client, person, url_name):
    notification = make_notification(person, url="/me/")
    args = [] if url_name == "inbox_read_all" else [notification.pk]
    assert client.get(reverse(f"portal:{url_name}", args=args)).status_code == 405
    assert is_unread(notification)


@pytest.mark.parametrize(("method", "url_name"), [("get", "inbox"), ("post", "inbox_read"), ("post", "inbox_open"), ("post", "inbox_read_all")])
def test_anonymous_visitors_are_sent_to_sign_in(client, method, url_name):
    notification = make_notification(UserFactory(), url="/me/")
    url = reverse(f"portal:{url_name}", args=[] if url_name in ("inbox", "inbox_read_all") else [notification.pk])
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login") + "?next=")
    assert is_unread(notification)


def test_the_inbox_runs_the_same_queries_for_5_or_60_notifications(client, person, django_assert_max_num_queries):
    def inbox_queries(expected_rows):
        with django_assert_max_num_queries(INBOX_MAX_QUERIES) as captured:
            response = client.get(INBOX)
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == expected_rows
        return len(captured)

    for i in range(5):
        make_notification(person, f"notice {i}", url="/me/")
    with_5 = inbox_queries(5)
    for i in range(5, 60):
        make_notification(person, f"notice {i}", url="/me/")
    with_60 = inbox_queries(20)  # one page of 20

    assert with_5 == with_60


# --- a notification with a file (a merchant's manifest)

MANIFEST = ("manifest-20261124.csv", "取餐码 code,姓名 name\n123456,李雷\n")


def test_a_file_goes_with_the_email_and_is_downloadable_by_its_recipient_only(client, person, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=person, kind="lunch.manifest", title="Manifest", body="2 meals", attachment=MANIFEST)
    (mail,) = mailoutbox
    (name, content, mimetype) = mail.attachments[0]
    assert name == MANIFEST[0] and mimetype == "text/csv" and "123456,李雷" in content

    url = reverse("portal:inbox_attachment", args=[notification.pk])
    assert url in client.get(INBOX).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert MANIFEST[0] in response["Content-Disposition"]
    assert "123456,李雷" in response.content.decode("utf-8-sig")

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_a_notification_without_a_file_has_nothing_to_download(client, person):
    notification = make_notification(person)
    assert client.get(reverse("portal:inbox_attachment", args=[notification.pk])).status_code == 404
    assert "/attachment/" not in client.get(INBOX).content.decode()
