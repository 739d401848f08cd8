# The single entry point. Needs only python3 and make: the first target run
# bootstraps uv into .uv/ and installs the locked dependencies into .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
SHARED ?= ../shared
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run demo test lint format bench eval clean sync wheels

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --no-build: every dependency installs from a wheel, so a fresh machine never compiles;
# a locked package without a wheel for this machine fails here (only the project is built).
$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --no-build --python $(PYTHON)
	@touch $@

sync: $(UV)
	$(UV) sync --frozen --no-build --python $(PYTHON)
	@touch $(STAMP)

# Wheels for Linux x86_64/aarch64 and macOS for each supported Python (asks the index).
wheels: $(STAMP)
	$(VENV)/bin/python -m tools.check_wheels $(UV)

$(VENV): $(STAMP)

run: $(STAMP)
	$(VENV)/bin/newsbrief run

demo: $(STAMP)
	$(VENV)/bin/newsbrief demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The suite on every core (pytest-xdist), a test file per worker at a time; TEST_WORKERS=0
# runs it in this one process.
TEST_WORKERS ?= auto
test: lint
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(VENV)/bin/python -m bench

eval: $(STAMP)
	$(PYTHON) $(SHARED)/tools/attribution_eval.py --data $(SHARED)/polnear-dev --cmd "$(VENV)/bin/newsbrief extract --jsonl"

clean:
	rm -rf $(VENV) .uv .pytest_cache .mypy_cache .ruff_cache
