"""The main job: an H100 FP8 GEMM emulated bit for bit, compared with the exact product, a
float32 GEMM and the round-off bounds; captured H100 vectors replayed; the GPU's special-function
unit against correct rounding; then a short tour of formats, exact casts, stochastic rounding and
elementwise arithmetic rounded once."""

from __future__ import annotations

import numpy as np

import roundoff as ro

from .cli import formats_table


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def _gemm() -> None:
    """The emulated H100 FP8 GEMM against exact, float32 and the bounds."""
    import math

    import ml_dtypes

    from . import bounds, captures, hw

    M, K, N = 32, 4096, 32
    _section(f"The main job: an H100 FP8 GEMM, emulated ({M}x{K}x{N}, E4M3 inputs)")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((M, K)).astype(ml_dtypes.float8_e4m3fn)
    b = (rng.standard_normal((K, N)) + 0.5).astype(ml_dtypes.float8_e4m3fn)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    exact = np.array([[math.fsum(a64[i] * b64[:, j]) for j in range(N)] for i in range(M)])
    scale = np.abs(a64) @ np.abs(b64)  # |A||B|: errors are shown relative to it

    def worst(c: np.ndarray) -> float:
        return float(np.max(np.abs(c - exact) / scale))

    slow = hw.preset("h100.cublas_scaled_mm", fast_accum=False, out_fmt="float32")
    fast = hw.preset("h100.cublas_scaled_mm", fast_accum=True, out_fmt="float32")
    fp32 = ro.Accumulator("float32")

    def fused_multiple(acc: ro.Accumulator, k: int) -> float:
        """The tensor-core chain's bound is a multiple of |A||B| (gamma(depth, u_step)); the
        multiple, from a 1 x k by k x 1 product of ones (cheaper than a second K-long GEMM)."""
        assert acc.fused is not None  # a tensor-core preset
        one = np.ones((1, k))
        bound = bounds.fused_matmul_bound(one, one.T, acc.fused, acc.promote_every)
        return float(bound[0, 0]) / k

    rows = [
        ("torch._scaled_mm, use_fast_accum=False (H100 model)", ro.matmul(a, b, slow),
         fused_multiple(slow, K) * scale),
        ("torch._scaled_mm, use_fast_accum=True  (H100 model)", ro.matmul(a, b, fast),
         fused_multiple(fast, K) * scale),
        ("float32 FMA chain over k (roundoff)", ro.matmul(a, b, fp32),
         bounds.matmul_bound(a64, b64, "float32")),
        ("NumPy float32 a @ b (BLAS, its own order)", (a64.astype(np.float32)
                                                      @ b64.astype(np.float32)), None),
    ]
    print("  max over elements of |C - AB| / (|A||B|): measured, then the guaranteed bound")
    for name, c, bound in rows:
        b_txt = ok = ""
        if bound is not None:
            relative = float(np.max(bound / scale))
            b_txt = f"   bound {relative:.1e}" + ("*" if relative >= 1 else " ")
            ok = "  within" if np.all(np.abs(c - exact) <= bound) else "  EXCEEDED"
        print(f"  {name:53s} {worst(c):.1e}{b_txt}{ok}")
    fast_adder = fast.fused
    assert fast_adder is not None  # a tensor-core preset
    terms = fast_adder.terms
    if fused_multiple(fast, K) >= 1:  # a bound over |A||B| needs its reason said
        print(f"  * Over 1, so it says nothing: in the worst case each of the K/{terms} = "
              f"{K // terms} steps loses {fused_multiple(fast, terms):.1e}\n    of its terms "
              f"(truncated to {fast_adder.frac_bits} fraction bits); at K = 128 it is "
              f"{fused_multiple(fast, 128):.1e}, at K = 1024 {fused_multiple(fast, 1024):.1e}.")
    print("  Fast accumulation keeps the K-chain in the tensor core's 14-bit accumulator; the\n"
          "  default adds it into float32 every 128 products (both captured on an H100).")

    _section("Vectors captured on an H100, replayed bit for bit (roundoff.captures)")
    for r in captures.replay():
        print(f"  {r.name:45s} {r.matched:5d} of {r.total} output codes equal")
    print("  The full set (138 cases: cuBLASLt bf16/fp16, FP8 scaled_mm, Triton tl.dot) is in\n"
          "  tests/data/h100 and replayed by tests/test_h100_replay.py.")


