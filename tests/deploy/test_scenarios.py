"""End-to-end deployment scenarios on the lab fleet, in order (each builds on the previous state).

1 cold deploy, 2 idempotent rerun, 2b check mode + diff of an update changes nothing,
3 rolling update under load with zero failed requests,
4 corrupted artifact refused while the old one serves, 5 failing health gate rolled back,
6 SIGKILL restarts within seconds, 7 reboot comes back serving.
Lab hosts have no Hailo device: the daemon serves the onnx backend (hailort is skipped there).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest
from deploylib import (
    PY,
    current_release,
    derive,
    golden_window,
    healthz,
    model_ref,
    on_host,
    playbook,
    reboot_host,
    wait_ready,
)
from loadgen import LoadGenerator

RELEASES = "/opt/hailo-inference/releases"
FAST_GATE = ["-e", "hailo_inference_health_retries=12", "-e", "hailo_inference_health_delay=1"]


def _serving(urls: dict[str, str]) -> dict[str, str | None]:
    return {h: healthz(u).get("model") for h, u in urls.items()}


def _releases(host: str) -> list[str]:
    res = on_host(host, f"ls -1 {RELEASES}")
    assert res.rc == 0, res.out
    return [ln for ln in res.stdout.splitlines()[1:] if ln.strip()]


def test_1_cold_deploy(artifact_a: Path, urls: dict[str, str]) -> None:
    res = playbook(artifact_a)
    assert res.rc == 0, res.out[-4000:]
    assert set(_serving(urls).values()) == {model_ref(artifact_a)}, _serving(urls)
    for url in urls.values():
        wait_ready(url, timeout=5)


def test_2_idempotent_rerun(artifact_a: Path, urls: dict[str, str]) -> None:
    res = playbook(artifact_a)
    assert res.rc == 0, res.out[-4000:]
    recap = res.recap()
    assert set(urls) <= set(recap), recap
    changed = {h: recap[h]["changed"] for h in urls}
    assert all(c == 0 for c in changed.values()), f"second run changed something: {changed}"


def test_2b_check_mode_with_diff_previews_an_update_and_changes_nothing(
    artifact_a: Path, artifact_b: Path, urls: dict[str, str]
) -> None:
    before = {h: current_release(h) for h in urls}
    # another module may have built a release of B on a host already (test_release_order_lab):
    # check mode must leave the list of releases exactly as it found it
    listed = {h: _releases(h) for h in urls}
    res = playbook(artifact_b, "--check", "--diff")
    assert res.rc == 0, res.out[-4000:]
    recap = res.recap()
    assert any(recap[h]["changed"] > 0 for h in urls), f"the preview shows no change: {recap}"
    assert "current" in res.out and "---" in res.out, "no diff shown for the pending update"
    for host in urls:
        assert current_release(host) == before[host], f"{host}: check mode switched the release"
        assert _releases(host) == listed[host], f"{host}: check mode changed the releases"
    assert set(_serving(urls).values()) == {model_ref(artifact_a)}, _serving(urls)


def test_3_rolling_update_under_load_loses_no_request(
    artifact_a: Path, artifact_b: Path, urls: dict[str, str]
) -> None:
    with LoadGenerator(urls, golden_window(artifact_b)) as load:
        time.sleep(1.0)
        res = playbook(artifact_b)
        time.sleep(1.0)
    print(load.summary())
    assert res.rc == 0, res.out[-4000:]
    assert set(_serving(urls).values()) == {model_ref(artifact_b)}
    for host, st in load.stats.items():
        assert st.ok > 20, f"{host}: too few requests to prove anything ({st.ok})"
        assert st.failed == 0, f"{host}: {st.failed} failed requests, e.g. {st.errors[:3]}"
        # the load really spanned the switch: it saw both the old and the new model
        assert {model_ref(artifact_a), model_ref(artifact_b)} <= st.models, st.models


def test_4_corrupted_artifact_is_refused(artifact_b: Path, urls: dict[str, str]) -> None:
    bad, manifest = derive(artifact_b, "corrupt")
    onnx = bad / manifest["backends"]["onnx"]["file"]
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte; the manifest still lists the good sha256
    onnx.write_bytes(bytes(data))
    before = {h: current_release(h) for h in urls}
    res = playbook(bad, *FAST_GATE)
    assert res.rc != 0, "a corrupted artifact was deployed"
    assert "REFUSED artifact" in res.out and "has sha256" in res.out, res.out[-3000:]
    assert set(_serving(urls).values()) == {model_ref(artifact_b)}, _serving(urls)
    for host in urls:
        assert current_release(host) == before[host]
        assert not any(r.endswith("-corrupt") for r in _releases(host)), _releases(host)


def _break_golden(src: Path) -> Path:
    """A well-formed artifact whose golden latents are wrong: the daemon can never be ready."""
    bad, manifest = derive(src, "badgolden")
    subprocess.run(
        [
            str(PY),
            "-c",
            "import sys, numpy as np; p = sys.argv[1]; g = dict(np.load(p)); "
            "g['latent'] = -g['latent']; np.savez(p, **g)",
            str(bad / "golden.npz"),
        ],
        check=True,
    )
    blob = (bad / "golden.npz").read_bytes()
    manifest["files"]["golden.npz"] = {
        "sha256": hashlib.sha256(blob).hexdigest(),
        "bytes": len(blob),
    }
    (bad / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return bad


def test_5_failing_health_gate_rolls_back(artifact_b: Path, urls: dict[str, str]) -> None:
    bad = _break_golden(artifact_b)
    before = {h: current_release(h) for h in urls}
    res = playbook(bad, *FAST_GATE)
    assert res.rc != 0, "a release that cannot pass its health gate was kept"
    assert "ROLLED BACK" in res.out, res.out[-3000:]
    recap = res.recap()
    failed = [h for h in urls if recap.get(h, {}).get("failed")]
    assert len(failed) == 1, f"exactly the canary fails, then the rollout stops: {recap}"
    later = [h for h in urls if h not in failed]
    for host in urls:
        assert current_release(host) == before[host], f"{host}: current not restored"
        assert not any(r.endswith("-badgolden") for r in _releases(host))
        wait_ready(urls[host], timeout=30)
    assert set(_serving(urls).values()) == {model_ref(artifact_b)}
    for host in later:  # the later batches never started
        assert recap.get(host, {}).get("ok", 0) == 0, f"{host} ran although the canary failed"


def test_6_sigkill_restarts_within_seconds(artifact_b: Path, urls: dict[str, str]) -> None:
    host, url = next(iter(urls.items()))
    n0 = on_host(host, "systemctl show -P NRestarts hailo-inference").stdout.split()[-1]
    # kill -9 the main process, as a crash would (systemctl kill also signals the cgroup)
    res = on_host(host, "kill -KILL $(systemctl show -P MainPID hailo-inference)")
    assert res.rc == 0, res.out
    time.sleep(0.3)
    took = wait_ready(url, timeout=30) + 0.3
    print(f"{host}: ready again {took:.1f} s after SIGKILL")
    n1 = on_host(host, "systemctl show -P NRestarts hailo-inference").stdout.split()[-1]
    assert int(n1) == int(n0) + 1, (n0, n1)
    assert healthz(url).get("model") == model_ref(artifact_b)


def test_7_reboot_comes_back_serving(artifact_b: Path, urls: dict[str, str]) -> None:
    host, url = list(urls.items())[-1]
    t0 = time.monotonic()
    reboot_host(host)
    took = wait_ready(url, timeout=120)
    print(f"{host}: serving again {time.monotonic() - t0:.1f} s after the reboot started")
    assert healthz(url).get("model") == model_ref(artifact_b)
    assert on_host(host, "systemctl is-enabled hailo-inference").rc == 0
    assert took > 0


@pytest.fixture(autouse=True, scope="module")
def _print_versions(urls: dict[str, str]) -> None:
    yield
    print("serving at the end:", _serving(urls))
