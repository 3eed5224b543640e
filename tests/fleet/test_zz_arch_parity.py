"""ONNX Runtime on ARM kernels vs x86 on the artifact's golden vectors (`make test-lab-arm64`).

Runs when the lab's edge group mixes architectures (an emulated arm64 host beside amd64 ones);
skipped otherwise. After tests/fleet/test_inference.py deployed the same release everywhere:
each host's daemon encodes every golden window through /infer/batch, and each host's latents
must match the other architectures' within the artifact's own onnx tolerance (the golden check
the daemon and the health gate apply). Prints the figures docs/deploy.md reports.
"""

from __future__ import annotations

import json
import math

import pytest
from fleetlib import hosts, lab_marks

testinfra = pytest.importorskip("testinfra")  # the controller venv's (make test-lab-arm64)

CURRENT = "/opt/hailo-inference/current"
CHUNK = 16  # windows per request: ~5 s of emulated ONNX Runtime, inside the scaled deadline

pytestmark = lab_marks("make test-lab-arm64")

SCRIPT = """
import json, urllib.request, numpy as np, yaml
art = "{current}/artifact"
srv = yaml.safe_load(open("/etc/hailo-inference/config.yaml"))["server"]
url = "http://%s:%s" % (srv["host"], srv["port"])
g = np.load(art + "/golden.npz")
out = []
for i in range(0, g["x"].shape[0], {chunk}):
    req = urllib.request.Request(url + "/infer/batch",
        data=json.dumps({{"x": g["x"][i:i + {chunk}].tolist()}}).encode(),
        headers={{"Content-Type": "application/json"}})
    out += json.load(urllib.request.urlopen(req, timeout={timeout}))["latent"]
ready = json.load(urllib.request.urlopen(url + "/readyz", timeout={timeout}))
print(json.dumps({{"latent": out, "golden": ready["golden"],
                  "tol": json.load(open(art + "/manifest.json"))["tolerance"]["onnx"]}}))
"""


def _edge_hosts() -> list:
    return testinfra.get_hosts(hosts("edge"))


def _encode(host) -> dict:
    scale = int(host.ansible.get_variables().get("edge_time_scale", 1))
    script = SCRIPT.format(current=CURRENT, chunk=CHUNK, timeout=30 * scale)
    quoted = "'" + script.replace("'", "'\"'\"'") + "'"
    return json.loads(host.check_output(f"{CURRENT}/venv/bin/python -c {quoted}"))


def _compare(a: list[list[float]], b: list[list[float]]) -> tuple[float, float]:
    """(min cosine over windows, max |a - b|) between two latent sets."""
    cos, worst = 1.0, 0.0
    for u, v in zip(a, b, strict=True):
        dot = sum(x * y for x, y in zip(u, v, strict=True))
        cos = min(cos, dot / math.sqrt(sum(x * x for x in u) * sum(y * y for y in v)))
        worst = max(worst, max(abs(x - y) for x, y in zip(u, v, strict=True)))
    return cos, worst


def test_arm_and_x86_onnx_runtime_agree_on_the_golden_vectors() -> None:
    hosts = _edge_hosts()
    by_arch = {h.system_info.arch: h for h in hosts}
    if len(by_arch) < 2:
        pytest.skip("one architecture in the lab: run `make test-lab-arm64` for ARM parity")
    res = {arch: _encode(h) for arch, h in sorted(by_arch.items())}
    (a, ra), (b, rb) = list(res.items())[:2]
    cos, max_abs = _compare(ra["latent"], rb["latent"])
    for arch, r in res.items():
        g = r["golden"]["figures"]
        cos_g, abs_g = g["latent_min_cosine"], g["latent_max_abs"]
        print(f"{arch} ONNX Runtime vs golden.npz (torch, x86) on {len(r['latent'])} windows: "
              f"min cosine {cos_g:.9f}, max |d| {abs_g:.3e}")  # fmt: skip
    print(f"{a} vs {b} ONNX Runtime on {len(ra['latent'])} golden windows: "
          f"min cosine {cos:.9f} (1 - cos {1 - cos:.1e}), max |d| {max_abs:.3e}")  # fmt: skip
    # the artifact's onnx tolerance, read as edge_artifact.tolerance reads it (min_cosine per
    # window; np.allclose(got, ref, rtol, atol) when rtol is set), x86 as the reference
    tol = ra["tol"]
    assert len(ra["latent"]) == len(rb["latent"]) > 0
    assert cos >= tol["min_cosine"], (cos, tol)
    if tol.get("rtol") is not None:
        rtol, atol = float(tol["rtol"]), float(tol.get("atol", 0.0))
        ref, got = res["x86_64"]["latent"], res["aarch64"]["latent"]
        far = [
            (i, j)
            for i, (u, v) in enumerate(zip(ref, got, strict=True))
            for j, (r, g) in enumerate(zip(u, v, strict=True))
            if abs(g - r) > atol + rtol * abs(r)
        ]
        assert not far, f"{len(far)} latent values outside allclose({rtol=}, {atol=}): {far[:5]}"
