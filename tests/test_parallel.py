"""Workers end with the process that submitted their tasks; threads side by
side return their results in order."""

import os
import subprocess
import sys
import time

import pytest

SCRIPT = """
import os, sys, time
from joblib import Parallel, delayed
from mtlsynth.utils.parallel import exit_with

def task(owner):
    exit_with(owner, interval=0.1)
    return os.getpid()

pids = Parallel(n_jobs=2)(delayed(task)(os.getpid()) for _ in range(4))
print(" ".join(map(str, sorted(set(pids)))), flush=True)
time.sleep(60)
"""


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie has exited
        return f.read().split(")")[-1].split()[0] != "Z"


def test_workers_exit_soon_after_their_owner_is_killed():
    owner = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True
    )
    workers = [int(p) for p in owner.stdout.readline().split()]
    assert workers and owner.pid not in workers
    assert all(_alive(pid) for pid in workers)
    owner.kill()  # not reaped yet: a zombie, as under a busy parent
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
    owner.wait()


def test_nothing_happens_in_the_owner_itself():
    import threading

    from mtlsynth.utils.parallel import exit_with

    exit_with(os.getpid())  # a sequential run: no watcher
    assert "exit-with-owner" not in [t.name for t in threading.enumerate()]


@pytest.mark.parametrize("n_threads", [0, 1, 2, 5])
def test_map_in_threads_keeps_the_order_with_one_blas_thread_each(n_threads):
    from mtlsynth.utils.blas import blas_thread_count, map_in_threads

    def square(i):
        return i * i, blas_thread_count()

    got = map_in_threads(square, iter(range(7)), n_threads)
    assert [value for value, _ in got] == [i * i for i in range(7)]
    if n_threads > 1:
        assert {threads for _, threads in got} == {1}
    assert map_in_threads(square, [], n_threads) == []
