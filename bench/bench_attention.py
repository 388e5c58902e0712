#!/usr/bin/env python
"""Side-by-side time of the emulated flash-attention forward, in one run on the same inputs.

One head, S query rows and keys, head dim D, bf16 inputs (standard normal, seed 0), all threads:

* ``roundoff.attention(q, k, v, "torch_sdpa_flash.sm90")``: PyTorch's flash kernel emulated,
  every rounding stated; the time its tensor-core products take (``matmul`` calls inside it,
  timed by wrapping them) against two standalone emulated GEMMs of the same sizes with the same
  preset (Q K^T and P V, S x S x D each): their ratio is the tensor-core part's throughput
  relative to the standalone GEMM;
* a NumPy float32 attention of the same values (``softmax(q k^T / sqrt(D)) v`` materialised).

Targets: S = 4096, D = 128 at most 30 s on 2 threads; the tensor-core part at least
80% of the standalone GEMM's throughput. Each row: the best and the worst of ``--rounds`` runs.
With ``--out FILE`` the table replaces its section of FILE (bench/RESULTS.md).

Usage::

    python bench/bench_attention.py [--s S] [--d D] [--rounds K] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
from typing import Any, Callable, List, Optional

import ml_dtypes
import numpy as np

import roundoff as ro
from roundoff import _attention
from bench_casts import cpu_flags, cpu_model, loadavg, write_section

BEGIN, END = "<!-- bench_attention:begin -->", "<!-- bench_attention:end -->"


def timed(fn: Callable[[], Any], rounds: int) -> List[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--s", type=int, default=4096)
    p.add_argument("--d", type=int, default=128)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", metavar="FILE")
    args = p.parse_args(argv)
    started = _dt.datetime.now(_dt.timezone.utc)
    rng = np.random.default_rng(0)
    S, D = args.s, args.d
    q, k, v = (rng.standard_normal((1, 1, S, D)).astype(ml_dtypes.bfloat16) for _ in range(3))
    qf, kf, vf = (t[0, 0].astype(np.float32) for t in (q, k, v))
    ro.set_num_threads(0)

    def numpy_attention() -> np.ndarray:
        s = qf @ kf.T * np.float32(D ** -0.5)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)) @ vf

    inner = [0.0]
    plain = _attention.matmul_f32

    def counting(*a: Any, **kw: Any) -> np.ndarray:
        t = time.perf_counter()
        try:
            return plain(*a, **kw)
        finally:
            inner[0] += time.perf_counter() - t

    acc = ro.hw.preset("h100.mma", a_fmt="bf16")
    rows = []
    t_np = timed(numpy_attention, args.rounds)
    _attention.matmul_f32 = counting
    try:
        t_att, t_inner = [], []
        for _ in range(args.rounds):
            inner[0] = 0.0
            t_att += timed(lambda: ro.attention(q, k, v), 1)
            t_inner.append(inner[0])
    finally:
        _attention.matmul_f32 = plain
    pf = (rng.random((S, S)).astype(np.float32) / S).astype(ml_dtypes.bfloat16).astype(np.float32)
    t_gemm = timed(lambda: (plain(qf, kf.T.copy(), acc), plain(pf, vf, acc)), args.rounds)
    rows.append(("numpy float32 attention (materialised)", t_np))
    rows.append(("roundoff attention torch_sdpa_flash.sm90", t_att))
    rows.append(("  of which its tensor-core products", t_inner))
    rows.append(("two standalone h100.mma GEMMs (S x S x D)", t_gemm))
    lines = ["| method | seconds (best - worst) | time vs NumPy |", "|---|---:|---:|"]
    for name, t in rows:
        lines.append(f"| {name} | {min(t):.2f} - {max(t):.2f} | "
                     f"{min(t) / min(t_np):.0f}x - {max(t) / min(t_np):.0f}x |")
    ratio_hi, ratio_lo = min(t_gemm) / min(t_inner), min(t_gemm) / max(t_inner)
    lines += ["", f"Tensor-core part's throughput relative to the standalone GEMMs: "
              f"{ratio_lo:.2f} - {ratio_hi:.2f} (target >= 0.80); attention "
              f"{min(t_att):.1f} - {max(t_att):.1f} s (target <= 30 s)."]
    text = "\n".join(lines)
    print(text)
    if args.out:
        cmd = " ".join([os.path.relpath(sys.executable), "bench/bench_attention.py"]
                       + (argv or sys.argv[1:]))
        write_section(args.out, BEGIN, END, "Attention benchmark", cmd, [
            f"Date: {started.isoformat(timespec='seconds')}; {cpu_model()} ({cpu_flags()}), "
            f"{os.cpu_count()} logical CPUs ({ro.get_num_threads()} threads); load average at "
            f"the end {loadavg()}",
            f"One head, S = {S}, D = {D}, bf16 inputs (standard normal, seed 0); "
            f"{args.rounds} rounds per row",
            f"Versions: python {platform.python_version()}, roundoff {ro.__version__}, numpy "
            f"{np.__version__}"], text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
