"""The bytes `ClientRunner.compile()` of the fake returns: a FAKE HEF, never a real one.

Layout: MAGIC (8 bytes) | header length (4 bytes, big endian) | header JSON (utf-8) | payload.
The header describes the network the way HailoRT's `HEF` reports it (names, NHWC shapes without
the batch axis, quant_info), plus hw_arch and the (fake) DFC version. The payload is the
quantized emulator, so a fake `hailo_platform` can run a fake HEF and get exactly what the fake
DFC's SDK_QUANTIZED emulator returns:

    from hailo_sdk_client.fake_hef import load
    hef = load(open("encoder.hef", "rb").read())
    hef.header["hw_arch"], hef.header["inputs"][0]["shape"]   # "hailo8", [1, 100, 9]
    y = hef.run(x_nhwc)                                        # (N, 1, 1, 64) float32

A real HEF starts with different bytes; `is_fake(data)` tells them apart.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np

from ._net import Emulator

MAGIC = b"FAKEHEF\x01"


@dataclass
class FakeHef:
    header: dict
    emulator: Emulator

    def run(self, x_nhwc: np.ndarray) -> np.ndarray:
        return self.emulator.run(x_nhwc)


def is_fake(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def dump(header: dict, emulator: Emulator) -> bytes:
    h = json.dumps(header, sort_keys=True).encode()
    return MAGIC + struct.pack(">I", len(h)) + h + emulator.to_bytes()


def load(data: bytes) -> FakeHef:
    if not is_fake(data):
        raise ValueError("not a fake HEF (wrong magic): real HEFs need the real HailoRT")
    (n,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    header = json.loads(data[start : start + n].decode())
    return FakeHef(header, Emulator.from_bytes(data[start + n :]))
