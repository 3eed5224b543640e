"""The file names inside an artifact folder (docs/artifact.md): one constant per file."""

MANIFEST = "manifest.json"  # written last: a folder holding it is complete
GOLDEN = "golden.npz"  # x (N, T, C) raw, latent (N, D), motif_scores (N, K): golden.read_golden
CALIBRATION = "calibration.npy"  # (N, 1, T, C) NHWC, normalized
EXPORT_CONFIG = "export_config.yaml"
ACCEL_ONNX = "encoder_accel.onnx"  # the accelerator graph (batch 1, static): the DFC's input
CPU_ONNX = "encoder_cpu.onnx"  # the same graph with a dynamic batch: the onnx backend
PARITY_JSON = "parity.json"  # the build's parity gates (PyTorch vs ONNX)
PARITY_PNG = "parity.png"
COMPILE_REPORT = "compile_report.json"  # compile.yml's report of one compile (hef status, parity)
HEF = "encoder.hef"  # the Hailo backend, when the DFC step built one
HAR = "encoder.har"  # the DFC's archive of the compiled model (with the HEF)
ALLS = "encoder.alls"  # the DFC model script the HEF was built with
HAILO_PARITY_JSON = "hailo_parity.json"  # the DFC step's quantized parity (emulator vs PyTorch)
HAILO_PARITY_PNG = "hailo_parity.png"

# Folders under an artifacts root that never count as an artifact (store.py)
FAILED_SUFFIX = ".failed"  # <version>.failed/: a refused build kept for inspection
TMP_SUFFIX = ".tmp"  # .<version>.tmp/: a build in progress


def per_arch(name: str, hw_arch: str) -> str:
    """The artifact's name of a DFC-step file for one architecture: encoder.hef ->
    encoder.hailo8l.hef (an artifact may carry one HEF per architecture; a single-HEF artifact
    from before keeps the plain names, still readable)."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{hw_arch}.{ext}" if dot else f"{name}.{hw_arch}"
