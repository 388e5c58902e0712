#!/usr/bin/env python3
"""Capture Triton's tutorial fused-attention kernel for bit-exact CPU replay.

Usage (on the GPU machine, from the repository root; needs torch and triton with CUDA)::

    python tools/capture_triton_attention.py --tutorial PATH/06-fused-attention.py --out DIR

The tutorial (``python/tutorials/06-fused-attention.py`` of triton-lang/triton) is not ours to
copy: fetch it and pass its path; it is imported as a module, never stored in the repository.
Its file's SHA-256 is recorded.

The tutorial autotunes BLOCK_M/BLOCK_N by timing, which would make the arithmetic depend on
the run; this script pins every autotuned kernel of the module to the stated configuration
(BLOCK_M = 128, BLOCK_N = 64, 4 warps: ``--block-m``, ``--block-n``) taken from the
tutorial's own list. Writes DIR/triton_attention.npz and .json: per case (float16 inputs, the
tutorial's P is float16; head dims 64 and 128; lengths multiples of 128, as its backward
requires; causal and full; input scales 1 and 6) the inputs q, k, v, dO (codes; NumPy
``default_rng(seed)`` standard normals times the scale, rounded to nearest-even), the output
O, the kernel's M (m + log2 l, float32) and dQ, dK, dV; the JSON records the environment,
the configuration, the kernels the profiler saw and which outputs a second run repeated.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os

import numpy as np

from capture_torch_blocks import environment, kernels_of

# (B, H, S, D, input scale, softmax scale)
CASES = [
    (1, 2, 256, 64, 1.0, None),
    (1, 1, 384, 64, 6.0, None),
    (2, 1, 256, 128, 1.0, None),
    (1, 1, 384, 128, 6.0, None),
    (1, 1, 256, 64, 1.0, 0.5),
]


def load_tutorial(path: str):
    spec = importlib.util.spec_from_file_location("triton_tutorial_attention", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def pin_configs(mod, block_m: int, block_n: int) -> list:
    """Every autotuned kernel of the module restricted to one of its configs: BLOCK_M, BLOCK_N
    as given, 4 warps, the fewest stages (stages change the schedule, not the arithmetic)."""
    pinned = []
    for name in dir(mod):
        fn = getattr(mod, name)
        configs = getattr(fn, "configs", None)
        if not isinstance(configs, list) or not configs:
            continue
        keep = [c for c in configs if c.kwargs.get("BLOCK_M") == block_m and
                c.kwargs.get("BLOCK_N") == block_n and c.num_warps == 4]
        keep.sort(key=lambda c: c.num_stages)
        if not keep:
            raise SystemExit(f"{name}: no config with BLOCK_M={block_m}, BLOCK_N={block_n}")
        fn.configs = keep[:1]
        pinned.append({"kernel": name, "config": str(keep[0])})
    return pinned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tutorial", required=True, help="path of 06-fused-attention.py")
    parser.add_argument("--out", required=True)
    parser.add_argument("--block-m", type=int, default=128)
    parser.add_argument("--block-n", type=int, default=64)
    args = parser.parse_args()
    import torch
    import triton

    with open(args.tutorial, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    mod = load_tutorial(args.tutorial)
    pinned = pin_configs(mod, args.block_m, args.block_n)
    dev = torch.device("cuda")
    env = environment(torch)
    env["triton"] = triton.__version__
    meta = {"environment": env, "script": "tools/capture_triton_attention.py",
            "tutorial_sha256": digest, "block_m": args.block_m, "block_n": args.block_n,
            "pinned": pinned, "cases": []}
    arrays = {}
    for seed, (B, H, S, D, in_scale, sm_scale) in enumerate(CASES, start=1):
        sm = D ** -0.5 if sm_scale is None else sm_scale
        for causal in (False, True):
            rng = np.random.default_rng(seed)
            host = [rng.standard_normal((B, H, S, D)).astype(np.float32) * np.float32(s)
                    for s in (in_scale, in_scale, 1.0, 1.0)]
            name = f"float16__{B}x{H}x{S}x{D}__{'causal' if causal else 'full'}__{in_scale:g}"
            if sm_scale is not None:
                name += f"__scale{sm_scale:g}"

            def run():
                q, k, v, do = (torch.from_numpy(x).to(dev).to(torch.float16) for x in host)
                for t in (q, k, v):
                    t.requires_grad_(True)
                o = mod.attention(q, k, v, causal, sm)
                m = o.grad_fn.saved_tensors[4]
                o.backward(do)
                torch.cuda.synchronize()
                return {"q": q, "k": k, "v": v, "do": do, "o": o, "m": m, "dq": q.grad,
                        "dk": k.grad, "dv": v.grad}

            first = run()
            second = run()
            case = {"name": name, "shape": [B, H, S, D], "causal": causal, "seed": seed,
                    "input_scale": in_scale, "softmax_scale": sm,
                    "kernels": kernels_of(torch, run),
                    "repeat_equal": {t: bool(torch.equal(first[t], second[t]))
                                     for t in ("o", "m", "dq", "dk", "dv")}}
            meta["cases"].append(case)
            for t in ("q", "k", "v", "do", "o", "dq", "dk", "dv"):
                arrays[f"{name}__{t}"] = first[t].detach().view(torch.int16).cpu().numpy() \
                    .view(np.uint16)
            arrays[f"{name}__m"] = first["m"].detach().cpu().numpy()
            print(name, case["repeat_equal"], flush=True)
    os.makedirs(args.out, exist_ok=True)
    np.savez_compressed(os.path.join(args.out, "triton_attention.npz"), **arrays)
    with open(os.path.join(args.out, "triton_attention.json"), "w") as fh:
        json.dump(meta, fh, indent=1)


if __name__ == "__main__":
    main()
