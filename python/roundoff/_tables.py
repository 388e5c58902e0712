"""Storage of the GPU's special-function tables (numpy and the standard library only, so that
tools/ can load this file by path on a machine without roundoff built).

A table is every entry's float32 code, as captured: code[0] as two 16-bit halves, then the
int16 first differences (neighbouring entries of these monotone tables differ by a few units),
LZMA compressed. The four sm_90 tables take 0.7 MB this way.
"""

from __future__ import annotations

import lzma
import os
from typing import Dict

import numpy as np

# name -> number of entries (see cpp/include/roundoff/mufu.hpp for the indexing)
TABLES = {"ex2_pos": 1 << 23, "ex2_neg": 1 << 23, "rcp": 1 << 23, "rsqrt": 1 << 24}
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def pack(codes: np.ndarray) -> bytes:
    """The stored form of a table of float32 codes."""
    codes = np.asarray(codes, dtype=np.int64)
    d = np.diff(codes)
    if d.size and np.abs(d).max() >= 2**15:
        raise ValueError("codes: neighbouring entries differ by 2^15 or more")
    head = np.array([codes[0] >> 16, codes[0] & 0xFFFF], dtype=np.uint16)
    return lzma.compress(head.tobytes() + d.astype(np.int16).tobytes(), preset=9)


def unpack(blob: bytes) -> np.ndarray:
    """The float32 codes (uint32) of a stored table."""
    raw = np.frombuffer(lzma.decompress(blob), dtype=np.int16)
    head = raw[:2].view(np.uint16).astype(np.int64)
    first = (head[0] << 16) | head[1]
    codes = np.empty(raw.size - 1, dtype=np.int64)
    codes[0] = first
    np.cumsum(raw[2:], dtype=np.int64, out=codes[1:])
    codes[1:] += first
    return codes.astype(np.uint32)


def pack_fixed(codes: np.ndarray, frac_bits: int) -> bytes:
    """The stored form of a table of non-negative float32 values on the 2^-frac_bits grid whose
    neighbours vary smoothly (MUFU.LG2 of [1, 2)): the fixed-point integers' second
    differences as int32, LZMA compressed (the interpolator's steps leave them small)."""
    v = np.asarray(codes, dtype=np.uint32).view(np.float32).astype(np.float64)
    fixed = np.ldexp(v, frac_bits)
    ints = fixed.astype(np.int64)
    if not np.array_equal(ints, fixed) or ints.min() < 0:
        raise ValueError(f"codes: not non-negative values on the 2^-{frac_bits} grid")
    d2 = np.diff(ints, n=2, prepend=[0, 0])
    if np.abs(d2).max() >= 2**31:
        raise ValueError("codes: second differences beyond int32")
    return lzma.compress(np.array([frac_bits], np.int32).tobytes() +
                         d2.astype(np.int32).tobytes(), preset=9 | lzma.PRESET_EXTREME)


def unpack_fixed(blob: bytes) -> np.ndarray:
    """The float32 codes (uint32) of a table stored by :func:`pack_fixed`."""
    raw = np.frombuffer(lzma.decompress(blob), dtype=np.int32)
    ints = np.cumsum(np.cumsum(raw[1:].astype(np.int64)))
    return np.ldexp(ints.astype(np.float64), -int(raw[0])).astype(np.float32).view(np.uint32)


def path(arch: str, name: str) -> str:
    return os.path.join(DATA, arch, f"mufu_{name}.xz")


def load(arch: str) -> Dict[str, np.ndarray]:
    """Every table of arch, decoded and checked for size."""
    out = {}
    for name, size in TABLES.items():
        with open(path(arch, name), "rb") as fh:
            codes = unpack(fh.read())
        if codes.size != size:
            raise ValueError(f"{path(arch, name)}: {codes.size} entries, expected {size}")
        out[name] = codes
    return out
