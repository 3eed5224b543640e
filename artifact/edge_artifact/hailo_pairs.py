"""The DFC <-> HailoRT pairs Hailo ships together (hailo_pairs.json, one row per pair, each with
its source), and the two questions asked of them:

    pair_for_dfc("3.33.0")                  -> Pair(dfc="3.33", hailort="4.23", ...) or None
    check_target("3.33.0", "4.20.0")       -> None if Hailo ships them together, else the refusal
    hailort_range("3.33.0")                -> manifest fields: the HailoRT versions that load it
    load_refusal(backends_hailo, "4.20.0") -> None if that HailoRT loads the HEF, else the fix

Versions compare on major.minor (a patch release keeps its pair: DFC 3.33.1 pairs with HailoRT
4.23.0, hailo_model_zoo v2.18). A HEF loads on its pair's HailoRT and newer 4.x (every HailoRT
reads older HEF header versions, hailort hef.cpp Hef::Impl::parse_hef_file); 5.x is the Hailo-10/15
line and runs no Hailo-8 HEF.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("hailo_pairs.json")
HAILORT_BELOW = "5.0"  # HailoRT 5.x (hailort master) supports only Hailo-10/15


@dataclass(frozen=True)
class Pair:
    dfc: str  # major.minor
    hailort: str  # major.minor
    hef_header_version: int  # the newest HEF header version this HailoRT reads
    source: str


def minor(version: str) -> tuple[int, int]:
    """`3.33.0+fake` -> (3, 33); raises ValueError on anything else."""
    parts = str(version).split("+")[0].split(".")
    if len(parts) < 2:
        raise ValueError(f"{version!r} is not a major.minor[.patch] version")
    return int(parts[0]), int(parts[1])


def _text(v: tuple[int, int]) -> str:
    return f"{v[0]}.{v[1]}"


@lru_cache(maxsize=4)
def pairs(table: Path = TABLE) -> tuple[Pair, ...]:
    rows = json.loads(Path(table).read_text())["pairs"]
    return tuple(
        Pair(r["dfc"], r["hailort"], int(r["hef_header_version"]), r["source"]) for r in rows
    )


def dfc_for_hailort(hailort_version: str, table: Path = TABLE) -> str | None:
    """The DFC (major.minor) Hailo ships with this HailoRT's major.minor; None if none."""
    want = minor(hailort_version)
    return next((p.dfc for p in pairs(table) if minor(p.hailort) == want), None)


def pair_for_dfc(dfc_version: str) -> Pair | None:
    want = minor(dfc_version)
    return next((p for p in pairs() if minor(p.dfc) == want), None)


def _listing() -> str:
    return ", ".join(f"DFC {p.dfc} <-> HailoRT {p.hailort}" for p in pairs())


def check_target(dfc_version: str, target_hailort: str) -> str | None:
    """None when Hailo ships this DFC with this HailoRT, else a message saying what to do."""
    pair = pair_for_dfc(dfc_version)
    if pair is not None and minor(pair.hailort) == minor(target_hailort):
        return None
    if pair is None:
        why = f"DFC {dfc_version} is not in the table of pairs Hailo ships together"
    else:
        why = (
            f"DFC {dfc_version} ships with HailoRT {pair.hailort} and its HEFs need HailoRT "
            f">= {pair.hailort}"
        )
    fit = dfc_for_hailort(target_hailort)
    fix = (
        f"install DFC {fit} for HailoRT {target_hailort}"
        if fit
        else f"no DFC in the table ships with HailoRT {target_hailort}"
    )
    return (
        f"{why}; the fleet's target HailoRT is {target_hailort}: {fix}, or upgrade the fleet's "
        f"HailoRT and set the target to match (pairs: {_listing()}; edge_artifact/hailo_pairs.json)"
    )


def hailort_range(dfc_version: str, target_hailort: str = "") -> dict[str, Any]:
    """The manifest fields saying which HailoRT loads a HEF built by `dfc_version`.

    An unpaired DFC (allowed by the user) records the target HailoRT the user vouched for.
    """
    pair = pair_for_dfc(dfc_version)
    if pair is not None:
        return {"hailort_min_version": pair.hailort, "hailort_below_version": HAILORT_BELOW,
                "hailort_pair_source": pair.source}  # fmt: skip
    if not target_hailort:
        return {}
    return {
        "hailort_min_version": _text(minor(target_hailort)),
        "hailort_below_version": HAILORT_BELOW,
        "hailort_pair_source": "not in hailo_pairs.json: the user's target HailoRT (unchecked)",
    }


def load_refusal(hailo_backend: dict[str, Any] | None, hailort_version: str) -> str | None:
    """None when `hailort_version` loads the manifest's HEF (or the manifest does not say), else
    one line naming what to upgrade or rebuild."""
    hb = hailo_backend or {}
    low, below = hb.get("hailort_min_version"), hb.get("hailort_below_version")
    if not low:
        return None  # a manifest from before the pair table: nothing recorded, nothing refused
    have = minor(hailort_version)
    if minor(low) <= have < minor(below or HAILORT_BELOW):
        return None
    dfc = hb.get("dfc_version", "?")
    if have < minor(low):
        fit = dfc_for_hailort(hailort_version)
        rebuild = f"rebuild the HEF with DFC {fit}" if fit else "rebuild the HEF with an older DFC"
        return (
            f"the HEF was built by DFC {dfc} and needs HailoRT >= {low}, but this host has "
            f"HailoRT {hailort_version}: upgrade hailort, hailort-pcie-driver/hailo-dkms, "
            f"hailofw and python3-hailort to {low}.x together (hailort_version), or "
            f"{rebuild} (hailo_compiler_target_hailort_version: {hailort_version})"
        )
    return (
        f"the HEF was built by DFC {dfc} for HailoRT {low}..<{below}, but this host has HailoRT "
        f"{hailort_version} (5.x runs only Hailo-10/15): install HailoRT 4.x ({low} or newer)"
    )
