# guestlist — the two commands are `make run` and `make test`; everything else is a tier of them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest

.PHONY: install run test lint unit integration e2e chaos browser bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/guestlist up --demo

test: install lint unit integration e2e

lint: install
	$(BIN)/cfn-lint template.yaml

unit: install
	$(PYTEST) tests/unit -q -n 2

integration: install
	$(PYTEST) tests/integration -q -n 2

e2e: install
	$(PYTEST) tests/e2e -q

# the chaos tier at length: more seeds, larger races (make integration runs one seed of each)
chaos: install
	GUESTLIST_CHAOS_RUNS=$${GUESTLIST_CHAOS_RUNS:-5} GUESTLIST_CHAOS_SCALE=$${GUESTLIST_CHAOS_SCALE:-2} \
		$(PYTEST) tests/integration/handlers/test_chaos_outcomes.py -q -n 2

bench: install
	$(BIN)/python -m bench.check_speed
	$(BIN)/python -m bench.import_speed
	$(BIN)/python -m bench.guest_speed
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.campaign_speed

clean:
	rm -rf $(VENV) .pytest_cache
