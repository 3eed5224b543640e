"""Month two (issue 28 item 8): the role's side of request logging.

The daemon logs a summary per interval plus failed and slow requests (daemon request_log.py,
tests/daemon/test_request_log.py); the role passes its two knobs to the daemon's config, limits
what journald takes from the unit (LogRateLimitIntervalSec=/LogRateLimitBurst=, systemd.exec(5),
systemd >= 240) and, with a log file, makes logrotate run hourly so that `maxsize` acts within
the day rather than at Debian's daily logrotate.timer run. Rendered here with jinja2.
"""

from __future__ import annotations

import configparser
from pathlib import Path

import jinja2
import pytest
import yaml
from hailo_inference.config import build_config

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles/hailo_inference"


def render(template: str, **overrides: object) -> str:
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    vars_ = yaml.safe_load((ROLE / "vars/main.yml").read_text())
    ctx = {**defaults, **vars_, "ansible_managed": "managed", "role_path": str(ROLE), **overrides}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["comment"] = lambda s: f"# {s}"
    env.filters["bool"] = lambda v: str(v).lower() in ("1", "true", "yes", "on")
    env.filters["basename"] = lambda p: Path(p).name
    env.filters["dirname"] = lambda p: str(Path(p).parent)
    env.filters["to_nice_yaml"] = lambda v, indent=2: yaml.safe_dump(v, indent=indent)
    for _ in range(3):  # resolve defaults that are themselves templates
        ctx = {
            k: env.from_string(v).render(**ctx) if isinstance(v, str) and "{{" in v else v
            for k, v in ctx.items()
        }
    return env.from_string((ROLE / "templates" / template).read_text()).render(**ctx)


def test_daemon_config_carries_the_request_log_knobs_and_the_daemon_accepts_it():
    text = render(
        "config.yaml.j2",
        hailo_inference_log_summary_interval_s=15,
        hailo_inference_log_slow_request_ms=30,
    )
    cfg = build_config({"logging": yaml.safe_load(text)["logging"]}, env={})
    assert (cfg.logging.summary_interval_s, cfg.logging.slow_request_ms) == (15.0, 30.0)
    default = build_config({"logging": yaml.safe_load(render("config.yaml.j2"))["logging"]}, env={})
    assert (default.logging.summary_interval_s, default.logging.slow_request_ms) == (60.0, 45.0)


def _timer(text: str) -> list[tuple[str, str]]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    items: list[tuple[str, str]] = []
    for line in text.splitlines():  # configparser folds repeated keys: read the lines in order
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            items.append((k, v))
    parser.read_string(text)  # and it must parse as a unit file section
    assert parser.sections() == ["Timer"]
    return items


def test_logrotate_timer_dropin_resets_and_runs_hourly():
    """A drop-in must empty OnCalendar= first: otherwise it adds hourly to Debian's daily and
    the timer fires at both (systemd.timer(5): an empty assignment resets the list)."""
    items = _timer(render("logrotate-timer.conf.j2"))
    cal = [v for k, v in items if k == "OnCalendar"]
    assert cal == ["", "hourly"]
    assert ("AccuracySec", "1min") in items  # Debian's timer has AccuracySec=1h
    custom = _timer(
        render("logrotate-timer.conf.j2", hailo_inference_logrotate_on_calendar="*:0/15")
    )
    assert [v for k, v in custom if k == "OnCalendar"] == ["", "*:0/15"]


def test_logrotate_keeps_maxsize_with_a_time_period():
    """`maxsize` rotates a file above the size even before its period (logrotate(8)); alone
    (`size`) it would drop the daily period. It only acts when logrotate runs: the drop-in."""
    text = render("logrotate.j2", hailo_inference_log_file="/var/log/hailo-inference/d.ndjson")
    body = [line.strip() for line in text.splitlines()]
    assert "daily" in body and "maxsize 50M" in body
    assert not any(line.startswith("size ") for line in body)


def _tasks(name: str) -> list[dict]:
    return yaml.safe_load((ROLE / "tasks" / name).read_text())


def test_dropin_installed_with_a_log_file_and_removed_without():
    tasks = _tasks("configure.yml")
    dest = "{{ _hailo_inference_logrotate_timer_dropin }}"
    (install,) = [t for t in tasks if t.get("ansible.builtin.template", {}).get("dest") == dest]
    assert install["ansible.builtin.template"]["src"] == "logrotate-timer.conf.j2"
    assert install["when"] == "hailo_inference_log_file | length > 0"
    assert install["notify"] == "hailo_inference : Restart logrotate.timer"
    (remove,) = [t for t in tasks if dest in t.get("loop", [])]
    assert remove["when"] == "hailo_inference_log_file | length == 0"
    assert remove["ansible.builtin.file"]["state"] == "absent"
    handlers = yaml.safe_load((ROLE / "handlers/main.yml").read_text())
    (h,) = [h for h in handlers if h["name"] == "Restart logrotate.timer"]
    assert h["ansible.builtin.systemd_service"]["name"] == "logrotate.timer"
    assert h["ansible.builtin.systemd_service"]["daemon_reload"] is True
    uninstall = (ROLE / "tasks/uninstall.yml").read_text()
    assert "_hailo_inference_logrotate_timer_dropin" in uninstall
    vars_ = yaml.safe_load((ROLE / "vars/main.yml").read_text())
    assert vars_["_hailo_inference_logrotate_timer_dropin"].startswith(
        "/etc/systemd/system/logrotate.timer.d/"
    )


@pytest.mark.parametrize("var", ["interval_s", "slow_ms"])
def test_argument_specs_bound_nothing_the_daemon_refuses(var):
    """The defaults are inside the daemon's own bounds (config.py _validate)."""
    d = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    if var == "interval_s":
        assert 1 <= d["hailo_inference_log_summary_interval_s"] <= 3600
    else:
        assert 0 < d["hailo_inference_log_slow_request_ms"] <= 60000
