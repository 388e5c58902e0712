#!/usr/bin/env python3
"""Check cpp/include/roundoff/special_cr.hpp against MPFR (gmpy2).

Builds a small shared library over the header (g++ -O3 -march=native), and for each function
checks |f(x) - (hi + lo) 2^scale| <= err 2^scale on every float16/bfloat16/float8 value,
random float32 codes and values in each function's range, random float64 values, and edge
cases; err == 0 must mean exact; clamped results (err = inf) must lie beyond 2^+-kScaleClamp.
Reports per function: max log2(err/|f|), max |error|/err, the fraction of float32 inputs whose
interval crosses a multiple of 2^(e-25) (float32 round-to-nearest fallback) or 2^(e-9)
(bfloat16), and ns/call over float32 inputs. Exit status 1 if any bound fails.

    python tools/check_special_cr.py [--quick]
"""
import ctypes
import math
import multiprocessing as mp
import pathlib
import subprocess
import sys
import tempfile
import time

import gmpy2
import ml_dtypes
import numpy as np
from gmpy2 import mpfr

ROOT = pathlib.Path(__file__).resolve().parent.parent
FUNCS = ["exp", "exp2", "log", "log2", "tanh", "erf", "sigmoid", "rsqrt"]
CLAMP = 1 << 20
QUICK = "--quick" in sys.argv

WRAPPER = r"""
#include <chrono>
#include <cstddef>
#include "roundoff/special_cr.hpp"
using namespace roundoff;
template <class F> static void run(F f, const double* x, size_t n, double* hi, double* lo,
                                   int* sc, double* err) {
  for (size_t i = 0; i < n; ++i) { Approx a = f(x[i]); hi[i] = a.hi; lo[i] = a.lo; sc[i] = a.scale; err[i] = a.err; }
}
#define DISPATCH(fn, CALL) switch (fn) { \
  case 0: CALL(cr_exp); break; case 1: CALL(cr_exp2); break; case 2: CALL(cr_log); break; \
  case 3: CALL(cr_log2); break; case 4: CALL(cr_tanh); break; case 5: CALL(cr_erf); break; \
  case 6: CALL(cr_sigmoid); break; default: CALL(cr_rsqrt); break; }
extern "C" void approx(int fn, const double* x, size_t n, double* hi, double* lo, int* sc, double* err) {
#define CALL_RUN(F) run([](double v) { return F(v); }, x, n, hi, lo, sc, err)
  DISPATCH(fn, CALL_RUN)
}
template <class F> static double bench_one(F f, const float* x, size_t n, int reps) {
  double acc = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r)
    for (size_t i = 0; i < n; ++i) { Approx a = f(double(x[i])); acc += a.hi + a.lo + a.err + a.scale; }
  auto t1 = std::chrono::steady_clock::now();
  volatile double sink = acc; (void)sink;
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / (double(n) * reps);
}
extern "C" double bench(int fn, const float* x, size_t n, int reps) {
  double ns = 0;
#define CALL_BENCH(F) ns = bench_one([](double v) { return F(v); }, x, n, reps)
  DISPATCH(fn, CALL_BENCH)
  return ns;
}
"""


def build():
    d = pathlib.Path(tempfile.mkdtemp(prefix="special_cr_"))
    (d / "w.cpp").write_text(WRAPPER)
    so = d / "libspecialcr.so"
    subprocess.run(["g++", "-std=c++17", "-O3", "-march=native", "-ffp-contract=fast", "-shared",
                    "-fPIC", "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'cpp/include'}",
                    str(d / "w.cpp"), "-o", str(so)], check=True)
    return str(so)


def load(so):
    lib = ctypes.CDLL(so)
    lib.approx.restype = None
    lib.bench.restype = ctypes.c_double
    return lib


