# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
FAKE_WECHAT_PORT ?= 8001
# The quick start is a development machine (the defaults are allowed) and reads no .env.
QUICK_ENV := APP_ENV=development ENV_FILE=-

.PHONY: run test install services bench fuzz clean env-example

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); ./.ci/ensure-packages venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Local SQLite, demo data, jobs in-process (no REDIS_URL), the fake WeChat beside it; prints the demo
# agency's /open/v1 key (`flask clients demo-key`).
run: install
	./.ci/ensure-packages run
	mkdir -p var
	env -u DATABASE_URL -u REDIS_URL $(QUICK_ENV) FLASK_APP=wsgi $(BIN)/flask db upgrade
	env -u DATABASE_URL -u REDIS_URL $(QUICK_ENV) FLASK_APP=wsgi $(BIN)/flask demo-data
	@env -u DATABASE_URL -u REDIS_URL $(QUICK_ENV) FLASK_APP=wsgi $(BIN)/flask clients demo-key \
	  --base-url http://$(HOST):$(PORT)
	@echo "Serving on http://$(HOST):$(PORT) (fake WeChat on 127.0.0.1:$(FAKE_WECHAT_PORT))"
	$(BIN)/python -m fake_wechat --host 127.0.0.1 --port $(FAKE_WECHAT_PORT) & fake=$$!; \
	trap 'kill $$fake 2>/dev/null' EXIT INT TERM; \
	env -u DATABASE_URL -u REDIS_URL $(QUICK_ENV) WECHAT_API_BASE_URL=http://127.0.0.1:$(FAKE_WECHAT_PORT)/ \
	  WECOM_API_BASE_URL=http://127.0.0.1:$(FAKE_WECHAT_PORT)/wecom/ PUBLIC_BASE_URL=http://$(HOST):$(PORT) \
	  $(BIN)/gunicorn --no-control-socket -w 2 -b $(HOST):$(PORT) --access-logfile - wsgi:app

# .env.example is generated from core/config.py (tests/core/test_settings.py checks it).
env-example: install
	$(BIN)/python -m core.config_doc

services:
	./.ci/ensure-services

# The layering contracts (.importlinter), then the whole suite against PostgreSQL and Redis
# (started, or installed, as needed).
test: install services
	./.ci/ensure-packages test
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/python -m pytest tests -q

# schemathesis over /api and /open/v1, FUZZ_EXAMPLES cases per operation (FUZZ_DEMO=1: demo data first)
# (`make test` runs the same with 3 cases).
FUZZ_EXAMPLES ?= 30
fuzz: install services
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/docs/test_fuzz.py -q

bench: install services
	./.ci/ensure-packages bench
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
