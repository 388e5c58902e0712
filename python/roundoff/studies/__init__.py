"""The seed studies: one module each, run by ``roundoff study NAME`` (each writes a table and a
plot). Shared here: the progress bar."""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, Optional, TextIO, TypeVar

T = TypeVar("T")

STUDIES = {
    "attention-roundoff": "roundoff.studies.attention_roundoff",
}


def progress(items: Iterable[T], total: int, label: str,
             stream: Optional[TextIO] = None) -> Iterator[T]:
    """Yield ``items``, drawing a one-line progress bar on ``stream`` (default stderr) with the
    count, the elapsed time and an estimate of the time left; the line ends when they do."""
    out = sys.stderr if stream is None else stream
    start = time.monotonic()
    width = 24

    def draw(done: int) -> None:
        elapsed = time.monotonic() - start
        left = elapsed / done * (total - done) if done else 0.0
        filled = width * done // max(total, 1)
        out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                  f"{elapsed:5.0f} s elapsed, ~{left:4.0f} s left ")
        out.flush()

    draw(0)
    for done, item in enumerate(items, start=1):
        yield item
        draw(done)
    out.write("\n")
    out.flush()
