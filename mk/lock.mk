# Locks: one hashed lock per Python environment in locks/ (scripts/lock.py, docs/setup.md "Locks").
#   make lock             regenerate every lock from its inputs (needs PyPI; keeps locked versions)
#   make lock-check       offline: every lock was made from today's inputs (a unit test runs it too)
#   make upstream-check   today's releases: resolve afresh into build/upstream, diff, test with them
.PHONY: lock lock-check upstream-check
LOCK_ENVS ?=
UPSTREAM_DIR ?= $(ROOT)/build/upstream

lock: ## regenerate locks/*.txt from their inputs (PyPI; LOCK_ENVS=dev-cpu only that one, LOCK_UPGRADE=1 today's releases)
	UV="$$(bash scripts/setup.sh uv)" python3 scripts/lock.py compile $(LOCK_ENVS)

lock-check: ## offline: each lock in locks/ was made from today's inputs (else: make lock)
	python3 scripts/lock.py check

upstream-check: ## resolve every environment afresh, print the diff against locks/, run unit + lab smoke tests on it (root; build/upstream)
	UPSTREAM_DIR="$(UPSTREAM_DIR)" bash scripts/upstream-check.sh
