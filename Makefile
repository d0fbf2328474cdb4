# drctl: the two commands a newcomer runs are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Exact versions of every package, resolved from pyproject.toml's ranges (`make lock`).
LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
LOCK_TOOLS := .venv-lock
PG_BIN := $(firstword $(wildcard /usr/lib/postgresql/*/bin))

.PHONY: demo test soak lint bench lock clean system-deps postgres-bin mysql-bin chromium cjk-fonts

# The lock file holds drctl's dependencies with the dev and sandbox extras; drctl itself
# goes on top without resolving anything again.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 'setuptools>=80.9,<81' wheel
	$(BIN)/python -m pip install -q -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

## demo: offline sandbox demo, no AWS account needed
demo: $(STAMP) postgres-bin
	$(BIN)/drctl demo

## test: lint (ruff, mypy --strict) and the whole test suite
test: $(STAMP) system-deps lint
	$(BIN)/pytest -q

## soak: the long matrices (SIGKILL after every AWS write of the region failure, then resume)
soak: $(STAMP) system-deps
	DRCTL_SOAK=1 $(BIN)/pytest -q -m soak

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src

bench: $(STAMP) system-deps
	$(BIN)/python -m benchmarks

system-deps: postgres-bin mysql-bin chromium cjk-fonts

## lock: re-resolve requirements.lock after a change to pyproject.toml (keeps pins that still fit)
lock:
	@test -x $(LOCK_TOOLS)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/pip install -q 'pip-tools>=7.6,<8'; }
	$(LOCK_TOOLS)/bin/pip-compile -q --extra dev --extra sandbox --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

# PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) for the lab and test servers.
postgres-bin:
	@if [ -z "$(PG_BIN)" ] || [ ! -x "$(PG_BIN)/initdb" ]; then \
		echo "installing PostgreSQL server binaries"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# Debian's MariaDB server, for the MySQL canary test (it starts its own server).
mysql-bin:
	@command -v mariadb-install-db >/dev/null && test -x /usr/sbin/mariadbd -o -x /usr/sbin/mysqld || { \
		echo "installing MariaDB server binaries"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null; }

# Debian's Chromium and ChromeDriver, for the report rendering test.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Debian's Noto CJK fonts, so the Japanese report renders its glyphs (the CJK rendering test).
cjk-fonts:
	@fc-list :lang=ja 2>/dev/null | grep -q . || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) .drctl .pytest_cache .mypy_cache .ruff_cache drctl-demo
