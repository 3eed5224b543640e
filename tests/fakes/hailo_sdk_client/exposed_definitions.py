"""States and inference contexts, named as in the real `hailo_sdk_client.exposed_definitions`."""

from __future__ import annotations

import enum


class States(str, enum.Enum):
    """Runner states in the order the documented flow visits them."""

    UNINITIALIZED = "uninitialized"
    HAILO_MODEL = "hailo_model"  # after translate_onnx_model
    FP_OPTIMIZED_MODEL = "fp_optimized_model"  # after optimize_full_precision
    QUANTIZED_MODEL = "quantized_model"  # after optimize
    COMPILED_MODEL = "compiled_model"  # after compile


class InferenceContext(str, enum.Enum):
    SDK_NATIVE = "sdk_native"  # the translated float model, no model-script changes
    SDK_FP_OPTIMIZED = "sdk_fp_optimized"  # float, with the model script (normalization...)
    SDK_QUANTIZED = "sdk_quantized"  # the emulator of the quantized model
    SDK_BIT_EXACT = "sdk_bit_exact"
    SDK_HAILO_HW = "sdk_hailo_hw"  # a real device: never available in the fake


SUPPORTED_HW_ARCHS = ("hailo8", "hailo8l", "hailo8r", "hailo15h", "hailo15m", "hailo10h")
