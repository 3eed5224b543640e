"""The fake hailort_service and the fake client meet where the real ones do when
HAILORT_SERVICE_ADDRESS is unset: unix:///tmp/hailort_uds.sock (hailort/rpc/rpc_definitions.hpp
@v4.20.0 lines 23-38, the same at v4.17.0 and v4.23.0). Verified against a fake, not on hardware.
Unit level (no socket is bound here); tests/deploy/test_hailort_uds_lab.py binds the real path.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REAL = "/tmp/hailort_uds.sock"


@pytest.fixture()
def fake_service(fakes_on_path: Path) -> ModuleType:
    """The fake hailort_service (the fakes on sys.path for this test only: a module-level
    sys.path.insert left the fake HailoRT importable for every test collected after this one)."""
    from hailo_platform import fake_service

    return fake_service


@pytest.fixture()
def _device(fakes_on_path: Path) -> ModuleType:
    from hailo_platform import _device

    return _device


class _Stop(Exception):
    pass


def _socket_used(fake_service: ModuleType, monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> str:
    seen: dict[str, Any] = {}

    def fake_service_class(path: str, device_dir: Path, version: str) -> None:
        seen["path"] = path
        raise _Stop

    monkeypatch.setattr(fake_service, "Service", fake_service_class)
    with pytest.raises(_Stop):
        fake_service.main(["--device-dir", "/nonexistent-fake-dev", *argv])
    return str(seen["path"])


def test_fake_service_and_client_default_to_the_real_socket_verified_against_fake(
    fake_service: ModuleType, _device: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(_device.SERVICE_ADDRESS_ENV, raising=False)
    assert _device.service_path() == REAL
    assert _socket_used(fake_service, monkeypatch, []) == REAL


def test_fake_service_follows_hailort_service_address_verified_against_fake(
    fake_service: ModuleType, _device: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_device.SERVICE_ADDRESS_ENV, "unix:///run/x/s.sock")
    assert _device.service_path() == "/run/x/s.sock"
    assert _socket_used(fake_service, monkeypatch, []) == "/run/x/s.sock"
    assert _socket_used(fake_service, monkeypatch, ["--socket", "/run/y.sock"]) == "/run/y.sock"
