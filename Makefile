# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Unipile's official Node SDK for the contract test, from the project's own lock file.
SDK := tests/integrations/unipile/sdk
SDK_STAMP := $(SDK)/node_modules/.installed
# pytest-xdist workers. Many tests wait on real I/O (servers, the simulator's webhooks, the
# browser), so 3 workers on 2 cores beat 2; 4 overload the machine (pytest 105-110 s with 3).
TEST_WORKERS ?= 3
# Our own modules' bytecode is cached like any project's, even where the environment says not
# to (some sandboxes do): the tests start dozens of server processes, each importing it all.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test check lint format clean chromium unipile-sdk
.PHONY: bench bench-quick fuzz fuzz-quick load load-quick faults faults-quick

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@# uv installs the same packages in about 10 s where pip takes about a minute (most of a
	@# clean clone's `make test`); pip remains the fallback where uv cannot be had.
	@# --compile-bytecode: pip's default, not uv's; every server a test starts imports it all.
	$(BIN)/python -m pip install --quiet uv && $(BIN)/uv pip install --quiet --compile-bytecode \
	  --python $(BIN)/python -e '.[dev]' || $(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Start the server on the embedded default (SQLite + Unipile simulator) and print how to use it.
run: $(STAMP)
	$(BIN)/skylight serve --bootstrap

## Lint, type-check and run the test suite on both cores (SQLite everywhere, PostgreSQL where the
## database matters; PostgreSQL required with CI=true). The process-level fault tests: `make faults`.
test: check chromium unipile-sdk
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not slow" --durations=15

## unipile-node-sdk (npm) for tests/integrations/unipile/test_sdk_contract.py; Node 18+ needed.
unipile-sdk: $(SDK_STAMP)

$(SDK_STAMP): $(SDK)/package.json $(SDK)/package-lock.json
	cd $(SDK) && npm ci --no-audit --no-fund
	@touch $(SDK_STAMP)

## The dashboard's browser tests drive Debian's chromium (Playwright's own download does not
## work everywhere): installed when missing and we are root, else they skip (fail with CI=true).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation; \
	  else \
	    echo "chromium is missing: 'sudo apt-get install chromium' for the browser tests"; \
	  fi; }

## ruff, mypy strict and the layer contracts (import-linter, see pyproject.toml).
check: lint
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks: prints the table and writes bench/results/latest.md (the full set: about 20 min
## on 2 cores). bench-quick: the send and inbound ratios against their floors on SQLite and
## PostgreSQL, in under three minutes (bench/results/quick.md).
bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	BENCH_QUICK=1 $(BIN)/python -m bench

## Hardening suites (real server processes on loopback ports); *-quick is what CI runs.
fuzz: $(STAMP)
	$(BIN)/python -m bench.fuzz

fuzz-quick: $(STAMP)
	$(BIN)/python -m bench.fuzz --quick

load: $(STAMP)
	$(BIN)/python -m bench.load

load-quick: $(STAMP)
	$(BIN)/python -m bench.load --quick

## The process-level fault tests (kill -9, SIGTERM, several servers) and the fault suite.
faults: $(STAMP)
	$(BIN)/pytest -n 2 -m slow --durations=15
	$(BIN)/python -m bench.faults

faults-quick: $(STAMP)
	$(BIN)/pytest -n 2 -m slow --durations=15
	$(BIN)/python -m bench.faults --quick

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache $(SDK)/node_modules
