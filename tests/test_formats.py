"""Format facts, derived properties, validation, lookup (names, e<E>m<M>, dtypes, torch dtypes)."""

import importlib.util
import math
import re

import ml_dtypes
import numpy as np
import pytest

import roundoff as ro

# Facts from the format specifications (OCP FP8/MX, IEEE 754), not from the code under test.
SPEC = {
    # name: (bits, max, min_normal, min_subnormal, eps)
    "float8_e4m3fn": (8, 448.0, 2.0**-6, 2.0**-9, 2.0**-3),
    "float8_e5m2": (8, 57344.0, 2.0**-14, 2.0**-16, 2.0**-2),
    "float8_e4m3fnuz": (8, 240.0, 2.0**-7, 2.0**-10, 2.0**-3),
    "float8_e5m2fnuz": (8, 57344.0, 2.0**-15, 2.0**-17, 2.0**-2),
    "bfloat16": (16, 3.3895313892515355e38, 2.0**-126, 2.0**-133, 2.0**-7),
    "float16": (16, 65504.0, 2.0**-14, 2.0**-24, 2.0**-10),
    "float32": (32, 3.4028234663852886e38, 2.0**-126, 2.0**-149, 2.0**-23),
    "tfloat32": (19, (2 - 2.0**-10) * 2.0**127, 2.0**-126, 2.0**-136, 2.0**-10),
    "float6_e2m3fn": (6, 7.5, 1.0, 0.125, 0.125),
    "float6_e3m2fn": (6, 28.0, 0.25, 0.0625, 0.25),
    "float4_e2m1fn": (4, 6.0, 1.0, 0.5, 0.5),
    "float8_e8m0fnu": (8, 2.0**127, 2.0**-127, 2.0**-127, 1.0),
}


@pytest.mark.parametrize("name", sorted(SPEC))
def test_predefined_facts_match_the_specifications(name):
    f = ro.format(name)
    bits, mx, mn, sub, eps = SPEC[name]
    assert (f.bits, f.max, f.min_normal, f.min_subnormal, f.eps) == (bits, mx, mn, sub, eps)
    assert f.unit_roundoff == eps / 2
    assert f.precision == f.man_bits + 1


@pytest.mark.parametrize("name", [n for n in SPEC if hasattr(ml_dtypes, n)])
def test_facts_agree_with_ml_dtypes_finfo(name):
    f, fi = ro.format(name), ml_dtypes.finfo(getattr(ml_dtypes, name))
    assert f.max == float(fi.max)
    assert f.min_normal == float(fi.smallest_normal)
    assert f.min_subnormal == float(fi.smallest_subnormal)
    assert f.eps == float(fi.eps)


def test_special_codes():
    assert (ro.E4M3.max_code, ro.E4M3.nan_code, ro.E4M3.inf_code) == (0x7E, 0x7F, None)
    assert (ro.E5M2.max_code, ro.E5M2.nan_code, ro.E5M2.inf_code) == (0x7B, 0x7E, 0x7C)
    assert ro.float8_e4m3fnuz.nan_code == 0x80
    assert ro.BF16.nan_code == 0x7FC0 and ro.FP16.nan_code == 0x7E00
    assert ro.float4_e2m1fn.nan_code is None and ro.float8_e8m0fnu.nan_code == 0xFF


def test_lookup_by_name_alias_case_and_dtype():
    assert ro.format("e4m3") is ro.float8_e4m3fn
    assert ro.format("E4M3") is ro.format("float8_e4m3fn") is ro.E4M3
    assert ro.format("BF16") is ro.bfloat16
    assert ro.format(ml_dtypes.bfloat16) is ro.bfloat16
    assert ro.format(np.float16) is ro.float16
    assert ro.format(ro.E5M2) is ro.E5M2
    with pytest.raises(ValueError, match="fmt: unknown format 'e4m3x'"):
        ro.format("e4m3x")
    with pytest.raises(TypeError, match="fmt"):
        ro.format(3.5)
    with pytest.raises(TypeError, match="fmt"):
        ro.format(np.int32)


