"""Worker processes that end with the process that started them."""

from __future__ import annotations

import os
import threading
import time

__all__ = ["exit_with"]

_WATCHED: set[int] = set()


def exit_with(owner: int, interval: float = 1.0) -> None:
    """In a worker process, exit soon after the process ``owner`` is gone.

    joblib's loky workers otherwise outlive a parent that was killed
    (``kill -9``, an out-of-memory kill) by their idle timeout: minutes of
    work that nobody will read. A task that may run in a worker calls it
    first with the pid of the process that submitted it
    (``os.getpid()`` there); a daemon thread then checks every ``interval``
    seconds. In the owner itself (a sequential run) it does nothing.

    Parameters
    ----------
    owner : int
        Process id of the process that submitted the task.
    interval : float, default=1.0
        Seconds between checks.
    """
    if os.getpid() == owner or owner in _WATCHED:
        return
    _WATCHED.add(owner)
    child = os.getppid() == owner

    def watch() -> None:
        while _alive(owner, child):
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-owner", daemon=True).start()


def _alive(pid: int, child: bool) -> bool:
    """Whether ``pid`` runs; for our parent, whether we are still its child
    (a killed parent that nobody has reaped yet is a zombie that ``kill``
    still finds)."""
    if child:
        return os.getppid() == pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
