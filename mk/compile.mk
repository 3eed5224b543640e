# Compiling on the GPU server (compile.yml, docs/compile.md).
#   make compile-wheelhouse   wheels the GPU server's toolchain venv is installed from
#   make compile              ansible-playbook compile.yml -l gpusrv (INVENTORY=inventory/production)
.PHONY: compile-wheelhouse compile
COMPILE_WHEELHOUSE ?= $(ROOT)/wheelhouse/compiler
COMPILE_INVENTORY  ?= $(ROOT)/inventory/production
# The licensed Dataflow Compiler wheel, if you have one: its dependencies join the wheelhouse.
DFC_WHEEL ?=
# Target Python of the GPU server's venv, e.g. 3.10 (Ubuntu 22.04); empty: this machine's (3.11).
COMPILE_PYTHON_VERSION ?=

compile-wheelhouse: setup ## wheels for the GPU server's toolchain venv (torch CPU, onnx, project)
	want=$$( { cat roles/hailo_compiler/files/toolchain-requirements.txt requirements.txt; \
	  echo "$(DFC_WHEEL) $(COMPILE_PYTHON_VERSION)"; \
	  find artifact/edge_artifact models/edge_models compiler/edge_compiler daemon/hailo_inference models/*.yaml \
	    -name '*.py' -o -name '*.yaml' | LC_ALL=C sort | xargs cat; \
	  cat artifact/pyproject.toml models/pyproject.toml compiler/pyproject.toml daemon/pyproject.toml; } | sha256sum | cut -c1-16)
	if [ -f "$(COMPILE_WHEELHOUSE)/.stamp" ] && [ "$$(cat $(COMPILE_WHEELHOUSE)/.stamp)" = "$$want" ]; then
	  echo "compile-wheelhouse: $(COMPILE_WHEELHOUSE) is up to date"; exit 0; fi
	echo "compile-wheelhouse: building $(COMPILE_WHEELHOUSE)"
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT
	mkdir -p "$(COMPILE_WHEELHOUSE)/toolchain" "$$tmp/project"
	cp -r artifact models compiler daemon "$$tmp/"
	find "$$tmp" \( -name '*.egg-info' -o -name build -o -name __pycache__ \) -prune -exec rm -rf {} +
	# deterministic wheels: same sources -> same bytes -> the role reinstalls nothing
	SOURCE_DATE_EPOCH=315532800 $(PY) -m pip wheel -q --no-deps --no-build-isolation \
	  -w "$$tmp/project" "$$tmp/artifact" "$$tmp/models" "$$tmp/compiler" "$$tmp/daemon"
	grep -v '^-e' requirements.txt > "$$tmp/constraints.txt"
	plat=(); if [ -n "$(COMPILE_PYTHON_VERSION)" ]; then
	  plat=(--python-version "$(COMPILE_PYTHON_VERSION)" --platform manylinux_2_28_x86_64 --only-binary=:all:); fi
	dfc=(); if [ -n "$(DFC_WHEEL)" ]; then dfc=("$(DFC_WHEEL)"); fi
	$(PY) -m pip download -q "$${plat[@]}" -d "$(COMPILE_WHEELHOUSE)/toolchain" \
	  --find-links "$$tmp/project" -c "$$tmp/constraints.txt" \
	  -r roles/hailo_compiler/files/toolchain-requirements.txt pip setuptools wheel \
	  "$$tmp"/project/*.whl "$${dfc[@]}" \
	  2> >(grep -v -e "is ignored: it is neither a file nor a directory" >&2)
	# the project's own wheels live apart (the role reinstalls them when they change)
	rm -f "$(COMPILE_WHEELHOUSE)"/toolchain/{edge_artifact,edge_models,edge_compiler,hailo_inference}-*.whl
	if [ -n "$(DFC_WHEEL)" ]; then rm -f "$(COMPILE_WHEELHOUSE)/toolchain/$$(basename "$(DFC_WHEEL)")"; fi
	rm -rf "$(COMPILE_WHEELHOUSE)/project"; cp -r "$$tmp/project" "$(COMPILE_WHEELHOUSE)/project"
	# one deterministic tar: the role copies (and checksums) one file instead of ~40
	tar -C "$(COMPILE_WHEELHOUSE)" --sort=name --mtime=@315532800 --owner=0 --group=0 \
	  --numeric-owner -cf "$(COMPILE_WHEELHOUSE)/toolchain.tar" toolchain
	echo "$$want" > "$(COMPILE_WHEELHOUSE)/.stamp"
	echo "compile-wheelhouse: $$(ls $(COMPILE_WHEELHOUSE)/toolchain | wc -l) toolchain wheels, $$(ls $(COMPILE_WHEELHOUSE)/project | wc -l) project wheels ($$(du -sh $(COMPILE_WHEELHOUSE) | cut -f1))"

compile: compile-wheelhouse ## build artifacts on the GPU server and fetch them (compile.yml)
	cd $(ROOT) && $(CTL)/bin/ansible-playbook -i $(COMPILE_INVENTORY) compile.yml -l gpusrv $(ANSIBLE_ARGS)
