#!/usr/bin/env python3
"""Capture the GPU's MUFU.LG2 (``lg2.approx.ftz.f32``) and test how its binades relate.

Usage (on the GPU machine, from the repository root; needs CuPy and nvcc)::

    python tools/capture_mufu_lg2.py --out DIR

Writes into DIR:

``table_lg2.u32.xz``
    ``lg2.approx.ftz.f32(m)`` for every float32 m in [1, 2) (T0): 2^23 little-endian uint32
    codes, xz-compressed.
``table_lg2_minus1.u32.xz``
    ``lg2.approx.ftz.f32(m / 2)`` for every m (the -1 binade, T-1), likewise.
``lg2_report.json``
    Per binade e in [-126, 127] (x = 2^e m, every m of [1, 2)): how many results of
    ``lg2.approx.ftz.f32`` and ``lg2.approx.f32`` differ from the model (T0, T-1, else
    RZ(e + T0(m)), toward zero into float32, one unit nearer zero still where a negative sum
    is a float32), and how many of
    ``__logf`` differ from RN_f32(lg2(x) * 0.693147182f), with the first mismatches; the
    environment.
``lg2_sample.npz``
    A replay sample: x (float32 codes, uint32), and the GPU's codes for ``lg2.approx.ftz.f32``,
    ``lg2.approx.f32``, ``__logf`` and ``logf``.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import subprocess

import numpy as np

from capture_mufu import FUNCTIONS, environment, kernel_source


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    import cupy as cp

    cu = os.path.join(args.out, "kernels.cu")
    with open(cu, "w") as fh:
        fh.write(kernel_source())
    cubin = "/tmp/kernels_lg2.cubin"
    subprocess.run(["nvcc", "-arch=sm_90", "-cubin", cu, "-o", cubin], check=True)
    os.remove(cu)
    apply = cp.RawModule(path=cubin).get_function("apply")
    names = list(FUNCTIONS)

    def run(which: str, codes: np.ndarray) -> np.ndarray:
        x = cp.asarray(codes.view(np.float32))
        out = cp.empty_like(x)
        n = x.size
        apply(((n + 255) // 256,), (256,), (x, x, out, np.int64(n),
                                           np.int32(names.index(which))))
        return cp.asnumpy(out).view(np.uint32)

    mant = np.arange(2**23, dtype=np.uint32)
    t0 = run("lg2.approx.ftz.f32", mant | np.uint32(127 << 23))
    # Near m = 1 the results' exponents fall fast, so the package's delta format does not
    # apply: the codes go out raw, xz-compressed.
    blob = lzma.compress(t0.tobytes(), preset=9 | lzma.PRESET_EXTREME)
    with open(os.path.join(args.out, "table_lg2.u32.xz"), "wb") as fh:
        fh.write(blob)
    t0f = t0.view(np.float32).astype(np.float64)
    # The -1 binade, RZ(-1 + F(m)), shows F's bits below T0's where F > 1/2: its own table.
    minus1 = run("lg2.approx.ftz.f32", mant | np.uint32(126 << 23))
    with open(os.path.join(args.out, "table_lg2_minus1.u32.xz"), "wb") as fh:
        fh.write(lzma.compress(minus1.tobytes(), preset=9 | lzma.PRESET_EXTREME))
    ln2 = np.float32(0.693147182)

    def model(e: int) -> np.ndarray:
        """e = 0: T0; e = -1: its table; else RZ(e + T0(m)) in float32, and for negative
        sums that land on a float32 one unit nearer zero (F has bits below T0's last)."""
        if e == -1:
            return minus1.view(np.float32)
        s = e + t0f
        f = s.astype(np.float32)
        f = np.where(np.abs(f.astype(np.float64)) > np.abs(s), np.nextafter(f, np.float32(0)),
                     f)
        toward_zero = (f.astype(np.float64) == s) & (s < 0)
        return np.where(toward_zero, np.nextafter(f, np.float32(0)), f)

    report = {"environment": environment(), "table_bytes": len(blob), "binades": {}}
    for e in range(-126, 128):
        codes = mant | np.uint32((e + 127) << 23)
        want = model(e)
        entry = {}
        for fn in ("lg2.approx.ftz.f32", "lg2.approx.f32"):
            got = run(fn, codes).view(np.float32)
            bad = np.nonzero(got.view(np.uint32) != want.view(np.uint32))[0]
            entry[fn] = {"mismatches": int(bad.size),
                         "first": [[int(codes[i]), float(got[i]), float(want[i])]
                                   for i in bad[:5]]}
        lg = run("lg2.approx.ftz.f32", codes).view(np.float32)
        got = run("__logf", codes).view(np.float32)
        pred = (lg * ln2).astype(np.float32)
        bad = np.nonzero(got.view(np.uint32) != pred.view(np.uint32))[0]
        entry["__logf"] = {"mismatches": int(bad.size),
                           "first": [[int(codes[i]), float(got[i]), float(pred[i])]
                                     for i in bad[:5]]}
        report["binades"][str(e)] = entry
    rng = np.random.default_rng(20261201)
    x = np.concatenate([
        rng.integers(0, 2**32, 2**16, dtype=np.uint64).astype(np.uint32),
        np.exp(rng.uniform(-80, 80, 2**16)).astype(np.float32).view(np.uint32),
        rng.uniform(1, 4096, 2**16).astype(np.float32).view(np.uint32),
        np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 1, 0x007FFFFF,
                  0x00800000, 0x3F800000, 0x40000000], np.uint32)])
    sample = {"x": x}
    for fn in ("lg2.approx.ftz.f32", "lg2.approx.f32", "__logf", "logf"):
        sample["out_" + fn] = run(fn, x)
    np.savez_compressed(os.path.join(args.out, "lg2_sample.npz"), **sample)
    with open(os.path.join(args.out, "lg2_report.json"), "w") as fh:
        json.dump(report, fh, indent=1)
    summary = {e: {k: v["mismatches"] for k, v in entry.items()}
               for e, entry in report["binades"].items()
               if any(v["mismatches"] for v in entry.values())}
    print(json.dumps({"table_bytes": len(blob), "binades_with_mismatches": summary})[:6000])


if __name__ == "__main__":
    main()
