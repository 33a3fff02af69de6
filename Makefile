# Two commands do everything on a fresh Debian 12 machine with Python 3.11:
#   make reports   build every briefing (HTML + PDF) into reports/
#   make test      run the tests (including a real end-to-end build)
# Both set up what they need on first use and do nothing extra the second time.

VENV    := .venv
STAMP   := $(VENV)/.nrmc-installed
SCOPES  ?=
ARGS    ?=

.PHONY: setup setup-system setup-test-system reports test bench screenshot clean-reports

setup: setup-system $(STAMP)

setup-system:
	@scripts/setup-system.sh chromium fonts-noto-cjk

setup-test-system:
	@scripts/setup-system.sh chromium fonts-noto-cjk poppler-utils

# Reinstall the package only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@scripts/setup-venv.sh $(STAMP)

reports: setup
	$(VENV)/bin/nrmc build $(SCOPES) $(ARGS)

test: setup-test-system $(STAMP)
	@if ls tests/test_browser*.py >/dev/null 2>&1 && [ -x scripts/browser_deps.sh ]; then scripts/browser_deps.sh; fi
	$(VENV)/bin/pytest $(ARGS)

# Timings against the do-it-yourself loop (about 20 min; prints a table, never part of the tests).
bench: setup-test-system $(STAMP)
	$(VENV)/bin/python benchmarks/build.py $(ARGS)

# Regenerate the README's screenshot from a built briefing.
screenshot: reports
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1250 \
	  --screenshot=docs/img/briefing-anhui.png file://$(CURDIR)/reports/anhui.html

clean-reports:
	rm -rf reports/*.html reports/*.pdf reports/notebooks reports/.state
