# Deployment (roles hailort + hailo_inference, site.yml): docs/deploy.md.
.PHONY: wheelhouse deploy verify demo
WHEELHOUSE_TARGETS ?= x86_64-cp311
INVENTORY ?= inventory/production
DEPLOY_ARGS ?=
VERIFY_ARGS ?=
LAB_VARS := playbooks/vars/lab.yml

wheelhouse: setup ## build the daemon wheelhouse on the controller (WHEELHOUSE_TARGETS="x86_64-cp311 aarch64-cp311")
	bash scripts/wheelhouse.sh $(WHEELHOUSE_TARGETS)

deploy: wheelhouse ## ansible-playbook site.yml on INVENTORY (default inventory/production), canary first
	$(CTL)/bin/ansible-playbook -i $(INVENTORY) site.yml $(DEPLOY_ARGS)

verify: setup ## ansible-playbook verify.yml on INVENTORY: HailoRT versions, golden on the accelerator, 60 s SLO load, reports/verify/<date>/
	$(CTL)/bin/ansible-playbook -i $(INVENTORY) verify.yml $(VERIFY_ARGS)

demo: setup ## lab up, default artifact, site.yml on the lab, then show the service and one /infer
	bash scripts/demo.sh
