# cph-conformance. `make help` lists the targets; each is thin and calls a tool or a module.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed-from-lock
# Everything below runs the locked tools of .venv, never whatever else PATH holds.
export PATH := $(BIN):$(PATH)
# Bytecode, pytest's rewritten test modules included, is cached inside .venv, never beside the sources (generated/
# stays as the generator wrote it): every later run, and every child process of one, starts without recompiling.
# (Python reads bytecode only from the prefix once it is set, so writing must be on: PYTHONDONTWRITEBYTECODE is not
# passed on.)
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache
unexport PYTHONDONTWRITEBYTECODE
# The generated client is imported from its source tree by the tests and benchmarks, as pytest does.
export PYTHONPATH := $(CURDIR)/generated

.DEFAULT_GOAL := help
.PHONY: help setup lock update generate check-generated wheel pin-wheel lint test pytest test-wheel test-hostile golden mock conformance render-report bench bench-record docs clean

help: ## List every target with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements/dev.lock
	@echo "==> creating $(VENV) from requirements/dev.lock (hash-pinned)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on --require-hashes -r requirements/dev.lock
	@touch $@

setup: $(STAMP) ## Create .venv from the hash-pinned lock (does nothing when it is up to date)

# The client's lock also resolves on the Python below its floor (3.10), so that pip gets as far as the wheel there and
# says which Pythons it needs, instead of failing on a dependency that only older Pythons need (no hash for it).
lock: $(STAMP) ## Recompile requirements/*.lock from requirements/*.in and generated/pyproject.toml (UPGRADE=1: newest allowed)
	uv pip compile requirements/dev.in --universal --generate-hashes $(if $(UPGRADE),--upgrade) --python-version 3.11 -o requirements/dev.lock
	uv pip compile generated/pyproject.toml -c requirements/dev.lock --universal --generate-hashes $(if $(UPGRADE),--upgrade) --python-version 3.10 -o requirements/client.lock

update: $(STAMP) ## Move every pin to its newest release, relock, regenerate if tools moved; print what moved (SUMMARY=file)
	@python -m cph_conformance.build.update $(if $(SUMMARY),--summary $(SUMMARY))

generate: $(STAMP) ## Regenerate generated/ from openapi/cph.yaml (a bad spec leaves it untouched)
	@python -m cph_conformance.build.codegen generate

check-generated: $(STAMP) ## Fail, with the diff, if generated/ differs from what the spec generates
	@python -m cph_conformance.build.codegen check

wheel: $(STAMP) ## Build dist/<name>-<version>-py3-none-any.whl and SHA256SUMS, byte-reproducibly; fail unless pinned for its version
	@python -m cph_conformance.build.wheel

pin-wheel: $(STAMP) ## Build the wheel and pin its SHA-256 for its version in openapi/wheel.sha256 (a new info.version; after make generate)
	@python -m cph_conformance.build.wheel --pin

lint: $(STAMP) ## ruff, mypy --strict (hand-written code and generated/), the workflows' and Dependabot's schemas, zizmor
	@echo "==> ruff"
	@ruff check --quiet . && ruff format --check --quiet .
	@echo "==> mypy --strict"
	@mypy
	@echo "==> workflow and Dependabot schemas"
	@check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	@check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	@echo "==> zizmor (workflow and Dependabot security, offline)"
	@zizmor --offline --quiet .github/workflows/*.yml .github/dependabot.yml

# Side by side: lint's second or so of CPU goes on while pytest starts and collects, when the other core is idle.
# Output synced by line where make can (GNU make 4+; macOS's make 3.81 cannot, and interleaves a little).
test: $(STAMP) ## Set up if needed, then lint and run every test, side by side (check-generated is one of them)
	@$(MAKE) --no-print-directory --jobs=2 $(if $(filter output-sync,$(.FEATURES)),--output-sync=line) lint pytest

pytest: $(STAMP) ## Run every test, without lint
	@echo "==> pytest"
	@python -m pytest

test-hostile: $(STAMP) ## Runs against hostile loopback endpoints, end to end (~3 min; CI runs it): bounds, deadline, exit status, no leak
	@CPH_TEST_HOSTILE=1 python -m pytest tests/test_hostile_run.py

golden: $(STAMP) ## Rewrite the reports' golden records (tests/golden_records/) from one fixed run: after a deliberate change
	@python -m tests.golden

# make test installs the wheel on this session's Python only: each install is a pip run of 5 to 10 s here.
test-wheel: $(STAMP) ## Install the pinned wheel by hash on every supported Python this machine has (and refuse 3.10); run the client there
	@CPH_WHEEL_PYTHONS="$${CPH_WHEEL_PYTHONS:-found}" python -m pytest tests/test_wheel.py

conformance: $(STAMP) ## The main job: conformance of CPH_REGION/CPH_BASE_URL or a local mock; settings: docs/settings.md or .ci/conformance --help
	@python -m cph_conformance.run

render-report: $(STAMP) ## Open reports/summary.html in headless Chromium (its verdict and history chart must render); save reports/summary.png
	@python -m cph_conformance.run.report.screenshot

mock: $(STAMP) ## Serve the mock in the foreground on 127.0.0.1, port CPH_MOCK_PORT or 8080 (FAULT=name breaks it)
	@python -m cph_conformance.mock $(if $(FAULT),--fault $(FAULT))

bench: $(STAMP) ## Measure the client, the mock and the conformance run (~3 min); mark each target met or missed; write .bench/BENCHMARKS.md
	@python -m cph_conformance.bench

bench-record: $(STAMP) ## Copy the last make bench result (.bench/BENCHMARKS.md) over the committed BENCHMARKS.md
	@python -m cph_conformance.bench --record

docs: $(STAMP) ## Build the docs site into site/ with MkDocs, strict: a broken link or anchor, or a page left out, fails
	@NO_MKDOCS_2_WARNING=1 python -m mkdocs build --strict
	@echo "the docs site is in site/ (open site/index.html)"

clean: ## Remove .venv, dist/, reports/ (and reports.d/), .bench/, site/ and caches
	rm -rf $(VENV) dist reports reports.d .bench site .mypy_cache .ruff_cache .hypothesis
