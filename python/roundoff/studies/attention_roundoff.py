"""``roundoff study attention-roundoff``: the round-off error of an emulated transformer forward
pass against depth, sequence length, head dimension, softmax temperature and precision, each
next to its bound, and the seed paper's guidelines checked qualitatively.

The model: L pre-LayerNorm blocks on a residual stream x (n tokens x d = heads x d_h): h =
LN(x); q, k, v = h Wq, h Wk, h Wv split into heads; x += attention(q, k, v, causal) Wo; h =
LN(x); x += GELU(h W1) W2 (W1: d x 4d). Weights are N(0, 1/fan_in) draws, Wo and W2 scaled by
1/sqrt(2L) (GPT-2's residual scaling), rounded to the activations' format, so the reference
(float64 arithmetic on the same weights and input) and the emulation differ only in their
arithmetic. The softmax temperature tau multiplies the scale: scale = tau / sqrt(d_h).

Precisions (how the emulation computes each step, as GPUs do):

* ``bf16``, ``fp16``: activations and the residual stream in the format; linear layers by the
  cuBLAS wgmma chain (``hw.preset("h100.cublas_gemm")``, float32 accumulation, output rounded
  to the format); LayerNorm and GELU as PyTorch's sm_90 kernels (``nn`` preset
  ``"pytorch_sm90"``); attention by PyTorch's flash kernel (``"torch_sdpa_flash.sm90"`` in its
  single pass for every shape: the split-KV path has no bound yet; at head dims other than
  64 and 128 the same arithmetic with its block table, not captured);
  each residual add rounded once.
* ``fp8``: as bf16, but every linear layer scales its input and weight per tensor into E4M3
  (amax / 448, Transformer Engine's current scaling) and multiplies them by the FP8
  ``torch._scaled_mm`` chain (``"h100.cublas_scaled_mm"``, output bf16); attention by the FP8
  FlashAttention-3 recipe (``"fp8_fa3.sm90"``).

Errors are per token, in 2-norms: the largest and the median ||y_i - y_ref_i||, over the
largest ||y_ref_i||; the bound next to them is the largest of
:func:`roundoff.bounds.transformer_block_bound` carried through the blocks (a worst case).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .._casts import decode, encode
from .._transformer import (BLOCK_PRECISIONS, BlockPrecision, transformer_block,
                            transformer_block_reference)
from . import progress


@dataclass(frozen=True)
class Config:
    """One point of the study: the model's shape, its softmax temperature and precision."""

    depth: int = 2
    seq: int = 128
    head_dim: int = 64
    heads: int = 2
    temperature: float = 1.0
    precision: str = "bf16"
    seed: int = 0

    @property
    def width(self) -> int:
        return self.heads * self.head_dim


PRECISIONS = ("bf16", "fp16", "fp8")
SWEEPS: Dict[str, Tuple[Any, ...]] = {
    "depth": (1, 2, 4, 8),
    "seq": (64, 128, 256, 512),
    "head_dim": (32, 64, 128, 256),
    "temperature": (0.5, 1.0, 2.0, 4.0, 8.0),
}
QUICK_SWEEPS: Dict[str, Tuple[Any, ...]] = {
    "depth": (1, 2),
    "seq": (32, 64),
    "head_dim": (64, 128),
    "temperature": (1.0, 4.0),
}
QUICK_BASE = Config(depth=1, seq=32, head_dim=64, heads=1)


def _act_format(precision: str) -> str:
    return "fp16" if precision == "fp16" else "bf16"


def _values(x: np.ndarray, fmt: str) -> np.ndarray:
    """x rounded to nearest-even into fmt, as float64 values."""
    return np.asarray(decode(encode(x, fmt), fmt, np.float64))


def model_weights(cfg: Config) -> List[Dict[str, np.ndarray]]:
    """Per block: Wq, Wk, Wv, Wo (d x d), W1 (d x 4d), W2 (4d x d), as float64 values of the
    activations' format."""
    rng = np.random.default_rng(cfg.seed)
    d = cfg.width
    fmt = _act_format(cfg.precision)
    residual = 1 / math.sqrt(2 * cfg.depth)
    blocks = []
    for _ in range(cfg.depth):
        w = {name: rng.standard_normal(shape) / math.sqrt(shape[0])
             for name, shape in (("q", (d, d)), ("k", (d, d)), ("v", (d, d)), ("o", (d, d)),
                                 ("1", (d, 4 * d)), ("2", (4 * d, d)))}
        w["o"] *= residual
        w["2"] *= residual
        blocks.append({k: _values(v, fmt) for k, v in w.items()})
    return blocks


