"""BLAS threading for small products."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

__all__ = [
    "SMALL_PRODUCT_FLOPS",
    "blas_thread_count",
    "blas_threads_for",
    "map_in_threads",
]

SMALL_PRODUCT_FLOPS = 5e7
"""Below this many flops per call, BLAS runs on one thread: small products
gain little from threads and slow down by orders of magnitude when the cores
are shared with other work."""


def blas_threads_for(flops: float, *, limit: float = SMALL_PRODUCT_FLOPS):
    """Context limiting BLAS to one thread when each call is small.

    Parameters
    ----------
    flops : float
        Floating-point operations of one BLAS call in the block.
    limit : float, default=SMALL_PRODUCT_FLOPS
        Calls below this run on one thread.

    Returns
    -------
    context : contextlib.AbstractContextManager
        ``threadpool_limits(1)`` for small calls, else a no-op context.
    """
    if flops < limit:
        return threadpool_limits(1, user_api="blas")
    return nullcontext()


def blas_thread_count() -> int:
    """Threads the loaded BLAS may use now (1 inside a one-thread limit).

    Returns
    -------
    n_threads : int
        The smallest thread count of the loaded BLAS libraries, at least 1.
    """
    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(1, min(counts)) if counts else 1


def map_in_threads(fn: Callable, items: Iterable, n_threads: int) -> list[Any]:
    """``fn`` of every item, in order, on up to ``n_threads`` threads.

    Each thread runs its calls with one BLAS thread, so that calls side by
    side do not oversubscribe the cores. Threads pay where the calls release
    the interpreter lock, as numpy's BLAS and scipy's sparse products do.

    Parameters
    ----------
    fn : callable
        Called with one item.
    items : iterable
        The items.
    n_threads : int
        Most threads to use; below 2 (or with one item) the calls run one
        after another in this thread, under the BLAS threading in force.

    Returns
    -------
    list
        ``fn(item)`` of every item, in the items' order.
    """
    items = list(items)
    workers = min(int(n_threads), len(items))
    if workers < 2:
        return [fn(item) for item in items]
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))
