"""Time to a common duality gap: proximal multi-task estimators vs baselines.

1. One X with many outputs (n = 50k, d = 200, q = 40): scikit-learn's
   MultiTaskLasso, then ``ProximalRegressor(L21)`` run until its duality gap
   is at most the gap of scikit-learn's solution (both gaps computed by the
   same formula, from the Gram statistics).
2. Per-task X (n = 1e6, d = 100, T = 10): a raw-data FISTA written the
   MALSAR way (loss 1/2 sum_t ||Y_t - X_t W_t||^2, gradient and every
   line-search trial from X, step search starting from 1 and doubling),
   then ``ProximalRegressor(L21)`` from the Gram statistics, to the same gap.
3. Seconds per iteration against n: flat for the Gram solver, linear in n
   for the raw-data one.

Run with ``python benchmarks/bench_proximal.py`` (a few minutes, about
2 GB of memory); ``--quick`` uses ten times fewer rows.
"""

import argparse
import time

import numpy as np
from sklearn.linear_model import MultiTaskLasso

from mtlsynth import FISTA, ProximalRegressor, TaskStatistics
from mtlsynth._datafits import Quadratic
from mtlsynth._prox import block_soft_threshold
from mtlsynth._solvers import _Problem
from mtlsynth.penalties import L21


def gap_of(datafit, penalty, W):
    """Duality gap of ``W`` and its relative value (gap / f(0))."""
    problem = _Problem(datafit, penalty)
    _, gap = problem.certificate(W)
    return gap, gap / datafit.value(np.zeros(datafit.shape))


def correlated_inputs(rng, n, d, rho=0.8):
    """Gaussian inputs with correlation ``rho^|i - j|`` between features."""
    idx = np.arange(d)
    L = np.linalg.cholesky(rho ** np.abs(idx[:, None] - idx[None, :]))
    return rng.standard_normal((n, d)) @ L.T


def one_x_many_outputs(n, d=200, q=40, seed=0):
    rng = np.random.default_rng(seed)
    X = correlated_inputs(rng, n, d)
    W = np.zeros((d, q))
    W[:20] = rng.standard_normal((20, q))
    Y = X @ W + rng.standard_normal((n, q))
    labels, codes = np.array([0]), np.zeros(n, dtype=np.intp)
    stats = TaskStatistics.from_data(X, Y, labels, codes)
    datafit = Quadratic(stats, fit_intercept=True, task_weighting="equal")
    alpha = 0.02 * L21().dual_norm(datafit.gradient(np.zeros(datafit.shape)))
    penalty = L21(alpha)

    start = time.perf_counter()
    ref = MultiTaskLasso(alpha=alpha, tol=1e-4, max_iter=10000).fit(X, Y)
    t_ref = time.perf_counter() - start
    gap, rel = gap_of(datafit, penalty, ref.coef_.T[None])

    start = time.perf_counter()
    ours = ProximalRegressor(penalty, solver=FISTA(tol=rel, max_iter=100000))
    ours.fit(X, Y)
    t_ours = time.perf_counter() - start
    our_gap, _ = gap_of(datafit, penalty, ours.coef_.transpose(0, 2, 1))
    diff = np.abs(ours.coef_[0] - ref.coef_).max()
    return [
        ("MultiTaskLasso (CD)", t_ref, ref.n_iter_, gap),
        ("ProximalRegressor (Gram FISTA)", t_ours, ours.n_iter_, our_gap),
    ], diff