def test_custom_formats_are_immutable_hashable_comparable():
    a = ro.Format(4, 3, bias=7, nonfinite="nan_all_ones")
    assert a == ro.E4M3 and hash(a) == hash(ro.E4M3)  # the name is not a fact
    assert a != ro.Format(4, 3, bias=8, nonfinite="nan_all_ones")
    assert len({a, ro.E4M3, ro.E5M2}) == 2
    with pytest.raises(AttributeError):
        a.bias = 3  # type: ignore[misc]
    assert "exp_bits=4" in repr(a) and "bias=7" in repr(a)
    assert repr(ro.E4M3).startswith("Format(name='float8_e4m3fn'")
    assert ro.Format(5, 10) == ro.FP16  # IEEE bias by default


def test_custom_format_derived_properties():
    f = ro.Format(6, 9)  # IEEE-style e6m9
    assert f.bias == 31 and f.emin == -30 and f.emax == 31
    assert f.max == (2 - 2.0**-9) * 2.0**31
    assert f.min_subnormal == 2.0**-39
    g = ro.Format(4, 3, bias=7, nonfinite="finite", subnormals=False)
    assert g.max == 480.0 and g.min_subnormal == g.min_normal == 2.0**-6


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(exp_bits=0, man_bits=3), "exp_bits"),
        (dict(exp_bits=12, man_bits=3), "exp_bits"),
        (dict(exp_bits=4, man_bits=-1), "man_bits"),
        (dict(exp_bits=4, man_bits=53), "man_bits"),
        (dict(exp_bits=4, man_bits=3.0), "man_bits"),
        (dict(exp_bits=4, man_bits=0, nonfinite="ieee"), "man_bits"),
        (dict(exp_bits=4, man_bits=3, nonfinite="weird"), "nonfinite"),
        (dict(exp_bits=4, man_bits=3, bias=-2000), "bias"),
        (dict(exp_bits=11, man_bits=52, bias=0), "bias"),
        (dict(exp_bits=4, man_bits=3, has_zero=False), "subnormals"),
        (dict(exp_bits=4, man_bits=3, signed=False, nonfinite="finite"), "signed"),
        (dict(exp_bits=4, man_bits=3, signed=False, nonfinite="nan_neg_zero"), "signed"),
        (dict(exp_bits=4, man_bits=3, subnormals="yes"), "subnormals"),
    ],
)
def test_invalid_parameters_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        ro.Format(**kwargs)


def test_is_subset_of():
    assert ro.E4M3.is_subset_of(ro.FP16) and ro.E5M2.is_subset_of(ro.FP16)
    assert ro.BF16.is_subset_of(ro.FP32) and not ro.BF16.is_subset_of(ro.FP16)
    assert not ro.FP16.is_subset_of(ro.BF16) and ro.FP16.is_subset_of(ro.FP32)
    assert not ro.E5M2.is_subset_of(ro.E4M3)  # Inf


def test_every_value_of_a_format_is_a_float64():
    for f in ro.FORMATS.values():
        assert math.isfinite(f.max) and f.min_subnormal > 0


# The formats that existed before ml_dtypes' types were derived, with their facts as stated in
# the README's table: derivation must not change them.
BEFORE = {
    "float8_e4m3fn": (ro.float8_e4m3fn, ro.Format(4, 3, 7, "nan_all_ones")),
    "float8_e5m2": (ro.float8_e5m2, ro.Format(5, 2, 15)),
    "float8_e4m3fnuz": (ro.float8_e4m3fnuz, ro.Format(4, 3, 8, "nan_neg_zero")),
    "float8_e5m2fnuz": (ro.float8_e5m2fnuz, ro.Format(5, 2, 16, "nan_neg_zero")),
    "bfloat16": (ro.bfloat16, ro.Format(8, 7, 127)),
    "float16": (ro.float16, ro.Format(5, 10, 15)),
    "float32": (ro.float32, ro.Format(8, 23, 127)),
    "float64": (ro.float64, ro.Format(11, 52, 1023)),
    "tfloat32": (ro.tfloat32, ro.Format(8, 10, 127)),
    "float6_e2m3fn": (ro.float6_e2m3fn, ro.Format(2, 3, 1, "finite")),
    "float6_e3m2fn": (ro.float6_e3m2fn, ro.Format(3, 2, 3, "finite")),
    "float4_e2m1fn": (ro.float4_e2m1fn, ro.Format(2, 1, 1, "finite")),
    "float8_e8m0fnu": (ro.float8_e8m0fnu, ro.Format(8, 0, 127, "nan_all_ones", subnormals=False,
                                                    signed=False, has_zero=False)),
}


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_module_level_formats_are_the_named_ones_unchanged(name):
    obj, facts = BEFORE[name]
    assert ro.FORMATS[name] is obj and obj == facts and obj.name == name


