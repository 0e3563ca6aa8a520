"""`manage.py seed_scale`: fill an empty database with a city's worth of consistent data, for benchmarks (issue #8).

    manage.py seed_scale                       # 5,000 stations, 100,000 events, 1,000,000 bookings … (a few minutes on PostgreSQL)
    manage.py seed_scale --stations 40 --events 200 --bookings 1000 --wishes 100 --lunch-orders 300 --users 200

Every scale account signs in with the password `bench-password-2026` (scale-00001@scale.station.cn …). The command
refuses a database that holds stations or the demo accounts already, and a second run, unless --allow-demo is given.
How the rows are made and what they keep consistent: portal/scale.py.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from portal import scale


class Command(BaseCommand):
    help = "Fill an empty database with city-scale data in bulk (stations, events, bookings, wishes, lunch) for benchmarks."

    def add_arguments(self, parser):
        defaults = scale.Sizes()
        parser.add_argument("--stations", type=int, default=defaults.stations)
        parser.add_argument("--events", type=int, default=defaults.events)
        parser.add_argument("--bookings", type=int, default=defaults.bookings)
        parser.add_argument("--wishes", type=int, default=defaults.wishes)
        parser.add_argument("--lunch-orders", type=int, default=defaults.lunch_orders)
        parser.add_argument("--users", type=int, default=defaults.users)
        parser.add_argument("--seed", type=int, default=1, help="The same seed on the same day writes the same rows.")
        parser.add_argument("--allow-demo", action="store_true",
                            help="Add the scale data even though the database holds stations, demo accounts or an earlier run.")

    def handle(self, *args, **options):
        sizes = scale.Sizes(stations=options["stations"], events=options["events"], bookings=options["bookings"],
                            wishes=options["wishes"], lunch_orders=options["lunch_orders"], users=options["users"])
        why = scale.refusal(allow_demo=options["allow_demo"])
        if why:
            raise CommandError(why)
        started = time.perf_counter()
        self.stdout.write(f"Seeding city-scale data (seed {options['seed']}): "
                          + ", ".join(f"{name.replace('_', ' ')} {value:,}" for name, value in vars(sizes).items()))
        try:
            builder = scale.seed(sizes, seed=options["seed"], allow_demo=options["allow_demo"], out=self.stdout.write)
        except scale.ScaleError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(count for _label, count, _seconds in builder.tables.report if count)
        self.stdout.write(f"Total: {rows:,} rows in {time.perf_counter() - started:.1f} s.")
        if sizes.users:
            first = builder.first_email
            self.stdout.write(f"Accounts {scale.scale_email(first)} … {scale.scale_email(first + sizes.users - 1)}, "
                              f"password: {scale.PASSWORD}")
