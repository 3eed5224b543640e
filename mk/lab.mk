# Owned by the lab fleet work.
.PHONY: lab-up lab-down lab-status
lab-up: setup ## boot the lab fleet (systemd-nspawn hosts) and write inventory/lab
	@echo "lab-up: not built yet"; exit 1
lab-down: ## stop the lab fleet and remove every namespace, veth, bridge and mount
	@echo "lab-down: not built yet"
lab-status: ## list lab hosts: name, address, nspawn pid, systemd state
	@echo "lab-status: not built yet"
