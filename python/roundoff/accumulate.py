"""Sums, dot products and matrix products whose every rounding is stated.

An :class:`Accumulator` says how the terms of a sum are formed and added:

* inputs: optional quantization of ``a`` and ``b`` into formats, with any rounding;
* products: exact (default), or rounded into a product format;
* the accumulator: its format and rounding (any mode, stochastic included), and the order of
  the additions (:mod:`roundoff.orders`): every addition is the exact sum rounded once, so an
  exact product added to a partial sum is a fused multiply-add;
* or a fused multi-term adder (:class:`FusedAdder`, the tensor-core model): blocks of L
  products and the accumulator aligned to the largest exponent, truncated to F fractional
  bits, summed exactly and rounded once, chained over K, with optional periodic promotion
  into an IEEE accumulator;
* the output: rounded into ``out_fmt`` after optional scales.

:func:`sum`, :func:`dot` and :func:`matmul` evaluate one. The same accumulator gives the same
bits on any machine and thread count: every rounding is one call of the rounding routine on
exact operands, and stochastic rounding draws its bits from ``(seed, step, element)``.

>>> import numpy as np, roundoff as ro
>>> x = np.full(4096, 1.0)
>>> float(ro.sum(x, accumulator=ro.Accumulator("bf16")))   # sequential bf16 stagnates at 256
256.0
>>> float(ro.sum(x, accumulator=ro.Accumulator("bf16", order=ro.orders.pairwise())))
4096.0
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Literal, Optional, Sequence, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _core
from . import orders as _orders
from ._arith import _elementwise
from ._casts import _check_policy, decode, encode
from ._formats import (DTYPE_FORMATS, Format, FormatLike, bfloat16, float8_e4m3fn, float8_e5m2,
                       float16, float32, format)
from ._interop import tensor_io
from ._rounding import MODES, CanonicalMode, RoundingMode, rounding_mode
from ._seeds import SeedLike, resolve_key

__all__ = ["Accumulator", "FusedAdder", "sum", "dot", "matmul"]

_GOLDEN = 0x9E3779B97F4A7C15  # step keys for stochastic rounding: seed + step * golden mod 2^64
_OUTPUT_STEP = 1 << 62  # the output rounding's step: beyond every step a computation numbers
_MAX_TERMS = 256  # products per fused step (cpp/src/matmul_driver.hpp: kMaxFusedTerms)
_MAX_E_ZERO = 512  # |e_zero| (scales 2^(F - emax) stay normal float64 values)
ScaleOrder = Literal["acc*sa*sb", "acc*sb*sa", "acc*(sa*sb)", "cublaslt"]
"""How :func:`matmul`'s scales meet the accumulator (:class:`Accumulator`, ``scale_order``)."""
_SCALE_ORDERS: Tuple[ScaleOrder, ...] = ("acc*sa*sb", "acc*sb*sa", "acc*(sa*sb)", "cublaslt")
InputRounding = Union[RoundingMode, Literal["truncate_bits"]]
"""An :class:`Accumulator`'s ``input_rounding``: a rounding mode, or ``"truncate_bits"``."""


@dataclass(frozen=True)
class _Product:
    """The exact product a * b of inputs wider than float32's values, kept unformed (a float64
    holds only products of at most 53 significant bits): a (M, 1) and b (1, N) broadcast to
    the terms' (M, N). Rounding it is one multiply; adding it, an FMA or a dot2."""

    a: np.ndarray
    b: np.ndarray


Term = Union[np.ndarray, _Product]


@dataclass(frozen=True)
class FusedAdder:
    """A fused multi-term adder (one tensor-core MMA step).

    ``terms`` products and the accumulator c are each taken as ``s * 2^e``: for inputs, e is
    the exponent of the input values (subnormals at their format's emin, not renormalised), a
    product's e is the sum of its inputs' (its significand in [1, 4) is not renormalised), and
    zero terms have ``e = e_zero``. Every term is aligned to the largest e, truncated toward zero
    to ``frac_bits`` fractional bits, and the integers are summed exactly; the sum is rounded once
    into ``out_fmt`` with ``out_rounding``. A zero sum is +0. Overflow gives Inf even when
    rounding toward zero. NaN inputs, Inf * 0 and Inf - Inf give NaN; otherwise an Inf term wins.

    Args:
        terms: L, products per step: 1..256 (tensor cores take 4 to 32).
        frac_bits: F, fractional bits kept after alignment, with ``F + L.bit_length() <= 51``
            (then the aligned sum of L + 1 terms is exact in a float64: F <= 45 for L = 32).
        out_fmt: the step's result format (float32; "E8M13" for Hopper FP8: ``Format(8, 13)``;
            float16 for fp16-accumulate instructions): an IEEE format (overflow gives its Inf)
            whose exponents lie within -512..512.
        out_rounding: ``toward_zero`` (fp32 outputs) or ``nearest_even`` (fp16 outputs); any
            mode of :func:`roundoff.encode`. Stochastic rounding draws its bits as the
            accumulator's other roundings do (:class:`Accumulator`, ``seed``).
        e_zero: the exponent given to zero terms, -512..512 (hardware: about -133).
    """

    terms: int
    frac_bits: int
    out_fmt: Format = "float32"  # type: ignore[assignment]  # a Format from __post_init__ on
    out_rounding: CanonicalMode = "toward_zero"
    e_zero: int = -133

    if TYPE_CHECKING:  # what the constructor takes; the fields say what a FusedAdder holds
        def __init__(self, terms: int, frac_bits: int, out_fmt: FormatLike = "float32",
                     out_rounding: RoundingMode = "toward_zero", e_zero: int = -133) -> None: ...

    def __post_init__(self) -> None:
        for name in ("terms", "frac_bits", "e_zero"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name}: expected an integer, got {v!r}")
            object.__setattr__(self, name, int(v))
        if not 1 <= self.terms <= _MAX_TERMS:
            raise ValueError(f"terms: must be in 1..{_MAX_TERMS}, got {self.terms}")
        if not 0 <= self.frac_bits <= 51 - self.terms.bit_length():
            raise ValueError(f"frac_bits: must be in 0..{51 - self.terms.bit_length()} for "
                             f"{self.terms} terms (the aligned sum is exact in float64), got "
                             f"{self.frac_bits}")
        if not -_MAX_E_ZERO <= self.e_zero <= _MAX_E_ZERO:
            raise ValueError(f"e_zero: must be in -{_MAX_E_ZERO}..{_MAX_E_ZERO}, got "
                             f"{self.e_zero}")
        out = format(self.out_fmt)
        if out.nonfinite != "ieee" or out.emax > 512 or out.emin - out.man_bits < -512:
            raise ValueError(f"out_fmt: expected an IEEE format with exponents within "
                             f"-512..512 (float32, E8M13, float16, ...), got {out}")
        object.__setattr__(self, "out_fmt", out)
        object.__setattr__(self, "out_rounding", rounding_mode(self.out_rounding))


