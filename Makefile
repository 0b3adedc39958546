# Two commands matter: `make demo` (the main job) and `make test` (every test and check).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLES ?= ../shared/samples

.PHONY: demo test lint imports typecheck unit integration e2e tests reliability checkov bench clean \
	browser fuzz console-deploy

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# checkov pins boto3 1.35 (the project needs >= 1.40) and older pytest and packaging, so it gets
# a venv of its own; tests/integration/test_template.py runs it from here.
CHECKOV_VERSION := 3.3.30
CHECKOV := $(VENV)/checkov/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/pip install --quiet checkov==$(CHECKOV_VERSION)

demo: $(STAMP)
	$(BIN)/python -m clearance.cli.demo --samples $(SAMPLES) --out build/demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/clearance policy lint

# The wings import one way, the core stays pure (contracts in pyproject.toml).
imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# Layers, each on both cores (pytest-xdist): the pure core and the services over in-memory fakes
# (seconds), the adapters and handlers on moto, the local stack over real HTTP.
PARALLEL := -n 2
unit: $(STAMP)
	$(BIN)/pytest -q $(PARALLEL) tests/unit

integration: $(STAMP) $(CHECKOV)
	$(BIN)/pytest -q $(PARALLEL) tests/integration

e2e: $(STAMP)
	$(BIN)/pytest -q $(PARALLEL) tests/e2e

# Every test: the three layers and a bounded fuzzing run, both cores, the slowest printed. The
# reliability tests are among them; their figures are summarised at the end.
FUZZ_SECONDS ?= 6
tests: $(STAMP) $(CHECKOV)
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/pytest -q $(PARALLEL) --durations=15

# The reliability proof suite alone (tests marked `reliability`), ending with the figure of each.
reliability: $(STAMP) $(CHECKOV)
	$(BIN)/pytest -q -m reliability

# checkov on the template and its SAM translation; fails on a check .checkov.yaml does not justify.
checkov: $(STAMP) $(CHECKOV)
	$(BIN)/pytest -q tests/integration/test_template.py -k checkov

# The report and console tests open Debian's Chromium (the console's driven by Playwright, never
# a browser it downloads); install it where we may (root).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium is not installed: the browser test will be skipped"

test: lint imports typecheck browser tests

# Coverage-guided fuzzing of every reader, the door and the decision, longer than `make test`
# runs it: FUZZ_SECONDS per target (default 120), two targets at a time.
fuzz: $(STAMP)
	FUZZ_SECONDS=$${FUZZ_SECONDS:-120} $(BIN)/pytest -q tests/fuzz

bench: $(STAMP)
	$(BIN)/python bench/engine.py

# The desk's console to its bucket, with config.json from the stack's outputs (needs the AWS CLI
# and the stack deployed): make console-deploy STACK=<stack name>
CONSOLE_FILES := functions/clearance/console
console-deploy:
	@test -n "$(STACK)" || { echo "usage: make console-deploy STACK=<stack name>" >&2; exit 2; }
	@output() { aws cloudformation describe-stacks --stack-name "$(STACK)" \
		--query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	region=$$(aws configure get region || echo "$$AWS_REGION"); \
	bucket=$$(output ConsoleBucketName); pool=$$(output DeskUserPoolId); \
	client=$$(output DeskConsoleClientId); mkdir -p build; \
	printf '{"region": "%s", "userPoolId": "%s", "clientId": "%s", "cognitoEndpoint": "https://cognito-idp.%s.amazonaws.com/", "api": ""}\n' \
		"$$region" "$$pool" "$$client" "$$region" > build/console-config.json && \
	aws s3 sync --delete --exclude config.json $(CONSOLE_FILES) "s3://$$bucket/console/" && \
	aws s3 cp --cache-control no-store build/console-config.json "s3://$$bucket/console/config.json" && \
	echo "console: $$(output ConsoleUrl)"

clean:
	rm -rf $(VENV) build .aws-sam .pytest_cache .mypy_cache .ruff_cache

# sam build (BuildMethod: makefile) targets
-include build.mk
