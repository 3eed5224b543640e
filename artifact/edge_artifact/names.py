"""The file names inside an artifact folder (docs/artifact.md): one constant per file."""

MANIFEST = "manifest.json"
GOLDEN = "golden.npz"  # x (N, T, C) raw, latent (N, D), motif_scores (N, K)
CALIBRATION = "calibration.npy"  # (N, 1, T, C) NHWC, normalized
EXPORT_CONFIG = "export_config.yaml"
ACCEL_ONNX = "encoder_accel.onnx"  # the accelerator graph (batch 1, static): the DFC's input
CPU_ONNX = "encoder_cpu.onnx"  # the same graph with a dynamic batch: the onnx backend
HEF = "encoder.hef"  # the Hailo backend, when the DFC step built one
PARITY_JSON = "parity.json"
PARITY_PNG = "parity.png"
