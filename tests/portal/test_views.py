import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from portal.models import Membership, Residence, User
from tests.factories import MembershipFactory, NeighbourhoodFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_pages_that_need_an_account_send_anonymous_visitors_to_login(client):
    for name in ("portal:inbox", "portal:profile"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_profile_saves_a_valid_mobile_and_refuses_a_bad_one(client, person):
    response = client.post(reverse("portal:profile"), {"display_name": "王先生", "phone": "138 1234 5678", "language": "zh-hans"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "13812345678"

    response = client.post(reverse("portal:profile"), {"display_name": "王先生", "phone": "12345", "language": "zh-hans"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    person.refresh_from_db()
    assert person.phone == "13812345678"


def test_a_mobile_number_already_in_use_is_a_form_error_not_a_500(client, person):
    UserFactory(phone="13900001111")
    response = client.post(reverse("portal:profile"), {"display_name": "", "phone": "13900001111", "language": "en"})
    assert response.status_code == 200
    assert response.context["form"].errors
    person.refresh_from_db()
    assert person.phone is None


def test_profile_lists_claims_and_adds_new_ones(client, person):
    enterprise = OrganisationFactory(name="上海平高企业")
    place = NeighbourhoodFactory(name="武夷居民区")
    assert client.post(reverse("portal:membership_add"), {"organisation": enterprise.pk}).status_code == 302
    assert client.post(reverse("portal:residence_add"), {"neighbourhood": place.pk}).status_code == 302
    page = client.get(reverse("portal:profile")).content.decode()
    assert "上海平高企业" in page and "武夷居民区" in page
    assert Membership.objects.get(user=person).verified_at is None
    # Rubbish and duplicates change nothing and give a message, not an error page.
    assert client.post(reverse("portal:membership_add"), {"organisation": "abc"}).status_code == 302
    assert client.post(reverse("portal:membership_add"), {"organisation": enterprise.pk}).status_code == 302
    assert Membership.objects.filter(user=person).count() == 1


def test_a_person_withdraws_only_their_own_claims(client, person):
    mine = MembershipFactory(user=person)
    theirs = MembershipFactory()
    assert client.post(reverse("portal:claim_withdraw", args=["membership", theirs.pk])).status_code == 404
    assert client.post(reverse("portal:claim_withdraw", args=["nonsense", mine.pk])).status_code == 404
    assert client.post(reverse("portal:claim_withdraw", args=["membership", mine.pk])).status_code == 302
    assert not Membership.objects.filter(pk=mine.pk).exists()
    assert Membership.objects.filter(pk=theirs.pk).exists()
    assert not Residence.objects.exists()


def test_language_switch_sets_the_cookie_and_remembers_it_for_notifications(client, person):
    response = client.post(reverse("portal:set_language"), {"language": "en", "next": "/me/"})
    assert response.status_code == 302 and response.url == "/me/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    person.refresh_from_db()
    assert person.language == "en"
    page = client.get(reverse("portal:home"))
    assert page.headers["Content-Language"] == "en"


def test_language_switch_ignores_unknown_languages_and_foreign_redirects(client):
    response = client.post(reverse("portal:set_language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_unknown_page_gets_the_portal_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "<main" in response.content.decode()


def test_server_error_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "<html" in html and "Traceback" not in html


def test_csrf_failure_is_a_friendly_403():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("portal:set_language"), {"language": "en"})
    assert response.status_code == 403
    assert "<main" in response.content.decode()


def test_a_huge_query_string_is_not_an_error(client):
    response = client.get(reverse("portal:home"), {"q": "梧" * 200_000})
    assert response.status_code == 200


def test_healthz(client):
    assert client.get(reverse("portal:healthz")).json() == {"status": "ok"}


def test_signup_records_the_language_it_happened_in(client, mailoutbox):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("account_signup"),
        {"email": "new.person@example.cn", "password1": "station-2026-ok", "password2": "station-2026-ok"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.cn")
    assert user.language == "en"
    assert len(mailoutbox) == 1  # the confirmation mail


def test_short_passwords_are_refused(client):
    response = client.post(reverse("account_signup"), {"email": "short@example.cn", "password1": "abc12", "password2": "abc12"})
    assert response.status_code == 200
    assert not User.objects.filter(email="short@example.cn").exists()
