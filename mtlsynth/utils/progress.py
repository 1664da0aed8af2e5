"""Progress of long jobs on stderr."""

from __future__ import annotations

import sys
import time

__all__ = [
    "Progress",
]


class Progress:
    """A single updating progress line on stderr.

    Parameters
    ----------
    total : int
        Number of steps.
    what : str
        What is counted, shown before the count.
    enabled : bool, default=True
        Write anything at all.
    """

    def __init__(self, total: int, what: str, *, enabled: bool = True) -> None:
        self.total, self.what, self.enabled = total, what, enabled
        self.done = 0
        self.t0 = time.monotonic()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        """Count steps done and redraw the line (at most five times a second).

        Parameters
        ----------
        n : int, default=1
            Steps just done.
        """
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.2 or self.done >= self.total):
            self._last = now
            elapsed = now - self.t0
            eta = elapsed / self.done * (self.total - self.done) if self.done else 0
            sys.stderr.write(
                f"\r{self.what}: {self.done}/{self.total} "
                f"[{elapsed:.0f} s elapsed, {eta:.0f} s left]"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()
