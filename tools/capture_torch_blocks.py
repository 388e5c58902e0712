#!/usr/bin/env python3
"""Capture PyTorch's CUDA transformer building blocks for bit-exact CPU replay.

Usage (on the GPU machine, from the repository root; needs torch with CUDA)::

    python tools/capture_torch_blocks.py --out DIR

Writes DIR/torch_blocks.npz and DIR/torch_blocks.json:

* ``elementwise``: F.gelu (approximate "none" and "tanh") and F.silu of every bfloat16 and
  float16 code (inputs are the codes 0..65535 themselves): ``<op>__<dtype>__out``.
* row operations over the last dimension, for bfloat16 and float16 inputs, over row lengths
  shorter and longer than a warp, a block and the persistent-softmax limit (odd ones too) and
  several data scales: F.softmax, F.log_softmax, F.layer_norm (with and without an affine
  weight and bias), F.rms_norm (with a weight). Case ``<case>``: ``<case>__x`` (rows x n codes),
  ``<case>__w``/``<case>__b`` where used, ``<case>__out``. The JSON lists each case (op, dtype,
  shape, scale, eps, seed) and the CUDA kernels the profiler saw for it.

The JSON also holds the environment (GPU, driver, torch, CUDA) and the date.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess

import numpy as np

LENGTHS = [1, 2, 7, 31, 32, 33, 64, 100, 127, 256, 320, 511, 512, 1000, 1024, 1025, 1536,
           2048, 3000, 4096, 4097, 8192, 10000, 16384]
SCALES = {"softmax": [1.0, 8.0, 60.0], "log_softmax": [1.0, 30.0],
          "layer_norm": [1.0, 50.0], "rms_norm": [0.1, 30.0]}
ROWS = 3


def environment(torch) -> dict:
    env = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "torch": torch.__version__, "cuda": torch.version.cuda,
           "gpu": torch.cuda.get_device_name(),
           "capability": list(torch.cuda.get_device_capability())}
    try:
        env["nvidia_smi"] = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as exc:  # recorded, not fatal
        env["nvidia_smi"] = f"unavailable: {exc}"
    return env


def kernels_of(torch, fn) -> list:
    """The CUDA kernel names one call of fn launches."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fn()
        torch.cuda.synchronize()
    return sorted({e.name for e in prof.events() if e.device_type.name == "CUDA"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    import torch
    import torch.nn.functional as F

    dev = torch.device("cuda")
    dtypes = {"bfloat16": torch.bfloat16, "float16": torch.float16}
    arrays: dict = {}
    cases = []

    codes = torch.arange(65536, dtype=torch.int32).to(torch.uint16)
    elementwise = {"gelu_none": lambda x: F.gelu(x), "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
                   "silu": F.silu}
    for dname, dt in dtypes.items():
        x = codes.view(dt).to(dev)
        for op, fn in elementwise.items():
            out = fn(x)
            arrays[f"{op}__{dname}__out"] = out.view(torch.uint16).cpu().numpy()
            cases.append({"name": f"{op}__{dname}", "op": op, "dtype": dname,
                          "kernels": kernels_of(torch, lambda: fn(x))})

    seed = 0
    for dname, dt in dtypes.items():
        for op, scales in SCALES.items():
            for n in LENGTHS:
                for scale in scales:
                    seed += 1
                    g = torch.Generator(device="cpu").manual_seed(seed)
                    x = (torch.randn(ROWS, n, generator=g) * scale).to(dt)
                    if op in ("layer_norm", "rms_norm"):  # and an offset, as activations have
                        x = (x.float() + torch.randn(ROWS, 1, generator=g) * scale).to(dt)
                    xd = x.to(dev)
                    name = f"{op}__{dname}__{n}__{scale:g}"
                    case = {"name": name, "op": op, "dtype": dname, "shape": [ROWS, n],
                            "scale": scale, "seed": seed}
                    arrays[name + "__x"] = x.view(torch.uint16).numpy()
                    if op == "softmax":
                        call = lambda: F.softmax(xd, dim=-1)  # noqa: E731
                    elif op == "log_softmax":
                        call = lambda: F.log_softmax(xd, dim=-1)  # noqa: E731
                    elif op == "layer_norm":
                        affine = n % 2 == 1 or scale > 1
                        case["affine"] = affine
                        case["eps"] = 1e-5
                        if affine:
                            w = (1 + 0.1 * torch.randn(n, generator=g)).to(dt)
                            b = (0.1 * torch.randn(n, generator=g)).to(dt)
                            arrays[name + "__w"] = w.view(torch.uint16).numpy()
                            arrays[name + "__b"] = b.view(torch.uint16).numpy()
                            wd, bd = w.to(dev), b.to(dev)
                            call = lambda: F.layer_norm(xd, (n,), wd, bd, eps=1e-5)  # noqa: E731
                        else:
                            call = lambda: F.layer_norm(xd, (n,), eps=1e-5)  # noqa: E731
                    else:
                        case["eps"] = 1e-6
                        w = (1 + 0.1 * torch.randn(n, generator=g)).to(dt)
                        arrays[name + "__w"] = w.view(torch.uint16).numpy()
                        wd = w.to(dev)
                        call = lambda: F.rms_norm(xd, (n,), wd, eps=1e-6)  # noqa: E731
                    out = call()
                    again = call()
                    case["repeat_equal"] = bool(torch.equal(out.view(torch.uint16),
                                                            again.view(torch.uint16)))
                    case["kernels"] = kernels_of(torch, call)
                    arrays[name + "__out"] = out.view(torch.uint16).cpu().numpy()
                    cases.append(case)

    np.savez_compressed(os.path.join(args.out, "torch_blocks.npz"), **arrays)
    meta = {"environment": environment(torch), "cases": cases,
            "script": "tools/capture_torch_blocks.py"}
    with open(os.path.join(args.out, "torch_blocks.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    kernels = sorted({k for c in cases for k in c["kernels"]})
    print(json.dumps(meta["environment"], indent=1))
    print(len(cases), "cases;", len(kernels), "kernels:")
    for k in kernels:
        print("  ", k[:200])


if __name__ == "__main__":
    main()
