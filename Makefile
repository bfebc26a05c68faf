# hizone: `make demo` runs the demo server, `make test` runs the whole suite. Both set up everything.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
APT_UPDATED := /tmp/.hizone-apt-updated

.PHONY: demo test bench lint system-deps

$(VENV_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(VENV_STAMP)

# PostgreSQL (store tests), Chromium (browser tests) and Java (PySpark tests), from Debian, when missing.
system-deps:
	@need=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	command -v java >/dev/null 2>&1 || need="$$need default-jre-headless"; \
	fc-list 2>/dev/null | grep -qi "noto sans cjk" || need="$$need fonts-noto-cjk"; \
	if [ -n "$$need" ]; then \
	  echo "installing$$need (apt)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$need >/dev/null; \
	fi

demo: $(VENV_STAMP) system-deps
	@test -f var/hizone.sqlite || { .venv/bin/hizone demo && .venv/bin/hizone evaluate --year 2022 \
	  && .venv/bin/hizone evaluate --year 2023 && .venv/bin/hizone alerts run \
	  && .venv/bin/hizone report zone --zone Z1101 --year 2023 --out var/reports/Z1101-2023.pdf \
	  && .venv/bin/hizone report monthly --out var/reports/monthly-nation.pdf; }
	.venv/bin/hizone db upgrade
	.venv/bin/hizone serve --host 127.0.0.1 --port 8000

lint: $(VENV_STAMP)
	.venv/bin/ruff check src tests benchmarks tools
	.venv/bin/mypy

# The audit fails on a known vulnerability in a pin; an unreachable service is reported, not a failure.
test: $(VENV_STAMP) system-deps lint
	$(PY) tools/audit_pins.py
	$(PY) -m pytest -n 2 --dist loadgroup --durations=40

bench: $(VENV_STAMP)
	$(PY) benchmarks/run.py
