# The C++ extension's functions as the Python code calls them (cpp/src/bind_*.cpp). Arrays are
# codes or values whose dtype the Python side chooses; the bindings check what memory safety
# needs, so the types here say only "an array".
from typing import TypedDict

import numpy as np

from ._formats import FormatFacts

class FormatInfo(TypedDict):
    bits: int
    emin: int
    emax: int
    max_code: int
    inf_code: int | None
    nan_code: int | None
    sign_bit: int
    signed_zero: bool

def format_info(facts: FormatFacts) -> FormatInfo: ...
def convert(src: np.ndarray, out: np.ndarray, from_facts: FormatFacts, to_facts: FormatFacts,
            mode: int, saturate: bool, flush_inputs: bool, flush_outputs: bool, sr_bits: int,
            seed: int, rbits: np.ndarray | None) -> None: ...
def philox_words(seed: int, first: int, n: int) -> np.ndarray: ...
def philox_block(ctr: tuple[int, int, int, int], key: tuple[int, int]
                 ) -> tuple[int, int, int, int]: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def openmp() -> bool: ...
def arith(op: int, a: np.ndarray, b: np.ndarray | None, c: np.ndarray | None,
          d: np.ndarray | None, out: np.ndarray, a_facts: FormatFacts,
          b_facts: FormatFacts | None, c_facts: FormatFacts | None,
          d_facts: FormatFacts | None, to_facts: FormatFacts, mode: int, saturate: bool,
          flush_inputs: bool, flush_outputs: bool, sr_bits: int, seed: int,
          rbits: np.ndarray | None) -> None: ...
def matmul_f32_fma(a: np.ndarray, b: np.ndarray, c: np.ndarray | None, out: np.ndarray
                   ) -> None: ...
def matmul_narrow_acc(a: np.ndarray, b: np.ndarray, c: np.ndarray | None, out: np.ndarray,
                      acc_facts: FormatFacts) -> None: ...
def matmul_fused(a: np.ndarray, b: np.ndarray, c: np.ndarray | None, out: np.ndarray,
                 a_emin: int, b_emin: int, terms: int, frac_bits: int, e_zero: int,
                 step_facts: FormatFacts, step_mode: int, sr_bits: int, seed: int, step0: int,
                 word0: int, promote_every: int, acc_facts: FormatFacts, saturate: bool
                 ) -> None: ...
def special_cr(fn: int, x: np.ndarray, out: np.ndarray, to_facts: FormatFacts, mode: int,
               saturate: bool, flush_outputs: bool, sr_bits: int, seed: int,
               rbits: np.ndarray | None) -> np.ndarray: ...
def special_hw(fn: int, a: np.ndarray, b: np.ndarray | None, out: np.ndarray,
               tables: tuple[np.ndarray, ...], to_facts: FormatFacts, mode: int,
               saturate: bool, flush_outputs: bool, sr_bits: int, seed: int,
               rbits: np.ndarray | None) -> None: ...
def round_exact(sig: np.ndarray, msb: np.ndarray, sticky: np.ndarray, neg: np.ndarray,
                index: np.ndarray, out: np.ndarray, to_facts: FormatFacts, mode: int,
                saturate: bool, flush_outputs: bool, sr_bits: int, seed: int,
                rbits: np.ndarray | None) -> None: ...
