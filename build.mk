# Targets run by `sam build` for functions with `BuildMethod: makefile`. SAM runs
# `make build-<LogicalId>` in a copy of the function's CodeUri (the repository root) with
# ARTIFACTS_DIR set to the directory that becomes the function's code.
#
# By default third-party packages are fetched as wheels for Lambda's arm64 Python 3.11 runtime,
# which runs on Amazon Linux 2 (glibc 2.26): manylinux2014 wheels, and manylinux_2_26 ones
# (google-re2 ships its aarch64 wheels only with that tag). LAMBDA_PIP_PLATFORM is a list of
# pip platform tags; set it empty to install for the host instead (local runs and tests):
#   make build-ProcessorFunction ARTIFACTS_DIR=build/processor LAMBDA_PIP_PLATFORM=

PYTHON ?= python3
LAMBDA_PIP_PLATFORM ?= manylinux2014_aarch64 manylinux_2_26_aarch64
LAMBDA_PYTHON_VERSION ?= 3.11
LAMBDA_REQUIREMENTS ?= functions/requirements.txt

LAMBDA_PIP_TARGET_FLAGS := $(if $(strip $(LAMBDA_PIP_PLATFORM)),$(foreach p,$(LAMBDA_PIP_PLATFORM),--platform $(p)) --implementation cp --python-version $(LAMBDA_PYTHON_VERSION) --only-binary=:all:)

# What no function runs: the command line, the one-machine stack (which imports moto) and the
# console's static files (served from their own bucket).
# Import contracts keep handlers from importing them; tests/integration/test_artifact.py checks
# that no artifact holds them and that every function still runs without them.
LAMBDA_LEFT_OUT := cli local console

define lambda_artifact
	$(if $(strip $(ARTIFACTS_DIR)),,$(error ARTIFACTS_DIR is not set; sam build sets it))
	mkdir -p "$(ARTIFACTS_DIR)"
	rm -rf "$(ARTIFACTS_DIR)/clearance"
	cp -R functions/clearance "$(ARTIFACTS_DIR)/clearance"
	rm -rf $(foreach wing,$(LAMBDA_LEFT_OUT),"$(ARTIFACTS_DIR)/clearance/$(wing)")
	find "$(ARTIFACTS_DIR)/clearance" -name __pycache__ -type d -prune -exec rm -rf {} +
	cp -R schemas "$(ARTIFACTS_DIR)/clearance/schemas"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-compile --no-warn-conflicts --upgrade \
		--target "$(ARTIFACTS_DIR)" $(LAMBDA_PIP_TARGET_FLAGS) -r $(LAMBDA_REQUIREMENTS)
	$(lambda_bytecode)
endef

# Lambda's code directory is read-only, so a module without bytecode in the artifact is compiled
# from source on every cold start (the processor's import: 1,241 ms without bytecode, 541 ms
# with it, bench/coldstart.py). Every module is compiled at build time, unchecked-hash (PEP 552:
# used as is, no source timestamps to compare, which zip archives round), by an interpreter of
# Lambda's version: another version's bytecode would be ignored, so the build stops instead.
define lambda_bytecode
	$(PYTHON) -c 'import sys; v = "$(LAMBDA_PYTHON_VERSION)"; sys.exit(0 if f"{sys.version_info[0]}.{sys.version_info[1]}" == v else f"build.mk: bytecode for Lambda needs Python {v}, PYTHON is {sys.version.split()[0]}: set PYTHON=python{v}, or run sam build --use-container")'
	$(PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)" > /dev/null
endef

.PHONY: build-WebhookFunction build-ProcessorFunction build-AuditReviewFunction build-AuditDigestFunction \
	build-LifecycleFunction build-KillFunction build-ReviewFunction build-FeedPollerFunction

build-WebhookFunction build-ProcessorFunction build-AuditReviewFunction build-AuditDigestFunction \
build-LifecycleFunction build-KillFunction build-ReviewFunction build-FeedPollerFunction:
	$(lambda_artifact)
