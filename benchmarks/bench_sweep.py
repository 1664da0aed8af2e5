"""Fit time against n, d and T: each estimator beside its scikit-learn baseline.

For every estimator, three sweeps (n varies with d and T fixed, then d, then
T); at each size ours and the baseline are fitted on the same data in the
same run. Times are the best of ``--repeat`` calls for fits under a second
(one call otherwise), reported with the ratio baseline / ours; the peak
memory of each fit is measured in a separate, untimed call under tracemalloc
(Python and NumPy allocations, not BLAS workspace). Building the baseline's
augmented inputs is part of neither its time nor its peak. Pairs:

1. ``SharedLeastSquares(alpha_shared=1, alpha_task=1, fit_intercept=False)``
   against (a) one scikit-learn ``Ridge(alpha=1)`` per task: independent
   models, not the same one, but the same cost class; and (b) ``Ridge(alpha=1)``
   on Daume's augmented inputs ``[x / sqrt(alpha_shared), 0, .., x /
   sqrt(alpha_task) (slot t), .., 0]``, with unit scaling here
   (``bench_shared.augmented``): exactly the same model, solved in ``(T + 1)
   d`` features, so it is skipped, with the reason printed, above
   ``--augmented-gflop`` or ``--memory-gb``. Agreement: max |prediction
   difference| from (b).
2. ``ProximalRegressor(L21(alpha), fit_intercept=False)`` on T tasks in long
   form that share one X (task t: rows X, targets y_t) against
   ``MultiTaskLasso(alpha, fit_intercept=False)`` on X and ``[y_1 .. y_T]``:
   both minimize ``sum_t 1/(2n) ||y_t - X w_t||^2 + alpha sum_j ||W_j||``
   (tests/test_proximal.py). As in bench_proximal.py, scikit-learn runs at its
   default tol and ours until its duality gap is at most that of scikit-learn's
   solution (same formula). Correlated inputs and alpha 0.02 of the smallest
   alpha giving W = 0, as there. Ours computes T Gram matrices of the same X:
   the long form's price. Agreement: max |coefficient difference|.
3. ``MaxEntClassifier(1, 1, shrink_intercepts=True)`` against
   ``LogisticRegression(C=1)`` (lbfgs) on the sparse augmented inputs of
   bench_maxent.py, the same objective, both at tol 1e-6. Agreement: relative
   difference of the final objectives, (ours - baseline) / |baseline|.

Both sides run with ``--threads`` BLAS threads (default 1; see bench_maxent.py
for why). Run from the repository root::

    python benchmarks/bench_sweep.py [--quick] [--json sweep.json]

``--quick`` takes about 10 seconds on 2 idle cores; the default grid about
2.5 minutes (more on a loaded machine) and up to 3 GB of memory.
``--estimators`` runs some of the three only.
"""

import argparse
import json
import os
import tempfile
import time
import tracemalloc

import bench_maxent
import bench_proximal
import bench_shared
import numpy as np
from sklearn.linear_model import LogisticRegression, MultiTaskLasso, Ridge
from threadpoolctl import threadpool_info, threadpool_limits

from mtlsynth import (
    FISTA,
    MaxEntClassifier,
    ProximalRegressor,
    SharedLeastSquares,
    TaskStatistics,
)
from mtlsynth._datafits import Quadratic
from mtlsynth.penalties import L21

# Per estimator: the base (n, d, T) and the values each sweep takes.
GRIDS = {
    "full": {
        "shared": {
            "base": (100_000, 100, 8),
            "n": [10_000, 100_000, 1_000_000],
            "d": [50, 100, 200, 400],
            "T": [2, 8, 32],
        },
        "l21": {
            "base": (30_000, 100, 8),
            "n": [3_000, 30_000, 300_000],
            "d": [50, 100, 200, 400],
            "T": [2, 8, 32],
        },
        "maxent": {
            "base": (100_000, 100, 8),
            "n": [10_000, 100_000, 300_000],
            "d": [50, 100, 200, 400],
            "T": [2, 8, 32],
        },
    },
    "quick": {
        "shared": {
            "base": (20_000, 50, 4),
            "n": [5_000, 20_000, 100_000],
            "d": [25, 50, 100],
            "T": [2, 4, 16],
        },
        "l21": {
            "base": (2_000, 50, 4),
            "n": [500, 2_000, 10_000],
            "d": [25, 50, 100],
            "T": [2, 4, 16],
        },
        "maxent": {
            "base": (5_000, 50, 4),
            "n": [2_000, 5_000, 20_000],
            "d": [25, 50, 100],
            "T": [2, 4, 16],
        },
    },
}

