# The encoder artifact on this machine: docs/model.md.
.PHONY: model model-import model-check
model: setup-dev ## build the default artifact (seeded synthetic training) under artifacts/ (skipped if built)
	$(PY) -m edge_compiler build --recipe default --out $(ARTIFACTS)

EDGEINFER_ONNX ?= $(ROOT)/../shared/models/edgeinfer-tcn-encoder/tcn_encoder_for_edgeinfer.onnx
model-import: setup-dev ## import a trained EdgeInfer ONNX (EDGEINFER_ONNX=path) into artifacts/, 0.99999 gate
	$(PY) -m edge_compiler build --from-onnx $(EDGEINFER_ONNX) --out $(ARTIFACTS)

model-check: setup-dev ## Hailo compatibility check of an ONNX file (ONNX=path)
	if [ -z "$(ONNX)" ]; then echo "model-check: name the file: make model-check ONNX=path/to/model.onnx" >&2; exit 2; fi
	$(PY) -m edge_compiler check-onnx "$(ONNX)"
