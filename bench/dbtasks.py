"""The benchmark's work inside Django, one command per subprocess, on the database DATABASE_URL names.

    python -m bench.dbtasks prepare|pick|queries|info|setup|verify|verify-cleanup|cleanup  IN.json  OUT.json

The runner starts it with the same environment as the gunicorn it measures (DEBUG off, the bench database),
so the queries counted here are the queries that server makes. Arguments come in and results go out as JSON files.
"""

import json
import os
import sys


def main(argv):
    command, in_path, out_path = argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from bench import fixtures, pages

    with open(in_path, encoding="utf-8") as f:
        args = json.load(f)
    if command == "prepare":
        # One process instead of four (each Django start costs a second): leftovers out, then what the report needs.
        removed = fixtures.cleanup()
        picked = pages.pick_pages(args["near"])
        result = {"removed": removed, "info": pages.database_info(), "pages": picked,
                  "queries": pages.count_queries([p for p in picked if p["path"]])}
    elif command == "pick":
        result = pages.pick_pages(args["near"])
    elif command == "queries":
        result = pages.count_queries(args["pages"])
    elif command == "setup":
        result = fixtures.setup(**args)
    elif command == "verify":
        result = fixtures.verify(args)
    elif command == "verify-cleanup":
        result = fixtures.verify(args)
        fixtures.cleanup()
    elif command == "cleanup":
        result = fixtures.cleanup()
    elif command == "info":
        result = pages.database_info()
    else:
        raise SystemExit(f"unknown command {command!r}")
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
