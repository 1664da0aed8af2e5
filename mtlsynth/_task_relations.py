"""Multi-task relationship learning (Zhang & Yeung, 2010) and task similarity."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from mtlsynth._composite import penalty_terms
from mtlsynth._prox import squared_l1_prox
from mtlsynth._stats import TaskStatistics, task_groups
from mtlsynth._tasks import MultiTaskMixin
from mtlsynth.utils.blas import blas_threads_for
from mtlsynth.utils.linalg import spd_solver
from mtlsynth.utils.validation import check_one_factor

__all__ = [
    "TaskRelationRegressor",
    "task_similarity",
]

COVARIANCE_EPS = 1e-8
"""Ridge ``eps`` added to ``W W'`` before its square root, relative to
``tr(W W')`` of the solution (see :class:`TaskRelationRegressor`)."""


def _task_matrix(W: np.ndarray) -> np.ndarray:
    """The ``n_tasks x (n_features * n_outputs)`` matrix of flattened tasks."""
    return W.reshape(W.shape[0], -1)


def relation_w_step(G, B, alpha: float, beta: float, precision) -> np.ndarray:
    """Coefficients minimizing the objective for a fixed task covariance.

    With ``P = Omega^-1`` the precision of the tasks, the stationarity
    conditions ``(G_t + alpha I) W_t + beta sum_s P_ts W_s = B_t`` form one
    symmetric positive definite system of size ``n_tasks * d``, solved by a
    Cholesky factorization in ``O((T d)^3 / 3 + (T d)^2 q)``; the outputs
    share the factorization.

    Parameters
    ----------
    G : ndarray of shape (n_tasks, d, d)
        Per-task Gram matrices ``X_t' S_t X_t``.
    B : ndarray of shape (n_tasks, d, q)
        Per-task cross products ``X_t' S_t Y_t``.
    alpha : float
        Ridge penalty on every coefficient.
    beta : float
        Weight of the task-relation penalty.
    precision : ndarray of shape (n_tasks, n_tasks)
        Inverse of the task covariance ``Omega``.

    Returns
    -------
    W : ndarray of shape (n_tasks, d, q)
        Coefficients of every task.
    """
    n_tasks, d, q = B.shape
    size = n_tasks * d
    A = beta * np.kron(precision, np.eye(d))
    for t in range(n_tasks):
        A[t * d : (t + 1) * d, t * d : (t + 1) * d] += G[t]
    A.flat[:: size + 1] += alpha
    with blas_threads_for(size**3 / 3 + 2 * size * size * q):
        W = spd_solver(0.5 * (A + A.T))(B.reshape(size, q))
    return W.reshape(n_tasks, d, q)


def relation_omega_step(W: np.ndarray, eps: float):
    """Task covariance minimizing the objective for fixed coefficients.

    ``Omega = S^(1/2) / tr(S^(1/2))`` with ``S = M M' + eps I`` and ``M`` the
    tasks' flattened coefficients, from the eigendecomposition of ``S``.

    Parameters
    ----------
    W : ndarray of shape (n_tasks, d, q)
        Coefficients of every task.
    eps : float
        Positive ridge added to ``M M'``.

    Returns
    -------
    omega : ndarray of shape (n_tasks, n_tasks)
        Task covariance, trace one.
    precision : ndarray of shape (n_tasks, n_tasks)
        Its inverse.
    penalty : float
        ``tr(Omega^-1 S) = tr(S^(1/2))^2``, the minimal value of the relation
        term over ``Omega``.
    """
    M = _task_matrix(W)
    s, U = linalg.eigh(M @ M.T)
    root = np.sqrt(np.maximum(s, 0.0) + eps)
    total = root.sum()
    omega = (U * (root / total)) @ U.T
    precision = (U * (total / root)) @ U.T
    return 0.5 * (omega + omega.T), 0.5 * (precision + precision.T), total**2


def _loss(G, B, C, W) -> float:
    """``sum_t ||Y_t - X_t W_t||^2`` from the statistics."""
    return float(
        np.trace(C, axis1=1, axis2=2).sum()
        - 2.0 * np.vdot(W, B)
        + np.vdot(W, np.matmul(G, W))
    )


def _relation_prox(M, step, alpha, beta):
    """Prox of ``step (alpha ||M||_F^2 + beta ||M||_*^2)``, and its singular values.

    On the singular values ``s`` of ``M``: ``argmin 0.5 ||x - s||^2 + step
    (alpha ||x||^2 + beta (sum x)^2)`` is :func:`squared_l1_prox` of ``s / (1
    + 2 step alpha)`` with weight ``step beta / (1 + 2 step alpha)``.
    """
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    shrink = 1.0 + 2.0 * step * alpha
    x = squared_l1_prox(s / shrink, step * beta / shrink)
    return (U * x) @ Vt, x


def _relation_conjugate(V, alpha, beta):
    """Conjugate of ``h(M) = alpha ||M||_F^2 + beta ||M||_*^2`` at ``V``.

    ``h`` depends on the singular values only, so ``h*(V) = sup_{x >= 0}
    <nu, x> - alpha ||x||^2 - beta (sum x)^2`` over the singular values
    ``nu`` of ``V``; the maximizer is :func:`squared_l1_prox` of ``nu / (2
    alpha)`` with weight ``beta / (2 alpha)``, and ``nu_1^2 / (4 beta)`` for
    ``alpha = 0``.
    """
    nu = np.linalg.svd(V, compute_uv=False)
    if alpha <= 0:
        return float(nu.max(initial=0.0) ** 2 / (4.0 * beta))
    x = squared_l1_prox(nu / (2.0 * alpha), beta / (2.0 * alpha))
    return float(nu @ x - alpha * x @ x - beta * x.sum() ** 2)


def solve_squared_trace(G, B, C, alpha, beta, init, *, max_iter, tol):
    """Minimize ``loss + alpha ||M||_F^2 + beta ||M||_*^2`` by monotone APG.

    Accelerated proximal gradient on the squared loss (step ``1 / L`` with
    ``L = 2 max_t lambda_max(G_t)``) with the prox of the penalty on the
    singular values of ``M`` (:func:`_relation_prox`); a step that would
    raise the objective is rejected and the momentum restarted (monotone
    FISTA), so the objective never increases. Stops when the duality gap
    ``P(W) - D(R)``, with the residuals ``R`` as dual point and ``D(R) = 2 <R,
    Y> - ||R||^2 - h*(2 X'R)`` (:func:`_relation_conjugate`), falls below
    ``tol`` times the objective.

    Parameters
    ----------
    G, B, C : ndarray
        Per-task Gram matrices ``(n_tasks, d, d)``, cross products ``(n_tasks,
        d, q)`` and target scatter ``(n_tasks, q, q)``.
    alpha, beta : float
        Penalties.
    init : ndarray of shape (n_tasks, d, q)
        Starting coefficients.
    max_iter : int
        Maximum number of iterations.
    tol : float
        Relative tolerance on the duality gap.

    Returns
    -------
    W : ndarray of shape (n_tasks, d, q)
        Coefficients.
    n_iter : int
        Iterations run.
    history : list of float
        Objective at the start and after every iteration (non-increasing).
    gap : float
        Final duality gap.
    """
    shape = B.shape
    trace_c = float(np.trace(C, axis1=1, axis2=2).sum())
    lipschitz = 2.0 * max(float(linalg.eigvalsh(g)[-1]) for g in G)
    step = 1.0 / max(lipschitz, np.finfo(float).tiny)

    def objective(W, s):
        return _loss(G, B, C, W) + alpha * float(s @ s) + beta * float(s.sum()) ** 2

    def gap(W, value):
        GW = np.matmul(G, W)
        wb = float(np.vdot(W, B))
        residual = trace_c - 2.0 * wb + float(np.vdot(W, GW))
        V = _task_matrix(2.0 * (B - GW))
        dual = 2.0 * (trace_c - wb) - residual - _relation_conjugate(V, alpha, beta)
        return max(value - dual, 0.0)

    x = np.array(init, dtype=float)
    value = objective(x, np.linalg.svd(_task_matrix(x), compute_uv=False))
    history = [value]
    y, t, it = x.copy(), 1.0, 0
    certificate = gap(x, value)
    while certificate > tol * abs(value) and it < max_iter:
        it += 1
        grad = 2.0 * (np.matmul(G, y) - B)
        M, s = _relation_prox(_task_matrix(y - step * grad), step, alpha, beta)
        z = M.reshape(shape)
        z_value = objective(z, s)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        if z_value <= value:
            y = z + ((t - 1.0) / t_new) * (z - x)
            x, value, t = z, z_value, t_new
        else:
            y, t = x.copy(), 1.0
        history.append(value)
        if it % 10 == 0 or it == max_iter:
            certificate = gap(x, value)
    return x, it, history, certificate


class TaskRelationRegressor(MultiTaskMixin, RegressorMixin, BaseEstimator):
    """Multi-task relationship learning: least squares with a learned task covariance.

    Every task ``t`` has coefficients ``W_t`` of shape ``(n_features,
    n_targets)`` and an unpenalized intercept ``b_t``. With ``M`` the
    ``n_tasks x (n_features * n_targets)`` matrix whose row ``t`` is ``W_t``
    flattened, sample weights ``s_i`` and the task covariance ``Omega``
    (symmetric positive definite, trace one), the objective is::

        sum_i s_i ||y_i - x_i W_{t_i} - b_{t_i}||^2
            + alpha ||M||_F^2 + beta tr(M' Omega^-1 M)

    in scikit-learn Ridge's convention (sums of squares, no 1/2, no 1/n),
    minimized over ``W``, ``b`` and ``Omega``. All outputs share one
    ``Omega``: the relation term sums ``w' Omega^-1 w`` over the vectors
    ``w`` of one coefficient across tasks, for every feature and output.
    ``Omega_st`` large means tasks ``s`` and ``t`` are alike; a negative
    entry, that they are opposed. Zhang and Yeung's regression objective (one
    output, ``W`` of shape ``d x m``) is ``sum_t 1/n_t sum_i (y_i - w_t' x_i
    - b_t)^2 + lambda_1/2 tr(W W') + lambda_2/2 tr(W Omega^-1 W')``: the same
    with sample weights ``1 / n_t``, ``alpha = lambda_1 / 2`` and ``beta =
    lambda_2 / 2``. The problem is jointly convex; minimizing over ``Omega``
    turns the relation term into ``beta ||M||_*^2`` (squared trace norm).

    Since ``min_Omega tr(M' Omega^-1 M) = ||M||_*^2`` (attained at ``Omega
    = (M M')^(1/2) / tr((M M')^(1/2))``), the problem is solved in ``M``
    alone: ``fit + alpha ||M||_F^2 + beta ||M||_*^2``, by monotone
    accelerated proximal gradient on the per-task statistics (centred when
    ``fit_intercept=True``, so the intercepts are eliminated exactly and
    recovered as ``b_t = ybar_t - xbar_t W_t``). The proximal operator of the
    penalty acts on the singular values of ``M`` in closed form (a sort; see
    :func:`~mtlsynth._prox.squared_l1_prox`). It starts from the exact
    solution for ``Omega = I / T`` (one symmetric positive definite system of
    size ``n_tasks * n_features``) and stops on a duality gap below ``tol``
    times the objective, which holds equally when the best ``M`` is
    rank-deficient (copies of a task, a large ``beta``), where alternating
    between ``W`` and ``Omega`` crawls (measured: 1e-3 above the optimum at
    its stopping rule, against 1e-9 here in 20 iterations). ``Omega`` is then
    read off the solution as ``S^(1/2) / tr(S^(1/2))`` with ``S = M M' + eps
    I``, ``eps = 1e-8 tr(M M')`` keeping it invertible when tasks are
    identical or zero.

    With a given ``task_covariance`` one W-step solves the problem (``Omega =
    I`` gives independent ridge regression with penalty ``alpha + beta`` per
    task).

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge penalty on every coefficient; non-negative.
    beta : float, default=1.0
        Weight of the task-relation term; positive.
    task_covariance : "learn" or array-like of shape (n_tasks, n_tasks), \
default="learn"
        Learn ``Omega``, or use the given symmetric positive definite matrix
        as it is (rows and columns follow the sorted task labels, ``tasks_``;
        it is not rescaled to trace one).
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    max_iter : int, default=1000
        Maximum number of proximal gradient iterations.
    tol : float, default=1e-6
        Duality gap, relative to the objective, below which the solver stops.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features) or \
(n_tasks, n_targets, n_features)
        Coefficients of every task.
    intercept_ : ndarray of shape (n_tasks,) or (n_tasks, n_targets)
        Intercept of every task (zeros if ``fit_intercept=False``).
    task_covariance_ : ndarray of shape (n_tasks, n_tasks)
        Learned (or given) task covariance ``Omega``; see
        :func:`task_similarity` for it as a correlation.
    tasks_ : ndarray of shape (n_tasks,)
        Sorted task labels seen in training (``[0]`` if ``tasks=None``).
    n_iter_ : int
        Number of proximal gradient iterations plus one for the starting
        solve (1 for a given covariance).
    objective_history_ : ndarray
        Objective from the starting point and after every iteration
        (non-increasing); the objective of the fit for a given covariance.
    statistics_ : TaskStatistics
        Per-task sufficient statistics.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    task_similarity : Task correlations of any fitted multi-task model.
    SharedLeastSquares : Tasks related through one shared part.
    mtlsynth.penalties.TaskGraph : Task relations given, not learned.

    References
    ----------
    .. [1] Y. Zhang and D.-Y. Yeung, "A convex formulation for learning task
       relationships in multi-task learning", UAI 2010.
    .. [2] A. Argyriou, T. Evgeniou and M. Pontil, "Convex multi-task feature
       learning", Machine Learning 73(3), 2008.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import TaskRelationRegressor, task_similarity
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 4))
    >>> tasks = np.repeat(["en-US", "en-GB", "en-029"], 30)
    >>> w = {"en-US": [1.0, 2.0, 0.0, 0.0], "en-GB": [1.0, 2.0, 0.0, 0.0],
    ...      "en-029": [0.0, 0.0, 2.0, -1.0]}
    >>> y = np.einsum("nd,nd->n", X, np.array([w[t] for t in tasks]))
    >>> model = TaskRelationRegressor(alpha=0.1, beta=1.0).fit(X, y, tasks=tasks)
    >>> labels, similarity = task_similarity(model)
    >>> labels.tolist()
    ['en-029', 'en-GB', 'en-US']
    >>> np.round(np.abs(similarity), 1)
    array([[1., 0., 0.],
           [0., 1., 1.],
           [0., 1., 1.]])
    >>> model.n_iter_ < model.max_iter
    True
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "task_covariance": [StrOptions({"learn"}), "array-like"],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        alpha=1.0,
        beta=1.0,
        *,
        task_covariance="learn",
        fit_intercept=True,
        max_iter=1000,
        tol=1e-6,
    ):
        self.alpha = alpha
        self.beta = beta
        self.task_covariance = task_covariance
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, tasks=None, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Training targets.
        tasks : array-like of shape (n_samples,), default=None
            Task label (int or str) of each sample; ``None`` means one task.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : TaskRelationRegressor
            The fitted model.
        """
        stats, single_output = self._batch_statistics(
            X, y, tasks, sample_weight, reset=True
        )
        return self._solve(stats, single_output)

    def fit_statistics(self, statistics: TaskStatistics):
        """Fit from sufficient statistics alone (no rows needed).

        Parameters
        ----------
        statistics : TaskStatistics
            Merged statistics of all training rows. ``n_features_in_`` is set
            from them unless already set.

        Returns
        -------
        self : TaskRelationRegressor
            The fitted model.
        """
        self._validate_params()
        check_one_factor(statistics, self)
        if not hasattr(self, "n_features_in_"):
            self.n_features_in_ = statistics.mean_x.shape[1]
        return self._solve(statistics, statistics.mean_y.shape[1] == 1)

    def _given_covariance(self, n_tasks: int):
        """The given ``Omega`` and its inverse, validated."""
        omega = np.asarray(self.task_covariance, dtype=np.float64)
        if omega.shape != (n_tasks, n_tasks):
            raise ValueError(
                f"task_covariance must have shape ({n_tasks}, {n_tasks}), one row "
                f"and column per task; got {omega.shape}."
            )
        if not np.all(np.isfinite(omega)) or not np.allclose(omega, omega.T):
            raise ValueError("task_covariance must be symmetric and finite.")
        s, U = linalg.eigh(omega)
        if s[0] <= 1e-12 * max(s[-1], 0.0) or s[-1] <= 0:
            raise ValueError("task_covariance must be positive definite.")
        return omega, (U / s) @ U.T

    def _solve(self, statistics: TaskStatistics, single_output: bool):
        """Proximal gradient (or, for a given covariance, one solve)."""
        empty = statistics.weight <= 0
        if np.any(empty):
            raise ValueError(
                "Every task needs a positive total sample weight; these have none: "
                f"{statistics.labels[empty].tolist()}."
            )
        G, B = statistics.gram(centered=self.fit_intercept)
        C = statistics.target_scatter(centered=self.fit_intercept)
        alpha, beta = float(self.alpha), float(self.beta)
        if isinstance(self.task_covariance, str):
            n_tasks = statistics.n_tasks
            init = relation_w_step(G, B, alpha, beta, n_tasks * np.eye(n_tasks))
            W, n_iter, history, gap = solve_squared_trace(
                G, B, C, alpha, beta, init, max_iter=self.max_iter, tol=self.tol
            )
            n_iter += 1  # the starting solve
            if gap > self.tol * abs(history[-1]):
                warnings.warn(
                    f"TaskRelationRegressor did not converge in {n_iter} "
                    f"iterations: duality gap {gap / abs(history[-1]):.3g} of the "
                    "objective. Increase max_iter or tol.",
                    ConvergenceWarning,
                )
            scale = float(np.sum(W * W))
            eps = COVARIANCE_EPS * scale if scale > 0 else 1.0
            omega = relation_omega_step(W, eps)[0]
        else:
            omega, precision = self._given_covariance(statistics.n_tasks)
            W = relation_w_step(G, B, alpha, beta, precision)
            M = _task_matrix(W)
            relation = float(np.vdot(M, precision @ M))
            history = [
                _loss(G, B, C, W) + alpha * float(np.sum(M * M)) + beta * relation
            ]
            n_iter = 1
        if self.fit_intercept:
            b = statistics.mean_y - np.einsum("td,tdq->tq", statistics.mean_x, W)
        else:
            b = np.zeros((statistics.n_tasks, W.shape[2]))
        self.statistics_ = statistics
        self.tasks_ = statistics.labels
        coef = W.transpose(0, 2, 1)
        self.coef_ = coef[:, 0, :] if single_output else coef
        self.intercept_ = b[:, 0] if single_output else b
        self.task_covariance_ = omega
        self.n_iter_ = n_iter
        self.objective_history_ = np.asarray(history)
        return self

    def predict(self, X, tasks=None):
        """Predict with each sample's task model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample; required when the model knows several
            tasks. Labels unseen in training raise.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions.
        """
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        codes = self._predict_codes(tasks, X.shape[0])
        n_tasks = len(self.tasks_)
        coef = self.coef_.reshape(n_tasks, -1, X.shape[1])
        intercept = np.reshape(self.intercept_, (n_tasks, -1))
        out = np.empty((X.shape[0], coef.shape[1]))
        for t, rows in enumerate(task_groups(codes, n_tasks)):
            out[rows] = X[rows] @ coef[t].T + intercept[t]
        return out[:, 0] if self.coef_.ndim == 2 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _cluster_matrix(estimator):
    """The task cluster matrix of a fitted penalty term that offers one, or None."""
    penalty = getattr(estimator, "penalty_", None)
    if penalty is None or not hasattr(estimator, "coef_"):
        return None
    smooth, nonsmooth = penalty_terms(penalty)
    for term in smooth + nonsmooth:
        if callable(getattr(term, "task_cluster_matrix", None)):
            return term.task_cluster_matrix(estimator.coef_)
    return None


def task_similarity(estimator, *, centered=False):
    """The tasks' similarity matrix of a fitted multi-task model.

    With a learned (or given) task covariance ``task_covariance_`` (as
    :class:`TaskRelationRegressor` has), its correlation ``Omega_st /
    sqrt(Omega_ss Omega_tt)``. For a model fitted with a
    :class:`~mtlsynth.penalties.ClusteredTasks` penalty (alone or as a term
    of a sum), the same correlation of the relaxed cluster matrix ``M`` at
    the fitted coefficients (its ``task_cluster_matrix``): close to one
    within a cluster and to zero across. Otherwise the cosine similarity of the tasks'
    coefficient vectors, ``coef_`` flattened per task (all outputs and, for
    classifiers, classes); intercepts are left out. With ``centered=True``
    each vector is first centred on its own mean, which gives their Pearson
    correlation. A pair involving an all-zero vector has no similarity
    (``nan``).

    Parameters
    ----------
    estimator : fitted multi-task estimator
        Has ``tasks_`` and either ``task_covariance_`` or ``coef_`` with one
        leading row per task.
    centered : bool, default=False
        Centre each task's coefficients before the cosine (ignored for a
        task covariance or cluster matrix).

    Returns
    -------
    labels : ndarray of shape (n_tasks,)
        The task labels, ``estimator.tasks_``.
    similarity : ndarray of shape (n_tasks, n_tasks)
        Symmetric, in ``[-1, 1]``, ones on the diagonal (``nan`` for all-zero
        tasks).

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import SharedLeastSquares, task_similarity
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2))
    >>> tasks = np.repeat(["a", "b", "c"], 20)
    >>> y = np.where(tasks == "c", X[:, 1], X[:, 0])
    >>> model = SharedLeastSquares(alpha_shared=1e6, alpha_task=1e-6)
    >>> labels, S = task_similarity(model.fit(X, y, tasks=tasks))
    >>> np.round(S, 3)
    array([[1., 1., 0.],
           [1., 1., 0.],
           [0., 0., 1.]])
    """
    check_is_fitted(estimator, "tasks_")
    labels = np.asarray(estimator.tasks_)
    n_tasks = len(labels)
    clusters = _cluster_matrix(estimator)
    if hasattr(estimator, "task_covariance_"):
        S = np.asarray(estimator.task_covariance_, dtype=np.float64)
    elif clusters is not None:
        S = clusters
    else:
        check_is_fitted(estimator, "coef_")
        V = np.reshape(np.asarray(estimator.coef_, dtype=np.float64), (n_tasks, -1))
        if centered:
            V = V - V.mean(axis=1, keepdims=True)
        S = V @ V.T
    norms = np.sqrt(np.maximum(np.diag(S), 0.0))
    outer = np.outer(norms, norms)
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.where(outer > 0, S / outer, np.nan)
    R = np.clip(0.5 * (R + R.T), -1.0, 1.0)
    diag = np.diag_indices(n_tasks)
    R[diag] = np.where(norms > 0, 1.0, np.nan)
    return labels, R
