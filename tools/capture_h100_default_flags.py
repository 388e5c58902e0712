#!/usr/bin/env python
"""Capture bf16/fp16 ``torch.mm`` on an H100 under PyTorch's *default* settings, where cuBLAS
may pick split-K or other reductions by shape, so that the docs can state how often the
``h100.cublas_gemm`` preset (one chain over K, no split-K) matches and which split-K model does.

Writes ``matmul_default.npz`` in the schema of tools/capture_h100.py (family ``matmul``, field
``params.flags = "default"``) plus the CUDA kernel names seen for each case.

Usage (on the GPU machine, from the repository root)::

    python tools/capture_h100_default_flags.py --out DIR
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import ml_dtypes
import numpy as np

SHAPES = [(16, 16, 16384), (32, 32, 4096), (64, 64, 2048), (128, 128, 1024), (32, 32, 512)]


def kernels(torch, fn):
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    return [e.name for e in prof.events() if "CUDA" in str(getattr(e, "device_type", ""))]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False  # the rest stays at PyTorch's defaults
    cases, arrays = [], {}
    for in_name, np_dt, t_dt in (("bfloat16", ml_dtypes.bfloat16, torch.bfloat16),
                                 ("float16", np.float16, torch.float16)):
        for M, N, K in SHAPES:
            for out_name in (in_name, "float32"):
                seed = len(cases)
                rng = np.random.default_rng(seed)
                a = rng.standard_normal((M, K)).astype(np_dt)
                b = rng.standard_normal((K, N)).astype(np_dt)
                ta = torch.from_numpy(a.view(np.uint16).copy()).view(t_dt).cuda()
                tb = torch.from_numpy(b.view(np.uint16).copy()).view(t_dt).cuda()
                if out_name == "float32":
                    fn = lambda: torch.mm(ta, tb, out_dtype=torch.float32)  # noqa: E731
                else:
                    fn = lambda: torch.mm(ta, tb)  # noqa: E731
                try:
                    o1, o2 = fn(), fn()
                except Exception as ex:  # older torch without out_dtype
                    print(f"skip {in_name}->{out_name} {M}x{K}x{N}: {ex}", flush=True)
                    continue
                torch.cuda.synchronize()
                view = torch.int32 if out_name == "float32" else torch.int16
                out = o1.view(view).cpu().numpy()
                out = out.view(np.uint32 if out_name == "float32" else np.uint16)
                same = bool(torch.equal(o1.view(view), o2.view(view)))
                name = f"{in_name}_{out_name}out_M{M}_N{N}_K{K}_default"
                names = kernels(torch, fn)
                cases.append(dict(name=name, family="matmul", kernel="torch.mm", in_dtype_a=in_name,
                                  in_dtype_b=in_name, out_dtype=out_name, M=M, N=N, K=K,
                                  params=dict(flags="default"), seed=seed,
                                  repeat_equal=same, gpu_kernels=names))
                arrays[f"{name}__a"] = a.view(np.uint16)
                arrays[f"{name}__b"] = b.view(np.uint16)
                arrays[f"{name}__out"] = out
                print(name, same, names, flush=True)
    manifest = dict(torch=torch.__version__, cuda=torch.version.cuda,
                    gpu=torch.cuda.get_device_name(),
                    reduced_precision=[str(torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction),
                                       str(torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction)],
                    blas=str(torch.backends.cuda.preferred_blas_library()))
    np.savez_compressed(os.path.join(args.out, "matmul_default.npz"),
                        cases=np.array(json.dumps(cases)), manifest=np.array(json.dumps(manifest)),
                        **arrays)
    print(json.dumps(manifest), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
