# Compiling on the GPU server (compile.yml, docs/compile.md).
#   make compile-wheelhouse   wheels the GPU server's toolchain venv is installed from (COMPILE_PYTHON_VERSION, DFC_WHEEL)
#   make compile              ansible-playbook compile.yml -l gpusrv on COMPILE_INVENTORY (default inventory/production)
.PHONY: compile-wheelhouse compile
COMPILE_WHEELHOUSE ?= $(ROOT)/wheelhouse/compiler
COMPILE_INVENTORY  ?= $(ROOT)/inventory/production
# The licensed Dataflow Compiler wheel, if you have one: its dependencies join the wheelhouse.
DFC_WHEEL ?=
# Target Python of the GPU server's venv: 3.10 (Ubuntu 22.04's python3; older onnxruntime and
# matplotlib by environment markers), 3.11 or 3.12 (Ubuntu 24.04's); empty: this machine's (3.11).
COMPILE_PYTHON_VERSION ?=
# 1: only resolve the toolchain for that Python (pip --dry-run) and print it; nothing downloaded.
COMPILE_RESOLVE_ONLY ?=

compile-wheelhouse: setup ## wheels for the GPU server's toolchain venv (torch CPU, onnx, project)
	COMPILE_WHEELHOUSE="$(COMPILE_WHEELHOUSE)" DFC_WHEEL="$(DFC_WHEEL)" \
	  COMPILE_PYTHON_VERSION="$(COMPILE_PYTHON_VERSION)" COMPILE_RESOLVE_ONLY="$(COMPILE_RESOLVE_ONLY)" \
	  PY="$(PY)" bash scripts/compile-wheelhouse.sh

compile: compile-wheelhouse ## build artifacts on the GPU server and fetch them (compile.yml)
	cd $(ROOT) && $(CTL)/bin/ansible-playbook -i $(COMPILE_INVENTORY) compile.yml -l gpusrv $(ANSIBLE_ARGS)
