"""HailoRT's async queue, status mapping and device handles — verified against a fake, not on
hardware.

tests/fakes/hailo_platform models pyhailort 4.20-4.23 (github hailo-ai/hailort, v4.20.0-v4.23.0):
ConfiguredInferModel.run() is run_async + wait without wait_for_async_ready (pyhailort.py), a
binding beyond the async queue fails with HAILO_QUEUE_IS_FULL (async_infer_runner.cpp
AsyncInferRunnerImpl::run) and shuts the model down (infer_model.cpp ConfiguredInferModel::
run_async), and a failed job reaches the caller only through the run_async callback.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from daemon_helpers import service
from hailo_inference.backends.base import BackendError
from hailo_inference.backends.hailo import explain
from hailo_inference.service import LoadError

pytestmark = pytest.mark.fake_hailo


def windows(shape: tuple, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)


def open_model(hp, hef: str):
    """The daemon's call sequence by hand: ROUND_ROBIN VDevice, FLOAT32, configure."""
    params = hp.VDevice.create_params()
    params.scheduling_algorithm = hp.HailoSchedulingAlgorithm.ROUND_ROBIN
    vd = hp.VDevice(params)
    im = vd.create_infer_model(hef)
    im.input().set_format_type(hp.FormatType.FLOAT32)
    im.output().set_format_type(hp.FormatType.FLOAT32)
    return vd, im


def bindings(cim, im, n: int) -> list:
    out = []
    for _ in range(n):
        b = cim.create_bindings(
            output_buffers={im.output_names[0]: np.empty(im.output().shape, np.float32)}
        )
        b.input().set_buffer(np.ones(im.input().shape, np.float32))
        out.append(b)
    return out


def test_fake_refuses_run_beyond_async_queue_like_hailort_verified_against_fake(
    fake_hailo, hailo_art
):
    """The fake is as strict as pyhailort/libhailort (v4.20.0-v4.23.0) about the async queue."""
    from hailo_platform.pyhailort.pyhailort import HailoRTStreamAborted, HailoRTTimeout

    hp = fake_hailo
    vd, im = open_model(hp, str(hailo_art / "encoder.hailo8l.hef"))
    try:
        with im.configure() as cim:
            assert cim.get_async_queue_size() == 8
            # the real signature (pyhailort.py ConfiguredInferModel.wait_for_async_ready)
            sig = inspect.signature(cim.wait_for_async_ready)
            assert [(p.name, p.default) for p in sig.parameters.values()] == [
                ("timeout_ms", 1000),
                ("frames_count", 1),
            ]
            # the real signature (pyhailort.py v4.20.0 line 3173): input buffers first
            sig = inspect.signature(cim.create_bindings)
            assert [(p.name, p.default) for p in sig.parameters.values()] == [
                ("input_buffers", None),
                ("output_buffers", None),
            ]
            # libhailort's output pool holds 2Q buffers and refuses at `in_pool + 1 < 2Q`
            # (edge_elements.cpp v4.20.0 lines 179, 232-235): 2Q - 1 = 15 frames fit at once
            cim.run(bindings(cim, im, 15), 1000)
            with pytest.raises(hp.HailoRTException) as ei:
                cim.run(bindings(cim, im, 16), 1000)  # run() never waits for room
            # a plain HailoRTException with the generic message (no class of its own in
            # pyhailort's ExceptionWrapper.create_exception_from_status)
            assert type(ei.value) is hp.HailoRTException
            assert str(ei.value) == "libhailort failed with error: 82 (HAILO_QUEUE_IS_FULL)"
            # ConfiguredInferModel::run_async shut the model down: it stays unusable
            with pytest.raises(HailoRTStreamAborted, match="Stream was aborted"):
                cim.run(bindings(cim, im, 1), 1000)
        with im.configure() as cim, pytest.raises(HailoRTTimeout):
            cim.wait_for_async_ready(1000, frames_count=9)  # more than the queue can ever take
    finally:
        vd.release()


