#!/usr/bin/env python3
"""Capture the GPU's special-function unit (MUFU) tables and a replay sample, on an NVIDIA GPU.

Usage (on the GPU machine, from the repository root; needs CuPy and nvcc)::

    python tools/capture_mufu.py --out DIR

Writes into DIR:

``table_<name>.xz``
    Every entry of one MUFU table, as the float32 codes the bare PTX instruction returns,
    in the package's table format (python/roundoff/_tables.py); they ship as
    python/roundoff/data/sm90/mufu_<name>.xz. Tables:

    * ``ex2_pos``: ``ex2.approx.ftz.f32(f * 2^-23)`` for f = 0 .. 2^23 - 1 (T+ of the
      structure in the research notes: results in [1, 2)).
    * ``ex2_neg``: ``ex2.approx.ftz.f32(-f * 2^-23)`` (T-: results in (1/2, 1]).
    * ``rcp``: ``rcp.approx.ftz.f32(m)`` for every float32 m in [1, 2).
    * ``rsqrt``: ``rsqrt.approx.ftz.f32(m)`` for every float32 m in [1, 4).
``sample.npz``
    A replay sample: ``x``, ``y`` (float32 codes, uint32) and, per function, ``out_<fn>``:
    the GPU's result codes for the PTX instructions and CUDA functions of FUNCTIONS.
``kernels.ptx`` / ``kernels.sass``
    The PTX and SASS of the CUDA math functions (how libdevice builds them), for the record.
``manifest.json``
    GPU, driver, CUDA, CuPy and date.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np

# The table format lives in the package; load that file by path (roundoff need not be built).
_spec = importlib.util.spec_from_file_location(
    "roundoff_tables", os.path.join(os.path.dirname(__file__), "..", "python", "roundoff",
                                    "_tables.py"))
tables_format = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tables_format)

# name -> CUDA expression of float x (and y for binary ones). PTX instructions are inline asm;
# CUDA functions are called as a kernel built with nvcc's default flags calls them
# (no fast math: -ftz=false -prec-div=true -prec-sqrt=true -fmad=true).
FUNCTIONS = {
    "ex2.approx.ftz.f32": "ptx1(\"ex2.approx.ftz.f32\", x)",
    "ex2.approx.f32": "ptx1(\"ex2.approx.f32\", x)",
    "rcp.approx.ftz.f32": "ptx1(\"rcp.approx.ftz.f32\", x)",
    "rsqrt.approx.ftz.f32": "ptx1(\"rsqrt.approx.ftz.f32\", x)",
    "lg2.approx.ftz.f32": "ptx1(\"lg2.approx.ftz.f32\", x)",
    "lg2.approx.f32": "ptx1(\"lg2.approx.f32\", x)",
    "tanh.approx.f32": "ptx1(\"tanh.approx.f32\", x)",
    "rcp.rn.f32": "ptx1(\"rcp.rn.f32\", x)",
    "div.full.f32": "ptx2(\"div.full.f32\", x, y)",
    "div.rn.f32": "ptx2(\"div.rn.f32\", x, y)",
    "expf": "expf(x)",
    "exp2f": "exp2f(x)",
    "__expf": "__expf(x)",
    "tanhf": "tanhf(x)",
    "erff": "erff(x)",
    "__logf": "__logf(x)",
    "rsqrtf": "rsqrtf(x)",
    "logf": "logf(x)",
    "log2f": "log2f(x)",
}

def kernel_source() -> str:
    lines = ["#include <cuda_runtime.h>", ""]
    names = []
    for i, (name, expr) in enumerate(FUNCTIONS.items()):
        if expr.startswith("ptx1"):
            op = expr.split('"')[1]
            body = f'float r; asm volatile("{op} %0, %1;" : "=f"(r) : "f"(x)); return r;'
        elif expr.startswith("ptx2"):
            op = expr.split('"')[1]
            body = f'float r; asm volatile("{op} %0, %1, %2;" : "=f"(r) : "f"(x), "f"(y)); return r;'
        else:
            body = f"return {expr};"
        lines.append(f"__device__ __noinline__ float fn{i}(float x, float y) {{ {body} }}")
        names.append(f"fn{i}")
    lines.append("")
    lines.append('extern "C" __global__ void apply(const float* x, const float* y, float* out,'
                 " long long n, int which) {")
    lines.append("  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;")
    lines.append("  if (i >= n) return;")
    lines.append("  float a = x[i], b = y[i], r = 0.f;")
    lines.append("  switch (which) {")
    for i, fn in enumerate(names):
        lines.append(f"    case {i}: r = {fn}(a, b); break;")
    lines.append("  }")
    lines.append("  out[i] = r;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def environment() -> dict:
    env = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "python": sys.version.split()[0], "numpy": np.__version__}
    for cmd, key in ((["nvidia-smi", "--query-gpu=name,driver_version,compute_cap",
                       "--format=csv,noheader"], "nvidia_smi"), (["nvcc", "--version"], "nvcc")):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
            env[key] = out.splitlines()[-1] if key == "nvcc" else out
        except Exception as exc:  # record, do not fail the capture
            env[key] = f"unavailable: {exc}"
    try:
        import cupy
        env["cupy"] = cupy.__version__
        env["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        env["cuda_driver"] = cupy.cuda.runtime.driverGetVersion()
    except Exception as exc:
        env["cupy"] = f"unavailable: {exc}"
    return env


def sample_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """float32 codes: specials and edges, every binade's ends, then random codes of the whole
    line, then values in the ranges where the functions do something."""
    f32 = lambda v: np.asarray(v, dtype=np.float32).view(np.uint32)  # noqa: E731
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, 0.5, 128.0, -126.0, -127.0,
             -149.0, -150.0, 127.99999, -125.99999, 126.0, 0.6, -0.6, 9.01, 9.0, 1.003, 1e-30,
             -1e-30, 2.0**-126, 2.0**-149, 3.4028235e38, -3.4028235e38]
    pow2 = [s * 2.0**e for e in range(-149, 128) for s in (1.0, -1.0)]
    ints = np.arange(-160, 160, dtype=np.float64)
    fixed = np.concatenate([f32(edges), f32(pow2), f32(ints)])
    fixed = np.concatenate([fixed, fixed + 1, fixed - 1])  # each edge's neighbours
    every = rng.integers(0, 2**32, 2**16, dtype=np.uint64).astype(np.uint32)
    ranges = np.concatenate([
        f32(rng.uniform(-40, 40, 2**15)), f32(rng.uniform(-4, 4, 2**15)),
        f32(rng.uniform(-140, 130, 2**14)),
        f32(np.exp(rng.uniform(-100, 88, 2**15))),  # log-uniform positives
    ])
    x = np.concatenate([fixed, every, ranges]).astype(np.uint32)
    y = np.concatenate([f32(np.exp(rng.uniform(-60, 60, x.size // 2))),
                        rng.integers(0, 2**32, x.size - x.size // 2, dtype=np.uint64)
                        .astype(np.uint32)])
    y = y[rng.permutation(y.size)]
    return x, y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    import cupy as cp

    src = kernel_source()
    with open(os.path.join(args.out, "kernels.cu"), "w") as fh:
        fh.write(src)
    # The record of how libdevice builds each function: PTX and SASS from nvcc, default flags.
    cu = os.path.join(args.out, "kernels.cu")
    subprocess.run(["nvcc", "-arch=sm_90", "-ptx", cu, "-o", os.path.join(args.out, "kernels.ptx")],
                   check=True)
    cubin = "/tmp/kernels.cubin"
    subprocess.run(["nvcc", "-arch=sm_90", "-cubin", cu, "-o", cubin], check=True)
    sass = subprocess.run(["cuobjdump", "--dump-sass", cubin], capture_output=True, text=True,
                          check=True).stdout
    with open(os.path.join(args.out, "kernels.sass"), "w") as fh:
        fh.write(sass)
    os.remove(cu)

    module = cp.RawModule(path=cubin)  # the cubin nvcc built, so the SASS is the record
    apply = module.get_function("apply")
    names = list(FUNCTIONS)

    def run(which: str, x_codes: np.ndarray, y_codes: np.ndarray | None = None) -> np.ndarray:
        x = cp.asarray(x_codes.view(np.float32))
        y = cp.asarray((y_codes if y_codes is not None else x_codes).view(np.float32))
        out = cp.empty_like(x)
        n = x.size
        apply(((n + 255) // 256,), (256,), (x, y, out, np.int64(n), np.int32(names.index(which))))
        return cp.asnumpy(out).view(np.uint32)

    # Tables: every entry.
    f = np.arange(2**23, dtype=np.float64)
    tables = {
        "ex2_pos": run("ex2.approx.ftz.f32", (f * 2.0**-23).astype(np.float32).view(np.uint32)),
        "ex2_neg": run("ex2.approx.ftz.f32", (-f * 2.0**-23).astype(np.float32).view(np.uint32)),
        "rcp": run("rcp.approx.ftz.f32", np.arange(0x3F800000, 0x40000000, dtype=np.uint32)),
        "rsqrt": run("rsqrt.approx.ftz.f32", np.arange(0x3F800000, 0x40800000, dtype=np.uint32)),
    }
    sizes = {}
    for name, codes in tables.items():
        blob = tables_format.pack(codes)
        assert np.array_equal(tables_format.unpack(blob), codes)
        with open(os.path.join(args.out, f"table_{name}.xz"), "wb") as fh:
            fh.write(blob)
        sizes[name] = len(blob)
    # Repeatability: a second launch gives the same bits.
    repeat = bool(np.array_equal(run("ex2.approx.ftz.f32", (f * 2.0**-23).astype(np.float32)
                                     .view(np.uint32)), tables["ex2_pos"]))

    rng = np.random.default_rng(20261201)
    x, y = sample_inputs(rng)
    sample = {"x": x, "y": y}
    for name in names:
        sample["out_" + name] = run(name, x, y)
    np.savez_compressed(os.path.join(args.out, "sample.npz"), **sample)

    manifest = {"environment": environment(), "table_bytes": sizes, "repeat_equal": repeat,
                "sample_size": int(x.size), "functions": FUNCTIONS,
                "compiler_flags": "nvcc -arch=sm_90 (defaults: no fast math, -fmad=true)"}
    with open(os.path.join(args.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
