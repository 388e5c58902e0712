#!/usr/bin/env python3
"""Generate the constant tables of cpp/include/roundoff/special_cr.hpp with MPFR (gmpy2).

Rewrites the text between the markers
    // BEGIN GENERATED CONSTANTS (tools/gen_special_cr.py)
    // END GENERATED CONSTANTS
in the header (run from anywhere: `python tools/gen_special_cr.py`; `--print` only prints).
Every constant is the correctly rounded double of the stated real (or the stated split of it);
the few bounds the header's error analysis takes from the tables (log reduction range, erfcx
piece error) are computed here too and emitted as constants with their derivation.
"""
import math
import pathlib
import sys
from fractions import Fraction

import gmpy2
from gmpy2 import mpfr

gmpy2.get_context().precision = 600
HEADER = pathlib.Path(__file__).resolve().parent.parent / "cpp/include/roundoff/special_cr.hpp"
BEGIN = "// BEGIN GENERATED CONSTANTS (tools/gen_special_cr.py)"
END = "// END GENERATED CONSTANTS"
U = Fraction(1, 2**53)


def rn(v, bits=53):
    """v rounded to nearest with `bits` significant bits, as a Python float (exact)."""
    return float(mpfr(v, bits))


def split(v):
    """(hi, lo): hi = RN(v), lo = RN(v - hi)."""
    hi = rn(v)
    return hi, rn(v - mpfr(hi))


def hx(d):
    return "0.0" if d == 0 else float(d).hex()


def array(name, values, per_line=4):
    lines = []
    for i in range(0, len(values), per_line):
        lines.append("      " + ", ".join(hx(v) for v in values[i:i + per_line]) + ",")
    return (f"ROUNDOFF_HD inline const double* {name}() {{\n"
            f"  static constexpr double t[{len(values)}] = {{\n" + "\n".join(lines) + "\n  };\n"
            f"  return t;\n}}\n")


def scalar(name, v, comment):
    return f"constexpr double {name} = {hx(v)};  // {comment}\n"


def log2f(x):
    return float(gmpy2.log2(mpfr(x)))


out = []
LN2 = gmpy2.log(mpfr(2))

# ---------------------------------------------------------------- exp: 2^(j/128) and ln2/128
N = 128
C = LN2 / N
C1 = rn(C, 25)                     # 25 bits: k*C1 exact for |k| < 2^28
C2 = rn(C - mpfr(C1))
C3 = rn(C - mpfr(C1) - mpfr(C2))
C4 = abs(C - mpfr(C1) - mpfr(C2) - mpfr(C3))
assert C4 < mpfr(2) ** -138
out.append("// exp: x = k*ln2/128 + r; ln2/128 = kLn2N1 + kLn2N2 + kLn2N3 (+ < 2^-138).\n")
out.append(scalar("kInvLn2N", rn(N / LN2), "RN(128/ln2)"))
out.append(scalar("kLn2N1", C1, "ln2/128 to 25 bits"))
out.append(scalar("kLn2N2", C2, "RN(ln2/128 - kLn2N1)"))
out.append(scalar("kLn2N3", C3, "RN(ln2/128 - kLn2N1 - kLn2N2)"))
ln2n_hi, ln2n_lo = split(C)
out.append(scalar("kLn2NHi", ln2n_hi, "RN(ln2/128)  (exp2's r = d*ln2/128)"))
out.append(scalar("kLn2NLo", ln2n_lo, "RN(ln2/128 - kLn2NHi)"))
tab = []
for j in range(N):
    tab += split(mpfr(2) ** (mpfr(j) / N))
out.append("// 2^(j/128) = t[2j] + t[2j+1] (+ < 2^-106 * 2^(j/128)), j = 0..127.\n")
out.append(array("exp2_j128_table", tab, 2))
for n in range(2, 13):  # up to 6: exp's polynomial; up to 12: the driver's float32 kernel
    out.append(scalar(f"kInvFact{n}", rn(Fraction(1, math.factorial(n))), f"RN(1/{n}!)"))

# ---------------------------------------------------------------- log: 1/c_i and -log(1/c_i)
# m in [1 + (i-1/2)/128, 1 + (i+1/2)/128) (i = 0 also takes m/2 for m in [2 - 2^-8, 2));
# inv_i = 1/(1 + i/128) to 8 fractional bits: m*inv_i - 1 is a multiple of 2^-60, and (asserted
# below) |r| < 2^-7, so r = fma(m, inv_i, -1) is exact.
inv, tl, t2 = [], [], []
rmax = Fraction(0)
for i in range(N):
    iv = Fraction(round(Fraction(256) / (1 + Fraction(i, N))), 256)
    inv.append(float(iv))
    lo_end = 1 + Fraction(2 * i - 1, 2 * N) if i else 1 - Fraction(1, 512)
    hi_end = 1 + Fraction(2 * i + 1, 2 * N)
    rmax = max(rmax, abs(lo_end * iv - 1), abs(hi_end * iv - 1))
    lg = -gmpy2.log(mpfr(iv.numerator) / iv.denominator)
    tl += split(lg)
    t2 += split(lg / LN2)
