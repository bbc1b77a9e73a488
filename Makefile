# Two commands for a newcomer: `make demo` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Debian packages the project needs at run time and in tests.
APT_PACKAGES := graphviz fonts-liberation2 fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 chromium poppler-utils
PYTEST_ARGS ?=

.PHONY: setup system-packages venv migrate demo serve test lint bench lock clean

setup: system-packages $(VENV)/.installed migrate

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  log=$$(mktemp); \
	  if ! ( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	         --no-install-recommends $$missing ) >$$log 2>&1; then cat $$log; echo "apt-get failed"; exit 1; fi; \
	fi

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.lock
	touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput -v 0

demo: setup
	$(PY) manage.py load_demo
	@echo
	@echo "Serving the demo enterprise on http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/)"
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) manage.py bench

# Regenerate requirements.lock from the pins in pyproject.toml in a throwaway venv.
lock:
	rm -rf /tmp/sc-lock && $(PYTHON) -m venv /tmp/sc-lock
	/tmp/sc-lock/bin/pip install -q ".[dev]"
	( echo '# Locked transitive dependencies (runtime + dev). Regenerate with `make lock`.'; \
	  /tmp/sc-lock/bin/pip freeze --exclude scorecard-cascade ) > requirements.lock

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
