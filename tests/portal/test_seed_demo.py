from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.test import Client
from django.urls import reverse

from portal import roles
from portal.demo import data, seed
from portal.models import District, Membership, Organisation, Residence, StaffAssignment, User
from stations.models import Station
from tests.portal.seed_helpers import row_counts, seed_demo, summary

pytestmark = pytest.mark.django_db

# Shanghai's bounding box, generously: Jinshan and Chongming lie inside, Suzhou and Hangzhou outside.
LAT_RANGE = (Decimal("30.6"), Decimal("31.9"))
LNG_RANGE = (Decimal("120.8"), Decimal("122.2"))


def test_the_command_loads_the_articles_and_prints_a_summary_and_the_accounts():
    output = seed_demo()
    assert District.objects.count() == len(data.DISTRICTS)
    assert Station.objects.count() == len(data.STATIONS)
    assert Organisation.objects.count() == len(data.ORGANISATIONS)
    assert summary(output)["stations.Station"] == (len(data.STATIONS), len(data.STATIONS), 0)
    staffed = sum("staff" in account for account in data.DEMO_ACCOUNTS)
    assert summary(output)["portal.StaffAssignment"] == (staffed, staffed, 0)
    for account in data.DEMO_ACCOUNTS:
        assert account["email"] in output
    assert data.DEMO_PASSWORD in output


def test_running_it_twice_creates_nothing_and_changes_nothing():
    seed_demo()
    counts = row_counts()
    stamps = dict(Station.objects.values_list("slug", "updated_at"))
    org_stamps = dict(Organisation.objects.values_list("pk", "updated_at"))

    output = seed_demo()

    assert row_counts() == counts
    assert dict(Station.objects.values_list("slug", "updated_at")) == stamps
    assert dict(Organisation.objects.values_list("pk", "updated_at")) == org_stamps
    rows = summary(output)
    assert rows["stations.Station"] == (len(data.STATIONS), 0, 0)
    assert all((new, updated) == (0, 0) for _, new, updated in rows.values()), rows


def test_a_second_run_puts_back_what_someone_changed():
    seed_demo()
    space = Station.objects.get(slug="wutong-space")
    space.address = "别处"
    space.save(update_fields=["address"])
    Membership.objects.filter(user__email="member@demo.station.cn").update(verified_at=None)

    output = seed_demo()

    assert Station.objects.get(slug="wutong-space").address == "长乐路989号世纪商贸广场302室"
    assert Membership.objects.get(user__email="member@demo.station.cn").is_verified
    rows = summary(output)
    assert rows["stations.Station"] == (len(data.STATIONS), 0, 1)
    assert rows["portal.Membership"] == (Membership.objects.count(), 0, 1)
    assert rows["portal.Organisation"][1:] == (0, 0)


def test_a_failing_loader_leaves_nothing_behind(monkeypatch):
    def broken(ctx):
        raise RuntimeError("loader broke")

    monkeypatch.setattr(seed, "LOADERS", [*seed.LOADERS, broken])
    with pytest.raises(RuntimeError, match="loader broke"):
        seed_demo()
    assert not District.objects.exists()
    assert not Station.objects.exists()
    assert not User.objects.exists()


def test_the_demo_password_passes_the_password_validators():
    for account in data.DEMO_ACCOUNTS:
        validate_password(account["password"], User(email=account["email"], display_name=account["display_name"]))


@pytest.mark.parametrize("account", data.DEMO_ACCOUNTS, ids=lambda a: a["email"].split("@")[0])
def test_each_demo_account_signs_in_through_the_real_login_form(account):
    seed_demo()
    assert EmailAddress.objects.filter(email=account["email"], verified=True, primary=True).exists()
    client = Client()
    response = client.post(reverse("account_login"), {"login": account["email"], "password": account["password"]})
    assert response.status_code == 302
    # An unconfirmed address would also redirect (to the confirmation page): check who is signed in.
    assert response.url == reverse("portal:home")
    user = User.objects.get(email=account["email"])
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("portal:home")).wsgi_request.user == user


