#!/usr/bin/env python
"""Side-by-side throughput of float32 -> E4M3 / E5M2 / BF16 casts.

One run, one input: ``n`` standard-normal float32 values times ``--scale`` (default 64, so
the data reach into E4M3's top binades without overflowing it, and cover its subnormals too).
For each target format it times

* roundoff ``encode`` with ``nearest_even`` and ``stochastic``, on 1 and on 2 threads;
* ml_dtypes ``x.astype(dtype)``;
* gfloat ``round_ndarray`` (optional package; timed on a slice, rates are per element);
* pychop ``Chop`` with the matching exponent/significand widths and ``rmode=1``
  (round to nearest, ties to even; optional package; timed on a slice);

plus ``np.copyto`` of the same float32 bytes into a preallocated float32 array, the
memory-bound reference, and roundoff's random-bit generator alone (the cost stochastic rounding
adds). Timing is best-of-R ``time.perf_counter`` after one untimed warm-up
call. The goals the project states are checked in four verdict columns; see ``LEGEND``.

Usage::

    python bench/bench_casts.py [--n N] [--repeat R] [--quick] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shlex
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import numpy as np

try:
    import roundoff
except ImportError as exc:  # pragma: no cover - the benchmark is about roundoff
    sys.exit(f"roundoff is not importable ({exc}); install the package first")

import ml_dtypes

try:
    import gfloat
    from gfloat import round_ndarray as _gf_round_ndarray
    from gfloat.formats import (format_info_bfloat16, format_info_ocp_e4m3,
                                format_info_ocp_e5m2)
    _GFLOAT_ERR: Optional[str] = None
except ImportError as exc:
    gfloat = None
    _GFLOAT_ERR = f"not installed ({exc.name or exc})"

try:
    import pychop
    _PYCHOP_ERR: Optional[str] = None
except ImportError as exc:
    pychop = None
    _PYCHOP_ERR = f"not installed ({exc.name or exc})"

try:
    from tqdm import tqdm as _tqdm
except ImportError:
    _tqdm = None

# The other benchmarks' sections of RESULTS.md, kept when this script rewrites the file.
# The other benchmarks' sections follow the cast table: from the first of their markers on,
# the file is kept as it is (their tables and the hand-written assessments between them).
OTHER_SECTIONS = ("<!-- bench_arith:begin -->", "<!-- bench_matmul:begin -->",
                  "<!-- bench_special:begin -->", "<!-- bench_attention:begin -->")

# Targets the project's goals are stated in.
TARGET_SPEEDUP_VS_ML = 10.0     # roundoff nearest_even at least 10x ml_dtypes' astype
TARGET_VS_COPY_2T = 1.5         # roundoff on 2 threads within 1.5x of a plain float32 copy
TARGET_SR_VS_RNE = 1.3          # stochastic at most 1.3x the time of nearest_even
TARGET_1T_GELEMS = 1.5          # roundoff on 1 thread at least 1.5 G elements/s

LEGEND = f"""\
Columns: `G el/s` = 10^9 elements per second; `ns/el` = nanoseconds per element (best of R);
`vs ml_dtypes` = ml_dtypes' time per element / this row's (speedup, >1 is faster);
`vs copy` = this row's time per element / the np.copyto reference's (1.0 = memory-bound copy);
`SR/RNE` = roundoff stochastic time / roundoff nearest_even time, same thread count;
`others' CPU` = CPUs that other processes kept busy while the row was timed (from /proc/stat;
`!` above 0.2: the timing is suspect; `?` when the row took under 0.5 s, too short to tell); `agrees` = share of this row's codes equal to roundoff nearest_even (1 thread) codes on the
same elements (for stochastic 2-thread: equal to stochastic 1-thread, same seed).
Verdicts (`meets` / `misses`; `-` = target does not apply to the row):
`>=10x ml` = roundoff nearest_even speedup vs ml_dtypes >= {TARGET_SPEEDUP_VS_ML:g}x (1 and 2 threads);
`2T<=1.5x copy` = roundoff on 2 threads (both modes) takes <= {TARGET_VS_COPY_2T:g}x the copy's time;
`SR<=1.3x` = roundoff stochastic <= {TARGET_SR_VS_RNE:g}x nearest_even at the same thread count;
`1T>=1.5G` = roundoff on 1 thread (both modes) >= {TARGET_1T_GELEMS:g} G el/s."""

FORMATS = [
    # name, roundoff name, ml_dtypes dtype, gfloat FormatInfo name, pychop (exp_bits, sig_bits)
    ("E4M3", "e4m3", ml_dtypes.float8_e4m3fn, "format_info_ocp_e4m3", (4, 3)),
    ("E5M2", "e5m2", ml_dtypes.float8_e5m2, "format_info_ocp_e5m2", (5, 2)),
    ("BF16", "bf16", ml_dtypes.bfloat16, "format_info_bfloat16", (8, 7)),
]


@dataclass
class Row:
    fmt: str
    method: str
    threads: str
    n: int = 0
    best_s: float = float("nan")
    note: str = ""          # set instead of a timing when the row could not run
    agrees: Optional[float] = None
    kind: str = ""          # "rne", "sr", "ml", "copy", "other"
    nthreads: int = 1
    verdicts: dict = field(default_factory=dict)
    vs_ml: Optional[float] = None
    vs_copy: Optional[float] = None
    sr_vs_rne: Optional[float] = None
    other_load: Optional[float] = None  # CPUs other processes used while this row was timed

    @property
    def ns_per_el(self) -> float:
        return self.best_s / self.n * 1e9 if self.n else float("nan")

    @property
    def gelems(self) -> float:
        return self.n / self.best_s / 1e9 if self.n else float("nan")


def _system_busy_s() -> Optional[float]:
    """CPU seconds all CPUs have spent busy since boot (from /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(t) for t in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal ...
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)
    return busy / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


