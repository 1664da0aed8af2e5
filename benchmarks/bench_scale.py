"""Streaming and distributed fitting against fitting in memory.

Every measurement runs in its own process, so its peak resident memory
(``ru_maxrss``, workers included) is its own. Chunks of rows are generated
by the loader from a seed, as a reader of feature files would produce them.

- ``memory``: build X and Y whole, then ``SharedLeastSquares.fit``;
- ``stream``: ``accumulate_statistics`` over chunks in one process, then
  ``fit_statistics``: memory O(chunk + T d^2 + T d q) whatever the rows;
- ``workers=k``: the same with k joblib worker processes (loky), and with a
  dask.distributed LocalCluster of k workers (``--dask``).

The loader's data generation is part of every time (it stands for reading
features from disk). Usage::

    python benchmarks/bench_scale.py [--frames 10000000] [--memory-frames 2000000]
        [--d 400] [--q 66] [--tasks 8] [--chunk 100000] [--dask]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from mtlsynth import SharedLeastSquares, accumulate_statistics


def load_chunk(spec):
    """Rows ``spec = (seed, n, d, q, n_tasks)``: standard normal inputs."""
    seed, n, d, q, n_tasks = spec
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32).astype(np.float64)
    tasks = rng.integers(0, n_tasks, n)
    W = np.random.default_rng(12345).standard_normal((d, q)) / np.sqrt(d)
    Y = X @ W + rng.standard_normal((n, q))
    return X, Y, tasks


def chunk_specs(frames, chunk, d, q, n_tasks):
    """One spec per chunk covering ``frames`` rows."""
    sizes = [chunk] * (frames // chunk) + ([frames % chunk] if frames % chunk else [])
    return [(i, n, d, q, n_tasks) for i, n in enumerate(sizes)]


def measure(mode, frames, chunk, d, q, n_tasks, workers):
    """Run one measurement in this process; return its record."""
    specs = chunk_specs(frames, chunk, d, q, n_tasks)
    model = SharedLeastSquares(alpha_shared=1.0, alpha_task=10.0)
    start = time.perf_counter()
    if mode == "memory":
        parts = [load_chunk(s) for s in specs]
        X = np.concatenate([p[0] for p in parts])
        Y = np.concatenate([p[1] for p in parts])
        tasks = np.concatenate([p[2] for p in parts])
        del parts
        model.fit(X, Y, tasks=tasks)
    elif mode == "dask":
        import joblib
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster),
            joblib.parallel_config(backend="dask"),
        ):
            start = time.perf_counter()
            model.fit_statistics(accumulate_statistics(load_chunk, specs))
    else:
        model.fit_statistics(accumulate_statistics(load_chunk, specs, n_jobs=workers))
    seconds = time.perf_counter() - start
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    return {
        "mode": mode,
        "frames": frames,
        "workers": workers,
        "seconds": seconds,
        "frames_per_s": frames / seconds,
        "peak_rss_mb": peak_kb / 1024,
        "coef_checksum": float(np.abs(model.coef_).sum()),
    }


def run_child(args, mode, frames, workers):
    """Measure in a fresh interpreter and parse its JSON line."""
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--frames",
        str(frames),
        "--chunk",
        str(args.chunk),
        "--d",
        str(args.d),
        "--q",
        str(args.q),
        "--tasks",
        str(args.tasks),
        "--workers",
        str(workers),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000_000)
    parser.add_argument("--memory-frames", type=int, default=2_000_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=400)
    parser.add_argument("--q", type=int, default=66)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--dask", action="store_true", help="also time dask")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        record = measure(
            args.child,
            args.frames,
            args.chunk,
            args.d,
            args.q,
            args.tasks,
            args.workers,
        )
        print(json.dumps(record))
        return
    need_gb = args.frames * (args.d + args.q) * 8 / 2**30
    print(
        f"d={args.d}, q={args.q}, T={args.tasks}, chunks of {args.chunk} rows; "
        f"{args.frames} frames would need {need_gb:.0f} GB in memory"
    )
    runs = [
        ("memory", args.memory_frames, 1),
        ("stream", args.memory_frames, 1),
        ("stream", args.frames, 1),
        ("stream", args.frames, 2),
    ]
    if args.dask:
        runs += [("dask", args.frames, 1), ("dask", args.frames, 2)]
    records = [run_child(args, *run) for run in runs]
    base = records[0]
    print(
        f"{'mode':>7} {'workers':>7} {'frames':>10} {'time s':>8} "
        f"{'frames/s':>10} {'peak MB':>8} {'÷ memory time/frame':>20}"
    )
    for r in records:
        ratio = (r["seconds"] / r["frames"]) / (base["seconds"] / base["frames"])
        print(
            f"{r['mode']:>7} {r['workers']:>7} {r['frames']:>10} {r['seconds']:8.1f} "
            f"{r['frames_per_s']:10.0f} {r['peak_rss_mb']:8.0f} {ratio:20.2f}"
        )
    same = [r for r in records if r["frames"] == args.memory_frames]
    gap = abs(same[0]["coef_checksum"] - same[1]["coef_checksum"]) / abs(
        same[0]["coef_checksum"]
    )
    print(f"relative difference of |coef| sums, memory vs stream: {gap:.1e}")


if __name__ == "__main__":
    main()
