# The two commands that matter: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check-deploy messages vendor worker beat clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## A working portal with demo data at http://127.0.0.1:8000 (SQLite, eager Celery).
run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

## The whole suite: PostgreSQL/Redis when DATABASE_URL/REDIS_URL point at them, SQLite/eager otherwise.
test: $(VENV)/.dev
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .

## The production profile must pass Django's deployment checks.
check-deploy: $(VENV)/.runtime
	DJANGO_ENV=production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=portal.example.cn $(BIN)/python manage.py check --deploy --fail-level WARNING

## The benchmark (issue #8): gunicorn + wrk on PostgreSQL/Redis, demo and city-scale data; writes bench/RESULTS.md.
## BENCH_ARGS="--smoke" for a quick check, "--reuse-scale" to skip re-seeding the city-scale database. See bench/run.py.
bench: $(VENV)/.runtime
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## Refresh translations (needs gettext): extract strings, then compile the catalogues that are committed.
messages: $(VENV)/.runtime
	$(BIN)/python manage.py makemessages --locale zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'tests/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

## Refresh vendored front-end assets from the npm registry (see package.json and scripts/vendor.sh).
vendor:
	bash scripts/vendor.sh

worker: $(VENV)/.runtime
	$(BIN)/celery -A portal worker --loglevel=INFO

beat: $(VENV)/.runtime
	$(BIN)/celery -A portal beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache
