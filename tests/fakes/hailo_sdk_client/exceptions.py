"""Exceptions the fake raises (the real SDK has its own hierarchy; callers catch Exception)."""

from __future__ import annotations


class HailoSdkFakeError(Exception):
    """Base class: everything the fake rejects."""


class InvalidStateError(HailoSdkFakeError):
    """A method was called out of the documented order (translate -> script -> optimize ...)."""


class ParsingError(HailoSdkFakeError):
    """translate_onnx_model rejected the model, a node name or an input shape."""


class UnsupportedOperationError(ParsingError):
    """The ONNX graph holds an op the parser does not take."""


class ModelScriptError(HailoSdkFakeError):
    """A .alls line is unknown, malformed or names a layer that does not exist."""


class CalibrationDataError(HailoSdkFakeError):
    """optimize() got calibration data of the wrong type, layout, shape or size."""


class InferenceError(HailoSdkFakeError):
    """infer() got data of the wrong layout/shape, or was called outside its context."""
