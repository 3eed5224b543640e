"""Exception classes and status codes as pyhailort's ExceptionWrapper raises them (fake).

Real source (github hailo-ai/hailort, tags v4.20.0 and v4.23.0; branch hailo8 = v4.23.0):
- status numbers and names: hailort/libhailort/include/hailo/hailort.h, HAILO_STATUS_VARIABLES.
  Codes differ per release: v4.20.0's list ends at 90 (HAILO_DRIVER_WAIT_CANCELED); 92
  HAILO_HEF_NOT_SUPPORTED and 93 HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE exist from v4.21.0
  (hailort.h lines 181-182), and so does pyhailort's HailoRTHEFNotCompatibleWithDevice mapping
  (v4.21.0 pyhailort.py line 153). `failed()` refuses to raise a code the running fake release
  does not have: a fake that raised 93 on 4.20 would hide a daemon that only knows 93;
- classes and messages: hailort/libhailort/bindings/python/platform/hailo_platform/pyhailort/
  pyhailort.py, ExceptionWrapper.create_exception_from_status(). A status with its own class gets
  that class and a FIXED message WITHOUT the number (e.g. HAILO_TIMEOUT -> HailoRTTimeout("Received
  a timeout - ...")); every other status becomes a plain HailoRTException("libhailort failed with
  error: <n> (<NAME>)"), e.g. 82 HAILO_QUEUE_IS_FULL and 92 HAILO_HEF_NOT_SUPPORTED.
"""

from __future__ import annotations

from . import _version

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
# code -> the first HailoRT release whose hailort.h has it (v4.20.0 hailort.h has neither).
SINCE = {92: (4, 21), 93: (4, 21)}


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
    since = SINCE.get(code)
    if since is not None and not _version.at_least(*since):
        raise AssertionError(  # a bug in the fake, never a HailoRT behaviour
            f"fake hailo_platform: status {code} does not exist before HailoRT "
            f"{since[0]}.{since[1]} (running {_version.running()}); raise what that release raises"
        )
    name = STATUS[code]
    if name in _BY_NAME:
        cls, msg = _BY_NAME[name]
        return cls(msg)
    return HailoRTException(f"libhailort failed with error: {code} ({name})")