def model_input(cfg: Config) -> np.ndarray:
    rng = np.random.default_rng(cfg.seed + 1)
    return _values(rng.standard_normal((cfg.seq, cfg.width)), _act_format(cfg.precision))


def block_precision(cfg: Config) -> BlockPrecision:
    """The named precision (PyTorch's flash kernel in its single pass; at head dims other than
    64 and 128 the same arithmetic with its block table, not captured there)."""
    return BLOCK_PRECISIONS[cfg.precision]


# ---------------------------------------------------------------- the study

@dataclass(frozen=True)
class Point:
    sweep: str
    value: Any
    precision: str
    max_error: float
    median_error: float
    bound: float


def measure(cfg: Config) -> Tuple[float, float, float]:
    """Per token i, the error ||y_i - y_ref_i||_2 of the whole forward pass (the emulated
    blocks chained, against the float64 blocks chained) and its bound, carried block by
    block by :func:`roundoff.bounds.transformer_block_bound`: (the largest error, the median
    error, the largest bound), each over max_i ||y_ref_i||_2."""
    from ..bounds import transformer_block_bound
    p = block_precision(cfg)
    x = model_input(cfg)
    ref, emu = x, x
    radius = np.zeros(x.shape[0])
    for w in model_weights(cfg):
        ref = transformer_block_reference(ref, w, heads=cfg.heads, temperature=cfg.temperature,
                                          causal=p.causal)
        emu_next = transformer_block(emu, w, p, heads=cfg.heads, temperature=cfg.temperature)
        radius = transformer_block_bound(emu, w, p, heads=cfg.heads,
                                         temperature=cfg.temperature, x_radius=radius,
                                         y=emu_next)
        emu = emu_next
    err = np.sqrt(np.sum((emu - ref) ** 2, axis=-1))
    if np.any(err > radius):
        raise AssertionError(f"{cfg}: an error exceeds its bound (a bug: please report)")
    top = float(np.sqrt(np.sum(ref ** 2, axis=-1)).max())
    return float(err.max()) / top, float(np.median(err)) / top, float(radius.max()) / top


def run(base: Config, sweeps: Dict[str, Tuple[Any, ...]], precisions: Sequence[str]
        ) -> List[Point]:
    jobs = [(name, value, p) for name, values in sweeps.items() for value in values
            for p in precisions]
    points = []
    for name, value, p in progress(jobs, len(jobs), "attention-roundoff"):
        cfg = dataclasses.replace(base, **{name: value, "precision": p})
        points.append(Point(name, value, p, *measure(cfg)))
    return points


def _trend(points: List[Point], sweep: str, precision: str, field: str = "max_error"
           ) -> float:
    """The ratio of ``field`` at the sweep's last value to its first."""
    row = [p for p in points if p.sweep == sweep and p.precision == precision]
    return float(getattr(row[-1], field) / getattr(row[0], field))


def findings(points: List[Point], precisions: Sequence[str]) -> List[str]:
    """The seed paper's guidelines, each checked against the measurements, with the outcome
    (agrees or not) stated either way."""
    out = []
    held = all(p.max_error <= p.bound for p in points)
    ratio = [p.bound / p.max_error for p in points if p.max_error > 0]
    out.append(f"Bounds hold: every measured error is within its bound: "
               f"{'yes' if held else 'NO'}; bound / error {min(ratio):.3g}-{max(ratio):.3g}.")
    sweeps = {p.sweep for p in points}

    def ratios(sweep: str, field: str = "max_error") -> str:
        return ", ".join(f"{pr} x{_trend(points, sweep, pr, field):.2g}" for pr in precisions)

    if "depth" in sweeps:
        grow = [_trend(points, "depth", pr) for pr in precisions]
        deepest = max(p.value for p in points if p.sweep == "depth")
        gap = [p.bound / p.max_error for p in points
               if p.sweep == "depth" and p.value == deepest]
        agrees = all(g < 4 for g in grow) and all(x > 10 for x in gap)
        out.append(f"Depth (guideline 8: the worst case grows exponentially with L, typical "
                   f"errors far below it): {'agrees' if agrees else 'does not agree'}. From "
                   f"the first to the last depth the error grows {ratios('depth')}; the "
                   f"bound {ratios('depth', 'bound')} (capped where it reaches the "
                   f"activations' size), at the deepest {min(gap):.3g}-{max(gap):.3g} times "
                   f"the error.")
    for sweep, claim, want in (
            ("temperature", "Softmax temperature (guidelines 1-2: large attention logits cost "
             "accuracy)", "grows"),
            ("head_dim", "Head dimension (guideline 4: the score accumulation's error grows "
             "like gamma_dh)", "grows"),
            ("seq", "Sequence length (guideline 5: n enters only through the softmax sum, "
             "so barely)", "flat")):
        if sweep not in sweeps:
            continue
        r = [_trend(points, sweep, pr) for pr in precisions]
        agrees = all(x > 1.2 for x in r) if want == "grows" else all(x < 1.5 for x in r)
        out.append(f"{claim}: {'agrees' if agrees else 'does not agree'}; error from the "
                   f"first to the last value: {ratios(sweep)}.")
    mean = {pr: float(np.exp(np.mean([np.log(p.max_error) for p in points
                                      if p.precision == pr and p.max_error > 0])))
            for pr in precisions}
    order = sorted(precisions, key=lambda pr: mean[pr])
    out.append("Precisions from most to least accurate (geometric mean of the largest "
               "errors): " + ", ".join(f"{pr} {mean[pr]:.2g}" for pr in order) + ".")
    return out


