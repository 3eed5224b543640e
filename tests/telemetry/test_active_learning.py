"""The active-learning selector: scoring, de-duplication, determinism, bounded memory, CLI."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import orjson
import pytest
from edge_telemetry.active_learning import SelectParams, parse_since, score, select
from edge_telemetry.rotation import file_name

from .synth import D, make_event, protos, record, write_file

T0 = 1_800_000_000.0


def cluster_events(n_clusters: int, per_cluster: int, seed: int = 1, jitter: float = 1e-3):
    """Events in tight, well separated latent clusters (cosine within a cluster > 0.999)."""
    p = protos()
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_clusters, D)) * rng.uniform(0.5, 6.0, size=(n_clusters, 1))
    recs = []
    i = 0
    for _rep in range(per_cluster):
        for c in range(n_clusters):
            lat = centers[c] + rng.normal(size=D) * jitter * np.linalg.norm(centers[c])
            recs.append(record(make_event(i, lat, p, T0 + i), p))
            i += 1
    return recs


def test_score_prefers_uncertain_flat_and_novel():
    base = {"top_score": 0.9, "entropy": 0.2, "novelty": 0.1}
    p = SelectParams()
    s0, _ = score(base, p)
    assert score(base | {"top_score": 0.6}, p)[0] > s0
    assert score(base | {"entropy": 0.9}, p)[0] > s0
    assert score(base | {"novelty": 3.0}, p)[0] > s0
    only_novelty = SelectParams(w_uncertainty=0, w_entropy=0, w_novelty=1)
    assert score(base | {"novelty": 1.0}, only_novelty)[0] == pytest.approx(0.5)


def test_near_duplicates_are_removed_best_of_each_cluster_kept(tmp_path):
    recs = cluster_events(n_clusters=6, per_cluster=20)
    write_file(tmp_path, T0, recs)
    params = SelectParams(top_k=10, dedup_cosine=0.98, strategy="score")
    rows, stats = select(tmp_path, None, params, "pi-1")
    # reference, computed the slow way: best event of each cluster, then by score
    params = SelectParams()
    best = {}
    for seq, r in enumerate(recs):
        c = seq % 6
        key = (score(r, params)[0], -r["ts"], -seq)
        if c not in best or key > best[c][0]:
            best[c] = (key, r["request_id"])
    want = [rid for _, rid in sorted(best.values(), reverse=True)]
    assert [r["request_id"] for r in rows] == want
    assert stats.selected == 6 and stats.as_dict()["duplicates_removed"] == 114
    lat = np.array([r["latent"] for r in rows], dtype=np.float64)
    lat /= np.linalg.norm(lat, axis=1, keepdims=True)
    cos = lat @ lat.T
    assert np.all(cos[~np.eye(len(rows), dtype=bool)] < 0.98)
    assert all(r["host"] == "pi-1" and r["model_version"] == "1.0.0-abc" for r in rows)
    assert [r["rank"] for r in rows] == list(range(1, 7))
    assert np.asarray(rows[0]["window"]).shape == (100, 9)


def test_top_k_is_the_k_best_when_nothing_is_duplicated(tmp_path):
    recs = cluster_events(n_clusters=50, per_cluster=1, seed=3)
    write_file(tmp_path, T0, recs)
    rows, _ = select(tmp_path, None, SelectParams(top_k=7, strategy="score"), "h")
    want = sorted(recs, key=lambda r: score(r, SelectParams())[0], reverse=True)[:7]
    assert [r["request_id"] for r in rows] == [r["request_id"] for r in want]
    assert all(a["score"] >= b["score"] for a, b in zip(rows, rows[1:]))


def test_ties_break_on_earlier_timestamp(tmp_path):
    p = protos()
    rng = np.random.default_rng(5)
    recs = []
    for i in range(6):
        r = record(make_event(i, rng.normal(size=D), p, T0 + 10 - i), p)
        r.update(top_score=0.5, entropy=0.5, novelty=1.0)  # identical scores
        recs.append(r)
    write_file(tmp_path, T0, recs)
    rows, _ = select(tmp_path, None, SelectParams(top_k=3, strategy="score"), "h")
    assert [r["ts"] for r in rows] == [T0 + 5, T0 + 6, T0 + 7]
    cov, _ = select(tmp_path, None, SelectParams(top_k=3), "h")
    assert cov[0]["ts"] == T0 + 5  # coverage starts from the same best-scored, earliest window


def run_cli(folder, out):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "edge_telemetry",
            "select",
            "--in",
            str(folder),
            "--out",
            str(out),
            "--since",
            "2020-01-01T00:00:00Z",
            "--top-k",
            "5",
            "--host",
            "pi-7",
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_is_deterministic_and_writes_valid_ndjson(tmp_path):
    recs = cluster_events(n_clusters=12, per_cluster=5, seed=9)
    folder = tmp_path / "tel"
    write_file(folder, T0, recs[:30])
    write_file(folder, T0 + 30, recs[30:], tail=b'{"ts": 1800000099, "window": [[1')
    a = run_cli(folder, tmp_path / "a.ndjson")
    b = run_cli(folder, tmp_path / "b.ndjson")
    assert b.returncode == 0, b.stderr
    assert a.returncode == 0, a.stderr
    assert (tmp_path / "a.ndjson").read_bytes() == (tmp_path / "b.ndjson").read_bytes()
    lines = (tmp_path / "a.ndjson").read_bytes().splitlines()
    rows = [orjson.loads(x) for x in lines]
    assert len(rows) == 5 and all(r["host"] == "pi-7" for r in rows)
    summary = orjson.loads(a.stdout.strip().splitlines()[-1])
    assert summary["torn_lines"] == 1 and summary["selected"] == 5


def test_cli_explains_a_missing_folder(tmp_path):
    r = run_cli(tmp_path / "missing", tmp_path / "o.ndjson")
    assert r.returncode == 2 and "telemetry.dir" in r.stderr


def test_parse_since():
    assert parse_since("24h", now=100000.0) == 100000.0 - 86400
    assert parse_since("90m", now=10000.0) == 10000.0 - 5400
    assert parse_since("1970-01-02T00:00:00Z") == 86400.0
    with pytest.raises(ValueError, match="24h"):
        parse_since("yesterday")


def synthetic_day(folder, n_events: int, sample_every: int, seed: int = 0) -> None:
    """A day of traffic scaled down: n_events events, one in `sample_every` with a window
    (built by the sink's own to_record); the others as the sink writes them, from a template."""
    p = protos()
    rng = np.random.default_rng(seed)
    per_file = 5000
    plain = (
        '{"ts":%.2f,"request_id":"req-%06d","index":0,"model_version":"1.0.0-abc",'
        '"backend":"onnx","latency_ms":1.2,"batch":1,"latent_norm":7.9,"top_motif":3,'
        '"top_score":0.71,"entropy":0.83,"novelty":0.95}\n'
    )
    for f0 in range(0, n_events, per_file):
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / file_name(T0 + f0 * 0.05), "wb") as f:
            for i in range(f0, min(f0 + per_file, n_events)):
                ts = T0 + i * 0.05
                if i % sample_every:
                    f.write((plain % (ts, i)).encode())
                    continue
                r = record(make_event(i, rng.normal(size=D), p, ts), p)
                f.write(orjson.dumps(r, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")


def peak_bytes(folder, k: int) -> int:
    tracemalloc.start()
    try:
        select(folder, None, SelectParams(top_k=k, pool=k), "h")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_k_not_by_the_day(tmp_path):
    """A real day at 20 windows/s is 1.73M events; here 1/200 and 4/200 of that, 1 event in 20
    carrying a window. The selector holds at most `pool` candidates (here = K; window + latent +
    scores as float32, ~4 KB each) plus one line being parsed, so the peak must not grow with the
    input:
    4x the events may not cost more than the small run's peak plus a small slack."""
    small, big = tmp_path / "small", tmp_path / "big"
    synthetic_day(small, 8_640, 20)
    synthetic_day(big, 4 * 8_640, 20, seed=1)
    k = 50
    p_small, p_big = peak_bytes(small, k), peak_bytes(big, k)
    print(
        f"tracemalloc peak: {p_small / 1e6:.2f} MB for 8640 events, "
        f"{p_big / 1e6:.2f} MB for 34560 events (K={k})"
    )
    assert p_big < p_small * 1.25 + 256 * 1024
    assert p_big < 8 * 1024 * 1024


def bouts_of_one_behaviour(n_bouts: int, reps: int, seed: int = 2) -> list[dict]:
    """Distinct bouts sharing one large common latent direction (raw cosine ~0.99 between bouts,
    > 0.9999 within a bout), as distinct bouts of one behaviour are in the benchmark's days."""
    p = protos()
    rng = np.random.default_rng(seed)
    common = rng.normal(size=D) * 10.0
    centers = common + rng.normal(size=(n_bouts, D)) * 1.0
    recs, i = [], 0
    for c in centers:
        for _ in range(reps):
            recs.append(record(make_event(i, c + rng.normal(size=D) * 1e-3, p, T0 + i), p))
            i += 1
    return recs


def test_no_cap_every_distinct_bout_is_selectable(tmp_path):
    """Regression for issue 29: top_k 5000 returned at most ~100 windows a day because distinct
    bouts of one behaviour (cosine 0.96-0.998) were removed as duplicates at 0.98."""
    recs = bouts_of_one_behaviour(n_bouts=300, reps=3)
    u = np.array([r["latent"] for r in recs[::3]], dtype=np.float64)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    assert np.median((u @ u.T)[np.triu_indices(len(u), 1)]) > 0.98  # the geometry claimed
    write_file(tmp_path, T0, recs)
    for strategy in ("coverage", "score"):
        rows, stats = select(tmp_path, None, SelectParams(top_k=5000, strategy=strategy), "h")
        bouts = sorted(int(r["request_id"][4:]) // 3 for r in rows)
        assert bouts == list(range(300)), strategy  # every bout once, repeats removed
        assert stats.as_dict()["duplicates_removed"] == 600
        rows, _ = select(tmp_path, None, SelectParams(top_k=250, strategy=strategy), "h")
        assert len(rows) == 250 and [r["rank"] for r in rows] == list(range(1, 251))


def separated_behaviours(tmp_path, high_score_group: int = 0) -> list[dict]:
    """5 behaviours far apart in latent space, 30 bouts each; one behaviour scores far higher."""
    p = protos()
    rng = np.random.default_rng(4)
    centers = rng.normal(size=(5, D)) * 20.0
    recs, i = [], 0
    for _bout in range(30):
        for g in range(5):
            r = record(make_event(i, centers[g] + rng.normal(size=D), p, T0 + i), p)
            hi = g == high_score_group
            r.update(top_score=0.1 if hi else 0.9, entropy=0.9 if hi else 0.1)
            recs.append(r)
            i += 1
    write_file(tmp_path, T0, recs)
    return recs


def test_coverage_spans_the_behaviours_where_score_takes_only_the_outliers(tmp_path):
    separated_behaviours(tmp_path)
    group = lambda row: int(row["request_id"][4:]) % 5  # noqa: E731
    cov, _ = select(tmp_path, None, SelectParams(top_k=5), "h")
    top, _ = select(tmp_path, None, SelectParams(top_k=5, strategy="score"), "h")
    assert sorted(group(r) for r in cov) == [0, 1, 2, 3, 4]
    assert group(cov[0]) == 0 and cov[0]["score"] == max(r["score"] for r in top)
    assert [group(r) for r in top] == [0] * 5
    # every prefix of a bigger selection is the smaller selection (label the first N rows)
    big, _ = select(tmp_path, None, SelectParams(top_k=40), "h")
    assert [r["request_id"] for r in big[:5]] == [r["request_id"] for r in cov]


def test_k_center_order_takes_the_farthest_next():
    from edge_telemetry.coverage import k_center_order

    lat = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [0.0, 5.0], [10.0, 5.0]])
    scores = np.array([0.9, 0.1, 0.1, 0.1, 0.1])
    assert k_center_order(lat, scores, 5) == [0, 4, 2, 3, 1]
    assert k_center_order(lat, scores, 2) == [0, 4]
    assert k_center_order(lat, scores, 99) == [0, 4, 2, 3, 1]  # never more than there are
    assert k_center_order(lat[:0], scores[:0], 3) == []
    # score_mix: a high score can outweigh distance
    mixed = np.array([0.9, 0.1, 0.0, 1.0, 0.0])
    assert k_center_order(lat, mixed, 3) == [3, 2, 0]
    assert k_center_order(lat, mixed, 3, score_mix=10.0) == [3, 0, 2]


def test_bad_parameters_say_what_to_do():
    with pytest.raises(ValueError, match="--strategy"):
        SelectParams(strategy="best").validate()
    with pytest.raises(ValueError, match="--pool"):
        SelectParams(top_k=10, pool=5).validate()
