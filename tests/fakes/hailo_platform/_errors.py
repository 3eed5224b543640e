"""Exception classes and status codes as pyhailort's ExceptionWrapper raises them (fake).

Real source (github hailo-ai/hailort, branch hailo8 = v4.23.0):
- status numbers and names: hailort/libhailort/include/hailo/hailort.h, HAILO_STATUS_VARIABLES;
- classes and messages: hailort/libhailort/bindings/python/platform/hailo_platform/pyhailort/
  pyhailort.py, ExceptionWrapper.create_exception_from_status(). A status with its own class gets
  that class and a FIXED message WITHOUT the number (e.g. HAILO_TIMEOUT -> HailoRTTimeout("Received
  a timeout - ...")); every other status becomes a plain HailoRTException("libhailort failed with
  error: <n> (<NAME>)"), e.g. 82 HAILO_QUEUE_IS_FULL and 92 HAILO_HEF_NOT_SUPPORTED.
"""

from __future__ import annotations

# hailort.h HAILO_STATUS__X(value, name): the codes this fake can raise.
STATUS = {
    2: "HAILO_INVALID_ARGUMENT",
    4: "HAILO_TIMEOUT",
    6: "HAILO_INVALID_OPERATION",
    26: "HAILO_INVALID_HEF",
    36: "HAILO_DRIVER_OPERATION_FAILED",  # not "HAILO_DRIVER_FAIL" (hailort.h, value 36)
    61: "HAILO_NOT_FOUND",
    62: "HAILO_COMMUNICATION_CLOSED",
    63: "HAILO_STREAM_ABORT",
    73: "HAILO_DEVICE_IN_USE",
    74: "HAILO_OUT_OF_PHYSICAL_DEVICES",
    76: "HAILO_INVALID_DRIVER_VERSION",
    77: "HAILO_RPC_FAILED",
    78: "HAILO_INVALID_SERVICE_VERSION",
    82: "HAILO_QUEUE_IS_FULL",
    87: "HAILO_DRIVER_TIMEOUT",
    92: "HAILO_HEF_NOT_SUPPORTED",
    93: "HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE",
}


# pyhailort.py: every class below derives directly from HailoRTException.
class HailoRTException(Exception):
    pass


class HailoRTTimeout(HailoRTException):
    pass


class HailoRTStreamAborted(HailoRTException):
    pass


class HailoRTInvalidOperationException(HailoRTException):
    pass


class HailoRTInvalidArgumentException(HailoRTException):
    pass


class HailoRTNotFoundException(HailoRTException):
    pass


class HailoRTInvalidHEFException(HailoRTException):
    pass


class HailoRTHEFNotCompatibleWithDevice(HailoRTException):
    pass


class HailoRTDriverOperationFailedException(HailoRTException):
    pass


class HailoCommunicationClosedException(HailoRTException):
    pass


# pyhailort.py ExceptionWrapper.create_exception_from_status: name -> (class, fixed message).
_BY_NAME: dict[str, tuple[type[HailoRTException], str]] = {
    "HAILO_TIMEOUT": (
        HailoRTTimeout,
        "Received a timeout - hailort has failed because a timeout had occurred",
    ),
    "HAILO_STREAM_ABORT": (HailoRTStreamAborted, "Stream was aborted"),
    "HAILO_INVALID_OPERATION": (
        HailoRTInvalidOperationException,
        "Invalid operation. See hailort.log for more information",
    ),
    "HAILO_INVALID_ARGUMENT": (
        HailoRTInvalidArgumentException,
        "Invalid argument. See hailort.log for more information",
    ),
    "HAILO_NOT_FOUND": (
        HailoRTNotFoundException,
        "Item not found. See hailort.log for more information",
    ),
    "HAILO_INVALID_HEF": (
        HailoRTInvalidHEFException,
        "Invalid HEF. See hailort.log for more information",
    ),
    "HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE": (
        HailoRTHEFNotCompatibleWithDevice,
        "HEF file is not compatible with device. See hailort.log for more information",
    ),
    "HAILO_DRIVER_OPERATION_FAILED": (
        HailoRTDriverOperationFailedException,
        "Failure in hailort driver ioctl. run 'dmesg | grep hailo' for more information",
    ),
    "HAILO_COMMUNICATION_CLOSED": (
        HailoCommunicationClosedException,
        "Communication closed failure. Check server-client connection",
    ),
}


def failed(code: int) -> HailoRTException:
    """What pyhailort raises for libhailort status `code` (create_exception_from_status)."""
    name = STATUS[code]
    if name in _BY_NAME:
        cls, msg = _BY_NAME[name]
        return cls(msg)
    return HailoRTException(f"libhailort failed with error: {code} ({name})")
