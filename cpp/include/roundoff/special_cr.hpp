// Proven-accuracy approximations of exp, exp2, log, log2, tanh, erf, sigmoid and rsqrt, for
// rounding f(x) correctly into any format of at most 53 significant bits: a caller rounds both
// ends of [(hi + lo) - err, (hi + lo) + err] * 2^scale and falls back to MPFR only when they
// differ. So err is a rigorous bound (derivations below; each returned err is at least twice the
// derived one), and near the short dyadic values a result approaches (1 for exp/tanh/erf/
// sigmoid, 0.5 for sigmoid, 0 for log) hi holds that value and lo the small difference with
// relative accuracy.
//
// No libm transcendental is called; only +, -, *, /, fma and sqrt (IEEE, correctly rounded),
// and exact bit manipulation. Every fused operation is an explicit std::fma, and the analysis
// counts every other operation as rounded, so contraction (-ffp-contract=fast) can only drop a
// rounding the analysis already pays for. No error-free transform relies on an unfused a*b.
// u = 2^-53 throughout. Constants: tools/gen_special_cr.py (MPFR), between the markers below.
//
// Exact results (err == 0) occur exactly at: exp(+-0) = 1, exp2(k) = 2^k (integer k),
// log(1) = 0, log2(2^k) = k, rsqrt(4^k) = 2^-k, tanh(+-0) = +-0, erf(+-0) = +-0,
// sigmoid(+-0) = 1/2. No other double gives a dyadic result: for algebraic x != 0, e^x is
// transcendental (Lindemann-Weierstrass), hence so are tanh x = (e^2x - 1)/(e^2x + 1) and
// 1/(1 + e^-x); 2^x is irrational for non-integer rational x; log x is transcendental for
// rational x != 1 and log2 x is rational only at powers of 2; 1/sqrt(x) is dyadic only at
// x = 4^k. (erf at a nonzero double is not known to be irrational; it is never returned as
// exact, which only means a caller would fall back if it ever were.)
//
// Clamping: where f(x) lies beyond 2^+-kScaleClamp (exp, exp2, sigmoid of huge |x|), the
// result is {hi = 1, lo = 0, scale = +-kScaleClamp, err = +inf}: err = inf keeps the bound
// trivially true, and additionally f(x) >= 2^kScaleClamp (scale > 0) or
// 0 < f(x) <= 2^-kScaleClamp (scale < 0), beyond every format the caller supports.
// Saturation: where 1 - |f(x)| < 2^-1000 (tanh |x| >= 350, erf |x| >= 26.5, sigmoid x >= 694)
// the result is {+-1, -+2^-1001, 0, 2^-1001}; f(x) is then strictly inside the interval
// (never at its endpoint +-1), which the caller may rely on.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "roundoff/format.hpp"

