#!/usr/bin/env python3
"""Capture Triton's ``tl.math.log2`` (libdevice ``__nv_log2f`` as Triton 3.6 builds it) on a GPU.

Usage (on the GPU machine, from the repository root; needs torch and triton with CUDA)::

    python tools/capture_triton_log2.py --out DIR

Writes DIR/log2_sample.npz (``x``: float32 codes, 2^20 values uniform in [1, 4096) and 2^18
random codes; ``y``: the kernel's result codes) and DIR/log2.ptx (the kernel's PTX: the
instruction sequence the model replays). Triton's tutorial attention forms its log-sum-exp
with it (``m_i += tl.math.log2(l_i)``).
"""

from __future__ import annotations

import argparse
import os

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import torch
    import triton
    import triton.language as tl

    @triton.jit
    def log2_kernel(X, Y, N, BLOCK: tl.constexpr):
        i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        m = i < N
        tl.store(Y + i, tl.math.log2(tl.load(X + i, mask=m)), mask=m)

    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(1, 4096, 2**20).astype(np.float32).view(np.uint32),
                        rng.integers(0, 2**32, 2**18, dtype=np.uint64).astype(np.uint32)])
    xt = torch.from_numpy(x.view(np.float32)).cuda()
    y = torch.empty_like(xt)
    handle = log2_kernel[(triton.cdiv(x.size, 1024),)](xt, y, x.size, BLOCK=1024)
    os.makedirs(args.out, exist_ok=True)
    np.savez_compressed(os.path.join(args.out, "log2_sample.npz"), x=x,
                        y=y.cpu().numpy().view(np.uint32))
    with open(os.path.join(args.out, "log2.ptx"), "w") as fh:
        fh.write(handle.asm["ptx"])
    print("triton", triton.__version__, "torch", torch.__version__)


if __name__ == "__main__":
    main()