def call(lib, fn, x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.size
    hi, lo, err = np.empty(n), np.empty(n), np.empty(n)
    sc = np.empty(n, dtype=np.int32)
    P = ctypes.c_void_p
    lib.approx(FUNCS.index(fn), x.ctypes.data_as(P), ctypes.c_size_t(n), hi.ctypes.data_as(P),
               lo.ctypes.data_as(P), sc.ctypes.data_as(P), err.ctypes.data_as(P))
    return hi, lo, sc, err


def mp_f(fn, x):
    x = mpfr(x)
    if fn == "exp":
        return gmpy2.exp(x)
    if fn == "exp2":
        return gmpy2.exp2(x)
    if fn == "log":
        return gmpy2.log(x)
    if fn == "log2":
        return gmpy2.log2(x)
    if fn == "tanh":
        return gmpy2.tanh(x)
    if fn == "erf":
        return gmpy2.erf(x)
    if fn == "sigmoid":
        return 1 / (1 + gmpy2.exp(-x))
    return gmpy2.rec_sqrt(x)


def ieee(fn, x):
    """The IEEE special result for NaN/inf/zero/domain-error inputs (None if not special)."""
    if math.isnan(x):
        return math.nan
    if fn in ("exp", "exp2") and math.isinf(x):
        return math.inf if x > 0 else 0.0
    if fn in ("log", "log2"):
        if x == 0:
            return -math.inf
        if x < 0:
            return math.nan
        if math.isinf(x):
            return math.inf
    if fn in ("tanh", "erf") and math.isinf(x):
        return math.copysign(1.0, x)
    if fn == "sigmoid" and math.isinf(x):
        return 1.0 if x > 0 else 0.0
    if fn == "rsqrt":
        if x == 0:
            return math.copysign(math.inf, x)
        if x < 0:
            return math.nan
        if math.isinf(x):
            return 0.0
    return None


def check_chunk(args):
    """Returns (failures, max log2 err/|f|, max |error|/err, f32 fallback count, bf16 count,
    number counted for fallback, number saturated or clamped (checked, not counted))."""
    fn, xs, his, los, scs, errs, count_fallback = args
    fails = []
    worst_rel, worst_ratio = -math.inf, 0.0
    fb32 = fb16 = nfb = nsat = 0
    for x, hi, lo, s, err in zip(xs, his, los, scs, errs):
        sp = ieee(fn, x)
        if sp is not None:
            ok = (lo == 0 and s == 0 and err == 0 and
                  ((math.isnan(sp) and math.isnan(hi)) or
                   (hi == sp and math.copysign(1, hi) == math.copysign(1, sp))))
            if not ok:
                fails.append((x, "special", hi, lo, s, err))
            continue
        if abs(hi) == 1 and lo == -hi * 2.0 ** -1001 and err == 2.0 ** -1001 and s == 0:
            # saturated: 0 < 1 - |f| < 2^-1000, checked on the complement
            with gmpy2.context(gmpy2.get_context(), precision=128):
                a = abs(mpfr(x))
                comp = {"tanh": lambda: 2 / (gmpy2.exp(2 * a) + 1), "erf": lambda: gmpy2.erfc(a),
                        "sigmoid": lambda: 1 / (1 + gmpy2.exp(a))}[fn]()
                # (comp == 0 only where MPFR's exponent range underflows)
                if not (0 <= comp < mpfr(2) ** -1000 and math.copysign(1, x) == hi):
                    fails.append((x, "saturated", hi, lo, s, err))
            nsat += 1
            continue
        if math.isinf(err):  # clamped
            nsat += 1
            with gmpy2.context(gmpy2.get_context(), precision=64):
                f = mp_f(fn, x)
                ok = hi == 1 and lo == 0 and abs(s) == CLAMP and (
                    (s > 0 and (gmpy2.is_infinite(f) or f >= mpfr(2) ** CLAMP)) or
                    (s < 0 and f <= mpfr(2) ** -CLAMP))
            if not ok:
                fails.append((x, "clamp", hi, lo, s, err))
            continue
        if not (math.isfinite(hi) and math.isfinite(lo) and err >= 0 and math.isfinite(err)):
            fails.append((x, "nonfinite", hi, lo, s, err))
            continue
        if err == 0:
            with gmpy2.context(gmpy2.get_context(), precision=4000):
                f = mp_f(fn, x)
                A = gmpy2.mul_2exp(mpfr(hi) + mpfr(lo), s)
                if f != A:
                    fails.append((x, "exact", hi, lo, s, err))
            continue
        a_mag = abs(hi + lo) if hi + lo != 0 else abs(hi) + abs(lo)
        prec = 80 + max(0, math.ceil(math.log2(a_mag) - math.log2(err))) if a_mag > 0 else 200
        prec = max(prec, 128)
        with gmpy2.context(gmpy2.get_context(), precision=prec):
            f = gmpy2.mul_2exp(mp_f(fn, x), -s)  # exact scaling
            A = mpfr(hi) + mpfr(lo)
            d = abs(f - A)
            ratio = float(d / mpfr(err))
            worst_ratio = max(worst_ratio, ratio)
            if ratio > 1 - 2.0 ** -60:
                fails.append((x, f"bound ratio {ratio}", hi, lo, s, err))
            if f != 0:
                worst_rel = max(worst_rel, float(gmpy2.log2(mpfr(err) / abs(f))))
            if count_fallback and A != 0:
                nfb += 1
                e = gmpy2.get_exp(A) - 1  # A in [2^e, 2^(e+1))
                lo_end, hi_end = A - err, A + err
                for k, bits in ((0, 25), (1, 9)):
                    q = gmpy2.mul_2exp(mpfr(1), e - bits)
                    if gmpy2.ceil(lo_end / q) <= gmpy2.floor(hi_end / q):
                        if k == 0:
                            fb32 += 1
                        else:
                            fb16 += 1
    return fails, worst_rel, worst_ratio, fb32, fb16, nfb, nsat


def all_codes(dtype, nbits):
    codes = np.arange(1 << nbits, dtype=np.uint16 if nbits == 16 else np.uint8)
    return codes.view(dtype).astype(np.float64)


def inputs(fn, rng):
    n32 = 20000 if QUICK else 200000
    n64 = 10000 if QUICK else 100000
    sets = {}
    small = [all_codes(ml_dtypes.bfloat16, 16), all_codes(np.float16, 16)]
    for t in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
              "float8_e4m3b11fnuz", "float8_e8m0fnu"):
        if hasattr(ml_dtypes, t):
            small.append(all_codes(getattr(ml_dtypes, t), 8))
    sets["f16/bf16/f8 (all)"] = np.unique(np.concatenate(small))
    sets["f32 codes"] = rng.integers(0, 1 << 32, n32, dtype=np.uint64).astype(np.uint32).view(
        np.float32).astype(np.float64)
    rngs = {"exp": [(-110, 90), (-1e-3, 1e-3)], "exp2": [(-160, 130), (-1e-2, 1e-2)],
            "log": [(0, 4), (0.99, 1.01)], "log2": [(0, 4), (0.99, 1.01)],
            "tanh": [(-20, 20), (-0.1, 0.1)], "erf": [(-6.5, 6.5), (-0.7, 0.7)],
            "sigmoid": [(-120, 40), (-2.5, 2.5)], "rsqrt": [(0, 5), (0.9, 1.1)]}[fn]
    r32 = np.concatenate([rng.uniform(a, b, n32 // 2) for a, b in rngs])
    sets["f32 range"] = r32.astype(np.float32).astype(np.float64)
    b64 = rng.integers(0, 1 << 63, n64 // 2, dtype=np.uint64) | (
        rng.integers(0, 2, n64 // 2, dtype=np.uint64) << np.uint64(63))
    wide = {"exp": (-800, 800), "exp2": (-1100, 1100), "log": (0, 1e6), "log2": (0, 1e6),
            "tanh": (-400, 400), "erf": (-30, 30), "sigmoid": (-800, 800), "rsqrt": (0, 1e6)}[fn]
    sets["f64"] = np.concatenate([b64.view(np.float64),
                                  rng.uniform(*rngs[0], n64 // 4), rng.uniform(*wide, n64 // 4)])
    edge = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, -1e-300, 1e-20, -1e-20,
            1.0, -1.0, 2.0, 0.5, 0.25, 4.0, 16.0, 1024.0, 2.0 ** -1022, 2.0 ** -1074 * 3,
            math.nan, math.inf, -math.inf, 1e300, -1e300, 1.7976931348623157e308,
            np.nextafter(1, 2), np.nextafter(1, 0), 709.782712893384, 709.79, -745.13, -745.14,
            -708.4, 1024.0, -1074.0, -1075.0, 1023.999, 726817.0, 726818.0, -726818.0,
            1048576.0, -1048576.0, 1048577.0, 0.55, 0.5, 26.5, np.nextafter(26.5, 0), 350.0,
            np.nextafter(350.0, 0), 694.0, np.nextafter(694.0, 0), 1.1, np.nextafter(1.1, 0),
            0.03125, np.nextafter(0.03125, 0), 0.0625, 2.0 ** -900, np.nextafter(2.0 ** -900, 0),
            19.06, 27.0, 6.0, 0.999, 1.001, 1 - 2.0 ** -9, 1 + 2.0 ** -8]
    ints = list(range(-1100, 1100)) + [float(4.0 ** k) for k in range(-537, 512)] + \
        [float(2.0 ** k) for k in range(-1074, 1024)] + [k / 128 for k in range(-300, 300)]
    e = np.array(edge + ints, dtype=np.float64)
    sets["edges"] = np.concatenate([e, -e, np.nextafter(e, np.inf), np.nextafter(e, -np.inf)])
    return sets


def main():
    np.seterr(all="ignore")
    so = build()
    lib = load(so)
    rng = np.random.default_rng(12345)
    pool = mp.Pool(2)
    rows, any_fail = [], False
    t_start = time.time()
    for fn in FUNCS:
        sets = inputs(fn, rng)
        jobs = []
        for name, xs in sets.items():
            hi, lo, sc, err = call(lib, fn, xs)
            count = name.startswith("f32")
            step = 5000
            for i in range(0, len(xs), step):
                sl = slice(i, i + step)
                jobs.append((fn, xs[sl].tolist(), hi[sl].tolist(), lo[sl].tolist(),
                             sc[sl].tolist(), err[sl].tolist(), count))
        fails, wrel, wratio, fb32, fb16, nfb, ncheck, nsat = [], -math.inf, 0.0, 0, 0, 0, 0, 0
        for job, res in zip(jobs, pool.imap(check_chunk, jobs)):
            ncheck += len(job[1])
            fails += res[0]
            wrel = max(wrel, res[1])
            wratio = max(wratio, res[2])
            fb32 += res[3]
            fb16 += res[4]
            nfb += res[5]
            nsat += res[6]
        x32 = sets["f32 range"].astype(np.float32)
        ns = lib.bench(FUNCS.index(fn), x32.ctypes.data_as(ctypes.c_void_p),
                       ctypes.c_size_t(x32.size), 20 if not QUICK else 3)
        for f in fails[:5]:
            print(f"  FAIL {fn}: x={f[0]!r} ({f[1]}) hi={f[2]!r} lo={f[3]!r} scale={f[4]} err={f[5]!r}")
        any_fail |= bool(fails)
        rows.append((fn, ncheck, nsat, len(fails), wrel, wratio, fb32 / max(nfb, 1),
                     fb16 / max(nfb, 1), ns))
        print(f"{fn}: done ({time.time() - t_start:.0f}s)", flush=True)
    print()
    print("sat/clamp: results saturated (1 - 2^-1001 +- 2^-1001) or clamped (err = inf), checked")
    print("separately and left out of the other columns; fallback: among float32 inputs.")
    print(f"{'function':9} {'inputs':>8} {'sat/clamp':>9} {'fails':>5} {'max log2(err/|f|)':>18} "
          f"{'max |e|/err':>11} {'f32 fallback':>12} {'bf16 fallback':>13} {'ns/call':>8}")
    for fn, n, nsat, nf, wrel, wratio, f32, f16, ns in rows:
        print(f"{fn:9} {n:8d} {nsat:9d} {nf:5d} {wrel:18.2f} {wratio:11.3g} {f32:12.3g} "
              f"{f16:13.3g} {ns:8.2f}")
    print("\nALL BOUNDS HOLD" if not any_fail else "\nFAILURES")
    return 1 if any_fail else 0


if __name__ == "__main__":
    sys.exit(main())