# Other processes' CPU use (in CPUs) during the last best_of call; None if unknown.
LAST_OTHER_LOAD: List[Optional[float]] = [None]
OTHER_LOAD_LIMIT = 0.2  # rows measured while others used more than this many CPUs get flagged


def write_section(path: str, begin: str, end: str, title: str, command: str,
                  facts: List[str], text: str) -> None:
    """Replace the section between the markers begin and end of the Markdown file path (or
    append it): a title, the command that produced it, bullet facts, then text."""
    section = "\n".join([begin, "", f"## {title}", "", "Command:", "", "```", command, "```", ""]
                        + [f"- {fact}" for fact in facts] + ["", text, "", end])
    old = open(path).read() if os.path.exists(path) else ""
    if begin in old and end in old:
        new = old[:old.index(begin)] + section + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(new)
    print(f"wrote {path}")


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls, after one untimed warm-up call.

    Also records in LAST_OTHER_LOAD how many CPUs other processes kept busy meanwhile (system
    busy time from /proc/stat minus this process's own CPU time, over the wall time)."""
    sys0, own0, wall0 = _system_busy_s(), _own_cpu_s(), time.perf_counter()
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    sys1, own1, wall1 = _system_busy_s(), _own_cpu_s(), time.perf_counter()
    # /proc/stat and os.times() count in clock ticks (10 ms): too coarse under half a second.
    LAST_OTHER_LOAD[0] = (None if sys0 is None or sys1 is None or wall1 - wall0 < 0.5
                          else max(0.0, (sys1 - sys0) - (own1 - own0)) / (wall1 - wall0))
    return best


def agreement(codes: np.ndarray, ref: np.ndarray) -> float:
    return float(np.count_nonzero(codes == ref)) / ref.size


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def cpu_flags() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    keep = ["avx2", "fma", "avx512f", "avx512bw", "avx512_bf16"]
                    return " ".join(k for k in keep if k in have) or "-"
    except OSError:
        pass
    return "?"


def build_info() -> str:
    """Which roundoff extension was timed: its file's modification time, and the source tree's
    git commit with a note when cpp/ or python/ has uncommitted changes."""
    import subprocess
    parts = []
    core = getattr(getattr(roundoff, "_core", None), "__file__", None)
    if core:
        mtime = _dt.datetime.fromtimestamp(os.path.getmtime(core)).astimezone()
        parts.append(f"_core built {mtime.isoformat(timespec='seconds')}")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "cpp",
                                "python", "CMakeLists.txt"],
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
        dirty = [d[3:] for d in dirty if d.strip()]
        if head:
            parts.append(f"source tree at {head}"
                         + (f" with uncommitted changes to {', '.join(dirty)}" if dirty else ""))
    except (OSError, subprocess.SubprocessError):
        pass
    return "; ".join(parts) or "unknown"


