"""Fit time of MaxEntClassifierCV against cold MaxEntClassifier fits of its grid.

For each problem, in the same run and on the same folds (``TaskKFold(5)``,
the default 8 x 8 grid):

- ``CV``: ``MaxEntClassifierCV(per_task=False)``: every fold's grid fitted as
  one warm-started path, then the refit on all rows;
- ``cold``: one ``MaxEntClassifier`` fit per grid point and fold, each from
  zeros (what ``GridSearchCV`` over the grid does), plus the same refit;
- ``ratio``: cold / CV; ``fits``: CV time in units of one cold fit at the
  chosen penalties on all rows; ``L-BFGS its``: iterations of the paths and
  of the cold fits (folds only);
- ``per-task``: the time of ``MaxEntClassifierCV(per_task=True)`` and the
  number of warm-started fits its coordinate search made per fold.

Usage::

    python benchmarks/bench_maxent_cv.py [--n 2000 20000] [--features 20]
        [--tasks 4] [--classes 2 5]

Both fits run with ``--threads`` BLAS threads (default 1; see
``bench_maxent.py``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from mtlsynth import MaxEntClassifier, MaxEntClassifierCV, TaskKFold
from mtlsynth._maxent_cv import _FoldPath


def make_data(n, d, n_tasks, n_classes, seed=0):
    """Tasks of unequal sizes sharing most of a linear rule (softmax labels)."""
    rng = np.random.default_rng(seed)
    sizes = np.linspace(0.4, 1.6, n_tasks)
    tasks = rng.choice(n_tasks, size=n, p=sizes / sizes.sum())
    X = rng.normal(size=(n, d)) + 0.5
    W0 = rng.normal(size=(d, n_classes)) * 2 / np.sqrt(d)
    V = 0.5 * rng.normal(size=(n_tasks, d, n_classes)) * 2 / np.sqrt(d)
    Z = np.einsum("nd,ndk->nk", X, W0 + V[tasks])
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    return X, y, tasks


def path_iterations(model, X, y, tasks, splits):
    """L-BFGS iterations of the warm-started paths of every fold."""
    data = (X, y, tasks, np.ones(len(y)), np.unique(tasks))
    total = 0
    for train, test in splits:
        fold = _FoldPath(model._model(), data, train, test, None, False)
        fold.grid(model.alphas_shared_, model.alphas_task_, keep=False)
        total += fold.n_iter
    return total


def run_case(n, d, n_tasks, n_classes):
    """Time the CV and the cold fits of its grid on one problem."""
    X, y, tasks = make_data(n, d, n_tasks, n_classes)
    splits = list(TaskKFold(5).split(X, tasks=tasks))
    start = time.perf_counter()
    cv = MaxEntClassifierCV(cv=splits).fit(X, y, tasks=tasks)
    t_cv = time.perf_counter() - start
    start = time.perf_counter()
    cold_its = 0
    for a0 in cv.alphas_shared_:
        for a1 in cv.alphas_task_:
            for train, _ in splits:
                model = MaxEntClassifier(a0, a1).fit(X[train], y[train], tasks[train])
                cold_its += model.n_iter_
    start_refit = time.perf_counter()
    MaxEntClassifier(cv.alpha_shared_, cv.alpha_task_).fit(X, y, tasks=tasks)
    t_one = time.perf_counter() - start_refit
    t_cold = time.perf_counter() - start
    warm_its = path_iterations(cv, X, y, tasks, splits)
    start = time.perf_counter()
    per_task = MaxEntClassifierCV(cv=splits, per_task=True).fit(X, y, tasks=tasks)
    t_per_task = time.perf_counter() - start
    n_trials = len(per_task.per_task_results_["task"])
    print(
        f"{n:>7} {d:>4} {n_tasks:>3} {n_classes:>3} {t_cv:>8.2f} s {t_cold:>8.2f} s "
        f"{t_cold / t_cv:>6.1f}x {t_cv / t_one:>6.1f} {warm_its:>7} / {cold_its:<7} "
        f"{t_per_task:>8.2f} s ({n_trials} fits/fold)",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print("8 x 8 grid, TaskKFold(5): 320 cold fits + refit against the CV")
    print(
        f"{'n':>7} {'d':>4} {'T':>3} {'K':>3} {'CV':>10} {'cold':>10} "
        f"{'ratio':>7} {'fits':>6} {'L-BFGS its':>17} {'per-task':>10}"
    )
    with threadpool_limits(args.threads, user_api="blas"):
        for n in args.n:
            for k in args.classes:
                run_case(n, args.features, args.tasks, k)


if __name__ == "__main__":
    main()
