"""Small helpers for what the database says."""


def violates(exc, constraint, column):
    """Whether the IntegrityError `exc` is a breach of `constraint`. PostgreSQL names the constraint; SQLite only lists
    its columns, so `column` ("table.column", one that only this constraint of the table lists) tells there."""
    message = str(exc)
    return f'"{constraint}"' in message or (message.startswith("UNIQUE constraint failed") and column in message)
