# drctl: the two commands a newcomer runs are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PG_BIN := $(firstword $(wildcard /usr/lib/postgresql/*/bin))

.PHONY: demo test lint bench clean system-deps postgres-bin chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools==80.9.0 wheel
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## demo: offline sandbox demo, no AWS account needed
demo: $(STAMP) postgres-bin
	$(BIN)/drctl demo

## test: lint (ruff, mypy --strict) and the whole test suite
test: $(STAMP) system-deps lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src

bench: $(STAMP) system-deps
	$(BIN)/python -m benchmarks

system-deps: postgres-bin chromium

# PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) for the lab and test servers.
postgres-bin:
	@if [ -z "$(PG_BIN)" ] || [ ! -x "$(PG_BIN)/initdb" ]; then \
		echo "installing PostgreSQL server binaries"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# Debian's Chromium and ChromeDriver, for the report rendering test.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

clean:
	rm -rf $(VENV) .drctl .pytest_cache .mypy_cache .ruff_cache drctl-demo
