# The appliance's entry points. Two commands matter to a newcomer (as root, fresh Debian/Ubuntu):
#   make demo   run the appliance end to end on the embedded defaults
#   make test   set up everything and run every test (what CI runs)
SHELL := /bin/bash
.DEFAULT_GOAL := help
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

ROOT     := $(CURDIR)
VENV     := $(ROOT)/.venv
CTL      := $(ROOT)/.venv-ctl
PY       := $(VENV)/bin/python
CTLPY    := $(CTL)/bin/python
ARTIFACTS ?= $(ROOT)/artifacts
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export PATH := $(CTL)/bin:$(PATH)

.PHONY: help setup setup-dev setup-ctl lint test test-unit test-lab
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9][a-zA-Z0-9_.-]*:([^=].*)?## ' $(MAKEFILE_LIST) | LC_ALL=C sort -t: -k1,1 | awk -F':.*## ' '{n[NR] = $$1; d[NR] = $$2; if (length($$1) > w) w = length($$1)} END {for (i = 1; i <= NR; i++) printf "  make %-" w "s  %s\n", n[i], d[i]}'

setup: ## everything: the lab's Debian packages (root) and both virtualenvs (.venv 3.11, .venv-ctl 3.12)
	@bash scripts/setup.sh lab

setup-dev: ## only .venv (3.11): what model, serve, bench and test-unit need; no root (docs/setup.md)
	@bash scripts/setup.sh dev

setup-ctl: ## only .venv-ctl (3.12: ansible, testinfra): what deploy, wheelhouse, verify need; no root, no lab
	@bash scripts/setup.sh ctl

lint: setup ## ruff on all Python, ansible-lint (production profile), actionlint + zizmor on .github/workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd $(ROOT) && $(CTL)/bin/ansible-lint --profile production
	$(MAKE) --no-print-directory workflow-lint

test: setup lint test-unit test-lab ## set up everything and run every test (what CI runs)

test-unit: setup-dev setup-ctl bench-deps ## tests that need no lab fleet (model, compiler, daemon, telemetry): -m "not lab"
	$(PY) -m pytest -p no:cacheprovider --durations=15 tests -m "not lab"
	EDGE_TEST_CTL=1 $(CTLPY) -m pytest -p no:cacheprovider -m "ctl and not lab" $$(grep -rlE --include='test_*.py' 'mark\.ctl\b' tests)

include $(sort $(wildcard mk/*.mk))
