"""No crash, no hang: each test pins one class of failure that fuzzing found.

Calls that used to kill the interpreter run in a child process, so a regression fails the test
instead of the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import roundoff as ro
from roundoff import _core


def _child(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs code in a fresh interpreter (numpy as np, roundoff as ro imported)."""
    prelude = "import numpy as np, roundoff as ro\nfrom roundoff import _core\n"
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout)


# -- exceptions never escape a parallel region ----------------------------------------------------
def test_exception_in_parallel_region_uint64_rbits():
    # The random bits of 4 tiles (2 threads) as uint64: the kernel used to throw inside the
    # OpenMP region (std::terminate). Now a ValueError, raised before any work.
    r = _child("""
        ro.set_num_threads(2)
        x = np.ones(1 << 14, np.float32)
        out = np.empty(x.shape, np.uint8)
        try:
            _core.convert(x.view(np.uint32), out, ro.float32._facts(), ro.E4M3._facts(), 6,
                          False, False, False, 32, 0, np.zeros(x.shape, np.uint64))
        except ValueError as e:
            print("ValueError", e)
    """)
    assert r.returncode == 0, r.stderr
    assert "ValueError rbits" in r.stdout


def test_exception_in_parallel_region_huge_fused_terms():
    # terms = 2^31 - 1 allocated a block buffer per thread inside the region (bad_alloc ->
    # std::terminate); terms = 2^27 peaked at 8 GB. The model is bounded by what hardware has.
    with pytest.raises(ValueError, match="^terms"):
        ro.FusedAdder(2**31 - 1, 24)
    with pytest.raises(ValueError, match="^terms"):
        ro.FusedAdder(2**27, 24)
    a = np.ones((2, 4), np.float32)
    b = np.ones((4, 2), np.float32)
    acc = ro.Accumulator(a_fmt="bf16", b_fmt="bf16", fused=ro.FusedAdder(256, 42))
    assert ro.matmul(a, b, acc).tolist() == [[4.0, 4.0], [4.0, 4.0]]
    # The private binding checks too (the terms argument is a C int).
    r = _child("""
        a = np.ones((2, 4)); b = np.ones((4, 2)); out = np.empty((2, 2))
        try:
            _core.matmul_fused(a, b, None, out, -126, -126, 2**31 - 1, 13, -133,
                               ro.float32._facts(), 2, 32, 0, 0, 0, 0, ro.float32._facts(),
                               False)
        except ValueError as e:
            print("ValueError", e)
    """)
    assert r.returncode == 0 and "ValueError terms" in r.stdout, r.stderr


def test_private_bindings_check_widths_and_facts():
    x = np.ones(8, np.uint8)
    with pytest.raises(ValueError, match="itemsize"):  # bf16 codes must be 2 bytes wide
        _core.convert(x, np.empty(8, np.uint8), ro.BF16._facts(), ro.E4M3._facts(), 0, False,
                      False, False, 32, 0, None)
    with pytest.raises(ValueError, match="facts"):
        _core.convert(x, np.empty(8, np.uint8), (100, 3, 7, 1, True, True, True),
                      ro.E4M3._facts(), 0, False, False, False, 32, 0, None)
    with pytest.raises(ValueError, match="shape"):
        _core.convert(x, np.empty(4, np.uint8), ro.E4M3._facts(), ro.E4M3._facts(), 0, False,
                      False, False, 32, 0, None)


