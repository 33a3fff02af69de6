# Two commands do everything on a fresh Debian 12 machine with Python 3.11:
#   make reports   build every briefing (HTML + PDF, Chinese and English) into reports/
#   make test      run the tests (including a real end-to-end build)
# Both set up what they need on first use and do nothing extra the second time.
#   make test-fast the tests that need no real kernel or browser, on every core (about 2 minutes on 2 cores)

VENV    := .venv
# pytest rewrites the asserts of every test module when it imports them (about 4 CPU-seconds for
# this suite) and keeps the result in tests/__pycache__, unless PYTHONDONTWRITEBYTECODE is set, as
# it is on some CI machines: then each worker of each half did it again. The tests run with it unset.
PYTEST  := PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest
STAMP   := $(VENV)/.nrmc-installed
SCOPES  ?=
ARGS    ?=

.PHONY: setup setup-system setup-test-system bytecode reports test test-fast bench screenshot clean-reports constraints

setup: setup-system $(STAMP)

setup-system:
	@scripts/setup-system.sh chromium fonts-noto-cjk fonts-noto-core

setup-test-system:
	@scripts/setup-system.sh chromium fonts-noto-cjk fonts-noto-core poppler-utils

# Reinstall the package only when its requirements changed since the last install.
$(STAMP): pyproject.toml constraints.txt setup.py
	@scripts/setup-venv.sh $(STAMP)

# The package's compiled bytecode, brought up to date (a tenth of a second when it is): with
# PYTHONDONTWRITEBYTECODE set, as on some CI machines, every process (the build, each kernel, each
# test's subprocess) otherwise compiled nrmc's ~70 modules again, about 0.6 CPU-seconds each.
bytecode: $(STAMP)
	@$(VENV)/bin/python -m compileall -q -j 0 src/nrmc

reports: setup bytecode
	$(VENV)/bin/nrmc build $(SCOPES) $(ARGS)

test: setup-test-system $(STAMP) bytecode
	@if ls tests/test_browser*.py >/dev/null 2>&1 && [ -x scripts/browser_deps.sh ]; then scripts/browser_deps.sh; fi
	@# the tests that need no kernel or browser on every core, then the end-to-end tests on every
	@# core too: the builds wait on kernels and Chromium much of the time, the workers share the one
	@# site build (tests/conftest.py) and each module stays on one worker (--dist loadscope), so
	@# that its module fixtures (its own build) are made once, in the order tests/conftest.py gives
	@# (the longest first: xdist would otherwise hand out the modules with most tests first and
	@# leave the one long test, TestManyRandomEdits, to the end on one worker);
	@# exit 5 = "nothing selected" (ARGS naming one file); the fast half's tests of one briefing
	@# composed in process are consecutive, so mostly on one worker (tests/conftest.py, COMPOSING)
	$(PYTEST) -m "not e2e" -n auto $(ARGS) || [ $$? -eq 5 ]
	$(PYTEST) -m e2e -n auto --dist loadscope --no-loadscope-reorder $(ARGS) || [ $$? -eq 5 ]

# Everything that needs no Jupyter kernel and no browser.
test-fast: setup-system $(STAMP) bytecode
	$(PYTEST) -m "not e2e" -n auto $(ARGS)

# Re-pin constraints.txt to what is installed now (after changing the ranges in pyproject.toml).
constraints: $(STAMP)
	@{ sed -n '1,3p' constraints.txt; $(VENV)/bin/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt

# Timings against the do-it-yourself loop (about 20 min; prints a table, never part of the tests).
bench: setup-test-system $(STAMP)
	$(VENV)/bin/python benchmarks/build.py $(ARGS)

# Regenerate the README's screenshot from a built briefing.
screenshot: reports
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1250 \
	  --screenshot=docs/img/briefing-anhui.png file://$(CURDIR)/reports/anhui.html

clean-reports:
	rm -rf reports/*.html reports/*.pdf reports/notebooks reports/en reports/.state
