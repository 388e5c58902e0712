#!/usr/bin/env python3
"""Verify roundoff's MUFU models on the GPU against every float32 input.

Usage (on the GPU machine, from the repository root; needs nvcc)::

    python tools/verify_mufu.py --out DIR

Decodes the shipped tables (python/roundoff/data/sm90), builds tools/verify_mufu/ (the
hardware's functions with nvcc's defaults; the model, cpp/include/roundoff/mufu.hpp, with
--fmad=false) and compares the two bit for bit: all 2^32 float32 inputs for the unary
functions, 2^32 pseudo-random pairs for the divisions. Writes DIR/verify_log.txt (environment,
then one line per function with its mismatch count and the first mismatches).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_by_path(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--arch", default="sm90")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tables_format = load_by_path("roundoff_tables", os.path.join(ROOT, "python", "roundoff",
                                                                 "_tables.py"))
    capture = load_by_path("capture_mufu", os.path.join(HERE, "capture_mufu.py"))
    tables = tables_format.load(args.arch)
    blob = "/tmp/mufu_tables.bin"
    with open(blob, "wb") as fh:
        for name in tables_format.TABLES:  # the order model.cu reads
            fh.write(tables[name].tobytes())
    src = os.path.join(HERE, "verify_mufu")
    inc = os.path.join(ROOT, "cpp", "include")
    exe = "/tmp/verify_mufu"
    common = ["nvcc", "-O3", "-std=c++17", "-arch=sm_90", "-I", src]
    subprocess.run(common + ["-c", os.path.join(src, "hardware.cu"), "-o", "/tmp/hw.o"], check=True)
    subprocess.run(common + ["--fmad=false", "-I", inc, "-c", os.path.join(src, "model.cu"),
                             "-o", "/tmp/model.o"], check=True)
    subprocess.run(["nvcc", "-arch=sm_90", "/tmp/hw.o", "/tmp/model.o", "-o", exe], check=True)
    t0 = time.time()
    run = subprocess.run([exe, blob], capture_output=True, text=True)
    # The GPU's errors against float64 references (bounds.GPU_ERRORS records them).
    subprocess.run(common + [os.path.join(src, "errors.cu"), "-o", "/tmp/mufu_errors"],
                   check=True)
    errors = subprocess.run(["/tmp/mufu_errors"], capture_output=True, text=True)
    env = capture.environment()
    lines = [f"# roundoff MUFU model verification, arch {args.arch}"]
    lines += [f"# {k}: {v}" for k, v in env.items()]
    lines += [f"# command: python tools/verify_mufu.py --out DIR ({time.time() - t0:.1f} s)", ""]
    log = ("\n".join(lines) + run.stdout + run.stderr
           + "\n# errors against float64 references (finite normal float32 results)\n"
           + errors.stdout + errors.stderr)
    with open(os.path.join(args.out, "verify_log.txt"), "w") as fh:
        fh.write(log)
    print(log)
    sys.exit(run.returncode or errors.returncode)


if __name__ == "__main__":
    main()
