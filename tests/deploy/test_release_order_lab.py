"""Issue 28 item 6 on the lab fleet: rollback.yml picks "previous" by release id, and has a rescue.

- Release ids are the controller's time of each activation (RELEASE_ORDER): with the file times
  of a Pi without its RTC battery (the newer release's folder and RELEASE.json dated 2001), the
  release before current is still the one activated before it. Ordered by RELEASE.json's mtime
  (before), rollback.yml found "no release older than the current one".
- A release rollback.yml returns to that does not serve (its configuration broken on the host)
  fails the host, and the release that served before the rollback serves again, proven.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from deploylib import (
    Result,
    current_release,
    healthz,
    model_ref,
    on_host,
    play,
    playbook,
)

pytestmark = pytest.mark.lab

ROOT_DIR = "/opt/hailo-inference"


def _current(host: str) -> str:
    """The active release's id (its folder's name)."""
    return Path(current_release(host)).name


def _rollback(host: str, *extra: str) -> Result:
    return play(*extra, name="rollback.yml", limit=host)


def test_rollback_picks_by_release_id_and_its_rescue_goes_back(
    host: str, urls: dict[str, str], artifact_a: Path, artifact_b: Path
) -> None:
    url = urls[host]
    assert playbook(artifact_a, "--limit", host).rc == 0
    release_a = _current(host)
    assert playbook(artifact_b, "--limit", host).rc == 0
    release_b = _current(host)
    assert release_a != release_b
    order = on_host(host, f"cat {ROOT_DIR}/RELEASE_ORDER").stdout
    assert release_a in order and release_b in order, order

    # a Pi whose clock was wrong when B was made: B looks years older than A
    rel = f"{ROOT_DIR}/releases"
    stamp = (
        f"touch -h -d 2001-01-01 {rel}/{release_b}/RELEASE.json {rel}/{release_b} && "
        f"touch -h {rel}/{release_a}/RELEASE.json {rel}/{release_a}"
    )
    assert on_host(host, stamp).rc == 0
    res = _rollback(host)
    assert res.rc == 0, res.out[-3000:]
    assert _current(host) == release_a
    assert healthz(url).get("model") == model_ref(artifact_a)

    # B's configuration broken on the host: returning to B fails, A serves again (proven)
    cfg = f"{rel}/{release_b}/config.yaml"
    assert on_host(host, f"cp -p {cfg} {cfg}.keep && echo 'server: [' >>{cfg}").rc == 0
    try:
        res = _rollback(host, "-e", f"release={release_b}")
    finally:
        on_host(host, f"mv -f {cfg}.keep {cfg}")
    assert res.rc != 0, res.out[-3000:]
    flat = res.flat
    assert f"ROLLBACK FAILED on {host}: {release_b}" in flat, flat[-3000:]
    assert f"BACK ON {release_a}, which served before the rollback (gate passed)" in flat
    assert _current(host) == release_a
    assert healthz(url).get("model") == model_ref(artifact_a)
    assert f"{host} serves {model_ref(artifact_a)}" in flat, "the rescue did not prove A"
    order = on_host(host, f"cat {ROOT_DIR}/RELEASE_ORDER").stdout
    assert release_b not in order, f"the failed activation kept its id: {order}"
