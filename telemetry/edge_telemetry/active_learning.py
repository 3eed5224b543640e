"""Active-learning selection: K sampled windows worth labelling, covering the day, no repeats.

Score of a sampled window (weights normalized to sum 1, default equal):
    uncertainty = 1 - top_score            (no prototype matches well)
    entropy     = normalized softmax entropy across motif scores (no prototype stands out)
    novelty     = d / (1 + d), d = distance to the nearest raw prototype / mean prototype norm
    score       = w_u * uncertainty + w_e * entropy + w_n * novelty

Two steps (docs/telemetry.md; why: benchmarks/active_learning/REPORT.md):
1. Streaming and bounded: one pass over the files (lines without a window are not even parsed)
   into a pool of at most `pool` candidates held as float32 arrays. Invariant: no two pool
   members have latent cosine >= dedup_cosine (0.999: repeats of one bout, > 0.9999 in the
   benchmark's days, are removed; distinct bouts of one behaviour, 0.96 at the median, are
   kept). A newcomer that is a near duplicate of a better member is dropped; otherwise it evicts
   every worse near duplicate, then the worst member if the pool is over `pool`. So the pool is
   the `pool` best-scored distinct candidates.
2. strategy "coverage" (default): the K pool members in greedy k-center order in the
   standardized latent space (edge_telemetry.coverage), best-scored first; every prefix of the
   order covers the day, so labelling only the first N rows is the budget-N selection.
   strategy "score": the K best-scored pool members (the selector of issue 17).
Fewer than K rows only when the pool holds fewer distinct candidates (stats say how many were
duplicates). Order ties: higher score, then earlier timestamp, then earlier position in the
input, so the result is a pure function of the input files.
"""

from __future__ import annotations

import heapq
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from .coverage import k_center_order
from .reader import ReadStats, iter_events

WINDOW_MARK = b'"window":'
STRATEGIES = ("coverage", "score")


@dataclass(frozen=True)
class SelectParams:
    top_k: int = 100
    dedup_cosine: float = 0.999
    w_uncertainty: float = 1.0
    w_entropy: float = 1.0
    w_novelty: float = 1.0
    strategy: str = "coverage"
    pool: int = 20000
    score_mix: float = 0.0

    def validate(self) -> None:
        if self.top_k < 1:
            raise ValueError("--top-k must be >= 1")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}")
        if self.pool < self.top_k:
            raise ValueError(f"--pool ({self.pool}) must be >= --top-k ({self.top_k})")
        if self.score_mix < 0:
            raise ValueError("--score-mix must be >= 0")
        if not -1.0 <= self.dedup_cosine <= 1.0:
            raise ValueError("--dedup-cosine must be in [-1, 1]")
        ws = (self.w_uncertainty, self.w_entropy, self.w_novelty)
        if min(ws) < 0 or sum(ws) <= 0:
            raise ValueError("score weights must be >= 0 and not all 0")


def components(ev: dict[str, Any]) -> tuple[float, float, float]:
    """(uncertainty, entropy, novelty) of an event, each in [0, 1]."""
    unc = 1.0 - float(ev.get("top_score") or 0.0)
    ent = float(ev.get("entropy") or 0.0)
    d = max(float(ev.get("novelty") or 0.0), 0.0)
    return min(max(unc, 0.0), 1.0), min(max(ent, 0.0), 1.0), d / (1.0 + d)


def score(ev: dict[str, Any], p: SelectParams) -> tuple[float, tuple[float, float, float]]:
    c = components(ev)
    w = (p.w_uncertainty, p.w_entropy, p.w_novelty)
    s = sum(wi * ci for wi, ci in zip(w, c)) / sum(w)
    return float(s), c


@dataclass
class _Cand:
    key: tuple[float, float, int]  # bigger is better: (score, -ts, -seq)
    comps: tuple[float, float, float]
    event: dict[str, Any]  # window / latent / motif_scores as float32 arrays


@dataclass
class DedupTopK:
    """Bounded top-K with near-duplicate removal (see module docstring)."""

    k: int
    threshold: float
    dim: int | None = None
    _lat: np.ndarray | None = None  # (k, dim) unit latents, rows of live slots
    _slots: list[_Cand | None] = field(default_factory=list)
    _heap: list[tuple[tuple[float, float, int], int]] = field(default_factory=list)
    evicted_duplicates: int = 0
    rejected_duplicates: int = 0

    def __post_init__(self) -> None:
        self._slots = [None] * self.k
        self._free = list(range(self.k - 1, -1, -1))
        self._live = np.zeros(self.k, dtype=bool)

    def __len__(self) -> int:
        return int(self._live.sum())

    def _worst(self) -> tuple[tuple[float, float, int], int] | None:
        while self._heap:
            key, slot = self._heap[0]
            cand = self._slots[slot]
            if cand is not None and cand.key == key:
                return key, slot
            heapq.heappop(self._heap)  # stale entry (slot removed or reused)
        return None

    def _remove(self, slot: int) -> None:
        self._slots[slot] = None
        self._live[slot] = False
        self._free.append(slot)

    def could_enter(self, key: tuple[float, float, int]) -> bool:
        """False when the pool is full and `key` is not better than its worst member."""
        if self._free:
            return True
        worst = self._worst()
        return worst is None or key > worst[0]

    def offer(self, cand: _Cand, unit_latent: np.ndarray) -> bool:
        if self._lat is None:
            self.dim = unit_latent.size
            self._lat = np.zeros((self.k, self.dim), dtype=np.float32)
        if unit_latent.size != self.dim:
            return False
        if not self.could_enter(cand.key):
            return False  # not better than the worst of a full pool: no dedup work needed
        live = np.flatnonzero(self._live)
        if live.size:
            cos = self._lat[live] @ unit_latent
            dups = live[cos >= self.threshold]
            for slot in dups:
                other = self._slots[slot]
                if other is not None and other.key >= cand.key:
                    self.rejected_duplicates += 1
                    return False
            for slot in dups:
                self._remove(int(slot))
                self.evicted_duplicates += 1
        if not self._free:
            worst = self._worst()
            assert worst is not None
            heapq.heappop(self._heap)
            self._remove(worst[1])
        slot = self._free.pop()
        self._slots[slot] = cand
        self._live[slot] = True
        self._lat[slot] = unit_latent
        heapq.heappush(self._heap, (cand.key, slot))
        return True

    def ranked(self) -> list[_Cand]:
        return sorted((c for c in self._slots if c is not None), key=lambda c: c.key, reverse=True)


