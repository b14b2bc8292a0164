# The whole developer interface. `make run` and `make test` are all a fresh machine needs.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
APPSTAMP := $(VENV)/.installed-app
NPMSTAMP := node_modules/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8000
# Empty: the same database as every other `kneehab` command (docs/settings.md: kneehab.db in the user data
# folder, or KNEEHAB_DATABASE_URL), so `.venv/bin/kneehab status` sees what the web app saved. `make run DB=path`
# uses another SQLite file.
DB      ?=

.PHONY: run test test-fast lint fmt typecheck bench bench-api bench-wger bench-caseload bench-requests bench-scan wrk soak e2e fuzz library-check install vision browser pdf-tools clean

# `make run` installs the app alone (FastAPI, SQLAlchemy, Swagger UI's files for /docs …): the web app never
# imports the camera coach, whose [vision] extra (MediaPipe and OpenCV, several hundred MB) only
# `kneehab analyze VIDEO` needs. `make vision` adds it; the tests install everything, since they run the
# camera coach on the shared clips.
$(APPSTAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(APPSTAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,vision]'
	touch $(STAMP) $(APPSTAMP)

install: $(STAMP)

vision: $(APPSTAMP)
	$(BIN)/pip install --quiet -e '.[vision]'

# Debian's wrk for `make bench-api` (not needed by `make test`).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's poppler-utils (pdftoppm renders the handout's pages in the tests) and the DejaVu fonts the
# handout prints with (issue 14, ADR 0006).
pdf-tools:
	@{ command -v pdftoppm >/dev/null 2>&1 && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils fonts-dejavu-core >/dev/null; }

$(NPMSTAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NPMSTAMP)

# The camera coach's in-browser pose model (npm @mediapipe/pose) comes with `npm ci`; without npm the app runs
# and the player simply offers no camera. Migrations are their own step (ADR 0006): the server refuses a
# database that is behind.
run: $(APPSTAMP) pdf-tools
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(NPMSTAMP); else echo "npm not found: the camera coach is off (everything else works)"; fi
	$(BIN)/kneehab db upgrade $(if $(DB),--db $(DB))
	$(BIN)/kneehab serve --host $(HOST) --port $(PORT) $(if $(DB),--db $(DB)) --demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src  # strict on domain/, library/ and motion/ (pyproject)
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

library-check: $(STAMP)
	$(BIN)/kneehab library check

# Everything: lint, type checks, import contracts, unit/spec/property/integration/api/cli and browser tests.
test: $(STAMP) browser pdf-tools $(NPMSTAMP) lint
	$(BIN)/kneehab library check
	$(BIN)/pytest -q -n 2 --dist loadgroup --durations=25  # the slowest, to keep the run near 15 min

test-fast: $(STAMP) pdf-tools
	$(BIN)/pytest -q -n 2 -m "not e2e and not vision"

e2e: $(STAMP) browser $(NPMSTAMP)
	$(BIN)/pytest -q -m e2e

bench: $(STAMP) bench-requests bench-scan
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.live

# Issue 11 §3: the nightly scan at 1k, 5k and 10k people × 90 days on PostgreSQL (127.0.0.1:5432; it
# creates and drops databases kneehab_scanbench*), first night and next night; docs/benchmarks.md.
# SCAN_JOBS=2 times `kneehab scan --jobs 2`.
SCAN_PEOPLE ?= 1000,5000,10000
SCAN_JOBS ?= 1
bench-scan: $(STAMP)
	$(BIN)/python -W ignore -m bench.scan --people $(SCAN_PEOPLE) --jobs $(SCAN_JOBS)

# The HTTP API under wrk, SQLite and PostgreSQL, 2 workers (docs/benchmarks.md). SERVERS=1 compares
# server set-ups instead (ADR 0006).
bench-api: $(STAMP) wrk
	$(BIN)/python -m bench.api $(if $(SERVERS),--servers)

# Issue 11: wger 2.1's REST API under the same wrk load, then kneehab's (SQLite), and kneehab ÷ wger
# (docs/benchmarks.md). wger is never in this repo: it lives in a venv of its own, built by hand once.
WGER_VENV ?= /tmp/wger-venv
WGER_DATA ?= /tmp/wger-data
bench-wger: $(STAMP) wrk
	@if [ -x $(WGER_VENV)/bin/gunicorn ]; then \
	  $(BIN)/python -m bench.wger --venv $(WGER_VENV) --data $(WGER_DATA) --kneehab; \
	else \
	  echo "no wger at $(WGER_VENV); build it (outside the repo) with:"; \
	  echo "  python3 -m venv $(WGER_VENV) && $(WGER_VENV)/bin/pip install wger==2.1 gunicorn"; \
	fi

# Issue 11 §2: request cost against course length (14, 90, 180, 365 days), this code and /work/main's
# (BEFORE_SRC: a checkout from before course snapshots), in-process; results in docs/benchmarks.md.
BEFORE_SRC ?= /work/main/src
bench-requests: $(STAMP)
	$(BIN)/python -m bench.request_cost --code both --before-src $(BEFORE_SRC)

# Durability (issue 11 §4): kill -9 the server 100 times while people write, on SQLite and PostgreSQL,
# then check nothing answered was lost or duplicated. Not part of `make test` (a 5-kill run is).
soak: $(STAMP)
	$(BIN)/python bench/soak.py --kills 100 --store both

# Schemathesis against the app's own OpenAPI document (issue 11 §4): the fuzz test of `make test` with new
# random cases and about 30 times as many (over 5,000 across SQLite and PostgreSQL), one store at a time so
# each prints its counts (cases, server errors, schema violations). docs/testing.md has the last results.
FUZZ_EXAMPLES ?= 25
fuzz: $(STAMP)
	KNEEHAB_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) KNEEHAB_FUZZ_RANDOM=1 $(BIN)/pytest -q -n 0 -m fuzz tests/api/test_fuzz.py

# Issue 12 §5: the caseload with 500 people on 90-day courses, SQLite and PostgreSQL (long: see
# docs/benchmarks.md for the request counts used).
bench-caseload: $(STAMP)
	$(BIN)/python -W ignore -m bench.caseload --people 500 --days 90 --requests 50

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
