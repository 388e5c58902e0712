#!/usr/bin/env python
"""Side-by-side throughput of elementwise arithmetic, in one run on the same arrays.

For BF16 and E4M3 operands (ml_dtypes arrays, n elements each) it times

* roundoff ``add`` and ``mul`` (nearest_even) on 1 and 2 threads, ``fma`` and stochastic
  ``add`` on 1 thread, all returning codes (``codes=True``: no decoding in the timing);
* ml_dtypes' ufuncs on the same arrays (``a + b``: computed in float32, rounded once);
* pychop ``Chop`` applied to the float64 sum/product (optional package).

The targets: add/mul at least 10x ml_dtypes and 0.5 G results/s per thread; FMA and
stochastic add within 3x of nearest add. With ``--out FILE`` the table replaces the section
between the markers in FILE (bench/RESULTS.md), leaving the rest of the file alone.

Usage::

    python bench/bench_arith.py [--n N] [--repeat R] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
from typing import List, Optional, Tuple

import ml_dtypes
import numpy as np

import roundoff as ro
from bench_casts import best_of, write_section  # the cast benchmark's timing and RESULTS writer

try:
    import pychop
except ImportError:  # optional
    pychop = None

BEGIN, END = "<!-- bench_arith:begin -->", "<!-- bench_arith:end -->"
FORMATS = [("BF16", "bf16", ml_dtypes.bfloat16, (8, 7)),
           ("E4M3", "e4m3", ml_dtypes.float8_e4m3fn, (4, 3))]


def operands(dtype, n: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(n) * 4).astype(dtype)
    b = (rng.standard_normal(n) * 4).astype(dtype)
    return a, b


def run(n: int, repeat: int, seed: int) -> List[dict]:
    rows = []
    for label, name, dtype, (eb, sb) in FORMATS:
        a, b = operands(dtype, n, seed)
        fmt = ro.format(name)
        c = a.copy()

        def row(method, threads, fn, ref=None, got=None):
            t = best_of(fn, repeat)
            r = dict(fmt=label, method=method, threads=threads, ns=t / n * 1e9, gps=n / t / 1e9)
            if ref is not None and got is not None:
                r["agrees"] = float(np.mean(got == ref))
            rows.append(r)
            return r

        ml_sum = (a + b).view(fmt.code_dtype)
        ml_prod = (a * b).view(fmt.code_dtype)
        for op, ml_ref, ml_fn in (("add", ml_sum, lambda: a + b), ("mul", ml_prod, lambda: a * b)):
            for t in (1, 2):
                ro.set_num_threads(t)
                f = getattr(ro, op)
                row(f"roundoff {op} nearest_even", t, lambda f=f: f(a, b, fmt, codes=True),
                    ml_ref, f(a, b, fmt, codes=True))
            ro.set_num_threads(1)
            row(f"ml_dtypes a {'+' if op == 'add' else '*'} b", 1, ml_fn)
            if pychop is not None:
                ch = pychop.Chop(exp_bits=eb, sig_bits=sb, rmode=1, subnormal=True,
                                 chunk_size=n)
                a64, b64 = a.astype(np.float64), b.astype(np.float64)
                npop = np.add if op == "add" else np.multiply
                row(f"pychop Chop({eb},{sb}) of float64 {op}", 1, lambda: ch(npop(a64, b64)))
        ro.set_num_threads(1)
        row("roundoff fma nearest_even", 1, lambda: ro.fma(a, b, c, fmt, codes=True))
        row("roundoff add stochastic", 1, lambda: ro.add(a, b, fmt, "stochastic", codes=True))
    ro.set_num_threads(0)
    return rows


def table(rows: List[dict]) -> str:
    def find(fmt: str, method: str, threads: int = 1) -> Optional[dict]:
        return next((x for x in rows if x["fmt"] == fmt and x["method"] == method
                     and x["threads"] == threads), None)

    out = ["| format | method | thr | G results/s | ns/result | vs ml_dtypes | vs RNE add (1T) "
           "| agrees with ml_dtypes |", "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        vs_ml = vs_add = agrees = "-"
        for op, sym in (("add", "+"), ("mul", "*")):
            if r["method"] == f"roundoff {op} nearest_even":
                ml = find(r["fmt"], f"ml_dtypes a {sym} b")
                vs_ml = f"{ml['ns'] / r['ns']:.2f}x"
        if r["method"] in ("roundoff fma nearest_even", "roundoff add stochastic"):
            vs_add = f"{r['ns'] / find(r['fmt'], 'roundoff add nearest_even')['ns']:.2f}x"
        if "agrees" in r:
            agrees = f"{100 * r['agrees']:.4f}%"
        out.append(f"| {r['fmt']} | {r['method']} | {r['threads']} | {r['gps']:.4f} | "
                   f"{r['ns']:.1f} | {vs_ml} | {vs_add} | {agrees} |")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1 << 20)
    p.add_argument("--repeat", type=int, default=9)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="FILE")
    args = p.parse_args(argv)
    started = _dt.datetime.now(_dt.timezone.utc)
    rows = run(args.n, args.repeat, args.seed)
    text = table(rows)
    print(text)
    if args.out:
        cmd = " ".join([os.path.relpath(sys.executable), "bench/bench_arith.py"]
                       + (argv or sys.argv[1:]))
        versions = f"numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}, " + (
            f"pychop {getattr(pychop, '__version__', '?')}" if pychop else "pychop not installed")
        write_section(args.out, BEGIN, END, "Arithmetic benchmark", cmd, [
            f"Date: {started.isoformat(timespec='seconds')}; {platform.machine()}, "
            f"{os.cpu_count()} logical CPUs; n = {args.n} operand pairs (standard normal x 4 "
            f"in the format, seed {args.seed}); best of {args.repeat} after 1 warm-up",
            f"Versions: python {platform.python_version()}, roundoff {ro.__version__}, "
            f"{versions}",
            "roundoff returns codes (`codes=True`); ml_dtypes returns its own arrays; pychop "
            "rounds a float64 result (its rounding of float64 sums is not a single rounding "
            "in general)"], text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