AGREEMENT = {
    "SharedLeastSquares vs Ridge per task": "none (different models)",
    "SharedLeastSquares vs Ridge on augmented inputs": "max |prediction diff|",
    "ProximalRegressor(L21) vs MultiTaskLasso": "max |coefficient diff|",
    "MaxEntClassifier vs LogisticRegression on augmented inputs": (
        "relative objective diff"
    ),
}


def best_time(fit, repeat):
    """Best wall time of ``repeat`` calls, or of one call if it takes >= 1 s."""
    times = []
    while len(times) < repeat and (not times or times[0] < 1.0):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb(fit):
    """Peak traced memory of one call of ``fit``, in MB."""
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(fit, repeat):
    """Best time and peak memory of a fit."""
    return {"seconds": best_time(fit, repeat), "peak_mb": peak_mb(fit)}


def record(pair, ours, base, agreement=None, skipped=None):
    """One table row: ours and the baseline side by side."""
    row = {"pair": pair, "ours_s": ours["seconds"], "ours_peak_mb": ours["peak_mb"]}
    if skipped:
        return {**row, "skipped": skipped}
    ratio = base["seconds"] / ours["seconds"]
    return {
        **row,
        "baseline_s": base["seconds"],
        "ratio": ratio,
        "baseline_peak_mb": base["peak_mb"],
        "agreement": agreement,
    }


def augmented_skip(n, d, n_tasks, args):
    """Why Ridge on the augmented inputs is skipped at this size, or None."""
    width = (n_tasks + 1) * d
    gb, gflop = 8 * n * width / 1e9, n * width**2 / 1e9
    if gb > args.memory_gb:
        return f"skipped: inputs need {gb:.1f} GB > --memory-gb {args.memory_gb}"
    if gflop > args.augmented_gflop:
        return f"skipped: ~{gflop:.0f} GFLOP > --augmented-gflop {args.augmented_gflop}"
    return None