def versions() -> dict:
    from importlib import metadata
    out = {"python": platform.python_version()}
    for dist in ("roundoff", "numpy", "ml_dtypes", "gfloat", "pychop", "dask", "tqdm"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def make_tasks(x: np.ndarray, slow_n: int, repeat: int):
    """(label, callable returning a list of Rows) in run order."""
    n = x.size
    xs = x[:slow_n]
    tasks = []
    copy_dst = np.empty_like(x)

    def copy_task():
        r = Row("all", "numpy np.copyto (f32 -> f32, preallocated)", "1", n, kind="copy")
        r.best_s = best_of(lambda: np.copyto(copy_dst, x), repeat)
        r.other_load = LAST_OTHER_LOAD[0]
        return [r]

    tasks.append(("copy", copy_task))

    def philox_task():
        # The random bits alone: what stochastic rounding adds to nearest_even (1 thread).
        from roundoff import _core
        r = Row("all", "roundoff Philox4x32-10 bits only (_core.philox_words)", "1", n,
                kind="rng")
        r.best_s = best_of(lambda: _core.philox_words(1, 0, n), repeat)
        r.other_load = LAST_OTHER_LOAD[0]
        return [r]

    tasks.append(("philox", philox_task))

    for name, rname, dtype, gfname, (eb, sb) in FORMATS:
        ref_holder = {}

        def roundoff_task(name=name, rname=rname, ref_holder=ref_holder):
            rows = []
            sr_codes = {}
            for mode, kind in (("nearest_even", "rne"), ("stochastic", "sr")):
                for t in (1, 2):
                    roundoff.set_num_threads(t)
                    r = Row(name, f"roundoff encode {mode}", str(t), n, kind=kind, nthreads=t)
                    r.best_s = best_of(lambda: roundoff.encode(x, rname, mode, seed=1), repeat)
                    r.other_load = LAST_OTHER_LOAD[0]
                    codes = roundoff.encode(x, rname, mode, seed=1)
                    if kind == "rne":
                        if t == 1:
                            ref_holder["ref"] = codes
                        r.agrees = agreement(codes, ref_holder["ref"])
                    else:
                        sr_codes[t] = codes
                        if t == 2:
                            r.agrees = agreement(codes, sr_codes[1])
                    rows.append(r)
            roundoff.set_num_threads(0)
            return rows

        def ml_task(name=name, dtype=dtype, ref_holder=ref_holder):
            r = Row(name, f"ml_dtypes x.astype({dtype.__name__})", "1", n, kind="ml")
            r.best_s = best_of(lambda: x.astype(dtype), repeat)
            r.other_load = LAST_OTHER_LOAD[0]
            codes = x.astype(dtype).view(ref_holder["ref"].dtype)
            r.agrees = agreement(codes, ref_holder["ref"])
            return [r]

        def gfloat_task(name=name, dtype=dtype, gfname=gfname, ref_holder=ref_holder):
            r = Row(name, "gfloat round_ndarray (TiesToEven)", "1", kind="other")
            if gfloat is None:
                r.note = _GFLOAT_ERR
                return [r]
            fi = {"format_info_ocp_e4m3": format_info_ocp_e4m3,
                  "format_info_ocp_e5m2": format_info_ocp_e5m2,
                  "format_info_bfloat16": format_info_bfloat16}[gfname]
            try:
                r.n = xs.size
                r.best_s = best_of(lambda: _gf_round_ndarray(fi, xs), repeat)
                r.other_load = LAST_OTHER_LOAD[0]
                vals = _gf_round_ndarray(fi, xs)
                codes = np.asarray(vals).astype(dtype).view(ref_holder["ref"].dtype)
                r.agrees = agreement(codes, ref_holder["ref"][: xs.size])
            except Exception as exc:  # report, keep going
                r.n, r.note = 0, f"failed: {type(exc).__name__}: {exc}"
            return [r]

        def pychop_task(name=name, dtype=dtype, eb=eb, sb=sb, ref_holder=ref_holder):
            r = Row(name, f"pychop Chop({eb},{sb},rmode=1)", "1", kind="other")
            if pychop is None:
                r.note = _PYCHOP_ERR
                return [r]
            try:
                # chunk_size >= the slice keeps pychop on its plain NumPy path; its default
                # (800) would split the array into Dask blocks of 800 elements.
                ch = pychop.Chop(exp_bits=eb, sig_bits=sb, rmode=1, chunk_size=max(xs.size, 800))
                r.n = xs.size
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    r.best_s = best_of(lambda: ch(xs), repeat)
                    r.other_load = LAST_OTHER_LOAD[0]
                    vals = np.asarray(ch(xs))
                    codes = vals.astype(dtype).view(ref_holder["ref"].dtype)
                r.agrees = agreement(codes, ref_holder["ref"][: xs.size])
            except Exception as exc:  # report, keep going
                r.n, r.note = 0, f"failed: {type(exc).__name__}: {exc}"
            return [r]

        tasks += [(f"{name} roundoff", roundoff_task), (f"{name} ml_dtypes", ml_task),
                  (f"{name} gfloat", gfloat_task), (f"{name} pychop", pychop_task)]
    return tasks


def _ok(flag: bool) -> str:
    return "meets" if flag else "misses"


def evaluate(rows: List[Row]) -> None:
    copy = next(r for r in rows if r.kind == "copy")
    for r in rows:
        if not r.n:
            continue
        r.vs_copy = r.ns_per_el / copy.ns_per_el
        if r.kind == "copy":
            continue
        ml = next((m for m in rows if m.fmt == r.fmt and m.kind == "ml"), None)
        if ml is not None and ml.n:
            r.vs_ml = ml.ns_per_el / r.ns_per_el
        if r.kind == "sr":
            rne = next(m for m in rows
                       if m.fmt == r.fmt and m.kind == "rne" and m.nthreads == r.nthreads)
            r.sr_vs_rne = r.best_s / rne.best_s
        if r.kind == "rne" and r.vs_ml is not None:
            r.verdicts["ml"] = _ok(r.vs_ml >= TARGET_SPEEDUP_VS_ML)
        if r.kind in ("rne", "sr") and r.nthreads == 2:
            r.verdicts["copy"] = _ok(r.vs_copy <= TARGET_VS_COPY_2T)
        if r.kind == "sr":
            r.verdicts["sr"] = _ok(r.sr_vs_rne <= TARGET_SR_VS_RNE)
        if r.kind in ("rne", "sr") and r.nthreads == 1:
            r.verdicts["1t"] = _ok(r.gelems >= TARGET_1T_GELEMS)


HEADERS = ["format", "method", "thr", "n timed", "G el/s", "ns/el", "vs ml_dtypes", "vs copy",
           "SR/RNE", "agrees", "others' CPU", ">=10x ml", "2T<=1.5x copy", "SR<=1.3x",
           "1T>=1.5G"]
RIGHT = {3, 4, 5, 6, 7, 8, 9, 10}


def _fmt_n(n: int) -> str:
    if n and n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1}"
    return str(n)