def _special_functions() -> None:
    """The GPU's special-function unit against the correctly rounded functions."""
    import os

    from . import _tables

    _section("The GPU's exp2 is not the correctly rounded one (H200 MUFU.EX2, emulated)")
    with np.load(os.path.join(_tables.DATA, "sm90", "mufu_sample.npz")) as z:
        sample = {k: z[k] for k in z.files}
    x = sample["x"].view(np.float32)
    print(f"  {x.size} results captured on an H200 equal to:   the sm90 model   the correctly "
          "rounded")
    for name, impl, function in (("ex2.approx.ftz.f32", "sm90:ex2.approx.ftz.f32", "exp2"),
                                 ("expf", "sm90:expf", "exp"), ("tanhf", "sm90:tanhf", "tanh")):
        f = getattr(ro, function)
        gpu = sample["out_" + name]
        model = f(x, "float32", impl=impl, codes=True)
        exact = f(x, "float32", codes=True)
        print(f"  {name:44s} {int(np.sum(model == gpu)):>14d}   {int(np.sum(exact == gpu)):>3d} "
              f"({function})")
    x1 = np.float32(0.25)
    print(f"  2^0.25: GPU {float(ro.exp2(x1, 'float32', impl='sm90:ex2.approx.ftz.f32')):.9f}, "
          f"correctly rounded {float(ro.exp2(x1, 'float32')):.9f} (exact 1.189207115...)")
    print("  Each model was run against every float32 input on the GPU: no mismatch\n"
          "  (tests/data/mufu_sm90/verify_log.txt); roundoff.nn builds PyTorch's softmax,\n"
          "  norms and activations from them, bit for bit.")


def _attention() -> None:
    """PyTorch's flash attention kernel, captured on an H200, against the emulation."""
    import os

    import ml_dtypes

    from . import _tables

    _section("Flash attention as the GPU computes it (PyTorch SDPA, H200, emulated)")
    with np.load(os.path.join(_tables.DATA, "sm90", "attention_sample.npz")) as z:
        q, k, v = (z[t].view(ml_dtypes.bfloat16) for t in ("q", "k", "v"))
        gpu = z["o"]
    model = ro.attention(q, k, v, "torch_sdpa_flash.sm90", causal=True)[0].view(np.uint16)
    exact = ro.attention(q, k, v, "exact", causal=True)[0]
    print(f"  F.scaled_dot_product_attention, causal, 192 x 192 x 64, bf16: of {gpu.size} "
          f"output codes\n  the emulated flash kernel matches {int(np.sum(model == gpu))}, the "
          f"exact attention rounded once {int(np.sum(exact.view(np.uint16) == gpu))}.")
    # The attention in float64 (errors near 1e-15) stands in for the exact one.
    qf, kf, vf = (t[0, 0].astype(np.float64) for t in (q, k, v))
    s = qf @ kf.T / 8.0
    s[np.triu_indices(s.shape[0], 1)] = -np.inf
    e = np.exp(s - s.max(axis=1, keepdims=True))
    err = np.abs(model.view(ml_dtypes.bfloat16).astype(np.float64)[0, 0] -
                 (e / e.sum(axis=1, keepdims=True)) @ vf)
    bound = ro.bounds.attention_bound(q, k, v, "torch_sdpa_flash.sm90", causal=True)[0, 0]
    within = "every element" if np.all(err <= bound) else "NOT every element"
    print(f"  Its error stays within roundoff.bounds.attention_bound, element by element\n"
          f"  ({within}): largest error {err.max():.3g}, largest bound {bound.max():.3g} (the "
          f"error\n  at most {np.max(err / bound):.2f} of it).")
    print("  Captured and replayed bit for bit (tests/test_attention.py): PyTorch's flash\n"
          "  forward on all 44 cases (O and log-sum-exp; split-KV kernels included), its\n"
          "  backward's dK and dV on all 28 (dQ up to the order of its atomic adds), and\n"
          "  Triton's tutorial kernel, forward and backward, on its 8 deterministic cases.")


