"""hailo-inference --config FILE | --check-config FILE (see docs/daemon_config.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone

from hailo_inference import __version__
from hailo_inference.config import CONFIG_ENV, ENV_PREFIX, ConfigError, env_names, load_config

TELEMETRY_ENV = f"{ENV_PREFIX}TELEMETRY_"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="hailo-inference",
        description="EdgeInfer's local IMU encoder sidecar (Flask + Waitress). "
        "Exit codes: 0 ok, 2 bad config, 3 model/artifact refused at start, 4 cannot listen.",
    )
    ap.add_argument("--config", help=f"YAML config file (default: ${CONFIG_ENV}, else defaults)")
    ap.add_argument(
        "--check-config",
        metavar="FILE",
        help="validate FILE with the HAILO_INFERENCE_* environment overrides applied, "
        "exactly as the daemon would, and exit 0 or 2",
    )
    ap.add_argument("--version", action="version", version=f"hailo-inference {__version__}")
    # internal: how the supervisor starts a worker (server.workers > 1, see worker.py)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--listen-fds", help=argparse.SUPPRESS)
    ap.add_argument("--channel-fd", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--heartbeat-s", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.check_config:
        try:
            cfg = load_config(args.check_config)
        except ConfigError as exc:
            print(f"hailo-inference: invalid config {args.check_config}: {exc}", file=sys.stderr)
            return 2
        names = set(env_names()) - {CONFIG_ENV}
        overrides = sorted(v for v in os.environ if v in names or v.startswith(TELEMETRY_ENV))
        via = f" with {', '.join(overrides)}" if overrides else ""
        print(
            f"hailo-inference: {args.check_config} is valid{via} "
            f"(listen {cfg.server.host}:{cfg.server.port}, backend {cfg.model.backend}, "
            f"{cfg.server.workers} worker{'s' if cfg.server.workers > 1 else ''})"
        )
        return 0
    path = args.config or os.environ.get(CONFIG_ENV)
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        # the daemon's journal is NDJSON from its first line (logging is not configured yet)
        line = {"event": "invalid_config", "level": "error", "exit": 2,
                "path": path or "(defaults)", "error": str(exc),
                "message": f"hailo-inference: invalid config {path or '(defaults)'}: {exc}",
                "timestamp": datetime.now(timezone.utc).isoformat()}  # fmt: skip
        print(json.dumps(line), file=sys.stderr)
        return 2
    if args.worker is not None:
        from hailo_inference.server import serve
        from hailo_inference.worker import WorkerLink

        link = WorkerLink.from_args(args.worker, args.listen_fds, args.channel_fd, args.heartbeat_s)
        return serve(cfg, link)
    if cfg.server.workers > 1:
        from hailo_inference.supervisor import supervise

        return supervise(cfg, path)
    from hailo_inference.server import serve

    return serve(cfg)


if __name__ == "__main__":
    sys.exit(main())