assert inv[0] == 1.0 and tl[0] == 0 and t2[0] == 0 and rmax < Fraction(1, 128)
trunc = rmax**8 / (9 * (1 - rmax))  # |sum_{n>=9} (-r)^n/n| / |r|
out.append(f"// log: |r| <= kLogRMax = {float(rmax)!r} (= 2^{math.log2(rmax):.3f}) over all buckets.\n")
out.append(scalar("kLogRMax", float(rmax), "max |m*inv_i - 1|"))
out.append(scalar("kLogTrunc", rn(trunc * (1 + Fraction(1, 2**40))),
                  f"R^8/(9(1-R)) rounded up = 2^{math.log2(trunc):.2f}: log1p truncation / |r|"))
out.append("// inv_i (8 fractional bits), i = 0..127\n")
out.append(array("log_inv_table", inv))
out.append("// -log(inv_i) = t[2i] + t[2i+1] (+ < 2^-106 |.|)\n")
out.append(array("log_neg_ln_inv_table", tl, 2))
out.append("// -log2(inv_i) = t[2i] + t[2i+1] (+ < 2^-106 |.|)\n")
out.append(array("log_neg_log2_inv_table", t2, 2))
L2H = rn(LN2, 42)
out.append(scalar("kLn2Hi42", L2H, "ln2 to 42 bits: e*kLn2Hi42 exact for |e| < 2^11"))
out.append(scalar("kLn2Lo", rn(LN2 - mpfr(L2H)), "RN(ln2 - kLn2Hi42)"))
out.append(scalar("kLn2", rn(LN2), "RN(ln2)"))
out.append(scalar("kInvLn2", rn(1 / LN2), "RN(1/ln2)"))
lg2e = split(1 / LN2)
out.append(scalar("kLog2eHi", lg2e[0], "RN(log2(e))"))
out.append(scalar("kLog2eLo", lg2e[1], "RN(log2(e) - kLog2eHi)"))
for n in range(3, 9):
    out.append(scalar(f"kLog1pC{n}", rn(Fraction((-1) ** (n + 1), n)), f"RN((-1)^{n + 1}/{n})"))

# ---------------------------------------------------------------- tanh: Taylor coefficients
# tanh x = sum_n T_n x^(2n+1), T_n = 2^(2n+2)(2^(2n+2)-1) B_(2n+2)/(2n+2)!: alternating.
TANH = [Fraction(1), Fraction(-1, 3), Fraction(2, 15), Fraction(-17, 315), Fraction(62, 2835),
        Fraction(-1382, 155925), Fraction(21844, 6081075), Fraction(-929569, 638512875)]
for x in (mpfr("0.01"), mpfr("0.03")):  # the hard-coded coefficients are the series of tanh
    s = sum(mpfr(c.numerator) / c.denominator * x ** (2 * n + 1) for n, c in enumerate(TANH))
    assert abs(s - gmpy2.tanh(x)) < x ** 17
for n in range(1, 6):
    out.append(scalar(f"kTanhC{2 * n + 1}", rn(TANH[n]), f"RN({TANH[n]})"))
out.append(scalar("kTanhC13Abs", rn(abs(TANH[6]) * (1 + Fraction(1, 2**40))),
                  "|T_6| rounded up: bounds the Taylor remainder"))

# ---------------------------------------------------------------- erf near 0
SQPI = gmpy2.sqrt(gmpy2.const_pi())
c0 = 2 / SQPI
c0h, c0l = split(c0)
out.append(scalar("kTwoOverSqrtPiHi", c0h, "RN(2/sqrt(pi))"))
out.append(scalar("kTwoOverSqrtPiLo", c0l, "RN(2/sqrt(pi) - hi)"))
ERF_TERMS = 12
for n in range(1, ERF_TERMS + 1):
    q = c0 * (-1) ** n / (math.factorial(n) * (2 * n + 1))
    out.append(scalar(f"kErfQ{n}", rn(q), f"RN(2/sqrt(pi) (-1)^{n}/({n}! {2 * n + 1}))"))
# remainder of the alternating series for |x| < 1/2: first omitted term, relative to c0*|x|
rem = mpfr(0.25) ** (ERF_TERMS + 1) / (math.factorial(ERF_TERMS + 1) * (2 * ERF_TERMS + 3))
out.append(f"// erf Taylor remainder for |x| < 1/2 <= {float(rem):.3e} * c0 |x| (= 2^{log2f(rem):.2f})\n")