def test_failed_job_does_not_raise_from_wait_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch
):
    """AsyncInferJobWrapper::wait raises only on timeout: a device error reaches the caller
    only through the callback's completion_info.exception (and run() swallows it)."""
    from hailo_platform.pyhailort.pyhailort import HailoRTDriverOperationFailedException

    hp = fake_hailo
    vd, im = open_model(hp, str(hailo_art / "encoder.hailo8l.hef"))
    monkeypatch.setenv("FAKE_HAILO_FAIL_AFTER", "0")
    seen = []
    try:
        with im.configure() as cim:
            cim.wait_for_async_ready(1000, frames_count=2)
            job = cim.run_async(
                bindings(cim, im, 2), lambda completion_info: seen.append(completion_info.exception)
            )
            job.wait(1000)  # does not raise
            assert len(seen) == 1 and isinstance(seen[0], HailoRTDriverOperationFailedException)
            assert "dmesg | grep hailo" in str(seen[0])
    finally:
        vd.release()


def test_batches_larger_than_the_queue_run_in_chunks_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch
):
    """The load-time golden check (256 windows) and a 64-window batch pass with a queue of 8
    (the old single run() failed with status 82 and the host fell back to onnx)."""
    s = service(hailo_art, backend="hailo", fallback_to_onnx=False).start()
    be = s.backend
    assert be.kind == "hailo" and s.golden.ok and be.queue_size == 8
    calls = fake_hailo.CALLS
    runs = [int(c.split(":")[1]) for c in calls if c.startswith("run_async:")]
    assert runs and max(runs) <= 8
    # every run_async is preceded by wait_for_async_ready for the same number of frames
    for i, c in enumerate(calls):
        if c.startswith("run_async:"):
            assert calls[i - 1] == "wait_for_async_ready:" + c.split(":")[1]
    x = windows(be.input_shape, 64)
    y = be.run(x, 10.0)
    one = np.concatenate([be.run(x[i : i + 1], 10.0) for i in range(64)])
    np.testing.assert_array_equal(y, one)


def test_fake_queue_checks_are_libhailorts_strict_ones_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch
):
    """can_push_buffers as libhailort v4.20.0 computes it (async_infer_runner.cpp 224-241): the
    output pool `in_pool + n < 2Q` (edge_elements.cpp 179, 232-235) and the entry queue
    `size + n < ceilToPow2(2Q + 1) - 1` (queue_elements.cpp 418-421, 617-620; readerwriterqueue
    v1.0.3 readerwriterqueue.h 102-110, 503-513). Fails on the old fake (no such checks)."""
    from hailo_platform import _api

    # ReaderWriterQueue(size).max_capacity() for sizes on both sides of a power of two and
    # beyond one block (MAX_BLOCK_SIZE 512: SpscQueue in common/thread_safe_queue.hpp)
    assert [_api.rwq_max_capacity(n) for n in (1, 2, 3, 7, 8, 14, 15, 16, 1022, 1023, 1024)] == [
        1, 3, 3, 7, 15, 15, 15, 31, 1023, 1023, 2044
    ]  # fmt: skip
    hp = fake_hailo
    for q in (1, 2, 3, 7, 8, 15, 16, 31):
        monkeypatch.setenv("FAKE_HAILO_ASYNC_QUEUE_SIZE", str(q))
        vd, im = open_model(hp, str(hailo_art / "encoder.hailo8l.hef"))
        try:
            with im.configure() as cim:
                fits = [n for n in range(1, 4 * q) if cim.can_push_buffers(n)]
                assert fits == list(range(1, 2 * q)), q  # empty pipeline: up to 2Q - 1
                cim.wait_for_async_ready(1000, frames_count=q)  # Q itself always fits
                job = cim.run_async(bindings(cim, im, q))
                assert cim.can_push_buffers(q - 1) and not cim.can_push_buffers(q), q
                job.wait(1000)
        finally:
            vd.release()


@pytest.mark.parametrize("queue", [1, 2, 3, 7, 8, 15, 31])
def test_no_queue_size_deadlocks_the_chunks_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch, queue
):
    """Issue 27 item 4: every chunk's wait_for_async_ready can succeed whatever Q is, including
    the sizes where Q + 1 is a power of two (1, 3, 7, 15, 31): chunks of at most Q frames meet
    the strict checks once earlier frames finish (the fake times out where they never could)."""
    monkeypatch.setenv("FAKE_HAILO_ASYNC_QUEUE_SIZE", str(queue))
    s = service(hailo_art, backend="hailo", fallback_to_onnx=False).start()
    be = s.backend
    assert be.kind == "hailo" and s.golden.ok and be.queue_size == queue
    fake_hailo.CALLS.clear()
    x = windows(be.input_shape, 3 * queue + 2)
    y = be.run(x, 10.0)
    runs = [int(c.split(":")[1]) for c in fake_hailo.CALLS if c.startswith("run_async:")]
    assert sum(runs) == len(x) and max(runs) <= queue
    one = np.concatenate([be.run(x[i : i + 1], 10.0) for i in range(len(x))])
    np.testing.assert_array_equal(y, one)


