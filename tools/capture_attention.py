#!/usr/bin/env python3
"""Capture PyTorch's CUDA attention (SDPA) for bit-exact CPU replay.

Usage (on the GPU machine, from the repository root; needs torch with CUDA)::

    python tools/capture_attention.py --out DIR

Writes DIR/attention.npz and DIR/attention.json. For each case (bf16 and fp16; head dims 64
and 128; sequence lengths that are and are not multiples of the kernels' blocks, one query
row included; causal and full; grouped-query heads; normal data and data with large row
maxima) it stores the inputs q, k, v and the output gradient dO (codes, shape (B, H, S, D)),
and from the flash backend (the one the ``torch_sdpa_flash.sm90`` recipe is to reproduce)
the output O, the log-sum-exp (float32), and dQ, dK, dV. The JSON lists each case (shape,
dtype, causal, scale, seed, the CUDA kernels the profiler saw), which tensors four more runs
reproduced bit for bit, and, for the memory-efficient, cuDNN and math backends, the share of
their output and gradient bits equal to the flash backend's (no model of them is attempted). The
environment (GPU, driver, torch, CUDA) and the date are recorded too.

Inputs come from NumPy (``default_rng(seed)``, standard normal times the case's scale) so
that they are the same on every machine.

With ``--wide`` it writes DIR/attention_wide.npz and .json instead: forward only, over shapes
with enough heads that PyTorch runs the plain ``flash_fwd_kernel`` rather than the split-KV
one (it splits the keys when batch x heads x row tiles is small next to the SMs). Their
inputs are not stored (regenerate them from the seed: the same draws, in the order q, k, v,
dO); the output O and the log-sum-exp are stored for the heads in KEPT_HEADS of batch 0.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from capture_torch_blocks import environment, kernels_of

# (B, H_q, H_kv, S_q, S_k, D): the flash kernels tile by 128 x 128 (D = 64) and 128 x 64
# (D = 128) on sm_80/sm_90.
SHAPES = [
    (1, 1, 1, 192, 192, 64),   # square (causal: the diagonal blocks), a partial last block
    (1, 1, 1, 130, 293, 64),   # neither length a block multiple
    (1, 1, 1, 1, 300, 64),     # one query row (decoding)
    (2, 2, 1, 40, 160, 64),    # grouped-query heads, two batches
    (1, 1, 1, 65, 200, 128),   # D = 128: 64-column key blocks, a partial last one
    (1, 2, 1, 16, 130, 128),   # grouped-query, D = 128
]
# Input scales: 1, and 6 (scores of tens: row maxima far from 0, exponentials that underflow)
# for the first two shapes, full attention only.
LARGE = {SHAPES[0], SHAPES[1]}
# --wide: 2 x 64 query heads (128 >= 0.8 x 132 SMs: no split), head dims 64 and 128, lengths
# that are and are not block multiples, grouped-query heads.
WIDE = [(2, 64, 64, 64, 200, 128), (2, 64, 16, 100, 130, 128), (2, 64, 64, 48, 293, 64),
        (2, 64, 8, 130, 130, 64)]
KEPT_HEADS = (0, 1, 63)


def sdpa_kwargs(causal: bool, Sq: int, Sk: int, gqa: bool, causal_lower_right) -> tuple:
    """SDPA's keyword arguments for the mask, and the mask's name in the JSON: causal masks
    square (is_causal) or lower-right aligned (FlashAttention-2's alignment: the last query
    row sees every key)."""
    kw: dict = {"enable_gqa": gqa}
    if not causal:
        return kw, False
    if Sq == Sk:
        kw["is_causal"] = True
        return kw, "square"
    kw["attn_mask"] = causal_lower_right(Sq, Sk)
    return kw, "lower_right"


def capture_wide(args, torch, F, sdpa_kernel, flash, causal_lower_right, dev, dtypes) -> None:
    """The --wide capture (see the module docstring)."""
    arrays: dict = {}
    cases = []
    seed = 1000
    for dname, dt in dtypes.items():
        for shape in WIDE:
            for causal in (False, True):
                seed += 1
                B, Hq, Hkv, Sq, Sk, D = shape
                rng = np.random.default_rng(seed)
                x = {}
                for name, shp in (("q", (B, Hq, Sq, D)), ("k", (B, Hkv, Sk, D)),
                                  ("v", (B, Hkv, Sk, D)), ("do", (B, Hq, Sq, D))):
                    x[name] = torch.from_numpy(rng.standard_normal(shp).astype(np.float32)
                                               ).to(dt).to(dev)
                kw, mask = sdpa_kwargs(causal, Sq, Sk, Hq != Hkv, causal_lower_right)

                def call():
                    with sdpa_kernel([flash]):
                        return F.scaled_dot_product_attention(x["q"], x["k"], x["v"], **kw)

                o = call()
                name = f"{dname}__{B}x{Hq}x{Hkv}x{Sq}x{Sk}x{D}__{'causal' if causal else 'full'}"
                case = {"name": name, "dtype": dname, "shape": list(shape), "causal": mask,
                        "input_scale": 1.0, "seed": seed, "softmax_scale": D ** -0.5,
                        "kept_heads": list(KEPT_HEADS), "kernels": kernels_of(torch, call),
                        "repeat_equal": bool(torch.equal(o, call()))}
                arrays[name + "__flash_o"] = o[0, list(KEPT_HEADS)].view(torch.int16).cpu() \
                    .numpy().view(np.uint16)
                k, v = x["k"], x["v"]
                if Hq != Hkv:
                    k = k.repeat_interleave(Hq // Hkv, dim=1)
                    v = v.repeat_interleave(Hq // Hkv, dim=1)
                res = torch.ops.aten._scaled_dot_product_flash_attention(
                    x["q"], k, v, 0.0, causal, False, scale=D ** -0.5)
                case["lse_output_equal"] = bool(torch.equal(res[0], o))
                arrays[name + "__flash_lse"] = res[1][0, list(KEPT_HEADS)].float().cpu().numpy()
                cases.append(case)
                print(name, case["repeat_equal"], [k[:60] for k in case["kernels"]
                                                   if "flash" in k], flush=True)
    np.savez_compressed(os.path.join(args.out, "attention_wide.npz"), **arrays)
    meta = {"environment": environment(torch), "cases": cases,
            "script": "tools/capture_attention.py --wide"}
    with open(os.path.join(args.out, "attention_wide.json"), "w") as fh:
        json.dump(meta, fh, indent=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--wide", action="store_true", help="the forward-only many-head cases")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    import torch
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.nn.attention.bias import causal_lower_right

    dev = torch.device("cuda")
    dtypes = {"bfloat16": torch.bfloat16, "float16": torch.float16}
    backends = {"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION,
                "cudnn": SDPBackend.CUDNN_ATTENTION, "math": SDPBackend.MATH}
    if args.wide:
        capture_wide(args, torch, F, sdpa_kernel, backends["flash"], causal_lower_right, dev,
                     dtypes)
        return
    arrays: dict = {}
    cases = []
    seed = 0
    for dname, dt in dtypes.items():
        for shape in SHAPES:
            for causal in (False, True):
                for scale in (1.0, 6.0):
                    if scale != 1.0 and (causal or shape not in LARGE):
                        continue
                    seed += 1
                    B, Hq, Hkv, Sq, Sk, D = shape
                    rng = np.random.default_rng(seed)
                    host = {}
                    for name, shp, s in (("q", (B, Hq, Sq, D), scale),
                                         ("k", (B, Hkv, Sk, D), scale),
                                         ("v", (B, Hkv, Sk, D), 1.0),
                                         ("do", (B, Hq, Sq, D), 1.0)):
                        x = torch.from_numpy(rng.standard_normal(shp).astype(np.float32) * s)
                        host[name] = x.to(dt)
                    mask = "causal" if causal else "full"
                    case_name = f"{dname}__{B}x{Hq}x{Hkv}x{Sq}x{Sk}x{D}__{mask}__{scale:g}"
                    case = {"name": case_name, "dtype": dname, "shape": list(shape),
                            "causal": sdpa_kwargs(causal, Sq, Sk, False, lambda *a: None)[1],
                            "input_scale": scale, "seed": seed,
                            "softmax_scale": D ** -0.5, "gqa": Hq != Hkv}
                    for name, x in host.items():
                        arrays[f"{case_name}__{name}"] = x.view(torch.int16).numpy().view(np.uint16)

                    def run(backend):
                        q, k, v = (host[n].to(dev).requires_grad_(True) for n in ("q", "k", "v"))
                        kw, _ = sdpa_kwargs(causal, Sq, Sk, Hq != Hkv, causal_lower_right)
                        with sdpa_kernel([backends[backend]]):
                            o = F.scaled_dot_product_attention(q, k, v, **kw)
                            o.backward(host["do"].to(dev))
                        return [t.detach().view(torch.int16).cpu().numpy().view(np.uint16)
                                for t in (o, q.grad, k.grad, v.grad)]

                    flash = run("flash")
                    # FlashAttention-2's backward adds dQ across key blocks with atomics: which
                    # tensors came out the same in four more runs.
                    repeats = [run("flash") for _ in range(4)]
                    case["repeat_equal"] = {
                        name: all(np.array_equal(a, r[i]) for r in repeats)
                        for i, (name, a) in enumerate(zip(("o", "dq", "dk", "dv"), flash))}
                    for name, a in zip(("o", "dq", "dk", "dv"), flash):
                        arrays[f"{case_name}__flash_{name}"] = a
                    # The log-sum-exp the flash kernel returns (natural log, float32).
                    q, k, v = (host[n].to(dev) for n in ("q", "k", "v"))
                    if Hq != Hkv:  # the op takes equal head counts: the GQA repeat, as SDPA does
                        k = k.repeat_interleave(Hq // Hkv, dim=1)
                        v = v.repeat_interleave(Hq // Hkv, dim=1)
                    res = torch.ops.aten._scaled_dot_product_flash_attention(
                        q, k, v, 0.0, causal, False, scale=D ** -0.5)
                    case["lse_output_equal"] = bool(torch.equal(
                        res[0].view(torch.int16).cpu(), torch.from_numpy(flash[0].view(np.int16))))
                    arrays[f"{case_name}__flash_lse"] = res[1].float().cpu().numpy()
                    case["kernels"] = kernels_of(torch, lambda: run("flash"))
                    agree = {}
                    for other in ("efficient", "cudnn", "math"):
                        try:
                            got = run(other)
                        except Exception as exc:  # a backend may refuse a shape: recorded
                            agree[other] = f"unavailable: {type(exc).__name__}: {str(exc)[:120]}"
                            continue
                        agree[other] = {name: float(np.mean(a == b)) for name, a, b in
                                        zip(("o", "dq", "dk", "dv"), got, flash)}
                    case["match_rate_vs_flash"] = agree
                    cases.append(case)
                    print(case_name, case["repeat_equal"], json.dumps(agree)[:200], flush=True)

    np.savez_compressed(os.path.join(args.out, "attention.npz"), **arrays)
    meta = {"environment": environment(torch), "cases": cases,
            "script": "tools/capture_attention.py"}
    with open(os.path.join(args.out, "attention.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    print(json.dumps(meta["environment"], indent=1))
    print(len(cases), "cases;", os.path.getsize(os.path.join(args.out, "attention.npz")),
          "bytes")


if __name__ == "__main__":
    main()
