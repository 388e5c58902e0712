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
