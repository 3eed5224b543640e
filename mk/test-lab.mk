# The lab part of the suite: lab up, the tests marked `lab` (all of tests/deploy, tests/fleet,
# tests/lab, in that order: the fleet checks then look at what the scenarios deployed last, and
# the harness tests reboot and cut hosts at the end; tests/conftest.py refuses a mismatch), lab down (always), then check that
# lab-down left nothing behind (namespaces, veths, bridge, mounts, processes). The controller
# venv runs them: it has testinfra and ansible, not the model stack the unit tests import.
test-lab: setup ## lab fleet tests (root, systemd-nspawn): harness, fleet checks, deployment scenarios
	rc=0; $(MAKE) --no-print-directory lab-up || rc=$$?
	if [ $$rc -eq 0 ]; then $(CTLPY) -m pytest -p no:cacheprovider -m lab tests/deploy tests/fleet tests/lab || rc=$$?; fi
	$(MAKE) --no-print-directory lab-down || rc=$$?
	python3 lab/fleet.py verify-clean || rc=$$?
	exit $$rc
