# Owned by the model/compiler work (issue: encoder artifact).
.PHONY: model
model: setup ## build the default artifact (seeded synthetic training) under artifacts/
	$(PY) -m edge_compiler build --recipe default --out $(ARTIFACTS)
