"""The DFC step: an ONNX artifact folder -> the same folder plus encoder.hef, with parity.

Through the documented Python API of the Hailo Dataflow Compiler (`hailo_sdk_client`,
shared/reference/hailo.md section 2):

    runner = ClientRunner(hw_arch="hailo8" | "hailo8l")
    runner.translate_onnx_model(encoder_accel.onnx, net, start_node_names=[input],
                                end_node_names=[node producing the latent],
                                net_input_shapes={input: [1, 9, 1, 100]})
    runner.load_model_script(<generated .alls: normalization + 16-bit latent>)
    runner.optimize(calibration NHWC float32 (N, 1, 100, 9), raw units when normalization
                    is on chip)
    hef = runner.compile(); runner.save_har(...)
    with runner.infer_context(InferenceContext.SDK_QUANTIZED) as ctx: runner.infer(ctx, x)

The HEF joins the artifact only if the emulator's latents match the PyTorch golden latents
(min cosine / min SNR thresholds); the manifest then gains backends.hailo, parity.hailo,
tolerance.hailo and the sha256 of every new file. Without the DFC nothing is written and the
result says why. In this repository the step is verified against a fake, not on hardware
(tests/fakes/hailo_sdk_client); a user with the licensed DFC runs the same code unchanged.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from edge_artifact import (
    ArtifactError,
    HostTail,
    Manifest,
    hailo_pairs,
    load_artifact,
    sha256_file,
)
from edge_artifact.file_roles import with_roles
from edge_artifact.golden import read_golden
from edge_artifact.names import (
    ACCEL_ONNX,
    ALLS,
    CALIBRATION,
    GOLDEN,
    HAILO_PARITY_JSON,
    HAILO_PARITY_PNG,
    HAR,
    HEF,
    per_arch,
)
from edge_artifact.sections import HailoBackend, HailoHef

from . import gate as hef_gate
from .script import ScriptOptions, model_script

HW_ARCHS = ("hailo8l", "hailo8")
HEF_MODES = ("auto", "require", "skip")
NEW_FILES = (HEF, HAR, ALLS, HAILO_PARITY_JSON, HAILO_PARITY_PNG)
PACKAGE = Path(__file__).parent  # edge_compiler/hef/: its source is part of the HEF key
FP_MIN_COSINE = 0.9999  # the float model with the on-chip normalization must match PyTorch


class DfcError(RuntimeError):
    """The DFC step cannot run on this artifact; the message says what to do."""


@dataclass(frozen=True)
class HefOptions:
    hw_arch: str = "hailo8l"  # runs on Hailo-8L and Hailo-8 (sections.RUNS_ON)
    mode: str = "auto"
    thresholds: hef_gate.Thresholds = field(default_factory=hef_gate.Thresholds)
    script: ScriptOptions = field(default_factory=ScriptOptions)
    net_name: str = "tcn_encoder"
    work_dir: Path | None = None
    force: bool = False
    calibration: Path | None = None  # user-recorded raw windows (N, T, C) .npy; default: artifact's
    escalate: bool = True  # a HEF failing the gate is retried once with every layer at a16_w16
    # The HailoRT the fleet runs: the DFC must be its pair (edge_artifact/hailo_pairs.json) unless
    # allow_unpaired; empty: not checked (the manifest still records what the DFC pairs with).
    target_hailort: str = ""
    allow_unpaired: bool = False

    def __post_init__(self) -> None:
        if self.hw_arch not in HW_ARCHS:
            raise ValueError(f"hw_arch must be one of {', '.join(HW_ARCHS)}, got {self.hw_arch!r}")
        if self.mode not in HEF_MODES:
            raise ValueError(f"--hef must be one of {', '.join(HEF_MODES)}, got {self.mode!r}")


@dataclass
class HefResult:
    status: str  # built | up-to-date | skipped | unavailable | rejected
    reason: str = ""
    hw_arch: str = ""
    dfc_version: str = ""
    parity: dict | None = None
    fp_parity: dict | None = None
    failures: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    attempts: list[dict] = field(default_factory=list)
    inputs_sha256: str = ""
    work_dir: str = ""

    @property
    def hef_in_artifact(self) -> bool:
        return self.status in ("built", "up-to-date")

    def exit_code(self, mode: str) -> int:
        if self.status == "rejected":
            return 2
        if mode == "require" and not self.hef_in_artifact:
            return 3
        return 0

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Attempt:
    """One translate -> optimize -> compile -> emulator parity run, in its own work folder."""

    script: ScriptOptions
    parity: dict
    fp_parity: dict
    failures: list[str]
    timings_s: dict[str, float]

    def as_dict(self) -> dict:
        return {"script": self.script.describe(), "parity": self.parity, "failures": self.failures}


# ---------------------------------------------------------------------------------------------
def load_dfc() -> tuple[object, str]:
    """Import hailo_sdk_client -> (module, version). Raises DfcError saying why it is missing."""
    try:
        mod = importlib.import_module("hailo_sdk_client")
    except ImportError as exc:
        raise DfcError(
            f"the Hailo Dataflow Compiler is not installed in this Python ({exc}); it is a "
            "licensed wheel (hailo_dataflow_compiler-<ver>-py3-none-linux_x86_64.whl) from "
            "Hailo's developer zone: give its path as hailo_compiler_dfc_wheel (see "
            "docs/compile.md)"
        ) from exc
    version = str(getattr(mod, "__version__", "") or "")
    if not version:
        try:
            from importlib.metadata import version as dist_version

            version = dist_version("hailo_dataflow_compiler")
        except Exception:
            version = "unknown"
    return mod, version


def onnx_io(path: Path) -> tuple[str, list[int], str]:
    """(input name, static NCHW input shape, name of the node producing the first output)."""
    m = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    ins = [i for i in m.graph.input if i.name not in inits]
    if len(ins) != 1 or len(m.graph.output) < 1:
        raise DfcError(f"{path}: expected one input and one output, found {len(ins)} inputs")
    dims = [
        d.dim_value if d.HasField("dim_value") else 0 for d in ins[0].type.tensor_type.shape.dim
    ]
    if len(dims) != 4 or min(dims) < 1:
        raise DfcError(f"{path}: input {ins[0].name} must be static NCHW (1,C,1,T), got {dims}")
    out = m.graph.output[0].name
    producer = next((n for n in m.graph.node if out in n.output), None)
    if producer is None or not producer.name:
        raise DfcError(f"{path}: output {out} has no named producer node (re-export the ONNX)")
    return ins[0].name, dims, producer.name


def dfc_code_sha256() -> str:
    """sha256 over this step's own package (edge_compiler/hef/): new code, new HEF."""
    h = hashlib.sha256()
    for f in sorted(PACKAGE.rglob("*.py")):
        h.update(f.relative_to(PACKAGE).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def hef_inputs_sha256(manifest: Manifest, opts: HefOptions, alls: str, dfc_version: str) -> str:
    """What the HEF is built from: the artifact's files, the model script, target and DFC."""
    files = manifest.files
    key = {
        "artifact_inputs_sha256": manifest.inputs_sha256,
        "files": {
            n: manifest.file_sha256(n) for n in (ACCEL_ONNX, CALIBRATION, GOLDEN) if n in files
        },
        "user_calibration": sha256_file(opts.calibration) if opts.calibration else None,
        "alls": alls,
        "hw_arch": opts.hw_arch,
        "dfc_version": dfc_version,
        "net_name": opts.net_name,
        "thresholds": [opts.thresholds.min_cosine, opts.thresholds.min_snr_db],
        "escalate": opts.escalate,
        "dfc_code_sha256": dfc_code_sha256(),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _calibration(art_dir: Path, manifest: Manifest, opts: HefOptions) -> tuple[np.ndarray, dict]:
    """Calibration windows in the HEF's input domain (raw units when normalization is on chip)."""
    tail = HostTail.from_manifest(manifest)
    win, ch = tail.window, tail.channels
    if opts.calibration is not None:
        path = Path(opts.calibration)
        raw = np.load(path)
        if raw.ndim != 3 or raw.shape[1:] != (win, ch):
            raise DfcError(
                f"{path}: user calibration must be raw recorded windows (N, {win}, {ch}) in the "
                f"artifact's channel order and units, got shape {raw.shape}"
            )
        normalized = tail.prepare(raw, "NHWC").reshape(len(raw), win, ch)
        source = {"source": f"user: {path.name}", "sha256": sha256_file(path)}
    else:
        normalized = np.load(art_dir / CALIBRATION)
        if normalized.ndim != 4 or normalized.shape[1:] != (1, win, ch):
            raise DfcError(
                f"calibration.npy has shape {normalized.shape}; the artifact contract is (N, 1, "
                f"{win}, {ch}) NHWC normalized (docs/artifact.md): rebuild the artifact"
            )
        normalized = normalized.reshape(len(normalized), win, ch)
        source = {
            "source": "artifact calibration.npy",
            "sha256": manifest.file_sha256(CALIBRATION),
        }
    if not np.all(np.isfinite(normalized)):
        raise DfcError("the calibration windows hold NaN or inf values")
    if len(normalized) < opts.script.calibset_size:
        raise DfcError(
            f"the calibration set holds {len(normalized)} windows but the calibset size is "
            f"{opts.script.calibset_size} (Hailo recommends >= 1024): supply more calibration "
            "windows or lower --calibset-size"
        )
    x = normalized[: opts.script.calibset_size].astype(np.float32)
    if opts.script.normalization_on_chip:  # the HEF (and so its calibration) takes raw units
        x = x * tail.std + tail.mean
    source["windows"] = len(x)
    return np.ascontiguousarray(x.reshape(len(x), 1, win, ch), np.float32), source


def _golden_input(
    art_dir: Path, manifest: Manifest, opts: HefOptions
) -> tuple[np.ndarray, np.ndarray]:
    g = read_golden(art_dir, manifest)
    x = np.asarray(g.x, np.float32)  # (N, T, C) raw units
    tail = HostTail.from_manifest(manifest)
    nhwc = tail.prepare(x, "NHWC", normalize=not opts.script.normalization_on_chip)
    return nhwc, np.asarray(g.latent, np.float32).reshape(len(x), -1)


def _up_to_date(art_dir: Path, manifest: Manifest, key: str, hw_arch: str) -> HailoHef | None:
    """This architecture's HEF when it was built from the same inputs and its files are there."""
    try:
        backend = manifest.hailo
    except ArtifactError:
        return None
    hef = backend.hefs.get(hw_arch) if backend else None
    if hef is None or hef.entry.get("inputs_sha256") != key:
        return None
    files = manifest.files
    names = (hef.file, hef.entry.get("har"), hef.entry.get("model_script"))
    return hef if all(n and n in files and (art_dir / n).is_file() for n in names) else None


def pair_refusal(dfc_version: str, opts: HefOptions) -> str | None:
    """Why this DFC must not build HEFs for the target HailoRT (None: it may)."""
    if not opts.target_hailort or opts.allow_unpaired:
        return None
    why = hailo_pairs.check_target(dfc_version, opts.target_hailort)
    if why is None:
        return None
    return (
        f"refusing to build a HEF: {why}. If you know better, allow it with "
        "--allow-unpaired-dfc (compile.yml: hailo_compiler_allow_unpaired_dfc: true)"
    )


# ---------------------------------------------------------------------------------------------
def compile_hef(artifact_dir: str | Path, opts: HefOptions, log=print) -> HefResult:  # noqa: ANN001
    """Add a parity-checked HEF to an artifact folder (or say plainly why none was built)."""
    art_dir = Path(artifact_dir)
    try:
        art = load_artifact(art_dir, verify=True)
    except ArtifactError as exc:
        raise DfcError(str(exc)) from exc
    manifest = art.manifest
    res = HefResult(status="skipped", hw_arch=opts.hw_arch)
    if opts.mode == "skip":
        res.reason = "HEF step skipped (--hef skip); the ONNX artifact is unchanged"
        return res
    try:
        dfc, version = load_dfc()
    except DfcError as exc:
        res.status, res.reason = "unavailable", f"no HEF was built: {exc}"
        return res
    res.dfc_version = version
    refusal = pair_refusal(version, opts)
    if refusal:
        raise DfcError(refusal)

    norm = manifest.normalization
    alls = model_script(norm.mean, norm.std, opts.script)
    key = hef_inputs_sha256(manifest, opts, alls, version)
    res.inputs_sha256 = key
    done = None if opts.force else _up_to_date(art_dir, manifest, key, opts.hw_arch)
    if done is not None:
        res.status = "up-to-date"
        res.reason = f"{done.file} already built from the same inputs ({key[:12]})"
        res.parity = dict(done.parity)
        return res

    work = Path(opts.work_dir) if opts.work_dir else Path(tempfile.gettempdir()) / "edge-dfc"
    work = work / f"{manifest.version}-{opts.hw_arch}-{key[:12]}"
    if work.exists():
        shutil.rmtree(work)
    res.work_dir = str(work)
    io = onnx_io(art_dir / ACCEL_ONNX)
    calib, calib_source = _calibration(art_dir, manifest, opts)
    gold = _golden_input(art_dir, manifest, opts)
    scripts = [opts.script]
    if opts.escalate and opts.script.all_layers_precision != "a16_w16":
        scripts.append(replace(opts.script, all_layers_precision="a16_w16"))
    run = _Run(dfc, version, art_dir, manifest, opts, io, calib, gold, log)
    failures: list[str] = []
    for n, script in enumerate(scripts, start=1):
        adir = work / f"attempt{n}"
        adir.mkdir(parents=True)
        att = _attempt(run, script, adir)
        res.attempts.append(att.as_dict())
        res.parity, res.fp_parity, failures = att.parity, att.fp_parity, att.failures
        for k, v in att.timings_s.items():
            res.timings_s[k] = round(res.timings_s.get(k, 0.0) + v, 3)
        if not failures:
            _accept(art_dir, adir, opts, script, version, key, att, calib_source)
            res.status = "built"
            res.reason = (
                f"{per_arch(HEF, opts.hw_arch)} built for {opts.hw_arch} with DFC {version} "
                f"({script.describe()}) and accepted"
            )
            return res
        if n < len(scripts):
            log(f"dfc: attempt {n} ({script.describe()}) failed the gate: {'; '.join(failures)}; "
                "retrying with every layer at 16 bit")  # fmt: skip
    res.status, res.failures = "rejected", failures
    res.reason = (
        f"HEF rejected, not added to the artifact: {'; '.join(failures)}. Inspect {work} "
        "(parity plot, .alls per attempt); try a higher optimization level, more 16-bit "
        "layers, or more representative calibration windows"
    )
    return res


@dataclass(frozen=True)
class _Run:
    """What every attempt of one compile_hef call shares: the DFC, the artifact, the options,
    the graph's I/O (input name, NCHW shape, latent node), calibration and golden windows."""

    dfc: object
    version: str
    art_dir: Path
    manifest: Manifest
    opts: HefOptions
    io: tuple[str, list[int], str]
    calib: np.ndarray
    gold: tuple[np.ndarray, np.ndarray]  # (golden NHWC input, PyTorch latents)
    log: Callable[[str], object]


def _attempt(run: _Run, script: ScriptOptions, work: Path) -> Attempt:
    """One translate -> script -> optimize -> compile -> emulator parity run in `work`."""
    runner, timings = _build(run, script, work)
    parity, fp_parity, failures, timings["parity_s"] = _parity(run, script, work, runner)
    return Attempt(script, parity, fp_parity, failures, timings)


def _build(run: _Run, script: ScriptOptions, work: Path) -> tuple[Any, dict[str, float]]:
    """Translate, optimize and compile; write the .alls, HAR and HEF into `work`."""
    in_name, in_shape, end_node = run.io
    norm = run.manifest.normalization
    alls = model_script(list(norm.mean), list(norm.std), script)
    (work / ALLS).write_text(alls)
    t0 = time.monotonic()
    runner = run.dfc.ClientRunner(hw_arch=run.opts.hw_arch)  # type: ignore[attr-defined]
    run.log(
        f"dfc: translate {ACCEL_ONNX} ({in_name} {in_shape} -> {end_node}) for {run.opts.hw_arch}"
    )
    runner.translate_onnx_model(
        str(run.art_dir / ACCEL_ONNX),
        run.opts.net_name,
        start_node_names=[in_name],
        end_node_names=[end_node],
        net_input_shapes={in_name: in_shape},
    )
    runner.load_model_script(alls)
    t1 = time.monotonic()
    run.log(
        f"dfc: optimize ({script.describe()}) on {len(run.calib)} calibration windows "
        f"(NHWC {tuple(run.calib.shape[1:])})"
    )
    runner.optimize(run.calib)
    t2 = time.monotonic()
    run.log("dfc: compile")
    hef_bytes = runner.compile()
    t3 = time.monotonic()
    runner.save_har(str(work / HAR))
    (work / HEF).write_bytes(hef_bytes)
    return runner, {"translate_s": t1 - t0, "optimize_s": t2 - t1, "compile_s": t3 - t2}


def _parity(
    run: _Run, script: ScriptOptions, work: Path, runner: Any
) -> tuple[dict, dict, list[str], float]:
    """The emulator's float and quantized latents against PyTorch's: the gate's failures, the
    parity plot and hailo_parity.json in `work` -> (parity, fp parity, failures, seconds)."""
    x_gold, ref = run.gold
    opts = run.opts
    ctx_enum = run.dfc.InferenceContext  # type: ignore[attr-defined]
    tail = HostTail.from_manifest(run.manifest)
    run.log(f"dfc: parity on {len(x_gold)} golden windows (emulator, quantized)")
    t0 = time.monotonic()
    with runner.infer_context(ctx_enum.SDK_FP_OPTIMIZED) as ctx:
        fp = np.asarray(runner.infer(ctx, x_gold)).reshape(len(x_gold), -1)
    with runner.infer_context(ctx_enum.SDK_QUANTIZED) as ctx:
        q = np.asarray(runner.infer(ctx, x_gold)).reshape(len(x_gold), -1)
    seconds = time.monotonic() - t0
    fp_par, _, _ = hef_gate.measure(ref, fp, tail)
    par, cos, snr = hef_gate.measure(ref, q, tail)
    failures = hef_gate.gate(par, opts.thresholds)
    if fp_par.min_cosine < FP_MIN_COSINE:
        failures.insert(
            0,
            f"the float model with the script's normalization differs from PyTorch (min cosine "
            f"{fp_par.min_cosine:.6f} < {FP_MIN_COSINE}): normalization or layout mismatch",
        )
    m = run.manifest
    title = (
        f"{m.name} {m.version} {opts.hw_arch} "
        f"DFC {run.version}\n{script.describe()} (SDK_QUANTIZED emulator vs PyTorch)"
    )
    hef_gate.plot(cos, snr, opts.thresholds, work / HAILO_PARITY_PNG, title)
    report = {
        "context": "SDK_QUANTIZED emulator vs PyTorch golden latents",
        "hw_arch": opts.hw_arch,
        "dfc_version": run.version,
        "script": script.describe(),
        "thresholds": {
            "min_cosine": opts.thresholds.min_cosine,
            "min_snr_db": opts.thresholds.min_snr_db,
        },
        "quantized": par.as_dict(),
        "fp_optimized": fp_par.as_dict(),
        "failures": failures,
        "per_window": {
            "cosine": [round(float(c), 6) for c in cos],
            "snr_db": [round(float(s), 3) for s in snr],
        },
    }
    (work / HAILO_PARITY_JSON).write_text(json.dumps(report, indent=2) + "\n")
    return par.as_dict(), fp_par.as_dict(), failures, seconds


def update_manifest(art_dir: Path, changes: dict) -> Manifest:
    """Merge `changes` into manifest.json, re-hash every listed file, write atomically."""
    m = with_roles(Manifest.read(art_dir).updated(changes).rehashed(art_dir))
    m.write(art_dir)
    load_artifact(art_dir, verify=True)  # the folder and its manifest agree
    return m


def _accept(
    art_dir: Path,
    work: Path,
    opts: HefOptions,
    script: ScriptOptions,
    version: str,
    key: str,
    att: Attempt,
    calib_source: dict,
) -> None:
    """Copy the new files in under this architecture's names (encoder.<hw_arch>.hef, ...), then
    record the HEF beside the artifact's other HEFs (sections.HailoBackend) in the manifest."""
    names = {name: per_arch(name, opts.hw_arch) for name in NEW_FILES}
    for name, dest in names.items():
        shutil.copyfile(work / name, art_dir / f".{dest}.tmp")
        os.replace(art_dir / f".{dest}.tmp", art_dir / dest)
    x_shape = read_golden(art_dir).x.shape[1:]
    entry = {
        "layout": "NHWC",
        "input_shape": [1, *(int(v) for v in x_shape)],
        "normalization_on_chip": opts.script.normalization_on_chip,
        "dfc_version": version,
        **hailo_pairs.hailort_range(version, opts.target_hailort),
        "net_name": opts.net_name,
        "input_precision": script.input_precision,
        "output_precision": script.output_precision,
        "all_layers_precision": script.all_layers_precision,
        "precision_escalated": script is not opts.script,
        "model_script": names[ALLS],
        "har": names[HAR],
        "parity_report": names[HAILO_PARITY_JSON],
        "calibration": calib_source,
        "inputs_sha256": key,
        "verified": "fake DFC, not hardware" if version.endswith("+fake") else "DFC emulator",
    }
    parity = dict(att.parity, context="SDK_QUANTIZED")
    manifest = Manifest.read(art_dir)
    before = manifest.hailo or HailoBackend({})
    files = manifest.files
    for stale in _files_of(before.hefs.get(opts.hw_arch)) - set(names.values()):
        files.pop(stale, None)  # this architecture's earlier HEF under other names
        (art_dir / stale).unlink(missing_ok=True)
    files.update({dest: {} for dest in names.values()})
    backend = before.with_hef(HailoHef(opts.hw_arch, names[HEF], entry, parity))
    update_manifest(
        art_dir,
        {
            "files": files,
            **backend.manifest_changes(),
            "tolerance": {
                "hailo": {
                    "min_cosine": opts.thresholds.min_cosine,
                    "min_snr_db": opts.thresholds.min_snr_db,
                }
            },
            "tools": {"hailo_dataflow_compiler": version},
        },
    )


def _files_of(hef: HailoHef | None) -> set[str]:
    """The artifact files one HEF entry names (a single-HEF artifact's plain names included)."""
    if hef is None:
        return set()
    named = (hef.file, hef.entry.get("har"), hef.entry.get("model_script"),
             hef.entry.get("parity_report"))  # fmt: skip
    plain = (HAILO_PARITY_JSON, HAILO_PARITY_PNG) if hef.file == HEF else ()
    return {n for n in (*named, *plain) if n}