namespace roundoff {

struct Approx {
  double hi, lo;  // f(x) ~= (hi + lo) * 2^scale   (hi + lo taken as an exact real sum)
  int scale;
  double err;     // |f(x) - (hi + lo) * 2^scale| <= err * 2^scale.  err == 0: exact result.
};

constexpr int kScaleClamp = 1 << 20;

namespace special_cr {

// BEGIN GENERATED CONSTANTS (tools/gen_special_cr.py)
// exp: x = k*ln2/128 + r; ln2/128 = kLn2N1 + kLn2N2 + kLn2N3 (+ < 2^-138).
constexpr double kInvLn2N = 0x1.71547652b82fep+7;  // RN(128/ln2)
constexpr double kLn2N1 = 0x1.62e4300000000p-8;  // ln2/128 to 25 bits
constexpr double kLn2N2 = -0x1.05c610ca86c39p-36;  // RN(ln2/128 - kLn2N1)
constexpr double kLn2N3 = 0x1.9cc01f97b57a0p-90;  // RN(ln2/128 - kLn2N1 - kLn2N2)
constexpr double kLn2NHi = 0x1.62e42fefa39efp-8;  // RN(ln2/128)  (exp2's r = d*ln2/128)
constexpr double kLn2NLo = 0x1.abc9e3b39803fp-63;  // RN(ln2/128 - kLn2NHi)
// 2^(j/128) = t[2j] + t[2j+1] (+ < 2^-106 * 2^(j/128)), j = 0..127.
ROUNDOFF_HD inline const double* exp2_j128_table() {
  static constexpr double t[256] = {
      0x1.0000000000000p+0, 0.0,
      0x1.0163da9fb3335p+0, 0x1.b61299ab8cdb7p-54,
      0x1.02c9a3e778061p+0, -0x1.19083535b085dp-56,
      0x1.04315e86e7f85p+0, -0x1.0a31c1977c96ep-54,
      0x1.059b0d3158574p+0, 0x1.d73e2a475b465p-55,
      0x1.0706b29ddf6dep+0, -0x1.c91dfe2b13c27p-55,
      0x1.0874518759bc8p+0, 0x1.186be4bb284ffp-57,
      0x1.09e3ecac6f383p+0, 0x1.1487818316136p-54,
      0x1.0b5586cf9890fp+0, 0x1.8a62e4adc610bp-54,
      0x1.0cc922b7247f7p+0, 0x1.01edc16e24f71p-54,
      0x1.0e3ec32d3d1a2p+0, 0x1.03a1727c57b53p-59,
      0x1.0fb66affed31bp+0, -0x1.b9bedc44ebd7bp-57,
      0x1.11301d0125b51p+0, -0x1.6c51039449b3ap-54,
      0x1.12abdc06c31ccp+0, -0x1.1b514b36ca5c7p-58,
      0x1.1429aaea92de0p+0, -0x1.32fbf9af1369ep-54,
      0x1.15a98c8a58e51p+0, 0x1.2406ab9eeab0ap-55,
      0x1.172b83c7d517bp+0, -0x1.19041b9d78a76p-55,
      0x1.18af9388c8deap+0, -0x1.11023d1970f6cp-54,
      0x1.1a35beb6fcb75p+0, 0x1.e5b4c7b4968e4p-55,
      0x1.1bbe084045cd4p+0, -0x1.95386352ef607p-54,
      0x1.1d4873168b9aap+0, 0x1.e016e00a2643cp-54,
      0x1.1ed5022fcd91dp+0, -0x1.1df98027bb78cp-54,
      0x1.2063b88628cd6p+0, 0x1.dc775814a8495p-55,
      0x1.21f49917ddc96p+0, 0x1.2a97e9494a5eep-55,
      0x1.2387a6e756238p+0, 0x1.9b07eb6c70573p-54,
      0x1.251ce4fb2a63fp+0, 0x1.ac155bef4f4a4p-55,
      0x1.26b4565e27cddp+0, 0x1.2bd339940e9d9p-55,
      0x1.284dfe1f56381p+0, -0x1.a4c3a8c3f0d7ep-54,
      0x1.29e9df51fdee1p+0, 0x1.612e8afad1255p-55,
      0x1.2b87fd0dad990p+0, -0x1.10adcd6381aa4p-59,
      0x1.2d285a6e4030bp+0, 0x1.0024754db41d5p-54,
      0x1.2ecafa93e2f56p+0, 0x1.1ca0f45d52383p-56,
      0x1.306fe0a31b715p+0, 0x1.6f46ad23182e4p-55,
      0x1.32170fc4cd831p+0, 0x1.a9ce78e18047cp-55,
      0x1.33c08b26416ffp+0, 0x1.32721843659a6p-54,
      0x1.356c55f929ff1p+0, -0x1.b5cee5c4e4628p-55,
      0x1.371a7373aa9cbp+0, -0x1.63aeabf42eae2p-54,
      0x1.38cae6d05d866p+0, -0x1.e958d3c9904bdp-54,
      0x1.3a7db34e59ff7p+0, -0x1.5e436d661f5e3p-56,
      0x1.3c32dc313a8e5p+0, -0x1.efff8375d29c3p-54,
      0x1.3dea64c123422p+0, 0x1.ada0911f09ebcp-55,
      0x1.3fa4504ac801cp+0, -0x1.7d023f956f9f3p-54,
      0x1.4160a21f72e2ap+0, -0x1.ef3691c309278p-58,
      0x1.431f5d950a897p+0, -0x1.1c7dde35f7999p-55,
      0x1.44e086061892dp+0, 0x1.89b7a04ef80d0p-59,
      0x1.46a41ed1d0057p+0, 0x1.c944bd1648a76p-54,
      0x1.486a2b5c13cd0p+0, 0x1.3c1a3b69062f0p-56,
      0x1.4a32af0d7d3dep+0, 0x1.9cb62f3d1be56p-54,
      0x1.4bfdad5362a27p+0, 0x1.d4397afec42e2p-56,
      0x1.4dcb299fddd0dp+0, 0x1.8ecdbbc6a7833p-54,
      0x1.4f9b2769d2ca7p+0, -0x1.4b309d25957e3p-54,
      0x1.516daa2cf6642p+0, -0x1.f768569bd93efp-55,
      0x1.5342b569d4f82p+0, -0x1.07abe1db13cadp-55,
      0x1.551a4ca5d920fp+0, -0x1.d689cefede59bp-55,
      0x1.56f4736b527dap+0, 0x1.9bb2c011d93adp-54,
      0x1.58d12d497c7fdp+0, 0x1.295e15b9a1de8p-55,
      0x1.5ab07dd485429p+0, 0x1.6324c054647adp-54,
      0x1.5c9268a5946b7p+0, 0x1.c4b1b816986a2p-60,
      0x1.5e76f15ad2148p+0, 0x1.ba6f93080e65ep-54,
      0x1.605e1b976dc09p+0, -0x1.3e2429b56de47p-54,
      0x1.6247eb03a5585p+0, -0x1.383c17e40b497p-54,
      0x1.6434634ccc320p+0, -0x1.c483c759d8933p-55,
      0x1.6623882552225p+0, -0x1.bb60987591c34p-54,
      0x1.68155d44ca973p+0, 0x1.038ae44f73e65p-57,
      0x1.6a09e667f3bcdp+0, -0x1.bdd3413b26456p-54,
      0x1.6c012750bdabfp+0, -0x1.2895667ff0b0dp-56,
      0x1.6dfb23c651a2fp+0, -0x1.bbe3a683c88abp-57,
      0x1.6ff7df9519484p+0, -0x1.83c0f25860ef6p-55,
      0x1.71f75e8ec5f74p+0, -0x1.16e4786887a99p-55,
      0x1.73f9a48a58174p+0, -0x1.0a8d96c65d53cp-54,
      0x1.75feb564267c9p+0, -0x1.0245957316dd3p-54,
      0x1.780694fde5d3fp+0, 0x1.866b80a02162dp-54,
      0x1.7a11473eb0187p+0, -0x1.41577ee04992fp-55,
      0x1.7c1ed0130c132p+0, 0x1.f124cd1164dd6p-54,
      0x1.7e2f336cf4e62p+0, 0x1.05d02ba15797ep-56,
      0x1.80427543e1a12p+0, -0x1.27c86626d972bp-54,
      0x1.82589994cce13p+0, -0x1.d4c1dd41532d8p-54,
      0x1.8471a4623c7adp+0, -0x1.8d684a341cdfbp-55,
      0x1.868d99b4492edp+0, -0x1.fc6f89bd4f6bap-54,
      0x1.88ac7d98a6699p+0, 0x1.994c2f37cb53ap-54,
      0x1.8ace5422aa0dbp+0, 0x1.6e9f156864b27p-54,
      0x1.8cf3216b5448cp+0, -0x1.0d55e32e9e3aap-56,
      0x1.8f1ae99157736p+0, 0x1.5cc13a2e3976cp-55,
      0x1.9145b0b91ffc6p+0, -0x1.dd6792e582524p-54,
      0x1.93737b0cdc5e5p+0, -0x1.75fc781b57ebcp-57,
      0x1.95a44cbc8520fp+0, -0x1.64b7c96a5f039p-56,
      0x1.97d829fde4e50p+0, -0x1.d185b7c1b85d1p-54,
      0x1.9a0f170ca07bap+0, -0x1.173bd91cee632p-54,
      0x1.9c49182a3f090p+0, 0x1.c7c46b071f2bep-56,
      0x1.9e86319e32323p+0, 0x1.824ca78e64c6ep-56,
      0x1.a0c667b5de565p+0, -0x1.359495d1cd533p-54,
      0x1.a309bec4a2d33p+0, 0x1.6305c7ddc36abp-54,
      0x1.a5503b23e255dp+0, -0x1.d2f6edb8d41e1p-54,
      0x1.a799e1330b358p+0, 0x1.bcb7ecac563c7p-54,
      0x1.a9e6b5579fdbfp+0, 0x1.0fac90ef7fd31p-54,
      0x1.ac36bbfd3f37ap+0, -0x1.f9234cae76cd0p-55,
      0x1.ae89f995ad3adp+0, 0x1.7a1cd345dcc81p-54,
      0x1.b0e07298db666p+0, -0x1.bdef54c80e425p-54,
      0x1.b33a2b84f15fbp+0, -0x1.2805e3084d708p-57,
      0x1.b59728de5593ap+0, -0x1.c71dfbbba6de3p-54,
      0x1.b7f76f2fb5e47p+0, -0x1.5584f7e54ac3bp-56,
      0x1.ba5b030a1064ap+0, -0x1.efcd30e54292ep-54,
      0x1.bcc1e904bc1d2p+0, 0x1.23dd07a2d9e84p-55,
      0x1.bf2c25bd71e09p+0, -0x1.efdca3f6b9c73p-54,
      0x1.c199bdd85529cp+0, 0x1.11065895048ddp-55,
      0x1.c40ab5fffd07ap+0, 0x1.b4537e083c60ap-54,
      0x1.c67f12e57d14bp+0, 0x1.2884dff483cadp-54,
      0x1.c8f6d9406e7b5p+0, 0x1.1acbc48805c44p-56,
      0x1.cb720dcef9069p+0, 0x1.503cbd1e949dbp-56,
      0x1.cdf0b555dc3fap+0, -0x1.dd83b53829d72p-55,
      0x1.d072d4a07897cp+0, -0x1.cbc3743797a9cp-54,
      0x1.d2f87080d89f2p+0, -0x1.d487b719d8578p-54,
      0x1.d5818dcfba487p+0, 0x1.2ed02d75b3707p-55,
      0x1.d80e316c98398p+0, -0x1.11ec18beddfe8p-54,
      0x1.da9e603db3285p+0, 0x1.c2300696db532p-54,
      0x1.dd321f301b460p+0, 0x1.2da5778f018c3p-54,
      0x1.dfc97337b9b5fp+0, -0x1.1a5cd4f184b5cp-54,
      0x1.e264614f5a129p+0, -0x1.7b627817a1496p-54,
      0x1.e502ee78b3ff6p+0, 0x1.39e8980a9cc8fp-55,
      0x1.e7a51fbc74c83p+0, 0x1.2d522ca0c8de2p-54,
      0x1.ea4afa2a490dap+0, -0x1.e9c23179c2893p-54,
      0x1.ecf482d8e67f1p+0, -0x1.c93f3b411ad8cp-54,
      0x1.efa1bee615a27p+0, 0x1.dc7f486a4b6b0p-54,
      0x1.f252b376bba97p+0, 0x1.3a1a5bf0d8e43p-54,
      0x1.f50765b6e4540p+0, 0x1.9d3e12dd8a18bp-54,
      0x1.f7bfdad9cbe14p+0, -0x1.dbb12d006350ap-54,
      0x1.fa7c1819e90d8p+0, 0x1.74853f3a5931ep-55,
      0x1.fd3c22b8f71f1p+0, 0x1.2eb74966579e7p-57,
  };
  return t;
}
constexpr double kInvFact2 = 0x1.0000000000000p-1;  // RN(1/2!)
constexpr double kInvFact3 = 0x1.5555555555555p-3;  // RN(1/3!)
constexpr double kInvFact4 = 0x1.5555555555555p-5;  // RN(1/4!)
constexpr double kInvFact5 = 0x1.1111111111111p-7;  // RN(1/5!)
constexpr double kInvFact6 = 0x1.6c16c16c16c17p-10;  // RN(1/6!)
constexpr double kInvFact7 = 0x1.a01a01a01a01ap-13;  // RN(1/7!)
constexpr double kInvFact8 = 0x1.a01a01a01a01ap-16;  // RN(1/8!)
constexpr double kInvFact9 = 0x1.71de3a556c734p-19;  // RN(1/9!)
constexpr double kInvFact10 = 0x1.27e4fb7789f5cp-22;  // RN(1/10!)
constexpr double kInvFact11 = 0x1.ae64567f544e4p-26;  // RN(1/11!)
constexpr double kInvFact12 = 0x1.1eed8eff8d898p-29;  // RN(1/12!)
// log: |r| <= kLogRMax = 0.0058441162109375 (= 2^-7.419) over all buckets.
constexpr double kLogRMax = 0x1.7f00000000000p-8;  // max |m*inv_i - 1|
constexpr double kLogTrunc = 0x1.6712d5a1432bfp-63;  // R^8/(9(1-R)) rounded up = 2^-62.51: log1p truncation / |r|
// inv_i (8 fractional bits), i = 0..127
ROUNDOFF_HD inline const double* log_inv_table() {
  static constexpr double t[128] = {
      0x1.0000000000000p+0, 0x1.fc00000000000p-1, 0x1.f800000000000p-1, 0x1.f400000000000p-1,
      0x1.f000000000000p-1, 0x1.ec00000000000p-1, 0x1.ea00000000000p-1, 0x1.e600000000000p-1,
      0x1.e200000000000p-1, 0x1.de00000000000p-1, 0x1.da00000000000p-1, 0x1.d800000000000p-1,
      0x1.d400000000000p-1, 0x1.d000000000000p-1, 0x1.ce00000000000p-1, 0x1.ca00000000000p-1,
      0x1.c800000000000p-1, 0x1.c400000000000p-1, 0x1.c000000000000p-1, 0x1.be00000000000p-1,
      0x1.ba00000000000p-1, 0x1.b800000000000p-1, 0x1.b400000000000p-1, 0x1.b200000000000p-1,
      0x1.b000000000000p-1, 0x1.ac00000000000p-1, 0x1.aa00000000000p-1, 0x1.a600000000000p-1,
      0x1.a400000000000p-1, 0x1.a200000000000p-1, 0x1.9e00000000000p-1, 0x1.9c00000000000p-1,
      0x1.9a00000000000p-1, 0x1.9800000000000p-1, 0x1.9400000000000p-1, 0x1.9200000000000p-1,
      0x1.9000000000000p-1, 0x1.8e00000000000p-1, 0x1.8a00000000000p-1, 0x1.8800000000000p-1,
      0x1.8600000000000p-1, 0x1.8400000000000p-1, 0x1.8200000000000p-1, 0x1.8000000000000p-1,
      0x1.7e00000000000p-1, 0x1.7a00000000000p-1, 0x1.7800000000000p-1, 0x1.7600000000000p-1,
      0x1.7400000000000p-1, 0x1.7200000000000p-1, 0x1.7000000000000p-1, 0x1.6e00000000000p-1,
      0x1.6c00000000000p-1, 0x1.6a00000000000p-1, 0x1.6800000000000p-1, 0x1.6600000000000p-1,
      0x1.6400000000000p-1, 0x1.6200000000000p-1, 0x1.6000000000000p-1, 0x1.5e00000000000p-1,
      0x1.5c00000000000p-1, 0x1.5a00000000000p-1, 0x1.5800000000000p-1, 0x1.5800000000000p-1,
      0x1.5600000000000p-1, 0x1.5400000000000p-1, 0x1.5200000000000p-1, 0x1.5000000000000p-1,
      0x1.4e00000000000p-1, 0x1.4c00000000000p-1, 0x1.4a00000000000p-1, 0x1.4a00000000000p-1,
      0x1.4800000000000p-1, 0x1.4600000000000p-1, 0x1.4400000000000p-1, 0x1.4200000000000p-1,
      0x1.4200000000000p-1, 0x1.4000000000000p-1, 0x1.3e00000000000p-1, 0x1.3c00000000000p-1,
      0x1.3c00000000000p-1, 0x1.3a00000000000p-1, 0x1.3800000000000p-1, 0x1.3600000000000p-1,
      0x1.3600000000000p-1, 0x1.3400000000000p-1, 0x1.3200000000000p-1, 0x1.3000000000000p-1,
      0x1.3000000000000p-1, 0x1.2e00000000000p-1, 0x1.2c00000000000p-1, 0x1.2c00000000000p-1,
      0x1.2a00000000000p-1, 0x1.2800000000000p-1, 0x1.2800000000000p-1, 0x1.2600000000000p-1,
      0x1.2400000000000p-1, 0x1.2400000000000p-1, 0x1.2200000000000p-1, 0x1.2000000000000p-1,
      0x1.2000000000000p-1, 0x1.1e00000000000p-1, 0x1.1c00000000000p-1, 0x1.1c00000000000p-1,
      0x1.1a00000000000p-1, 0x1.1a00000000000p-1, 0x1.1800000000000p-1, 0x1.1600000000000p-1,
      0x1.1600000000000p-1, 0x1.1400000000000p-1, 0x1.1400000000000p-1, 0x1.1200000000000p-1,
      0x1.1200000000000p-1, 0x1.1000000000000p-1, 0x1.0e00000000000p-1, 0x1.0e00000000000p-1,
      0x1.0c00000000000p-1, 0x1.0c00000000000p-1, 0x1.0a00000000000p-1, 0x1.0a00000000000p-1,
      0x1.0800000000000p-1, 0x1.0800000000000p-1, 0x1.0600000000000p-1, 0x1.0600000000000p-1,
      0x1.0400000000000p-1, 0x1.0400000000000p-1, 0x1.0200000000000p-1, 0x1.0200000000000p-1,
  };
  return t;
}
// -log(inv_i) = t[2i] + t[2i+1] (+ < 2^-106 |.|)
ROUNDOFF_HD inline const double* log_neg_ln_inv_table() {
  static constexpr double t[256] = {
      0.0, 0.0,
      0x1.010157588de71p-7, 0x1.46662d417ced0p-62,
      0x1.0205658935847p-6, 0x1.27c8e8416e71fp-60,
      0x1.8492528c8cabfp-6, -0x1.d192d0619fa67p-60,
      0x1.0415d89e74444p-5, 0x1.c05cf1d753622p-59,
      0x1.466aed42de3eap-5, -0x1.cdd6f7f4a137ep-59,
      0x1.67c94f2d4bb58p-5, 0x1.0413e6505e603p-59,
      0x1.aaef2d0fb10fcp-5, 0x1.a353bb42e0addp-61,
      0x1.eea31c006b87cp-5, -0x1.3e4fc93b7b66cp-59,
      0x1.1973bd1465567p-4, -0x1.7558367a6acf6p-59,
      0x1.3bdf5a7d1ee64p-4, 0x1.7a976d3b5b45fp-59,
      0x1.4d3115d207eacp-4, 0x1.769f42c7842ccp-58,
      0x1.700d30aeac0e1p-4, -0x1.72566212cdd05p-61,
      0x1.9335e5d594989p-4, -0x1.478a85704ccb7p-58,
      0x1.a4e7640b1bc38p-4, -0x1.5b5ca203e4259p-58,
      0x1.c885801bc4b23p-4, 0x1.a38cb559a6706p-58,
      0x1.da727638446a2p-4, 0x1.401fa71733019p-58,
      0x1.fe89139dbd566p-4, -0x1.ac9f4215f9393p-58,
      0x1.1178e8227e47cp-3, -0x1.0e63a5f01c691p-58,
      0x1.1aa2b7e23f72ap-3, -0x1.c6ef1d9b2ef7ep-59,
      0x1.2d1610c86813ap-3, -0x1.499a3f25af95fp-58,
      0x1.365fcb0159016p-3, 0x1.7d411a5b944adp-58,
      0x1.4913d8333b561p-3, -0x1.0d5604930f135p-58,
      0x1.527e5e4a1b58dp-3, -0x1.71a9682395bfdp-61,
      0x1.5bf406b543db2p-3, -0x1.1f5b44c0df7e7p-61,
      0x1.6f0128b756abcp-3, -0x1.8de59c21e166cp-57,
      0x1.7898d85444c73p-3, 0x1.ef8f6ebcfb201p-58,
      0x1.8beafeb38fe8cp-3, 0x1.55aa8b6997a40p-58,
      0x1.95a5adcf7017fp-3, 0x1.142c507fb7a3dp-58,
      0x1.9f6c407089664p-3, 0x1.35a19605e67efp-59,
      0x1.b31d8575bce3dp-3, -0x1.6353ab386a94dp-57,
      0x1.bd087383bd8adp-3, 0x1.dd355f6a516d7p-60,
      0x1.c6ffbc6f00f71p-3, -0x1.8e58b2c57a4a5p-57,
      0x1.d1037f2655e7bp-3, 0x1.60629242471a2p-57,
      0x1.e530effe71012p-3, 0x1.2276041f43042p-59,
      0x1.ef5ade4dcffe6p-3, -0x1.08ab2ddc708a0p-58,
      0x1.f991c6cb3b379p-3, 0x1.f665066f980a2p-57,
      0x1.01eae5626c691p-2, -0x1.18290bd2932e2p-59,
      0x1.0c42d676162e3p-2, 0x1.162c79d5d11eep-58,
      0x1.1178e8227e47cp-2, -0x1.0e63a5f01c691p-57,
      0x1.16b5ccbacfb73p-2, 0x1.66fbd28b40935p-56,
      0x1.1bf99635a6b95p-2, -0x1.12aeb84249223p-57,
      0x1.214456d0eb8d4p-2, 0x1.f7ae91aeba60ap-57,
      0x1.269621134db92p-2, 0x1.e0efadd9db02bp-56,
      0x1.2bef07cdc9354p-2, -0x1.82dad7fd86088p-56,
      0x1.36b6776be1117p-2, -0x1.324f0e883858ep-58,
      0x1.3c25277333184p-2, -0x1.2ad27e50a8ec6p-56,
      0x1.419b423d5e8c7p-2, 0x1.0dbb243827392p-57,
      0x1.4718dc271c41bp-2, 0x1.8fb4c14c56eefp-60,
      0x1.4c9e09e172c3cp-2, -0x1.123615b147a5dp-58,
      0x1.522ae0738a3d8p-2, -0x1.8f7e9b38a6979p-57,
      0x1.57bf753c8d1fbp-2, -0x1.0908d15f88b63p-57,
      0x1.5d5bddf595f30p-2, -0x1.6541148cbb8a2p-56,
      0x1.630030b3aac49p-2, 0x1.dc18ce51fff99p-57,
      0x1.68ac83e9c6a14p-2, 0x1.a64eadd740178p-58,
      0x1.6e60ee6af1972p-2, 0x1.657c222d868cdp-58,
      0x1.741d876c67bb1p-2, 0x1.84a4ee3059583p-56,
      0x1.79e26687cfb3ep-2, -0x1.c168817443f22p-56,
      0x1.7fafa3bd8151cp-2, -0x1.219024acd3b77p-58,
      0x1.85855776dcbfbp-2, -0x1.486666443b153p-56,
      0x1.8b639a88b2df5p-2, -0x1.70f2f38238303p-56,
      0x1.914a8635bf68ap-2, -0x1.ad4bb98c1f2c5p-56,
      0x1.973a3431356aep-2, -0x1.89d2816cf838fp-57,
      0x1.973a3431356aep-2, -0x1.89d2816cf838fp-57,
      0x1.9d32bea15ed3bp-2, 0x1.87bcbcfd3e187p-59,
      0x1.a33440224fa79p-2, -0x1.ba8062860ae23p-57,
      0x1.a93ed3c8ad9e3p-2, 0x1.bcafa9de97203p-56,
      0x1.af5295248cdd0p-2, 0x1.9d56c45dd3e86p-56,
      0x1.b56fa04462909p-2, 0x1.494b610665378p-56,
      0x1.bb9611b80e2fbp-2, 0x1.6fd02999b21e1p-59,
      0x1.c1c60693fa39ep-2, -0x1.bfc00b8f3feaap-56,
      0x1.c1c60693fa39ep-2, -0x1.bfc00b8f3feaap-56,
      0x1.c7ff9c74554c9p-2, 0x1.223eadb651b4ap-57,
      0x1.ce42f18064743p-2, 0x1.0798270b29f39p-56,
      0x1.d490246defa6bp-2, 0x1.d7f4d3b3d406bp-56,
      0x1.dae75484c9616p-2, -0x1.0b5837185a661p-56,
      0x1.dae75484c9616p-2, -0x1.0b5837185a661p-56,
      0x1.e148a1a2726cep-2, -0x1.ac81cc8a4dfb8p-56,
      0x1.e7b42c3ddad73p-2, 0x1.57d646a17bc6ap-56,
      0x1.ee2a156b413e5p-2, -0x1.74b71fb5e57e3p-62,
      0x1.ee2a156b413e5p-2, -0x1.74b71fb5e57e3p-62,
      0x1.f4aa7ee03192dp-2, -0x1.0d487f5aba5e5p-57,
      0x1.fb358af7a4884p-2, 0x1.7e8f05924d259p-57,
      0x1.00e5ae5b207abp-1, 0x1.1713a36138e19p-57,
      0x1.00e5ae5b207abp-1, 0x1.1713a36138e19p-57,
      0x1.04360be7603adp-1, -0x1.17f9e54e78104p-57,
      0x1.078bf0533c568p-1, 0x1.2241edf5fd1f7p-57,
      0x1.0ae76e2d054fap-1, 0x1.0d710fcfc4e0dp-55,
      0x1.0ae76e2d054fap-1, 0x1.0d710fcfc4e0dp-55,
      0x1.0e4898611cce1p-1, 0x1.3300f002e836ep-55,
      0x1.11af823c75aa8p-1, -0x1.91eee7772c7c2p-55,
      0x1.11af823c75aa8p-1, -0x1.91eee7772c7c2p-55,
      0x1.151c3f6f29612p-1, 0x1.342eb628dba17p-56,
      0x1.188ee40f23ca6p-1, 0x1.89df1568ca0b0p-55,
      0x1.188ee40f23ca6p-1, 0x1.89df1568ca0b0p-55,
      0x1.1c07849ae6007p-1, 0x1.59bddae1ccce2p-56,
      0x1.1f8635fc61659p-1, -0x1.2164ff40e9817p-56,
      0x1.1f8635fc61659p-1, -0x1.2164ff40e9817p-56,
      0x1.230b0d8bebc98p-1, -0x1.fcc8dbccc25cbp-57,
      0x1.269621134db92p-1, 0x1.e0efadd9db02bp-55,
      0x1.269621134db92p-1, 0x1.e0efadd9db02bp-55,
      0x1.2a2786d0ec107p-1, -0x1.6a0c343be95dcp-56,
      0x1.2dbf557b0df43p-1, -0x1.b941ee770436bp-56,
      0x1.2dbf557b0df43p-1, -0x1.b941ee770436bp-56,
      0x1.315da4434068bp-1, 0x1.6c3a5f12642c9p-57,
      0x1.315da4434068bp-1, 0x1.6c3a5f12642c9p-57,
      0x1.35028ad9d8c86p-1, -0x1.f01ab6065515cp-56,
      0x1.38ae2171976e7p-1, 0x1.21512aa596ea3p-55,
      0x1.38ae2171976e7p-1, 0x1.21512aa596ea3p-55,
      0x1.3c6080c36bfb5p-1, 0x1.1930603d87b6ep-56,
      0x1.3c6080c36bfb5p-1, 0x1.1930603d87b6ep-56,
      0x1.4019c2125ca93p-1, 0x1.86cf0f38b461ap-57,
      0x1.4019c2125ca93p-1, 0x1.86cf0f38b461ap-57,
      0x1.43d9ff2f923c5p-1, -0x1.84f481051f71ap-56,
      0x1.47a1527e8a2d3p-1, 0x1.2541aca7d5844p-55,
      0x1.47a1527e8a2d3p-1, 0x1.2541aca7d5844p-55,
      0x1.4b6fd6f970c1fp-1, 0x1.c457b531506f6p-55,
      0x1.4b6fd6f970c1fp-1, 0x1.c457b531506f6p-55,
      0x1.4f45a835a4e19p-1, 0x1.d749362382a77p-56,
      0x1.4f45a835a4e19p-1, 0x1.d749362382a77p-56,
      0x1.5322e26867857p-1, 0x1.988ba4aea614dp-56,
      0x1.5322e26867857p-1, 0x1.988ba4aea614dp-56,
      0x1.5707a26bb8c66p-1, 0x1.80bff3303dd48p-55,
      0x1.5707a26bb8c66p-1, 0x1.80bff3303dd48p-55,
      0x1.5af405c3649e0p-1, -0x1.6714fbcd8135bp-55,
      0x1.5af405c3649e0p-1, -0x1.6714fbcd8135bp-55,
      0x1.5ee82aa241920p-1, 0x1.1c066d235ee63p-56,
      0x1.5ee82aa241920p-1, 0x1.1c066d235ee63p-56,
  };
  return t;
}
// -log2(inv_i) = t[2i] + t[2i+1] (+ < 2^-106 |.|)
ROUNDOFF_HD inline const double* log_neg_log2_inv_table() {
  static constexpr double t[256] = {
      0.0, 0.0,
      0x1.72c7ba20f7327p-7, 0x1.6d746128b1857p-61,
      0x1.743ee861f3556p-6, 0x1.b2a41b08fbe06p-61,
      0x1.184b8e4c56af8p-5, 0x1.491f06c085bc2p-60,
      0x1.77394c9d958d5p-5, 0x1.77970e03f821cp-59,
      0x1.d6ebd1f1febfep-5, 0x1.155660710eb2ap-63,
      0x1.0387efbca869ep-4, -0x1.7de9078d157a3p-58,
      0x1.33f7cde14cf5ap-4, -0x1.e20375a3220bap-60,
      0x1.64ce26c067157p-4, -0x1.2f06f5b695b1dp-58,
      0x1.960caf9abb7cap-4, -0x1.21ba488a62577p-60,
      0x1.c7b528b70f1c5p-4, -0x1.7936311889913p-62,
      0x1.e0b1ae8f2fd56p-4, 0x1.92ce9636c90a0p-58,
      0x1.097e38ce60649p-3, 0x1.5d243efd93259p-58,
      0x1.22dadc2ab3497p-3, -0x1.696e2866c718ep-58,
      0x1.2f9e32d5bfdd1p-3, -0x1.978b98f7dedf9p-57,
      0x1.494f863b8df35p-3, -0x1.1562d61af73f8p-57,
      0x1.563dc29ffacb2p-3, 0x1.90e41bca6ef96p-60,
      0x1.7046031c79f85p-3, -0x1.0798d1aa21694p-57,
      0x1.8a8980abfbd32p-3, 0x1.99aa6df8b7d83p-57,
      0x1.97c1cb13c7ec1p-3, -0x1.e95734abd2fccp-57,
      0x1.b2602497d5346p-3, -0x1.cc865b3dd0dbbp-57,
      0x1.bfc67a7fff4ccp-3, 0x1.bc0af7b82e7d7p-61,
      0x1.dac22d3e441d3p-3, -0x1.ba8b1f646ab12p-63,
      0x1.e857d3d361368p-3, -0x1.086fce864a1f6p-57,
      0x1.f5fd8a9063e35p-3, -0x1.bdc0426c3c274p-57,
      0x1.08bce0d95fa38p-2, -0x1.3d56efe4338fep-58,
      0x1.0fa848044b351p-2, 0x1.0de07b685556fp-59,
      0x1.1d982c9d52708p-2, 0x1.ae9804237ec8ep-57,
      0x1.249cd2b13cd6cp-2, 0x1.34107c0e54aedp-56,
      0x1.2baa0c34be1ecp-2, -0x1.0132ae5e417cdp-58,
      0x1.39de8e1559f6fp-2, 0x1.fcad2f4710e00p-56,
      0x1.4106017c3eca3p-2, -0x1.c658d602e66b0p-56,
      0x1.48365e695d797p-2, -0x1.5759f8091112dp-56,
      0x1.4f6fbb2cec598p-2, 0x1.e393a16b94b52p-56,
      0x1.5dfdcf1eeae0ep-2, 0x1.10b5b643a6ecbp-56,
      0x1.6552b49986277p-2, 0x1.ac9080333c605p-56,
      0x1.6cb0f6865c8eap-2, 0x1.b6d40900b2502p-61,
      0x1.7418acebbf18fp-2, -0x1.26bfff0133975p-56,
      0x1.8304d90c11fd3p-2, 0x1.51d58525aad39p-57,
      0x1.8a8980abfbd32p-2, 0x1.99aa6df8b7d83p-56,
      0x1.921800924dd3bp-2, 0x1.fdc46af571993p-56,
      0x1.99b072a96c6b2p-2, 0x1.bca36fd02def0p-56,
      0x1.a152f142981b4p-2, -0x1.4278cd1699312p-57,
      0x1.a8ff971810a5ep-2, 0x1.817fd3b7d7e5dp-58,
      0x1.b0b67f4f46810p-2, -0x1.5e13b838eba7dp-59,
      0x1.c043859e2fdb3p-2, 0x1.edf515c63dd87p-56,
      0x1.c819dc2d45fe4p-2, 0x1.c4aec56233279p-57,
      0x1.cffae611ad12bp-2, 0x1.8a38b4175d665p-56,
      0x1.d7e6c0abc3579p-2, -0x1.e15a52a31604ap-57,
      0x1.dfdd89d586e2bp-2, 0x1.38c8946414c6ap-59,
      0x1.e7df5fe538ab3p-2, 0x1.3bed456b24ed1p-56,
      0x1.efec61b011f85p-2, 0x1.6d261f1753e0bp-56,
      0x1.f804ae8d0cd02p-2, -0x1.9ca1a3202b3d7p-56,
      0x1.0014332be0033p-1, -0x1.7398fe685f171p-55,
      0x1.042bd4b9a7c99p-1, -0x1.9c32630008a1fp-55,
      0x1.08494c66b8ef0p-1, -0x1.f47806a0e4105p-56,
      0x1.0c6caaf0c5597p-1, -0x1.8a33c25e8e226p-59,
      0x1.1096015dee4dap-1, -0x1.3aec658457c41p-56,
      0x1.14c560fe68af9p-1, -0x1.fc7d7c3320aabp-55,
      0x1.18fadb6e2d3c2p-1, -0x1.92ba145dcf40bp-55,
      0x1.1d368296b5255p-1, -0x1.f9fb952bbbcccp-56,
      0x1.217868b0c37e8p-1, -0x1.568859c64022ep-55,
      0x1.25c0a0463beb0p-1, -0x1.4828ddf1fb145p-55,
      0x1.25c0a0463beb0p-1, -0x1.4828ddf1fb145p-55,
      0x1.2a0f3c340705cp-1, -0x1.c348e4aab18b8p-55,
      0x1.2e644fac04fd8p-1, -0x1.3af881af2f3d9p-55,
      0x1.32bfee370ee68p-1, 0x1.968925e378d68p-55,
      0x1.37222bb70747cp-1, -0x1.69656a0ad70d4p-55,
      0x1.3b8b1c68fa6edp-1, 0x1.6d266d6cdc959p-56,
      0x1.3ffad4e74f1d6p-1, -0x1.9575b04fa6fbdp-57,
      0x1.44716a2c08262p-1, 0x1.b90132aeddb58p-58,
      0x1.44716a2c08262p-1, 0x1.b90132aeddb58p-58,
      0x1.48eef19317991p-1, -0x1.5e35482d13dc1p-56,
      0x1.4d7380dcc422dp-1, -0x1.ca44f1db913d3p-55,
      0x1.51ff2e30214bcp-1, 0x1.817fd3b7d7e5dp-56,
      0x1.5692101d9b4a6p-1, 0x1.04613e33c06c9p-55,
      0x1.5692101d9b4a6p-1, 0x1.04613e33c06c9p-55,
      0x1.5b2c3da19723bp-1, -0x1.fc9257edfe9b6p-55,
      0x1.5fcdce2727ddbp-1, 0x1.149a1977b5b99p-55,
      0x1.6476d98ad990ap-1, -0x1.b32266d92c0fep-55,
      0x1.6476d98ad990ap-1, -0x1.b32266d92c0fep-55,
      0x1.6927781d932a8p-1, 0x1.21d90b84e7218p-55,
      0x1.6ddfc2a78fc63p-1, 0x1.f6e91ad16ecffp-56,
      0x1.729fd26b707c8p-1, -0x1.4a31ce1b7e328p-56,
      0x1.729fd26b707c8p-1, -0x1.4a31ce1b7e328p-56,
      0x1.7767c12967a45p-1, 0x1.a7b47d2c352d9p-57,
      0x1.7c37a9227e7fbp-1, 0x1.21f9cb2cc5575p-55,
      0x1.810fa51bf65fdp-1, 0x1.dc572667587b1p-55,
      0x1.810fa51bf65fdp-1, 0x1.dc572667587b1p-55,
      0x1.85efd062c656dp-1, -0x1.8f93e7aa3bdf8p-56,
      0x1.8ad846cf369a4p-1, 0x1.b85a54d7ee2fdp-58,
      0x1.8ad846cf369a4p-1, 0x1.b85a54d7ee2fdp-58,
      0x1.8fc924c89ac84p-1, 0x1.bf1d926766301p-55,
      0x1.94c287492c4dbp-1, 0x1.01ee1343fe7cap-59,
      0x1.94c287492c4dbp-1, 0x1.01ee1343fe7cap-59,
      0x1.99c48be2063c8p-1, 0x1.fa0a62e6add1bp-56,
      0x1.9ecf50bf43f13p-1, 0x1.022ddb71189c5p-55,
      0x1.9ecf50bf43f13p-1, 0x1.022ddb71189c5p-55,
      0x1.a3e2f4ac43f60p-1, 0x1.ac7fc60a51031p-56,
      0x1.a8ff971810a5ep-1, 0x1.817fd3b7d7e5dp-57,
      0x1.a8ff971810a5ep-1, 0x1.817fd3b7d7e5dp-57,
      0x1.ae255819f022dp-1, -0x1.3138e941643f7p-55,
      0x1.b35458761d479p-1, 0x1.e0ae0d3f8a58bp-55,
      0x1.b35458761d479p-1, 0x1.e0ae0d3f8a58bp-55,
      0x1.b88cb9a2ab521p-1, 0x1.42b7579f0f8d4p-56,
      0x1.b88cb9a2ab521p-1, 0x1.42b7579f0f8d4p-56,
      0x1.bdce9dcc96187p-1, 0x1.a7610e40bd6abp-57,
      0x1.c31a27dd00b4ap-1, -0x1.0e5edaecee150p-55,
      0x1.c31a27dd00b4ap-1, -0x1.0e5edaecee150p-55,
      0x1.c86f7b7ea4a89p-1, -0x1.31d962d3728ccp-55,
      0x1.c86f7b7ea4a89p-1, -0x1.31d962d3728ccp-55,
      0x1.cdcebd2373995p-1, -0x1.57391924a6d9dp-55,
      0x1.cdcebd2373995p-1, -0x1.57391924a6d9dp-55,
      0x1.d338120a6dd9dp-1, 0x1.8333ac7d9ebbbp-56,
      0x1.d8aba045b01c8p-1, -0x1.6c0268890da53p-55,
      0x1.d8aba045b01c8p-1, -0x1.6c0268890da53p-55,
      0x1.de298ec0bac0dp-1, -0x1.59e7ba5d5ccc9p-55,
      0x1.de298ec0bac0dp-1, -0x1.59e7ba5d5ccc9p-55,
      0x1.e3b20546f554ap-1, 0x1.0b07079619c47p-57,
      0x1.e3b20546f554ap-1, 0x1.0b07079619c47p-57,
      0x1.e9452c8a71028p-1, -0x1.cc4d81bc25adfp-55,
      0x1.e9452c8a71028p-1, -0x1.cc4d81bc25adfp-55,
      0x1.eee32e2aeccbfp-1, -0x1.76c0a2827d49ap-56,
      0x1.eee32e2aeccbfp-1, -0x1.76c0a2827d49ap-56,
      0x1.f48c34bd1e96fp-1, -0x1.314dc4fc42302p-55,
      0x1.f48c34bd1e96fp-1, -0x1.314dc4fc42302p-55,
      0x1.fa406bd2443dfp-1, -0x1.17f8e37b00179p-55,
      0x1.fa406bd2443dfp-1, -0x1.17f8e37b00179p-55,
  };
  return t;
}
constexpr double kLn2Hi42 = 0x1.62e42fefa3800p-1;  // ln2 to 42 bits: e*kLn2Hi42 exact for |e| < 2^11
constexpr double kLn2Lo = 0x1.ef35793c76730p-45;  // RN(ln2 - kLn2Hi42)
constexpr double kLn2 = 0x1.62e42fefa39efp-1;  // RN(ln2)
constexpr double kInvLn2 = 0x1.71547652b82fep+0;  // RN(1/ln2)
constexpr double kLog2eHi = 0x1.71547652b82fep+0;  // RN(log2(e))
constexpr double kLog2eLo = 0x1.777d0ffda0d24p-56;  // RN(log2(e) - kLog2eHi)
constexpr double kLog1pC3 = 0x1.5555555555555p-2;  // RN((-1)^4/3)
constexpr double kLog1pC4 = -0x1.0000000000000p-2;  // RN((-1)^5/4)
constexpr double kLog1pC5 = 0x1.999999999999ap-3;  // RN((-1)^6/5)
constexpr double kLog1pC6 = -0x1.5555555555555p-3;  // RN((-1)^7/6)
constexpr double kLog1pC7 = 0x1.2492492492492p-3;  // RN((-1)^8/7)
constexpr double kLog1pC8 = -0x1.0000000000000p-3;  // RN((-1)^9/8)
constexpr double kTanhC3 = -0x1.5555555555555p-2;  // RN(-1/3)
constexpr double kTanhC5 = 0x1.1111111111111p-3;  // RN(2/15)
constexpr double kTanhC7 = -0x1.ba1ba1ba1ba1cp-5;  // RN(-17/315)
constexpr double kTanhC9 = 0x1.664f4882c10fap-6;  // RN(62/2835)
constexpr double kTanhC11 = -0x1.226e355e6c23dp-7;  // RN(-1382/155925)
constexpr double kTanhC13Abs = 0x1.d6d3d0e159b4dp-9;  // |T_6| rounded up: bounds the Taylor remainder
constexpr double kTwoOverSqrtPiHi = 0x1.20dd750429b6dp+0;  // RN(2/sqrt(pi))
constexpr double kTwoOverSqrtPiLo = 0x1.1ae3a914fed80p-56;  // RN(2/sqrt(pi) - hi)
constexpr double kErfQ1 = -0x1.812746b0379e7p-2;  // RN(2/sqrt(pi) (-1)^1/(1! 3))
constexpr double kErfQ2 = 0x1.ce2f21a042be2p-4;  // RN(2/sqrt(pi) (-1)^2/(2! 5))
constexpr double kErfQ3 = -0x1.b82ce31288b51p-6;  // RN(2/sqrt(pi) (-1)^3/(3! 7))
constexpr double kErfQ4 = 0x1.565bcd0e6a53fp-8;  // RN(2/sqrt(pi) (-1)^4/(4! 9))
constexpr double kErfQ5 = -0x1.c02db40040b86p-11;  // RN(2/sqrt(pi) (-1)^5/(5! 11))
constexpr double kErfQ6 = 0x1.f9a326f9b89b7p-14;  // RN(2/sqrt(pi) (-1)^6/(6! 13))
constexpr double kErfQ7 = -0x1.f4d25c3e0c2ebp-17;  // RN(2/sqrt(pi) (-1)^7/(7! 15))
constexpr double kErfQ8 = 0x1.b9e6c9dc651a3p-20;  // RN(2/sqrt(pi) (-1)^8/(8! 17))
constexpr double kErfQ9 = -0x1.5f742ec43e71ap-23;  // RN(2/sqrt(pi) (-1)^9/(9! 19))
constexpr double kErfQ10 = 0x1.fcc5720624c1cp-27;  // RN(2/sqrt(pi) (-1)^10/(10! 21))
constexpr double kErfQ11 = -0x1.51d7181c5d36dp-30;  // RN(2/sqrt(pi) (-1)^11/(11! 23))
constexpr double kErfQ12 = 0x1.9e6ad5e55a730p-34;  // RN(2/sqrt(pi) (-1)^12/(12! 25))
// erf Taylor remainder for |x| < 1/2 <= 8.863e-20 * c0 |x| (= 2^-63.29)
// erfcx pieces: degree 12; relative error of g = a0h + fma(h, G(h), a0l)
// (Taylor remainder + coefficient rounding + fma-Horner rounding)
// <= kErfcxRelErr over all 91 pieces.
constexpr int kErfcxDeg = 12;
constexpr int kErfcxPieces = 91;
constexpr double kErfcxRelErr = 0x1.51550d0115559p-57;  // 2^-56.60
// piece p = 16 (E + 1) + s: a0h, a0l, a1 .. a12  (14 per piece)
ROUNDOFF_HD inline const double* erfcx_piece_table() {
  static constexpr double t[1274] = {
      0x1.372d2ac7d4210p-1, 0x1.e3494303fe72fp-55, -0x1.00d455ea40ab9p-1, 0x1.657f5cf615912p-2,
      -0x1.b7195532284b1p-3, 0x1.e895a9fe4e5b9p-4, -0x1.f5046564268c0p-5, 0x1.df38b523508f4p-6,
      -0x1.af6450ca569a5p-7, 0x1.7000d84f263b8p-8, -0x1.2b20163e298d5p-9, 0x1.d16a841e98d4ep-11,
      -0x1.5bd36d6622b15p-12, 0x1.f4fd57e3052eep-14, 0x1.2f52603934885p-1, 0x1.6d4cfb3bbaa80p-55,
      -0x1.ebf1a19383f11p-2, 0x1.519c9c15bce8ep-2, -0x1.99bffaf4d62cfp-3, 0x1.c3243aed94b12p-4,
      -0x1.ca39b7bfcc073p-5, 0x1.b275ee3ed9344p-6, -0x1.83ead2f9d795ap-7, 0x1.4863b88e88415p-8,
      -0x1.08ff9b1efe835p-9, 0x1.997c86a017758p-11, -0x1.300535676d892p-12, 0x1.b32422b26a02ap-14,
      0x1.27cc03de97ed3p-1, 0x1.b8730e8f16ce0p-57, -0x1.d76e0b1de786cp-2, 0x1.3f0c694fe6008p-2,
      -0x1.7ea3d2fa48bdfp-3, 0x1.a0e21ca719f32p-4, -0x1.a36a57832b95ep-5, 0x1.8a31d4799477cp-6,
      -0x1.5d1b5b892c317p-7, 0x1.2547ec03edb17p-8, -0x1.d5ebad0010dccp-10, 0x1.68949337decf4p-11,
      -0x1.09f4e4aff0550p-12, 0x1.7a450c26af1e4p-14, 0x1.209571223a4f3p-1, 0x1.2b63b7759b3bdp-55,
      -0x1.c409904d38ba3p-2, 0x1.2db50e55660cfp-2, -0x1.65944f6c3e0dcp-3, 0x1.8183bc44d6498p-4,
      -0x1.8030467ed46bcp-5, 0x1.65f15e62ecc0ep-6, -0x1.3a6e8d69ee0a5p-7, 0x1.0623af4ca639cp-8,
      -0x1.a0ff6e39e9969p-10, 0x1.3dc7a269529fbp-11, -0x1.d1b53e2b609a0p-13, 0x1.491c07eb9e8b0p-14,
      0x1.19aa51afda7c4p-1, -0x1.7892943fca883p-57, -0x1.b1b162be06fcep-2, 0x1.1d7f001df87e8p-2,
      -0x1.4e655e391a652p-3, 0x1.64c50fdf5c143p-4, -0x1.60306505b1712p-5, 0x1.45476a04b6fd4p-6,
      -0x1.1b6d2a5ba33b7p-7, 0x1.d4fce4e6b9686p-9, -0x1.72568304c64a2p-10, 0x1.184a8bf28e508p-11,
      -0x1.98154901927abp-13, 0x1.1e942f01bd23dp-14, 0x1.13069790e7bc7p-1, -0x1.7c6a5d7e4d9f9p-55,
      -0x1.a0541cbb3810ep-2, 0x1.0e54abd405cd8p-2, -0x1.38eef70bb0392p-3, 0x1.4a68c9ac31349p-4,
      -0x1.43193879591c0p-5, 0x1.27d3164491b19p-6, -0x1.ff5c224549855p-8, 0x1.a3dd3905dcb05p-9,
      -0x1.492a80fd9dac9p-10, 0x1.eedb1c4ddc5a2p-12, -0x1.65e279123c995p-13, 0x1.f3815f824ffe3p-15,
      0x1.0ca677c6d71ccp-1, 0x1.c8b00d7f1f86dp-55, -0x1.8fe1a33169da5p-2, 0x1.002248ceefcc1p-2,
      -0x1.250cb55536fe8p-3, 0x1.3237a21df4ed2p-4, -0x1.28a1d6f117d1cp-5, 0x1.0d3e50bc43673p-6,
      -0x1.cda8fcb45bb5bp-8, 0x1.782f38a11e909p-9, -0x1.24ce90b51469bp-10, 0x1.b530f602556bdp-12,
      -0x1.3a1e7c4f84f11p-13, 0x1.b3ada86880e97p-15, 0x1.068665581c141p-1, 0x1.db390cd8d796cp-56,
      -0x1.804b0a5dd4605p-2, 0x1.e5ab5e26a062ep-3, -0x1.129d7d0f87500p-3, 0x1.1bffb64f39042p-4,
      -0x1.1088f363e700cp-5, 0x1.ea79228170850p-7, -0x1.a11d0dd72c379p-8, 0x1.5150776c6e48ap-9,
      -0x1.04ac01c4c34f0p-10, 0x1.828ee4704a829p-12, -0x1.13ee370608301p-13, 0x1.7c51e5a56f568p-15,
      0x1.00a30cc5620a7p-1, 0x1.275070d13ec38p-58, -0x1.71827cf42a9b5p-2, 0x1.ccbc63bfa6ebfp-3,
      -0x1.018329066646ap-3, 0x1.0793f856c09dep-4, -0x1.f5280caa34ed6p-6, 0x1.bf137a7076a14p-7,
      -0x1.792788e82d28cp-8, 0x1.2eb258079557ap-9, -0x1.d07eb05eb5506p-11, 0x1.561026d5876bap-12,
      -0x1.e529768d0adedp-14, 0x1.4c4449860b1eap-15, 0x1.f5f29fbb4f77ap-2, 0x1.5d22a0a7e21cdp-56,
      -0x1.637b257e20349p-2, 0x1.b558fbb59b9b8p-3, -0x1.e3448334b5e1bp-4, 0x1.e9975edd36472p-5,
      -0x1.cd1d1f0db6cefp-6, 0x1.97d25b5254964p-7, -0x1.554859e7e5d5cp-8, 0x1.0fd7877fef032p-9,
      -0x1.9e2b8368c112bp-11, 0x1.2eee2d501a7a3p-12, -0x1.aaddfc27097d2p-14, 0x1.228545706f731p-15,
      0x1.eb0c83d18bb5ap-2, -0x1.0b45221017fa9p-56, -0x1.562919bd97768p-2, 0x1.9f64f501148f0p-3,
      -0x1.c5c3761db7de1p-4, 0x1.c7040c318cda1p-5, -0x1.a892db4eb8dfap-6, 0x1.7449a72e9b120p-7,
      -0x1.350e20187c303p-8, 0x1.e8a39bc8ef4c1p-10, -0x1.7195c89c3d97ep-11, 0x1.0c7c789364a29p-12,
      -0x1.77e05b2d65b53p-14, 0x1.fc72b9dd518adp-16, 0x1.e08e4841757fbp-2, 0x1.d6195a786472ap-56,
      -0x1.498147e024e7cp-2, 0x1.8ac65cf9ab912p-3, -0x1.aa5575224dd3cp-4, 0x1.a72b4949dc404p-5,
      -0x1.873492a0e84d1p-6, 0x1.5418edb64b3edp-7, -0x1.181469b2f2401p-8, 0x1.b7805096ce4eap-10,
      -0x1.4a0df2764e176p-11, 0x1.dc4a1d73279a9p-13, -0x1.4b3d203246aa6p-14, 0x1.bd47ccd211a72p-16,
      0x1.d672c4e59fe39p-2, -0x1.b7a2207c2b1b5p-56, -0x1.3d796557a20e0p-2, 0x1.77654d47271e3p-3,
      -0x1.90d0c27a8706cp-4, 0x1.89d0ad592dfa6p-5, -0x1.68b6220e1a7b9p-6, 0x1.36ea183e883f2p-7,
      -0x1.fc04509771da4p-9, 0x1.8b9a44999fcb1p-10, -0x1.26fa539807ba8p-11, 0x1.a6cadeffe0901p-13,
      -0x1.2421ae75e6e0ap-14, 0x1.864529bf2a556p-16, 0x1.ccb52104ac842p-2, 0x1.2346aeb78c184p-56,
      -0x1.3207df3008c7ap-2, 0x1.652bbe88c8d84p-3, -0x1.790f38f7f5dffp-4, 0x1.6ebd748cfb060p-5,
      -0x1.4cd30864c3783p-6, 0x1.1c703e3e0be62p-7, -0x1.cd10ad0984897p-9, 0x1.645accb9b4b4fp-10,
      -0x1.07d4497c5f539p-11, 0x1.7797eaf7013a5p-13, -0x1.01d7ac1f31849p-14, 0x1.56535780d5defp-16,
      0x1.c350cdce98480p-2, 0x1.27bce60a7f8cbp-57, -0x1.2723cbbed4920p-2, 0x1.54055f396b59bp-3,
      -0x1.62edf64e93c35p-4, 0x1.55bfefaff1dd4p-5, -0x1.334d968790ccap-6, 0x1.04669d4473cfap-7,
      -0x1.a2c191547163ep-9, 0x1.413cfb46a995ap-10, -0x1.d84b910879e82p-12, 0x1.4deb2925d40eep-13,
      -0x1.c7822db504247p-15, 0x1.2c8185aced6dap-16, 0x1.ba4181479341ap-2, 0x1.333329e616a70p-61,
      -0x1.1cc4dd8bbcf21p-2, 0x1.43df6e640a86bp-3, -0x1.4e4d0de6aa0a1p-4, 0x1.3eab031905ab7p-5,
      -0x1.1bee37008ecc5p-6, 0x1.dd1f6011fe5d1p-8, -0x1.7c9a4564de2c6p-9, 0x1.21cb71ea59033p-10,
      -0x1.a70e77b0eeddep-12, 0x1.2917d0bc7d2a9p-13, -0x1.92a9cfeec7a72p-15, 0x1.080008c0f80b4p-16,
      0x1.ad4135f27b3a3p-2, -0x1.39b88b99a8a9fp-57, -0x1.0e1f54cc88b34p-2, 0x1.2d61ccff1c82ap-3,
      -0x1.31ed12ed4fffdp-4, 0x1.1f471e797e856p-5, -0x1.f8f47d7bbc09cp-7, 0x1.a2eae5a995725p-8,
      -0x1.4a3ab5c97a434p-9, 0x1.f1493fdb64cf5p-11, -0x1.6726cd052eb4fp-12, 0x1.f35b96a127900p-14,
      -0x1.4f24a32e03a59p-15, 0x1.b3664351e7938p-17, 0x1.9cf14ccab36fdp-2, 0x1.74459c4dcc530p-57,
      -0x1.f84bf82a7cad5p-3, 0x1.124f8226ee822p-3, -0x1.105c026a8a696p-4, 0x1.f574c352ab41fp-6,
      -0x1.b0c6a99fcb777p-7, 0x1.610ad369b550dp-8, -0x1.11f3224b697f2p-9, 0x1.9673b950ef3e9p-11,
      -0x1.2170df540e5c8p-12, 0x1.8d0ffeb18bd32p-14, -0x1.071516d0bd46fp-15, 0x1.5195f2f485c07p-17,
      0x1.8db3f1deb4eb9p-2, 0x1.cd9f526a9bd2bp-60, -0x1.d78b697b48f51p-3, 0x1.f45d638dbaf79p-4,
      -0x1.e60e752397a52p-5, 0x1.b6ba0faa4e984p-6, -0x1.73de39bb69ee9p-7, 0x1.2a521db7f1cdcp-8,
      -0x1.c7c64a6704e3ap-10, 0x1.4d25986c54c7fp-11, -0x1.d3dd6eb9951c9p-13, 0x1.3ca5bd777f7c5p-14,
      -0x1.9e425900b9527p-16, 0x1.0688bfa70d38ap-17, 0x1.7f70fc8513185p-2, -0x1.73bf8907825afp-58,
      -0x1.b9a4d91890a01p-3, 0x1.c94220e86bdb2p-4, -0x1.b2ac22c7d266bp-5, 0x1.80c2776d4f492p-6,
      -0x1.4055d001f0236p-7, 0x1.f97b21cb02898p-9, -0x1.7c29d1a030d5bp-10, 0x1.11d1a60d64c74p-11,
      -0x1.7b35728e4615dp-13, 0x1.fa7df6e0248ecp-15, -0x1.471bbc1ff8a65p-16, 0x1.998c15a636b74p-18,
      0x1.7212d85c1b672p-2, -0x1.b1cb7386ff51ap-57, -0x1.9e4b134941461p-3, 0x1.a2ab0004b658ep-4,
      -0x1.858ebe10a1387p-5, 0x1.52371c841e216p-6, -0x1.149f19466311bp-7, 0x1.ad5880dd671acp-9,
      -0x1.3def6db5a4abcp-10, 0x1.c3563d2a13398p-12, -0x1.3434fca76805ep-13, 0x1.963a1217ba893p-15,
      -0x1.030949f9e6373p-16, 0x1.406028ef84128p-18, 0x1.65863400bfe56p-2, 0x1.6bead0c0cd79ep-57,
      -0x1.853a509d46459p-3, 0x1.800c175c52ba9p-4, -0x1.5ddb2d1dfc80bp-5, 0x1.29f9aa185a283p-6,
      -0x1.dee495decc924p-8, 0x1.6d97a9feae7d7p-9, -0x1.0a955b08c8624p-10, 0x1.74f6a1a98fb6ep-12,
      -0x1.f65e3b78405f5p-14, 0x1.46b7f5e510249p-15, -0x1.9b6c8eec25211p-17, 0x1.f6aea5049f1e9p-19,
      0x1.59b9baf5fee95p-2, -0x1.aa7f0e4ac24a1p-56, -0x1.6e36ec7993d65p-3, 0x1.60ec72c20bda7p-4,
      -0x1.3ad71f6db401ep-5, 0x1.071a6151d2923p-6, -0x1.9f81d666f309fp-8, 0x1.3811f52f0301ep-9,
      -0x1.c0307b720b418p-11, 0x1.3501d391d619ap-12, -0x1.9a85af70e4d46p-14, 0x1.077e1fd36f719p-15,
      -0x1.47a45ea33dc6ap-17, 0x1.8b7b917ac9ef4p-19, 0x1.4e9dd90ccbffcp-2, -0x1.41773f1d0007dp-57,
      -0x1.590c4cf61f381p-3, 0x1.44e34220344a5p-4, -0x1.1be3c111422ebp-5, 0x1.d1a0015e1ebffp-7,
      -0x1.695668356fa71p-8, 0x1.0b06111e8101bp-9, -0x1.79b22ce25d842p-11, 0x1.00ad4946c5566p-12,
      -0x1.505a8576082bfp-14, 0x1.aa268daafaad8p-16, -0x1.05a370a4ba5d7p-17, 0x1.38035e98026bep-19,
      0x1.442485e2d5deep-2, 0x1.254500bd07ba3p-58, -0x1.458bf413efc16p-3, 0x1.2b957c0e493b4p-4,
      -0x1.00795842a9d57p-5, 0x1.9ce251ecfccf4p-7, -0x1.3aef0fac9cf9fp-8, 0x1.ca08c52236ffbp-10,
      -0x1.3f119be808f71p-11, 0x1.ab7e938920452p-13, -0x1.144cb7df2f4f4p-14, 0x1.5986246a0013ep-16,
      -0x1.a2fe2887952d8p-18, 0x1.edaced1042969p-20, 0x1.3a411748a07dep-2, 0x1.bbd1268ea7b57p-56,
      -0x1.338cb3b24e93fp-3, 0x1.14b3e05a27802p-4, -0x1.d04744e27b343p-6, 0x1.6eddeb9fa9a56p-7,
      -0x1.131714feccd3ep-8, 0x1.89bebd0c51217p-10, -0x1.0e303188e5b82p-11, 0x1.64e0ab2674258p-13,
      -0x1.c717bda928aecp-15, 0x1.18e1ef54e3197p-16, -0x1.506278a51cac6p-18, 0x1.879c88b2ef220p-20,
      0x1.30e8198f8ac16p-2, 0x1.38fb22b78787fp-57, -0x1.22e9feca56756p-3, 0x1.fff2947fd9419p-5,
      -0x1.a4fd9c4778013p-6, 0x1.46a11e2953c13p-7, -0x1.e19a30f72edd6p-9, 0x1.533e0fb29b995p-10,
      -0x1.caaaf6c77b734p-12, 0x1.2aa68b0804f74p-13, -0x1.77babf5df099cp-15, 0x1.c9d718f0644b7p-17,
      -0x1.0ec55bb20a498p-18, 0x1.377a36abefb36p-20, 0x1.280f2ce84da49p-2, 0x1.e210239634237p-57,
      -0x1.1383536437eb1p-3, 0x1.da5289f16cb49p-5, -0x1.7e69eb4d3bc7fp-6, 0x1.235f07761aa96p-7,
      -0x1.a67402d8c2c7ap-9, 0x1.24edd0a292946p-10, -0x1.8636081dd424cp-12, 0x1.f50a649705b24p-14,
      -0x1.36f81e08c6921p-15, 0x1.7615113f2b479p-17, -0x1.b508ea8a9160fp-19, 0x1.f0c8a13f022a8p-21,
      0x1.1face71bc774ap-2, -0x1.d917d91458c7cp-57, -0x1.053bb97b6097bp-3, 0x1.b81daf4f2b6c2p-5,
      -0x1.5bf8078b515d8p-6, 0x1.0469912e2de9cp-7, -0x1.73533a609b1dep-9, 0x1.faf80650d9ccfp-11,
      -0x1.4cb8a393a96f2p-12, 0x1.a5472942adcbdp-14, -0x1.01fe222380127p-15, 0x1.3267b7c4e5f8bp-17,
      -0x1.61971df9a7bf3p-19, 0x1.8d31211f43641p-21, 0x1.17b8b903a94f1p-2, 0x1.afad123a65ecbp-56,
      -0x1.eff2a74c9a1e8p-4, 0x1.98f6ff32d2283p-5, -0x1.3d27e01a0103dp-6, 0x1.d258f26b64e2bp-8,
      -0x1.4709345b34d78p-9, 0x1.b7a13b1380755p-11, -0x1.1c545049a3ba2p-12, 0x1.6307021f3b0b8p-14,
      -0x1.ad192f52a55f8p-16, 0x1.f72ae0fd3c37ep-18, -0x1.1ecacb143f711p-19, 0x1.3e5fe7b36cfa4p-21,
      0x1.102ad73fd73f1p-2, 0x1.91a3da5f187acp-56, -0x1.d749fdb508eb0p-4, 0x1.7c8ca2bc87f8dp-5,
      -0x1.218a86ee3e2fap-6, 0x1.a2526885d2cd8p-8, -0x1.209736c7e5857p-9, 0x1.7e061628cac64p-11,
      -0x1.e7016eb8f1c45p-13, 0x1.2bdecec94f1d7p-14, -0x1.65ac911e59878p-16, 0x1.9e21d202b4a2dp-18,
      -0x1.d25e65ebcfd6fp-20, 0x1.fface3d6343bcp-22, 0x1.08fc25b8c5c0dp-2, 0x1.f59e3cc68981bp-56,
      -0x1.c053fe2470cfdp-4, 0x1.62967516b1d49p-5, -0x1.08bfb25aef5c2p-6, 0x1.77e70614b8d7ap-8,
      -0x1.fe4cbbeb1c0cbp-10, 0x1.4ca35992ad6e6p-11, -0x1.a1f6b64639e4ap-13, 0x1.fbafaf7073bf6p-15,
      -0x1.2ad2353356f9ap-16, 0x1.55a79e831035ep-18, -0x1.7c1c3d9f82e62p-20, 0x1.9c2f407c24c1bp-22,
      0x1.fdb50ebdc92cep-3, 0x1.7daf962f0823dp-59, -0x1.a0c196a4dfbadp-4, 0x1.3fb5ad8f09d0fp-5,
      -0x1.d04be8dc9de70p-7, 0x1.413a25f521977p-8, -0x1.a9b3057f70d5bp-10, 0x1.0f44e853c918cp-11,
      -0x1.4d9b56a6f1098p-13, 0x1.8d033e96d33f6p-15, -0x1.ca4d0875f22dbp-17, 0x1.011f3d299d662p-18,
      -0x1.18efbc32f4294p-20, 0x1.2b5f005394024p-22, 0x1.e4dac2d95830ep-3, 0x1.bd317797ea4b0p-58,
      -0x1.7b5d2754d7c15p-4, 0x1.17b37f5230d5ep-5, -0x1.87af15ba61d1ep-7, 0x1.05fefdc10d5c8p-8,
      -0x1.5067009723dbcp-10, 0x1.a02387a21eac8p-12, -0x1.f17e0b0b573d6p-14, 0x1.2025332fd5edep-15,
      -0x1.4425f73725c94p-17, 0x1.62ce332bc40c3p-19, -0x1.7a837dc3877bep-21, 0x1.8a261bb78fe12p-23,
      0x1.ce30e45ab6494p-3, 0x1.c455704a0693fp-57, -0x1.5a930ffb85474p-4, 0x1.ebb6ceff21772p-6,
      -0x1.4c4757001fa1fp-7, 0x1.ae11499bf38f8p-9, -0x1.0baab49fe2a34p-10, 0x1.418a6cb2e4074p-12,
      -0x1.75d563946844dp-14, 0x1.a5ac3c845efdfp-16, -0x1.ce6a021c04ce5p-18, 0x1.ede30a8d5a487p-20,
      -0x1.0149d177b540ap-21, 0x1.05dceb23eb9cfp-23, 0x1.b9739404354ecp-3, 0x1.6bdaf6c65c328p-57,
      -0x1.3db06d1993ad1p-4, 0x1.b22478684a9f1p-6, -0x1.1b6113e021160p-7, 0x1.6318a0bc8930ep-9,
      -0x1.acc072bb231b2p-11, 0x1.f46739b7feec7p-13, -0x1.1b03882251bddp-14, 0x1.36f5d79c569a2p-16,
      -0x1.4c861f1911aa6p-18, 0x1.5aa6c21cff7a8p-20, -0x1.60d2eb1585c50p-22, 0x1.5f109cf5053bfp-24,
      0x1.a66919f10d593p-3, -0x1.e71d90433538cp-57, -0x1.2422065bd29b3p-4, 0x1.80ec0e5b3c127p-6,
      -0x1.e5c88c64014edp-8, 0x1.26de51acacefep-9, -0x1.598bd8c8d8be6p-11, 0x1.8803e4400b1f7p-13,
      -0x1.af98796ce2d36p-15, 0x1.ce18d9d927400p-17, -0x1.e201f869db4f9p-19, 0x1.ea9848aaaf369p-21,
      -0x1.e7e9ee246601bp-23, 0x1.dabbcaf3a4f96p-25, 0x1.94e01f8c78672p-3, -0x1.c4378e8256c9fp-57,
      -0x1.0d6dfd1c8d18cp-4, 0x1.56a29b70d66e8p-6, -0x1.a25d31dd359b2p-8, 0x1.ec5fef81b3520p-10,
      -0x1.1828c3069d334p-11, 0x1.35186e822ae30p-13, -0x1.4b5d038e6f7a4p-15, 0x1.59d7c079dff38p-17,
      -0x1.6000329e6725fp-19, 0x1.5de52e4b08798p-21, -0x1.541db8c5ca0c9p-23, 0x1.43ade5bb0c983p-25,
      0x1.84ae4301fe0b3p-3, -0x1.00d13ec7739b3p-60, -0x1.f25dbcd862de7p-5, 0x1.3222d1cec4362p-6,
      -0x1.69eec99dfa61ep-8, 0x1.9d37605d814aap-10, -0x1.c8e5724e496f5p-12, 0x1.ea75954d1e2cap-14,
      -0x1.00189e77007fep-15, 0x1.04a5eceb8af1ap-17, -0x1.02f19c04ed86fp-19, 0x1.f6e6ae33b2c4cp-22,
      -0x1.ddebb31003f2fp-24, 0x1.bcf7e0cbd54fep-26, 0x1.75aef0b5da0b6p-3, -0x1.fb5c379368e36p-57,
      -0x1.ce1f87d3b2cf9p-5, 0x1.127e47b315d76p-6, -0x1.3a75a2c38e913p-8, 0x1.5c7f215bc9262p-10,
      -0x1.769b5b4dc56ddp-12, 0x1.877036f8eb87ep-14, -0x1.8e5fc4446fd2ap-16, 0x1.8b878b5aa5a4cp-18,
      -0x1.7fab78a315f78p-20, 0x1.6c11fc093809bp-22, -0x1.52580a525f758p-24, 0x1.34438be1efd3cp-26,
      0x1.67c273e9aeab4p-3, 0x1.1aa99b70835a5p-57, -0x1.ad9288a7ff761p-5, 0x1.ede43490f14dbp-7,
      -0x1.1254578579235p-8, 0x1.274c3a323f3e4p-10, -0x1.34bfdfc66afe1p-12, 0x1.3a31b9f71c693p-14,
      -0x1.37bf18aa2a3dbp-16, 0x1.2e0dac535047fp-18, -0x1.1e2ce624e6508p-20, 0x1.0970f396996dcp-22,
      -0x1.e299b820908e6p-25, 0x1.ae60908b607bcp-27, 0x1.5acd331e82254p-3, 0x1.cc6b42cc68277p-57,
      -0x1.903e08fb40239p-5, 0x1.bdbc3f64b08f4p-7, -0x1.e08044f57a0f0p-9, 0x1.f6b043889a5a1p-11,
      -0x1.ff7ec750c6c84p-13, 0x1.fb269916950d3p-15, -0x1.eac93ce8249a1p-17, 0x1.d038f2365f89bp-19,
      -0x1.adb8632d8fe4fp-21, 0x1.85b9a3c69c63ep-23, -0x1.5aa43c20daf84p-25, 0x1.2ea75fa125102p-27,
      0x1.4eb70f58ed3eap-3, 0x1.3ea979949d485p-58, -0x1.75bb89d0a7de5p-5, 0x1.937c138223a87p-7,
      -0x1.a65dbc5ec39e2p-9, 0x1.adb39c1d4d4bdp-11, -0x1.a9b993c330aefp-13, 0x1.9b74f3fe2fe52p-15,
      -0x1.848350f0e017bp-17, 0x1.66e0d3dad9462p-19, -0x1.44aeaffeb9779p-21, 0x1.200086bfb2306p-23,
      -0x1.f56a30e896b71p-26, 0x1.acb84d52142dep-28, 0x1.436adf606b637p-3, -0x1.5045bce9a9ab3p-58,
      -0x1.5db3a1a9adabep-5, 0x1.6e480729a23b6p-7, -0x1.74927abeed5ebp-9, 0x1.70d12d6c71f00p-11,
      -0x1.63f7caf17c82dp-13, 0x1.4f813ac4e4fddp-15, -0x1.353a38dcb5958p-17, 0x1.170cc79ce3c54p-19,
      -0x1.eda5424646001p-22, 0x1.ac64edaad7a15p-24, -0x1.6d12fa443c32cp-26, 0x1.31c1a6eb350f4p-28,
      0x1.38d60190223f4p-3, -0x1.defdc81c4b0efp-60, -0x1.47db73f966cfap-5, 0x1.4d68e4602ae56p-7,
      -0x1.49c05b7d5bce0p-9, 0x1.3dcc9724290f7p-11, -0x1.2af41f3a94b4cp-13, 0x1.12e63c6a98a27p-15,
      -0x1.eed2e86a74b77p-18, 0x1.b462875985461p-20, -0x1.797cff89b1d93p-22, 0x1.40970c093c685p-24,
      -0x1.0b8730ed0023dp-26, 0x1.b70e17cb81823p-29, 0x1.2ee7fff434fbap-3, -0x1.5a4f37777ed31p-59,
      -0x1.33f2a1e11bdb6p-5, 0x1.30452b8af4d67p-7, -0x1.24c93d356c3cdp-9, 0x1.12dd38eda872dp-11,
      -0x1.f843d61dd8f26p-14, 0x1.c494d7d444cc0p-16, -0x1.8de769d306f85p-18, 0x1.570e0916e97c6p-20,
      -0x1.224fe8b170cd0p-22, 0x1.e2b5907bbcc8fp-25, -0x1.8a8ce9482d47dp-27, 0x1.3d49c3cddd720p-29,
      0x1.25924350c7fadp-3, -0x1.f1fa3f737a2a4p-57, -0x1.21c19b6563795p-5, 0x1.165bb34252b2fp-7,
      -0x1.04c2306c86f28p-9, 0x1.dd29d1ae213c6p-12, -0x1.ab03532d5afd0p-14, 0x1.7638cccf78112p-16,
      -0x1.41856d9082834p-18, 0x1.0f168186eeb01p-20, -0x1.c0ffd61bc018ap-23, 0x1.6d83bcbe20e85p-25,
      -0x1.24b52958d394fp-27, 0x1.cd7b071d26a20p-30, 0x1.1cc7d25f7330ap-3, 0x1.333b37aaaacdbp-57,
      -0x1.11183dc68a5dep-5, 0x1.fe7eb2005f880p-8, -0x1.d1d2d8dcf2139p-10, 0x1.9f99243709e62p-12,
      -0x1.6b00a15e82205p-14, 0x1.36c2c74ab44c3p-16, -0x1.050417bb4c183p-18, 0x1.ae95ff72ab234p-21,
      -0x1.5d101c77e2942p-23, 0x1.1653a48ee6b7dp-25, -0x1.b4dbc89e59fb7p-28, 0x1.51a7d45a77a03p-30,
      0x1.10845e1dcb19ap-3, 0x1.34c67e3a7ac11p-58, -0x1.f53cfd5c11186p-6, 0x1.c21d6f4a4921ap-8,
      -0x1.8b46c64f91e7bp-10, 0x1.53e39641d5556p-12, -0x1.1e807be458fdep-14, 0x1.d9f64543bb50cp-17,
      -0x1.810db87aba946p-19, 0x1.33807c14ab9f2p-21, -0x1.e32520267d1e8p-24, 0x1.75a2300547158p-26,
      -0x1.1c9cb63196bb2p-28, 0x1.ab586b60be186p-31, 0x1.01afcc22e71b8p-3, 0x1.fef1f095792a8p-60,
      -0x1.c14b6f7f3c2f0p-6, 0x1.7f51652a46399p-8, -0x1.406f090aa4007p-10, 0x1.06bf9a3516c8bp-12,
      -0x1.a712d1a0f43f3p-15, 0x1.4eb8a60b62415p-17, -0x1.0471a4a6defedp-19, 0x1.8ee2cfa6f2d54p-22,
      -0x1.2cd287c40f9dcp-24, 0x1.bf1d1436719dfp-27, -0x1.479aecdec2cdfp-29, 0x1.d9935b6442ee2p-32,
      0x1.e8b725e90fb8dp-4, 0x1.6a2cc3496a0adp-58, -0x1.94e4c65b27fd6p-6, 0x1.48ea08fa97bd8p-8,
      -0x1.0641d50f05c2bp-10, 0x1.9adeaa139146ep-13, -0x1.3c748962b0492p-15, 0x1.dfa9cd0f8f6dbp-18,
      -0x1.65f119eae7eb5p-20, 0x1.072c1c5fcd169p-22, -0x1.7d80b28f3041ap-25, 0x1.10be20ecee03ep-27,
      -0x1.80d67735c04c4p-30, 0x1.0c0b6ab48f29bp-32, 0x1.d0a2236d493eap-4, -0x1.a31a94d69e200p-59,
      -0x1.6ea9db64452a6p-6, 0x1.1c3200b14f2f0p-8, -0x1.b1138bae636d6p-11, 0x1.44a17930a985bp-13,
      -0x1.df2332f43db90p-16, 0x1.5c5596d37f09ep-18, -0x1.f33ef816acc00p-21, 0x1.60d9bd2d6e26cp-23,
      -0x1.ec27d1fb11cc9p-26, 0x1.52d63b02c85a3p-28, -0x1.ccca0bfe20b26p-31, 0x1.359093bf979d6p-33,
      0x1.bac6ca42e1bfbp-4, 0x1.409abadf6e0f9p-59, -0x1.4d86dc544600bp-6, 0x1.ee3ffedd01da2p-9,
      -0x1.687d168ebc146p-11, 0x1.02fdcfb107006p-13, -0x1.6ecb6c3227cadp-16, 0x1.00254409901a2p-18,
      -0x1.60fd095a8a9e9p-21, 0x1.e032a0b8f4c8ep-24, -0x1.429282c77e9bcp-26, 0x1.ac2c3aa243a21p-29,
      -0x1.18de1e5a702e0p-31, 0x1.6c53694cbf7b9p-34, 0x1.a6dab49575b6dp-4, 0x1.c84c90cc5b214p-62,
      -0x1.30a0ebefa7ff4p-6, 0x1.b04ef16d7ef9bp-9, -0x1.2e52cf81e3f52p-11, 0x1.a0faa96f4a848p-14,
      -0x1.1bb8488e4b686p-16, 0x1.7d2054ab8cad5p-19, -0x1.f99c8c377dfe7p-22, 0x1.4b5933b22032bp-24,
      -0x1.ad3dbe39da829p-27, 0x1.12e498e1a2797p-29, -0x1.5c3d78f82f9f4p-32, 0x1.b4787bc96fc4ap-35,
      0x1.949fbeb63d761p-4, 0x1.e8e2b812ca740p-59, -0x1.1748bb019ff2dp-6, 0x1.7c2ef77e9114dp-9,
      -0x1.fe9e2a1afd5bep-12, 0x1.527c1e396f03bp-14, -0x1.bb2e614fa9888p-17, 0x1.1ea5688f28a7ap-19,
      -0x1.6e7df03a03509p-22, 0x1.cf4dba65e52f8p-25, -0x1.21a596829da49p-27, 0x1.66525e5afccdcp-30,
      -0x1.b6b65f077315dp-33, 0x1.09e0bd8954b79p-35, 0x1.83e1a154593d6p-4, -0x1.938ac7959fd51p-58,
      -0x1.00f0a28e0b70dp-6, 0x1.500652770df53p-9, -0x1.b1ffaa6f881fcp-12, 0x1.14e914d25fde0p-14,
      -0x1.5d443153c4159p-17, 0x1.b395621252838p-20, -0x1.0ca90bf08d9b9p-22, 0x1.47e8c4481437cp-25,
      -0x1.8c1dfd170ad08p-28, 0x1.d9bcb88ed0546p-31, -0x1.1888205267b1dp-33, 0x1.491985c980267p-36,
      0x1.747414effdae0p-4, -0x1.9c490809d88b7p-59, -0x1.da4a7e35becddp-7, 0x1.2a6189daf30dep-9,
      -0x1.7318428a380c4p-12, 0x1.c85edd24048e7p-15, -0x1.1594dc883a5cap-17, 0x1.4e1f24cf22065p-20,
      -0x1.8e1298b04ed7cp-23, 0x1.d58e7e825a921p-26, -0x1.12438d0398e2fp-28, 0x1.3d605d523629dp-31,
      -0x1.6be6123627c57p-34, 0x1.9d824eb2a79c2p-37, 0x1.66315c5706f0bp-4, 0x1.e933379107a7ap-59,
      -0x1.b70fb7681780ep-7, 0x1.0a1ac60286bf7p-9, -0x1.3f1651ac0ffcdp-12, 0x1.7a9f9dad403eap-15,
      -0x1.bcb66700144aap-18, 0x1.0298266200cc0p-20, -0x1.29daa2fef70dap-23, 0x1.53dec7ed3ed2cp-26,
      -0x1.8048a61b2a897p-29, 0x1.aea4fa613f0fbp-32, -0x1.de6ad8420350bp-35, 0x1.077f20436ce77p-37,
      0x1.58f91d4c57ccap-4, -0x1.366313157e697p-58, -0x1.9794607880b05p-7, 0x1.dc8f5a234ea65p-10,
      -0x1.13ce26f04be19p-12, 0x1.3c1e9a550f8b8p-15, -0x1.66e18362b3681p-18, 0x1.93a775f194c66p-21,
      -0x1.c1eab19e03b36p-24, 0x1.f111adab9b5c9p-27, -0x1.103945a9f9303p-29, 0x1.27aba84090eb6p-32,
      -0x1.3e8160ee99546p-35, 0x1.545ad51fbf653p-38, 0x1.4caf750fa3231p-4, -0x1.4f0cde748e41bp-61,
      -0x1.7b56355cc257fp-7, 0x1.ac57ccfb07de2p-10, -0x1.df2033814383ap-13, 0x1.09820b7f1d8ffp-15,
      -0x1.23a26323a29cfp-18, 0x1.3d8a865fd16bcp-21, -0x1.56cf678554e19p-24, 0x1.6f049693c79f0p-27,
      -0x1.85bf737684b72p-30, 0x1.9a9a5e18adae6p-33, -0x1.ad37c1268554fp-36, 0x1.bd44d67b76640p-39,
      0x1.413c3b2dcd435p-4, -0x1.5144f5fe7611bp-59, -0x1.61e827af73702p-7, 0x1.825df5629cdd9p-10,
      -0x1.a214309a9f1fdp-13, 0x1.c07f431ce4a77p-16, -0x1.dd15aee38c458p-19, 0x1.f7544784fa216p-22,
      -0x1.07611d2ec48fdp-24, 0x1.117a5c4d60097p-27, -0x1.19c90de1806a2p-30, 0x1.202a326d488b4p-33,
      -0x1.24857fa4e6760p-36, 0x1.26cddd44786c0p-39, 0x1.368a68664ffeep-4, -0x1.97fb2afafe326p-59,
      -0x1.4aee62ebfbeecp-7, 0x1.5da94d30efafbp-10, -0x1.6e62a07a7ecdcp-13, 0x1.7ccc2800593f7p-16,
      -0x1.88a45c37a7208p-19, 0x1.91b83fc0ee75ap-22, -0x1.97e4acb317b79p-25, 0x1.9b1708bd4986cp-28,
      -0x1.9b4d5e7a37f6cp-31, 0x1.9895e1d4b25ccp-34, -0x1.930dec18e3549p-37, 0x1.8ae081e808732p-40,
      0x1.2c8799eb812b4p-4, 0x1.f58251cc87727p-58, -0x1.361b27d94cc85p-7, 0x1.3d6dfc18ff169p-10,
      -0x1.426342e99bcdcp-13, 0x1.44ec0a4ad2cdep-16, -0x1.45074f6de35b1p-19, 0x1.42c18c81d7969p-22,
      -0x1.3e33d27022413p-25, 0x1.37827eef6f076p-28, -0x1.2edba2e277e58p-31, 0x1.24752f2dd66e2p-34,
      -0x1.188aff0911a9ap-37, 0x1.0b5cd66211046p-40, 0x1.2323ab16589c9p-4, 0x1.f2945dbb9761fp-59,
      -0x1.232c4d153e57cp-7, 0x1.2103cd5bcf8c1p-10, -0x1.1cc27d2501a58p-13, 0x1.168b456c3da55p-16,
      -0x1.0e8a14a54bdfdp-19, 0x1.04f21775e9c08p-22, -0x1.f3f7a675f7c21p-26, 0x1.dbc670fb39dfcp-29,
      -0x1.c1cb837b441a2p-32, 0x1.a68160b1bde6ap-35, -0x1.8a5eec320d988p-38, 0x1.6dd4acafb0301p-41,
      0x1.1618fbc75f8a0p-4, 0x1.8e9014246ff9dp-60, -0x1.09d8af47983fcp-7, 0x1.f8c382c54421dp-11,
      -0x1.dbf548a05f704p-14, 0x1.bdd1fbfc36c12p-17, -0x1.9edfad3a4c1c9p-20, 0x1.7f9c1cacb04dap-23,
      -0x1.607a42df4e9bfp-26, 0x1.41e07b6673ccep-29, -0x1.24274fde9f262p-32, 0x1.0798da0b2f139p-35,
      -0x1.d8e15d5f2545ap-39, 0x1.a5b87dd7fcf85p-42, 0x1.0669c59166c17p-4, 0x1.a9783bfcd417ap-59,
      -0x1.d9c4ed21533b0p-8, 0x1.a909f1969e99dp-11, -0x1.7b022618f5caap-14, 0x1.4ff2fd6a38864p-17,
      -0x1.2809b1473260bp-20, 0x1.035da05cc90b4p-23, -0x1.c3e5fbac5ae95p-27, 0x1.877b5750ea73fp-30,
      -0x1.51483b533fb1bp-33, 0x1.2104524b0a14dp-36, -0x1.ecaeaa49e0fe5p-40, 0x1.a1bbc38d96255p-43,
      0x1.f0c9d48847e15p-5, 0x1.5f456df8b85ffp-59, -0x1.a8c62560288bbp-8, 0x1.692e54463ff4fp-11,
      -0x1.316dfd27c4159p-14, 0x1.00e4f208a77ecp-17, -0x1.addaa926e2338p-21, 0x1.65c15fb21ed57p-24,
      -0x1.28382dc7e57aep-27, 0x1.e80d585fafea7p-31, -0x1.900d30106b7bcp-34, 0x1.464e0a3c2e919p-37,
      -0x1.08dc8e4f876dcp-40, 0x1.abeb2404d4e2cp-44, 0x1.d7947dc6e8dafp-5, -0x1.248cfc5e9d1afp-60,
      -0x1.7ef85ef3d1684p-8, 0x1.3572837068f82p-11, -0x1.f19a40f07df56p-15, 0x1.8e20f7770da5ep-18,
      -0x1.3d01ef23bb85ap-21, 0x1.f66f55ead9d3ep-25, -0x1.8c4c65cd8a5c7p-28, 0x1.37239d8593338p-31,
      -0x1.e655176a8d146p-35, 0x1.7a605343b91b7p-38, -0x1.2513b97485967p-41, 0x1.c4061a79dbac9p-45,
      0x1.c0cb9b2935b92p-5, -0x1.d3d9c0c529614p-59, -0x1.5b059dc34c3d5p-8, 0x1.0b1a41bf02a49p-11,
      -0x1.99532cdaf37ccp-15, 0x1.383e40afaa289p-18, -0x1.da48652d18260p-22, 0x1.66a54fcbc80acp-25,
      -0x1.0e0ac7fffd288p-28, 0x1.94eff17975dcap-32, -0x1.2e5741934b756p-35, 0x1.c19d5879516c9p-39,
      -0x1.4cf35ab04cb6ap-42, 0x1.eb2105f3ed8bfp-46, 0x1.ac1a2600f9687p-5, -0x1.193568f0788efp-59,
      -0x1.3be37b8224a8dp-8, 0x1.d03c050c12cafp-12, -0x1.53b80a02ad7abp-15, 0x1.ef2de61e6b870p-19,
      -0x1.6770ae0c3f325p-22, 0x1.03dfafd48cf3cp-25, -0x1.764cd33baf3f2p-29, 0x1.0c823d0e66ab0p-32,
      -0x1.7fc1e8ed08268p-36, 0x1.11320e5084ea1p-39, -0x1.83836d2aafa13p-43, 0x1.11d014a73e261p-46,
      0x1.9939e4f6ef547p-5, 0x1.94087b6ee7d68p-64, -0x1.20c006896f723p-8, 0x1.95ede2d54de93p-12,
      -0x1.1c4103d18e178p-15, 0x1.8c9d5da786081p-19, -0x1.13ac64c0c52a5p-22, 0x1.7dd2a96820c35p-26,
      -0x1.0777a9a696fe2p-29, 0x1.6a4c5abb8dbeap-33, -0x1.f070697e12b06p-37, 0x1.52ee74b0dc42bp-40,
      -0x1.cd307d94160eep-44, 0x1.38b25dba655a2p-47, 0x1.87f0587e0b6b4p-5, -0x1.f0205e85b6441p-62,
      -0x1.08f40799540edp-8, 0x1.64f6aa6bfabe0p-12, -0x1.df41a15a9cdd1p-16, 0x1.409dfb5be2e94p-19,
      -0x1.ab84d587eae73p-23, 0x1.1c126cadbbe7cp-26, -0x1.7840d81b461f9p-30, 0x1.f0b37e6d1a229p-34,
      -0x1.46c7eb04535acp-37, 0x1.ac961fdff885ep-41, -0x1.1826df9f597ecp-44, 0x1.6d15f3d3c1a56p-48,
      0x1.780c6345b4de9p-5, -0x1.3cfb854fdd89bp-59, -0x1.e7f2059678dd5p-9, 0x1.3b8b7f402a8ebp-12,
      -0x1.96ce3ebd3b987p-16, 0x1.0565cdd23b80cp-19, -0x1.4edf1d767f0f0p-23, 0x1.aba91680bdc12p-27,
      -0x1.103c9ad8d34dfp-30, 0x1.59892c9746374p-34, -0x1.b53d7d8e90d05p-38, 0x1.13cf3f0322604p-41,
      -0x1.5aec18e349e75p-45, 0x1.b314a8da4c856p-49, 0x1.69647c7510299p-5, -0x1.ee7439c458f12p-59,
      -0x1.c2c3adc1ab710p-9, 0x1.1846ff5dc5bbcp-12, -0x1.5b82416819eafp-16, 0x1.ad999f688a472p-20,
      -0x1.08c479c258750p-23, 0x1.456a39cce2194p-27, -0x1.8ecec573828b9p-31, 0x1.e75d1d3584815p-35,
      -0x1.28f3cc188cf24p-38, 0x1.68db317063205p-42, -0x1.b54bc373fde7fp-46, 0x1.083c23ff10f5bp-49,
      0x1.5bd54832ed9c3p-5, -0x1.08c2c95c5b1c6p-59, -0x1.a1aa73f9e2f99p-9, 0x1.f42027fda580cp-13,
      -0x1.2a9b9e9ca3a4bp-16, 0x1.639a528d9dfd1p-20, -0x1.a654195852dc9p-24, 0x1.f439dad31f759p-28,
      -0x1.27749711d4755p-31, 0x1.5c1813b2f2691p-35, -0x1.99089ccf0c123p-39, 0x1.df63917f48673p-43,
      -0x1.183235f7a5855p-46, 0x1.46b357c28587cp-50, 0x1.4f407d0aad072p-5, 0x1.4c9bcda015a17p-59,
      -0x1.84131dfa095a4p-9, 0x1.c00f47ccfd902p-13, -0x1.01fec1f52625bp-16, 0x1.285a9be8ffd58p-20,
      -0x1.538e6390ea7a4p-24, 0x1.8414c827717c7p-28, -0x1.ba6fdfb845837p-32, 0x1.f728f9456fde5p-36,
      -0x1.1d682abbb5617p-39, 0x1.42fe61e19cae7p-43, -0x1.6ca5910f0ad41p-47, 0x1.9aaedec7e55d7p-51,
      0x1.438c03b54316dp-5, 0x1.d85426ed709b4p-60, -0x1.69836d73ecf92p-9, 0x1.92f63a0408f07p-13,
      -0x1.c016858e0201ep-17, 0x1.f11588c793619p-21, -0x1.13118c0d5964bp-24, 0x1.2fb68d4cb10b7p-28,
      -0x1.4e8f7cdec66bcp-32, 0x1.6fb0859214dfep-36, -0x1.932bfad0d9da5p-40, 0x1.b912099d5eaf6p-44,
      -0x1.e17068da7579bp-48, 0x1.062904e68140dp-51, 0x1.38a143b28d6d4p-5, -0x1.5c1e5e7110a7ap-60,
      -0x1.5195371eac394p-9, 0x1.6bb4e246a87c5p-13, -0x1.86f9ae5b446bdp-17, 0x1.a35ac542b4716p-21,
      -0x1.c0cd00b5a155bp-25, 0x1.df42de6be773cp-29, -0x1.feac79c246933p-33, 0x1.0f7bc599cc818p-36,
      -0x1.2007b6f7b9606p-40, 0x1.30ee95e2b8f05p-44, -0x1.4223c7c4293c7p-48, 0x1.53999efb276ffp-52,
      0x1.2e6c929b52165p-5, -0x1.65b838922d773p-62, -0x1.3bf2903ef31b1p-9, 0x1.49611f5260891p-13,
      -0x1.56a9984a10431p-17, 0x1.63bd15e484914p-21, -0x1.708c91b3f6a54p-25, 0x1.7d0901a9d3ed1p-29,
      -0x1.892376502fceap-33, 0x1.94cd395997050p-37, -0x1.9ff7ec2d4dc1bp-41, 0x1.aa95a614fb459p-45,
      -0x1.b49911b123862p-49, 0x1.bdf5895b919edp-53, 0x1.24dcbe974e1ebp-5, 0x1.d90fcde46ad29p-60,
      -0x1.2852ce71a1307p-9, 0x1.2b3b5f7373065p-13, -0x1.2d92fd52a4220p-17, 0x1.2f570b0cba6dfp-21,
      -0x1.3085c73ea580ep-25, 0x1.311e4e5a8106fp-29, -0x1.31209abaff73ep-33, 0x1.308d829b6436dp-37,
      -0x1.2f66b401f4deap-41, 0x1.2daeaeb16f241p-45, -0x1.2b68bc3c44334p-49, 0x1.2898e65a00443p-53,
      0x1.17999659ab8b6p-5, -0x1.30524d137f114p-59, -0x1.0e23ef619e360p-9, 0x1.04877d0063a6bp-13,
      -0x1.f59df6f4982d7p-18, 0x1.e209aa452f41cp-22, -0x1.ce66254c93d75p-26, 0x1.bac69a1243ea2p-30,
      -0x1.a73d42c883f43p-34, 0x1.93db4cdef593dp-38, -0x1.80b0c7afb62a0p-42, 0x1.6dcc96c0581a9p-46,
      -0x1.5b3c6784f7047p-50, 0x1.490caa898faaep-54, 0x1.07ad15536656dp-5, -0x1.f592ef64f8675p-61,
      -0x1.e096c3c71f7f0p-10, 0x1.b54485023ab65p-14, -0x1.8d36ddca2fb63p-18, 0x1.6841368b43893p-22,
      -0x1.463740bf2342bp-26, 0x1.26ed3e11a8118p-30, -0x1.0a383eceb227cp-34, 0x1.dfdcafca9b067p-39,
      -0x1.afcda1bb47367p-43, 0x1.83f4945aa0935p-47, -0x1.5c05b8c160f94p-51, 0x1.37b8612fc071fp-55,
      0x1.f2ee84766fae7p-6, 0x1.7250bd178780dp-60, -0x1.ae41bec497d41p-10, 0x1.727fe320214a1p-14,
      -0x1.3e956fa0e4453p-18, 0x1.118d070cad05dp-22, -0x1.d5192e9692012p-27, 0x1.91a56915be197p-31,
      -0x1.57684f440ec7ep-35, 0x1.25335bc340916p-39, -0x1.f3f7a105637d0p-44, 0x1.a9adde746ba22p-48,
      -0x1.69ed0e52bbe93p-52, 0x1.334ba62064c26p-56, 0x1.d96a02b92c7d2p-6, 0x1.6fec16f43db57p-65,
      -0x1.836d6d4a6a460p-10, 0x1.3ca5867af7d5bp-14, -0x1.027643082657bp-18, 0x1.a564c9091ade1p-23,
      -0x1.57139ee1937c3p-27, 0x1.16f5220fb4e72p-31, -0x1.c510c83f6f293p-36, 0x1.6f74048694fdbp-40,
      -0x1.29a429a5af1f7p-44, 0x1.e193e84306255p-49, -0x1.851a3908803f0p-53, 0x1.39fdcac6f96ccp-57,
      0x1.c260728555995p-6, 0x1.a142ad66d2986p-60, -0x1.5eae9afb8256bp-10, 0x1.10bbf3169a3c8p-14,
      -0x1.a7ba08bba1922p-19, 0x1.48c57e66bae94p-23, -0x1.fd98a001ac35fp-28, 0x1.8a7a991b0f1dfp-32,
      -0x1.310362003d999p-36, 0x1.d721c56018956p-41, -0x1.6b7194bf0b836p-45, 0x1.180c8f105dcc5p-49,
      -0x1.af16580707e0dp-54, 0x1.4b6a3949956d6p-58, 0x1.ad79a3c2ddabfp-6, -0x1.d4d7f7da83e3ep-61,
      -0x1.3eebf4f31d394p-10, 0x1.d925385ccdf30p-15, -0x1.5e997103cd4fdp-19, 0x1.03843fd907e1ep-23,
      -0x1.7fc8f9bbc6a62p-28, 0x1.1b7ab49446d40p-32, -0x1.a25654dfb3073p-37, 0x1.3459c6fd4593ep-41,
      -0x1.c615fdf0ae70dp-46, 0x1.4e002639c004fp-50, -0x1.ead54cc19afd3p-55, 0x1.68478d394b9bap-59,
      0x1.9a6cfe4b0d001p-6, -0x1.e39a270c1d38ap-64, -0x1.2348dd924b18cp-10, 0x1.9d0d6aa6ca843p-15,
      -0x1.2493715b9a62bp-19, 0x1.9e133df969698p-24, -0x1.24bb06969d38ep-28, 0x1.9d7dce6836567p-33,
      -0x1.23c0d5564b7efp-37, 0x1.9b51336e15f40p-42, -0x1.21a96948ea630p-46, 0x1.979626382381ap-51,
      -0x1.1e7c836f0ff27p-55, 0x1.9259cbfc5c3f2p-60, 0x1.88fe35af1512bp-6, 0x1.0c653e74838d5p-61,
      -0x1.0b165e58f4594p-10, 0x1.6ab638dc5f303p-15, -0x1.ec2192fbda601p-20, 0x1.4d90eb6ad19f0p-24,
      -0x1.c3c75f2b9874bp-29, 0x1.31abaf33c62c1p-33, -0x1.9d435699effa6p-38, 0x1.171dcd5cf81a7p-42,
      -0x1.78b235f35e03fp-47, 0x1.fbf164ff3fa31p-52, -0x1.5628a5c9ebb82p-56, 0x1.cc907f8f2430cp-61,
      0x1.78faca60fd196p-6, -0x1.3f9819919af3bp-60, -0x1.eb908f3f7b3b7p-11, 0x1.403968c57fb6ep-15,
      -0x1.a0de6c14e4980p-20, 0x1.0f1e0580b27c0p-24, -0x1.605c8642a1b64p-29, 0x1.c9939ce8e5e6cp-34,
      -0x1.28dca4c0f7c66p-38, 0x1.80e050b53f7d7p-43, -0x1.f2946911092c6p-48, 0x1.42ace814fc9a8p-52,
      -0x1.a15386253a1c1p-57, 0x1.0da720295efe9p-61, 0x1.6a382043f7ebdp-6, -0x1.bcabb23da751dp-65,
      -0x1.c5da7001373c4p-11, 0x1.1c1e05ffcfa40p-15, -0x1.63734205be7e8p-20, 0x1.bc5ac677ae5dap-25,
      -0x1.15897eb2d6536p-29, 0x1.5a6db1c5db22ap-34, -0x1.b0180a7b16a31p-39, 0x1.0d44b5e28c56fp-43,
      -0x1.4f59280319197p-48, 0x1.a154ccdd12295p-53, -0x1.037be9cb23147p-57, 0x1.427015c615952p-62,
      0x1.5c92036f02bcep-6, 0x1.5d03c5b1244b1p-66, -0x1.a45161db933c4p-11, 0x1.fa7994b33bd68p-16,
      -0x1.30ee4987938cbp-20, 0x1.6eeaeaaf756fap-25, -0x1.b931e3a3ad317p-30, 0x1.0911729c01ce7p-34,
      -0x1.3e47e54ef8da9p-39, 0x1.7de8b69bb9751p-44, -0x1.c9f0139121708p-49, 0x1.125c296a4e5aap-53,
      -0x1.488571d726b31p-58, 0x1.891a1816dee84p-63,
  };
  return t;
}
// END GENERATED CONSTANTS

// ------------------------------------------------------------------------------ helpers
ROUNDOFF_HD ROUNDOFF_INLINE std::uint64_t bits_of(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
ROUNDOFF_HD ROUNDOFF_INLINE double from_bits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
// s + e == a + b exactly, for |a| >= |b| (or a == 0).
ROUNDOFF_HD ROUNDOFF_INLINE void fast_two_sum(double a, double b, double& s, double& e) {
  s = a + b;
  e = b - (s - a);
}
// s + e == a + b exactly.
ROUNDOFF_HD ROUNDOFF_INLINE void two_sum(double a, double b, double& s, double& e) {
  s = a + b;
  double bb = s - a;
  e = (a - (s - bb)) + (b - bb);
}
// Splits a finite x > 0 as m * 2^e, m in [1, 2).
ROUNDOFF_HD ROUNDOFF_INLINE void split_binade(double x, double& m, int& e) {
  std::uint64_t b = bits_of(x);
  e = 0;
  if ((b >> 52) == 0) {  // subnormal: scale into the normal range first (exact)
    b = bits_of(x * 0x1p64);
    e = -64;
  }
  e += int(b >> 52) - 1023;
  m = from_bits((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
}
ROUNDOFF_HD ROUNDOFF_INLINE Approx special(double v) { return Approx{v, 0.0, 0, 0.0}; }
ROUNDOFF_HD ROUNDOFF_INLINE Approx clamped(int sign_of_scale) {
  return Approx{1.0, 0.0, sign_of_scale * kScaleClamp, HUGE_VAL};
}
// f in (1 - 2^-1000, 1): the interval [1 - 2^-1000, 1] around 1 - 2^-1001 (tanh, erf, sigmoid
// of large arguments, where 1 - f would not fit a normal double).
ROUNDOFF_HD ROUNDOFF_INLINE Approx just_below_one(bool negate) {
  double s = negate ? -1.0 : 1.0;
  return Approx{s, -s * 0x1p-1001, 0, 0x1p-1001};
}

// ------------------------------------------------------------------------------ exp kernel
// e^x = 2^e * 2^(j/128) * e^r: k = j + 128 e = nearest integer to x * 128/ln2,
// r = x - k ln2/128, |r| <= ln2/256 (1 + 2^-40) + |xl| < R := 2^-8.5.
//
// Reduction (x = xh + xl, |xh| < 726818, |xl| <= 2^-43): ln2/128 = C1 + C2 + C3 + C4, C1 with
// 25 bits, |C4| < 2^-138. |k| < 2^28, so k*C1 is exact, and r1 = xh - k*C1 is exact: either
// k = 0, or |xh| >= 2^-9 (else |xh*128/ln2| < 0.37), and then r1 is a multiple of
// ulp(xh) >= 2^(E-52) (2^E <= |xh|) of magnitude < 0.7*2^-8 + 2^(E-24) + 2^-33 < 2^(E+1), so
// fits 53 bits. Then ra = fma(-k, C2, r1), rb = fma(-k, C3, ra), r = rb + xl: three roundings,
// each <= u*R, plus |k C4| < 2^-110: |r - r_exact| <= 3uR + 2^-110 < 2^-59.9 (two roundings,
// 2^-60.5, when xl = 0; none when k = 0 and xl = 0: r = x).
//
// Polynomial: e^r - 1 = q(r) = r + r^2 P(r) + T7, P = sum_{n=2..6} r^(n-2)/n!, |T7| <= |r|^7/5040
// * 1.001 <= 2^-63.3 |r|. P^ (fma Horner, coefficients RN(1/n!)): |P^ - P| <= 0.502u <= 1.01u|P|;
// r2 = RN(r*r); q^ = fma(r2, P^, r): |q^ - q| <= u|q| + 2.02u*0.5005 r^2 + |T7| <= 1.004u|q|
// (|q| >= 0.9986|r|, r^2 <= R|r|). (Underflow of r2 only where r^2 < 2^-1022, an error
// <= r^2/2, i.e. <= |r| 2^-512 relative.)
//
// Result: 2^(j/128) = Th + Tl + tau, |Tl| <= u Th, |tau| <= 2^-106 Th; lo = fma(Th, q^, Tl).
// T e^r - (Th + lo) = tau(1+q) + Tl q + Th(q - q^) - eps(Th q^ + Tl), |eps| <= u, so
// |.| <= Th u |q|max (1 + 1.004 + 1.001) + 2^-105 Th <= 2^-59.9 Th  (|q| <= 0.002766).
// With the reduction error (relative, times e^R): total <= 2^-58.9 Th.  We return
// kExpRelErr = 2^-57.5 times Th (>= 2.6x); and the exact value e^x lies within it relative to
// Th, since e^x/2^e <= Th e^R (1 + u) and Th <= e^x/2^e * e^R.
// Tiny mode (k = 0: Th = 1, Tl = 0, lo = q^ exactly): |e^x - 1 - lo| <= |q(r_exact) - q(r)| +
// 1.004u|q| <= (u e^R (1+u) + 1.004u)|q| <= 2.01u|lo|(1 + 2u); we return 2^-51 |lo| + 2^-1074
// (the last term only guards the underflow of the product).
constexpr double kExpRelErr = 0x1.6a09e667f3bcdp-58;   // 2^-57.5 (rounded up)
constexpr double kExpTinyRelErr = 0x1p-51;
constexpr double kExpArgMax = 726818.0;  // > 2^20 ln2: e^x >= 2^kScaleClamp beyond

struct ExpParts {
  double th, lo;  // e^x ~= (th + lo) * 2^e, th = RN(2^(j/128)) in [1, 2)
  int e;
  bool tiny;      // k == 0: th == 1 and lo approximates e^x - 1 relatively
};

ROUNDOFF_HD ROUNDOFF_INLINE ExpParts exp_kernel_reduced(double r, std::int64_t k) {
  const double* tab = exp2_j128_table();
  int j = int(k & 127);
  double th = tab[2 * j], tl = tab[2 * j + 1];
  double p = std::fma(std::fma(std::fma(std::fma(kInvFact6, r, kInvFact5), r, kInvFact4), r,
                               kInvFact3), r, kInvFact2);
  double q = std::fma(r * r, p, r);
  return ExpParts{th, std::fma(th, q, tl), int(k >> 7), k == 0};
}

// e^(xh + xl), |xh| < kExpArgMax, |xl| <= 2^-43.
ROUNDOFF_HD ROUNDOFF_INLINE ExpParts exp_kernel(double xh, double xl) {
  double kf = std::nearbyint(xh * kInvLn2N);
  double r = xh - kf * kLn2N1;  // exact (see above), fused or not
  r = std::fma(-kf, kLn2N2, r);
  r = std::fma(-kf, kLn2N3, r);
  r = r + xl;
  return exp_kernel_reduced(r, std::int64_t(kf));
}

}  // namespace special_cr

// ------------------------------------------------------------------------------ exp
ROUNDOFF_HD ROUNDOFF_INLINE Approx cr_exp(double x) {
  using namespace special_cr;
  if (!(std::fabs(x) < kExpArgMax)) {
    if (x != x) return special(x);
    if (std::isinf(x)) return special(x > 0 ? x : 0.0);
    return clamped(x > 0 ? 1 : -1);
  }
  ExpParts p = exp_kernel(x, 0.0);
  double err = p.tiny ? std::fma(kExpTinyRelErr, std::fabs(p.lo), 0x1p-1074) : kExpRelErr * p.th;
  return Approx{p.th, p.lo, p.e, x == 0 ? 0.0 : err};
}

// ------------------------------------------------------------------------------ exp2
// 2^x = 2^(k/128) e^r: y = 128x (exact), k = nearbyint(y), d = y - k (exact: Sterbenz, or
// k = 0), r = d ln2/128 = rh + rl: rh = RN(d Lh), rl = fma(d, Lh, -rh) exact (two-product; an
// underflow costs <= 2^-1075), r = rh + fma(d, Ll, rl): two roundings <= u|r| (1 + 2^-52), and
// |ln2/128 - Lh - Ll| <= 2^-114. So |r - r_exact| <= u|r|(1 + 2^-50) + 2^-1074: in general mode
// <= 2^-61.4, below the 2^-59.9 allowed for in kExpRelErr; in tiny mode relative u, as there.
// Exact: d == 0 and j == 0 (x integer): th = 1, lo = fma(1, 0, 0) = 0.
ROUNDOFF_HD ROUNDOFF_INLINE Approx cr_exp2(double x) {
  using namespace special_cr;
  if (!(std::fabs(x) <= double(kScaleClamp))) {
    if (x != x) return special(x);
    if (std::isinf(x)) return special(x > 0 ? x : 0.0);
    return clamped(x > 0 ? 1 : -1);
  }
  double y = x * 128.0;
  double kf = std::nearbyint(y);
  double d = y - kf;
  double rh = d * kLn2NHi;
  double rl = std::fma(d, kLn2NHi, -rh);
  std::int64_t k = std::int64_t(kf);
  ExpParts p = exp_kernel_reduced(rh + std::fma(d, kLn2NLo, rl), k);
  double err = p.tiny ? std::fma(kExpTinyRelErr, std::fabs(p.lo), 0x1p-1074) : kExpRelErr * p.th;
  return Approx{p.th, p.lo, p.e, (d == 0 && (k & 127) == 0) ? 0.0 : err};
}

namespace special_cr {
// ------------------------------------------------------------------------------ log kernel
// x = 2^e m, m in [1, 2); i = round(128 (m - 1)); i = 128 becomes i = 0 with m/2, e + 1, so
// x in [1 - 2^-9, 1 + 2^-8] has e = 0, i = 0. inv_i has 8 fractional bits (inv_0 = 1), so
// r = fma(m, inv_i, -1) is exact: a multiple of 2^-60 of magnitude <= kLogRMax < 2^-7.
// Outside e = i = 0, |log x| >= 2^-9.
// log x = e ln2 - log(inv_i) + log1p(r), log1p(r) = r - r^2/2 + r^3 P(r) + T9 with
// P = sum_{n=3..8} (-1)^(n+1) r^(n-3)/n, |T9| <= |r|^9/(9(1 - R)) <= kLogTrunc |r|.
// p = RN(r2 * fma(r, P^, -1/2)): |P^ - P| <= 0.7u, |s^ - s| <= 0.51u with |s| in [0.496, 0.504],
// so |p - r^2 s| <= 1.52u r^2 <= 3.1u|p|.
// Sums: (ah, al) = two_sum(e Ln2Hi42, Th) and (bh, bl) = two_sum(ah, r) are exact (e Ln2Hi42
// exact for |e| < 2^11); lo = bl + (al + (fma(e, Ln2Lo, Tl) + p)): four roundings of terms
// bounded by u(|e| 2^-43 + 2u M + 2|p|) with M = |e| ln2 + |Th| + |r|; |ln2 - Ln2Hi42 - Ln2Lo|
// <= 2^-97, |tau| <= 2^-106 |Th|. Total <= 2^-93 M + 3.2u|p| + 4u|p| + |T9|.
// Returned: 2^-91 M + 2^-49.8|p| (>= 2x) + 2 kLogTrunc |r|.  x = 1: all terms 0, exact.

struct LogParts {
  double m, r;
  int e, i;
};
ROUNDOFF_HD inline LogParts log_reduce(double x) {
  LogParts p;
  split_binade(x, p.m, p.e);
  p.i = int(((bits_of(p.m) & 0x000fffffffffffffull) + (1ull << 44)) >> 45);
  if (p.i == 128) {
    p.i = 0;
    p.e += 1;
    p.m *= 0.5;
  }
  p.r = std::fma(p.m, log_inv_table()[p.i], -1.0);
  return p;
}
// log1p(r) - r for the reduced r.
ROUNDOFF_HD inline double log1p_tail(double r) {
  double P = std::fma(std::fma(std::fma(std::fma(std::fma(kLog1pC8, r, kLog1pC7), r, kLog1pC6), r,
                                        kLog1pC5), r, kLog1pC4), r, kLog1pC3);
  return (r * r) * std::fma(r, P, -0.5);
}
}  // namespace special_cr

// ------------------------------------------------------------------------------ log
ROUNDOFF_HD inline Approx cr_log(double x) {
  using namespace special_cr;
  if (!(x > 0) || std::isinf(x)) {
    if (x == 0) return special(-HUGE_VAL);
    if (x < 0 || x != x) return special(x != x ? x : std::nan(""));
    return special(x);  // +inf
  }
  LogParts q = log_reduce(x);
  double th = log_neg_ln_inv_table()[2 * q.i], tl = log_neg_ln_inv_table()[2 * q.i + 1];
  double e = double(q.e);
  double p = log1p_tail(q.r);
  double ah, al, bh, bl;
  two_sum(e * kLn2Hi42, th, ah, al);
  two_sum(ah, q.r, bh, bl);
  double lo = bl + (al + (std::fma(e, kLn2Lo, tl) + p));
  double M = std::fma(std::fabs(e), 0.6931471805599453, std::fabs(th) + std::fabs(q.r));
  double err = std::fma(0x1p-91, M, std::fma(0x1.2p-50, std::fabs(p), 2 * kLogTrunc * std::fabs(q.r)));
  return Approx{bh, lo, 0, err};
}

// ------------------------------------------------------------------------------ log2
// log2 x = e - log2(inv_i) + (r + p) log2(e): as log, with (mh, ml) = two_prod(r, L2eHi) exact,
// lo = bl + (al + ((fma(p, L2eHi, fma(r, L2eLo, ml))) + T2l)); the |p| and |r| terms scale by
// log2(e) < 1.4427, |log2 e - L2eHi - L2eLo| <= 2^-106 log2 e. Exact iff m == 1 (x = 2^e).
ROUNDOFF_HD inline Approx cr_log2(double x) {
  using namespace special_cr;
  if (!(x > 0) || std::isinf(x)) {
    if (x == 0) return special(-HUGE_VAL);
    if (x < 0 || x != x) return special(x != x ? x : std::nan(""));
    return special(x);
  }
  LogParts q = log_reduce(x);
  double th = log_neg_log2_inv_table()[2 * q.i], tl = log_neg_log2_inv_table()[2 * q.i + 1];
  double e = double(q.e);
  double p = log1p_tail(q.r);
  double mh = q.r * kLog2eHi;
  double ml = std::fma(q.r, kLog2eHi, -mh);
  double ah, al, bh, bl;
  two_sum(e, th, ah, al);
  two_sum(ah, mh, bh, bl);
  double lo = bl + (al + (std::fma(p, kLog2eHi, std::fma(q.r, kLog2eLo, ml)) + tl));
  double M = std::fma(1.5, std::fabs(q.r), std::fabs(e) + std::fabs(th));
  double err = std::fma(0x1p-91, M, std::fma(0x1.a2p-50, std::fabs(p), 3 * kLogTrunc * std::fabs(q.r)));
  return Approx{bh, lo, 0, q.m == 1.0 ? 0.0 : err};
}

// ------------------------------------------------------------------------------ rsqrt
// x = m 4^h, m in [1, 4). y0 = RN(1/RN(sqrt(m))): relative error <= 2.01u, y0 in [0.5, 1].
// eps = 1 - m y0^2 (|eps| <= 4.1u): (h2, h2l) = two_prod(y0, y0) exact, eps^ =
// fma(-m, h2l, fma(-m, h2, 1)): two roundings of values <= 9u, so |eps^ - eps| <= 18u^2.
// 1/sqrt(m) = y0 (1 - eps)^(-1/2) = y0 (1 + eps/2 + 3 eps^2/8 (1 + 5u)): lo = (y0/2) eps^
// (one rounding). Error <= y0 (6.4u^2 + 9u^2 + 2.1u^2) <= 2^-101.8 y0; returned 2^-99 y0.
// Exact iff m == 1 (x = 4^h): y0 = 1, eps^ = 0.
ROUNDOFF_HD inline Approx cr_rsqrt(double x) {
  using namespace special_cr;
  if (!(x > 0) || std::isinf(x)) {
    if (x == 0) return special(std::signbit(x) ? -HUGE_VAL : HUGE_VAL);
    if (x < 0 || x != x) return special(x != x ? x : std::nan(""));
    return special(0.0);  // +inf
  }
  double m;
  int e;
  split_binade(x, m, e);
  if (e & 1) {
    m *= 2.0;
    e -= 1;
  }
  double y0 = 1.0 / std::sqrt(m);
  double h2 = y0 * y0;
  double h2l = std::fma(y0, y0, -h2);
  double eps = std::fma(-m, h2l, std::fma(-m, h2, 1.0));
  return Approx{y0, (0.5 * y0) * eps, -e / 2, m == 1.0 ? 0.0 : 0x1p-99 * y0};
}

namespace special_cr {
// ------------------------------------------------------------------------------ tanh pieces
// Small: 0 < a < 2^-5. tanh a = a + a^3 P(a^2) + T13 with P the Taylor coefficients
// T_1..T_5; the series alternates with decreasing terms (|T_(n+1)|/|T_n| < 0.41, a^2 < 2^-10),
// so |T13| <= |T_6| a^13 (<= 2^-68 a): kept as a^13, not a, so that tanh a stays strictly
// below a in the caller's eyes. P^ (fma Horner): |P^ - P| <= 0.7u <= 2.1u|P|; z = RN(a^2),
// a3 = RN(a z), lo = RN(a3 P^): |lo - a^3 P| <= (3u + 2.1u)(1 + 2u)|lo| <= 5.2u|lo|.
// Returned: 2^-49.5|lo| + 2|T_6| a^13 + 2^-1074 (underflow of z, a3, lo: each <= 2^-1075 absolute,
// times |P| <= 1/3). `as` = a * 2^S carries the scale for tiny a (lo's terms scale with it).
struct DD {
  double hi, lo, err;
};
ROUNDOFF_HD inline DD tanh_small(double a, double as) {
  double z = a * a;
  double P = std::fma(std::fma(std::fma(std::fma(kTanhC11, z, kTanhC9), z, kTanhC7), z, kTanhC5),
                      z, kTanhC3);
  double lo = (as * z) * P;
  double z2 = z * z;
  double trunc = std::fma((2 * kTanhC13Abs) * as, z2 * z2 * z2, 0x1p-1074);  // 2|T_6| a^13 + tiny
  return DD{as, lo, std::fma(0x1.6a09e667f3bcdp-50, std::fabs(lo), trunc)};
}

// Middle: 2^-5 <= a < 0.55. tanh a = (1 - E)/(1 + E), E = e^(-2a) in (0.33, 0.94), from the
// exp kernel (general mode: k != 0) with relative error <= 2^-58.9 =: etaE, normalised to
// eh + el (|el| <= u eh) by fast_two_sum. (nh, nl) and (dh, dl) = 1 -+ E as double-doubles (fast_two_sum exact, one rounding adding El: <= 2u^2
// absolute); quotient q0 = RN(nh/dh), remainder fma(-q0, dh, nh) exact, q1 = (rem + (nl -
// q0 dl))/dh: four roundings of terms <= 4u |q0|: <= 2^-97 |q0| together with the above.
// The error of E moves tanh by <= 2 etaE E/(1+E)^2. Returned: kExpRelErr 2 Eh/dh^2 + 2^-96 |q0|.
ROUNDOFF_HD inline DD tanh_mid(double a) {
  ExpParts p = exp_kernel(-2.0 * a, 0.0);
  double eh, el;  // E = eh + el, |el| <= u eh (exact: e >= -2, no underflow)
  fast_two_sum(std::ldexp(p.th, p.e), std::ldexp(p.lo, p.e), eh, el);
  double nh, nl, dh, dl;
  fast_two_sum(1.0, -eh, nh, nl);
  fast_two_sum(1.0, eh, dh, dl);
  nl -= el;
  dl += el;
  double q0 = nh / dh;
  double rem = std::fma(-q0, dh, nh);
  double q1 = (rem + std::fma(-q0, dl, nl)) / dh;
  double err = std::fma((2 * kExpRelErr) * eh / (dh * dh), 1 + 0x1p-40, 0x1p-96 * q0);
  return DD{q0, q1, err};
}

// E/(1 + E), E = e^(-y), 1.1 <= y < kExpArgMax, E 2^-e normalised as in tanh_mid:
// (q0 + q1) 2^e with relative error
// <= etaE + 2^-97 (the ratio's sensitivity to E is 1/(1+E) <= 1; the double-double division as
// in tanh_mid; forming 1 + E costs <= 2 * 2^-1075 where ldexp underflows). Returned relative
// bound kRatioRelErr (one_minus and cr_sigmoid return twice it).
struct Scaled {
  double q0, q1;
  int e;
};
constexpr double kRatioRelErr = 0x1.12p-59 + 0x1p-96;  // 2^-58.9 + 2^-97, rounded up
ROUNDOFF_HD inline Scaled e_over_1pe(double y) {
  ExpParts p = exp_kernel(-y, 0.0);
  double nh, nl;  // E 2^-e = nh + nl, |nl| <= u nh
  fast_two_sum(p.th, p.lo, nh, nl);
  double dh, dl;
  fast_two_sum(1.0, std::ldexp(nh, p.e), dh, dl);
  dl += std::ldexp(nl, p.e);
  double q0 = nh / dh;
  double rem = std::fma(-q0, dh, nh);
  double q1 = (rem + std::fma(-q0, dl, nl)) / dh;
  return Scaled{q0, q1, p.e};
}

// 1 - t for t = (q0 + q1) 2^e in (2^-1009, 1/2] with relative error <= eta: th = q0 2^e exact
// (normal), tl = q1 2^e (<= 2^-1075 if subnormal); (s, sl) = fast_two_sum(1, -th) exact;
// lo = RN(sl - tl). Error <= eta th + u|lo| + 2^-1075; returned twice that.
ROUNDOFF_HD inline Approx one_minus(const Scaled& t, double eta, bool negate) {
  double th = std::ldexp(t.q0, t.e), tl = std::ldexp(t.q1, t.e);
  double s, sl;
  fast_two_sum(1.0, -th, s, sl);
  double lo = sl - tl;
  double err = std::fma(2 * eta, th, std::fma(0x1p-52, std::fabs(lo), 0x1p-1074));
  return negate ? Approx{-s, -lo, 0, err} : Approx{s, lo, 0, err};
}
}  // namespace special_cr

// ------------------------------------------------------------------------------ tanh
// a = |x|: a < 2^-900: tanh_small scaled by 2^128 (so err stays relative); a < 2^-5: tanh_small;
// a < 0.55: tanh_mid; a < 350: 1 - t, t = 2 E/(1 + E), E = e^(-2a) (t <= 1/2, t >= 2^-1009);
// a >= 350: t < 2 e^-700 < 2^-1000, just_below_one.
ROUNDOFF_HD inline Approx cr_tanh(double x) {
  using namespace special_cr;
  double a = std::fabs(x);
  bool neg = std::signbit(x);
  if (!(a < 350.0)) {
    if (x != x) return special(x);
    if (std::isinf(x)) return special(neg ? -1.0 : 1.0);
    return just_below_one(neg);
  }
  if (a == 0) return special(x);
  DD t;
  int scale = 0;
  if (a < 0x1p-5) {
    if (a < 0x1p-900) scale = -128;
    t = tanh_small(a, a * (scale ? 0x1p128 : 1.0));
  } else if (a < 0.55) {
    t = tanh_mid(a);
  } else {
    Scaled u = e_over_1pe(2.0 * a);
    u.e += 1;
    return one_minus(u, kRatioRelErr, neg);
  }
  return neg ? Approx{-t.hi, -t.lo, scale, t.err} : Approx{t.hi, t.lo, scale, t.err};
}

// ------------------------------------------------------------------------------ sigmoid
// |x| < 1.1: 1/2 + tanh(x/2)/2 (y = a/2 costs <= 2^-1075 if a is subnormal; halving th, tl
// <= 2^-1075 each; (s, sl) = fast_two_sum(1/2, +-th/2) exact; lo = RN(sl +- tl/2): u|lo|).
// x >= 1.1: 1 - u, u = E/(1+E), E = e^-x (just_below_one for x >= 694: u < e^-694 < 2^-1001).
// x <= -1.1: u = E/(1+E), E = e^x, directly in (q0 + q1) 2^e; clamped below -kExpArgMax.
ROUNDOFF_HD inline Approx cr_sigmoid(double x) {
  using namespace special_cr;
  double a = std::fabs(x);
  if (!(a < 1.1)) {
    if (x != x) return special(x);
    if (std::isinf(x)) return special(x > 0 ? 1.0 : 0.0);
    if (x > 0) {
      if (x >= 694.0) return just_below_one(false);
      return one_minus(e_over_1pe(x), kRatioRelErr, false);
    }
    if (a >= kExpArgMax) return clamped(-1);
    Scaled u = e_over_1pe(a);
    return Approx{u.q0, u.q1, u.e, 2 * kRatioRelErr * u.q0};
  }
  if (a == 0) return special(0.5);
  double y = 0.5 * a;
  DD t = y < 0x1p-5 ? tanh_small(y, y) : tanh_mid(y);
  double sgn = x < 0 ? -0.5 : 0.5;
  double s, sl;
  fast_two_sum(0.5, sgn * t.hi, s, sl);
  double lo = std::fma(sgn, t.lo, sl);
  double err = std::fma(0.5, t.err, std::fma(0x1p-52, std::fabs(lo), 0x1p-1072));
  return Approx{s, lo, 0, err};
}

namespace special_cr {
// ------------------------------------------------------------------------------ erf pieces
// Small: a < 1/2 (as = a 2^S, S = 128 for a < 2^-900). erf a = c0 a + a sum_{n>=1} q_n a^(2n):
// alternating, decreasing, remainder <= 2^-63.29 c0 a (generator). hi = RN(c0h as),
// res = fma(c0h, as, -hi) exact (no underflow: |hi| >= 2^-946); Q^ (fma Horner in z = RN(a^2)):
// |Q^ - Q| <= 2.2u|q1| <= 0.83u; t = fma(z, Q^, c0l), v = as t, lo = res + v: three roundings.
// Error <= as (u z (0.83 + 3 * 0.377) + 3u 2^-56 + 2^-106 1.13 + 2^-63.29 1.13) + u^2 |hi|
// <= |hi| (1.75u z + 2^-63.3) (hi ~ 1.128 as). Returned: |hi| (2^-51.2 z + 2^-62) + 2^-1073.
ROUNDOFF_HD inline DD erf_small(double a, double as) {
  double z = a * a;
  double Q = kErfQ12;
  Q = std::fma(Q, z, kErfQ11);
  Q = std::fma(Q, z, kErfQ10);
  Q = std::fma(Q, z, kErfQ9);
  Q = std::fma(Q, z, kErfQ8);
  Q = std::fma(Q, z, kErfQ7);
  Q = std::fma(Q, z, kErfQ6);
  Q = std::fma(Q, z, kErfQ5);
  Q = std::fma(Q, z, kErfQ4);
  Q = std::fma(Q, z, kErfQ3);
  Q = std::fma(Q, z, kErfQ2);
  Q = std::fma(Q, z, kErfQ1);
  double hi = kTwoOverSqrtPiHi * as;
  double res = std::fma(kTwoOverSqrtPiHi, as, -hi);
  double lo = std::fma(as, std::fma(z, Q, kTwoOverSqrtPiLo), res);
  double err = std::fma(std::fabs(hi), std::fma(0x1.bp-52, z, 0x1p-62), 0x1p-1073);
  return DD{hi, lo, err};
}

// erfc a = e^(-a^2) erfcx(a), 1/2 <= a < 26.5. erfcx on the piece holding a (centre c, h = a - c
// exact: same binade, |h| <= 2^E/32): g = a0h + gl, gl = fma(h, G(h), a0l), relative error
// <= kErfcxRelErr (generator: Taylor remainder, coefficient rounding, Horner). (sh, sl) =
// two_prod(a, a) exact; E = e^-(sh + sl) from the exp kernel (k != 0): relative etaE <= 2^-58.9.
// Product (th + El)(a0h + gl): ph = RN(th a0h), pl = fma(th, a0h, -ph) exact, plus th gl,
// El a0h, El gl in three fmas: roundings <= 3u (2u + |gl|/g) ph <= 3u(2u + 1/32) ph
// (|gl| <= g/32 on every piece). Total relative <= 2^-58.9 + kErfcxRelErr + 2^-56.41 + 2^-100.
ROUNDOFF_HD inline Scaled erfc_mid(double a) {
  const std::uint64_t b = bits_of(a);
  const int piece = 16 * (int(b >> 52) - 1022) + int((b >> 48) & 15);
  const double c = from_bits((b & ~((1ull << 48) - 1)) | (1ull << 47));
  const double h = a - c;
  const double* cf = erfcx_piece_table() + piece * (kErfcxDeg + 2);
  double G = cf[kErfcxDeg + 1];
  for (int n = kErfcxDeg - 1; n >= 1; --n) G = std::fma(G, h, cf[n + 1]);
  double a0h = cf[0], gl = std::fma(h, G, cf[1]);
  double sh = a * a;
  double sl = std::fma(a, a, -sh);
  ExpParts p = exp_kernel(-sh, -sl);
  double ph = p.th * a0h;
  double pl = std::fma(p.th, a0h, -ph);
  pl = std::fma(p.th, gl, std::fma(p.lo, a0h, std::fma(p.lo, gl, pl)));
  return Scaled{ph, pl, p.e};
}
constexpr double kExpRelErrRaw = 0x1.12p-59;  // >= 2^-58.9, the kernel's derived bound
constexpr double kErfcRelErr = kExpRelErrRaw + kErfcxRelErr + 0x1.8p-57 + 0x1p-100;
}  // namespace special_cr

// ------------------------------------------------------------------------------ erf
// a < 1/2: erf_small; a < 26.5: 1 - erfc(a) (erfc >= erfc(26.5) > 2^-1019, a normal double;
// erfc <= 0.48); a >= 26.5: erfc(a) < e^(-a^2)/(a sqrt(pi)) < 2^-1013, just_below_one.
ROUNDOFF_HD inline Approx cr_erf(double x) {
  using namespace special_cr;
  double a = std::fabs(x);
  bool neg = std::signbit(x);
  if (!(a < 26.5)) {
    if (x != x) return special(x);
    if (std::isinf(x)) return special(neg ? -1.0 : 1.0);
    return just_below_one(neg);
  }
  if (a == 0) return special(x);
  if (a < 0.5) {
    int scale = a < 0x1p-900 ? -128 : 0;
    DD t = erf_small(a, a * (scale ? 0x1p128 : 1.0));
    return neg ? Approx{-t.hi, -t.lo, scale, t.err} : Approx{t.hi, t.lo, scale, t.err};
  }
  return one_minus(erfc_mid(a), kErfcRelErr, neg);
}

}  // namespace roundoff
