# Deployment (roles hailort + hailo_inference, site.yml): docs/deploy.md.
# deploy and verify need only the controller's set-up (.venv-ctl: make setup-ctl), never the
# lab's: a fresh fleet runner (deploy.yml, docs/ci.md) has no lab packages and no root.
.PHONY: wheelhouse deploy deploy-hosts rollout verify demo
WHEELHOUSE_TARGETS ?= x86_64-cp311
INVENTORY ?= inventory/production
DEPLOY_ARGS ?=
VERIFY_ARGS ?=
LAB_VARS := playbooks/vars/lab.yml

WHEELHOUSE_BUILD = bash scripts/wheelhouse.sh $(WHEELHOUSE_TARGETS)
wheelhouse: setup-ctl ## build the daemon wheelhouse on the controller (WHEELHOUSE_TARGETS="x86_64-cp311 aarch64-cp311")
	$(WHEELHOUSE_BUILD)

# The edge hosts of INVENTORY, from ansible-inventory's stdout (JSON) only: its warnings go to
# stderr, to the terminal, and are never parsed. Group edge and every group under it.
define EDGE_HOSTS_PY
import json, os, sys
inventory = sys.argv[1]
groups = json.load(sys.stdin)
todo, seen, hosts = ["edge"], set(), set()
while todo:
    group = todo.pop()
    if group not in seen:
        seen.add(group)
        hosts.update(groups.get(group, {}).get("hosts", []))
        todo.extend(groups.get(group, {}).get("children", []))
if not hosts:
    what = "" if os.path.exists(inventory) else " (no such file or folder)"
    sys.exit(f"deploy: no hosts in group edge of the inventory {inventory}{what}: list your Pis under all.children.edge.hosts there (docs/deploy.md), or name another inventory: make deploy INVENTORY=<file>")
print(f"deploy: {len(hosts)} edge host(s) in {inventory}: {' '.join(sorted(hosts))}")
endef
export EDGE_HOSTS_PY
EDGE_HOSTS_CHECK = $(CTL)/bin/ansible-inventory -i "$(INVENTORY)" --list | $(CTLPY) -c "$$EDGE_HOSTS_PY" "$(INVENTORY)"

deploy-hosts: setup-ctl ## list INVENTORY's edge hosts; fails naming INVENTORY when it has none (make deploy checks it first)
	@$(EDGE_HOSTS_CHECK)

# No sub-make here: .ONESHELL runs a recipe that names $(MAKE) even under `make -n`.
deploy: setup-ctl ## ansible-playbook site.yml on INVENTORY (default inventory/production), canary first
	$(EDGE_HOSTS_CHECK)
	$(WHEELHOUSE_BUILD)
	$(CTL)/bin/ansible-playbook -i $(INVENTORY) site.yml $(DEPLOY_ARGS)

SLICES ?= 4
rollout: setup-ctl ## site.yml's batches as SLICES ansible-playbook processes each, canary alone first (a large fleet; docs/deploy.md)
	$(EDGE_HOSTS_CHECK)
	$(WHEELHOUSE_BUILD)
	$(CTLPY) scripts/rollout.py --slices $(SLICES) -i $(INVENTORY) -- $(DEPLOY_ARGS)

verify: setup-ctl ## ansible-playbook verify.yml on INVENTORY: HailoRT versions, golden on the accelerator, 60 s SLO load, reports/verify/<date>/
	$(CTL)/bin/ansible-playbook -i $(INVENTORY) verify.yml $(VERIFY_ARGS)

demo: setup ## lab up, default artifact, site.yml on the lab, then show the service and one /infer
	bash scripts/demo.sh
