"""Fit time of MaxEntClassifier against LogisticRegression on augmented inputs.

Both minimize the same objective: scikit-learn's ``LogisticRegression(C=1)``
(lbfgs) on the sparse augmented inputs ``[x / sqrt(2 a0), (x, 1) / sqrt(2 a1)
in slot t]`` equals ``MaxEntClassifier(a0, a1, shrink_intercepts=True)``; the
shared intercept is scikit-learn's unpenalized intercept. Each row of the
table times both fits in the same run, reports the ratio (baseline time /
ours) and the relative difference of the two final objective values, each
computed from the model's own ``predict_log_proba`` plus its penalty.

Run ``python benchmarks/bench_maxent.py`` (n up to 1e6) or with ``--quick``
(n up to 1e5). ``--max-n-baseline`` skips the baseline above that size.
Both fits run with ``--threads`` BLAS threads (default 1): scipy's sparse
products are single-threaded, and on a machine whose cores are busy with
other work, multi-threaded BLAS on small per-task blocks slows down by an
order of magnitude, which would time the machine rather than the method.
"""

import argparse
import time

import numpy as np
from scipy import sparse, special
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from mtlsynth import MaxEntClassifier


def make_data(n, d, n_tasks, n_classes, seed=0):
    """Tasks sharing most of a linear rule; labels drawn from the softmax."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    tasks = rng.integers(0, n_tasks, size=n)
    W0 = rng.normal(size=(d, n_classes)) / np.sqrt(d)
    V = 0.3 * rng.normal(size=(n_tasks, d, n_classes)) / np.sqrt(d)
    y = np.empty(n, dtype=np.intp)
    for t in range(n_tasks):
        rows = tasks == t
        P = special.softmax(2.0 * X[rows] @ (W0 + V[t]), axis=1)
        y[rows] = (P.cumsum(axis=1) > rng.random(rows.sum())[:, None]).argmax(axis=1)
    return X, y, tasks


def augment(X, tasks, n_tasks, a0, a1):
    """Sparse CSR ``[x / sqrt(2 a0), 0.., (x, 1) / sqrt(2 a1) (slot t), ..0]``."""
    n, d = X.shape
    s0, s1 = np.sqrt(2 * a0), np.sqrt(2 * a1)
    data = np.hstack([X / s0, X / s1, np.full((n, 1), 1 / s1)])
    cols = np.arange(d + 1, dtype=np.int32)
    slot = d + tasks[:, None].astype(np.int32) * (d + 1) + cols
    indices = np.hstack([np.broadcast_to(cols[:d], (n, d)), slot])
    indptr = np.arange(n + 1, dtype=np.int64) * (2 * d + 1)
    shape = (n, d + n_tasks * (d + 1))
    return sparse.csr_matrix((data.ravel(), indices.ravel(), indptr), shape=shape)


def objective_ours(model, X, y, tasks, a0, a1):
    """Unnormalized objective of a fitted MaxEntClassifier."""
    logp = model.predict_log_proba(X, tasks=tasks)[np.arange(len(y)), y]
    penalty = a0 * np.sum(model.coef_shared_**2) + a1 * (
        np.sum(model.coef_task_**2)
        + np.sum((model.intercept_ - model.intercept_shared_) ** 2)
    )
    return -logp.sum() + penalty


def objective_sklearn(model, Z, y):
    """Unnormalized objective of LogisticRegression(C=1): loss + 0.5 ||w||^2."""
    logp = model.predict_log_proba(Z)[np.arange(len(y)), y]
    return -logp.sum() + 0.5 * np.sum(model.coef_**2)


def run_case(n, d, n_tasks, n_classes, args):
    """Time both fits on one problem and compare their objectives."""
    X, y, tasks = make_data(n, d, n_tasks, n_classes)
    opts = {"tol": args.tol, "max_iter": args.max_iter}
    a0, a1 = args.alpha_shared, args.alpha_task
    ours = MaxEntClassifier(a0, a1, shrink_intercepts=True, **opts)
    start = time.perf_counter()
    ours.fit(X, y, tasks=tasks)
    t_ours = time.perf_counter() - start
    f_ours = objective_ours(ours, X, y, tasks, a0, a1)
    row = {"n": n, "K": n_classes, "ours": t_ours, "it_ours": ours.n_iter_}
    if n > args.max_n_baseline:
        return row
    Z = augment(X, tasks, n_tasks, a0, a1)
    del X
    base = LogisticRegression(C=1.0, **opts)
    start = time.perf_counter()
    base.fit(Z, y)
    row["base"] = time.perf_counter() - start
    row["it_base"] = int(np.max(base.n_iter_))
    f_base = objective_sklearn(base, Z, y)
    row["rel_obj"] = (f_ours - f_base) / abs(f_base)
    return row


def print_row(row):
    """One line of the results table."""
    base = row.get("base")
    cells = [
        f"{row['n']:>9.0e}",
        f"{row['K']:>2d}",
        f"{row['ours']:>9.2f}",
        f"{row['it_ours']:>5d}",
        f"{base:>9.2f}" if base is not None else f"{'skipped':>9s}",
        f"{row['it_base']:>5d}" if base is not None else f"{'':>5s}",
        f"{base / row['ours']:>6.1f}x" if base is not None else f"{'':>7s}",
        f"{row['rel_obj']:>+10.1e}" if base is not None else "",
    ]
    print(" ".join(cells), flush=True)


def main():
    """Parse options, run every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n up to 1e5 only")
    parser.add_argument("--n", type=float, nargs="+", default=[1e4, 1e5, 1e6])
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--d", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--alpha-shared", type=float, default=1.0)
    parser.add_argument("--alpha-task", type=float, default=1.0)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--max-n-baseline", type=float, default=np.inf)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args()
    sizes = [int(n) for n in args.n if not (args.quick and n > 1e5)]
    print(
        f"d={args.d} T={args.tasks} alpha_shared={args.alpha_shared} "
        f"alpha_task={args.alpha_task} tol={args.tol} threads={args.threads}; "
        "times in seconds; "
        "ratio = baseline / ours; rel_obj = (ours - baseline) / |baseline|"
    )
    print("        n  K      ours  iter  baseline  iter   ratio    rel_obj")
    with threadpool_limits(args.threads):
        for n in sizes:
            for n_classes in args.classes:
                print_row(run_case(n, args.d, args.tasks, n_classes, args))


if __name__ == "__main__":
    main()
