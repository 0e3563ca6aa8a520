"""Running seed_demo in tests and reading its summary."""

import re
from io import StringIO

from django.apps import apps
from django.core.management import call_command


def seed_demo():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def summary(output):
    """{model label: (total, new, updated)} from the command's summary lines."""
    rows = {}
    for line in output.splitlines():
        match = re.match(r"\s+(\S+)\s+(\d+) in all\s+\((\d+) new, (\d+) updated\)", line)
        if match:
            rows[match[1]] = tuple(int(n) for n in match.groups()[1:])
    return rows


def row_counts():
    """Rows of every table, many-to-many link tables included."""
    return {model._meta.label: model.objects.count() for model in apps.get_models(include_auto_created=True)}
