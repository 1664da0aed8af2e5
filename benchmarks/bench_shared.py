"""Fit time of SharedLeastSquares against its floor and scikit-learn baselines.

Measured in one run, on the same data, for each n:

- ``X'X``: one ``X.T @ X`` product;
- ``X'X + X'Y``: the products any exact multi-output least-squares fit needs
  (``X'Y`` alone costs ``2 q / d`` of ``X'X``'s flops);
- ``shared``: ``SharedLeastSquares.fit`` (per-task statistics + T solves);
- ``augmented``: scikit-learn ``Ridge`` on Daume's augmented inputs, the same
  model solved in the ``(T + 1) d`` space (skipped when that matrix would not
  fit in memory);
- ``independent``: one scikit-learn ``Ridge`` per task.

Prints times, ratios to ``shared`` and peak memory (tracemalloc: NumPy's
allocations, not BLAS workspace). Usage::

    python benchmarks/bench_shared.py [--n 10000 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from sklearn.linear_model import Ridge
from threadpoolctl import threadpool_info

from mtlsynth import SharedLeastSquares


def timed(func, repeat):
    """Best wall time of ``repeat`` calls and the peak memory of one call."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def augmented(X, tasks, n_tasks):
    """Augmented inputs ``[x, 0, .., x (slot t), .., 0]`` (unit scaling)."""
    n, d = X.shape
    Z = np.zeros((n, d * (n_tasks + 1)))
    Z[:, :d] = X
    for t in range(n_tasks):
        rows = tasks == t
        Z[rows, d * (t + 1) : d * (t + 2)] = X[rows]
    return Z


def run(n, d, q, n_tasks, repeat, memory_limit):
    """Time every method at one size; return a dict of (seconds, bytes)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    tasks = rng.integers(0, n_tasks, n)
    Y = X @ rng.standard_normal((d, q)) + rng.standard_normal((n, q))
    results = {
        "X'X": timed(lambda: X.T @ X, repeat),
        "X'X + X'Y": timed(lambda: (X.T @ X, X.T @ Y), repeat),
    }
    model = SharedLeastSquares(alpha_shared=1.0, alpha_task=1.0)
    results["shared"] = timed(lambda: model.fit(X, Y, tasks=tasks), repeat)
    if n * d * (n_tasks + 1) * 8 * 2.5 < memory_limit:
        Z = augmented(X, tasks, n_tasks)
        ridge = Ridge(alpha=1.0, fit_intercept=False)
        results["augmented"] = timed(lambda: ridge.fit(Z, Y), 1)
        check = np.abs(
            ridge.predict(Z)
            - model.set_params(fit_intercept=False)
            .fit(X, Y, tasks=tasks)
            .predict(X, tasks=tasks)
        ).max()
        print(f"  n={n}: max |augmented - shared| prediction gap {check:.2e}")
        del Z

    def independent():
        for t in range(n_tasks):
            rows = tasks == t
            Ridge(alpha=1.0).fit(X[rows], Y[rows])

    results["independent"] = timed(independent, repeat)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--d", type=int, default=300)
    parser.add_argument("--q", type=int, default=66)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-gb", type=float, default=16.0)
    args = parser.parse_args()
    print(f"d={args.d}, q={args.q}, T={args.tasks}; best of {args.repeat}")
    header = f"{'n':>9} {'method':>13} {'time s':>9} {'÷ shared':>9} {'peak MB':>9}"
    rows = [header, "-" * len(header)]
    for n in args.n:
        results = run(
            n, args.d, args.q, args.tasks, args.repeat, args.memory_gb * 2**30
        )
        shared = results["shared"][0]
        for method, (seconds, peak) in results.items():
            rows.append(
                f"{n:>9} {method:>13} {seconds:9.3f} {seconds / shared:9.2f} "
                f"{peak / 2**20:9.1f}"
            )
        if "augmented" not in results:
            need = n * args.d * (args.tasks + 1) * 8 / 2**30
            rows.append(
                f"{n:>9} {'augmented':>13}   (skipped: inputs need {need:.0f} GB)"
            )
    print("\n".join(rows))
    info = threadpool_info()
    print(
        "BLAS:",
        ", ".join(
            f"{i['internal_api']} {i.get('architecture')} x{i['num_threads']}"
            for i in info
            if i["user_api"] == "blas"
        ),
    )


if __name__ == "__main__":
    main()