@dataclass(frozen=True)
class Accumulator:
    """How a sum or product is accumulated; see the module docstring.

    Args:
        fmt: the accumulator format (default float32). With ``fused``, the format of the
            promoted accumulator (``promote_every``) and of split-K combines.
        rounding: the accumulator's rounding mode (any mode of :func:`roundoff.encode`).
        order: the order of the additions (:mod:`roundoff.orders`; default sequential).
        a_fmt, b_fmt: quantize the inputs into these formats first (``input_rounding``);
            required with ``fused`` (the model reads exponents in the input format).
        input_rounding: rounding of that quantization.
        product_fmt: round each product into this format (``product_rounding``) before it is
            added; None keeps products exact, so every addition of a product is an FMA.
        product_rounding: rounding of the products.
        fma: False rounds each product into ``fmt`` first (separate multiply and add) when
            ``product_fmt`` is None.
        fused: a :class:`FusedAdder`: the terms are added in its blocks, chained over K
            (``order`` is then unused, except as the combine of ``split_k`` slices).
        promote_every: with ``fused``, add the chained partial into the accumulator (``fmt``,
            ``rounding``) after every this many terms and restart it from zero (CUTLASS's FP8
            promotion; Triton's ``max_num_imprecise_acc``).
        split_k: with ``fused``, sum this many contiguous slices of K (aligned to the block)
            separately, then combine them in ``fmt`` in order ``order``.
        seed, sr_bits: stochastic rounding. ``seed`` as :func:`roundoff.encode` takes it: None
            (default) draws a fresh key for each call of :func:`matmul`/:func:`sum`/:func:`dot`
            from the package generator (:func:`roundoff.manual_seed`), a
            ``numpy.random.Generator`` a key from it, an integer is the key. Step t (in
            evaluation order) rounds element i of its output with Philox key
            ``key + t * 0x9E3779B97F4A7C15 mod 2^64``, word i. A
            fused chain numbers its roundings in evaluation order too (each step, then its
            promotion); split-K slice s numbers its own from 2Ks, their combine from 2KS.
            Input a is rounded under step -1, b under -2, c under -3, product k under -4 - k,
            the output (``out_rounding``) under step 2^62.
            Words run on across batch elements: output (n, i, j) of batch element n takes
            word n * M * N + i * N + j (inputs likewise over their own elements).
        saturate: overflow gives +-max instead of Inf/NaN in every rounding.
        out_fmt, out_rounding: the result's format and rounding when :func:`matmul` is not
            given them (default: the accumulator format; float32 for a fused accumulator).
        out_nan: the code of NaN results (default: the format's canonical NaN; NVIDIA GPUs
            write all-ones magnitudes, e.g. 0x7FFFFFFF).
        scale_order: how :func:`matmul`'s scales meet the accumulator, each multiply rounded to
            nearest float32: ``"acc*sa*sb"`` is ``(acc * sa) * sb``, ``"acc*sb*sa"`` is
            ``(acc * sb) * sa``, ``"acc*(sa*sb)"`` is ``acc * fl(sa * sb)``; ``"cublaslt"``:
            the last for two scalar scales (cuBLASLt's alpha), ``(acc * sb) * sa`` for
            rowwise ones (both captured on H100).
        k_order: a permutation of 0..P-1 applied to each group of P consecutive K indices
            before a fused accumulator forms its blocks (a hardware operand layout: Triton's
            FP8 mma.sync tiles feed k in pairs, (0, 1, 4, 5, ...) to one step).

    ``input_rounding`` may also be ``"truncate_bits"``: as a tensor core reads tf32 from
    float32 registers, the bits below ``a_fmt``'s mantissa are ignored. Values are rounded
    toward zero into ``a_fmt`` (for float32 values: those bits cleared), and a float32 NaN
    whose payload lies only in those bits is Inf.
    """

    fmt: Format = "float32"  # type: ignore[assignment]  # a Format from __post_init__ on
    rounding: CanonicalMode = "nearest_even"
    order: _orders.Order = dataclasses.field(default_factory=_orders.sequential)
    a_fmt: Optional[Format] = None
    b_fmt: Optional[Format] = None
    input_rounding: Union[CanonicalMode, Literal["truncate_bits"]] = "nearest_even"
    product_fmt: Optional[Format] = None
    product_rounding: CanonicalMode = "nearest_even"
    fma: bool = True
    fused: Optional[FusedAdder] = None
    promote_every: Optional[int] = None
    split_k: Optional[int] = None
    seed: SeedLike = None
    sr_bits: int = 32
    saturate: bool = False
    out_fmt: Optional[Format] = None
    out_rounding: CanonicalMode = "nearest_even"
    out_nan: Optional[int] = None
    scale_order: ScaleOrder = "acc*sa*sb"
    k_order: Optional[Tuple[int, ...]] = None

    if TYPE_CHECKING:  # what the constructor takes; the fields say what an Accumulator holds
        def __init__(self, fmt: FormatLike = "float32", rounding: RoundingMode = "nearest_even",
                     order: _orders.Order = ..., a_fmt: Optional[FormatLike] = None,
                     b_fmt: Optional[FormatLike] = None,
                     input_rounding: InputRounding = "nearest_even",
                     product_fmt: Optional[FormatLike] = None,
                     product_rounding: RoundingMode = "nearest_even", fma: bool = True,
                     fused: Optional[FusedAdder] = None, promote_every: Optional[int] = None,
                     split_k: Optional[int] = None, seed: SeedLike = None, sr_bits: int = 32,
                     saturate: bool = False, out_fmt: Optional[FormatLike] = None,
                     out_rounding: RoundingMode = "nearest_even", out_nan: Optional[int] = None,
                     scale_order: ScaleOrder = "acc*sa*sb",
                     k_order: Optional[Sequence[int]] = None) -> None: ...

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "fmt", format(self.fmt))
        for name in ("a_fmt", "b_fmt", "product_fmt", "out_fmt"):
            v = getattr(self, name)
            set_(self, name, None if v is None else format(v))
        for name in ("rounding", "input_rounding", "product_rounding", "out_rounding"):
            if name == "input_rounding" and self.input_rounding == "truncate_bits":
                continue
            set_(self, name, rounding_mode(getattr(self, name)))
        if self.scale_order not in _SCALE_ORDERS:
            raise ValueError(f"scale_order: expected one of {', '.join(_SCALE_ORDERS)}, got "
                             f"{self.scale_order!r}")
        if self.k_order is not None:
            k = tuple(int(i) for i in self.k_order)
            if sorted(k) != list(range(len(k))):
                raise ValueError(f"k_order: expected a permutation of 0..n-1, got {k!r}")
            set_(self, "k_order", k)
        if self.input_rounding == "truncate_bits":
            for f in (self.a_fmt, self.b_fmt):
                if f is not None and (f.exp_bits != 8 or f.bias != 127 or f.man_bits > 23):
                    raise ValueError("input_rounding 'truncate_bits' clears the low bits of "
                                     "float32 codes: a_fmt/b_fmt must have float32's exponent")
        if not isinstance(self.order, _orders.Order):
            raise TypeError(f"order: expected a roundoff.orders.Order, got {self.order!r}")
        if self.fused is not None and not isinstance(self.fused, FusedAdder):
            raise TypeError(f"fused: expected a FusedAdder, got {self.fused!r}")
        if self.fused is not None and (self.a_fmt is None or self.b_fmt is None):
            raise ValueError("fused: a_fmt and b_fmt are required (the model reads exponents "
                             "in the input formats)")
        for name in ("promote_every", "split_k"):
            v = getattr(self, name)
            if v is None:
                continue
            if self.fused is None:
                raise ValueError(f"{name}: applies to a fused accumulator only")
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}: expected a positive integer, got {v!r}")
            if name == "promote_every" and v % self.fused.terms:
                raise ValueError(f"promote_every: must be a multiple of the block "
                                 f"({self.fused.terms} terms)")
        for name in ("fma", "saturate"):
            v = getattr(self, name)
            if not isinstance(v, (bool, np.bool_)):
                raise TypeError(f"{name}: expected a bool, got {v!r}")
            set_(self, name, bool(v))
        _check_policy(self.saturate, self.seed, self.sr_bits, False)
        if isinstance(self.seed, np.integer):
            set_(self, "seed", int(self.seed))
        set_(self, "sr_bits", int(self.sr_bits))
        if self.out_nan is not None:
            v = self.out_nan
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"out_nan: expected an integer code, got {v!r}")
            if not 0 <= v < 1 << 64:
                raise ValueError(f"out_nan: a code in 0..2^64-1, got {v}")
            set_(self, "out_nan", int(v))

    def replace(self, **changes: Any) -> "Accumulator":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def _for_call(self, out_rounding: Optional[RoundingMode] = None) -> "Accumulator":
        """This accumulator with the integer key of one call: a seed of None or a Generator is
        drawn from when some rounding of the call (out_rounding: matmul's override) is
        stochastic, else replaced by 0 (unused)."""
        if isinstance(self.seed, int):
            return self
        modes = {self.rounding, self.input_rounding, self.product_rounding,
                 out_rounding or self.out_rounding}
        if self.fused is not None:
            modes.add(self.fused.out_rounding)
        return self.replace(seed=resolve_key(self.seed, "stochastic" in modes))

    # -- the pieces ---------------------------------------------------------------------------
    def _key(self, step: int) -> int:
        assert isinstance(self.seed, int), "resolved by _for_call"
        return (self.seed + step * _GOLDEN) % (1 << 64)

    def _bits(self, mode: str, step: int, shape: Tuple[int, ...], word0: int
              ) -> Optional[np.ndarray]:
        """The random integers of a stochastic rounding of an array of `shape` whose element 0
        is word `word0` of the stream (None when encode draws them itself: from word 0)."""
        if mode != "stochastic" or word0 == 0:
            return None
        words = _core.philox_words(self._key(step), word0, int(np.prod(shape)))
        return (words >> np.uint32(32 - self.sr_bits)).reshape(shape)

    def _round(self, v: Term, fmt: Format, mode: CanonicalMode, step: int, word0: int = 0,
               saturate: Optional[bool] = None) -> np.ndarray:
        """v (exact float64 values or a product) rounded once into fmt, as float64 values
        (saturating as the accumulator does unless told); element 0 of v is word word0 of
        step's stream."""
        sat = self.saturate if saturate is None else saturate
        if isinstance(v, _Product):
            shape = np.broadcast_shapes(v.a.shape, v.b.shape)
            return _elementwise("mul", (v.a, v.b), fmt, mode, sat, self._key(step),
                                self.sr_bits, self._bits(mode, step, shape, word0), False,
                                np.float64, False)
        c = encode(v, fmt, mode, saturate=sat, seed=self._key(step), sr_bits=self.sr_bits,
                   rbits=self._bits(mode, step, np.shape(v), word0))
        return decode(c, fmt, np.float64)

    def _add(self, x: Term, y: Term, step: int, word0: int = 0) -> np.ndarray:
        """round(x + y) into the accumulator, x and y exact float64 values or products: an
        add, an FMA (one product) or a dot2 (two)."""
        operands: Tuple[np.ndarray, ...]
        if isinstance(x, _Product):
            if isinstance(y, _Product):
                op, operands = "dot2", (x.a, x.b, y.a, y.b)
            else:
                op, operands = "fma", (x.a, x.b, y)
        elif isinstance(y, _Product):
            op, operands = "fma", (y.a, y.b, x)
        else:
            op, operands = "add", (x, y)
        shape = np.broadcast_shapes(*(np.shape(v) for v in operands))
        return _elementwise(op, operands, self.fmt, self.rounding, self.saturate,
                            self._key(step), self.sr_bits,
                            self._bits(self.rounding, step, shape, word0), False, np.float64,
                            False)

    def _quantize_input(self, x: np.ndarray, fmt: Format, step: int, word0: int) -> np.ndarray:
        # truncate_bits rounds finite values toward zero (_truncated handles NaN codes).
        mode = "toward_zero" if self.input_rounding == "truncate_bits" else self.input_rounding
        return self._round(x, fmt, mode, step, word0)

    def _inputs(self, a: np.ndarray, b: np.ndarray, a_in: Optional[Format] = None,
                b_in: Optional[Format] = None, batch: int = 0
                ) -> Tuple[np.ndarray, np.ndarray, bool]:
        """The inputs of batch element `batch` quantized into a_fmt/b_fmt (skipped when they
        come in that format: a_in, b_in), and whether they all are float32 values (then every
        product is exact in float64, and the fast paths apply)."""
        if self.a_fmt is not None and a_in != self.a_fmt:
            a = self._quantize_input(a, self.a_fmt, -1, batch * a.size)
        if self.b_fmt is not None and b_in != self.b_fmt:
            b = self._quantize_input(b, self.b_fmt, -2, batch * b.size)
        narrow = True
        for name, x, fmt in (("a", a, self.a_fmt or a_in), ("b", b, self.b_fmt or b_in)):
            if fmt is not None and fmt.is_subset_of(float32):
                continue  # every value of its format is a float32 value
            with np.errstate(over="ignore", invalid="ignore"):
                same = np.array_equal(x.astype(np.float32), x, equal_nan=True)
            if not same and self.fused is not None:
                raise ValueError(
                    f"{name}: the fused adder model forms its products in float64 from float32 "
                    f"values; choose {name}_fmt of at most 24 significant bits in float32's "
                    f"range")
            narrow = narrow and same
        return a, b, narrow

    def _fused_model(self) -> Tuple[FusedAdder, Format, Format]:
        """fused, a_fmt and b_fmt of a fused accumulator (__post_init__ requires all three)."""
        assert self.fused is not None and self.a_fmt is not None and self.b_fmt is not None
        return self.fused, self.a_fmt, self.b_fmt

    def _product_terms(self, p: Term, k: int, word0: int) -> Term:
        """Exact products p (of index k) as the terms that are added: exact, or rounded once
        (under step -4 - k)."""
        if self.product_fmt is not None:
            return self._round(p, self.product_fmt, self.product_rounding, -4 - k, word0)
        if not self.fma:
            return self._round(p, self.fmt, self.rounding, -4 - k, word0)
        return p


