# Portail CFA — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app app
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/test

GUNICORN := $(VENV)/bin/gunicorn

.PHONY: run serve worker test install install-test test-sqlite test-postgres browser-deps demo clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: install, create the SQLite database with demo data when missing, serve on 127.0.0.1:5000
run: install
	@if [ ! -f data/portail.db ]; then $(FLASK) init-db && $(FLASK) demo; else $(FLASK) init-db; fi
	@if [ -z "$$MAIL_SERVER" ]; then \
		echo "Emails : aucun MAIL_SERVER, ils restent dans la boîte d'envoi — http://127.0.0.1:5000/admin/outboxemail/ (administrateur OPCO)"; \
	else \
		echo "Emails : envoyés par SMTP via $$MAIL_SERVER:$${MAIL_PORT:-25} ; relance des échecs : $(FLASK) send-emails"; \
	fi
	$(FLASK) run --host 127.0.0.1 --port 5000

## make serve: production serving — install, migrate the configured database (DATABASE_URL), then gunicorn with
## gunicorn.conf.py (WEB_CONCURRENCY workers, default 2; BIND or PORT, default 127.0.0.1:8000)
serve: install
	$(FLASK) init-db
	exec $(GUNICORN) -c gunicorn.conf.py "app:create_app()"

## make worker: the background jobs (emails, webhooks, daily digest, overdue credit notes, API-key warnings, purges)
## — huey_consumer on the app's queue (SQLite in DATA_DIR, or Redis with REDIS_URL), WORKER_CONCURRENCY threads
## (default 2); WORKER_PERIODIC=0 on every worker but one when several share a Redis queue (no double digest)
worker: install
	$(FLASK) init-db
	exec $(VENV)/bin/huey_consumer app.huey --workers $${WORKER_CONCURRENCY:-2} --worker-type thread \
		--max-delay 2 $$(if [ "$${WORKER_PERIODIC:-1}" = "0" ]; then printf -- '--no-periodic'; fi)

## make test: install the test extras and run the whole suite on SQLite, then on PostgreSQL
test: install-test browser-deps
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite:
	TEST_DB=sqlite $(PY) -m pytest -q -p no:cacheprovider

test-postgres:
	@if $(PY) -c "import psycopg2; psycopg2.connect('$(PG_ADMIN_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		TEST_DB=postgres TEST_PG_ADMIN_URL='$(PG_ADMIN_URL)' $(PY) -m pytest -q -p no:cacheprovider -m "not browser"; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL attendu en CI mais injoignable sur $(PG_ADMIN_URL)" >&2; exit 1; \
	else \
		echo "PostgreSQL injoignable : suite PostgreSQL ignorée (hors CI)."; \
	fi

## Debian's chromium for the Playwright browser tests (no browser download from the internet)
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "Installation de chromium impossible : tests navigateur ignorés." >&2; \
		else \
			echo "chromium absent : tests navigateur ignorés." >&2; \
		fi; \
	fi

demo: install
	$(FLASK) init-db && $(FLASK) demo

clean:
	rm -rf $(VENV) data .pytest_cache
