"""A one-line progress display on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    """Call with the number of records done; redraws at most 10 times a second."""

    def __init__(self, noun: str = "records") -> None:
        self.noun = noun
        self.enabled = sys.stderr.isatty()
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.1:
            return
        self.last = now
        rate = done / (now - self.started) if now > self.started else 0.0
        print(f"\r  {done:,} {self.noun} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.enabled and self.last:
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)
