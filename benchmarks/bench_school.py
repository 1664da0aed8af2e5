"""The School benchmark: explained variance over random 75/25 splits.

The classic protocol (Argyriou, Evgeniou and Pontil, 2008; MALSAR): 139
schools (tasks), 15,362 students; each split keeps 75 % of every school's
students for training and 25 % for testing, repeated over 10 random splits.
Explained variance is ``1 - MSE / Var(y)`` on the test students, pooled over
schools; ridge-type models reach about 34-37 %. Hyper-parameters are chosen
by task-aware cross-validation on the training students only. The data set is
not shipped: pass MALSAR's ``school.mat``. Usage::

    python benchmarks/bench_school.py --path school.mat [--splits 10] [--train 0.75]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import sklearn
from bench_structures import methods
from sklearn.exceptions import ConvergenceWarning

from mtlsynth.datasets import load_school


def split(tasks, train_share, rng):
    """Boolean training mask taking ``train_share`` of every task's rows."""
    train = np.zeros(len(tasks), bool)
    for t in np.unique(tasks):
        rows = rng.permutation(np.flatnonzero(tasks == t))
        train[rows[: max(1, int(round(train_share * len(rows))))]] = True
    return train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", required=True, help="MALSAR's school.mat")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--train", type=float, default=0.75)
    args = parser.parse_args()
    X, y, tasks = load_school(args.path)
    X = X[:, np.ptp(X, axis=0) > 0]  # the constant column: intercepts are fitted
    print(f"{len(np.unique(tasks))} tasks, {len(y)} rows, {X.shape[1]} features")
    scores = {}
    for seed in range(args.splits):
        train = split(tasks, args.train, np.random.default_rng(seed))
        for name, model in methods().items():
            start = time.perf_counter()
            with (
                warnings.catch_warnings(),
                sklearn.config_context(enable_metadata_routing=True),
            ):
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[train], y[train], tasks=tasks[train])
                fitted = getattr(model, "best_estimator_", model)
                pred = fitted.predict(X[~train], tasks=tasks[~train])
            explained = 1 - np.mean((y[~train] - pred) ** 2) / np.var(y[~train])
            scores.setdefault(name, []).append((explained, time.perf_counter() - start))
    print(f"{'method':22s} {'explained variance %':>22s} {'fit s':>7s}")
    for name, values in scores.items():
        ev = 100 * np.array([v[0] for v in values])
        print(
            f"{name:22s} {ev.mean():13.1f} ± {ev.std():4.1f} "
            f"{np.mean([v[1] for v in values]):7.2f}"
        )


if __name__ == "__main__":
    main()
