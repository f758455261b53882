# The two commands: `make run` and `make test`. `make check` runs every gate CI cares about.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | sha256sum | cut -c1-12)
# Two installs: `make run` installs what the server can use at run time (its dependencies and
# the RUN_EXTRAS: the PostgreSQL driver, object storage) and no test or lint tools; `make test`
# and the gates add the `dev` extra on top (which holds the run extras too).
RUN_EXTRAS := postgres,s3
STAMP_RUN := $(VENV)/.run-$(HASH)
STAMP := $(VENV)/.installed-$(HASH)

.PHONY: run test test-fast check lint typecheck importlint format bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[$(RUN_EXTRAS)]'
	rm -f $(VENV)/.run-*
	touch $(STAMP_RUN)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* $(VENV)/.run-*
	touch $(STAMP) $(STAMP_RUN)

install: $(STAMP)

run: $(STAMP_RUN)
	$(BIN)/jobferry db upgrade
	$(BIN)/jobferry serve

# The tests' files (SQLite databases, packages, the servers' data folders) go to memory where
# the machine has a shared-memory folder: SQLite's checkpoints fsync the database, and while
# something else writes to the disk (PostgreSQL, an install) each fsync waits on it. The
# importing service tests took 59 s beside a pip install on disk and 15 s quiet; 37 s in
# memory beside the same install. pytest keeps only the failed tests' folders (pyproject).
TEST_TMP := $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm)
TEST_ENV := TZ=Asia/Shanghai PYTHONDONTWRITEBYTECODE= $(if $(TEST_TMP),TMPDIR=$(TEST_TMP))

# Bytecode is cached even where the environment says PYTHONDONTWRITEBYTECODE: without it every
# test worker, server and CLI process compiles jobferry (and pytest rewrites every test module)
# from source again, ~20 s of CPU a run. The tests run in UTC+8 (TZ): jobferry keeps every time
# in UTC, and on a machine whose zone is UTC a time taken as local would pass unseen.
test: $(STAMP)
	.ci/ensure-chromium
	$(TEST_ENV) $(BIN)/python -m pytest -q -n 3 --dist loadgroup

# The fast tier, to run after each change: the unit and service tests (tests/unit: the services
# on SQLite, the embedded default, remotes against the in-memory DataArts stand-in) and the code
# gates (code shape, docs, wording, releases: the last two ~2 s of CPU), no server process.
# Three workers on two cores: a third of the tier's time is tests waiting (a lock held, a
# helper process starting, a timeout that must go by), which a third worker fills (43.7 s
# against 46.6 s with two, measured back to back). A worker that runs dry takes tests from
# another's queue (worksteal): the tier ends 3 to 7 s sooner than with tests handed out in
# fixed batches. No module of this tier must share a worker.
# `make test` runs them on PostgreSQL too; `make test-fast DATABASES=sqlite,postgresql` here.
# Only tests/api uses schemathesis: its pytest plugin (~0.7 s of CPU in every process) is off.
# The generated-story tests (importing, remote pushes, route promotions, releases, tasks…)
# tell at most FAST_STORIES stories each here, the same ones every run, against their 4-25 in
# `make test` (about 12 s of CPU saved); JOBFERRY_FUZZ_EXAMPLES, when set, tells that many.
DATABASES ?= sqlite
FAST_STORIES ?= 8
test-fast: $(STAMP)
	$(TEST_ENV) JOBFERRY_FUZZ_AT_MOST=$(FAST_STORIES) $(BIN)/python -m pytest -q -n 3 --dist worksteal \
		-p no:schemathesis --databases $(DATABASES) tests/unit tests/test_code_shape.py tests/test_docs.py \
		tests/test_wording.py tests/test_releases.py

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

importlint: $(STAMP)
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

check: lint typecheck importlint test

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
