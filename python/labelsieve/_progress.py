"""A minimal progress line for the command line (no dependencies).

Drawn on stderr with carriage-return updates, and only when stderr is a
terminal (``LABELSIEVE_PROGRESS=1`` forces it on, ``=0`` off), so piped or
logged output stays clean.  It never affects results: the work it reports on
is the same whether or not it is shown.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import IO, Iterator, Optional

import numpy as np

BAR_WIDTH = 24
BLOCK_BYTES = 64 << 20  # row blocks of about 64 MiB when paging a memmap in
TICK_SECONDS = 0.25  # the elapsed time is redrawn this often during a long step


def progress_enabled(stream: IO[str]) -> bool:
    """On for a terminal; ``LABELSIEVE_PROGRESS`` (1/0) overrides."""
    forced = os.environ.get("LABELSIEVE_PROGRESS", "").strip().lower()
    if forced in ("1", "true", "yes", "on"):
        return True
    if forced in ("0", "false", "no", "off"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """Steps of a run, drawn as ``[#####-----] 2/4 finding issues  1.3 s``.

    ``step(label)`` starts the next step; ``update(fraction)`` moves the bar
    within it; ``close()`` clears the line.  While a step runs, a background
    thread redraws the elapsed time every quarter second (the passes release
    the GIL), so a long step is visibly alive.  All calls are no-ops when
    disabled.
    """

    def __init__(self, total_steps: int, stream: Optional[IO[str]] = None, enabled: Optional[bool] = None):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = progress_enabled(self.stream) if enabled is None else enabled
        self.total = max(1, int(total_steps))
        self.done = 0
        self.label = ""
        self.fraction = 0.0
        self.start = time.perf_counter()
        self._width = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: Optional[threading.Thread] = None

    def step(self, label: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self.label:
                self.done = min(self.done + 1, self.total - 1)
            self.label = label
            self.fraction = 0.0
            self._draw()
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="labelsieve-progress", daemon=True)
            self._ticker.start()

    def update(self, fraction: float) -> None:
        if not self.enabled:
            return
        with self._lock:
            self.fraction = min(max(fraction, 0.0), 1.0)
            self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                if self._stop.is_set():
                    return
                self._draw()

    def _draw(self) -> None:
        overall = (self.done + self.fraction) / self.total
        filled = int(round(overall * BAR_WIDTH))
        elapsed = time.perf_counter() - self.start
        text = (f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {self.done + 1}/{self.total} "
                f"{self.label}  {elapsed:.1f} s")
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + pad)
        self.stream.flush()

    def close(self) -> None:
        """Stop drawing and clear the line (later calls draw nothing)."""
        if not self.enabled:
            return
        self._stop.set()
        with self._lock:
            if self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
            self._width = 0
            self.enabled = False
        if self._ticker is not None:
            self._ticker.join()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def row_blocks(n_rows: int, row_bytes: int) -> Iterator[slice]:
    """Consecutive row slices of about BLOCK_BYTES each."""
    rows = max(1, BLOCK_BYTES // max(1, row_bytes))
    for start in range(0, n_rows, rows):
        yield slice(start, min(start + rows, n_rows))


def page_in(array: np.ndarray, progress: Progress) -> None:
    """Read a memory-mapped array from disk in row blocks, updating ``progress``
    between blocks, so the slow first read of a big file shows progress (the
    passes that follow then read it from the page cache).  Touches one element
    per memory page; the values are not used."""
    if not progress.enabled or not isinstance(array, np.memmap) or array.ndim != 2:
        return
    flat_step = max(1, 4096 // array.itemsize)
    n = array.shape[0]
    for rows in row_blocks(n, array.shape[1] * array.itemsize):
        block = np.asarray(array[rows]).reshape(-1)
        block[::flat_step].sum(dtype=np.float64)
        progress.update(rows.stop / n)