@dataclass
class SelectStats:
    read: ReadStats
    candidates: int = 0
    bad_candidates: int = 0
    selected: int = 0
    rejected_duplicates: int = 0
    evicted_duplicates: int = 0

    def as_dict(self) -> dict[str, Any]:
        r = self.read
        return {
            "files": r.files,
            "lines": r.lines,
            "lines_without_window": r.skipped_filtered,
            "torn_lines": r.torn,
            "invalid_lines": r.invalid,
            "older_than_since": r.skipped_old,
            "candidates": self.candidates,
            "bad_candidates": self.bad_candidates,
            "duplicates_removed": self.rejected_duplicates + self.evicted_duplicates,
            "selected": self.selected,
        }


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    if not np.isfinite(n) or n <= 0:
        return None
    return (v / n).astype(np.float32)


def select(
    folder: Path, since: float | None, params: SelectParams, host: str
) -> tuple[list[dict[str, Any]], SelectStats]:
    params.validate()
    stats = SelectStats(read=ReadStats())
    pool = DedupTopK(params.pool, params.dedup_cosine)
    for seq, ev in enumerate(iter_events(folder, since, WINDOW_MARK, stats.read)):
        try:
            latent = np.asarray(ev["latent"], dtype=np.float32).ravel()
            s, comps = score(ev, params)
        except (KeyError, TypeError, ValueError):
            stats.bad_candidates += 1
            continue
        unit = _unit(latent)
        if unit is None or not np.isfinite(s) or "window" not in ev:
            stats.bad_candidates += 1
            continue
        stats.candidates += 1
        key = (s, -float(ev["ts"]), -seq)
        if not pool.could_enter(key):
            continue  # the window (900 numbers) is only converted for a possible entrant
        try:
            window = np.asarray(ev["window"], dtype=np.float32)
            scores = np.asarray(ev.get("motif_scores") or [], dtype=np.float32).ravel()
        except (TypeError, ValueError):
            stats.bad_candidates += 1
            continue
        if window.ndim != 2 or not np.all(np.isfinite(window)):
            stats.bad_candidates += 1
            continue
        ev["window"], ev["latent"], ev["motif_scores"] = window, latent, scores
        pool.offer(_Cand(key, comps, ev), unit)
    ranked = pool.ranked()
    if params.strategy == "coverage" and ranked:
        lat = np.stack([c.event["latent"] for c in ranked])
        order = k_center_order(lat, np.array([c.key[0] for c in ranked]), params.top_k,
                               params.score_mix)  # fmt: skip
        chosen = [ranked[i] for i in order]
    else:
        chosen = ranked[: params.top_k]
    rows = [_row(rank, c, host) for rank, c in enumerate(chosen, start=1)]
    stats.selected = len(rows)
    stats.rejected_duplicates = pool.rejected_duplicates
    stats.evicted_duplicates = pool.evicted_duplicates
    return rows, stats


def _row(rank: int, c: _Cand, host: str) -> dict[str, Any]:
    ev = c.event
    ts = float(ev["ts"])
    return {
        "rank": rank,
        "score": round(c.key[0], 6),
        "uncertainty": round(c.comps[0], 6),
        "entropy": round(c.comps[1], 6),
        "novelty": round(c.comps[2], 6),
        "host": host,
        "model_version": ev.get("model_version"),
        "backend": ev.get("backend"),
        "ts": ts,
        "time_utc": datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "request_id": ev.get("request_id"),
        "index": ev.get("index", 0),
        "top_motif": ev.get("top_motif"),
        "top_score": ev.get("top_score"),
        "motif_scores": ev["motif_scores"],
        "latent": ev["latent"],
        "window": ev["window"],
    }


def write_ndjson_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    """All rows or nothing: a temp file in the same folder, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            for row in rows:
                f.write(orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_DUR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_since(text: str, now: float | None = None) -> float:
    """'24h', '90m', '7d', '3600s' (before now) or an ISO 8601 time -> unix seconds."""
    now = time.time() if now is None else now
    m = _DUR.match(text)
    if m:
        mult = {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        return now - float(m.group(1)) * mult
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"--since {text!r}: use a duration like 24h, 90m, 7d or an ISO time "
            "like 2026-11-28T00:00:00Z"
        ) from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
