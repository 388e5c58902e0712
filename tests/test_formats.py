"""Format facts, derived properties, validation, lookup."""

import math

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
    with pytest.raises(ValueError, match="fmt: unknown format 'e9m9'"):
        ro.format("e9m9")
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
