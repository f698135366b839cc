# Every target installs what it needs: a fresh clone only needs python3 (and node/npm for `make deploy`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_DEFAULT_REGION ?= us-east-1

.DEFAULT_GOAL := help
.PHONY: help install lint test test-fast demo synth bundle desktop browser bench bench-suite deploy deploy-check smoke-test lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies

lint: $(STAMP) ## ruff
	$(BIN)/ruff check .

bundle: $(STAMP) ## Build the Lambda asset (.build/lambda) locally, no docker
	$(BIN)/python -m infra.bundling

# The agent desktop page: npm ci (desktop/package-lock.json), tsc --noEmit, esbuild into desktop/dist (not
# committed: built from the lock, like .build/lambda).
DESKTOP_SOURCES := $(wildcard desktop/src/*.ts desktop/static/*) desktop/build.mjs desktop/tsconfig.json

desktop/node_modules/.installed: desktop/package.json desktop/package-lock.json
	cd desktop && npm ci --no-audit --no-fund
	touch $@

desktop/dist/index.html: desktop/node_modules/.installed $(DESKTOP_SOURCES)
	cd desktop && npm run build --silent

desktop: desktop/dist/index.html ## Build the agent desktop page (npm ci, tsc, esbuild) into desktop/dist

# The browser tests drive Debian's chromium (Playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium

browser: ## Install Debian's chromium for the browser tests and the desktop benchmark (apt, as root)
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# Two workers (this project's CI machine has two cores); the CDK synth tests share one (tests/conftest.py).
PYTEST_WORKERS ?= 2
# pytest keeps its assertion-rewritten test modules, and Python our modules, as bytecode in __pycache__ (ignored by
# git and by the bundler): with PYTHONDONTWRITEBYTECODE set in the environment, every run compiled them all again in
# each worker (about 2.5 s of CPU each).
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest

test: $(STAMP) bundle desktop browser lint ## The whole suite: lint, unit, flows, integration (moto), infra (synth + cdk-nag + cfn-lint)
	$(PYTEST) -n $(PYTEST_WORKERS) --dist loadgroup

test-fast: $(STAMP) desktop browser ## Tests without the CDK synth
	$(PYTEST) -n $(PYTEST_WORKERS) --dist loadgroup -m "not infra"

demo: $(STAMP) ## A simulated Tuesday of calls, chats, texts and tasks (surveys, tickets) and a day of outreach on the local moto backend, with its report; then a staffing plan for the day after three weeks of history
	$(BIN)/callcenter seed demo/profiles.csv
	$(BIN)/callcenter simulate --calls 400 --seed 7 --profiles demo/profiles.csv --date 2026-11-24 --channels demo/channels.json --records .callcenter/records
	$(BIN)/callcenter outreach --date 2026-12-01 --profiles demo/profiles.csv --records .callcenter/records
	$(BIN)/callcenter report --from .callcenter/records --html .callcenter/report.html
	$(BIN)/callcenter history --weeks 3 --calls-per-day 400 --out .callcenter/history
	$(BIN)/callcenter forecast --history .callcenter/history --days 1 --out .callcenter/forecast
	$(BIN)/callcenter staff --forecast .callcenter/forecast --out .callcenter/plan

# Context beyond cdk.json for synth, deploy-check and deploy alike: make deploy CONTEXT="phone_number_country=US ..."
CONTEXT ?=
CONTEXT_ARGS := $(foreach c,$(CONTEXT),-c $(c))

synth: $(STAMP) bundle desktop ## Synthesize the templates offline (cdk-nag inside, cdk.json's context and CONTEXT), then cfn-lint them
	rm -rf cdk.out
	$(BIN)/python app.py $(CONTEXT_ARGS)
	$(BIN)/cfn-lint cdk.out/*.template.json

deploy-check: synth ## Pre-flight: what a deployment with this context is missing (with AWS credentials, the account too)
	$(BIN)/callcenter deploy-check $(CONTEXT_ARGS)

bench: $(STAMP) bundle desktop browser ## Benchmarks: cold start from the Lambda asset, routing, surveys, outreach, tickets API, caller verification, pacing, simulator, KPIs over 1M contact records, history, forecast and staffing, desktop screen pop, live sentiment, the test suite
	$(BIN)/python benchmarks/cold_start_benchmark.py
	$(BIN)/python benchmarks/routing_benchmark.py
	$(BIN)/python benchmarks/survey_benchmark.py
	$(BIN)/python benchmarks/outreach_benchmark.py
	$(BIN)/python benchmarks/tickets_benchmark.py
	$(BIN)/python benchmarks/verification_benchmark.py
	$(BIN)/python benchmarks/pacing_benchmark.py
	$(BIN)/python benchmarks/simulator_benchmark.py
	$(BIN)/python benchmarks/kpi_benchmark.py
	$(BIN)/python benchmarks/history_benchmark.py
	$(BIN)/python benchmarks/desktop_benchmark.py
	$(BIN)/python benchmarks/staffing_benchmark.py
	$(BIN)/python benchmarks/sentiment_benchmark.py
	$(BIN)/python benchmarks/suite_benchmark.py

bench-suite: $(STAMP) bundle desktop browser ## make test's pytest run timed (wall, CPU) beside its goal, and the time each issue's tests add
	$(BIN)/python benchmarks/suite_benchmark.py

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

deploy: $(STAMP) bundle desktop node_modules/.installed ## cdk deploy (needs AWS credentials); run make deploy-check first
	npx cdk deploy --all $(CONTEXT_ARGS)

smoke-test: $(STAMP) ## After make deploy: instance, flows, number and its flow, caller ID, a test contact (needs AWS)
	$(BIN)/callcenter smoke-test $(CONTEXT_ARGS)

lock: ## Re-resolve requirements.lock from pyproject.toml
	rm -rf /tmp/cc-lock-venv && $(PYTHON) -m venv /tmp/cc-lock-venv
	/tmp/cc-lock-venv/bin/pip install --quiet --upgrade pip
	/tmp/cc-lock-venv/bin/pip install --quiet '.[dev]'
	/tmp/cc-lock-venv/bin/pip freeze --exclude serverless-contact-center > requirements.lock

clean: ## Remove build output and the virtual environment
	rm -rf $(VENV) .build cdk.out node_modules desktop/node_modules desktop/dist .pytest_cache .callcenter