# -- no large buffers on a thread's stack ---------------------------------------------------------
def test_kernels_run_on_a_small_thread_stack():
    # The arithmetic kernels kept ~112 KiB of tile buffers on the stack: a thread created with
    # a 64 KiB stack died with SIGSEGV.
    r = _child("""
        import threading
        threading.stack_size(64 * 1024)
        x = np.linspace(-3, 3, 1 << 14)
        want = {}
        def work(tag):
            want[tag] = (ro.add(x, x, "bf16", codes=True), ro.fma(x, x, x, "e4m3", "sr", seed=0),
                         ro.encode(x[::2], "e5m2", "stochastic", seed=0), ro.div(x, 3.0, "fp16"),
                         ro.matmul(x[:64].reshape(8, 8), x[:64].reshape(8, 8),
                                   ro.hw.preset("h100.wgmma", a_fmt="bf16")))
        t = threading.Thread(target=work, args=("small",)); t.start(); t.join()
        work("main")
        same = all(np.array_equal(p, q, equal_nan=True)
                   for p, q in zip(want["small"], want["main"]))
        print("ok" if same else "differ")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


# -- sizes are checked before data is scanned ------------------------------------------------------
def test_huge_broadcast_fails_at_once():
    # 2^34 codes broadcast from one byte: the range check used to scan the whole view (tens of
    # minutes) before the output was allocated.
    huge = np.broadcast_to(np.uint8(3), (1 << 20, 1 << 20))  # 2^40 elements
    t = time.perf_counter()
    with pytest.raises(MemoryError):
        ro.decode(huge, "e2m1")
    with pytest.raises(ValueError, match="^codes"):
        ro.decode(np.broadcast_to(np.uint8(200), huge.shape), "e2m1")
    with pytest.raises(MemoryError):
        ro.encode(np.broadcast_to(np.int64(3), huge.shape), "e4m3")
    with pytest.raises(ValueError, match="^x"):
        ro.encode(np.broadcast_to(np.int64(2**60 + 1), huge.shape), "e4m3")
    assert time.perf_counter() - t < 5.0


def test_broadcast_views_give_the_bits_of_copies():
    v = np.broadcast_to(np.array([[1], [7], [12]], np.uint8), (3, 5))
    assert np.array_equal(ro.decode(v, "e2m1"), ro.decode(v.copy(), "e2m1"))
    i = np.broadcast_to(np.arange(4, dtype=np.int16), (6, 4))
    assert np.array_equal(ro.encode(i, "bf16", "sr", seed=3),
                          ro.encode(i.copy(), "bf16", "sr", seed=3))
    r = np.broadcast_to(np.int64(7), (6, 4))
    assert np.array_equal(ro.encode(i, "e4m3", "sr", sr_bits=4, rbits=r),
                          ro.encode(i, "e4m3", "sr", sr_bits=4, rbits=r.copy()))


# -- Ctrl-C stops a long kernel --------------------------------------------------------------------
# Each child calibrates run(n) to about 8 s of work (n at most 2^15), says when it starts, and
# reports how long the run took until KeyboardInterrupt reached Python.
_KERNELS = {
    "fused matmul": """
        acc = ro.hw.preset("h100.wgmma", a_fmt="bf16")
        b = np.ones((1024, 256), np.float32)
        def run(n):
            ro.matmul(np.ones((n, 1024), np.float32), b, acc)
    """,
    "narrow chain": """
        acc = ro.Accumulator("bf16", a_fmt="bf16", b_fmt="bf16")
        b = np.ones((1024, 256), np.float32)
        def run(n):
            ro.matmul(np.ones((n, 1024), np.float32), b, acc)
    """,
    "float32 chain": """
        b = np.ones((2048, 2048), np.float32)
        def run(n):
            ro.matmul(np.ones((n, 2048), np.float32), b)
    """,
    "division": """
        x = np.float64(3.0)
        def run(n):
            ro.div(np.broadcast_to(x, (n, 16384)), 7.0, "bf16", codes=True)
    """,
    "stochastic cast": """
        x = np.float64(0.3)
        def run(n):
            ro.encode(np.broadcast_to(x, (n, 16384)), "bf16", "sr")
    """,
}


@pytest.mark.parametrize("kernel", sorted(_KERNELS))
def test_ctrl_c_stops_a_long_kernel(kernel):
    # Ctrl-C used to wait for the kernel (a 2048^3 h100.wgmma matmul: KeyboardInterrupt 45 s
    # after SIGINT). The kernels now poll for signals between units of work.
    code = textwrap.dedent(_KERNELS[kernel]) + textwrap.dedent("""
        import signal, time
        # A job started in the background inherits SIGINT ignored; Python's handler, as in a
        # terminal.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        n = 1
        while True:
            t = time.perf_counter(); run(n); dt = time.perf_counter() - t
            if dt > 0.25 or n >= 1 << 15:
                break
            n *= 4
        expected = dt * min(int(n * 8.0 / dt) + 1, 1 << 15) / n
        n = min(int(n * 8.0 / dt) + 1, 1 << 15)
        print("start", expected, flush=True)
        t0 = time.perf_counter()
        try:
            run(n)
            print("finished", time.perf_counter() - t0, flush=True)
        except KeyboardInterrupt:
            print("interrupted", time.perf_counter() - t0, flush=True)
    """)
    prelude = "import numpy as np, roundoff as ro\n"
    p = subprocess.Popen([sys.executable, "-c", prelude + code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline().split()
        assert first and first[0] == "start", p.stderr.read()
        expected = float(first[1])
        time.sleep(0.5)
        sent = time.perf_counter()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
        stopped = time.perf_counter() - sent
    finally:
        p.kill()
    assert out.startswith("interrupted"), (out, err)
    # Stopping takes a small part of the work left when the signal came (a kernel that ran
    # to its end would take all of it).
    left = expected - 0.5
    assert left > 1.0, expected
    assert stopped < min(1.0, left / 2), (kernel, stopped, expected)


# -- unaligned data --------------------------------------------------------------------------------
def _unaligned(x: np.ndarray) -> np.ndarray:
    buf = bytearray(x.nbytes + 1)
    u = np.frombuffer(buf, x.dtype, count=x.size, offset=1).reshape(x.shape)
    u[...] = x
    assert u.flags.c_contiguous and not u.flags.aligned or x.itemsize == 1
    return u


def test_unaligned_inputs_give_the_bits_of_aligned_ones():
    # C-contiguous but unaligned arrays (np.frombuffer at an odd offset) were read through
    # misaligned pointers (undefined behaviour; right only by luck on x86).
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 37)).astype(np.float32)
    y = rng.standard_normal((37, 5)).astype(np.float32)
    ux, uy = _unaligned(x), _unaligned(y)
    for fmt, mode in (("e4m3", "nearest_even"), ("bf16", "stochastic"), ("e3m2", "up")):
        assert np.array_equal(ro.encode(ux, fmt, mode, seed=0), ro.encode(x, fmt, mode, seed=0))
    codes = ro.encode(x, "bf16")
    assert np.array_equal(ro.decode(_unaligned(codes), "bf16"), ro.decode(codes, "bf16"))
    assert np.array_equal(ro.add(ux, ux, "bf16", codes=True), ro.add(x, x, "bf16", codes=True))
    h = ro.astype(x, "bf16")
    assert np.array_equal(ro.mul(_unaligned(h), h, "bf16", "up", codes=True),
                          ro.mul(h, h, "bf16", "up", codes=True))
    assert np.array_equal(ro.fma(ux, h, _unaligned(x.astype(np.float64)), "e5m2", codes=True),
                          ro.fma(x, h, x.astype(np.float64), "e5m2", codes=True))
    for acc in (None, ro.Accumulator("bf16", a_fmt="bf16", b_fmt="bf16"),
                ro.hw.preset("h100.wgmma", a_fmt="bf16")):
        assert np.array_equal(ro.matmul(ux, uy, acc, codes=True),
                              ro.matmul(x, y, acc, codes=True))