def test_staff_roles_go_through_the_service_so_groups_and_staff_flag_follow():
    seed_demo()
    street_admin = User.objects.get(email="street@demo.station.cn")
    assert street_admin.is_staff and not street_admin.is_superuser
    assert street_admin.groups.filter(name=roles.group_name(roles.STREET_ADMIN)).exists()
    assert StaffAssignment.objects.get(user=street_admin).street.name == "湖南街道"

    station_staff = User.objects.get(email="staff@demo.station.cn")
    assert station_staff.is_staff
    assert station_staff.groups.filter(name=roles.group_name(roles.STATION_STAFF)).exists()
    assert StaffAssignment.objects.get(user=station_staff, role=StaffAssignment.Role.STATION_STAFF).station.name == "梧桐·SPACE"

    merchant_staff = User.objects.get(email="merchant@demo.station.cn")
    merchant = StaffAssignment.objects.get(user=merchant_staff, role=StaffAssignment.Role.MERCHANT_STAFF).merchant
    assert (merchant.name, merchant.kind) == ("红子鸡美食总汇", Organisation.Kind.MERCHANT)

    admin = User.objects.get(email="admin@demo.station.cn")
    assert admin.is_superuser and admin.is_staff
    for email in ("resident@demo.station.cn", "worker@demo.station.cn", "member@demo.station.cn"):
        assert not User.objects.get(email=email).is_staff


def test_residents_workers_and_members_are_verified():
    seed_demo()
    residence = Residence.objects.get(user__email="resident@demo.station.cn")
    assert residence.is_verified and residence.neighbourhood.street.name == "湖南街道"

    job = Membership.objects.get(user__email="worker@demo.station.cn")
    assert job.is_verified and job.organisation.kind == Organisation.Kind.ENTERPRISE
    assert job.organisation.building.name == "平高国际大厦"

    member = Membership.objects.get(user__email="member@demo.station.cn")
    assert member.is_verified and member.role == Membership.Role.REPRESENTATIVE
    assert member.organisation.kind == Organisation.Kind.PARTY


def test_every_station_has_an_address_and_coordinates_in_shanghai():
    seed_demo()
    stations = list(Station.objects.select_related("street__district"))
    assert stations
    for station in stations:
        assert station.address.strip(), station.slug
        assert station.slug.isascii(), station.slug
        assert LAT_RANGE[0] <= station.latitude <= LAT_RANGE[1], station.slug
        assert LNG_RANGE[0] <= station.longitude <= LNG_RANGE[1], station.slug


@pytest.mark.parametrize(
    ("name", "street", "address"),
    [
        ("梧桐·SPACE", "湖南街道", "长乐路989号世纪商贸广场302室"),
        ("梧桐·IAPM", "湖南街道", "淮海中路999号环贸广场一期2117室"),
        ("淮海·1298", "湖南街道", "淮海中路1298号永隆商务楼5楼"),
        ("淮海·瑞力", "湖南街道", "淮海中路1325号瑞力大厦4楼"),
        ("淮海·大隐", "湖南街道", "淮海中路1834号大隐书局"),
        ("梧桐·MicroCharity", "湖南街道", "湖南路301号湖南街道为老服务中心"),
    ],
)
def test_the_stations_of_the_articles_are_there_at_their_addresses(name, street, address):
    seed_demo()
    station = Station.objects.select_related("street__district").get(name=name)
    assert station.address == address
    assert (station.street.district.name, station.street.name) == ("徐汇区", street)


def test_the_streets_and_stations_the_issue_names_are_there():
    seed_demo()
    assert Station.objects.filter(street__name="湖南街道").count() == 7
    assert Station.objects.get(name="梧桐·Learning").street.name == "湖南街道"
    for street in ("周家桥街道", "长寿路街道", "外滩街道", "周家渡街道", "金汇镇", "九亭镇"):
        assert Station.objects.filter(street__name=street).exists(), street
    assert Station.objects.get(slug="zhoujiaqiao-building-station").building.name == "来福士广场"
    assert Station.objects.get(slug="changshou-pinggao").building.name == "平高国际大厦"
    assert Station.objects.get(slug="jiuting-xiangyu-pincheng").neighbourhood.name == "象屿品城居民区"
    assert Station.objects.get(slug="zhoujiadu-yunlian-1").neighbourhood.name == "云莲一居民区"
    partners = set(Organisation.objects.filter(kind=Organisation.Kind.PARTNER).values_list("name", flat=True))
    assert {"上海浦东东站长途客运有限公司", "长宁区工人文化宫", "长宁区总工会"} <= partners
    merchants = set(Organisation.objects.filter(kind=Organisation.Kind.MERCHANT).values_list("name", flat=True))
    assert merchants == {"红子鸡美食总汇", "顺风大酒店", "澳门陈光记", "盒马鲜生"}
