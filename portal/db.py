"""Small helpers for what the database says."""

from django.db import connection


def violates(exc, constraint, column=None):
    """Whether the IntegrityError `exc` is a breach of `constraint`. PostgreSQL names the constraint; SQLite only lists
    a unique constraint's columns, so `column` ("table.column", one that only this constraint of the table lists) tells
    there. Without `column`, only PostgreSQL's constraint is recognised (an exclusion constraint, say)."""
    message = str(exc)
    if constraint in message:
        return True
    return column is not None and message.startswith("UNIQUE constraint failed") and column in message


def rows_changed(sql, params):
    """Run one write statement given as SQL (a hot path's fixed statement) and say how many rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