def test_aliases_still_win_over_e_m_names():
    assert ro.format("e4m3") is ro.float8_e4m3fn and ro.format("E5M2") is ro.float8_e5m2
    assert ro.format("e2m1") is ro.float4_e2m1fn and ro.format("e8m0") is ro.float8_e8m0fnu
    assert all(ro.format(short) is ro.FORMATS[name] for short, name in ro.ALIASES.items())


def test_ml_dtypes_types_that_were_not_listed_are_named_formats():
    # Facts from ml_dtypes' documentation of these types, stated here, not derived.
    assert ro.format("float8_e4m3") == ro.Format(4, 3)  # IEEE-style, max 240
    assert ro.format("float8_e3m4") == ro.Format(3, 4)  # IEEE-style, max 15.5
    assert ro.format("float8_e4m3b11fnuz") == ro.Format(4, 3, bias=11, nonfinite="nan_neg_zero")
    assert ro.format(ml_dtypes.float8_e3m4).name == "float8_e3m4"
    assert ro.ml_dtype(ro.Format(3, 4)) == np.dtype(ml_dtypes.float8_e3m4)


# --- e<E>m<M> names -------------------------------------------------------------------------------

def test_e_m_names_give_ieee_style_custom_formats():
    f = ro.format("e6m9")
    assert f == ro.Format(6, 9) and f.name == "e6m9" and f.bias == 31 and f.has_inf
    assert ro.format(" E11M4 ") == ro.Format(11, 4) and ro.format("E11M4").name == "e11m4"
    assert ro.format("e5m10") == ro.float16  # equal facts; its own name
    assert ro.format("e8m23").name == "e8m23"
    # Wherever a format is taken.
    assert int(ro.encode(1.0, "e6m9")) == 31 << 9
    assert float(ro.decode(int(ro.encode(0.1, "e3m5")), "e3m5", np.float64)) == 0.1015625


@pytest.mark.parametrize("text, why", [
    ("e0m3", "exp_bits: must be in 1..11, got 0"),
    ("e12m60", "exp_bits: must be in 1..11, got 12"),
    ("e5m53", "man_bits: must be in 0..52, got 53"),
    ("e1m3", "exp_bits: an 'ieee' format needs exp_bits >= 2"),
    ("e3m0", "man_bits: an 'ieee' format needs man_bits >= 1"),
])
def test_invalid_e_m_names_say_what_is_wrong(text, why):
    with pytest.raises(ValueError, match=f"^fmt: '{text}' is not a valid .*{re.escape(why)}"):
        ro.format(text)


# --- what is not a format -------------------------------------------------------------------------

def test_python_float_and_dtypes_in_either_byte_order():
    assert ro.format(float) is ro.float64 and ro.format(np.float32) is ro.float32
    assert ro.format(np.dtype(">f2")) is ro.float16 and ro.format(np.dtype("<f8")) is ro.float64
    assert ro.format(np.dtype(ml_dtypes.bfloat16).newbyteorder(">")) is ro.bfloat16


@pytest.mark.parametrize("bad", [
    None,  # np.dtype(None) is float64
    int, bool, complex, np.int32, np.complex64, np.floating, np.dtype("int64"), np.dtype("O"),
    np.float16(1.0), ml_dtypes.bfloat16(1.0), 1.0, 3, np.zeros(3, np.float16),  # values
    b"f2", [("a", "f4")], {"names": ["a"], "formats": ["f4"]}, object(),
])
def test_what_np_dtype_accepts_but_is_not_a_format_is_a_type_error(bad):
    with pytest.raises(TypeError, match="^fmt: "):
        ro.format(bad)


@pytest.mark.parametrize("code", ["f", "d", "e", "f4", "<f2", "float"])
def test_numpy_type_codes_are_not_format_names(code):
    # "e" is float16 to NumPy; as a format name it means nothing (names are names, not codes).
    with pytest.raises(ValueError, match=f"^fmt: unknown format '{re.escape(code)}'"):
        ro.format(code)


