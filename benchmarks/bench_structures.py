"""Which multi-task method for which structure: synthetic problems, known truth.

Four problems from ``mtlsynth.datasets`` (few training rows per task, many
tasks): a shared support, a low rank, clustered tasks, and unrelated tasks
where sharing should not help. Every method picks its hyper-parameters by
task-aware cross-validation on the training rows only (TaskKFold); the test
rows are fixed per seed. Prints held-out mean squared error (mean over seeds,
± standard deviation) per method, with support recovery (F1 of the non-zero
feature groups) and the recovered rank where they apply. Usage::

    python benchmarks/bench_structures.py [--seeds 3] [--tasks 10] [--train 30]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from mtlsynth import ProximalRegressorCV, SharedLeastSquares, TaskKFold
from mtlsynth.datasets import (
    make_clustered_tasks,
    make_low_rank_tasks,
    make_related_tasks,
    make_shared_support_tasks,
)
from mtlsynth.penalties import L1, L21, TaskGraph, TraceNorm

GRID = np.logspace(-2, 4, 7)
HUGE = 1e8


def problems(n_tasks, n_train, n_test, seed):
    """The four structured problems; each with n_train + n_test rows per task."""
    n = n_train + n_test
    kw = {"n_tasks": n_tasks, "random_state": seed}
    return {
        "shared support": make_shared_support_tasks(
            n, n_features=40, n_informative=5, noise=1.0, **kw
        ),
        "low rank": make_low_rank_tasks(n, n_features=30, rank=2, noise=1.0, **kw),
        "clustered": make_clustered_tasks(n, n_features=20, noise=1.0, **kw),
        "unrelated": make_related_tasks(
            n, n_features=20, task_spread=3.0, noise=1.0, **kw
        ),
    }


def searched(estimator, grid):
    """GridSearchCV over ``grid`` with task-aware folds."""
    return GridSearchCV(estimator, grid, cv=TaskKFold(4, shuffle=True, random_state=0))


def methods():
    """Method name -> unfitted model (hyper-parameters chosen inside fit)."""
    return {
        "independent": searched(
            SharedLeastSquares(alpha_shared=HUGE), {"alpha_task": GRID}
        ),
        "pooled": searched(SharedLeastSquares(alpha_task=HUGE), {"alpha_shared": GRID}),
        "shared-least-squares": searched(
            SharedLeastSquares(), {"alpha_shared": GRID, "alpha_task": GRID}
        ),
        "lasso": ProximalRegressorCV(L1(), n_alphas=12, cv=TaskKFold(4)),
        "l21": ProximalRegressorCV(L21(), n_alphas=12, cv=TaskKFold(4)),
        "trace": ProximalRegressorCV(TraceNorm(), n_alphas=12, cv=TaskKFold(4)),
        "graph": ProximalRegressorCV(
            TaskGraph(), alphas=np.logspace(-3, 2, 11), cv=TaskKFold(4)
        ),
    }


def coef_of(model):
    """Task coefficients ``(n_tasks, n_features)`` of a fitted method."""
    fitted = getattr(model, "best_estimator_", model)
    return fitted.coef_


def support_f1(coef, support):
    """F1 of recovering the features with a non-zero group norm."""
    norms = np.linalg.norm(coef, axis=0)
    found = norms > 1e-6 * max(norms.max(), 1e-300)
    true = np.zeros_like(found)
    true[support] = True
    hits = np.sum(found & true)
    return 2 * hits / (found.sum() + true.sum())


def numerical_rank(coef):
    """Singular values above 1 % of the largest."""
    s = np.linalg.svd(coef.T, compute_uv=False)
    return int(np.sum(s > 0.01 * s[0]))


def run(args):
    """Fit every method on every problem and seed; return the records."""
    records = []
    for seed in range(args.seeds):
        for name, (X, y, tasks, truth) in problems(
            args.tasks, args.train, args.test, seed
        ).items():
            per_task = args.train + args.test
            test = np.arange(len(X)) % per_task >= args.train
            for method, model in methods().items():
                start = time.perf_counter()
                with (
                    warnings.catch_warnings(),
                    sklearn.config_context(enable_metadata_routing=True),
                ):
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X[~test], y[~test], tasks=tasks[~test])
                    pred = getattr(model, "best_estimator_", model).predict(
                        X[test], tasks=tasks[test]
                    )
                record = {
                    "problem": name,
                    "method": method,
                    "seed": seed,
                    "mse": float(np.mean((y[test] - pred) ** 2)),
                    "fit_s": time.perf_counter() - start,
                }
                if "support" in truth:
                    record["support_f1"] = support_f1(coef_of(model), truth["support"])
                if "rank" in truth:
                    record["rank"] = numerical_rank(coef_of(model))
                records.append(record)
    return records


def report(records):
    """Print one table per problem."""
    for problem in dict.fromkeys(r["problem"] for r in records):
        rows = [r for r in records if r["problem"] == problem]
        print(f"\n{problem}")
        print(f"  {'method':22s} {'test MSE':>16s} {'fit s':>7s}  extra")
        for method in dict.fromkeys(r["method"] for r in rows):
            mine = [r for r in rows if r["method"] == method]
            mse = np.array([r["mse"] for r in mine])
            extra = ""
            if "support_f1" in mine[0]:
                extra = f"support F1 {np.mean([r['support_f1'] for r in mine]):.2f}"
            if "rank" in mine[0]:
                extra = f"rank {[r['rank'] for r in mine]}"
            fit_s = np.mean([r["fit_s"] for r in mine])
            print(
                f"  {method:22s} {mse.mean():9.3f} ± {mse.std():5.3f} "
                f"{fit_s:7.2f}  {extra}"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--train", type=int, default=30, help="training rows per task")
    parser.add_argument("--test", type=int, default=200, help="test rows per task")
    args = parser.parse_args()
    print(
        f"{args.tasks} tasks, {args.train} training and {args.test} test rows per "
        f"task, {args.seeds} seeds; noise variance 1 (the best possible test MSE)"
    )
    report(run(args))


if __name__ == "__main__":
    main()
