"""Demo data for a working portal out of the box.

`data` holds what the news articles about Shanghai's party-mass service stations describe,
transcribed as plain Python; `seed` loads it idempotently; `manage.py seed_demo` runs the
loaders in one transaction.
"""
