# One active-learning loop end to end (issue 29 item 4, benchmarks/active_learning/REPORT.md).
.PHONY: loop loop-deploy
LOOP_ARGS ?=
LOOP_HOST ?= pi-lab-1
loop: setup-dev ## one active-learning loop on synthetic fleet days: select, label, fine-tune, new artifact, downstream F1 vs no loop and random picks (~9 min cold on 2 cores)
	$(PY) benchmarks/active_learning/loop.py $(LOOP_ARGS)

loop-deploy: setup-ctl ## after make loop: its selector artifact to LOOP_HOST of the running lab (make lab-up) via site.yml; /healthz must name it
	bash benchmarks/active_learning/loop_deploy.sh $(LOOP_HOST)
