# The scale measurement (issue 28 item 7, docs/performance.md "Deploy at scale"): opt-in, root,
# not part of make test. Boots max(SCALE_SIZES) light edge hosts under the lab lock, measures an
# artifact-only update on each size, tears the lab down; results in build/scale/.
SCALE_SIZES ?= 2 4 8 16
export SCALE_SIZES
.PHONY: scale-run
scale-run: setup ## opt-in: artifact-only update on 2..16 lab edge hosts: wall time, ops/host, bytes, controller and host CPU -> build/scale/ (root, ~40 min for 16 hosts)
	$(CTLPY) scripts/scale-run.py