def shared_case(n, d, n_tasks, args):
    """SharedLeastSquares against Ridge per task and on augmented inputs."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    tasks = rng.integers(0, n_tasks, n)
    W = rng.standard_normal(d) + 0.3 * rng.standard_normal((n_tasks, d))
    y = np.einsum("nd,nd->n", X, W[tasks]) + rng.standard_normal(n)
    model = SharedLeastSquares(alpha_shared=1.0, alpha_task=1.0, fit_intercept=False)
    ours = measure(lambda: model.fit(X, y, tasks=tasks), args.repeat)

    def independent():
        for t in range(n_tasks):
            rows = tasks == t
            Ridge(alpha=1.0, fit_intercept=False).fit(X[rows], y[rows])

    rows = [
        record(
            "SharedLeastSquares vs Ridge per task",
            ours,
            measure(independent, args.repeat),
        )
    ]
    pair = "SharedLeastSquares vs Ridge on augmented inputs"
    skipped = augmented_skip(n, d, n_tasks, args)
    if skipped:
        return rows + [record(pair, ours, None, skipped=skipped)]
    Z = bench_shared.augmented(X, tasks, n_tasks)
    ridge = Ridge(alpha=1.0, fit_intercept=False)
    base = measure(lambda: ridge.fit(Z, y), args.repeat)
    gap = np.abs(ridge.predict(Z) - model.predict(X, tasks=tasks)).max()
    return rows + [record(pair, ours, base, gap)]


def l21_case(n, d, n_tasks, args):
    """ProximalRegressor(L21) on tasks sharing X against MultiTaskLasso."""
    rng = np.random.default_rng(0)
    X = bench_proximal.correlated_inputs(rng, n, d)
    W = np.zeros((d, n_tasks))
    W[: d // 10] = rng.standard_normal((d // 10, n_tasks))
    Y = X @ W + rng.standard_normal((n, n_tasks))
    # One task with T outputs: the same objective and duality gap as the
    # long form, from statistics T times cheaper.
    stats = TaskStatistics.from_data(X, Y, np.array([0]), np.zeros(n, np.intp))
    datafit = Quadratic(stats, fit_intercept=False, task_weighting="equal")
    alpha = 0.02 * L21().dual_norm(datafit.gradient(np.zeros(datafit.shape)))
    penalty = L21(alpha)

    ref = MultiTaskLasso(alpha=alpha, fit_intercept=False, max_iter=10_000)
    base = measure(lambda: ref.fit(X, Y), args.repeat)
    _, rel_gap = bench_proximal.gap_of(datafit, penalty, ref.coef_.T[None])

    X_long, y_long = np.tile(X, (n_tasks, 1)), Y.T.ravel()
    tasks = np.repeat(np.arange(n_tasks), n)
    solver = FISTA(tol=rel_gap, max_iter=100_000)
    model = ProximalRegressor(
        penalty, solver=solver, fit_intercept=False, task_weighting="equal"
    )
    ours = measure(lambda: model.fit(X_long, y_long, tasks=tasks), args.repeat)
    diff = np.abs(model.coef_ - ref.coef_).max()
    return [record("ProximalRegressor(L21) vs MultiTaskLasso", ours, base, diff)]


def maxent_case(n, d, n_tasks, args):
    """MaxEntClassifier against LogisticRegression on augmented inputs."""
    X, y, tasks = bench_maxent.make_data(n, d, n_tasks, args.classes)
    opts = {"tol": 1e-6, "max_iter": 1000}
    model = MaxEntClassifier(1.0, 1.0, shrink_intercepts=True, **opts)
    ours = measure(lambda: model.fit(X, y, tasks=tasks), args.repeat)
    f_ours = bench_maxent.objective_ours(model, X, y, tasks, 1.0, 1.0)
    Z = bench_maxent.augment(X, tasks, n_tasks, 1.0, 1.0)
    ref = LogisticRegression(C=1.0, **opts)
    base = measure(lambda: ref.fit(Z, y), args.repeat)
    f_base = bench_maxent.objective_sklearn(ref, Z, y)
    rel = (f_ours - f_base) / abs(f_base)
    pair = "MaxEntClassifier vs LogisticRegression on augmented inputs"
    return [record(pair, ours, base, rel)]


CASES = {"shared": shared_case, "l21": l21_case, "maxent": maxent_case}


def sweep(name, grid, axis, args):
    """Records of one estimator along one axis, the others at their base."""
    records = []
    for value in grid[axis]:
        size = dict(zip("ndT", grid["base"], strict=True), **{axis: value})
        for row in CASES[name](size["n"], size["d"], size["T"], args):
            records.append({"estimator": name, "sweep": axis, **size, **row})
    return records


def print_table(records, pair, axis, grid):
    """One Markdown table: one pair, one sweep."""
    fixed = ", ".join(
        f"{k}={v}" for k, v in zip("ndT", grid["base"], strict=True) if k != axis
    )
    print(f"\n### {pair}: {axis} varies ({fixed})\n")
    print(f"agreement: {AGREEMENT[pair]}\n")
    print(
        "| n | d | T | ours (s) | baseline (s) | baseline / ours "
        "| ours peak MB | baseline peak MB | agreement |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in records:
        head = f"| {r['n']} | {r['d']} | {r['T']} | {r['ours_s']:.3f} |"
        if "skipped" in r:
            tail = f" {r['skipped']} | | {r['ours_peak_mb']:.1f} | | |"
        else:
            agree = "" if r["agreement"] is None else f"{r['agreement']:.1e}"
            tail = (
                f" {r['baseline_s']:.3f} | {r['ratio']:.2f}x "
                f"| {r['ours_peak_mb']:.1f} | {r['baseline_peak_mb']:.1f} "
                f"| {agree} |"
            )
        print(head + tail, flush=True)


def write_json(path, payload):
    """Write ``payload`` to ``path`` atomically (temporary file, then replace)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def blas_description():
    """BLAS libraries and their thread counts, as threadpoolctl sees them."""
    return ", ".join(
        f"{i['internal_api']} {i.get('architecture')} x{i['num_threads']}"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )


def main():
    """Parse options, run every sweep, print its tables, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small grids (~10 s)")
    parser.add_argument(
        "--estimators", nargs="+", choices=list(CASES), default=list(CASES)
    )
    parser.add_argument("--repeat", type=int, default=3, help="for fits under 1 s")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--classes", type=int, default=2, help="MaxEnt classes")
    parser.add_argument(
        "--augmented-gflop",
        type=float,
        default=400.0,
        help="skip Ridge on augmented inputs above this n ((T + 1) d)^2 / 1e9",
    )
    parser.add_argument(
        "--memory-gb",
        type=float,
        default=4.0,
        help="skip Ridge on augmented inputs above this size of inputs",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the records")
    args = parser.parse_args()
    grids = GRIDS["quick" if args.quick else "full"]
    records = []
    start = time.perf_counter()
    with threadpool_limits(args.threads):
        blas = blas_description()
        print(f"BLAS: {blas}; best of {args.repeat} under 1 s")
        for name in args.estimators:
            for axis in "ndT":
                rows = sweep(name, grids[name], axis, args)
                for pair in dict.fromkeys(r["pair"] for r in rows):
                    mine = [r for r in rows if r["pair"] == pair]
                    print_table(mine, pair, axis, grids[name])
                records += rows
    total = time.perf_counter() - start
    print(f"\ntotal {total:.0f} s")
    if args.json:
        payload = {"options": vars(args), "blas": blas}
        write_json(args.json, {**payload, "total_s": total, "records": records})


if __name__ == "__main__":
    main()
