"""Fleet check (issue 16): the number of worker processes of hailo-inference equals the
configured server.workers, and systemd's status line says they are all ready (testinfra, lab).

Runs after test_inference.py (which deploys when nothing is deployed yet).
"""

from __future__ import annotations

import yaml
from fleetlib import hosts, lab_marks

CONFIG = "/etc/hailo-inference/config.yaml"
SERVICE = "hailo-inference"
AUTO_WORKERS_CAP = 4  # hailo_inference.config.AUTO_WORKERS_CAP

pytestmark = lab_marks()
testinfra_hosts = hosts("edge")


def _configured_workers(host) -> int:
    workers = yaml.safe_load(host.file(CONFIG).content_string)["server"].get("workers", 1)
    if str(workers) == "auto":
        return min(int(host.check_output("nproc")), AUTO_WORKERS_CAP)
    return int(workers)


def test_worker_processes_equal_the_configured_count(host) -> None:
    n = _configured_workers(host)
    main = host.check_output(f"systemctl show -P MainPID {SERVICE}").strip()
    assert main != "0", host.run(f"journalctl -u {SERVICE} -n 30 --no-pager").stdout
    children = host.run(f"ps -o args= --ppid {main}").stdout.splitlines()
    indices = sorted(a.split("--worker ")[1].split()[0] for a in children if "--worker " in a)
    status = host.check_output(f"systemctl show -P StatusText {SERVICE}")
    props = host.service(SERVICE).systemd_properties
    print(f"{host.check_output('hostname')}: server.workers {n}, status {status!r}")
    if n == 1:
        assert indices == [], children  # one process, no supervisor
        assert int(props["MemoryMax"]) == 512 << 20, props["MemoryMax"]
        return
    assert indices == [str(i) for i in range(1, n + 1)], children
    assert f"({n}/{n} workers ready)" in status, status
    # the unit's limits grew with the worker count (the role's template: 128M + 192M x N)
    assert int(props["MemoryMax"]) == (128 + 192 * n) << 20, props["MemoryMax"]
