"""Several processes on one Hailo device: HailoRT's multi-process service (hailort.service).

Every test here is verified against a fake, not on hardware: tests/fakes/hailo_platform holds
the device with a lock per holder process (the driver's "mark as used", released on exit) and
fake_service.py stands in for hailort_service on a unix socket (_device.py cites the HailoRT
source each refusal follows). Real subprocesses; a holder keeps its VDevice until the test closes
its stdin, so nothing depends on timing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_helpers import FAKES
from hailo_inference.backends.base import BackendUnavailable
from hailo_inference.config import ConfigError, build_config

pytestmark = pytest.mark.fake_hailo

# Opens a VDevice the way argv says, prints "open" (then holds it until stdin closes) or
# "refused <status line>".
VDEVICE = """
import sys, hailo_platform as hp
mode, group = sys.argv[1:3]
p = hp.VDevice.create_params()
if mode != "no-scheduler":
    p.scheduling_algorithm = hp.HailoSchedulingAlgorithm.ROUND_ROBIN
p.multi_process_service = mode in ("service", "no-scheduler")
p.group_id = group
try:
    vd = hp.VDevice(p)
except hp.HailoRTException as exc:
    print(f"refused {type(exc).__name__}: {exc}", flush=True)
    sys.exit(3)
print("open", flush=True)
sys.stdin.read()
vd.release()
"""

# A worker: builds the daemon's hailo backend from the config in argv and runs one window.
WORKER = """
import sys, numpy as np, structlog, yaml
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout: results
from edge_artifact import load_artifact
from hailo_inference.backends import hailo
from hailo_inference.backends.base import BackendUnavailable
from hailo_inference.config import build_config
cfg = build_config(yaml.safe_load(sys.argv[1]))
try:
    be = hailo.create(load_artifact(cfg.model.artifact), cfg.model)
except BackendUnavailable as exc:
    print(f"refused {exc}", flush=True)
    sys.exit(3)
