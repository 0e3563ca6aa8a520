"""portal.db.FixedRead: a fixed SELECT made into model instances as the ORM makes them — deferred fields, the far
side of a LEFT JOIN, extra columns — and, on PostgreSQL, planned once per connection."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.db import FixedRead, _numbered
from portal.models import District, Street
from tests.factories import DistrictFactory, StreetFactory

pytestmark = pytest.mark.django_db

STREETS = FixedRead(
    "test_streets",
    """SELECT {district}, {street}, (SELECT COUNT(*) FROM portal_street s WHERE s.district_id = district.id)
    FROM portal_district district LEFT JOIN portal_street street ON street.district_id = district.id AND street.name <> %(not_named)s
    WHERE district.name IN (%(first)s, %(second)s) ORDER BY district.name, street.name""",
    extra=1,
    district=(District, ["name"]),
    street=Street,
)


def read(first, second, not_named=""):
    return STREETS.rows({"first": first, "second": second, "not_named": not_named})


def test_rows_are_instances_as_the_orm_makes_them_with_deferred_fields_nones_and_extra_columns():
    busy, empty = DistrictFactory(name="A 静安区"), DistrictFactory(name="B 空区")
    streets = [StreetFactory(district=busy, name=name) for name in ("石门二路街道", "南京西路街道")]
    rows = read(busy.name, empty.name)
    assert [(d.pk, s.pk if s else None, n) for d, s, n in rows] == [
        (busy.pk, streets[1].pk, 2), (busy.pk, streets[0].pk, 2), (empty.pk, None, 0)]
    district, street, _count = rows[0]
    assert district.get_deferred_fields() == {"ordering"} and district.name == busy.name
    assert not district._state.adding and district._state.db == "default"
    assert {f.attname: getattr(street, f.attname) for f in Street._meta.concrete_fields} == {
        f.attname: getattr(streets[1], f.attname) for f in Street._meta.concrete_fields}
    assert [s.name for _d, s, _n in read(busy.name, empty.name, not_named="南京西路街道") if s] == ["石门二路街道"]


def test_placeholders_become_numbered_parameters_a_name_used_twice_being_one():
    assert _numbered("a = %s AND b = %s") == ("a = $1 AND b = $2", [0, 1])
    assert _numbered("a = %(x)s AND b = %(y)s OR c = %(x)s") == ("a = $1 AND b = $2 OR c = $1", ["x", "y"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the connection is closed and opened again
def test_on_postgresql_it_is_prepared_once_per_connection_then_executed():
    district = DistrictFactory(name="A 静安区")
    connection.close()  # a new connection: nothing prepared
    read(district.name, district.name)
    assert STREETS.name in connection.fixed_reads_prepared
    with CaptureQueriesContext(connection) as again:
        assert [d.pk for d, _s, _n in read(district.name, "")] == [district.pk]
    assert [q["sql"].split()[:2] for q in again.captured_queries] == [["EXECUTE", STREETS.name]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [STREETS.name])
        assert cursor.fetchone() == (1,)
    connection.close()
    assert [d.pk for d, _s, _n in read(district.name, "")] == [district.pk]  # prepared again on the new connection


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the connection is closed and opened again
def test_behind_a_transaction_pooler_the_switch_sends_the_sql_itself_and_prepares_nothing(settings):
    settings.DB_PREPARED_READS = False
    district = DistrictFactory(name="A 静安区")
    StreetFactory(district=district, name="石门二路街道")
    connection.close()  # a new connection: nothing prepared
    with CaptureQueriesContext(connection) as sent:
        rows = read(district.name, "")
    assert [(d.pk, s.name, n) for d, s, n in rows] == [(district.pk, "石门二路街道", 1)]
    assert [q["sql"].split()[0] for q in sent.captured_queries] == ["SELECT"]
    assert connection.fixed_reads_prepared == set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone() == (0,)
