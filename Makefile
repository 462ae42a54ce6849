# One Makefile; CI calls the same targets. `make dev` runs the stack, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(CURDIR)/.tools/bin/uv
endif
PACKAGES := service-kit auth-service profile-service cloudinary-emulator devstack
PYTEST := $(UV) run --frozen pytest
# The e2e modules run in this many processes (each with its own MongoDB and stacks): they mostly wait on
# real processes and the browser, so two share the 2 cores well.
E2E_WORKERS ?= 2

.PHONY: help install dev test lint fmt api-types test-python test-web test-e2e test-fidelity fidelity bench soak lighthouse clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/python -m pip install --quiet uv

.venv/.synced: uv.lock pyproject.toml $(addsuffix /pyproject.toml,$(PACKAGES)) | $(UV)
	$(UV) sync --frozen --all-packages
	@touch $@

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

# The seeds' upload server that bench/seed_comparison.py measures beside ours (a comparison, not the product).
bench/seed/node_modules/.installed: bench/seed/package.json bench/seed/package-lock.json
	cd bench/seed && npm ci --no-audit --no-fund
	@touch $@

install: .venv/.synced web/node_modules/.installed bench/seed/node_modules/.installed ## Install Python and web dependencies (uv installs itself if missing)

dev: install ## Run the whole stack locally (MongoDB stand-in, emulator, services, web on :8080)
	$(UV) run --frozen python -m devstack dev

lint: install ## ruff, formatting and mypy --strict over every package; tsc, ESLint and Prettier over the web app
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	@for p in $(PACKAGES); do echo "mypy $$p"; (cd $$p && $(UV) run --frozen mypy --config-file ../pyproject.toml src tests) || exit 1; done
	$(UV) run --frozen mypy --config-file pyproject.toml e2e bench deploy
	cd web && npm run --silent typecheck
	cd web && npm run --silent lint

fmt: install ## Format and autofix
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .
	cd web && npm run --silent format

api-types: install ## Regenerate the web app's API types from both services' OpenAPI documents
	$(UV) run --frozen python -m devstack openapi-types

test-python: install ## Each package's unit and integration tests
	@for p in $(PACKAGES); do echo "== $$p"; (cd $$p && $(PYTEST)) || exit 1; done

test-web: install ## The web app's own tests
	cd web && npm test

test-e2e: install ## The whole stack as real processes, a real browser (Debian chromium), deploy-file checks
	$(PYTEST) -n $(E2E_WORKERS) --dist loadfile --durations=15 e2e deploy/tests

fidelity: install ## The official SDKs' own tests against a fresh emulator: prints the table, writes fidelity/results.json and the README table
	$(UV) run --frozen python cloudinary-emulator/fidelity/run.py

test-fidelity: install ## Short fidelity run (the in-scope SDK tests only); fails if any of them fails
	$(UV) run --frozen python cloudinary-emulator/fidelity/run.py --short

test: lint test-python test-web test-e2e test-fidelity ## Everything CI runs

bench: install ## Benchmarks; prints ratios against a baseline measured in the same run
	$(UV) run --frozen python -m bench

soak: install ## The full chaos soaks (1,000 uploads from 50 users under faults, without and with moderation); make test runs short ones
	SOAK=1 $(PYTEST) e2e/test_chaos_soak.py -s

lighthouse: install ## Lighthouse on the production build's public pages (mobile): prints the four scores per page, reports in e2e/artifacts/lighthouse/
	$(UV) run --frozen python -m e2e.lighthouse

clean: ## Remove build and test leftovers (keeps .data/, your dev data)
	rm -rf .venv .tools web/node_modules bench/seed/node_modules web/dist e2e/artifacts .pytest_cache .mypy_cache .ruff_cache