out = be.run(np.zeros((1, *be.input_shape), np.float32), 5.0)
print("open", be.describe()["multi_process_service"], out.shape, flush=True)
sys.stdin.read()
be.close()
"""


class Lab:
    """A shared fake device directory and service socket for subprocesses."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "hailort_uds.sock"  # short: unix socket paths are <= 107 bytes
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(FAKES), os.environ.get("PYTHONPATH", "")]),
            "FAKE_HAILO_DEVICE_DIR": str(root / "dev"),
            "HAILORT_SERVICE_ADDRESS": f"unix://{self.socket}",
        }
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, *argv: str) -> tuple[subprocess.Popen[str], str]:
        p = subprocess.Popen(
            [sys.executable, *argv],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.procs.append(p)
        assert p.stdout is not None
        return p, p.stdout.readline().strip()

    def vdevice(self, mode: str, group: str = "SHARED") -> str:
        return self.start("-c", VDEVICE, mode, group)[1]

    def worker(self, model: str) -> str:
        return self.start("-c", WORKER, model)[1]

    def service(self, *extra: str) -> subprocess.Popen[str]:
        p, line = self.start("-m", "hailo_platform.fake_service", "--socket", str(self.socket),
                             *extra)  # fmt: skip
        assert line == "ready"
        return p

    @staticmethod
    def close(p: subprocess.Popen[str]) -> None:
        """Let a holder release its VDevice and exit."""
        assert p.stdin is not None
        p.stdin.close()
        p.wait()

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for f in (p.stdin, p.stdout):
                if f is not None:
                    f.close()


@pytest.fixture()
def lab() -> Iterator[Lab]:
    root = Path(tempfile.mkdtemp(prefix="hrt-", dir="/tmp"))
    lab = Lab(root)
    yield lab
    lab.stop()
    shutil.rmtree(root, ignore_errors=True)


REFUSED_74 = (
    "refused HailoRTException: libhailort failed with error: 74 (HAILO_OUT_OF_PHYSICAL_DEVICES)"
)


def test_second_process_without_service_is_refused_verified_against_a_fake_not_on_hardware(lab):
    holder = lab.vdevice("direct")
    assert holder == "open"
    assert lab.vdevice("direct") == REFUSED_74
    assert lab.vdevice("direct", "UNIQUE") == REFUSED_74  # no group shares across processes
    lab.close(lab.procs[0])  # released: the device is free again
    assert lab.vdevice("direct") == "open"


def test_device_is_freed_when_its_process_dies_verified_against_a_fake_not_on_hardware(lab):
    p, line = lab.start("-c", VDEVICE, "direct", "UNIQUE")
    assert line == "open"
    p.kill()
    p.wait()  # the driver's mark ends with the process
    assert lab.vdevice("direct") == "open"


def test_service_not_running_is_rpc_failed_verified_against_a_fake_not_on_hardware(lab):
    assert lab.vdevice("service") == (
        "refused HailoRTException: libhailort failed with error: 77 (HAILO_RPC_FAILED)"
    )


def test_service_needs_a_scheduler_verified_against_a_fake_not_on_hardware(lab):
    lab.service(f"--device-dir={lab.root / 'dev'}")
    assert lab.vdevice("no-scheduler").startswith("refused HailoRTInvalidArgumentException")


def test_processes_share_the_device_through_the_service_verified_against_a_fake_not_on_hardware(
    lab,
):
    lab.service(f"--device-dir={lab.root / 'dev'}")
    assert lab.vdevice("service", "SHARED") == "open"
    assert lab.vdevice("service", "SHARED") == "open"
    assert lab.vdevice("service", "OTHER") == REFUSED_74  # a second group is a second VDevice
    assert lab.vdevice("direct") == REFUSED_74  # the service holds the device
    for p in lab.procs[1:3]:
        lab.close(p)  # the group's last client gone: the service frees the device
    assert lab.vdevice("direct") == "open"


def test_unique_group_is_not_shared_by_the_service_verified_against_a_fake_not_on_hardware(lab):
    lab.service(f"--device-dir={lab.root / 'dev'}")
    assert lab.vdevice("service", "UNIQUE") == "open"
    assert lab.vdevice("service", "UNIQUE") == REFUSED_74


def test_service_cannot_take_a_device_held_directly_verified_against_a_fake_not_on_hardware(lab):
    lab.service(f"--device-dir={lab.root / 'dev'}")
    assert lab.vdevice("direct") == "open"
    assert lab.vdevice("service", "SHARED") == REFUSED_74


def test_service_of_another_version_is_refused_verified_against_a_fake_not_on_hardware(lab):
    lab.service(f"--device-dir={lab.root / 'dev'}", "--version=4.19.0")  # not the fake's
    assert lab.vdevice("service").endswith("78 (HAILO_INVALID_SERVICE_VERSION)")


def _model(art: Path, **keys: object) -> str:
    import yaml

    return yaml.safe_dump(
        {"server": {"workers": 2}, "model": {"artifact": str(art), "backend": "hailo", **keys}}
    )


def test_two_workers_share_the_device_through_the_service_verified_against_a_fake_not_on_hardware(
    lab, hailo_art
):
    lab.service(f"--device-dir={lab.root / 'dev'}")
    model = _model(hailo_art)  # hailo_multi_process auto: on with 2 workers
    assert lab.worker(model) == "open True (1, 1, 1, 64)"
    assert lab.worker(model) == "open True (1, 1, 1, 64)"


def test_worker_without_service_says_what_to_do_verified_against_a_fake_not_on_hardware(
    lab, hailo_art
):
    line = lab.worker(_model(hailo_art))
    assert line.startswith("refused cannot open the Hailo device through hailort.service")
    assert "77 (HAILO_RPC_FAILED)" in line
    assert "sudo systemctl enable --now hailort.service" in line
    assert "hailort_multi_process_service: true" in line and "server.workers: 1" in line


def test_single_process_daemon_keeps_hailort_defaults_verified_against_a_fake_not_on_hardware(
    fake_hailo, hailo_art
):
    from edge_artifact import load_artifact
    from hailo_inference.backends import hailo

    cfg = build_config({"model": {"artifact": str(hailo_art), "backend": "hailo"}})
    assert cfg.model.hailo_multi_process == "false"  # auto with one worker
    be = hailo.create(load_artifact(hailo_art), cfg.model)
    params = hailo.VDEVICE.vdevice.params
    assert (params.multi_process_service, params.group_id) == (False, "UNIQUE")
    with pytest.raises(BackendUnavailable, match="restart the daemon"):
        hailo.VDEVICE.get(fake_hailo, hailo.VDeviceSettings(True, "SHARED"))
    be.close()


@pytest.mark.parametrize(
    ("server", "model", "want"),
    [
        ({}, {}, "false"),
        ({"workers": 2}, {}, "true"),
        ({"workers": 1}, {"hailo_multi_process": True}, "true"),
        ({"workers": 2}, {"hailo_multi_process": False, "backend": "onnx"}, "false"),
    ],
)
def test_hailo_multi_process_resolves_verified_against_a_fake_not_on_hardware(server, model, want):
    cfg = build_config({"server": server, "model": model})
    assert cfg.model.hailo_multi_process == want


@pytest.mark.parametrize(
    ("server", "model", "env", "error"),
    [
        ({}, {"hailo_multi_process": "yes"}, {}, "is not one of"),
        ({"workers": 2}, {"backend": "hailo", "hailo_multi_process": False}, {}, "workers: 1"),
        ({"workers": 2}, {"hailo_group_id": "UNIQUE"}, {}, "use SHARED"),
        ({}, {}, {"HAILO_INFERENCE_MODEL_HAILO_MULTI_PROCESS": "maybe"}, "is not one of"),
    ],
)
def test_hailo_multi_process_config_errors_verified_against_a_fake_not_on_hardware(
    server, model, env, error
):
    with pytest.raises(ConfigError, match=error):
        build_config({"server": server, "model": model}, env)
