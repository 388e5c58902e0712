#!/usr/bin/env python
"""Side-by-side throughput of matrix products with a stated accumulation, in one run.

On M x K x N products (default 512^3) it times

* NumPy float32 ``a @ b`` (BLAS: the physical reference, any order it likes);
* roundoff float32 round-to-nearest sequential accumulation of exact products (each step an
  FMA) on 1 and 2 threads; BF16 accumulation of BF16 inputs (each step rounded to bf16);
  the H100 FP8 tensor-core preset ``h100.cublas_scaled_mm`` (E4M3, promotion every 128);
  float32 ``blocked(64)`` and ``split_k(4)`` orders; bf16 pairwise (the general engine);
* what a user would otherwise write: ``pychop.matmul`` (chops the inputs and the float64
  result: no accumulation rounding at all), and a NumPy loop over k that accumulates in
  ml_dtypes bfloat16 (``acc = (acc + a[:, k:k+1] * b[k]).astype(bfloat16)``: two roundings
  per step, float32 then bf16).

It reports G multiply-adds/s, the speed-up of two threads, the peak extra memory that NumPy
allocates during one call (tracemalloc), as a multiple of one M x N float64 array, and how many
CPUs other processes kept busy meanwhile (bench_casts.best_of). NumPy's BLAS picks its own
thread count.

The project's targets: float32 sequential >= 8 G/s on one thread, BF16 accumulation >= 4 G/s,
the FP8 preset >= 0.5 G/s, two threads >= 1.8x one; extra memory O(M N).

Usage::

    python bench/bench_matmul.py [--size 512] [--repeat 7] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import tracemalloc
from typing import Callable, List, Optional

import ml_dtypes
import numpy as np

import roundoff as ro
import bench_casts
from bench_casts import best_of, write_section
from roundoff import hw

try:
    import pychop
except ImportError:  # optional
    pychop = None

BEGIN, END = "<!-- bench_matmul:begin -->", "<!-- bench_matmul:end -->"


def peak_extra(fn: Callable[[], object], M: int, N: int) -> float:
    """Peak NumPy allocation during fn(), in units of one M x N float64 array."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (M * N * 8)


def run(size: int, repeat: int, seed: int, loop_rows: int) -> List[dict]:
    rng = np.random.default_rng(seed)
    M = K = N = size
    a32 = rng.standard_normal((M, K)).astype(np.float32)
    b32 = rng.standard_normal((K, N)).astype(np.float32)
    a16, b16 = a32.astype(ml_dtypes.bfloat16), b32.astype(ml_dtypes.bfloat16)
    a8, b8 = a32.astype(ml_dtypes.float8_e4m3fn), b32.astype(ml_dtypes.float8_e4m3fn)
    rows: List[dict] = []

    def row(name: str, threads: int, fn: Callable[[], object], macs: int, mem: bool = True):
        ro.set_num_threads(threads)
        t = best_of(fn, repeat)
        r = dict(method=name, threads=threads, gmacs=macs / t / 1e9, ms=t * 1e3,
                 load=bench_casts.LAST_OTHER_LOAD[0])
        r["mem"] = peak_extra(fn, M, N) if mem else None
        rows.append(r)
        return r

    full = M * K * N
    row("NumPy float32 a @ b (BLAS)", 1, lambda: a32 @ b32, full)
    fp32 = ro.Accumulator("float32")
    bf16 = ro.Accumulator("bf16", a_fmt="bf16", b_fmt="bf16")
    fp8 = hw.preset("h100.cublas_scaled_mm", out_fmt="float32")
    for t in (1, 2):
        row("roundoff float32 sequential (FMA)", t, lambda: ro.matmul(a32, b32, fp32), full)
    for t in (1, 2):
        row("roundoff bf16 accumulation, bf16 inputs", t, lambda: ro.matmul(a16, b16, bf16),
            full)
    for t in (1, 2):
        row("roundoff h100.cublas_scaled_mm (E4M3)", t, lambda: ro.matmul(a8, b8, fp8), full)
    for order in (ro.orders.blocked(64), ro.orders.split_k(4)):
        row(f"roundoff float32 {order!r} (slices through the kernel)", 1,
            lambda order=order: ro.matmul(a32, b32, ro.Accumulator("float32", order=order)), full)
    pair = ro.Accumulator("bf16", order=ro.orders.pairwise(), a_fmt="bf16", b_fmt="bf16")
    part = loop_rows * K * N
    row(f"roundoff bf16 pairwise (general engine, {loop_rows} rows)", 1,
        lambda: ro.matmul(a16[:loop_rows], b16, pair), part)
    if pychop is not None:
        ch = pychop.Chop(exp_bits=8, sig_bits=7, rmode=1, subnormal=True)
        a64, b64 = a16.astype(np.float64), b16.astype(np.float64)
        row("pychop.matmul bf16 (inputs and result chopped)", 1,
            lambda: pychop.matmul(a64, b64, ch), full)

    def ml_loop():
        acc = np.zeros((loop_rows, N), ml_dtypes.bfloat16)
        for k in range(K):
            acc = (acc.astype(np.float32) + a16[:loop_rows, k:k + 1].astype(np.float32)
                   * b16[k].astype(np.float32)).astype(ml_dtypes.bfloat16)
        return acc

    row(f"NumPy loop, ml_dtypes bf16 accumulator ({loop_rows} rows)", 1, ml_loop, part)
    ro.set_num_threads(0)
    return rows


def table(rows: List[dict]) -> str:
    one = {r["method"]: r for r in rows if r["threads"] == 1}
    out = ["| method | thr | G MAC/s | ms | 2T / 1T | extra memory (M*N float64) "
           "| other load (CPUs) |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        speedup = "-"
        if r["threads"] == 2 and r["method"] in one:
            speedup = f"{r['gmacs'] / one[r['method']]['gmacs']:.2f}x"
        mem = "-" if r["mem"] is None else f"{r['mem']:.2f}"
        load = "-" if r["load"] is None else f"{r['load']:.2f}"
        out.append(f"| {r['method']} | {r['threads']} | {r['gmacs']:.3f} | {r['ms']:.1f} | "
                   f"{speedup} | {mem} | {load} |")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--loop-rows", type=int, default=32,
                   help="rows of the slow Python-level methods (their rate is per MAC)")
    p.add_argument("--out", metavar="FILE")
    args = p.parse_args(argv)
    started = _dt.datetime.now(_dt.timezone.utc)
    rows = run(args.size, args.repeat, args.seed, args.loop_rows)
    text = table(rows)
    print(text)
    if args.out:
        cmd = " ".join([os.path.relpath(sys.executable), "bench/bench_matmul.py"]
                       + (argv or sys.argv[1:]))
        versions = f"numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}, " + (
            f"pychop {getattr(pychop, '__version__', '?')}" if pychop else "pychop not installed")
        write_section(args.out, BEGIN, END, "Matrix-product benchmark", cmd, [
            f"Date: {started.isoformat(timespec='seconds')}; {platform.machine()}, "
            f"{os.cpu_count()} logical CPUs; {args.size}^3 products of standard normal inputs "
            f"(seed {args.seed}); best of {args.repeat} after 1 warm-up",
            f"Versions: python {platform.python_version()}, roundoff {ro.__version__}, "
            f"{versions}"], text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
