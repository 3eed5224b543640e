"""`python -m edge_artifact`: the artifact rules as one command, so Ansible, CI and the scripts
call them instead of re-implementing them in Jinja or shell (standard library only: runs with
.venv-ctl's Python on the controller, the release venv's on a host).

    verify DIR [--manifest-sha256 HEX] [--complete]
                                         every listed file against its sha256 (exit 1 names each;
                                         a build-only file may be absent unless --complete)
    pack DIR OUT                         manifest.json + the serving files as one reproducible
                                         .tar.gz under OUT (JSON: path, sha256, files)
    served DIR                           the files a serving host needs, one per line
    newest ROOT [--one]                  the newest complete artifact folder (store.py's rule)
    describe DIR                         what the manifest says, as one JSON object
    check-pair (DIR | --hailo-json JSON) --hailort VERSION
                                         does this HailoRT load the HEF (hailo_pairs.load_refusal)
    check-arch (DIR | --hailo-json JSON) --device-arch HAILO8|HAILO8L
                                         which HEF this device runs (sections.HailoBackend)

Exit 0 yes, 1 no (the reason on stderr; check-pair prints its JSON verdict on stdout either way),
2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edge_artifact import hailo_pairs
from edge_artifact.folder import Artifact, file_problems, load_artifact
from edge_artifact.manifest import ArtifactError
from edge_artifact.sections import HailoBackend, HefChoiceError
from edge_artifact.store import complete_artifacts


def _verify(a: argparse.Namespace) -> int:
    art = load_artifact(a.dir, verify=False)
    problems = file_problems(art, a.manifest_sha256, complete=a.complete)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    present = [n for n in art.manifest.files if (art.path / n).is_file()]
    print(f"{art.ref}: {len(present)} of {len(art.manifest.files)} listed files present, "
          "every sha256 matches the manifest")  # fmt: skip
    return 0


def _pack(a: argparse.Namespace) -> int:
    from edge_artifact.pack import pack

    print(json.dumps(pack(a.dir, a.out), sort_keys=True))
    return 0


def _served(a: argparse.Namespace) -> int:
    from edge_artifact.file_roles import served_files

    print("\n".join(served_files(load_artifact(a.dir, verify=False).manifest)))
    return 0


def _newest(a: argparse.Namespace) -> int:
    found = complete_artifacts(a.root)
    if a.one and len(found) != 1:
        listed = ", ".join(str(p) for p in found) or "none"
        print(f"want exactly one complete artifact under {a.root}, found {len(found)}: {listed}",
              file=sys.stderr)  # fmt: skip
        return 1
    if not found:
        print(f"no complete artifact under {a.root} (artifacts/<model>/<version>/manifest.json); "
              "build one with `make model`", file=sys.stderr)  # fmt: skip
        return 1
    print(found[-1])
    return 0


def describe(art: Artifact) -> dict[str, Any]:
    m = art.manifest
    return {
        "path": str(art.path),
        "ref": m.ref,
        "name": m.name,
        "version": m.version,
        "schema": m.get("schema"),
        "manifest_sha256": art.manifest_sha256,
        "files": sorted(m.files),
        "backends": sorted(m.get("backends") or {}),
        "tolerance": dict(m.get("tolerance") or {}),
        "parity": dict(m.get("parity") or {}),
    }


def _describe(a: argparse.Namespace) -> int:
    print(json.dumps(describe(load_artifact(a.dir, verify=False)), indent=2, sort_keys=True))
    return 0


def pair_verdict(hailo: dict[str, Any] | None, hailort: str) -> dict[str, Any]:
    """The pair rule's answer for a manifest's backends.hailo entry and a host's HailoRT."""
    hb = hailo or {}
    refusal = hailo_pairs.load_refusal(hb, hailort)
    verdict: dict[str, Any] = {
        "ok": refusal is None,
        "hailort": hailort,
        "dfc_version": hb.get("dfc_version"),
        "hailort_min_version": hb.get("hailort_min_version"),
        "hailort_below_version": hb.get("hailort_below_version") or hailo_pairs.HAILORT_BELOW,
        "reason": "",
        "message": refusal or "",
    }
    if refusal is not None:
        low = hailo_pairs.minor(str(hb["hailort_min_version"]))
        too_old = hailo_pairs.minor(hailort) < low
        verdict["reason"] = "hailort_too_old" if too_old else "hailort_too_new"
    return verdict


