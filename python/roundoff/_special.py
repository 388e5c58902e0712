"""Special functions: the exact value rounded once (``impl="cr"``), or the GPU's own result.

``impl="cr"`` evaluates f(x) in double arithmetic with a proven error bound
(cpp/include/roundoff/special_cr.hpp; exp and exp2 of float32 values also by a faster kernel
with its own bound, cpp/src/special_driver.cpp) and rounds it with the one rounding routine
when the bound shows which way every rounding mode goes; the rare values too close to a
rounding boundary are recomputed with MPFR (gmpy2) to 62 bits plus a sticky bit, which decides
every mode of every format of at most 53 bits (stochastic rounding: ``man_bits + sr_bits <=
60``).

Hardware impls (``"sm90:<name>"``) replay the GPU: the MUFU tables captured on an H200
(tools/capture_mufu.py; python/roundoff/data/sm90) and the instruction sequences nvcc emits for
the CUDA math functions (cpp/include/roundoff/mufu.hpp), verified on the GPU against every
float32 input (tests/data/mufu_sm90/verify_log.txt). Their float32 result is then rounded into
``fmt`` with ``rounding`` (exact when ``fmt`` is float32).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import _core, _tables
from ._casts import _check_policy, _result, _source, decode
from ._formats import DTYPE_FORMATS, Format, FormatLike, float32, format
from ._interop import tensor_io
from ._rounding import MODES, RoundingMode, rounding_mode
from ._seeds import SeedLike

# The correctly rounded functions of the C++ core, in its order (special_driver.hpp).
CR_FUNCTIONS = ("exp", "exp2", "log", "log2", "tanh", "erf", "sigmoid", "rsqrt")


class HardwareImpl(NamedTuple):
    """One GPU implementation: its mufu::Fn index, operands and the tables it reads."""

    fn: int
    arity: int
    tables: Tuple[str, ...]
    summary: str


_EX2 = ("ex2_pos", "ex2_neg")
# Per function: impl name -> model. The names are the PTX instruction or CUDA function, as a
# kernel engineer writes them; "sm90" is the architecture the tables were captured and verified on.
HARDWARE: Dict[str, Dict[str, HardwareImpl]] = {
    "exp2": {
        "sm90:ex2.approx.ftz.f32": HardwareImpl(0, 1, _EX2, "bare MUFU.EX2 (flushes subnormals)"),
        "sm90:ex2.approx.f32": HardwareImpl(1, 1, _EX2, "exp2f: MUFU.EX2, squared below -126"),
    },
    "exp": {
        "sm90:expf": HardwareImpl(5, 1, _EX2, "expf: FFMA range reduction around MUFU.EX2"),
        "sm90:__expf": HardwareImpl(6, 1, _EX2, "__expf: x * log2(e) rounded, then exp2f"),
    },
    "log": {"sm90:logf": HardwareImpl(12, 1, (), "logf: FFMA polynomial (no MUFU.LG2)")},
    "tanh": {"sm90:tanhf": HardwareImpl(7, 1, _EX2 + ("rcp",),
                                        "tanhf: polynomial below 0.6, MUFU.EX2/RCP above")},
    "erf": {"sm90:erff": HardwareImpl(8, 1, _EX2, "erff: polynomial, MUFU.EX2 tail from 1.003")},
    "rsqrt": {
        "sm90:rsqrt.approx.ftz.f32": HardwareImpl(3, 1, ("rsqrt",), "bare MUFU.RSQ"),
        "sm90:rsqrt.approx.f32": HardwareImpl(4, 1, ("rsqrt",), "rsqrtf: MUFU.RSQ, subnormals "
                                                                "scaled"),
    },
    "reciprocal": {
        "sm90:rcp.approx.ftz.f32": HardwareImpl(2, 1, ("rcp",), "bare MUFU.RCP"),
        "sm90:rcp.rn.f32": HardwareImpl(11, 1, (), "1.0f / x without fast math: IEEE, correctly "
                                                   "rounded"),
    },
    "div": {
        "sm90:div.full.f32": HardwareImpl(9, 2, ("rcp",), "a * MUFU.RCP(b), operands pre-scaled"),
        "sm90:div.rn.f32": HardwareImpl(10, 2, (), "a / b without fast math: IEEE, correctly "
                                                   "rounded"),
    },
}
# Other spellings of the same impl.
IMPL_ALIASES = {"sm90:exp2f": "sm90:ex2.approx.f32", "sm90:rsqrtf": "sm90:rsqrt.approx.f32"}


def impls(function: str) -> Tuple[str, ...]:
    """The ``impl`` names ``function`` accepts: ``"cr"`` first, then the GPU models.

    >>> impls("exp")
    ('cr', 'sm90:expf', 'sm90:__expf')
    """
    known = set(HARDWARE) | set(CR_FUNCTIONS) | {"sqrt"}
    if function not in known:
        raise ValueError(f"function: expected one of {sorted(known)}, got {function!r}")
    return ("cr",) + tuple(HARDWARE.get(function, {}))


def _impl(function: str, impl: str) -> Optional[HardwareImpl]:
    """None for "cr", else the hardware model; a clear error for anything else."""
    if not isinstance(impl, str):
        raise TypeError(f"impl: expected a string, got {impl!r}")
    if impl == "cr":
        return None
    model = HARDWARE.get(function, {}).get(IMPL_ALIASES.get(impl, impl))
    if model is None:
        raise ValueError(f"impl: {function} has no implementation {impl!r}; choose one of "
                         f"{', '.join(impls(function))}")
    return model


_TABLE_CACHE: Dict[str, np.ndarray] = {}
_EMPTY = np.zeros(0, dtype=np.uint32)


def _tables_for(model: HardwareImpl) -> Tuple[np.ndarray, ...]:
    """The tables the model reads (decoded once per process, about 0.3 s each), empty others."""
    out = []
    for name in _tables.TABLES:
        if name not in model.tables:
            out.append(_EMPTY)
            continue
        if name not in _TABLE_CACHE:
            with open(_tables.path("sm90", name), "rb") as fh:
                _TABLE_CACHE[name] = _tables.unpack(fh.read())
        out.append(_TABLE_CACHE[name])
    return tuple(out)


def _values(x: ArrayLike, name: str) -> Tuple[np.ndarray, bool]:
    from ._arith import _exact_values  # one place reads operands' exact values
    return _exact_values(x, name)


def _setup(fmt: FormatLike, rounding: str, saturate: bool, seed: SeedLike, sr_bits: int,
           rbits: Optional[ArrayLike], flush_subnormals: bool, dtype: DTypeLike, codes: bool,
           shape: Tuple[int, ...]) -> Tuple[Format, str, int, Optional[np.ndarray]]:
    """The checked result format, mode, key and random bits (flat uint32), in the order the
    arithmetic ops check them."""
    dst = format(fmt)
    mode = rounding_mode(rounding)
    _check_policy(saturate, seed, sr_bits, flush_subnormals)
    from ._arith import _random_bits
    r, key = _random_bits(dst, mode, seed, sr_bits, rbits, shape, "special functions keep")
    if r is not None:
        r = np.ascontiguousarray(r, dtype=np.uint32).ravel()
    if not codes and np.dtype(dtype) not in DTYPE_FORMATS:
        raise TypeError(f"dtype: expected float16/32/64 or an ml_dtypes float type, got {dtype}")
    return dst, mode, key, r


# MPFR's correctly rounded functions (sigmoid has none: _sigmoid_bits).
_MPFR_NAMES = {"exp": "exp", "exp2": "exp2", "log": "log", "log2": "log2", "tanh": "tanh",
               "erf": "erf", "rsqrt": "rec_sqrt"}


def _split(v: Any, inexact: bool) -> Tuple[int, int, bool, bool]:
    """A nonzero finite MPFR value of at most 62 bits as (sig in [2^61, 2^62), msb, sticky, neg)."""
    m, e = v.as_mantissa_exp()
    m = int(m)
    neg = m < 0
    m = abs(m)
    msb = e + m.bit_length() - 1
    return m << (62 - m.bit_length()), msb, inexact, neg


def _sigmoid_bits(x: float) -> Tuple[int, int, bool, bool]:
    """1 / (1 + e^-x) truncated to 62 bits, and whether inexact: Ziv's loop on an enclosure
    computed with directed roundings (x != 0, so the value is not dyadic)."""
    import gmpy2

    prec = 128
    while True:
        bounds = []
        for first, last in ((gmpy2.RoundDown, gmpy2.RoundUp), (gmpy2.RoundUp, gmpy2.RoundDown)):
            with gmpy2.context(gmpy2.get_context(), precision=prec, round=first,
                                     emax=1 << 40, emin=-(1 << 40)):
                e = gmpy2.exp(-gmpy2.mpfr(x))
                d = 1 + e
            with gmpy2.context(gmpy2.get_context(), precision=prec, round=last,
                                     emax=1 << 40, emin=-(1 << 40)):
                bounds.append(1 / d)
        truncated = []
        for b in bounds:
            with gmpy2.context(gmpy2.get_context(), precision=62, round=gmpy2.RoundToZero):
                truncated.append(+b)
        if truncated[0] == truncated[1]:
            return _split(truncated[0], True)
        prec *= 2


def _resolve(name: str, x: np.ndarray, index: np.ndarray, out: np.ndarray, dst: Format,
             mode: str, saturate: bool, flush: bool, sr_bits: int, key: int,
             rbits: Optional[np.ndarray]) -> None:
    """Round f(x[index]) into out[index] from MPFR values of 62 bits and a sticky bit."""
    import gmpy2

    n = index.size
    sig = np.empty(n, dtype=np.uint64)
    msb = np.empty(n, dtype=np.int64)
    sticky = np.empty(n, dtype=np.uint8)
    neg = np.empty(n, dtype=np.uint8)
    for j, i in enumerate(index):
        xi = float(x[i])
        if name == "sigmoid":
            parts = _sigmoid_bits(xi)
        else:
            with gmpy2.context(gmpy2.get_context(), precision=62, round=gmpy2.RoundToZero,
                                     emax=1 << 40, emin=-(1 << 40)) as ctx:
                ctx.clear_flags()
                v = getattr(gmpy2, _MPFR_NAMES[name])(gmpy2.mpfr(xi))
                # The double evaluation settles zeros, infinities and exact results itself.
                if not v.is_finite() or v == 0:
                    raise RuntimeError(f"{name}({xi!r}): the exact path met {v} (a bug)")
                parts = _split(v, bool(ctx.inexact))
        sig[j], msb[j], sticky[j], neg[j] = parts
    _core.round_exact(sig, msb, sticky, neg, index.astype(np.int64), out, dst._facts(),
                      MODES.index(mode), bool(saturate), bool(flush), int(sr_bits), key,
                      None if rbits is None else np.ascontiguousarray(rbits[index]))


def _float32_values(codes: np.ndarray, fmt: Format) -> Optional[np.ndarray]:
    """The values of x (its codes of fmt) as a flat float32 array when they all are float32
    values and fmt has at most 32 bits (the kernels' float32 paths are the faster), else None."""
    if fmt == float32:
        return np.ascontiguousarray(codes).view(np.float32).ravel()
    if fmt.bits > 32:
        return None
    v = np.asarray(decode(codes, fmt, np.float64))
    with np.errstate(over="ignore"):
        v32 = v.astype(np.float32)
    return np.ascontiguousarray(v32).ravel() if np.array_equal(v32, v, equal_nan=True) else None


def _correctly_rounded(name: str, x: ArrayLike, fmt: FormatLike, rounding: str, saturate: bool,
                       seed: SeedLike, sr_bits: int, rbits: Optional[ArrayLike],
                       flush_subnormals: bool, dtype: DTypeLike, codes: bool) -> Any:
    from ._arith import _flush_operands

    src, src_fmt, scalar = _source(x, "x")
    shape = src.shape
    dst, mode, key, r = _setup(fmt, rounding, saturate, seed, sr_bits, rbits, flush_subnormals,
                               dtype, codes, shape)
    flat = _float32_values(src, src_fmt) if not flush_subnormals else None
    if flat is None:
        v, _ = _values(x, "x")
        flat = np.ascontiguousarray(_flush_operands(v, dst, flush_subnormals),
                                    dtype=np.float64).ravel()
    out = np.empty(flat.size, dtype=dst.code_dtype)
    missed = _core.special_cr(CR_FUNCTIONS.index(name), flat, out, dst._facts(),
                              MODES.index(mode), bool(saturate), bool(flush_subnormals),
                              int(sr_bits), key, r)
    if missed.size:
        _resolve(name, flat, missed, out, dst, mode, saturate, flush_subnormals, sr_bits, key, r)
    out = out.reshape(shape)
    return _result(out if codes else decode(out, dst, dtype), scalar)


def _hardware(function: str, model: HardwareImpl, operands: Tuple[ArrayLike, ...],
              names: Tuple[str, ...], fmt: FormatLike, rounding: str, saturate: bool,
              seed: SeedLike, sr_bits: int, rbits: Optional[ArrayLike], flush_subnormals: bool,
              dtype: DTypeLike, codes: bool) -> Any:
    values: List[np.ndarray] = []
    scalar = True
    for x, name in zip(operands, names):
        raw, raw_fmt, s = _source(x, name)
        scalar = scalar and s
        if raw_fmt == float32:  # already the GPU's operands (facts, not names)
            values.append(raw.view(np.float32))
            continue
        v, _ = _values(x, name)
        with np.errstate(over="ignore", invalid="ignore"):
            v32 = v.astype(np.float32)
        bad = ~((v32 == v) | np.isnan(v))
        if bad.any():
            raise ValueError(f"{name}: the GPU's {function} takes float32 operands; "
                             f"{int(bad.sum())} values are not float32 values (the first: "
                             f"{v.ravel()[np.flatnonzero(bad.ravel())[0]]!r}); round them with "
                             f"roundoff.quantize(x, 'float32') first")
        values.append(v32)
    try:
        arrays = np.broadcast_arrays(*values)
    except ValueError:
        shapes = " and ".join(str(v.shape) for v in values)
        raise ValueError(f"{', '.join(names)}: shapes {shapes} do not broadcast") from None
    shape = arrays[0].shape
    dst, mode, key, r = _setup(fmt, rounding, saturate, seed, sr_bits, rbits, flush_subnormals,
                               dtype, codes, shape)
    flat = [np.ascontiguousarray(a).ravel().view(np.uint32) for a in arrays]
    out = np.empty(flat[0].size, dtype=dst.code_dtype)
    # The GPU's float32 results, rounded into fmt by the cast kernel (element i with element
    # i's random bits).
    _core.special_hw(model.fn, flat[0], flat[1] if model.arity == 2 else None, out,
                     _tables_for(model), dst._facts(), MODES.index(mode), bool(saturate),
                     bool(flush_subnormals), int(sr_bits), key, r)
    out = out.reshape(shape)
    return _result(out if codes else decode(out, dst, dtype), scalar)


def hardware_div(a: ArrayLike, b: ArrayLike, impl: str, fmt: FormatLike, rounding: str,
                 saturate: bool, seed: SeedLike, sr_bits: int, rbits: Optional[ArrayLike],
                 flush_subnormals: bool, dtype: DTypeLike, codes: bool) -> Any:
    """div's GPU impls (roundoff.div dispatches here for impl != "cr")."""
    model = _impl("div", impl)
    assert model is not None
    return _hardware("div", model, (a, b), ("a", "b"), fmt, rounding, saturate, seed, sr_bits,
                     rbits, flush_subnormals, dtype, codes)


_DOC = """{summary}

    Args:
        x: the input (float16/32/64, ml_dtypes, integers below 2^53, or a torch tensor).
        fmt: the result format (a :class:`Format`, a name such as ``"bf16"``, or a dtype).
        rounding: any mode of :func:`encode`, including ``stochastic`` and ``odd``.
        impl: ``"cr"`` (default): the exact value rounded once, proven (a double evaluation
            with an error bound, MPFR where the bound cannot decide). {impls}
            A GPU impl takes float32 inputs and rounds its float32 result into ``fmt``.
        saturate: overflow and Inf give ±max instead of the format's Inf or NaN.
        seed: stochastic rounding key (None: a fresh key per call), as :func:`encode`.
        sr_bits: R, the number of random bits (``fmt.man_bits + sr_bits <= 60``).
        rbits: your own random integers in 0..2^R-1, one per result element.
        flush_subnormals: ``"cr"``: inputs below ``fmt``'s smallest normal are zeros (DAZ);
            every impl: subnormal results flush to zero (FTZ), keeping the sign.
        dtype: the float dtype of the returned values (default float64).
        codes: return the result's codes of ``fmt`` instead of values.

    Returns:
        An array of the input's shape (a NumPy scalar for a scalar input).

    {example}
    """


def _make(name: str, summary: str, example: str) -> Callable[..., Any]:
    def function(x: ArrayLike, fmt: FormatLike, rounding: RoundingMode = "nearest_even", *,
                 impl: str = "cr", saturate: bool = False, seed: SeedLike = None,
                 sr_bits: int = 32, rbits: Optional[ArrayLike] = None,
                 flush_subnormals: bool = False, dtype: DTypeLike = np.float64,
                 codes: bool = False) -> Any:
        model = _impl(name, impl)
        if model is not None:
            return _hardware(name, model, (x,), ("x",), fmt, rounding, saturate, seed, sr_bits,
                             rbits, flush_subnormals, dtype, codes)
        if name == "reciprocal":
            from ._arith import _elementwise
            return _elementwise("div", (1.0, x), fmt, rounding, saturate, seed, sr_bits, rbits,
                                flush_subnormals, dtype, codes, names=("1", "x"))
        return _correctly_rounded(name, x, fmt, rounding, saturate, seed, sr_bits, rbits,
                                  flush_subnormals, dtype, codes)

    hw = tuple(HARDWARE.get(name, {}))
    listed = ("GPU impls: " + ", ".join(f"``{h}``" for h in hw) + ".") if hw else \
        "No GPU impl is modelled."
    function.__name__ = function.__qualname__ = name
    function.__doc__ = _DOC.format(summary=summary, impls=listed, example=example)
    return tensor_io(function)


exp = _make("exp", "``e^x`` rounded into ``fmt``.", """>>> float(exp(1.0, "bf16")), float(exp(1.0, "bf16", "up"))
    (2.71875, 2.71875)""")
exp2 = _make("exp2", "``2^x`` rounded into ``fmt``.", """>>> float(exp2(0.25, "float32"))  # 2^(1/4) = 1.18920711..., correctly rounded
    1.1892070770263672
    >>> float(exp2(0.25, "float32", impl="sm90:ex2.approx.ftz.f32"))  # the GPU's MUFU.EX2
    1.1892071962356567""")
log = _make("log", "``ln(x)`` rounded into ``fmt`` (log(0) = -Inf, log(x < 0) = NaN).",
            """>>> float(log(2.0, "bf16"))
    0.69140625""")
log2 = _make("log2", "``log2(x)`` rounded into ``fmt`` (exact for powers of two).",
             """>>> float(log2(8.0, "e4m3")), float(log2(3.0, "bf16"))
    (3.0, 1.5859375)""")
tanh = _make("tanh", "``tanh(x)`` rounded into ``fmt``.", """>>> float(tanh(0.5, "bf16"))
    0.462890625""")
erf = _make("erf", "``erf(x)`` rounded into ``fmt``.", """>>> float(erf(0.5, "bf16"))
    0.51953125""")
sigmoid = _make("sigmoid", "``1 / (1 + e^-x)`` rounded once into ``fmt``.",
                """>>> float(sigmoid(0.0, "e4m3")), float(sigmoid(2.0, "bf16"))
    (0.5, 0.87890625)""")
rsqrt = _make("rsqrt", "``1 / sqrt(x)`` rounded once into ``fmt`` (rsqrt(+0) = +Inf, "
              "rsqrt(-0) = -Inf, negative x: NaN).", """>>> float(rsqrt(2.0, "bf16"))
    0.70703125""")
reciprocal = _make("reciprocal", "``1 / x`` rounded once into ``fmt`` (``div(1, x)``).",
                   """>>> float(reciprocal(3.0, "bf16")), float(reciprocal(-0.0, "e5m2"))
    (0.333984375, -inf)""")
