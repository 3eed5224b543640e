# The lab part of the suite: lab up, the tests marked `lab` (all of tests/lab, tests/fleet,
# tests/deploy; tests/conftest.py refuses a mismatch), lab down (always), then check that
# lab-down left nothing behind (namespaces, veths, bridge, mounts, processes). The controller
# venv runs them: it has testinfra and ansible, not the model stack the unit tests import.
test-lab: setup ## lab fleet tests (root, systemd-nspawn): harness, fleet checks, deployment scenarios
	rc=0; $(MAKE) --no-print-directory lab-up || rc=$$?
	if [ $$rc -eq 0 ]; then $(CTLPY) -m pytest -p no:cacheprovider -m lab tests/lab tests/fleet tests/deploy || rc=$$?; fi
	$(MAKE) --no-print-directory lab-down || rc=$$?
	python3 lab/fleet.py verify-clean || rc=$$?
	exit $$rc