def _hailo_entry(a: argparse.Namespace, command: str) -> dict[str, Any] | None:
    """The backends.hailo entry a check-pair / check-arch call names (--hailo-json or a folder)."""
    if a.hailo_json is not None:
        return json.loads(a.hailo_json) or None
    if a.dir is not None:
        return load_artifact(a.dir, verify=False).backend("hailo")
    raise ArtifactError(f"{command} needs an artifact folder or --hailo-json")


def _emit(verdict: dict[str, Any]) -> int:
    """The verdict as JSON on stdout; its message on stderr and 1 when it is not ok."""
    print(json.dumps(verdict, sort_keys=True))
    if not verdict["ok"]:
        print(verdict["message"], file=sys.stderr)
        return 1
    return 0


def _check_pair(a: argparse.Namespace) -> int:
    hailo = _hailo_entry(a, "check-pair")
    try:
        verdict = pair_verdict(hailo, a.hailort)
    except ValueError as exc:
        raise ArtifactError(f"--hailort {a.hailort!r}: {exc}") from exc
    return _emit(verdict)


def arch_verdict(hailo: dict[str, Any] | None, device_arch: str) -> dict[str, Any]:
    """Which HEF of a manifest's backends.hailo entry a device runs (ok false: none)."""
    backend = HailoBackend.from_manifest({"backends": {"hailo": hailo}} if hailo else {})
    verdict: dict[str, Any] = {"ok": False, "device_arch": device_arch, "hw_arch": None,
                               "file": None, "warning": "", "message": "",
                               "archs": list(backend.archs) if backend else []}  # fmt: skip
    if backend is None:
        verdict["message"] = "the artifact has no HEF (manifest backends.hailo)"
        return verdict
    try:
        choice = backend.for_device(device_arch)
    except HefChoiceError as exc:
        verdict["message"] = str(exc)
        return verdict
    verdict.update(ok=True, device_arch=choice.device_arch, hw_arch=choice.hef.hw_arch,
                   file=choice.hef.file, warning=choice.warning)  # fmt: skip
    return verdict


def _check_arch(a: argparse.Namespace) -> int:
    return _emit(arch_verdict(_hailo_entry(a, "check-arch"), a.device_arch))


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m edge_artifact", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="check every listed file's sha256")
    v.add_argument("dir", type=Path)
    v.add_argument("--manifest-sha256", help="manifest.json itself must have this sha256")
    v.add_argument("--complete", action="store_true", help="build-only files must be present too")
    v.set_defaults(run=_verify)
    p = sub.add_parser("pack", help="the hosts' archive: manifest.json + serving files (JSON)")
    p.add_argument("dir", type=Path)
    p.add_argument("out", type=Path, help="folder for <model>-<version>-<manifest sha>.tar.gz")
    p.set_defaults(run=_pack)
    sv = sub.add_parser("served", help="list the files a serving host needs (file_roles)")
    sv.add_argument("dir", type=Path)
    sv.set_defaults(run=_served)
    n = sub.add_parser("newest", help="print the newest complete artifact folder")
    n.add_argument("root", type=Path)
    n.add_argument("--one", action="store_true", help="refuse unless exactly one exists")
    n.set_defaults(run=_newest)
    d = sub.add_parser("describe", help="the manifest's summary as JSON")
    d.add_argument("dir", type=Path)
    d.set_defaults(run=_describe)
    c = sub.add_parser("check-pair", help="does this HailoRT load the artifact's HEF")
    c.add_argument("dir", type=Path, nargs="?")
    c.add_argument("--hailo-json", help="the manifest's backends.hailo entry (instead of DIR)")
    c.add_argument("--hailort", required=True, help="the host's HailoRT version, e.g. 4.23.0")
    c.set_defaults(run=_check_pair)
    h = sub.add_parser("check-arch", help="which of the artifact's HEFs this device runs")
    h.add_argument("dir", type=Path, nargs="?")
    h.add_argument("--hailo-json", help="the manifest's backends.hailo entry (instead of DIR)")
    h.add_argument("--device-arch", required=True, help="HAILO8 | HAILO8L (hailortcli identify)")
    h.set_defaults(run=_check_arch)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    a = parser().parse_args(argv)
    try:
        return int(a.run(a))
    except (ArtifactError, OSError, ValueError) as exc:
        print(f"edge_artifact {a.command}: {exc}", file=sys.stderr)
        return 1