def _values(x: ArrayLike, name: str) -> np.ndarray:
    """x's exact values as float64."""
    from ._arith import _exact_values
    v, _ = _exact_values(x, name)
    return np.asarray(v, dtype=np.float64)


def _reduce(acc: Accumulator, n: int, term: Callable[[int], Term],
            first_step: int = 0, word0: int = 0) -> np.ndarray:
    """Evaluate acc.order over n terms (term(k): exact float64 values of one shape, or
    products). Each term is made when the order first needs it, so only the live partial sums
    are held."""
    if n == 1:
        return acc._round(term(0), acc.fmt, acc.rounding, first_step, word0)
    live: Dict[int, np.ndarray] = {}
    for i, (left, right) in enumerate(acc.order.nodes(n)):
        x = live.pop(int(left)) if left >= n else term(int(left))
        y = live.pop(int(right)) if right >= n else term(int(right))
        live[n + i] = acc._add(x, y, first_step + i, word0)
    return live[2 * n - 2]


def _exponents(x: np.ndarray, fmt: Format, e_zero: int) -> np.ndarray:
    """The exponent of each value as the fused adder reads it: subnormals at fmt.emin, zeros
    (and non-finite values) at e_zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        _, e = np.frexp(x)
    e = e.astype(np.int64) - 1
    e = np.where(np.abs(x) < fmt.min_normal, fmt.emin, e)
    return np.where((x == 0) | ~np.isfinite(x), e_zero, e)


def _fused_step(f: FusedAdder, a_blk: np.ndarray, b_blk: np.ndarray, c: np.ndarray,
                acc: Accumulator, step: int, word0: int) -> np.ndarray:
    """One fused step for every output: a_blk (M, L), b_blk (L, N), c (M, N) -> (M, N); step:
    the number of its rounding (stochastic rounding's key), word0: output 0's word."""
    with np.errstate(invalid="ignore"):                            # Inf * 0: NaN, as wanted
        p = a_blk[:, :, None] * b_blk[None, :, :]                 # (M, L, N), exact
    _, a_fmt, b_fmt = acc._fused_model()
    ea = _exponents(a_blk, a_fmt, 0)[:, :, None]
    eb = _exponents(b_blk, b_fmt, 0)[None, :, :]
    e = np.where((p == 0) | ~np.isfinite(p), f.e_zero, ea + eb)
    ec = _exponents(c, f.out_fmt, f.e_zero)
    emax = np.maximum(e.max(axis=1), ec)                           # (M, N)
    scale = np.ldexp(1.0, (f.frac_bits - emax))                    # may underflow to 0: fine,
    with np.errstate(invalid="ignore", over="ignore"):             # terms that small truncate
        t = np.trunc(p * scale[:, None, :]).sum(axis=1) + np.trunc(c * scale)
    with np.errstate(over="ignore", invalid="ignore"):
        v = np.ldexp(t, emax - f.frac_bits)
    out = acc._round(v, f.out_fmt, f.out_rounding, step, word0, saturate=False)
    # Overflow gives Inf even when rounding toward zero; a zero sum is +0.
    big = np.abs(v) >= 2.0 ** (f.out_fmt.emax + 1)
    out = np.where(big & np.isfinite(v), np.copysign(np.inf, v), out)
    out = np.where(t == 0, 0.0, out)
    # Specials: NaN in, Inf * 0, +Inf - Inf give NaN; else an Inf term wins.
    with np.errstate(invalid="ignore"):
        terms_inf = np.isinf(p)
        pos = terms_inf & (p > 0)
        neg = terms_inf & (p < 0)
        any_pos = pos.any(axis=1) | (c == np.inf)
        any_neg = neg.any(axis=1) | (c == -np.inf)
        nan = np.isnan(p).any(axis=1) | np.isnan(c) | (any_pos & any_neg)
    out = np.where(any_pos, np.inf, np.where(any_neg, -np.inf, out))
    return np.where(nan, np.nan, out)


def _fused_chain(acc: Accumulator, a: np.ndarray, b: np.ndarray, c: np.ndarray,
                 step0: int, word0: int) -> np.ndarray:
    """The chained fused steps over K (with promotion); a (M, K), b (K, N), c (M, N). The
    chain's roundings are numbered from step0 in evaluation order: each step, then its
    promotion (at most 2K numbers); output 0 takes word word0 of each."""
    f, a_fmt, b_fmt = acc._fused_model()
    if _NATIVE and (acc.promote_every is None or acc.rounding == "nearest_even"):
        out = np.empty(c.shape)
        _core.matmul_fused(_aligned(a, np.float64), _aligned(b, np.float64),
                           _aligned(c, np.float64), out, a_fmt.emin, b_fmt.emin,
                           f.terms, f.frac_bits, f.e_zero, f.out_fmt._facts(),
                           MODES.index(f.out_rounding), acc.sr_bits, acc._key(0), step0, word0,
                           int(acc.promote_every or 0), acc.fmt._facts(), acc.saturate)
        return out
    K = a.shape[1]
    main = c  # the promoted accumulator: used with promote_every only
    part = np.zeros_like(c) if acc.promote_every is not None else c
    t = step0
    for k0 in range(0, K, f.terms):
        part = _fused_step(f, a[:, k0:k0 + f.terms], b[k0:k0 + f.terms], part, acc, t, word0)
        t += 1
        done = k0 + f.terms
        if acc.promote_every is not None and (done % acc.promote_every == 0 or done >= K):
            main = acc._add(main, part, t, word0)
            part = np.zeros_like(c)
            t += 1
    return part if acc.promote_every is None else main


def _aligned(x: np.ndarray, dtype: DTypeLike) -> np.ndarray:
    """x as an aligned C-contiguous array of dtype (the C++ kernels read it in place)."""
    return np.require(x, dtype, ["C_CONTIGUOUS", "ALIGNED"])


# The C++ fast paths (cpp/src/matmul_driver.cpp); tests switch them off to compare them with
# the general engine below, which is checked against MPFR and the H100 captures.
_NATIVE = True


def _float32_fma_chain(acc: Accumulator) -> bool:
    """Whether acc is a float32 round-to-nearest chain of exact products: the float unit's FMA
    is then each step (inputs are float32 values: _accumulate's narrow)."""
    return (acc.fused is None and acc.fmt == float32 and acc.rounding == "nearest_even"
            and acc.order.kind == "sequential" and acc.product_fmt is None and acc.fma
            and not acc.saturate)


def _lowest_bit_exponent(x: np.ndarray) -> int:
    """The smallest exponent of a set bit among the finite nonzero values of x (0 if none)."""
    v = np.abs(x[np.isfinite(x) & (x != 0)])
    if v.size == 0:
        return 0
    m, e = np.frexp(v)
    ints = (m * 2.0**53).astype(np.int64)
    low = (ints & -ints).astype(np.float64)
    return int(np.min(np.log2(low).astype(np.int64) + e - 53))


def _narrow_chain(acc: Accumulator, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether acc is a bf16/fp16 round-to-nearest chain of exact products that the float32
    kernel computes exactly: every product of these inputs (at most 12 significant bits each)
    exact in float32 (no overflow, no bit below 2^-149)."""
    if not (acc.fused is None and acc.fmt in (bfloat16, float16)
            and acc.rounding == "nearest_even" and acc.order.kind == "sequential"
            and acc.product_fmt is None and acc.fma and not acc.saturate):
        return False
    narrow = (bfloat16, float16, float8_e4m3fn, float8_e5m2)  # compared by their facts
    for x, f in ((a, acc.a_fmt), (b, acc.b_fmt)):
        if f is None or f not in narrow:
            return False
    fa, fb = np.abs(a[np.isfinite(a)]), np.abs(b[np.isfinite(b)])
    big = (float(fa.max()) if fa.size else 0.0) * (float(fb.max()) if fb.size else 0.0)
    return big < 2.0**127 and _lowest_bit_exponent(a) + _lowest_bit_exponent(b) >= -149


def _sliced_chains(acc: Accumulator, a: np.ndarray, b: np.ndarray, c: Optional[np.ndarray],
                   n: int, word0: int) -> Any:
    """blocked and split_k orders whose slices are chains the C++ kernels compute: each slice
    of two or more terms through the kernel, single terms exact, then the combine order over
    the slice sums. The same tree, so the same bits (stochastic rounding, whose keys follow
    the node numbering, is not on these paths). False when it does not apply."""
    kind = acc.order.kind
    if kind == "blocked":
        size = acc.order.params[0]
        edges, combine = list(range(0, n, size)) + [n], _orders.sequential()
    elif kind == "split_k":
        s, combine = min(acc.order.params[0], n), acc.order.params[1]
        edges = [i * n // s for i in range(s + 1)]
    else:
        return False
    seq = acc.replace(order=_orders.sequential(), k_order=None)  # a, b come permuted
    if not (_float32_fma_chain(seq) or _narrow_chain(seq, a, b)):
        return False
    first = 0 if c is None else 1
    parts = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        k0, k1 = max(lo - first, 0), hi - first  # the products of terms lo .. hi - 1
        with_c = c if lo < first else None
        if hi - lo == 1:  # a single term is a leaf: exact
            parts.append(acc._round(with_c, acc.fmt, acc.rounding, -3, word0)
                         if with_c is not None
                         else acc._product_terms(a[:, k0, None] * b[None, k0, :], k0, word0))
        else:
            parts.append(_accumulate(seq, a[:, k0:k1], b[k0:k1], with_c, word0))
    return _reduce(acc.replace(order=combine), len(parts), lambda i: parts[i], word0=word0)


def _accumulate(acc: Accumulator, a: np.ndarray, b: np.ndarray, c: Optional[np.ndarray],
                word0: int = 0, narrow: bool = True) -> np.ndarray:
    """Accumulate a (M, K) @ b (K, N) (+ c) into acc.fmt values, float64; output 0 takes word
    word0 of every stochastic rounding's stream. narrow: the inputs are float32 values, so
    float64 holds their products (else products stay unformed: _Product)."""
    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    if acc.k_order is not None:
        P = len(acc.k_order)
        perm = [k0 + i for k0 in range(0, K, P) for i in acc.k_order if k0 + i < K]
        a, b = a[:, perm], b[perm]
    if acc.fused is not None:
        c0 = np.zeros((M, N)) if c is None else acc._round(c, acc.fused.out_fmt, "nearest_even",
                                                           -3, word0)
        if acc.split_k is None or acc.split_k == 1:
            return _fused_chain(acc, a, b, c0, 0, word0)
        # Slice i numbers its roundings from 2Ki, the combine from 2Ks.
        L = acc.fused.terms
        blocks = -(-K // L)
        s = max(1, min(acc.split_k, blocks))
        edges = [(i * blocks // s) * L for i in range(s + 1)]
        parts = [_fused_chain(acc, a[:, lo:hi], b[lo:hi], c0 if i == 0 else np.zeros((M, N)),
                              2 * K * i, word0)
                 for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]))]
        return _reduce(acc, len(parts), lambda i: parts[i], 2 * K * s, word0)
    if c is None and K == 0:
        return np.zeros((M, N))
    native = _NATIVE and narrow
    fma32, narrow_acc = native and _float32_fma_chain(acc), native and _narrow_chain(acc, a, b)
    if fma32 or narrow_acc:
        out = np.empty((M, N), np.float32)
        c32 = None if c is None else _aligned(acc._round(c, acc.fmt, acc.rounding, -3, word0),
                                              np.float32)
        a32, b32 = _aligned(a, np.float32), _aligned(b, np.float32)
        if fma32:
            _core.matmul_f32_fma(a32, b32, c32, out)
        else:
            _core.matmul_narrow_acc(a32, b32, c32, out, acc.fmt._facts())
        return out.astype(np.float64)
    first = 0 if c is None else 1  # c is term 0
    sliced = native and _sliced_chains(acc, a, b, c, K + first, word0)
    if sliced is not False:
        return sliced

    def term(k: int) -> Term:
        if c is not None and k == 0:  # c is term 0
            return acc._round(c, acc.fmt, acc.rounding, -3, word0)
        i = k - first
        p = (a[:, i, None] * b[None, i, :] if narrow
             else _Product(a[:, i, None], b[None, i, :]))
        return acc._product_terms(p, i, word0)

    return _reduce(acc, K + first, term, word0=word0)


def _epilogue(v: np.ndarray, scale_a: Any, scale_b: Any, out_fmt: Optional[FormatLike],
              out_rounding: Optional[str], acc: Accumulator, shape: Tuple[int, ...], codes: bool,
              dtype: Any) -> Any:
    """Scales (float32, each multiply rounded to nearest: (acc * scale_a) * scale_b), then
    the output rounding."""
    def mul32(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _elementwise("mul", (x, y), float32, "nearest_even", False, 0, 32, None, False,
                            np.float64, False)

    scales = []
    for name, s in (("scale_a", scale_a), ("scale_b", scale_b)):
        if s is None:
            continue
        sv = _values(s, name)
        if not np.array_equal(sv.astype(np.float32), sv, equal_nan=True):
            raise ValueError(f"{name}: scales are float32 values")
        try:
            np.broadcast_shapes(sv.shape, shape)
        except ValueError:
            raise ValueError(f"{name}: shape {sv.shape} does not broadcast to the output "
                             f"{shape}") from None
        scales.append(sv)
    order = acc.scale_order
    if order == "cublaslt":
        order = "acc*(sa*sb)" if all(sv.size == 1 for sv in scales) else "acc*sb*sa"
    if len(scales) == 2 and order == "acc*(sa*sb)":
        scales = [mul32(scales[0], scales[1])]
    elif len(scales) == 2 and order == "acc*sb*sa":
        scales = scales[::-1]
    for sv in scales:
        v = mul32(v, sv)
    if out_fmt is None:
        out_fmt = acc.out_fmt if acc.out_fmt is not None else (
            float32 if acc.fused is not None else acc.fmt)
    dst = format(out_fmt)
    mode = acc.out_rounding if out_rounding is None else rounding_mode(out_rounding)
    v32 = v.astype(np.float32, copy=False) if dst == float32 else None
    if v32 is not None and (v.dtype == np.float32 or np.array_equal(v32, v, equal_nan=True)):
        # float32 values into float32: exact; only NaNs change, to the canonical NaN.
        c = v32.view(np.uint32)
        nan = np.isnan(v32)
        if nan.any():
            assert dst.nan_code is not None, "float32 has NaN"
            c = np.where(nan, np.uint32(dst.nan_code), c)
    else:
        c = encode(v, dst, mode, saturate=acc.saturate, seed=acc._key(_OUTPUT_STEP),
                   sr_bits=acc.sr_bits)
    if acc.out_nan is not None and dst.has_nan:
        if acc.out_nan >= 1 << dst.bits or not np.isnan(decode(acc.out_nan, dst, np.float64)):
            raise ValueError(f"out_nan: {acc.out_nan:#x} is not a NaN code of {dst}")
        c = np.where(c == dst.nan_code, np.asarray(acc.out_nan).astype(c.dtype), c)
    if codes:
        return c
    if v32 is not None and np.dtype(dtype) == np.float64 and acc.out_nan is None:
        return c.view(np.float32).astype(np.float64)
    return decode(c, dst, dtype)


def _truncated(x: ArrayLike, acc: Accumulator, fmt: Optional[Format]) -> ArrayLike:
    """float32 inputs of a truncate_bits accumulator with each NaN whose payload lies only in
    the bits below fmt's mantissa made the Inf those bits hide, as on the GPU; everything
    else unchanged (quantization rounds it toward zero)."""
    if acc.input_rounding != "truncate_bits" or fmt is None:
        return x
    arr = np.asarray(x)
    if arr.dtype != np.float32:
        return x
    u = arr.view(np.uint32)
    low = np.uint32((1 << (23 - fmt.man_bits)) - 1)
    hidden = (u & np.uint32(0x7F800000)) == 0x7F800000
    hidden &= (u & np.uint32(0x007FFFFF) & ~low) == 0
    if not hidden.any():
        return x
    return np.where(hidden, u & ~low, u).astype(np.uint32).view(np.float32)


def _dtype_format(x: ArrayLike) -> Optional[Format]:
    """The format whose codes x's elements are, when x has a dtype of one."""
    dt = getattr(x, "dtype", None)
    return DTYPE_FORMATS.get(dt) if isinstance(dt, np.dtype) else None


@tensor_io
def matmul(a: ArrayLike, b: ArrayLike, accumulator: Optional[Accumulator] = None, *,
           c: Optional[ArrayLike] = None, out_fmt: Optional[FormatLike] = None,
           out_rounding: Optional[RoundingMode] = None, scale_a: Optional[ArrayLike] = None,
           scale_b: Optional[ArrayLike] = None, codes: bool = False,
           dtype: DTypeLike = np.float64) -> Any:
    """``a @ b`` (+ ``c``) with every rounding stated by ``accumulator``.

    Args:
        a, b: ``(..., M, K)`` and ``(..., K, N)`` arrays (batch dimensions broadcast), taken
            exactly (float64 included: products are exact whatever the inputs); quantized first
            when the accumulator has ``a_fmt``/``b_fmt``. A 1-D ``a`` is a row and a 1-D ``b``
            a column, their axis removed from the result, as NumPy's ``matmul`` does. A fused
            accumulator (a tensor-core model) takes float32 values only.
        accumulator: an :class:`Accumulator` or a hardware preset (:func:`roundoff.hw.preset`);
            default: float32, round to nearest even, sequential over K, exact products (FMA).
        c: ``(..., M, N)``: the accumulator's initial value, term 0 of every sum (rounded into
            the accumulator format first).
        out_fmt: the output format (default: the accumulator's ``out_fmt``, else its format;
            float32 for a fused one).
        out_rounding: rounding of the output (default: the accumulator's ``out_rounding``).
        scale_a, scale_b: float32 scales applied in the epilogue as ``(acc * scale_a) *
            scale_b``, each multiply rounded to nearest float32: scalars (per tensor), or
            ``(..., M, 1)`` and ``(..., 1, N)`` arrays (rowwise / columnwise, as
            ``torch._scaled_mm``).
        codes: return codes of the output format instead of values.
        dtype: the values' dtype.

    Extra memory: O(M * N) per batch element (one K-slice of products at a time; fused models
    hold one block of L products).
    """
    acc = Accumulator() if accumulator is None else accumulator
    if not isinstance(acc, Accumulator):
        raise TypeError(f"accumulator: expected an Accumulator, got {acc!r}")
    if out_rounding is not None:
        out_rounding = rounding_mode(out_rounding)
    acc = acc._for_call(out_rounding)
    if (_NATIVE and _float32_fma_chain(acc) and acc.a_fmt is None and acc.b_fmt is None
            and acc.k_order is None and c is None and isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype == np.float32 and a.ndim == b.ndim == 2
            and a.shape[1] == b.shape[0]):
        # float32 in, float32 chain: straight to the FMA kernel.
        out = np.empty((a.shape[0], b.shape[1]), np.float32)
        _core.matmul_f32_fma(_aligned(a, np.float32), _aligned(b, np.float32), None, out)
        return _epilogue(out, scale_a, scale_b, out_fmt, out_rounding, acc, out.shape, codes,
                         dtype)
    a_in, b_in = (_dtype_format(x) for x in (a, b))
    if acc.input_rounding == "truncate_bits":
        a_in = b_in = None  # truncation clears bits even of values in the format
    av = _values(_truncated(a, acc, acc.a_fmt), "a")
    bv = _values(_truncated(b, acc, acc.b_fmt), "b")
    if av.ndim == 0 or bv.ndim == 0:
        raise ValueError(f"a, b: matmul takes no scalars, got shapes {av.shape} and {bv.shape}")
    # 1-D operands as NumPy takes them: a (K,) is a row (1, K), b (K,) a column (K, 1), and
    # the added axis is removed from the result.
    a_vector, b_vector = av.ndim == 1, bv.ndim == 1
    av = av[None, :] if a_vector else av
    bv = bv[:, None] if b_vector else bv
    if av.shape[-1] != bv.shape[-2]:
        raise ValueError(f"a, b: inner dimensions differ: {av.shape} @ {bv.shape}")
    try:
        batch = np.broadcast_shapes(av.shape[:-2], bv.shape[:-2])
    except ValueError:
        raise ValueError(f"a, b: batch shapes {av.shape[:-2]} and {bv.shape[:-2]} do not "
                         f"broadcast") from None
    M, N = av.shape[-2], bv.shape[-1]
    shape = batch + (M, N)
    result_shape = batch + ((M,) if not a_vector else ()) + ((N,) if not b_vector else ())
    cv = None
    if c is not None:
        cv = _values(c, "c")
        try:
            cv = np.broadcast_to(cv, result_shape).reshape(shape)
        except ValueError:
            raise ValueError(f"c: shape {cv.shape} does not broadcast to {result_shape}"
                             ) from None
    av = np.broadcast_to(av, batch + av.shape[-2:])
    bv = np.broadcast_to(bv, batch + bv.shape[-2:])
    out = np.empty(shape)
    for n, idx in enumerate(np.ndindex(*batch)):  # stochastic words run on across the batch
        ai, bi, narrow = acc._inputs(av[idx], bv[idx], a_in, b_in, n)
        out[idx] = _accumulate(acc, ai, bi, None if cv is None else cv[idx], n * M * N, narrow)
    result = _epilogue(out, scale_a, scale_b, out_fmt, out_rounding, acc, shape, codes, dtype)
    if a_vector or b_vector:
        result = np.asarray(result).reshape(result_shape)
        return result[()] if result.ndim == 0 else result
    return result


@tensor_io
def dot(x: ArrayLike, y: ArrayLike, accumulator: Optional[Accumulator] = None, **kw: Any) -> Any:
    """The dot product of two vectors: :func:`matmul` of ``(1, K) @ (K, 1)``, as a scalar.
    Keywords as in :func:`matmul`."""
    xv, yv = _values(x, "x"), _values(y, "y")
    if xv.ndim != 1 or yv.ndim != 1 or xv.shape != yv.shape:
        raise ValueError(f"x, y: expected two vectors of one length, got {xv.shape}, {yv.shape}")
    return matmul(xv[None, :], yv[:, None], accumulator, **kw)[0, 0]


def _axes(axis: Any, ndim: int) -> Tuple[int, ...]:
    """axis (None, an int or a tuple of ints) as sorted, distinct non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    for a in items:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            if isinstance(a, Accumulator):
                raise TypeError("axis: got an Accumulator; pass it as accumulator=...")
            raise TypeError(f"axis: expected None, an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axis: {a} is out of range for a {ndim}-d array")
    axes = tuple(sorted(int(a) % ndim for a in items))
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis: repeated axis in {axis!r}")
    return axes


@tensor_io
def sum(x: ArrayLike, axis: Union[None, int, Tuple[int, ...]] = None, *,  # noqa: A001
        accumulator: Optional[Accumulator] = None, out_fmt: Optional[FormatLike] = None,
        out_rounding: Optional[RoundingMode] = None, codes: bool = False,
        dtype: DTypeLike = np.float64) -> Any:
    """The sum of ``x`` over ``axis`` with the accumulator's order and roundings; the terms
    are the elements (quantized to ``a_fmt`` if set), taken exactly. A fused accumulator sums
    them as products with 1.

    Args:
        x: an array of any shape (values taken exactly, as :func:`matmul` takes them).
        axis: None (every element), an axis or a tuple of axes, as NumPy's ``sum``. The terms
            of each sum are its elements in C order over the summed axes, in increasing axis
            order.
        accumulator: an :class:`Accumulator` (keyword only; default: float32, round to
            nearest even, sequential).
        out_fmt, out_rounding, codes, dtype: as :func:`matmul`'s.

    Returns:
        The sums, an array of ``x``'s shape without the summed axes (a NumPy scalar for none).

    >>> import roundoff as ro
    >>> float(ro.sum([1.0, 2.0**-8, 2.0**-8], accumulator=ro.Accumulator("bf16")))
    1.0
    """
    acc = Accumulator() if accumulator is None else accumulator
    if not isinstance(acc, Accumulator):
        raise TypeError(f"accumulator: expected an Accumulator, got {acc!r}")
    if out_rounding is not None:
        out_rounding = rounding_mode(out_rounding)
    acc = acc._for_call(out_rounding)
    xv = _values(_truncated(x, acc, acc.a_fmt), "x")
    axes = _axes(axis, xv.ndim)
    kept = [d for d in range(xv.ndim) if d not in axes]
    moved = np.transpose(xv, kept + list(axes))
    out_shape = moved.shape[:len(kept)]
    rows = moved.reshape(int(np.prod(out_shape)), int(np.prod(moved.shape[len(kept):])))
    if acc.fused is not None:
        ones = np.ones((rows.shape[1], 1))
        vals = matmul(rows, ones, acc, out_fmt=out_fmt,
                      out_rounding=out_rounding, codes=codes, dtype=dtype)[:, 0]
    elif rows.shape[1] == 0:
        vals = _epilogue(np.zeros(rows.shape[0]), None, None, out_fmt, out_rounding, acc,
                         (rows.shape[0],), codes, dtype)
    else:
        a = rows
        if acc.a_fmt is not None:
            a = acc._quantize_input(rows, acc.a_fmt, -1, 0)
        v = _reduce(acc, a.shape[1], lambda k: a[:, k])
        vals = _epilogue(v, None, None, out_fmt, out_rounding, acc, v.shape, codes, dtype)
    out = np.asarray(vals).reshape(out_shape)
    return out[()] if out.ndim == 0 else out
