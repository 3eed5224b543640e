#!/usr/bin/env bash
# make loop-deploy [LOOP_HOST=pi-lab-1]: the artifact `make loop` built from the selector's labels
# (seed 0) to one host of the running lab through site.yml, then /healthz must name its version.
set -euo pipefail
cd "$(dirname "$0")/../.."
host=${1:-pi-lab-1}
INV=inventory/lab
export ANSIBLE_CONFIG=$PWD/ansible.cfg
results=benchmarks/active_learning/results/loop.json
[ -f "$results" ] || { echo "loop-deploy: no $results: run make loop first" >&2; exit 2; }
[ -f "$INV/hosts.yml" ] || { echo "loop-deploy: no $INV: boot the lab first (make lab-up)" >&2; exit 2; }
art=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["seeds"][0]["selector"]["artifact"])' "$results")
want=$(.venv/bin/python -c 'import json,sys; m=json.load(open(sys.argv[1]+"/manifest.json")); print(m["model"]["name"]+"@"+m["model"]["version"], m["training"]["dataset_sha256"])' "$art")
echo "loop-deploy: $art (model, dataset sha256: $want) -> $host"
make --no-print-directory wheelhouse WHEELHOUSE_TARGETS=x86_64-cp311
.venv-ctl/bin/ansible-playbook -i "$INV" site.yml -e @playbooks/vars/lab.yml \
  -e "hailo_inference_artifact=$art" --limit "$host"
addr=$(.venv-ctl/bin/ansible-inventory -i "$INV" --host "$host" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["ansible_host"])')
.venv/bin/python - "$addr" "${want%% *}" <<'PY'
import json, sys, urllib.request
addr, want = sys.argv[1], sys.argv[2]
with urllib.request.urlopen(f"http://{addr}:9000/healthz", timeout=10) as r:
    body = json.loads(r.read())
print(f"GET http://{addr}:9000/healthz -> {r.status} model={body.get('model')}")
if body.get("model") != want:
    sys.exit(f"loop-deploy: /healthz names {body.get('model')}, not the loop's {want}")
print(f"loop-deploy: OK, {want} serves on {addr}")
PY