def busy(load: Optional[float]) -> str:
    if load is None:
        return "?"
    return f"{load:.2f}" + (" !" if load > OTHER_LOAD_LIMIT else "")


def load_warning(rows: List[Row]) -> str:
    bad = [f"{r.fmt} {r.method} {r.threads}T ({r.other_load:.2f})" for r in rows
           if r.other_load is not None and r.other_load > OTHER_LOAD_LIMIT]
    if not bad:
        return (f"Other processes used at most {OTHER_LOAD_LIMIT:g} CPUs while each row was "
                "timed.")
    return (f"WARNING: other processes used more than {OTHER_LOAD_LIMIT:g} CPUs while these "
            f"rows were timed, so their timings (and ratios built on them) are suspect: "
            + "; ".join(bad))


def table_cells(rows: List[Row]) -> List[List[str]]:
    out = []
    for r in rows:
        if not r.n:
            out.append([r.fmt, r.method, r.threads, "-", r.note or "-"]
                       + [""] * (len(HEADERS) - 5))
            continue
        ratio = lambda v: "-" if v is None else f"{v:.2f}x"
        agrees = "-" if r.agrees is None else f"{100 * r.agrees:.4f}%"
        out.append([
            r.fmt, r.method, r.threads, _fmt_n(r.n), f"{r.gelems:.3f}", f"{r.ns_per_el:.2f}",
            ratio(r.vs_ml), ratio(r.vs_copy), ratio(r.sr_vs_rne), agrees, busy(r.other_load),
            r.verdicts.get("ml", "-"), r.verdicts.get("copy", "-"), r.verdicts.get("sr", "-"),
            r.verdicts.get("1t", "-"),
        ])
    return out


