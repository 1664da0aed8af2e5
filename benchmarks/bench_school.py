"""The School benchmark: explained variance over random 75/25 splits.

The classic protocol (Argyriou, Evgeniou and Pontil, 2008; MALSAR): 139
schools (tasks), 15,362 students; each split keeps 75 % of every school's
students for training and 25 % for testing, repeated over 10 random splits.
Explained variance is ``1 - MSE / Var(y)`` on the test students, pooled over
schools; ridge-type models reach about 34-37 %. Every method of
``bench_structures.py`` (independent ridge, pooled, SharedLeastSquares,
lasso, L21, L1Inf, TraceNorm, TaskGraph, L1 + TraceNorm, the dirty model,
robust MTL, MTRL; whatever ``methods()`` lists) chooses its
hyper-parameters by task-aware cross-validation on the training students
only. Prints each split's explained variance as it comes, then the mean ±
sd over splits and the time of search and fit, also as a ratio to the
independent models' in the same run. The data set is not
shipped: pass MALSAR's ``school.mat`` (``data/school.mat`` in the MALSAR
repository). Usage::

    python benchmarks/bench_school.py --path school.mat [--splits 10] [--train 0.75]
        [--methods dirty robust ...]
"""

from __future__ import annotations

import argparse

import numpy as np
from bench_structures import fit_and_time, methods

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
    parser.add_argument(
        "--methods", nargs="*", help="only these methods (and independent)"
    )
    args = parser.parse_args()
    X, y, tasks = load_school(args.path)
    X = X[:, np.ptp(X, axis=0) > 0]  # the constant column: intercepts are fitted
    print(f"{len(np.unique(tasks))} tasks, {len(y)} rows, {X.shape[1]} features")
    scores = {}
    for seed in range(args.splits):
        test = ~split(tasks, args.train, np.random.default_rng(seed))
        for name, model in methods(X[~test], y[~test], tasks[~test]).items():
            if args.methods and name not in {"independent", *args.methods}:
                continue
            pred, fit_s = fit_and_time(model, X, y, tasks, test)
            explained = 1 - np.mean((y[test] - pred) ** 2) / np.var(y[test])
            scores.setdefault(name, []).append((explained, fit_s))
            print(f"split {seed}: {name:22s} {100 * explained:5.1f} %  {fit_s:7.2f} s")
    base = np.mean([v[1] for v in scores["independent"]])
    print(f"{'method':22s} {'explained variance %':>22s} {'fit s':>7s} {'/ indep':>8s}")
    for name, values in scores.items():
        ev = 100 * np.array([v[0] for v in values])
        fit_s = np.mean([v[1] for v in values])
        print(
            f"{name:22s} {ev.mean():13.1f} ± {ev.std():4.1f} "
            f"{fit_s:7.2f} {fit_s / base:7.1f}x"
        )


if __name__ == "__main__":
    main()