def run() -> None:
    """Print the demonstration."""
    import ml_dtypes

    _gemm()
    _special_functions()
    _attention()

    _section("Formats (roundoff formats)")
    print(formats_table([ro.format(n) for n in ("e4m3", "e5m2", "e4m3fnuz", "bf16", "fp16",
                                                "tf32", "e2m1", "e8m0")]))
    print("  Custom formats by name too: roundoff formats e6m9 (e<E>m<M>, IEEE-style).")

    _section("One value, every rounding mode: 0.3 -> E4M3")
    for mode in ro.MODES[:-1]:
        code = int(ro.encode(0.3, "e4m3", mode))
        print(f"  {mode:13s} code 0x{code:02X} = {float(ro.decode(code, 'e4m3', np.float64))}")

    _section("The E4M3 overflow edge (464 ties to even 448; just above is NaN)")
    for v in (448.0, 464.0, 464.0625, 1e6):
        plain = int(ro.encode(v, "e4m3"))
        sat = int(ro.encode(v, "e4m3", saturate=True))
        print(f"  {v:>10}: non-saturating 0x{plain:02X}, saturating (cvt.satfinite) 0x{sat:02X}")

    _section("Exact from float64: no double rounding through float32")
    x = -431.99999999999994
    ours = float(ro.quantize(x, "e4m3"))
    via32 = float(np.array([x]).astype(ml_dtypes.float8_e4m3fn)[0])
    print(f"  {x!r} -> E4M3: roundoff {ours}, ml_dtypes astype (via float32) {via32}")
    print("  exact neighbours are -416 and -448; the midpoint -432 is not reached, so -416.")

    _section("Stochastic rounding is unbiased: 1.0 + 1e-3, a thousand times, in BF16")
    rne, sr = 1.0, 1.0
    for step in range(1000):  # each add is the exact sum rounded once into BF16
        rne = ro.add(rne, 1e-3, "bf16")
        sr = ro.add(sr, 1e-3, "bf16", "stochastic", seed=step)
    print(f"  exact 2.0; nearest-even stays at {float(rne)}; stochastic reaches {float(sr)}")

    _section("FMA rounds once: x*x - (1 + 2^-6) in BF16, x = 1 + 2^-7")
    x = 1.0 + 2.0**-7
    fused = float(ro.fma(x, x, -(1.0 + 2.0**-6), "bf16"))
    split = float(ro.add(ro.mul(x, x, "bf16"), -(1.0 + 2.0**-6), "bf16"))
    print(f"  fma: {fused} (= 2^-14, exact); mul then add: {split} (the rounded product lost it)")

    _section("Reproducible stochastic rounding: the same seed, any thread count")
    y = np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32)
    ro.set_num_threads(1)
    a = ro.encode(y, "e5m2", "sr", seed=42)
    ro.set_num_threads(2)
    b = ro.encode(y, "e5m2", "sr", seed=42)
    ro.set_num_threads(0)
    mean_err = float(np.mean(ro.decode(a, "e5m2", np.float64) - y))
    print(f"  1 thread == 2 threads: {bool(np.array_equal(a, b))}; "
          f"mean error {mean_err:+.2e} (nearest-even: "
          f"{float(np.mean(ro.quantize(y, 'e5m2').astype(np.float64) - y)):+.2e})")
    rb = np.zeros(4, np.uint32)
    same = np.array_equal(ro.encode(y[:4], "e5m2", "sr", rbits=rb), ro.encode(y[:4], "e5m2", "rtz"))
    print(f"  rbits=0 equals toward_zero: {bool(same)}")

    _section("Interop: ml_dtypes arrays in and out")
    arr = ro.astype(np.array([0.1, 1.0, 300.0]), "e4m3", "up")
    print(f"  astype(..., 'e4m3', 'up') -> {arr!r}")
