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


def is_row_id(value):
    """Whether `value` (an int from a URL) can be a row's id: a bigint above 0. The ORM answers "no such row" for one
    that can't; a statement sent as SQL would make SQLite fail on it instead."""
    return 0 < value < 2**63


class FixedRead:
    """A read on the path of every order or booking, as one fixed SELECT whose rows are made into model instances as the
    ORM makes them.

    Django builds a queryset's SQL anew for every run: for a read with joins and a prefetch that is 3–4 ms of CPU, against
    0.2 ms to send the SQL and make the rows into instances — and CPU is what a 2-core server's orders per second are made
    of (bench/, issue #8). Here the SQL is written once: `sql` names each model's columns as `{alias}` (filled in with
    that model's concrete fields, or with `alias=(model, field names)` those fields and the primary key, the others
    deferred as by `.only()`; each qualified by `alias`, so the SQL follows the models), and each row is cut into one
    instance per model, each value passed through the converters the ORM's compiler would apply (SQLite's dates and
    decimals, aware datetimes) — or None for a model whose primary key is NULL (the far side of a LEFT JOIN).

        read = FixedRead("SELECT {meal} FROM lunch_meal meal WHERE meal.id = %s", meal=Meal)
        [(meal,)] = read.rows([meal_id])

    The tests of each read hold its answers to the queryset it stands for.
    """

    def __init__(self, sql, **models):
        self._template = sql
        self._models = models  # alias -> model, in the order their columns come in a row
        self._prepared = {}  # database vendor -> (sql, [(model, attnames, start, stop, pk position, [(position, converters, column)])])

    def _prepare(self):
        key = connection.vendor
        if key not in self._prepared:
            columns, parts, start = {}, [], 0
            for alias, model in self._models.items():
                model, fields = model if isinstance(model, tuple) else (model, None)
                if fields is None:
                    fields = model._meta.concrete_fields
                else:  # the named fields and the primary key, in the model's order (as Model.from_db takes them)
                    named = {model._meta.get_field(name) for name in fields} | {model._meta.pk}
                    fields = [field for field in model._meta.concrete_fields if field in named]
                columns[alias] = ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in fields)
                conversions = []
                for position, field in enumerate(fields, start=start):
                    column = field.get_col(alias)
                    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                    if converters:
                        conversions.append((position, converters, column))
                pk_position = start + list(fields).index(model._meta.pk)
                attnames = [field.attname for field in fields]
                parts.append((model, attnames, start, start + len(fields), pk_position, conversions))
                start += len(fields)
            self._prepared[key] = (self._template.format(**columns), parts)
        return self._prepared[key]

    def rows(self, params):
        """Every row of the read with `params`: a tuple of instances (or None), one per model."""
        sql, parts = self._prepare()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        made = []
        for row in fetched:
            row = list(row)
            instances = []
            for model, attnames, start, stop, pk_position, conversions in parts:
                if row[pk_position] is None:  # no such row (a primary key is never NULL)
                    instances.append(None)
                    continue
                for position, converters, column in conversions:
                    value = row[position]
                    for converter in converters:
                        value = converter(value, column, connection)
                    row[position] = value
                instances.append(model.from_db(connection.alias, attnames, row[start:stop]))
            made.append(tuple(instances))
        return made
