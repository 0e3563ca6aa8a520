"""Small helpers for what the database says."""

import re

from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver


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


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s")


def _numbered(sql):
    """`sql` with its %s or %(name)s placeholders as PostgreSQL's $1, $2, …; and the order the parameters then come in
    (names, or positions)."""
    order = []

    def number(match):
        key = match.group(1) if match.group(1) is not None else len(order)
        if key not in order:  # a name used again is the same parameter; each %s is a new one
            order.append(key)
        return f"${order.index(key) + 1}"

    return _PLACEHOLDER.sub(number, sql), order


class FixedRead:
    """A read on the path of every order or booking, as one fixed SELECT whose rows are made into model instances as the
    ORM makes them.

    Django builds a queryset's SQL anew for every run: for a read with joins and a prefetch that is 3–4 ms of CPU, against
    0.2 ms to send the SQL and make the rows into instances — and CPU is what a 2-core server's orders per second are made
    of (bench/, issue #8). Here the SQL is written once: `sql` names each model's columns as `{alias}` (filled in with
    that model's concrete fields, or with `alias=(model, field names)` those fields and the primary key, the others
    deferred as by `.only()`; each qualified by `alias`, so the SQL follows the models), and each row is cut into one
    instance per model, each value passed through the converters the ORM's compiler would apply (SQLite's dates and
    decimals, aware datetimes) — or None for a model whose primary key is NULL (the far side of a LEFT JOIN). Columns
    the SQL selects after the models' (`extra`, say a count) come after the instances, as they are.

        read = FixedRead("meal", "SELECT {meal} FROM lunch_meal meal WHERE meal.id = %s", meal=Meal)
        [(meal,)] = read.rows([meal_id])

    On PostgreSQL the statement is also planned once per connection, not on every run: it is PREPAREd as `name` the
    first time a connection runs it (not logged, so a test counting a request's statements counts the same ones
    whatever ran before on its connection), then run with EXECUTE. A read joining six tables, or choosing between
    EXISTS subqueries, took PostgreSQL 0.4–0.8 ms to plan each time against 0.1 ms to run. The portal connects to
    PostgreSQL directly; a pooler that hands one client's statements to several server connections (PgBouncer in
    transaction mode) would find a statement prepared on one of them missing on another: such a deployment sets
    DB_PREPARED_READS off, and each run then sends the SQL itself, planned every time.

    The tests of each read hold its answers to the queryset it stands for.
    """

    def __init__(self, name, sql, extra=0, **models):
        self.name = f"fixed_{name}"
        self._template = sql
        self._extra = extra  # how many columns come after the models'
        self._models = models  # alias -> model, in the order their columns come in a row
        # (database vendor, prepared?) -> (sql, or (PREPARE, EXECUTE); parameter order;
        #                                  [(model, attnames, start, stop, pk position, [(position, converters, column)])])
        self._prepared = {}

    def _prepare(self):
        prepare = connection.vendor == "postgresql" and settings.DB_PREPARED_READS
        key = (connection.vendor, prepare)
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
            sql, order = self._template.format(**columns), None
            if prepare:  # sql becomes the PREPARE; what runs is the EXECUTE with the parameters in `order`
                numbered, order = _numbered(sql)
                sql = (f"PREPARE {self.name} AS {numbered}",
                       f"EXECUTE {self.name} ({', '.join(['%s'] * len(order))})" if order else f"EXECUTE {self.name}")
            self._prepared[key] = (sql, order, parts)
        return self._prepared[key]

    def _execute(self, cursor, sql, order, params):
        if order is None:
            cursor.execute(sql, params)
            return
        prepare, execute = sql
        # Set by _forget_prepared at each connect; missing only on a connection opened before this module was imported.
        prepared = getattr(connection, "fixed_reads_prepared", None)
        if prepared is None:
            prepared = connection.fixed_reads_prepared = set()
        if self.name not in prepared:
            cursor.cursor.execute(prepare)  # psycopg's own cursor: see the class's docstring
            prepared.add(self.name)
        cursor.execute(execute, [params[key] for key in order])

    def rows(self, params):
        """Every row of the read with `params` (a list for %s, a dict for %(name)s): a tuple of instances (or None), one
        per model, then the extra columns."""
        sql, order, parts = self._prepare()
        with connection.cursor() as cursor:
            self._execute(cursor, sql, order, params)
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
            made.append((*instances, *row[len(row) - self._extra:]) if self._extra else tuple(instances))
        return made


@receiver(connection_created)
def _forget_prepared(sender, connection, **kwargs):
    """A new connection has none of the fixed reads prepared."""
    connection.fixed_reads_prepared = set()
