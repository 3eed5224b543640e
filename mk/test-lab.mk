# The lab part of the suite: lab up, lab/fleet/deploy tests, lab down (always), then check that
# lab-down left nothing behind (namespaces, veths, bridge, mounts, processes).
test-lab: setup ## lab fleet tests (root, systemd-nspawn): harness, fleet checks, deployment scenarios
	@if [ ! -d tests/lab ] && [ ! -d tests/fleet ]; then echo "test-lab: no lab tests yet"; exit 0; fi
	rc=0; $(MAKE) --no-print-directory lab-up || rc=$$?
	if [ $$rc -eq 0 ]; then $(CTLPY) -m pytest -p no:cacheprovider $$(ls -d tests/lab tests/fleet tests/deploy 2>/dev/null) || rc=$$?; fi
	$(MAKE) --no-print-directory lab-down || rc=$$?
	python3 lab/fleet.py verify-clean || rc=$$?
	exit $$rc
