"""`manage.py seed_demo`: load the demo data from the news articles, and the demo accounts.

Safe to run again: rows are found by their natural keys, so a second run creates nothing and
changes nothing (its summary shows 0 new, 0 updated).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.demo import data, seed


class Command(BaseCommand):
    help = "Load the demo districts, streets, organisations, stations and one account per role. Safe to run again."

    def handle(self, *args, **options):
        # One transaction: a loader that fails leaves the database as it was.
        with transaction.atomic(durable=True):
            ctx = seed.load_all()

        self.stdout.write("Demo data loaded:")
        width = max(len(label) for label, *_ in ctx.summary())
        for label, new, updated, total in ctx.summary():
            self.stdout.write(f"  {label:<{width}}  {total:>4} in all  ({new} new, {updated} updated)")

        passwords = {account["password"] for account in data.DEMO_ACCOUNTS}
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password: {', '.join(sorted(passwords))}):")
        width = max(len(account["email"]) for account in data.DEMO_ACCOUNTS)
        for account in data.DEMO_ACCOUNTS:
            self.stdout.write(f"  {account['email']:<{width}}  {account['role']} / {account['role_zh']}")
        self.stdout.write("Staff sign in at /admin/, everyone at /accounts/login/.")
