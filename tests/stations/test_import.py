"""Stations come in as CSV or XLSX through the admin: all rows or none, each row checked, each street on its own."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from import_export.tmp_storages import TempFolderStorage

from portal.models import AuditEntry
from stations.models import Station, ThemeTag
from tests.factories import (
    BuildingFactory,
    DistrictFactory,
    NeighbourhoodFactory,
    OrganisationFactory,
    StationFactory,
    StreetFactory,
    UserFactory,
    make_staff,
)
from tests.stations.factories import ThemeTagFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:stations_station_import")
PROCESS = reverse("admin:stations_station_process_import")
EXPORT = reverse("admin:stations_station_export")
CSV_FORMAT, XLSX_FORMAT = "0", "1"  # positions in StationAdmin.import_formats
COLUMNS = ["name", "slug", "kind", "district", "street", "building", "neighbourhood", "address",
           "latitude", "longitude", "phone", "description", "theme_tags", "is_active"]

# The admin speaks Chinese by default; the message is checked in the language it is shown in.
with translation.override("zh-hans"):
    NOTHING_IMPORTED = gettext("Nothing was imported: some rows no longer pass the checks. Upload the file again to see why.")


@pytest.fixture
def place():
    xuhui = DistrictFactory(name="徐汇区")
    hunan = StreetFactory(district=xuhui, name="湖南街道")
    tianping = StreetFactory(district=xuhui, name="天平街道")
    return {
        "district": xuhui,
        "street": hunan,
        "other_street": tianping,
        "building": BuildingFactory(street=hunan, name="武康大楼"),
        "neighbourhood": NeighbourhoodFactory(street=hunan, name="武康居民区"),
        "reading": ThemeTagFactory(name="阅读"),
        "charity": ThemeTagFactory(name="微公益"),
    }


@pytest.fixture
def street_admin(place):
    return make_staff("street_admin", street=place["street"])


def row(**values):
    base = {
        "name": "梧桐·SPACE", "slug": "wutong-space", "kind": "building", "district": "徐汇区", "street": "湖南街道",
        "building": "武康大楼", "neighbourhood": "", "address": "淮海中路1842号", "latitude": "31.2050",
        "longitude": "121.4370", "phone": "021-64331234", "description": "", "theme_tags": "阅读、微公益", "is_active": "1",
    }
    base.update(values)
    return base


def csv_bytes(rows, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, numbers=True):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for r in rows:
        cells = []
        for column in COLUMNS:
            value = r[column]
            # Spreadsheets store numbers as numbers: coordinates as floats, a phone number often as one too.
            if numbers and column in ("latitude", "longitude") and value not in ("", "abc"):
                value = float(value)
            if numbers and column == "phone" and value.isdigit():
                value = int(value)
            cells.append(value if value != "" else None)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def preview(client, content, name="stations.csv", fmt=CSV_FORMAT):
    return client.post(IMPORT, {"resource": "0", "format": fmt, "import_file": SimpleUploadedFile(name, content)})


def confirm(client, page):
    form = page.context["confirm_form"]
    return client.post(PROCESS, {key: form.initial[key] for key in ("import_file_name", "original_file_name", "format", "resource")})


def import_file(client, content, **kwargs):
    page = preview(client, content, **kwargs)
    assert page.status_code == 200
    result = page.context.get("result")
    assert result is not None, page.context["form"].errors
    assert not result.has_errors() and not result.has_validation_errors(), _errors_of(result)
    assert "confirm_form" in page.context
    return confirm(client, page)


def _errors_of(result):
    return {r.number: r.error_dict for r in result.invalid_rows} | {n: [str(e.error) for e in errs] for n, errs in result.row_errors()}


def kind_label(kind, language):
    with translation.override(language):
        return str(kind.label)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_street_admin_imports_stations_of_their_street(client, place, street_admin, fmt):
    rows = [
        row(),
        row(name="武康居民区党群服务站", slug="wukang-neighbourhood", kind=kind_label(Station.Kind.NEIGHBOURHOOD, "zh-hans"),
            building="", neighbourhood="武康居民区", theme_tags="阅读", is_active="否"),
        row(name="湖南街道党群服务中心", slug="hunan-centre", kind=kind_label(Station.Kind.CENTRE, "en"), building="",
            latitude="", longitude="", phone="64330000", theme_tags="", description="一楼大厅"),
    ]
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    client.force_login(street_admin)

    page = preview(client, content, name=f"stations.{fmt}", fmt=CSV_FORMAT if fmt == "csv" else XLSX_FORMAT)
    assert page.context["result"].totals["new"] == 3
    assert not Station.objects.exists()  # the preview is a dry run

    response = confirm(client, page)
    assert response.status_code == 302
    stations = {s.slug: s for s in Station.objects.all()}
    assert set(stations) == {"wutong-space", "wukang-neighbourhood", "hunan-centre"}

    wutong = stations["wutong-space"]
    assert (wutong.kind, wutong.street, wutong.building, wutong.neighbourhood) == (
        Station.Kind.BUILDING, place["street"], place["building"], None)
    assert (wutong.latitude, wutong.longitude) == (pytest.approx(31.205), pytest.approx(121.437))
    assert set(wutong.theme_tags.values_list("name", flat=True)) == {"阅读", "微公益"}
    assert wutong.is_active

    wukang = stations["wukang-neighbourhood"]
    assert wukang.kind == Station.Kind.NEIGHBOURHOOD and wukang.neighbourhood == place["neighbourhood"]
    assert not wukang.is_active

    centre = stations["hunan-centre"]
    assert centre.kind == Station.Kind.CENTRE and not centre.has_location
    assert centre.phone == "64330000"  # not "64330000.0" from a numeric cell
    assert centre.description == "一楼大厅"

    entry = AuditEntry.objects.get(action="stations.station.imported")
    assert entry.actor == street_admin and entry.data["totals"] == {"new": 3}


def test_a_csv_saved_by_a_chinese_excel_is_read(client, place, street_admin):
    """Excel on a Chinese Windows writes CSV in GBK; with a BOM it writes UTF-8."""
    client.force_login(street_admin)
    assert import_file(client, csv_bytes([row(slug="gbk-row")], encoding="gbk")).status_code == 302
    assert import_file(client, csv_bytes([row(slug="bom-row")], encoding="utf-8-sig")).status_code == 302
    assert set(Station.objects.values_list("name", flat=True)) == {"梧桐·SPACE"}
    assert Station.objects.count() == 2


def test_an_existing_station_is_updated_by_its_slug(client, place, street_admin):
    station = StationFactory(street=place["street"], slug="wutong-space", name="旧名字", address="旧地址")
    station.theme_tags.add(place["charity"])
    client.force_login(street_admin)
    import_file(client, csv_bytes([row(theme_tags="阅读")]))
    station.refresh_from_db()
    assert (station.name, station.address, station.building) == ("梧桐·SPACE", "淮海中路1842号", place["building"])
    assert list(station.theme_tags.values_list("name", flat=True)) == ["阅读"]
    assert Station.objects.count() == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_one_bad_row_and_nothing_is_imported(client, place, street_admin, fmt):
    rows = [
        row(slug="good-one"),
        row(slug="unknown-street", street="不存在街道"),
        row(slug="good-two", name="第二个"),
        row(slug="bad-latitude", latitude="abc"),
        row(slug="far-latitude", latitude="200"),
        row(slug="half-location", longitude=""),
    ]
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(rows)
    client.force_login(street_admin)
    page = preview(client, content, name=f"bad.{fmt}", fmt=CSV_FORMAT if fmt == "csv" else XLSX_FORMAT)
    assert page.status_code == 200
    assert "confirm_form" not in page.context
    result = page.context["result"]
    assert not result.has_errors()  # every problem is a row error people can read, not a crash
    errors = {r.number: r.error_dict for r in result.invalid_rows}
    assert set(errors) == {2, 4, 5, 6}
    assert "不存在街道" in errors[2]["street"][0]
    assert "abc" in errors[4]["latitude"][0]
    assert "200" in errors[5]["latitude"][0]
    assert "latitude" in errors[6]
    html = page.content.decode()
    for messages in errors.values():
        for text in sum(messages.values(), []):
            assert str(text).replace("“", "&ldquo;").replace("”", "&rdquo;") in html or str(text) in html
    assert not Station.objects.exists()

    # Posting the file straight to the real run, skipping the preview, imports nothing either:
    # the good rows are rolled back with the bad ones.
    storage = TempFolderStorage(read_mode="rb")
    storage.save(content)
    response = client.post(PROCESS, {"import_file_name": storage.name, "original_file_name": f"bad.{fmt}",
                                     "format": CSV_FORMAT if fmt == "csv" else XLSX_FORMAT, "resource": "0"})
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert not Station.objects.exists()
    assert any(NOTHING_IMPORTED in str(m) for m in response.wsgi_request._messages)


def test_a_file_that_stopped_passing_between_preview_and_confirm_imports_nothing(client, place, street_admin):
    client.force_login(street_admin)
    page = preview(client, csv_bytes([row(slug="first", building=""), row(slug="second")]))
    assert "confirm_form" in page.context
    place["building"].delete()  # someone removed the building meanwhile: row 2 fails now
    response = confirm(client, page)
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert not Station.objects.exists()
    assert not AuditEntry.objects.filter(action="stations.station.imported").exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(NOTHING_IMPORTED in m for m in messages)


def test_a_street_admin_cannot_import_into_another_street(client, place, street_admin):
    client.force_login(street_admin)
    page = preview(client, csv_bytes([row(slug="mine"), row(slug="theirs", street="天平街道", building="")]))
    errors = {r.number: r.error_dict for r in page.context["result"].invalid_rows}
    assert set(errors) == {2}
    assert "天平街道" in errors[2]["street"][0]
    assert not Station.objects.exists()


def test_a_street_admin_cannot_take_over_a_station_of_another_street_by_its_slug(client, place, street_admin):
    theirs = StationFactory(street=place["other_street"], slug="theirs", name="别人的站")
    client.force_login(street_admin)
    page = preview(client, csv_bytes([row(slug="theirs", name="我的站")]))
    errors = {r.number: r.error_dict for r in page.context["result"].invalid_rows}
    assert "slug" in errors[1]
    theirs.refresh_from_db()
    assert (theirs.name, theirs.street) == ("别人的站", place["other_street"])


def test_a_street_name_found_in_two_districts_needs_its_district(client, place, street_admin):
    StreetFactory(district=DistrictFactory(name="长宁区"), name="湖南街道")
    client.force_login(street_admin)
    page = preview(client, csv_bytes([row(district="")]))
    errors = {r.number: r.error_dict for r in page.context["result"].invalid_rows}
    assert "district" in errors[1]
    assert import_file(client, csv_bytes([row()])).status_code == 302  # with the district it is clear
    assert Station.objects.get().street == place["street"]


def test_unknown_themes_are_a_row_error_for_street_admins_and_created_by_superusers(client, place, street_admin):
    client.force_login(street_admin)
    page = preview(client, csv_bytes([row(theme_tags="阅读，新主题")]))
    errors = {r.number: r.error_dict for r in page.context["result"].invalid_rows}
    assert "新主题" in errors[1]["theme_tags"][0]
    assert not ThemeTag.objects.filter(name="新主题").exists()

    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert import_file(client, csv_bytes([row(theme_tags="阅读，新主题")])).status_code == 302
    assert set(Station.objects.get().theme_tags.values_list("name", flat=True)) == {"阅读", "新主题"}


def test_an_unknown_kind_is_a_row_error(client, place, street_admin):
    client.force_login(street_admin)
    page = preview(client, csv_bytes([row(kind="菜市场")]))
    errors = {r.number: r.error_dict for r in page.context["result"].invalid_rows}
    assert "菜市场" in errors[1]["kind"][0]


@pytest.mark.parametrize("role", ["station_staff", "merchant_staff"])
def test_station_and_merchant_staff_cannot_import(client, place, role):
    station = StationFactory(street=place["street"])
    target = {"station": station} if role == "station_staff" else {"merchant": OrganisationFactory(street=place["street"], kind="merchant")}
    client.force_login(make_staff(role, **target))
    assert client.get(IMPORT).status_code == 403
    assert preview(client, csv_bytes([row()])).status_code == 403
    assert Station.objects.count() == 1
    if role == "station_staff":
        changelist = client.get(reverse("admin:stations_station_changelist")).content.decode()
        assert IMPORT not in changelist
        assert EXPORT in changelist


def test_the_import_page_is_open_to_street_admins_with_the_expected_columns(client, street_admin):
    client.force_login(street_admin)
    page = client.get(IMPORT)
    assert page.status_code == 200
    assert page.context["fields_list"][0][1] == COLUMNS
    assert [label for _value, label in page.context["form"].fields["format"].choices][1:] == ["csv", "xlsx"]


def test_an_oversized_file_is_refused(client, street_admin, settings):
    client.force_login(street_admin)
    big = csv_bytes([row()]) + b"," * (5 * 1024 * 1024)
    page = preview(client, big)
    assert "import_file" in page.context["form"].errors
    assert not Station.objects.exists()


# --- Export


def export(client, fmt=CSV_FORMAT):
    data = {"format": fmt, "resource": "0"}
    data.update({f"stationresource_{column}": "on" for column in COLUMNS})
    return client.post(EXPORT, data)


def test_export_gives_only_the_stations_the_user_looks_after(client, place, street_admin):
    mine = StationFactory(street=place["street"], name="本街道站", building=place["building"])
    mine.theme_tags.add(place["reading"], place["charity"])
    StationFactory(street=place["other_street"], name="别的街道站")
    client.force_login(street_admin)

    response = export(client)
    assert response.status_code == 200
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel shows the Chinese
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["本街道站"]
    assert rows[0]["street"] == "湖南街道" and rows[0]["district"] == "徐汇区" and rows[0]["building"] == "武康大楼"
    assert rows[0]["theme_tags"] == "微公益、阅读"
    assert list(rows[0]) == COLUMNS

    response = export(client, XLSX_FORMAT)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert list(values[0]) == COLUMNS
    assert [r[0] for r in values[1:]] == ["本街道站"]


def test_station_staff_export_their_own_station_only(client, place):
    mine = StationFactory(street=place["street"], name="我的站")
    StationFactory(street=place["street"], name="隔壁的站")
    client.force_login(make_staff("station_staff", station=mine))
    rows = list(csv.DictReader(io.StringIO(export(client).content.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["我的站"]


def test_an_exported_file_imports_back_unchanged(client, place, street_admin):
    for n in range(3):
        station = StationFactory(street=place["street"], name=f"站{n}", slug=f"station-rt-{n}", neighbourhood=place["neighbourhood"])
        station.theme_tags.add(place["reading"])
    client.force_login(street_admin)
    before = list(Station.objects.order_by("slug").values())
    exported = export(client).content
    page = preview(client, exported)
    assert page.context["result"].totals["update"] == 3
    assert confirm(client, page).status_code == 302
    after = list(Station.objects.order_by("slug").values())
    for old, new in zip(before, after, strict=True):
        old.pop("updated_at"), new.pop("updated_at")
        assert old == new
