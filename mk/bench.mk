# Does the active-learning selector beat random picks? (issue 17, benchmarks/active_learning/REPORT.md)
.PHONY: bench-al
BENCH_AL_ARGS ?=
bench-al: setup-dev ## selector vs random on synthetic fleet days through the daemon (~6 min) -> benchmarks/active_learning/results/
	$(PY) benchmarks/active_learning/run.py $(BENCH_AL_ARGS)
