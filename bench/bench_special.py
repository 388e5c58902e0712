#!/usr/bin/env python
"""Side-by-side throughput of the special functions, in one run on the same float32 inputs.

Times, per thread count, on n float32 inputs (standard normal x 4, a softmax-like range):

* roundoff ``exp`` with ``impl="cr"`` (correctly rounded) into BF16 and float32, and the other
  correctly rounded functions into BF16;
* roundoff's GPU models: ``exp(impl="sm90:expf")``, ``exp2(impl="sm90:ex2.approx.ftz.f32")``,
  ``tanh(impl="sm90:tanhf")``, into float32;
* NumPy's float32 ``np.exp`` (not correctly rounded; the anchor) and torch's CPU
  ``torch.exp`` where torch is installed;
* the memory floor of the GPU models, whose tables hold 2^23 entries: NumPy random reads
  (``np.take``) of a 32 MiB table (one MUFU.EX2 table), a 2 MiB one (what a 2-bit packing of
  it would take) and a 16 KiB one (in L1).

Then a softmax of a 4096 x 4096 BF16 matrix (standard normal x 3): ``roundoff.nn.softmax``
with the ``pytorch_sm90`` preset and with the default (correctly rounded) recipe, against NumPy's
float32 softmax of the same values (``e = exp(x - max); e / sum(e)``), all threads.

Targets: CR exp of float32 into BF16 at 0.5 G results/s per thread, the MUFU models at
1 G results/s per thread, the softmax preset within 10x NumPy's time. Every row is repeated;
the table gives each row's best and the range of its repeats' medians (``--rounds``). With ``--out FILE`` the table replaces its section of
FILE (bench/RESULTS.md).

Usage::

    python bench/bench_special.py [--n N] [--repeat R] [--rounds K] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
from typing import List, Optional

import numpy as np

import roundoff as ro
from bench_casts import LAST_OTHER_LOAD, OTHER_LOAD_LIMIT, best_of, cpu_flags, cpu_model, \
    loadavg, write_section

try:
    import torch
except ImportError:  # optional
    torch = None

BEGIN, END = "<!-- bench_special:begin -->", "<!-- bench_special:end -->"
TABLE_READS = "numpy np.take, random reads of a uint32 table of"


def rows_for(x: np.ndarray) -> List[tuple]:
    """(label, result format, callable) for every timed method."""
    out: List[tuple] = [
        ("roundoff exp cr", "bf16", lambda: ro.exp(x, "bf16", codes=True)),
        ("roundoff exp cr", "float32", lambda: ro.exp(x, "float32", codes=True)),
    ]
    for name in ("exp2", "log", "tanh", "erf", "sigmoid", "rsqrt"):
        f = getattr(ro, name)
        arg = np.abs(x) if name in ("log", "rsqrt") else x
        out.append((f"roundoff {name} cr", "bf16", lambda f=f, arg=arg: f(arg, "bf16", codes=True)))
    for name, impl in (("exp", "sm90:expf"), ("exp2", "sm90:ex2.approx.ftz.f32"),
                       ("tanh", "sm90:tanhf")):
        f = getattr(ro, name)
        out.append((f"roundoff {name} {impl}", "float32",
                    lambda f=f, impl=impl: f(x, "float32", impl=impl, codes=True)))
    out.append(("numpy np.exp (float32)", "float32", lambda: np.exp(x)))
    if torch is not None:
        t = torch.from_numpy(x)
        out.append(("torch.exp (CPU float32)", "float32", lambda: torch.exp(t)))
    # The memory floor of the GPU models: one random read per result from a table of the
    # size of one MUFU.EX2 table (2^23 float32 entries), of a 2-bit packing of it, and of a
    # table in L1.
    rng = np.random.default_rng(1)
    for label, size in (("32 MiB", 1 << 23), ("2 MiB", 1 << 19), ("16 KiB", 1 << 12)):
        table_ = np.ones(size, dtype=np.uint32)
        idx = rng.integers(0, size, x.size).astype(np.intp)
        out.append((f"{TABLE_READS} {label}", "uint32",
                    lambda t=table_, i=idx: np.take(t, i)))
    return out


def run(n: int, repeat: int, rounds: int, seed: int) -> List[dict]:
    x = (np.random.default_rng(seed).standard_normal(n) * 4).astype(np.float32)
    ro.exp(x[:16], "bf16")
    ro.exp2(x[:16], "float32", impl="sm90:ex2.approx.ftz.f32")  # tables decoded before timing
    ro.tanh(x[:16], "float32", impl="sm90:tanhf")
    results = []
    for threads in (1, 2):
        ro.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        for label, fmt, fn in rows_for(x):
            if threads == 2 and (label.startswith(TABLE_READS) or not label.startswith(
                    ("roundoff exp ", "numpy", "torch"))):
                continue
            times, loads = [], []
            for _ in range(rounds):
                times.append(best_of(fn, repeat))
                loads.append(LAST_OTHER_LOAD[0])
            results.append(dict(method=label, fmt=fmt, threads=threads, best=min(times),
                                worst=max(times), n=n,
                                load=max((v for v in loads if v is not None), default=None)))
    ro.set_num_threads(0)
    return results


def run_softmax(repeat: int, rounds: int, seed: int) -> List[dict]:
    import ml_dtypes
    from roundoff import nn
    x = (np.random.default_rng(seed).standard_normal((4096, 4096)) * 3).astype(ml_dtypes.bfloat16)
    xf = x.astype(np.float32)

    def numpy_softmax() -> np.ndarray:
        e = np.exp(xf - xf.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    out = []
    ro.set_num_threads(0)
    for label, fn in (("numpy float32 softmax", numpy_softmax),
                      ("roundoff nn.softmax pytorch_sm90", lambda: nn.softmax(
                          x, "pytorch_sm90")),
                      ("roundoff nn.softmax default (cr)", lambda: nn.softmax(x))):
        times, loads = [], []
        for _ in range(rounds):
            times.append(best_of(fn, repeat))
            loads.append(LAST_OTHER_LOAD[0])
        out.append(dict(method=label, best=min(times), worst=max(times),
                        load=max((v for v in loads if v is not None), default=None)))
    return out


def softmax_table(rows: List[dict]) -> str:
    base = rows[0]["best"]
    out = ["| softmax of 4096 x 4096 BF16 (all threads) | seconds (best - worst round) | "
           "time vs NumPy |", "|---|---:|---:|"]
    for r in rows:
        out.append(f"| {r['method']} | {r['best']:.3f} - {r['worst']:.3f} | "
                   f"{r['best'] / base:.2f}x - {r['worst'] / base:.2f}x |")
    loaded = [f"{r['method']} ({r['load']:.2f})" for r in rows
              if r["load"] is not None and r["load"] > OTHER_LOAD_LIMIT]
    if loaded:
        out.append("")
        out.append(f"Other processes used more than {OTHER_LOAD_LIMIT:g} CPUs while timing: "
                   + "; ".join(loaded) + ".")
    return "\n".join(out)


def table(rows: List[dict]) -> str:
    def anchor(threads: int) -> Optional[dict]:
        return next((r for r in rows if r["method"].startswith("numpy")
                     and r["threads"] == threads), None)

    out = ["| method | result | thr | G results/s (best) | ns/result (best - worst round) | "
           "time vs np.exp |", "|---|---|---|---:|---:|---:|"]
    for r in rows:
        a = anchor(r["threads"])
        ns_best, ns_worst = r["best"] / r["n"] * 1e9, r["worst"] / r["n"] * 1e9
        ratio = f"{r['best'] / a['best']:.2f}x - {r['worst'] / a['best']:.2f}x" if a else "-"
        out.append(f"| {r['method']} | {r['fmt']} | {r['threads']} | "
                   f"{r['n'] / r['best'] / 1e9:.3f} | {ns_best:.2f} - {ns_worst:.2f} | {ratio} |")
    loaded = [f"{r['method']} {r['threads']}T ({r['load']:.2f})" for r in rows
              if r["load"] is not None and r["load"] > OTHER_LOAD_LIMIT]
    out.append("")
    out.append("Other processes used more than %g CPUs while timing: %s." % (
        OTHER_LOAD_LIMIT, "; ".join(loaded)) if loaded else
        f"Other processes used at most {OTHER_LOAD_LIMIT:g} CPUs while each row was timed.")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1 << 22)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="FILE")
    args = p.parse_args(argv)
    started = _dt.datetime.now(_dt.timezone.utc)
    rows = run(args.n, args.repeat, args.rounds, args.seed)
    text = table(rows) + "\n\n" + softmax_table(run_softmax(args.repeat, args.rounds, args.seed))
    print(text)
    if args.out:
        cmd = " ".join([os.path.relpath(sys.executable), "bench/bench_special.py"]
                       + (argv or sys.argv[1:]))
        write_section(args.out, BEGIN, END, "Special-function benchmark", cmd, [
            f"Date: {started.isoformat(timespec='seconds')}; {cpu_model()} ({cpu_flags()}), "
            f"{os.cpu_count()} logical CPUs; load average at the end {loadavg()}",
            f"n = {args.n} float32 inputs (standard normal x 4, seed {args.seed}); each row: "
            f"{args.rounds} rounds of best-of-{args.repeat} after a warm-up",
            f"Versions: python {platform.python_version()}, roundoff {ro.__version__}, numpy "
            f"{np.__version__}, " + (f"torch {torch.__version__}" if torch is not None
                                     else "torch not installed"),
            "roundoff returns codes (`codes=True`); NumPy and torch return float32 arrays"], text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
