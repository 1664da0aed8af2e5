"""Progress of long jobs on stderr.

On a terminal, a tqdm bar; elsewhere (a log file, a pipe, CI), one plain
line at most every ``interval`` seconds and one at the end, so that a log
reads line by line and an error message never lands on a progress line.

Jobs deep inside the estimators (factorizations, solver iterations) report
only inside :func:`reporting`, which the command line turns on::

    with reporting():
        model.fit(X, y)  # shows its progress
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import time
from collections.abc import Iterator

from tqdm import tqdm

__all__ = ["Progress", "reporting"]

_REPORTING = contextvars.ContextVar("mtlsynth_reporting", default=False)


@contextlib.contextmanager
def reporting(enabled: bool = True) -> Iterator[None]:
    """Let the estimators report the progress of long fits inside the block.

    Parameters
    ----------
    enabled : bool, default=True
        Report (or, with False, silence a block inside a reporting one).

    Yields
    ------
    None
    """
    token = _REPORTING.set(bool(enabled))
    try:
        yield
    finally:
        _REPORTING.reset(token)


class Progress:
    """Progress of a job with a known number of steps, on stderr.

    Parameters
    ----------
    total : int
        Number of steps.
    what : str
        What is counted, shown before the count.
    enabled : bool, optional
        Report at all; default: inside :func:`reporting` only.
    interval : float, default=10.0
        Seconds between plain lines when stderr is not a terminal.
    """

    def __init__(
        self,
        total: int,
        what: str,
        *,
        enabled: bool | None = None,
        interval: float = 10.0,
    ) -> None:
        self.total, self.what, self.interval = int(total), what, float(interval)
        self.enabled = _REPORTING.get() if enabled is None else bool(enabled)
        self.done = 0
        self._t0 = self._last = time.monotonic()
        self._bar = None
        if self.enabled and _is_terminal(sys.stderr):
            self._bar = tqdm(total=self.total, desc=what, file=sys.stderr)

    def update(self, n: int = 1) -> None:
        """Count steps done and show them.

        Parameters
        ----------
        n : int, default=1
            Steps just done.
        """
        self.done += n
        finished = self.done >= self.total
        if self._bar is not None:
            self._bar.update(n)
            if finished:
                self.close()
            return
        now = time.monotonic()
        if self.enabled and (finished or now - self._last >= self.interval):
            self._last = now
            elapsed = now - self._t0
            left = elapsed / self.done * (self.total - self.done) if self.done else 0
            print(
                f"{self.what}: {self.done}/{self.total} "
                f"[{elapsed:.0f} s elapsed, {left:.0f} s left]",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """End the bar (on a terminal); further updates print nothing."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self.enabled = False


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
