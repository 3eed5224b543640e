"""Configuration: YAML + env overrides + validation naming the bad key; --check-config."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hailo_inference.config import ConfigError, build_config, load_config


def test_defaults_match_the_contract():
    c = build_config({}, env={})
    assert (c.server.host, c.server.port) == ("127.0.0.1", 9000)
    assert c.server.threads == 4 and c.server.max_body_bytes == 65536
    assert c.server.max_inflight == 8 and c.server.request_timeout_s == 0.5
    assert c.model.backend == "auto" and c.model.fallback_to_onnx is True
    assert c.model.artifact == "/var/lib/hailo-inference/current/artifact"
    assert c.logging.file is None and c.logging.level == "info"


def test_env_overrides_yaml():
    env = {
        "HAILO_INFERENCE_SERVER_PORT": "9001",
        "HAILO_INFERENCE_MODEL_FALLBACK_TO_ONNX": "false",
        "HAILO_INFERENCE_SERVER_REQUEST_TIMEOUT_S": "1",
        "HAILO_INFERENCE_LOGGING_FILE": "null",
    }
    c = build_config({"server": {"port": 9005}, "logging": {"file": "/tmp/x"}}, env=env)
    assert c.server.port == 9001 and c.model.fallback_to_onnx is False
    assert c.server.request_timeout_s == 1.0 and c.logging.file is None


@pytest.mark.parametrize(
    ("data", "env", "names"),
    [
        ({"server": {"prot": 1}}, {}, "server.prot"),
        ({"serve": {}}, {}, "serve"),
        ({"server": {"port": "x"}}, {}, "server.port"),
        ({"server": {"port": 70000}}, {}, "server.port"),
        ({"model": {"backend": "gpu"}}, {}, "model.backend"),
        ({"model": {"fallback_to_onnx": "yes"}}, {}, "model.fallback_to_onnx"),
        ({"logging": {"level": "loud"}}, {}, "logging.level"),
        ({"server": {"max_inflight": 0}}, {}, "server.max_inflight"),
        ({}, {"HAILO_INFERENCE_SERVER_THREADS": "many"}, "HAILO_INFERENCE_SERVER_THREADS"),
        ([1, 2], {}, "mapping"),
    ],
)
def test_bad_config_names_the_key(data, env, names):
    with pytest.raises(ConfigError, match=names.replace(".", r"\.")):
        build_config(data, env=env)


def test_load_config_reports_unreadable_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml", env={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("server: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML") as err:
        load_config(bad, env={})
    assert f'in "{bad}"' in str(err.value) and "<unicode string>" not in str(err.value)


@pytest.mark.parametrize(
    ("data", "env", "hint"),
    [
        ({"server": {"prot": 1}}, {}, "server.prot: unknown key (did you mean port?)"),
        ({"serve": {}}, {}, "serve: unknown section (did you mean server?)"),
        (
            {},
            {"HAILO_INFERENCE_SERVER_PROT": "9001"},
            "HAILO_INFERENCE_SERVER_PROT: unknown environment variable "
            "(did you mean HAILO_INFERENCE_SERVER_PORT?)",
        ),
        (
            {},
            {"HAILO_INFERENCE_MODEL_BAKCEND": "onnx"},
            "(did you mean HAILO_INFERENCE_MODEL_BACKEND?)",
        ),
        ({}, {"HAILO_INFERENCE_WHATEVER": "1"}, "HAILO_INFERENCE_WHATEVER: unknown environment"),
    ],
)
def test_unknown_names_suggest_the_nearest(data, env, hint):
    with pytest.raises(ConfigError) as err:
        build_config(data, env=env)
    assert hint in str(err.value)


def test_unrelated_env_is_ignored():
    c = build_config({}, env={"HAILO_INFERENCE_CONFIG": "/x.yaml", "HAILORT_LOGGER_PATH": "/y"})
    assert c.server.port == 9000


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HAILO_INFERENCE_")}
    return subprocess.run(
        [sys.executable, "-m", "hailo_inference", *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
    )


def test_check_config_exit_codes(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("server:\n  port: 9100\nmodel:\n  backend: onnx\n")
    r = run_cli("--check-config", str(good))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("server:\n  portt: 9100\n")
    r = run_cli("--check-config", str(bad))
    assert r.returncode == 2
    assert "server.portt" in r.stderr and "did you mean port?" in r.stderr


def test_check_config_applies_env_overrides(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("server:\n  port: 9100\n")
    r = run_cli("--check-config", str(good), env={"HAILO_INFERENCE_SERVER_PORT": "abc"})
    assert r.returncode == 2 and "HAILO_INFERENCE_SERVER_PORT" in r.stderr
    r = run_cli("--check-config", str(good), env={"HAILO_INFERENCE_SERVER_PORTT": "9001"})
    assert r.returncode == 2 and "did you mean HAILO_INFERENCE_SERVER_PORT?" in r.stderr
    r = run_cli("--check-config", str(good), env={"HAILO_INFERENCE_SERVER_PORT": "9001"})
    assert r.returncode == 0, r.stderr
    assert "with HAILO_INFERENCE_SERVER_PORT" in r.stdout and ":9001" in r.stdout


def test_serve_with_bad_config_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  backend: tpu\n")
    r = run_cli("--config", str(bad))
    assert r.returncode == 2 and "model.backend" in r.stderr
    # one NDJSON line, as every line the unit writes to the journal (tests/fleet checks them)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    line = json.loads(lines[0])
    assert line["event"] == "invalid_config" and line["level"] == "error", line
    assert "invalid config" in line["message"] and line["path"] == str(bad), line


def test_serve_with_yaml_that_does_not_parse_logs_one_ndjson_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("server: {port: 9100\n")  # an unclosed flow mapping: a multi-line error
    r = run_cli("--config", str(bad))
    assert r.returncode == 2
    [line] = [json.loads(ln) for ln in r.stderr.splitlines()]
    assert "not valid YAML" in line["error"], line
