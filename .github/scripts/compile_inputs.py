#!/usr/bin/env python3
"""Write the Ansible inputs hef.yml's compile.yml run needs on the GPU server's own runner.

The runner IS the GPU server, so the inventory names it with a local connection, and the extra
vars say what to build: the model source (the workflow input, `kind:value`), the DFC wheel (the
runner-side variable DFC_WHEEL, never a path from the repository),
the hardware architectures (HW_ARCH, comma-separated, default the safe hailo8l),
`hailo_compiler_hef: require` (no HEF, no artifact) and where the artifact folder lands.

    compile_inputs.py OUTDIR   (env: HEF_SOURCE, DFC_WHEEL, HW_ARCH, FETCH_DEST)
    -> OUTDIR/hosts.yml, OUTDIR/compile-vars.json; prints OUTDIR
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

KINDS = ("recipe", "onnx", "checkpoint")
ARCHS = ("hailo8l", "hailo8")


class InputError(ValueError):
    """A workflow input or runner variable is wrong; the message says what to set."""


def source(spec: str) -> dict[str, str]:
    """`recipe:default`, `onnx:/data/x.onnx`, `checkpoint:/data/best.pth` -> a compile source."""
    kind, sep, value = spec.strip().partition(":")
    if not sep or kind not in KINDS or not value:
        raise InputError(
            f"model source {spec!r}: write kind:value with kind one of {', '.join(KINDS)}, "
            "e.g. recipe:default or onnx:/data/tcn_encoder_for_edgeinfer.onnx"
        )
    if kind != "recipe" and not Path(value).is_absolute():
        raise InputError(f"model source {spec!r}: give an absolute path on the GPU server")
    name = "default" if kind == "recipe" else Path(value).stem.replace(".", "-")
    return {"name": name, "kind": kind, kind: value}


def compile_vars(env: dict[str, str]) -> dict:
    wheel = env.get("DFC_WHEEL", "").strip()
    if not wheel or not Path(wheel).is_absolute():
        raise InputError(
            "DFC_WHEEL is not set: add a GitHub Actions variable DFC_WHEEL (repository or "
            "organization settings) with the absolute path of the licensed DFC wheel on the "
            "gpusrv runner; the wheel is never committed"
        )
    archs = [a.strip() for a in (env.get("HW_ARCH") or "hailo8l").split(",") if a.strip()]
    if not archs or any(a not in ARCHS for a in archs):
        raise InputError(
            f"hw_arch {env.get('HW_ARCH')!r}: one or more of {', '.join(ARCHS)}, comma-separated "
            "(hailo8l runs on Hailo-8L and Hailo-8, hailo8 only on Hailo-8)"
        )
    dest = env.get("FETCH_DEST", "").strip()
    if not dest:
        raise InputError("FETCH_DEST is not set (the folder the artifact is fetched into)")
    return {
        "hailo_compiler_dfc_wheel": wheel,
        "hailo_compiler_hef": "require",
        "hailo_compiler_hw_archs": list(dict.fromkeys(archs)),
        "hailo_compiler_sources": [source(env.get("HEF_SOURCE", "recipe:default"))],
        "hailo_compiler_fetch_dest": dest,
    }


def inventory() -> dict:
    host = {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"}
    return {"all": {"children": {"gpusrv": {"hosts": {"gpusrv-runner": host}}}}}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: compile_inputs.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    try:
        data = compile_vars(dict(os.environ))
    except InputError as exc:
        print(f"compile_inputs: {exc}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    (out / "hosts.yml").write_text(json.dumps(inventory(), indent=2) + "\n")  # JSON is YAML
    (out / "compile-vars.json").write_text(json.dumps(data, indent=2) + "\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
