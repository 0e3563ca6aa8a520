"""On PostgreSQL the database itself refuses overlapping live reservations of a room.

An exclusion constraint over tstzrange(starts_at, ends_at, '[)') — half-open, so touching
edges (12:00–13:00 and 13:00–14:00) are fine — for rows that hold their slot (pending or
approved). SQLite has no such constraint; there the service's row lock keeps the rule.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE reservations_reservation ADD CONSTRAINT reservation_no_overlap
    EXCLUDE USING gist (area_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN ('pending', 'approved'));
"""
DROP = "ALTER TABLE reservations_reservation DROP CONSTRAINT IF EXISTS reservation_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reservations", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
