"""EdgeInfer in a container on a bridge network reaches hailo-inference (lab fleet).

No container engine runs inside a lab host (nested under systemd-nspawn, no registry), so the
Compose network is built the way Docker builds one: a Linux bridge with the gateway address on
the host (`br-edgeinfer`, 172.30.0.1/16) and the "container" a network namespace on it
(172.30.0.2) behind a veth pair, default route via the gateway. A stand-in `docker` answers
`docker network inspect` in Docker's documented JSON (IPAM.Config[].Subnet/Gateway; an unknown
network prints [] and fails, like the real CLI). site.yml in bridge mode must then make the
daemon listen on the gateway, allow only that subnet, write EdgeInfer's env file with the
gateway URL, order the unit after docker.service and recreate the container. (IPAddressAllow
is checked as the unit's property: systemd inside a lab container cannot attach the cgroup BPF
program that enforces it.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from deploylib import PORT, Result, ad_hoc, on_host, play, playbook

pytestmark = pytest.mark.lab

GATEWAY, SUBNET, CLIENT = "172.30.0.1", "172.30.0.0/16", "172.30.0.2"
ENV_FILE = "/etc/edgeinfer/hailo.env"
MARK = "/run/edgeinfer-recreated"
NETWORK = [
    {
        "Name": "edgeinfer_default",
        "Driver": "bridge",
        "Scope": "local",
        "IPAM": {
            "Driver": "default",
            "Options": None,
            "Config": [{"Subnet": SUBNET, "Gateway": GATEWAY}],
        },
        "Labels": {
            "com.docker.compose.network": "default",
            "com.docker.compose.project": "edgeinfer",
        },
    }
]
DOCKER = """#!/bin/sh
# STAND-IN docker CLI (lab test): `docker network inspect NAME` as Docker prints it.
if [ "$1 $2" = "network inspect" ] && [ "$3" = "edgeinfer_default" ]; then
  cat /usr/local/share/edgeinfer_default.json; exit 0
fi
if [ "$1 $2" = "network inspect" ]; then
  echo "[]"; echo "Error: No such network: $3" >&2; exit 1
fi
echo "stand-in docker: unsupported: $*" >&2; exit 125
"""
SETUP = f"""set -e
mkdir -p /etc/edgeinfer  # EdgeInfer's compose folder, where its env file goes
ip link add br-edgeinfer type bridge
ip addr add {GATEWAY}/16 dev br-edgeinfer
ip addr add 172.31.0.1/16 dev br-edgeinfer
ip link set br-edgeinfer up
for ns in edgeinfer other; do
  ip netns add $ns
  ip link add $ns-h type veth peer name $ns-c
  ip link set $ns-c netns $ns
  ip link set $ns-h master br-edgeinfer
  ip link set $ns-h up
  ip -n $ns link set lo up
  ip -n $ns link set $ns-c up
done
ip -n edgeinfer addr add {CLIENT}/16 dev edgeinfer-c
ip -n edgeinfer route add default via {GATEWAY}
ip -n other addr add 172.31.0.2/16 dev other-c
ip -n other route add default via 172.31.0.1
"""
TEARDOWN = f"""ip netns del edgeinfer; ip netns del other; ip link del br-edgeinfer
rm -f /usr/local/bin/docker /usr/local/share/edgeinfer_default.json {MARK}
rm -rf /etc/edgeinfer; true"""


def _site(host: str, artifact: Path, **extra: object) -> Result:
    """site.yml on one host without the lab vars: bridge mode chooses the listen address."""
    return play("-e", json.dumps(extra), artifact=artifact, limit=host, lab_vars=False)


@pytest.fixture(scope="module")
def bridge_host(
    tmp_path_factory: pytest.TempPathFactory, edge_hosts: dict[str, str], artifact_a: Path
):
    host = sorted(edge_hosts)[-1]
    d = tmp_path_factory.mktemp("edgeinfer")
    (d / "docker").write_text(DOCKER)
    (d / "network.json").write_text(json.dumps(NETWORK, indent=2))
    (d / "setup.sh").write_text(SETUP)
    for name, dest in (
        ("docker", "/usr/local/bin/docker"),
        ("network.json", "/usr/local/share/edgeinfer_default.json"),
        ("setup.sh", "/root/edgeinfer-setup.sh"),
    ):
        res = ad_hoc(host, "ansible.builtin.copy", f"src={d / name} dest={dest} mode=0755")
        assert res.rc == 0, res.out
    res = on_host(host, "/root/edgeinfer-setup.sh")
    assert res.rc == 0, res.out
    yield host
    on_host(host, TEARDOWN)
    assert playbook(artifact_a, "--limit", host).rc == 0, "the host did not return to lab mode"


def test_bridge_mode_serves_the_container_network_only(
    bridge_host: str, artifact_a: Path, edge_hosts: dict[str, str]
) -> None:
    bridge = {
        "hailo_inference_edgeinfer_network": "bridge",
        "hailo_inference_edgeinfer_env_file": ENV_FILE,
        "hailo_inference_edgeinfer_recreate_command": f"touch {MARK}",
    }
    res = _site(bridge_host, artifact_a, **bridge)
    assert res.rc == 0, res.out[-4000:]
    url = f"http://{GATEWAY}:{PORT}/healthz"
    inside = on_host(bridge_host, f"ip netns exec edgeinfer curl -sf --max-time 5 {url}")
    assert inside.rc == 0 and '"ok":true' in inside.out.replace(" ", ""), inside.out
    # the unit lets only that subnet (and localhost) in. systemd enforces IPAddressAllow with a
    # cgroup BPF program, which systemd inside a lab container cannot attach (a client on another
    # subnet of the bridge does get an answer here), so the lab checks the unit's properties; on
    # a Pi the kernel drops everyone else.
    props = on_host(
        bridge_host, "systemctl show hailo-inference -p IPAddressAllow -p IPAddressDeny"
    )
    assert f"{GATEWAY}/32" in props.stdout and SUBNET in props.stdout, props.out
    deny = props.stdout.split("IPAddressDeny=")[1].split()  # systemd lists them in either order
    assert {"0.0.0.0/0", "::/0"} <= set(deny), props.out
    assert "10.77.0." not in props.stdout.split("IPAddressAllow=")[1], (
        "the lab subnet is still allowed"
    )
    env = on_host(bridge_host, f"cat {ENV_FILE}; test -e {MARK} && echo RECREATED").out
    assert f"MODEL_BACKEND_URL=http://{GATEWAY}:{PORT}" in env and "RECREATED" in env, env
    unit = on_host(bridge_host, "systemctl cat hailo-inference").out
    assert "After=docker.service" in unit and f"IPAddressAllow=localhost {GATEWAY}" in unit, unit
    assert SUBNET in unit, unit
    with pytest.raises(requests.RequestException):  # not on the lab address any more
        requests.get(f"http://{edge_hosts[bridge_host]}:{PORT}/healthz", timeout=3)


def test_bridge_mode_names_the_fix_when_the_network_is_missing(
    bridge_host: str, artifact_a: Path
) -> None:
    res = _site(
        bridge_host,
        artifact_a,
        hailo_inference_edgeinfer_network="bridge",
        hailo_inference_edgeinfer_container_network="nope_default",
    )
    assert res.rc != 0
    flat = res.flat
    assert "docker network inspect nope_default` gave no IPv4 subnet" in flat, flat[-3000:]
    assert "No such network: nope_default" in flat and "docker compose up -d" in flat
