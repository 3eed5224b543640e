"""The per-event figures: entropy, novelty, deterministic sampling, config validation."""

from __future__ import annotations

import numpy as np
import pytest
from edge_telemetry.config import TelemetryConfig, TelemetryConfigError
from edge_telemetry.event import Prototypes, normalized_entropy, novelty, sampled


def test_entropy_is_one_when_flat_and_low_when_one_motif_stands_out():
    assert normalized_entropy(np.full(12, 0.5)) == pytest.approx(1.0)
    peaked = np.full(12, 0.2)
    peaked[3] = 1.0
    assert normalized_entropy(peaked) < 0.05
    mid = np.linspace(0.3, 0.7, 12)
    assert 0.05 < normalized_entropy(mid) < 1.0


def test_novelty_is_zero_on_a_prototype_and_grows_away_from_all():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(12, 64))
    p = Prototypes.from_array(raw)
    s = np.full(12, 0.5)
    assert novelty(raw[4], s, p) == pytest.approx(0.0, abs=1e-9)
    assert novelty(raw[4] * 5, s, p) > novelty(raw[4] * 1.5, s, p) > 0.1
    # without prototypes: 1 - max cos
    assert novelty(raw[0], np.array([0.5, 1.0]), None) == pytest.approx(0.0)


def test_sampling_is_deterministic_and_close_to_the_rate():
    picks = [sampled(f"id-{i}", 0, 0.1) for i in range(20000)]
    assert picks == [sampled(f"id-{i}", 0, 0.1) for i in range(20000)]
    assert 0.09 < sum(picks) / len(picks) < 0.11
    assert not sampled("x", 0, 0.0) and sampled("x", 0, 1.0)


def test_config_names_the_bad_key():
    with pytest.raises(TelemetryConfigError, match=r"telemetry\.sample_rate"):
        TelemetryConfig.from_dict({"sample_rate": 2})
    with pytest.raises(TelemetryConfigError, match=r"telemetry\.bogus: unknown key"):
        TelemetryConfig.from_dict({"bogus": 1})
    with pytest.raises(TelemetryConfigError, match=r"telemetry\.queue_size"):
        TelemetryConfig.from_dict({"queue_size": "many"})
    c = TelemetryConfig.from_dict({"enabled": "true", "dir": "/tmp/x", "queue_size": "16"})
    assert c.enabled and c.queue_size == 16 and str(c.dir) == "/tmp/x"
