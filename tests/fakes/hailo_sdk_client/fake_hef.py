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

A real HEF starts with different bytes; `is_fake(data)` tells them apart. The header carries
`hef_header_version`, the HEF format version a real HEF keeps after its magic (hailort hef.cpp
parse_hef_header_before_distinct): `header_version_for(dfc)` gives the one the fake DFC writes.
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


def header_version_for(dfc_version: str) -> int:
    """The HEF header version the fake DFC writes: the newest one its paired HailoRT reads.

    An inference, not Hailo's word: DFC 3.29 ships with HailoRT 4.19 (reads headers 0-1), 3.30
    with 4.20 (0-2), 3.31-3.33 with 4.21-4.23 (0-3) (hailo_model_zoo CHANGELOG v2.13-v2.17;
    hailort hef.cpp Hef::Impl::parse_hef_file per tag), so each DFC is taken to write the newest
    header its own HailoRT reads.
    """
    major, minor = (int(p) for p in [*dfc_version.split("+")[0].split("."), "0"][:2])
    return 1 if (major, minor) <= (3, 29) else 2 if (major, minor) == (3, 30) else 3


def is_fake(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def dump(header: dict, emulator: Emulator) -> bytes:
    h = json.dumps(header, sort_keys=True).encode()
    return MAGIC + struct.pack(">I", len(h)) + h + emulator.to_bytes()


def load_header(data: bytes) -> dict:
    if not is_fake(data):
        raise ValueError("not a fake HEF (wrong magic): real HEFs need the real HailoRT")
    (n,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    return json.loads(data[start : start + n].decode())


def load(data: bytes) -> FakeHef:
    header = load_header(data)
    start = len(MAGIC) + 4 + struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])[0]
    return FakeHef(header, Emulator.from_bytes(data[start:]))