def table(points: List[Point]) -> str:
    lines = ["| sweep | value | precision | max error | median error | bound |",
             "|---|---|---|---|---|---|"]
    for p in points:
        lines.append(f"| {p.sweep} | {p.value:g} | {p.precision} | {p.max_error:.3g} | "
                     f"{p.median_error:.3g} | {p.bound:.3g} |")
    return "\n".join(lines)


def plot(points: List[Point], precisions: Sequence[str], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sweeps = list(dict.fromkeys(p.sweep for p in points))
    fig, axes = plt.subplots(1, len(sweeps), figsize=(4.2 * len(sweeps), 3.6), squeeze=False)
    colors = {"bf16": "tab:blue", "fp16": "tab:green", "fp8": "tab:red"}
    for ax, sweep in zip(axes[0], sweeps):
        for pr in precisions:
            row = [p for p in points if p.sweep == sweep and p.precision == pr]
            xs = [p.value for p in row]
            c = colors.get(pr)
            ax.plot(xs, [p.max_error for p in row], "o-", color=c, label=f"{pr} max")
            ax.plot(xs, [p.median_error for p in row], ".:", color=c, label=f"{pr} median")
            ax.plot(xs, [p.bound for p in row], "--", color=c, label=f"{pr} bound")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(sweep.replace("_", " "))
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("error / max ||output row||")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="center right")
    fig.suptitle("Round-off of an emulated transformer forward pass (pre-LN, causal): "
                 "measured error and its worst-case bound")
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="roundoff study attention-roundoff",
        description="Round-off of an emulated transformer forward pass against depth, sequence "
                    "length, head dim, softmax temperature and precision, next to its bound.")
    parser.add_argument("--out", default="attention-roundoff",
                        help="directory for table.md and attention_roundoff.png "
                             "(default: ./attention-roundoff)")
    parser.add_argument("--quick", action="store_true",
                        help="small shapes and two points a sweep (seconds; for tests)")
    parser.add_argument("--precisions", default=",".join(PRECISIONS),
                        help="comma-separated, of bf16, fp16, fp8 (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    precisions = [p for p in args.precisions.split(",") if p]
    bad = [p for p in precisions if p not in PRECISIONS]
    if bad or not precisions:
        parser.error(f"--precisions: of {', '.join(PRECISIONS)}, got {args.precisions!r}")
    base = QUICK_BASE if args.quick else Config()
    base = dataclasses.replace(base, seed=args.seed)
    points = run(base, QUICK_SWEEPS if args.quick else SWEEPS, precisions)
    notes = findings(points, precisions)
    os.makedirs(args.out, exist_ok=True)
    text = table(points)
    with open(os.path.join(args.out, "table.md"), "w") as fh:
        fh.write(f"Base configuration: {base}\n\n{text}\n\n" + "\n".join(f"- {n}" for n in notes)
                 + "\n")
    png = os.path.join(args.out, "attention_roundoff.png")
    print(text)
    print()
    for n in notes:
        print(f"- {n}")
    try:
        plot(points, precisions, png)
    except ImportError:
        print(f"\nwrote {os.path.join(args.out, 'table.md')}; the plot needs matplotlib "
              "(pip install 'roundoff[plots]')")
        return 0
    print(f"\nwrote {os.path.join(args.out, 'table.md')} and {png}")
    return 0