# ---------------------------------------------------------------- erfcx pieces on [1/2, 32)
# erfc(x) = e^(-x^2) erfcx(x). Pieces: x in [2^E (1 + s/16), 2^E (1 + (s+1)/16)), E = -1..4,
# centre c; erfcx(c + h) = sum_n a_n h^n (Taylor, degree ERFC_DEG); |h| <= 2^E/32.
# Derivatives by y' = 2xy - 2/sqrt(pi), y^(n+1) = 2x y^(n) + 2n y^(n-1); |y^(n)| decreases in
# x >= 0 (y^(n)(x) = 2/sqrt(pi) int_0^inf (-2t)^n e^(-t^2-2xt) dt), so the Lagrange remainder
# is bounded with |y^(D+1)| at the piece's left end.
ERFC_LAST = 26.5
gmpy2.get_context().precision = 3000


def erfcx_derivs(x, n):
    x = mpfr(x)
    y = [gmpy2.exp(x * x) * gmpy2.erfc(x)]
    y.append(2 * x * y[0] - 2 / gmpy2.sqrt(gmpy2.const_pi()))
    for k in range(1, n):
        y.append(2 * x * y[k] + 2 * k * y[k - 1])
    return y


def gamma(k):
    return k * U / (1 - k * U)


pieces = []
for E in range(-1, 5):
    for s in range(16):
        a = Fraction(2) ** E * (1 + Fraction(s, 16))
        if a >= ERFC_LAST:
            break
        pieces.append((E, s, a, a + Fraction(2) ** E / 16))
ERFC_DEG = None
for D in range(8, 30):
    ok = True
    for (E, s, a, b) in pieces:
        hmax = (b - a) / 2
        yl = erfcx_derivs(mpfr(a.numerator) / a.denominator, D + 2)
        rem = abs(yl[D + 1]) * mpfr(hmax) ** (D + 1) / math.factorial(D + 1)
        gb = erfcx_derivs(mpfr(b.numerator) / b.denominator, 1)[0]
        if rem > gb * mpfr(2) ** -64:
            ok = False
            break
    if ok:
        ERFC_DEG = D
        break
assert ERFC_DEG is not None
coef = []
eta = 0
for (E, s, a, b) in pieces:
    c = (a + b) / 2
    hmax = (b - a) / 2
    y = erfcx_derivs(mpfr(c.numerator) / c.denominator, ERFC_DEG + 1)
    an = [y[n] / math.factorial(n) for n in range(ERFC_DEG + 1)]
    a0h, a0l = split(an[0])
    rest = [rn(v) for v in an[1:]]
    coef += [a0h, a0l] + rest
    H = mpfr(hmax)
    # |computed g - erfcx| on the piece:
    yl = erfcx_derivs(mpfr(a.numerator) / a.denominator, ERFC_DEG + 2)
    bound = abs(yl[ERFC_DEG + 1]) * H ** (ERFC_DEG + 1) / math.factorial(ERFC_DEG + 1)  # Taylor
    bound += abs(an[0] - mpfr(a0h) - mpfr(a0l))                                        # a0 split
    bound += sum(abs(an[n] - mpfr(rest[n - 1])) * H ** n for n in range(1, ERFC_DEG + 1))
    # fma Horner G = a1 + h (a2 + ... + h a_D): computed = sum a_n h^(n-1) prod (1 + d_k) over
    # the n roundings the term goes through, so |error| <= sum gamma_n |a_n| H^(n-1).
    S = sum(abs(mpfr(rest[n - 1])) * H ** (n - 1) for n in range(1, ERFC_DEG + 1))
    GE = sum(mpfr(gamma(n).numerator) / gamma(n).denominator * abs(mpfr(rest[n - 1])) * H ** (n - 1)
             for n in range(1, ERFC_DEG + 1))
    gl = H * (S + GE) + abs(mpfr(a0l))
    bound += H * GE + mpfr(2) ** -53 * gl * 1.01    # h * (G error), fma(h, G, a0l) rounding
    gb = erfcx_derivs(mpfr(b.numerator) / b.denominator, 1)[0]
    eta = max(eta, bound / gb)
out.append(f"// erfcx pieces: degree {ERFC_DEG}; relative error of g = a0h + fma(h, G(h), a0l)\n"
           f"// (Taylor remainder + coefficient rounding + fma-Horner rounding)\n"
           f"// <= kErfcxRelErr over all {len(pieces)} pieces.\n")
out.append(f"constexpr int kErfcxDeg = {ERFC_DEG};\n")
out.append(f"constexpr int kErfcxPieces = {len(pieces)};\n")
out.append(scalar("kErfcxRelErr", rn(eta * (1 + mpfr(2) ** -20), 53), f"2^{log2f(eta):.2f}"))
out.append(f"// piece p = 16 (E + 1) + s: a0h, a0l, a1 .. a{ERFC_DEG}  ({ERFC_DEG + 2} per piece)\n")
out.append(array("erfcx_piece_table", coef, ERFC_DEG + 2 if ERFC_DEG + 2 <= 8 else 4))

block = "".join(out)
if "--print" in sys.argv:
    print(block)
else:
    text = HEADER.read_text()
    i, j = text.index(BEGIN), text.index(END)
    HEADER.write_text(text[:i + len(BEGIN)] + "\n" + block + text[j:])
    print(f"wrote {HEADER} ({len(block)} chars of constants)")
