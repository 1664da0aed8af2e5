"""Datafits of the proximal multi-task estimators.

A datafit is the smooth loss ``f(Z)`` of the stacked parameters ``Z`` of
shape ``(n_tasks, n_rows, n_outputs)``. The first ``n_features`` rows of each
task are its coefficients, seen by the penalty; the last
``n_unpenalized`` rows (the intercept, when it is a free variable) are not.
Every datafit offers ``value(Z)``, ``gradient(Z)``, ``value_and_gradient(Z)``
and ``lipschitz()``, a Lipschitz constant of the gradient.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.sparse import linalg as sparse_linalg
from scipy.special import expit

from mtlsynth._shared import SMALL_SOLVE_FLOPS
from mtlsynth._stats import TaskStatistics
from mtlsynth.utils.blas import blas_threads_for

__all__ = [
    "ComponentSum",
    "Logistic",
    "Quadratic",
    "task_scale",
]


def task_scale(weight: np.ndarray, task_weighting: str) -> np.ndarray:
    """Factor ``c_t`` of each task's summed loss.

    Parameters
    ----------
    weight : ndarray of shape (n_tasks,)
        Total sample weight ``n_t`` of each task.
    task_weighting : {"equal", "samples"}
        ``"equal"`` gives ``1 / n_t`` (each task's mean loss, tasks weigh the
        same); ``"samples"`` gives ``1 / sum_t n_t`` (every sample weighs the
        same, large tasks dominate).

    Returns
    -------
    scale : ndarray of shape (n_tasks,)
    """
    empty = weight <= 0
    if np.any(empty):
        raise ValueError(
            "Every task needs a positive total sample weight; tasks at positions "
            f"{np.flatnonzero(empty).tolist()} have none."
        )
    if task_weighting == "equal":
        return 1.0 / weight
    return np.full_like(weight, 1.0 / weight.sum())


_DENSE_EIGEN_MAX = 400
"""Above this size the largest eigenvalue comes from Lanczos iterations."""


def _largest_eigenvalue(A: np.ndarray) -> float:
    """Largest eigenvalue of a symmetric positive semi-definite matrix.

    Small matrices use LAPACK; larger ones ARPACK's Lanczos iterations
    (O(d^2) per iteration instead of the O(d^3) tridiagonal reduction),
    converged to a relative 1e-10. Either value is raised by its error
    bound to stay an upper bound (a Lipschitz constant must not be
    underestimated): LAPACK's backward error is a small multiple of
    ``d eps ||A||``, and a Ritz value approaches the eigenvalue from below
    within the Lanczos tolerance.
    """
    n = A.shape[0]
    if n <= _DENSE_EIGEN_MAX:
        # a small LAPACK call: on one thread, which a busy machine cannot slow
        with blas_threads_for(4 * n**3 / 3, limit=SMALL_SOLVE_FLOPS):
            value = linalg.eigvalsh(A, subset_by_index=[n - 1, n - 1])[0]
        return float(value) * (1.0 + 8 * n * np.finfo(float).eps)
    start = np.random.default_rng(0).standard_normal(n)
    value = sparse_linalg.eigsh(
        A, k=1, which="LA", tol=1e-10, v0=start, return_eigenvectors=False
    )[0]
    return float(value) * (1.0 + 1e-9)


class Quadratic:
    """Squared loss from per-task Gram statistics.

    ::

        f(W) = sum_t c_t / 2 ||Y_t - X_t W_t||_F^2
             = sum_t c_t / 2 (tr C_t - 2 tr(W_t' B_t) + tr(W_t' G_t W_t))

    with ``G_t = X_t' S_t X_t``, ``B_t = X_t' S_t Y_t``, ``C_t = Y_t' S_t Y_t``
    (centred per task when the intercepts are eliminated). One gradient costs
    ``O(T d^2 q)``, whatever the number of rows.

    Parameters
    ----------
    statistics : TaskStatistics
        Per-task statistics.
    fit_intercept : bool
        Centre each task (its intercept is then eliminated exactly).
    task_weighting : {"equal", "samples"}
        See :func:`task_scale`.
    """

    n_unpenalized = 0

    def __init__(self, statistics: TaskStatistics, *, fit_intercept, task_weighting):
        c = task_scale(statistics.weight, task_weighting)
        G, B = statistics.gram(centered=fit_intercept)
        C = statistics.target_scatter(centered=fit_intercept)
        self.scale = c
        self.cG = c[:, None, None] * G
        self.cB = c[:, None, None] * B
        self.c_yy = float(c @ np.trace(C, axis1=1, axis2=2))

    @property
    def shape(self):
        """Shape ``(n_tasks, n_features, n_outputs)`` of the parameters."""
        return self.cB.shape

    @property
    def iteration_flops(self):
        """Floating-point operations of one gradient, ``2 T d^2 q``."""
        n_tasks, d, q = self.cB.shape
        return 2 * n_tasks * d * d * q

    def _terms(self, W):
        cGW = np.matmul(self.cG, W)
        wb = float(np.vdot(W, self.cB))
        wgw = float(np.vdot(W, cGW))
        return cGW, wb, self.c_yy - 2.0 * wb + wgw

    def value(self, W):
        """Loss value ``f(W)``."""
        return 0.5 * self._terms(W)[2]

    def gradient(self, W):
        """Gradient ``c_t (G_t W_t - B_t)`` of every task."""
        return np.matmul(self.cG, W) - self.cB

    def value_and_gradient(self, W):
        """Loss value and gradient, sharing the products ``G_t W_t``."""
        cGW, _, sq = self._terms(W)
        return 0.5 * sq, cGW - self.cB

    def lipschitz(self):
        """Exact Lipschitz constant ``max_t c_t lambda_max(G_t)``."""
        return max(_largest_eigenvalue(g) for g in self.cG)

    def dual_value(self, W, s):
        """Dual objective at the dual point ``s c_t R_t`` (residuals rescaled).

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Coefficients giving the residuals ``R_t = Y_t - X_t W_t``.
        s : float
            Rescaling in ``[0, 1]`` that makes the dual point feasible.

        Returns
        -------
        dual : float
            ``sum_t s c_t <R_t, Y_t> - s^2 c_t / 2 ||R_t||^2``.
        """
        _, wb, sq = self._terms(W)
        return s * (self.c_yy - wb) - 0.5 * s * s * sq


class Logistic:
    """Binary logistic loss from the raw rows, per task.

    ::

        f(W, b) = sum_t c_t sum_{i in t} s_i log(1 + exp(-y_i (x_i W_t + b_t)))

    with labels ``y_i`` in {-1, +1}. The parameters are ``Z`` of shape
    ``(n_tasks, n_features + 1, 1)`` with the intercept in the last row
    (``n_features`` rows without intercept).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Inputs.
    y : ndarray of shape (n_samples,)
        Labels in {-1, +1}.
    codes : ndarray of shape (n_samples,)
        Task index of each row.
    n_tasks : int
        Number of tasks.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights.
    fit_intercept : bool
        Whether the last parameter row is a free intercept.
    task_weighting : {"equal", "samples"}
        See :func:`task_scale`.
    """

    def __init__(
        self, X, y, codes, n_tasks, sample_weight, *, fit_intercept, task_weighting
    ):
        weight = np.bincount(codes, weights=sample_weight, minlength=n_tasks)
        c = task_scale(weight, task_weighting)
        if np.any(codes[1:] < codes[:-1]):
            order = np.argsort(codes, kind="stable")
            X, y, codes, sample_weight = (
                X[order],
                y[order],
                codes[order],
                sample_weight[order],
            )
        bounds = np.searchsorted(codes, np.arange(n_tasks + 1))
        self.slices = [
            slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        self.X, self.y = X, y
        self.v = sample_weight * c[codes]
        self.n_unpenalized = int(fit_intercept)
        self.n_features = X.shape[1]

    @property
    def shape(self):
        """Shape ``(n_tasks, n_features + n_unpenalized, 1)`` of the parameters."""
        return (len(self.slices), self.n_features + self.n_unpenalized, 1)

    def _margins(self, Z):
        d = self.n_features
        z = np.empty(self.X.shape[0])
        for t, rows in enumerate(self.slices):
            z[rows] = self.X[rows] @ Z[t, :d, 0]
            if self.n_unpenalized:
                z[rows] += Z[t, d, 0]
        return z

    def value(self, Z):
        """Loss value."""
        return float(self.v @ np.logaddexp(0.0, -self.y * self._margins(Z)))

    def gradient(self, Z):
        """Gradient with respect to coefficients and intercepts."""
        return self.value_and_gradient(Z)[1]

    def value_and_gradient(self, Z):
        """Loss value and gradient from one pass over the rows."""
        yz = self.y * self._margins(Z)
        r = -self.y * self.v * expit(-yz)
        grad = np.empty(self.shape)
        d = self.n_features
        for t, rows in enumerate(self.slices):
            grad[t, :d, 0] = self.X[rows].T @ r[rows]
            if self.n_unpenalized:
                grad[t, d, 0] = r[rows].sum()
        return float(self.v @ np.logaddexp(0.0, -yz)), grad

    def lipschitz(self):
        """Lipschitz constant ``max_t 0.25 lambda_max([X_t 1]' V_t [X_t 1])``."""
        best = 0.0
        for rows in self.slices:
            Xt, vt = self.X[rows], self.v[rows]
            H = Xt.T @ (vt[:, None] * Xt)
            if self.n_unpenalized:
                col = Xt.T @ vt
                H = np.block([[H, col[:, None]], [col[None, :], vt.sum()]])
            best = max(best, 0.25 * _largest_eigenvalue(H))
        return best


class ComponentSum:
    """A datafit seen through components that add up to its coefficients.

    The parameters ``Z`` of shape ``(n_tasks, K * d + u, n_outputs)`` hold
    ``K`` components of ``d`` rows each, then the datafit's ``u`` unpenalized
    rows; the datafit sees ``W = sum_k Z_k`` (and the unpenalized rows as
    they are)::

        f_K(Z) = f(sum_k Z_k)

    Its gradient is ``grad f(W)`` repeated for every component, with
    Lipschitz constant ``K`` times that of ``f`` (the summing map has squared
    norm ``K``). The duality gap carries over: ``dual_value`` is that of
    ``f`` at the sum.

    Parameters
    ----------
    datafit : datafit object
        The datafit of the summed coefficients.
    n_components : int
        Number ``K`` of components.
    """

    def __init__(self, datafit, n_components):
        self.datafit = datafit
        self.n_components = int(n_components)
        self.n_unpenalized = getattr(datafit, "n_unpenalized", 0)
        self.n_features = datafit.shape[1] - self.n_unpenalized
        if callable(getattr(datafit, "dual_value", None)):
            self.dual_value = self._dual_value

    @property
    def shape(self):
        """Shape ``(n_tasks, K * d + u, n_outputs)`` of the parameters."""
        n_tasks, _, q = self.datafit.shape
        rows = self.n_components * self.n_features + self.n_unpenalized
        return (n_tasks, rows, q)

    @property
    def iteration_flops(self):
        """Floating-point operations of one gradient of the datafit."""
        return getattr(self.datafit, "iteration_flops", np.inf)

    def summed(self, Z):
        """The datafit's parameters: the components' sum, then the rest."""
        d, K = self.n_features, self.n_components
        W = Z[:, :d].copy()
        for k in range(1, K):
            W += Z[:, k * d : (k + 1) * d]
        return np.concatenate([W, Z[:, K * d :]], axis=1)

    def components(self, Z):
        """The components as ``(K, n_tasks, d, n_outputs)``."""
        d = self.n_features
        return np.stack([Z[:, k * d : (k + 1) * d] for k in range(self.n_components)])

    def _spread(self, grad):
        d = self.n_features
        return np.concatenate([grad[:, :d]] * self.n_components + [grad[:, d:]], axis=1)

    def value(self, Z):
        """Loss value of the summed coefficients."""
        return self.datafit.value(self.summed(Z))

    def gradient(self, Z):
        """The datafit's gradient, repeated for every component."""
        return self._spread(self.datafit.gradient(self.summed(Z)))

    def value_and_gradient(self, Z):
        """Loss value and gradient."""
        W = self.summed(Z)
        if callable(getattr(self.datafit, "value_and_gradient", None)):
            value, grad = self.datafit.value_and_gradient(W)
        else:
            value, grad = self.datafit.value(W), self.datafit.gradient(W)
        return value, self._spread(grad)

    def lipschitz(self):
        """``K`` times the datafit's Lipschitz constant."""
        return self.n_components * self.datafit.lipschitz()

    def _dual_value(self, Z, s):
        """The datafit's dual value at the summed coefficients."""
        return self.datafit.dual_value(self.summed(Z), s)