def per_task_data(n, d, T, seed=1):
    rng = np.random.default_rng(seed)
    X = correlated_inputs(rng, n, d)
    W = np.zeros((T, d))
    W[:, :15] = rng.standard_normal((T, 15))
    codes = np.repeat(np.arange(T), n // T)
    y = np.einsum("nd,nd->n", X, W[codes]) + rng.standard_normal(n)
    return X, y, codes


class RawFISTA:
    """MALSAR Least_L21: 1/2 sum_t ||y_t - X_t w_t||^2 + rho sum_j ||W_j||."""

    def __init__(self, X, y, codes, T, rho):
        bounds = np.searchsorted(codes, np.arange(T + 1))
        self.parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        self.X, self.y, self.rho = X, y, rho

    def loss(self, W):
        return sum(
            0.5 * np.sum((self.y[s] - self.X[s] @ W[t]) ** 2)
            for t, s in enumerate(self.parts)
        )

    def grad_loss(self, W):
        grad, loss = np.empty_like(W), 0.0
        for t, s in enumerate(self.parts):
            r = self.X[s] @ W[t] - self.y[s]
            grad[t] = self.X[s].T @ r
            loss += 0.5 * r @ r
        return grad, loss

    def iterate(self, W, state, n_iter):
        """Run ``n_iter`` more iterations from ``W`` and the saved state."""
        W_old, t_old, t, gamma = state
        for _ in range(n_iter):
            S = W + ((t_old - 1.0) / t) * (W - W_old)
            gS, fS = self.grad_loss(S)
            while True:
                Z = block_soft_threshold(S - gS / gamma, self.rho / gamma, axis=0)
                delta = Z - S
                bound = fS + np.vdot(delta, gS) + 0.5 * gamma * np.vdot(delta, delta)
                if self.loss(Z) <= bound:
                    break
                gamma *= 2.0
            W_old, W = W, Z
            t_old, t = t, 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        return W, (W_old, t_old, t, gamma)


def per_task_race(n, d=100, T=10, check_every=10, max_iter=3000):
    X, y, codes = per_task_data(n, d, T)
    labels = np.arange(T)
    stats = TaskStatistics.from_data(X, y[:, None], labels, codes)
    datafit = Quadratic(stats, fit_intercept=False, task_weighting="equal")
    alpha = 0.05 * L21().dual_norm(datafit.gradient(np.zeros(datafit.shape)))
    penalty = L21(alpha)
    n_t = n // T
    tol = 1e-6

    raw = RawFISTA(X, y, codes, T, rho=alpha * n_t)  # same minimizer
    W = np.zeros((T, d))
    state = (W.copy(), 0.0, 1.0, 1.0)  # MALSAR: t_old = 0, t = 1, step 1
    t_raw, it = 0.0, 0
    while it < max_iter:
        start = time.perf_counter()
        W, state = raw.iterate(W, state, check_every)
        t_raw += time.perf_counter() - start
        it += check_every
        gap, rel = gap_of(datafit, penalty, W[:, :, None])
        if rel <= tol:
            break

    start = time.perf_counter()
    ours = ProximalRegressor(
        penalty, solver=FISTA(tol=tol, max_iter=100000), fit_intercept=False
    )
    ours.fit(X, y, tasks=codes)
    t_ours = time.perf_counter() - start
    return [
        ("raw FISTA, backtracking (MALSAR)", t_raw, it, gap),
        ("ProximalRegressor (Gram FISTA)", t_ours, ours.n_iter_, ours.gap_),
    ]


def per_iteration(ns, d=100, T=10, iters=200, raw_iters=5):
    rows = []
    for n in ns:
        X, y, codes = per_task_data(n, d, T, seed=2)
        start = time.perf_counter()
        stats = TaskStatistics.from_data(X, y[:, None], np.arange(T), codes)
        t_stats = time.perf_counter() - start
        datafit = Quadratic(stats, fit_intercept=False, task_weighting="equal")
        penalty = L21(1e-3)
        start = time.perf_counter()
        FISTA(max_iter=iters, tol=0.0, check_every=iters).solve(datafit, penalty)
        t_gram = (time.perf_counter() - start) / iters
        raw = RawFISTA(X, y, codes, T, rho=1e-3 * n / T)
        W0 = np.zeros((T, d))
        # Two iterations first: the step search settles in the first one.
        W, state = raw.iterate(W0, (W0, 0.0, 1.0, 1.0), 2)
        start = time.perf_counter()
        raw.iterate(W, state, raw_iters)
        t_raw = (time.perf_counter() - start) / raw_iters
        rows.append((n, t_stats, t_gram, t_raw))
        del X, y, codes
    return rows


def table(title, rows, base):
    print(f"\n{title}")
    print(f"{'method':<34} {'time (s)':>9} {'iters':>7} {'gap':>10} {'speed-up':>9}")
    for name, t, it, gap in rows:
        print(f"{name:<34} {t:9.3f} {it:7d} {gap:10.2e} {base / t:8.1f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ten times fewer rows")
    args = parser.parse_args()
    scale = 10 if args.quick else 1

    rows, diff = one_x_many_outputs(50_000 // scale)
    table(f"1. one X, n={50_000 // scale}, d=200, q=40, L21", rows, rows[0][1])
    print(f"max |coef difference| = {diff:.2e}")

    rows = per_task_race(1_000_000 // scale)
    table(f"2. per-task X, n={1_000_000 // scale}, d=100, T=10, L21", rows, rows[0][1])

    print("\n3. seconds per iteration against n (d=100, T=10)")
    print(f"{'n':>9} {'statistics (s)':>15} {'Gram iter (s)':>14} {'raw iter (s)':>13}")
    for n, t_stats, t_gram, t_raw in per_iteration(
        [10_000, 100_000, 1_000_000 // scale]
    ):
        print(f"{n:9d} {t_stats:15.3f} {t_gram:14.2e} {t_raw:13.2e}")


if __name__ == "__main__":
    main()
