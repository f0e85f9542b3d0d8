# SPSR developer commands. `make run` and `make test` set everything up on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# Python 3.13: the Lambda runtime the functions run on. PATH first, then pyenv's versions.
# A candidate counts only if it runs: pyenv's shim answers `command -v` even where it cannot run 3.13.
PYTHON ?= $(shell for p in $$(command -v python3.13) $$(ls -d $$HOME/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt package-lock.json | sha256sum | cut -c1-12)

# make synth / make deploy: the .chalice/config.json stage, and extra `cdk deploy` arguments
# (e.g. DEPLOY_ARGS="--parameters BankUrl=https://... -c alarmEmail=ops@example.org").
STAGE ?= prod
DEPLOY_ARGS ?=
# The CDK's Node.js runtime warns on every call about Node 20's end of life (Debian's nodejs): it works.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

# The Lambda architecture `make package` builds for (README "Deployment package").
LAMBDA_ARCH ?= x86_64

ROLE ?= mahalla_worker
SCOPE ?=

.PHONY: help install run test lint typecheck pytest token demo bench agencies synth deploy package clean

help:
	@echo "make run     - set up and run the registry on the embedded local stack (Ctrl-C stops it)"
	@echo "make test    - set up and run ruff, mypy and the whole test suite"
	@echo "make demo    - a scripted month on the local stack: applications, decisions, payroll, reconciliation"
	@echo "make token ROLE=<role> SCOPE=<code> - print a local bearer token (last line)"
	@echo "make agencies - run only the agency services (prints their URLs as JSON)"
	@echo "make bench   - run the benchmarks in bench/ (minutes; figures go in bench/README.md)"
	@echo "make synth STAGE=prod  - synthesise the AWS stack (CDK, cdk-nag) into cdk.out/ and lint it with cfn-lint"
	@echo "make deploy STAGE=prod - synthesise, then deploy it with the pinned CDK CLI (AWS credentials needed)"
	@echo "make package - build the Lambda layer (dist/layer.zip) and the Chalice app (dist/app, dist/chalice)"

$(STAMP): requirements.txt requirements-dev.txt constraints.txt package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed (the CDK and asl-validator): apt-get install nodejs npm"; exit 1; }
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.13 is needed: install it (e.g. 'pyenv install 3.13' or 'apt-get install python3.13') or run make PYTHON=/path/to/python3.13"; exit 1; fi
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then echo "$(VENV) is not Python 3.13: recreating it"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip<26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/python -m devstack.run

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest

test: lint typecheck pytest

token: install
	@$(BIN)/python -m devstack.token --role "$(ROLE)" --scope "$(SCOPE)"

demo: install
	$(BIN)/python -m devstack.demo

agencies: install
	$(BIN)/python -m devstack.agencies.run

bench: install
	$(BIN)/python bench/reassess_bench.py
	$(BIN)/python -m bench.bench_population 100000
	$(BIN)/python -m bench.bench_collection 200 4 2000
	$(BIN)/python -m bench.payroll_bench
	$(BIN)/python bench/cold_start.py
	$(BIN)/python -m bench.field_cipher_bench 200000

package: install
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/python -m infra.package --arch $(LAMBDA_ARCH)

synth: install
	rm -rf cdk.out
	CDK_OUTDIR=cdk.out STAGE=$(STAGE) AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/python -m infra.cdk_app
	$(BIN)/cfn-lint cdk.out/spsr-$(STAGE).template.json

deploy: synth
	node_modules/.bin/cdk deploy --app cdk.out spsr-$(STAGE) --require-approval broadening $(DEPLOY_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-out cdk.out chalice.out node_modules dist