# --- torch dtypes -------------------------------------------------------------------------------

TORCH_FLOATS = ["float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2",
                "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu"]
TORCH_NOT_FORMATS = ["float4_e2m1fn_x2", "int32", "uint8", "int8", "bool", "complex64"]


class _StandInTorchDtype:
    """Stands in for torch.dtype where torch is not installed: what format() looks at, its
    type's module and name and its str(), as torch has them."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"


_StandInTorchDtype.__module__, _StandInTorchDtype.__name__ = "torch", "dtype"


def torch_dtype(name):
    if importlib.util.find_spec("torch") is None:
        return _StandInTorchDtype(name)
    import torch

    if not hasattr(torch, name):
        pytest.skip(f"this torch has no {name}")
    return getattr(torch, name)


@pytest.mark.parametrize("name", TORCH_FLOATS)
def test_torch_float_dtypes_are_the_formats_of_their_names(name):
    assert ro.format(torch_dtype(name)) is ro.FORMATS[name]


def test_torch_bfloat16_is_bfloat16():
    assert ro.format(torch_dtype("bfloat16")) is ro.bfloat16
    assert ro.format(torch_dtype("float32")) is ro.FP32


@pytest.mark.parametrize("name", TORCH_NOT_FORMATS)
def test_torch_dtypes_without_a_format_are_a_clear_error(name):
    with pytest.raises(TypeError, match=f"^fmt: torch.{name} has no roundoff format"):
        ro.format(torch_dtype(name))


def _p3109_value(code: int, man_bits: int, bias: int) -> float:
    """The P3109-style definition, independently: 0x80 NaN, top magnitude +-Inf, no -0."""
    sign_bit, mag_mask = 0x80, 0x7F
    if code == sign_bit:
        return math.nan
    sign = -1.0 if code & sign_bit else 1.0
    mag = code & mag_mask
    if mag == mag_mask:
        return sign * math.inf
    field, frac = mag >> man_bits, mag & ((1 << man_bits) - 1)
    if field == 0:
        return sign * math.ldexp(frac, 1 - bias - man_bits)
    return sign * math.ldexp((1 << man_bits) + frac, field - bias - man_bits)


@pytest.mark.parametrize("exp_bits, man_bits", [(4, 3), (5, 2), (3, 4), (6, 1)])
def test_p3109_policy_decodes_and_encodes_by_its_definition(exp_bits, man_bits):
    bias = 1 << (exp_bits - 1)  # P3109's binary8 bias, 2^(K - P - 1)
    fmt = ro.Format(exp_bits, man_bits, bias, "inf_nan_neg_zero")
    codes = np.arange(256, dtype=np.uint8)
    want = np.array([_p3109_value(int(c), man_bits, bias) for c in codes])
    got = ro.decode(codes, fmt, np.float64)
    assert np.array_equal(got, want, equal_nan=True)
    assert not np.signbit(got[0]) and np.isnan(got[0x80])
    assert fmt.has_inf and fmt.has_nan and fmt.nan_code == 0x80 and fmt.inf_code == 0x7F
    assert fmt.max == want[0x7E] and fmt.max_code == 0x7E
    finite = np.isfinite(want) & (codes != 0x80)
    assert np.array_equal(ro.encode(want[finite], fmt), codes[finite])  # round trip
    big = 2 * fmt.max
    assert int(ro.encode(big, fmt)) == 0x7F and int(ro.encode(-big, fmt)) == 0xFF
    assert int(ro.encode(big, fmt, saturate=True)) == 0x7E
    assert int(ro.encode(big, fmt, "toward_zero")) == 0x7E
    assert int(ro.encode(np.inf, fmt)) == 0x7F
    assert int(ro.encode(-np.inf, fmt, saturate=True)) == 0xFE
    assert int(ro.encode(np.nan, fmt)) == 0x80
    assert int(ro.encode(-0.0, fmt)) == 0x00 and int(ro.encode(-fmt.min_subnormal / 4, fmt)) == 0
    assert int(ro.encode(-fmt.min_subnormal / 4, fmt, "down")) == 0x81
    with pytest.raises(ValueError, match="^signed"):
        ro.Format(exp_bits, man_bits, bias, "inf_nan_neg_zero", signed=False)
