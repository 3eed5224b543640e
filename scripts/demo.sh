#!/usr/bin/env bash
# make demo: the appliance end to end on the lab fleet, printed for a newcomer.
#   1. boot the lab fleet (make lab-up)           2. build the default artifact if absent
#   3. build the daemon wheelhouse                4. ansible-playbook -i inventory/lab site.yml
#   5. systemctl status hailo-inference on a lab host, and one /infer from this machine.
# The lab stays up afterwards (make lab-down to remove it).
set -euo pipefail
cd "$(dirname "$0")/.."
CTL=.venv-ctl/bin
INV=${DEMO_INVENTORY:-inventory/lab}   # another inventory of lab-like hosts: no lab-up
export ANSIBLE_CONFIG=$PWD/ansible.cfg
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/5 Lab fleet: Debian 12 hosts with systemd, reached over SSH like the Pis (make lab-up)"
if [ -z "${DEMO_INVENTORY:-}" ]; then make --no-print-directory lab-up; else echo "using $INV"; fi

step "2/5 Artifact: the encoder the daemon serves"
# the newest complete artifact, by edge_artifact's rule (the one site.yml's role picks)
art=$(bash scripts/newest-artifact.sh artifacts)
if [ -n "$art" ]; then
  echo "using the newest existing artifact: $art"
else
  make --no-print-directory model
  art=$(bash scripts/newest-artifact.sh artifacts)
fi

step "3/5 Wheelhouse: the daemon and its dependencies, built here for the hosts (they have no registry)"
make --no-print-directory wheelhouse WHEELHOUSE_TARGETS=x86_64-cp311

step "4/5 ansible-playbook -i $INV site.yml (canary first, health gate after each host)"
"$CTL/ansible-playbook" -i "$INV" site.yml -e @playbooks/vars/lab.yml

read -r host addr < <("$CTL/ansible-inventory" -i "$INV" --list | .venv/bin/python -c '
import json, sys
inv = json.load(sys.stdin); h = inv["edge"]["hosts"][0]
print(h, inv["_meta"]["hostvars"][h]["ansible_host"])')
step "5/5 On $host ($addr): systemctl status hailo-inference"
"$CTL/ansible" -i "$INV" "$host" -b -m ansible.builtin.command \
  -a "systemctl status --no-pager --lines=3 hailo-inference" | sed 1d | cut -c1-180 || true

echo; echo "One real /infer from this machine: the first golden window of $art"
.venv/bin/python - "$addr" "$art" <<'PY'
import json, sys, urllib.request
import numpy as np
from edge_artifact import read_golden
addr, art = sys.argv[1], sys.argv[2]
x = read_golden(art).x[0]
req = urllib.request.Request(f"http://{addr}:9000/infer", data=json.dumps({"x": x.tolist()}).encode(),
                             headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as r:
    body = json.loads(r.read()); hdr = dict(r.headers)
print(f"POST http://{addr}:9000/infer -> {r.status}  model={hdr.get('X-Model')} backend={hdr.get('X-Backend')}")
print(f"latent ({len(body['latent'])} values): {np.round(body['latent'][:6], 4).tolist()} ...")
print(f"motif_scores ({len(body['motif_scores'])}): {np.round(body['motif_scores'], 3).tolist()}")
PY
echo; echo "Done. The lab is still up: ssh in with the key in inventory/lab, or run 'make lab-down'."
