#!/usr/bin/env python3
"""Health gate run ON the edge host after a restart: one real /infer against golden.npz.

Installed by the hailo_inference role and run with the release's venv python (numpy and
edge_artifact, which the daemon depends on, and the daemon's hailo_inference):
checks /healthz names the expected model, /readyz is 200, then posts the first golden window to
/infer and compares the latent with the golden latent within the manifest's tolerance for the
backend in use (edge_artifact.tolerance: the check the compiler's gates and the daemon's golden
check use), and lists in `backends` what every worker serves on (/metrics). Prints one JSON line;
exit 0 pass, 1 fail (the message says why).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from edge_artifact.golden import read_golden
from edge_artifact.manifest import Manifest
from edge_artifact.names import GOLDEN, MANIFEST
from edge_artifact.tolerance import check
from hailo_inference.metric_names import serving_backends


def _get(url: str, timeout: float) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}
    except (urllib.error.URLError, OSError) as exc:  # refused, or no answer within `timeout`
        return 0, {"error": f"no answer within {timeout:g} s: {exc}"}


def _post(url: str, body: dict, timeout: float) -> tuple[int, dict]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode(errors="replace")[:300]}
    except (urllib.error.URLError, OSError) as exc:  # refused, or no answer within `timeout`
        return 0, {"error": f"no answer within {timeout:g} s: {exc}"}


def compare(latent: np.ndarray, golden: np.ndarray, tol: dict) -> tuple[bool, dict]:
    """Latent vs golden within `tol` (a manifest tolerance entry)."""
    c = check(golden, latent, tol)
    figures = {"cosine": c.figures["min_cosine"], "max_abs": c.figures["max_abs"]}
    return c.ok, {**figures, "min_snr_db": c.figures["min_snr_db"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="daemon base URL, e.g. http://127.0.0.1:9000")
    ap.add_argument("--artifact", required=True, type=Path, help="the artifact folder served")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args(argv)
    # the daemon validated the schema when it loaded this artifact; only its sections are read
    manifest = Manifest(json.loads((args.artifact / MANIFEST).read_text()))
    want = manifest.ref
    result: dict = {"expected_model": want}

    def fail(msg: str) -> int:
        result.update(ok=False, error=msg)
        print(json.dumps(result))
        return 1

    code, health = _get(f"{args.url}/healthz", args.timeout)
    result.update(model=health.get("model"), backend=health.get("backend"))
    if code == 0:
        return fail(f"/healthz: {health['error']}")
    if code != 200 or health.get("model") != want:
        return fail(f"/healthz answered {code} for model {health.get('model')!r}, want {want!r}")
    code, ready = _get(f"{args.url}/readyz", args.timeout)
    if code == 0:
        return fail(f"/readyz: {ready['error']}")
    if code != 200:
        return fail(f"/readyz answered {code}: the daemon did not reproduce its golden vectors")
    g = read_golden(args.artifact, manifest)  # the one reader: shapes checked
    x, golden = g.x[0], g.latent[0].astype(np.float64)
    code, body = _post(f"{args.url}/infer", {"x": x.tolist()}, args.timeout)
    if code != 200 or len(body.get("latent", [])) != golden.size:
        return fail(f"/infer answered {code}: {str(body)[:300]}")
    if len(body.get("motif_scores", [])) != manifest.motifs.count:
        return fail(f"/infer returned {len(body.get('motif_scores', []))} motif scores")
    backend = str(health.get("backend") or "onnx")
    tol = manifest.tolerance(backend) or manifest.tolerance("onnx")
    if not tol:
        return fail(f"the manifest has no tolerance for {backend} nor onnx: rebuild the artifact")
    ok, figures = compare(np.asarray(body["latent"], dtype=np.float64), golden, tol)
    result.update(figures, tolerance=tol)
    if not ok:
        return fail(f"/infer latent does not match {GOLDEN} window 0 within {tol}")
    try:  # every worker, not only the one this connection reached (serving_backends)
        with urllib.request.urlopen(f"{args.url}/metrics", timeout=args.timeout) as r:
            result["backends"] = serving_backends(r.read().decode(errors="replace"), want)
    except (urllib.error.URLError, OSError) as exc:
        return fail(f"/metrics: no answer within {args.timeout:g} s: {exc}")
    if not result["backends"]:
        return fail(f"/metrics shows no worker serving {want} (edge_sidecar_model_info)")
    result["ok"] = True
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
