# The lab part of the suite: lab up, the tests marked `lab` (all of tests/deploy, tests/fleet,
# tests/lab; tests/conftest.py refuses a marker that disagrees with its folder), lab down (always),
# then check that lab-down left nothing behind (namespaces, veths, bridge, mounts, processes).
# No module relies on the order: each sets up what it needs (the fleet checks deploy when nothing
# is, test_tags_lab removes the release it must not find), the harness's fault tests put their
# host back, and its lab-down test runs last in any session (marker lab_down, tests/conftest.py).
# The controller venv runs them: it has testinfra and ansible, not the model stack the unit tests
# import.
# lab_tests HOSTS,TESTS: lab-up with LAB_HOSTS=HOSTS, pytest -m lab TESTS, lab-down, verify-clean.
define lab_tests
	rc=0; $(MAKE) --no-print-directory lab-up LAB_HOSTS="$(1)" || rc=$$?
	if [ $$rc -eq 0 ]; then $(CTLPY) -m pytest -p no:cacheprovider --durations=25 -m lab $(2) || rc=$$?; fi
	$(MAKE) --no-print-directory lab-down || rc=$$?
	python3 lab/fleet.py verify-clean || rc=$$?
	exit $$rc
endef
.PHONY: test-lab-arm64 test-lab-smoke test-lab-tags test-lab-trixie
test-lab: setup ## lab fleet tests (root, systemd-nspawn): harness, fleet checks, deployment scenarios
	$(call lab_tests,$(LAB_HOSTS),tests/deploy tests/fleet tests/lab)

test-lab-tags: setup ## the site.yml --tags lab tests alone, on a lab of their own (also in test-lab)
	$(call lab_tests,$(LAB_HOSTS),tests/deploy/test_tags_lab.py)

# Opt-in (docs/lab.md, measured cost there): one amd64 and one arm64 edge host (qemu-user), a
# mixed-fleet site.yml run from tests/fleet, then the fleet checks on both (architecture, the
# venv's wheel tags, service, user, files, golden parity on ARM kernels). Not in test-lab: the
# emulated host would add far more than CI's budget allows.
LAB_HOSTS_ARM64 ?= pi-lab-1:edge pi-arm-1:edge:arm64
test-lab-arm64: setup ## opt-in lab tests on a mixed amd64 + emulated arm64 fleet (qemu-user; slow, docs/lab.md)
	$(call lab_tests,$(LAB_HOSTS_ARM64),tests/fleet)

# Opt-in (docs/lab.md, measured cost there): the Raspberry Pi OS stand-in on Debian 13 trixie
# (Python 3.13): the base checks (suite, Python), then the fake Pi OS archive's trixie suite
# (python3-hailort for Python 3.13 and NumPy 2), site.yml with the daemon's venv from the
# x86_64-cp313 wheelhouse (numpy 2) and its golden gate. Verified against a fake, not on hardware.
# Not in test-lab: a second image and a third host's deploys; the default stand-in stays bookworm.
LAB_HOSTS_TRIXIE ?= pi-lab-1:edge pi-trixie-1:edge:amd64:trixie
LAB_TRIXIE_TESTS ?= tests/fleet/test_base.py tests/deploy/test_hailort_raspios_fake.py
test-lab-trixie: setup ## opt-in lab tests: the Pi OS stand-in on trixie (Python 3.13, numpy 2, fake Pi OS archive; docs/lab.md)
	$(call lab_tests,$(LAB_HOSTS_TRIXIE),$(LAB_TRIXIE_TESTS))

# The lab smoke subset (make upstream-check runs it with freshly resolved packages): a site.yml
# run on the default lab and the fleet checks on every host.
LAB_SMOKE_TESTS ?= tests/fleet
test-lab-smoke: setup ## lab smoke subset: site.yml on the lab, then the fleet checks (root; LAB_SMOKE_TESTS)
	$(call lab_tests,$(LAB_HOSTS),$(LAB_SMOKE_TESTS))
