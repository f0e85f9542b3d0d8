# SPSR developer commands. `make run` and `make test` set everything up on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# Python 3.13: the Lambda runtime the functions run on. PATH first, then pyenv's versions.
# A candidate counts only if it runs: pyenv's shim answers `command -v` even where it cannot run 3.13.
PYTHON ?= $(shell for p in $$(command -v python3.13) $$(ls -d $$HOME/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -c1-12)

# The Lambda architecture `make package` builds for (README "Deployment package").
LAMBDA_ARCH ?= x86_64

ROLE ?= mahalla_worker
SCOPE ?=

.PHONY: help install run test lint typecheck pytest token demo bench agencies synth package clean

help:
	@echo "make run     - set up and run the registry on the embedded local stack (Ctrl-C stops it)"
	@echo "make test    - set up and run ruff, mypy and the whole test suite"
	@echo "make demo    - a scripted month on the local stack: applications, decisions, payroll, reconciliation"
	@echo "make token ROLE=<role> SCOPE=<code> - print a local bearer token (last line)"
	@echo "make agencies - run only the agency services (prints their URLs as JSON)"
	@echo "make bench   - run the benchmarks in bench/ (minutes; figures go in bench/README.md)"
	@echo "make synth   - synthesise the AWS stack (CDK) into cdk.out/ and lint it with cfn-lint"
	@echo "make package - build the Lambda layer (dist/layer.zip) and the Chalice app (dist/app, dist/chalice)"

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.13 is needed: install it (e.g. 'pyenv install 3.13' or 'apt-get install python3.13') or run make PYTHON=/path/to/python3.13"; exit 1; fi
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then echo "$(VENV) is not Python 3.13: recreating it"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip<26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
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
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "chalice[cdkv2]==1.34.0" -c constraints.txt
	CDK_OUTDIR=cdk.out AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} PYTHONPATH=. $(BIN)/python infra/cdk_app.py
	$(BIN)/cfn-lint cdk.out/*.template.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-out cdk.out dist
