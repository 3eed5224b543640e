# hailo-inference on this machine: serve and benchmark (docs/daemon.md).
.PHONY: serve bench bench-deps
# The newest complete artifacts/<model>/<version>/ folder (edge_artifact newest: store.py's rule).
DAEMON_ARTIFACT ?= $(shell bash $(ROOT)/scripts/newest-artifact.sh $(ARTIFACTS))
BENCH_OUT ?= $(ROOT)/benchmarks/results
BENCH_PEER_ARGS ?= # e.g. --workers 4 (default: the CPU count); benchmarks/vs_peer.py --help

serve: setup-dev ## run hailo-inference in the foreground on the newest artifact (onnx; default 127.0.0.1:9000)
	art="$(DAEMON_ARTIFACT)"
	if [ -z "$$art" ]; then echo "serve: no artifact under $(ARTIFACTS); run 'make model' first" >&2; exit 1; fi
	export HAILO_INFERENCE_MODEL_ARTIFACT="$${art%/}" HAILO_INFERENCE_MODEL_BACKEND=onnx
	# The address the daemon will really use (config file + HAILO_INFERENCE_* overrides).
	listen=$$($(PY) -c 'import os; from hailo_inference.config import load_config as l; c = l(os.environ.get("HAILO_INFERENCE_CONFIG")).server; print(f"{c.host}:{c.port}")' 2>/dev/null) || listen=""
	echo "serve: $$art on http://$${listen:-<see the config error below>} (onnx backend); Ctrl-C to stop"
	exec $(PY) -m hailo_inference

bench: bench-deps ## benchmark the daemon on loopback (~4.5 min): bare backend vs HTTP, then vs the FastAPI peer (workers=1 and N) -> benchmarks/results/
	art="$(DAEMON_ARTIFACT)"
	if [ -z "$$art" ]; then
	  echo "bench: no artifact under $(ARTIFACTS); building the tiny untrained one (seed 0)"
	  art=$$($(PY) -m edge_compiler build --recipe untrained --seed 0 --out $(ROOT)/build/bench-artifacts --no-progress | tail -1)
	fi
	$(PY) benchmarks/loadgen.py --artifact "$${art%/}" --out $(BENCH_OUT)
	$(PY) benchmarks/vs_peer.py --artifact "$${art%/}" --out $(BENCH_OUT) $(BENCH_PEER_ARGS)

bench-deps: setup-dev ## the bench-only packages (FastAPI peer) into .venv from locks/bench.txt; make test-unit runs the peer's smoke test with them
	# The peer's packages (bench only, never the daemon's), locked with hashes and constrained to
	# the dev lock's versions (numpy<2 included), so nothing already in .venv moves.
	PIP_CONSTRAINT= $(PY) -m pip install -q --require-hashes --no-deps -r locks/bench.txt \
	  2> >(grep -v -e "is ignored: it is neither a file nor a directory" >&2)
