"""Penalties of SharedLeastSquares chosen by SharedLeastSquaresCV: accuracy and time.

On related, clustered and unrelated synthetic tasks (``mtlsynth.datasets``,
tasks of unequal sizes), measured in one run on the same data:

- ``common`` and ``per-task``: test mean squared error of
  ``SharedLeastSquaresCV`` (default 10 x 10 grid, ``TaskKFold(5)``) with one
  ``alpha_task`` for all tasks, and with one per task, refitted on all
  training rows, divided by that of the oracle grid point: the pair
  (``alpha_shared``, ``alpha_task``) of the same grid whose model, fitted on
  all training rows, has the lowest error on a large independent test set.
  The per-task search can beat the oracle (ratio below 1);
- ``time``: fit time of ``SharedLeastSquaresCV(per_task=True)`` divided by
  that of 5 plain ``SharedLeastSquares`` fits, one on each fold's training
  rows (what fitting each fold once at a single grid point costs); best of
  ``--repeat``.

Usage::

    python benchmarks/bench_shared_cv.py [--n-per-task 300 3000] [--features 20]
        [--tasks 8] [--targets 4] [--n-test 5000] [--seeds 5] [--repeat 3]
    python benchmarks/bench_shared_cv.py --n-per-task 3000 20000 --features 300 \
        --targets 66 --seeds 1 --repeat 1 --n-test 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_info

from mtlsynth import SharedLeastSquares, SharedLeastSquaresCV, TaskKFold
from mtlsynth.datasets import make_clustered_tasks, make_related_tasks


def best_time(func, repeat):
    """Best wall time of ``repeat`` calls, and the last call's result."""
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def make_case(case, sizes, n_test, d, q, seed):
    """Training and test rows of one structure, drawn with the same truth."""
    total = [n + n_test for n in sizes]
    common = {"n_features": d, "n_targets": q, "random_state": seed}
    if case == "related":
        X, y, tasks, _ = make_related_tasks(total, task_spread=0.3, noise=1.0, **common)
    elif case == "clustered":
        X, y, tasks, _ = make_clustered_tasks(total, cluster_spread=0.2, **common)
    else:
        X, y, tasks, _ = make_related_tasks(total, task_spread=3.0, noise=1.0, **common)
    start = np.cumsum([0, *total[:-1]])
    train = np.concatenate(
        [np.arange(s, s + n) for s, n in zip(start, sizes, strict=True)]
    )
    test = np.setdiff1d(np.arange(len(X)), train)
    return (X[train], y[train], tasks[train]), (X[test], y[test], tasks[test])


def test_mse(model, data):
    X, y, tasks = data
    return float(np.mean((y - model.predict(X, tasks=tasks)) ** 2))


def accuracy(case, n, args, seed):
    """MSE ratios of the common and per-task searches to the oracle grid point."""
    sizes = np.round(np.linspace(0.2, 1.8, args.tasks) * n).astype(int)
    train, test = make_case(case, sizes, args.n_test, args.features, args.targets, seed)
    X, y, tasks = train
    common = SharedLeastSquaresCV(per_task=False).fit(X, y, tasks=tasks)
    oracle = min(
        test_mse(SharedLeastSquares(a0, a1).fit_statistics(common.statistics_), test)
        for a0 in common.alphas_shared_
        for a1 in common.alphas_task_
    )
    per_task = SharedLeastSquaresCV().fit(X, y, tasks=tasks)
    return test_mse(common, test) / oracle, test_mse(per_task, test) / oracle


def timing(case, n, args):
    """Seconds of the per-task search and of 5 plain fits, one per fold."""
    sizes = np.round(np.linspace(0.2, 1.8, args.tasks) * n).astype(int)
    (X, y, tasks), _ = make_case(case, sizes, 1, args.features, args.targets, 0)
    seconds, model = best_time(
        lambda: SharedLeastSquaresCV().fit(X, y, tasks=tasks), args.repeat
    )
    splits = list(TaskKFold(5).split(X, tasks=tasks))

    def plain_fits():
        for tr, _ in splits:
            SharedLeastSquares(model.alpha_shared_, model.alpha_task_).fit(
                X[tr], y[tr], tasks=tasks[tr]
            )

    baseline, _ = best_time(plain_fits, args.repeat)
    return seconds, baseline


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-task", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--targets", type=int, default=4)
    parser.add_argument("--n-test", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"d={args.features}, q={args.targets}, T={args.tasks} (task sizes 0.2-1.8 "
        f"x n), {args.n_test} test rows per task; 10 x 10 grid, 5 folds"
    )
    header = (
        f"{'case':>10} {'n/task':>7} {'common':>15} {'per-task':>15} "
        f"{'cv s':>7} {'5 fits s':>9} {'time':>6}"
    )
    print(
        f"MSE ÷ oracle grid point (mean / worst of {args.seeds} draws); "
        "time = cv ÷ 5 plain fits"
    )
    print(header)
    print("-" * len(header))
    for n in args.n_per_task:
        for case in ("related", "clustered", "unrelated"):
            ratios = np.array([accuracy(case, n, args, s) for s in range(args.seeds)])
            mean, worst = ratios.mean(axis=0), ratios.max(axis=0)
            seconds, baseline = timing(case, n, args)
            print(
                f"{case:>10} {n:>7} {mean[0]:7.4f} /{worst[0]:7.4f} "
                f"{mean[1]:7.4f} /{worst[1]:7.4f} {seconds:7.3f} {baseline:9.3f} "
                f"{seconds / baseline:6.2f}"
            )
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
