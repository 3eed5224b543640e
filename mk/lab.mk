# The lab fleet (docs/lab.md): a stdlib Python harness in lab/, run as root.
LAB_PY ?= python3
LAB_HOSTS ?= pi-lab-1:edge pi-lab-2:edge gpusrv-lab:gpusrv
export LAB_HOSTS
.PHONY: lab-up lab-down lab-status lab-fault
lab-up: setup ## boot the lab fleet (systemd-nspawn hosts) and write inventory/lab (LAB_HOSTS="name:group ...")
	$(LAB_PY) lab/fleet.py up
lab-down: ## stop the lab fleet and remove every namespace, veth, bridge and mount
	$(LAB_PY) lab/fleet.py down
lab-status: ## list lab hosts: name, address, nspawn pid, systemd state
	@$(LAB_PY) lab/fleet.py status
lab-fault: ## make a lab host misbehave: make lab-fault HOST=pi-lab-1 FAULT=stop|start|cut|restore|reboot
	$(LAB_PY) lab/fleet.py fault $(HOST) $(FAULT)