def render_text(rows: List[Row]) -> str:
    cells = [HEADERS] + table_cells(rows)
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    right = RIGHT
    lines = []
    for k, c in enumerate(cells):
        lines.append("  ".join(s.rjust(w) if i in right else s.ljust(w)
                               for i, (s, w) in enumerate(zip(c, widths))).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown_table(rows: List[Row]) -> str:
    cells = table_cells(rows)
    right = RIGHT
    lines = ["| " + " | ".join(HEADERS) + " |",
             "|" + "|".join("---:" if i in right else "---" for i in range(len(HEADERS))) + "|"]
    for c in cells:
        lines.append("| " + " | ".join(s.replace("|", "\\|") for s in c) + " |")
    return "\n".join(lines)


def summary(rows: List[Row]) -> str:
    names = {"ml": f"roundoff nearest_even >= {TARGET_SPEEDUP_VS_ML:g}x ml_dtypes",
             "copy": f"roundoff 2 threads <= {TARGET_VS_COPY_2T:g}x plain copy",
             "sr": f"stochastic <= {TARGET_SR_VS_RNE:g}x nearest_even",
             "1t": f"roundoff 1 thread >= {TARGET_1T_GELEMS:g} G el/s"}
    lines = []
    for key, label in names.items():
        got = [(r, r.verdicts[key]) for r in rows if key in r.verdicts]
        met = [f"{r.fmt} {r.method.split()[-1]} {r.threads}T" for r, v in got if v == "meets"]
        missed = [f"{r.fmt} {r.method.split()[-1]} {r.threads}T" for r, v in got
                  if v == "misses"]
        lines.append(f"- {label}: met in {len(met)}/{len(got)} rows"
                     + (f"; missed: {', '.join(missed)}" if missed else "")
                     + (f"; met: {', '.join(met)}" if met else ""))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=None,
                   help="elements (default 2^24; 2^20 with --quick)")
    p.add_argument("--repeat", type=int, default=None,
                   help="timed calls per row, best taken (default 5; 3 with --quick)")
    p.add_argument("--slow-n", type=int, default=None,
                   help="elements for gfloat and pychop (default min(n, 2^22))")
    p.add_argument("--scale", type=float, default=64.0,
                   help="standard-normal data times this (default 64)")
    p.add_argument("--seed", type=int, default=0, help="data seed (default 0)")
    p.add_argument("--quick", action="store_true", help="small run: n=2^20, R=3")
    p.add_argument("--out", metavar="FILE", help="also write the table as Markdown to FILE")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
    p.add_argument("--retry-busy", type=int, default=2, metavar="K",
                   help="re-time a group of rows up to K times when other processes used more "
                        f"than {OTHER_LOAD_LIMIT:g} CPUs meanwhile (default 2)")
    args = p.parse_args(argv)

    n = args.n if args.n is not None else (1 << 20 if args.quick else 1 << 24)
    repeat = args.repeat if args.repeat is not None else (3 if args.quick else 5)
    slow_n = min(n, args.slow_n if args.slow_n is not None else (1 << 22))
    if n < 1 or repeat < 1 or slow_n < 1:
        p.error("--n, --repeat and --slow-n must be positive")

    command = shlex.join([sys.executable] + (sys.argv if argv is None else ["bench_casts.py"]
                                             + list(argv)))
    started = _dt.datetime.now().astimezone()
    x = (np.random.default_rng(args.seed).standard_normal(n, dtype=np.float32)
         * np.float32(args.scale))
    default_threads = roundoff.get_num_threads()
    load_before = loadavg()
    build = build_info()  # before timing: the extension file may be rebuilt while we run
    core_file = getattr(getattr(roundoff, "_core", None), "__file__", None)
    core_mtime = os.path.getmtime(core_file) if core_file else None

    tasks = make_tasks(x, slow_n, repeat)
    it = tasks
    bar = None
    if _tqdm is not None and not args.no_progress:
        bar = _tqdm(tasks, desc="bench", unit="task", file=sys.stderr, leave=False)
        it = bar
    rows: List[Row] = []
    t_all = time.perf_counter()
    retried = []
    for label, task in it:
        if bar is not None:
            bar.set_postfix_str(label)
        got = task()
        # Re-time a task whose rows ran while other processes were busy; keep the cleanest.
        for _ in range(args.retry_busy):
            worst = max((r.other_load or 0.0) for r in got)
            if worst <= OTHER_LOAD_LIMIT:
                break
            retried.append(label)
            again = task()
            if max((r.other_load or 0.0) for r in again) < worst:
                got = again
        rows += got
    elapsed = time.perf_counter() - t_all
    load_after = loadavg()
    if core_mtime is not None and os.path.exists(core_file) \
            and os.path.getmtime(core_file) != core_mtime:
        build += ("; NOTE: the extension file was replaced during the run; the timings are of "
                  "the build loaded at the start, described here")
    retries = (f"re-timed because other processes were busy: {', '.join(retried)}"
               if retried else "no row group needed re-timing for other load")
    if bar is not None:
        bar.close()
    evaluate(rows)

    ver = versions()
    meta = [
        f"command: {command}",
        f"date: {started.isoformat(timespec='seconds')}",
        f"CPU: {cpu_model()} ({cpu_flags()}), {os.cpu_count()} logical CPUs; "
        f"roundoff default threads {default_threads}; rows use 1 or 2 as listed",
        f"data: n = {_fmt_n(n)} float32, standard normal x {args.scale:g} (seed {args.seed}), "
        f"min {float(x.min()):.4g}, max {float(x.max()):.4g}; gfloat/pychop timed on the first "
        f"{_fmt_n(slow_n)}; best of {repeat} after 1 warm-up; bench time {elapsed:.1f} s",
        "versions: " + ", ".join(f"{k} {v}" for k, v in ver.items()),
        f"roundoff build: {build}",
        f"load average (1/5/15 min) before: {load_before}, after: {load_after} "
        f"(other processes competing for the {os.cpu_count()} CPUs distort the timings); "
        + retries,
    ]
    print("\n".join(meta))
    print()
    print(render_text(rows))
    print()
    print(LEGEND)
    print()
    print("Targets:")
    print(summary(rows))
    print()
    print(load_warning(rows))

    if args.out:
        md = ["# roundoff cast benchmark", ""]
        md += ["Command:", "", "```", command, "```", ""]
        md += [f"- Date: {started.isoformat(timespec='seconds')}",
               f"- CPU: {cpu_model()} (flags: {cpu_flags()}), {os.cpu_count()} logical CPUs",
               f"- Threads: roundoff rows on 1 or 2 threads as listed (roundoff's default here: "
               f"{default_threads}); ml_dtypes, gfloat, pychop and the copy are single-threaded",
               f"- Data: n = {_fmt_n(n)} float32, standard normal x {args.scale:g} "
               f"(seed {args.seed}), min {float(x.min()):.4g}, max {float(x.max()):.4g}; "
               f"gfloat and pychop timed on the first {_fmt_n(slow_n)} elements, rates per "
               "element",
               f"- Timing: best of {repeat} `time.perf_counter` calls after 1 warm-up call; "
               f"whole run {elapsed:.1f} s",
               "- Versions: " + ", ".join(f"{k} {v}" for k, v in ver.items()),
               f"- roundoff build: {build}",
               f"- Load average (1/5/15 min) before the run: {load_before}; after: "
               f"{load_after}; {retries}",
               "", render_markdown_table(rows), "", LEGEND, "", "Targets:", "", summary(rows),
               "", load_warning(rows), ""]
        # Other benchmarks' sections live in the same file between markers.
        kept = ""
        if os.path.exists(args.out):
            with open(args.out) as f:
                old = f.read()
            starts = [old.index(m) for m in OTHER_SECTIONS if m in old]
            if starts:
                kept = old[min(starts):]
        with open(args.out, "w") as f:
            f.write("\n".join(md) + ("\n" + kept if kept else ""))
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
