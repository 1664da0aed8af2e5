"""Which multi-task method for which structure: synthetic problems, known truth.

Six problems from ``mtlsynth.datasets`` (few training rows per task, many
tasks): a shared support, a shared support plus entries of each task's own
(the dirty model's structure), a low rank, a low rank plus outlier tasks
(robust MTL's), clustered tasks, and unrelated tasks where sharing should not
help. Every method picks its hyper-parameters by task-aware cross-validation
on the training rows only (TaskKFold); the test rows are fixed per seed.
Methods with two penalties search a 4 x 4 grid, each ``alpha`` a fraction of
its own term's ``alpha_max`` on the training rows. Prints held-out mean
squared error (mean over seeds, ± standard deviation) per method, the time of
the search and final fit (and its ratio to the independent models' in the
same run), with support recovery (F1 of the non-zero feature groups, or of
the non-zero entries where tasks have entries of their own) and the recovered
rank where they apply. Usage::

    python benchmarks/bench_structures.py [--seeds 3] [--tasks 10] [--train 30]
        [--problems "low rank" ...] [--methods dirty robust ...]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from mtlsynth import (
    ProximalRegressor,
    ProximalRegressorCV,
    SharedLeastSquares,
    TaskKFold,
    TaskRelationRegressor,
    proximal_path,
)
from mtlsynth.datasets import (
    make_clustered_tasks,
    make_low_rank_tasks,
    make_outlier_tasks,
    make_related_tasks,
    make_shared_support_tasks,
)
from mtlsynth.penalties import (
    L1,
    L21,
    ClusteredTasks,
    Decomposed,
    L1Inf,
    TaskGraph,
    TraceNorm,
)

GRID = np.logspace(-2, 4, 7)
HUGE = 1e8
FRACTIONS = np.geomspace(0.5, 0.01, 4)  # of a term's alpha_max, for two-term grids


def problems(n_tasks, n_train, n_test, seed):
    """The six structured problems; each with n_train + n_test rows per task."""
    n = n_train + n_test
    kw = {"n_tasks": n_tasks, "random_state": seed}
    return {
        "shared support": make_shared_support_tasks(
            n, n_features=40, n_informative=5, noise=1.0, **kw
        ),
        "shared + own entries": make_shared_support_tasks(
            n, n_features=40, n_informative=5, n_task_specific=3, noise=1.0, **kw
        ),
        "low rank": make_low_rank_tasks(n, n_features=30, rank=2, noise=1.0, **kw),
        "low rank + outliers": make_outlier_tasks(
            n, n_features=30, rank=2, n_outliers=3, noise=1.0, **kw
        ),
        "clustered": make_clustered_tasks(n, n_features=20, noise=1.0, **kw),
        "unrelated": make_related_tasks(
            n, n_features=20, task_spread=3.0, noise=1.0, **kw
        ),
    }


def searched(estimator, grid):
    """GridSearchCV over ``grid`` with task-aware folds."""
    return GridSearchCV(estimator, grid, cv=TaskKFold(4, shuffle=True, random_state=0))


def alpha_max(penalty, X, y, tasks):
    """The smallest ``alpha`` of ``penalty`` alone that gives all-zero coefficients."""
    alphas, *_ = proximal_path(X, y, tasks=tasks, penalty=penalty, n_alphas=1)
    return float(alphas[0])


def two_term(penalty, terms, X, y, tasks):
    """ProximalRegressor with ``penalty``, its two terms searched on a grid.

    ``terms`` maps each term's parameter name to the single penalty whose
    ``alpha_max`` on the training rows scales its grid.
    """
    grid = {
        f"penalty__{name}__alpha": alpha_max(term, X, y, tasks) * FRACTIONS
        for name, term in terms.items()
    }
    return searched(ProximalRegressor(penalty), grid)


def methods(X, y, tasks):
    """Method name -> unfitted model (hyper-parameters chosen inside fit).

    The two-term grids are scaled on the training rows ``X, y, tasks``.
    """
    cv = TaskKFold(4)
    return {
        "independent": searched(
            SharedLeastSquares(alpha_shared=HUGE), {"alpha_task": GRID}
        ),
        "pooled": searched(SharedLeastSquares(alpha_task=HUGE), {"alpha_shared": GRID}),
        "shared-least-squares": searched(
            SharedLeastSquares(), {"alpha_shared": GRID, "alpha_task": GRID}
        ),
        "lasso": ProximalRegressorCV(L1(), n_alphas=12, cv=cv),
        "l21": ProximalRegressorCV(L21(), n_alphas=12, cv=cv),
        "l1inf": ProximalRegressorCV(L1Inf(), n_alphas=12, cv=cv),
        "trace": ProximalRegressorCV(TraceNorm(), n_alphas=12, cv=cv),
        "graph": ProximalRegressorCV(TaskGraph(), alphas=np.logspace(-3, 2, 11), cv=cv),
        "sparse + low rank": two_term(
            L1() + TraceNorm(), {"l1": L1(), "tracenorm": TraceNorm()}, X, y, tasks
        ),
        "dirty": two_term(
            Decomposed([L1Inf(), L1()]), {"l1inf": L1Inf(), "l1": L1()}, X, y, tasks
        ),
        "robust": two_term(
            Decomposed([TraceNorm(), L21(group="task")]),
            {"tracenorm": TraceNorm(), "l21": L21(group="task")},
            X,
            y,
            tasks,
        ),
        "mtrl": searched(
            TaskRelationRegressor(),
            {"alpha": np.logspace(-2, 2, 5), "beta": np.logspace(-1, 3, 5)},
        ),
        "clustered": searched(
            ProximalRegressor(ClusteredTasks()),
            {
                "penalty__alpha": np.logspace(-3, 1, 5),
                "penalty__beta": np.logspace(-4, 0, 5),
                "penalty__n_clusters": [2, 4],
            },
        ),
        # bench_school.py runs every method of this list
    }


def coef_of(model):
    """Task coefficients ``(n_tasks, n_features)`` of a fitted method."""
    fitted = getattr(model, "best_estimator_", model)
    return fitted.coef_


def support_f1(coef, truth):
    """F1 of recovering the non-zero feature groups, or entries if tasks own some."""
    true_coef = np.moveaxis(truth["coef"], -1, 1).reshape(np.shape(coef))
    if truth.get("specific", np.empty((0, 0))).size:
        found, true = np.abs(coef) > 1e-6 * np.abs(coef).max(), true_coef != 0
    else:
        norms = np.linalg.norm(coef, axis=0)
        found = norms > 1e-6 * max(norms.max(), 1e-300)
        true = np.linalg.norm(true_coef, axis=0) > 0
    hits = np.sum(found & true)
    return 2 * hits / (found.sum() + true.sum())


def numerical_rank(coef):
    """Singular values above 1 % of the largest."""
    s = np.linalg.svd(coef.T, compute_uv=False)
    return int(np.sum(s > 0.01 * s[0]))


def fit_and_time(model, X, y, tasks, test):
    """Fit on the training rows, predict the test rows; (prediction, seconds)."""
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
    return pred, time.perf_counter() - start


def run(args):
    """Fit every method on every problem and seed; return the records."""
    records = []
    for seed in range(args.seeds):
        for name, (X, y, tasks, truth) in problems(
            args.tasks, args.train, args.test, seed
        ).items():
            if args.problems and name not in args.problems:
                continue
            per_task = args.train + args.test
            test = np.arange(len(X)) % per_task >= args.train
            chosen = methods(X[~test], y[~test], tasks[~test])
            for method, model in chosen.items():
                if args.methods and method not in {"independent", *args.methods}:
                    continue
                pred, fit_s = fit_and_time(model, X, y, tasks, test)
                record = {
                    "problem": name,
                    "method": method,
                    "seed": seed,
                    "mse": float(np.mean((y[test] - pred) ** 2)),
                    "fit_s": fit_s,
                }
                if "support" in truth:
                    record["support_f1"] = support_f1(coef_of(model), truth)
                if "rank" in truth:
                    record["rank"] = numerical_rank(coef_of(model))
                records.append(record)
    return records


def report(records):
    """Print one table per problem; fit times also as ratios to independent's."""
    for problem in dict.fromkeys(r["problem"] for r in records):
        rows = [r for r in records if r["problem"] == problem]
        base = np.mean([r["fit_s"] for r in rows if r["method"] == "independent"])
        print(f"\n{problem}")
        print(
            f"  {'method':22s} {'test MSE':>16s} {'fit s':>7s} {'/ indep':>8s}  extra"
        )
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
                f"{fit_s:7.2f} {fit_s / base:7.1f}x  {extra}"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--train", type=int, default=30, help="training rows per task")
    parser.add_argument("--test", type=int, default=200, help="test rows per task")
    parser.add_argument("--problems", nargs="*", help="only these problems")
    parser.add_argument(
        "--methods", nargs="*", help="only these methods (and independent)"
    )
    args = parser.parse_args()
    print(
        f"{args.tasks} tasks, {args.train} training and {args.test} test rows per "
        f"task, {args.seeds} seeds; noise variance 1 (the best possible test MSE)"
    )
    report(run(args))


if __name__ == "__main__":
    main()