def test_chunks_follow_the_reported_queue_size_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch
):
    monkeypatch.setenv("FAKE_HAILO_ASYNC_QUEUE_SIZE", "3")
    s = service(hailo_art, backend="hailo", fallback_to_onnx=False).start()
    be = s.backend
    assert be.queue_size == 3
    fake_hailo.CALLS.clear()
    be.run(windows(be.input_shape, 7), 10.0)
    runs = [c for c in fake_hailo.CALLS if c.startswith("run_async:")]
    assert runs == ["run_async:3", "run_async:3", "run_async:1"]


def test_device_error_in_callback_is_raised_verified_against_fake(
    fake_hailo, hailo_art, monkeypatch
):
    """A job that fails on the device must not return its (unwritten) buffers as a result."""
    s = service(hailo_art, backend="hailo", fallback_to_onnx=False).start()
    monkeypatch.setenv("FAKE_HAILO_FAIL_AFTER", "0")
    with pytest.raises(BackendError, match=r"HailoRTDriverOperationFailedException.*dmesg"):
        s.backend.run(windows(s.backend.input_shape, 1), 10.0)
    with pytest.raises(BackendError, match=r"HailoRTStreamAborted.*restart the daemon"):
        s.backend.run(windows(s.backend.input_shape, 1), 10.0)


def test_hef_from_newer_dfc_names_the_dfc_verified_against_fake(fake_hailo, hailo_art, monkeypatch):
    from hailo_platform import _api

    # the fixture's HEF comes from the DFC paired with the role's HailoRT; this "HailoRT 4.23"
    # predates that DFC, so it reads the HEF as one from a newer DFC (92 from 4.21 on)
    monkeypatch.setattr(fake_hailo, "__version__", "4.23.0")
    monkeypatch.setitem(_api.PAIRED_DFC, (4, 23), (3, 29))
    with pytest.raises(LoadError, match=r"error: 92 \(HAILO_HEF_NOT_SUPPORTED\).*DFC 3\.33"):
        service(hailo_art, backend="hailo", fallback_to_onnx=False).start()


def test_status_names_match_hailort_h_verified_against_fake(fakes_on_path):
    """hailort.h: 36 is HAILO_DRIVER_OPERATION_FAILED, 82 HAILO_QUEUE_IS_FULL, 92
    HAILO_HEF_NOT_SUPPORTED (the fake used to call 36 HAILO_DRIVER_FAIL)."""
    from hailo_platform import _errors as E

    assert E.STATUS[36] == "HAILO_DRIVER_OPERATION_FAILED"
    assert E.STATUS[82] == "HAILO_QUEUE_IS_FULL"
    assert E.STATUS[92] == "HAILO_HEF_NOT_SUPPORTED"


def test_error_hints_for_queue_and_dfc_status_verified_against_fake():
    class HailoRTException(Exception):
        pass

    msg = explain(HailoRTException("libhailort failed with error: 92 (HAILO_HEF_NOT_SUPPORTED)"))
    assert "newer Dataflow Compiler" in msg and "DFC" in msg
    assert "get_async_queue_size" in explain(
        HailoRTException("libhailort failed with error: 82 (HAILO_QUEUE_IS_FULL)")
    )


def test_temperature_scrapes_keep_device_handles_verified_against_fake(fake_hailo, hailo_art):
    """Each pyhailort Device() runs gc.collect() and opens the device: scrape with kept handles."""
    s = service(hailo_art, backend="hailo").start()
    assert s.backend.temperatures() == {"0_ts0": 51.5, "0_ts1": 52.25}
    fake_hailo.CALLS.clear()
    for _ in range(5):
        assert s.backend.temperatures() == {"0_ts0": 51.5, "0_ts1": 52.25}
    assert "Device" not in fake_hailo.CALLS
