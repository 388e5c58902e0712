"""Record what integer seeds give today, so a later change of the seed handling can be checked
to leave them bit for bit unchanged (tests/test_seeds.py replays the file).

Run once, on the tree whose bits are the reference:
    .venv/bin/python tools/capture_seed_golden.py tests/data/seed_golden.npz
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import roundoff as ro


def cases() -> dict:
    rng = np.random.default_rng(2026)
    x = rng.standard_normal(1000).astype(np.float32) * 3
    y = rng.standard_normal(1000) * 2.0**rng.integers(-20, 20, 1000)
    a = rng.standard_normal((7, 33)).astype(np.float32)
    b = rng.standard_normal((33, 5)).astype(np.float32)
    out = {"x": x, "y": y, "a": a, "b": b}
    for seed in (0, 1, 12345, 2**64 - 1):
        for fmt in ("bf16", "e4m3", "e5m2", "fp16"):
            out[f"encode_{fmt}_{seed}"] = ro.encode(x, fmt, "stochastic", seed=seed)
            out[f"encode8_{fmt}_{seed}"] = ro.encode(y, fmt, "stochastic", seed=seed, sr_bits=8)
        out[f"convert_{seed}"] = ro.convert(ro.encode(y, "fp32"), "fp32", "e4m3", "sr",
                                            seed=seed, saturate=True)
        out[f"quantize_{seed}"] = ro.quantize(y, "bf16", "sr", seed=seed)
        out[f"add_{seed}"] = ro.add(x, y, "bf16", "stochastic", seed=seed, codes=True)
        out[f"mul_{seed}"] = ro.mul(x, y, "e4m3", "stochastic", seed=seed, codes=True)
        out[f"fma_{seed}"] = ro.fma(x, y, x, "fp16", "stochastic", seed=seed, codes=True)
        out[f"div_{seed}"] = ro.div(x, y, "bf16", "stochastic", seed=seed, codes=True)
        out[f"sqrt_{seed}"] = ro.sqrt(np.abs(y), "e5m2", "stochastic", seed=seed, codes=True)
        out[f"neg_{seed}"] = ro.neg(y, "bf16", "stochastic", seed=seed, codes=True)
        cx = ro.encode(x, "bf16")
        out[f"ops_add_{seed}"] = ro.ops.add(cx, cx[::-1], "bf16", "stochastic", seed=seed)
        for order in ("sequential", "pairwise"):
            acc = ro.Accumulator("bf16", "stochastic", order=getattr(ro.orders, order)(),
                                 seed=seed)
            out[f"sum_{order}_{seed}"] = ro.sum(x.reshape(10, 100), axis=1, accumulator=acc)
            out[f"matmul_{order}_{seed}"] = ro.matmul(a, b, acc)
        acc = ro.Accumulator("fp32", a_fmt="e4m3", b_fmt="e4m3", input_rounding="stochastic",
                             product_fmt="bf16", product_rounding="stochastic", seed=seed)
        out[f"matmul_inputs_{seed}"] = ro.matmul(a, b, acc)
        fused = ro.Accumulator("fp32", "stochastic", a_fmt="e4m3", b_fmt="e4m3",
                               fused=ro.FusedAdder(4, 13, "float32", "stochastic"),
                               promote_every=8, seed=seed)
        out[f"matmul_fused_{seed}"] = ro.matmul(a, b, fused)
    return out


def main(path: str) -> None:
    rev = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    np.savez_compressed(path, commit=np.array(rev), **cases())
    print(f"wrote {path} from commit {rev}")


if __name__ == "__main__":
    main(sys.argv[1])
