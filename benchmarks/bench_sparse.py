"""Dense against sparse inputs on frame-like features, time and peak memory.

The inputs look like the speech side's frame features: ``--blocks``
categorical blocks (quinphone identities, phone classes) of one nonzero
each among ``d / blocks`` columns, plus ``--dense`` dense columns with
offsets (positions, durations), rows sorted by task. For each input format
it measures, each case in a fresh process:

- ``statistics``: ``TaskStatistics.from_data`` (the work of
  ``SharedLeastSquares.fit``), with ``q`` targets;
- ``maxent``: ``MaxEntClassifier.fit`` on two classes (voicing).

Peak memory is the growth of the process's resident set (VmHWM, reset
after the inputs are built) during the call: working memory, without the
inputs, whose size is printed apart. The dense case is skipped where its
inputs would exceed ``--memory-gb``. The statistics of both formats are
compared (largest difference relative to ``sqrt(xx_ii xx_jj)``). Linux
only. Usage::

    python benchmarks/bench_sparse.py [--n 50000] [--d 2000] [--memory-gb 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import sparse


def frames(n, d, blocks, n_dense, n_tasks, q, seed=0):
    """CSR features, targets, class labels and sorted task codes."""
    rng = np.random.default_rng(seed)
    width = (d - n_dense) // blocks
    cols = np.arange(blocks) * width + rng.integers(0, width, (n, blocks))
    values = np.ones((n, blocks))
    dense = rng.normal(size=(n, n_dense)) + np.arange(1, n_dense + 1)
    cols = np.hstack([cols, d - n_dense + np.arange(n_dense) + np.zeros((n, 1), int)])
    values = np.hstack([values, dense])
    X = sparse.csr_matrix(
        (values.ravel(), cols.ravel(), np.arange(n + 1) * cols.shape[1]),
        shape=(n, d),
    )
    X.sort_indices()
    direction = rng.normal(size=d)
    direction[d - n_dense :] = 0.02 * rng.normal(size=n_dense)
    score = X @ direction
    chance = 1.0 / (1.0 + np.exp(np.median(score) - score))
    y = (rng.random(n) < chance).astype(int)
    Y = np.column_stack([score + rng.normal(size=n) for _ in range(q)])
    codes = np.sort(rng.integers(0, n_tasks, n))
    return X, Y, y, codes


def _reset_peak():
    Path("/proc/self/clear_refs").write_text("5")


def _peak_bytes():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _rss_bytes():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def case(args):
    """One measurement, in this process; prints a JSON line."""
    from mtlsynth import MaxEntClassifier
    from mtlsynth._stats import TaskStatistics

    X, Y, y, codes = frames(args.n, args.d, args.blocks, args.dense, args.tasks, args.q)
    if args.format == "dense":
        X = X.toarray()
        size = X.nbytes
    else:
        size = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    labels = np.arange(args.tasks)
    _reset_peak()
    base = _rss_bytes()
    start = time.perf_counter()
    extra = {}
    if args.method == "statistics":
        stats = TaskStatistics.from_data(X, Y, labels, codes)
        if args.save:
            np.savez(args.save, xx=stats.xx, xy=stats.xy, mean_x=stats.mean_x)
    else:
        model = MaxEntClassifier(merge_duplicates=False).fit(X, y, tasks=codes)
        extra["n_iter"] = model.n_iter_
        if args.save:
            np.savez(args.save, coef=model.coef_, intercept=model.intercept_)
    seconds = time.perf_counter() - start
    record = {"seconds": seconds, "peak": _peak_bytes() - base, "inputs": size}
    print(json.dumps(record | extra))


def run_case(args, method, fmt, save):
    command = [sys.executable, __file__, "--case", method, fmt, "--save", save]
    for name in ("n", "d", "blocks", "dense", "tasks", "q"):
        command += [f"--{name}", str(getattr(args, name))]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(dense_file, sparse_file, method):
    """Largest difference of the two formats' results, relative to scale."""
    a, b = np.load(dense_file), np.load(sparse_file)
    if method == "statistics":
        s = np.sqrt(np.einsum("tii->ti", a["xx"]).clip(0))
        scale = s[:, :, None] * s[:, None]
        gap = np.abs(a["xx"] - b["xx"])
        used = scale > 0  # columns no row of a task uses: zero in both
        return float((gap[used] / scale[used]).max())
    return float(np.abs(a["coef"] - b["coef"]).max() / np.abs(a["coef"]).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--d", type=int, default=2_000)
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--dense", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--q", type=int, default=5)
    parser.add_argument("--memory-gb", type=float, default=4.0)
    parser.add_argument("--methods", nargs="+", default=["statistics", "maxent"])
    parser.add_argument("--case", nargs=2, metavar=("METHOD", "FORMAT"))
    parser.add_argument("--save", default="")
    args = parser.parse_args()
    if args.case:
        args.method, args.format = args.case
        case(args)
        return
    nnz = args.blocks + args.dense
    dense_gb = args.n * args.d * 8 / 2**30
    print(
        f"n={args.n}, d={args.d}, {nnz} nonzeros a row ({args.dense} dense "
        f"columns), T={args.tasks}, q={args.q}"
    )
    header = (
        f"{'method':>10} {'format':>7} {'time s':>8} {'peak MB':>9} {'inputs MB':>10}"
    )
    rows = [header, "-" * len(header)]
    with tempfile.TemporaryDirectory() as tmp:
        for method in args.methods:
            found = {}
            for fmt in ("dense", "sparse"):
                if fmt == "dense" and dense_gb > args.memory_gb:
                    rows.append(
                        f"{method:>10} {fmt:>7}   (skipped: inputs need "
                        f"{dense_gb:.1f} GB)"
                    )
                    continue
                save = str(Path(tmp) / f"{method}-{fmt}.npz")
                found[fmt] = run_case(args, method, fmt, save), save
                r = found[fmt][0]
                rows.append(
                    f"{method:>10} {fmt:>7} {r['seconds']:8.2f} "
                    f"{r['peak'] / 2**20:9.0f} {r['inputs'] / 2**20:10.0f}"
                    + (f"  ({r['n_iter']} iterations)" if "n_iter" in r else "")
                )
            if len(found) == 2:
                (a, fa), (b, fb) = found["dense"], found["sparse"]
                rows.append(
                    f"{'':>10} dense/sparse time {a['seconds'] / b['seconds']:.1f}x, "
                    f"peak {a['peak'] / max(b['peak'], 1):.1f}x, largest gap "
                    f"{compare(fa, fb, method):.1e}"
                )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
