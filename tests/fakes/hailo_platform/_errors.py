"""Exception classes and status codes as pyhailort's ExceptionWrapper raises them (fake)."""

from __future__ import annotations

STATUS = {
    2: "HAILO_INVALID_ARGUMENT",
    4: "HAILO_TIMEOUT",
    26: "HAILO_INVALID_HEF",
    36: "HAILO_DRIVER_FAIL",
    61: "HAILO_NOT_FOUND",
    62: "HAILO_COMMUNICATION_CLOSED",
    73: "HAILO_DEVICE_IN_USE",
    74: "HAILO_OUT_OF_PHYSICAL_DEVICES",
    76: "HAILO_INVALID_DRIVER_VERSION",
    77: "HAILO_RPC_FAILED",
    87: "HAILO_DRIVER_TIMEOUT",
    93: "HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE",
}


class HailoRTException(Exception):
    pass


class HailoRTTimeout(HailoRTException):
    pass


class HailoRTInvalidHEFException(HailoRTException):
    pass


class HailoRTHEFNotCompatibleWithDevice(HailoRTException):
    pass


class HailoRTDriverOperationFailedException(HailoRTException):
    pass


class HailoRTNotFoundException(HailoRTException):
    pass


class HailoCommunicationClosedException(HailoRTException):
    pass


def failed(code: int, cls: type[HailoRTException] = HailoRTException) -> HailoRTException:
    return cls(f"libhailort failed with error: {code} ({STATUS[code]})")
