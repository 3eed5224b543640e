# The lab part of the suite: lab up, the tests marked `lab` (all of tests/deploy, tests/fleet,
# tests/lab, in that order: the fleet checks then look at what the scenarios deployed last, and
# the harness tests reboot and cut hosts at the end; tests/conftest.py refuses a mismatch), lab down (always), then check that
# lab-down left nothing behind (namespaces, veths, bridge, mounts, processes). The controller
# venv runs them: it has testinfra and ansible, not the model stack the unit tests import.
# lab_tests HOSTS,TESTS: lab-up with LAB_HOSTS=HOSTS, pytest -m lab TESTS, lab-down, verify-clean.
define lab_tests
	rc=0; $(MAKE) --no-print-directory lab-up LAB_HOSTS="$(1)" || rc=$$?
	if [ $$rc -eq 0 ]; then $(CTLPY) -m pytest -p no:cacheprovider -m lab $(2) || rc=$$?; fi
	$(MAKE) --no-print-directory lab-down || rc=$$?
	python3 lab/fleet.py verify-clean || rc=$$?
	exit $$rc
endef
.PHONY: test-lab-arm64 test-lab-smoke test-lab-tags
# tests/deploy/test_tags_lab.py (issue 28 item 3) assumes artifact B's release was never built on
# its host, but in the full suite test_scenarios has built it: 2 of its 3 tests failed in the full
# run of 2026-12-07 (all 3 passed alone). Opt-in (make test-lab-tags) until it builds an artifact
# of its own that no other test deploys.
LAB_IGNORE ?= --ignore=tests/deploy/test_tags_lab.py
test-lab: setup ## lab fleet tests (root, systemd-nspawn): harness, fleet checks, deployment scenarios
	$(call lab_tests,$(LAB_HOSTS),tests/deploy tests/fleet tests/lab $(LAB_IGNORE))

test-lab-tags: setup ## opt-in: the site.yml --tags lab tests alone (not in test-lab yet: mk/test-lab.mk says why)
	$(call lab_tests,$(LAB_HOSTS),tests/deploy/test_tags_lab.py)

# Opt-in (docs/lab.md, measured cost there): one amd64 and one arm64 edge host (qemu-user), a
# mixed-fleet site.yml run from tests/fleet, then the fleet checks on both (architecture, the
# venv's wheel tags, service, user, files, golden parity on ARM kernels). Not in test-lab: the
# emulated host would add far more than CI's budget allows.
LAB_HOSTS_ARM64 ?= pi-lab-1:edge pi-arm-1:edge:arm64
test-lab-arm64: setup ## opt-in lab tests on a mixed amd64 + emulated arm64 fleet (qemu-user; slow, docs/lab.md)
	$(call lab_tests,$(LAB_HOSTS_ARM64),tests/fleet)

# The lab smoke subset (make upstream-check runs it with freshly resolved packages): a site.yml
# run on the default lab and the fleet checks on every host.
LAB_SMOKE_TESTS ?= tests/fleet
test-lab-smoke: setup ## lab smoke subset: site.yml on the lab, then the fleet checks (root; LAB_SMOKE_TESTS)
	$(call lab_tests,$(LAB_HOSTS),$(LAB_SMOKE_TESTS))
