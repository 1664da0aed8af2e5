"""Cross-validated penalties of the shared-parameter least squares.

Every candidate of the search is solved from per-task sufficient statistics,
with no factorization of a task's matrix per candidate. In fold k, task t's
training Gram matrix is decomposed once, ``G_t = U diag(lam) U'``, and its
cross products rotated once, ``P_t = U' B_t``. For any ``alpha_task`` value
``a``, the task's terms of the shared system of :func:`solve_shared
<mtlsynth._shared.solve_shared>` and its coefficients are then diagonal in
that basis::

    a A_t^-1 G_t = U diag(a lam / (lam + a)) U'
    a A_t^-1 B_t = U diag(a / (lam + a)) P_t
    U' W_t       = diag(a / (lam + a)) U' W_0 + diag(1 / (lam + a)) P_t

with ``A_t = G_t + a I``: a candidate ``(alpha_shared, alpha_task)`` costs
one Cholesky factorization of the d x d shared system. The test error of a
fold comes from the statistics of its held-out rows alone (weight ``w``,
means ``mx``, ``my`` and centred scatters ``XX``, ``XY``, ``YY``)::

    sum_i s_i ||y_i - x_i W_t - b_t||^2 = tr(YY) - 2 tr(W_t' XY)
        + tr(W_t' XX W_t) + w ||my - mx W_t - b_t||^2

Since ``W_t`` and ``b_t`` are affine in ``W_0`` for fixed penalties, the
fold's error is a quadratic form ``<W_0, H W_0> - 2 <W_0, F> + c`` whose
terms are built once per ``alpha_task`` value: every ``alpha_shared`` then
costs one solve and one d x d product, whatever the number of tasks.

The per-task search changes one task's ``alpha_task`` at a time. Holding the
others, the shared matrix is ``M_rest + U diag(c(a)) U'``; in task t's basis
it reads ``U (U' M_rest U + diag(c(a))) U'``, with ``c(a) = a lam / (lam +
a)``: ``U' M_rest U`` (and the other tasks' part of the error) is rotated
once per task and fold, and every value tried costs one Cholesky
factorization of ``U' M_rest U + diag(c(a))``, with no product of d x d
matrices. Once a task's value is kept, the shared matrix and the error's
terms are updated by the difference of that task's terms.
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from scipy import linalg
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from mtlsynth._factored import FACTOR_ATTRIBUTES, is_factored
from mtlsynth._penalty_search import (
    SEARCH_CONSTRAINTS,
    best_pair,
    coordinate_search,
    fold_indices,
    grid_results,
    log_grid,
    path_results,
    search_grids,
)
from mtlsynth._shared import SMALL_SOLVE_FLOPS, SharedLeastSquares
from mtlsynth._shared_cv_factored import search_factored
from mtlsynth._stats import TaskStatistics
from mtlsynth._tasks import MultiTaskMixin
from mtlsynth.utils.blas import blas_threads_for

__all__ = [
    "SharedLeastSquaresCV",
]

GRID_DECADES = (-6.0, 3.0)
"""Range of the default grids, in decades of the mean eigenvalue of the
summed per-task Gram matrices (``trace(sum_t G_t) / n_features``)."""


def _default_grid(stats: TaskStatistics, fit_intercept: bool, size: int = 10):
    """``size`` log-spaced penalties scaled by the data (see GRID_DECADES)."""
    G, _ = stats.gram(centered=fit_intercept)
    return log_grid(float(np.trace(G.sum(axis=0))) / G.shape[1], GRID_DECADES, size)


_POSV = linalg.get_lapack_funcs("posv", (np.empty(0),))


def _solve_spd(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A^-1 B`` for symmetric positive definite ``A`` (one LAPACK call:
    Cholesky factorization and solve); least squares if rounding made ``A``
    indefinite."""
    _, X, info = _POSV(A, B)
    if info != 0:
        return linalg.lstsq(A, B, check_finite=False)[0]
    return X


def _partition(splits, n: int) -> np.ndarray | None:
    """Fold of each row (-1: never tested) if every training set is the
    complement of its test set and the test sets are disjoint, else None."""
    fold = np.full(n, -1, dtype=np.intp)
    in_train = np.empty(n, dtype=bool)
    for k, (train, test) in enumerate(splits):
        if np.any(fold[test] >= 0):
            return None
        fold[test] = k
        in_train[:] = False
        in_train[train] = True
        n_train, n_test = int(in_train.sum()), int(np.sum(fold == k))
        if (
            n_test != len(test)  # repeated test rows
            or n_train != len(train)  # repeated training rows
            or in_train[test].any()
            or n_train + n_test != n
        ):
            return None
    return fold


def _leave_one_out(blocks: list, rest: TaskStatistics | None):
    """For every block in turn, the other blocks (and ``rest``) merged: made
    one at a time, so that only one is held (each is as large as all)."""
    for k in range(len(blocks)):
        others = [b for j, b in enumerate(blocks) if j != k]
        yield TaskStatistics.union(others + ([] if rest is None else [rest]))


def _loss_factors(weight: np.ndarray, n_outputs: int, scoring) -> np.ndarray:
    """Factor of each task's test SSE in a fold's mean squared error."""
    if scoring == "neg_task_mean_squared_error":
        present = weight > 0
        safe = np.where(present, weight, 1.0)
        return np.where(present, 1.0 / (present.sum() * safe * n_outputs), 0.0)
    return np.full(len(weight), 1.0 / (weight.sum() * n_outputs))


class _Fold:
    """One fold's training terms in each task's eigenbasis and its test loss.

    Per task: ``lam`` (T, d) eigenvalues and ``U`` (T, d, d) eigenvectors of
    the training Gram matrix and ``P`` (T, d, q) the rotated cross products.
    Products over tasks are made task by task, so that the only arrays of
    size T d^2 are ``U`` and ``K``.
    The fold's test loss (its mean squared error) is ``sum_t loss_t`` with,
    for ``Z = U' W_t`` in the task's basis, ``loss_t = <Z, K Z> - 2 <Z, L> +
    c0``: ``K`` (T, d, d), ``L`` (T, d, q) and ``c0`` (T,) hold the rotated
    test statistics, the offset of the test means from the training means
    (the intercept's error) and the factor of the scoring.
    """

    def __init__(self, train, test, fit_intercept, scoring):
        G, B = train.gram(centered=fit_intercept)
        T, d = G.shape[:2]
        lam, U = np.empty((T, d)), np.empty((T, d, d))
        for t in range(T):
            lam[t], U[t] = np.linalg.eigh(0.5 * (G[t] + G[t].T))
        del G
        self.lam = np.maximum(lam, 0.0)
        self.U = U
        self.P = U.transpose(0, 2, 1) @ B
        if fit_intercept:
            dmx, dmy = test.mean_x - train.mean_x, test.mean_y - train.mean_y
        else:
            dmx, dmy = test.mean_x, test.mean_y
        dmx = np.einsum("td,tde->te", dmx, U)
        w = test.weight
        f = _loss_factors(w, B.shape[2], scoring)
        fw = (f * w)[:, None, None]
        self.K = np.empty_like(U)
        for t in range(T):
            K = f[t] * (U[t].T @ test.xx[t] @ U[t])
            K += fw[t] * dmx[t][:, None] * dmx[t][None, :]
            self.K[t] = 0.5 * (K + K.T)
        self.L = f[:, None, None] * (U.transpose(0, 2, 1) @ test.xy) + fw * (
            dmx[:, :, None] * dmy[:, None, :]
        )
        self.c0 = f * (np.trace(test.yy, axis1=1, axis2=2) + w * np.sum(dmy**2, 1))

    def coefficients(self, a):
        """``s = a / (lam + a)`` and ``g = 1 / (lam + a)`` of every task, for
        penalties ``a`` of shape (T,) or (m, 1) (broadcast to (..., T, d))."""
        a = np.asarray(a, dtype=float)[..., None]
        return a / (self.lam + a), 1.0 / (self.lam + a)

    def shared_system(self, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``sum_t a_t A_t^-1 G_t`` and ``sum_t a_t A_t^-1 B_t``."""
        s, _ = self.coefficients(alphas)
        M, r = 0.0, 0.0
        for t, U in enumerate(self.U):
            root = U * np.sqrt(s[t] * self.lam[t])
            M = M + root @ root.T
            r = r + U @ (s[t][:, None] * self.P[t])
        return 0.5 * (M + M.T), r

    def task_loss(self, t: int, s, g):
        """Task t's loss as ``<E, H E> - 2 <E, F> + c`` in ``E = U' W_0``,
        for ``s``, ``g`` of shape (d,)."""
        K, L, gP = self.K[t], self.L[t], g[:, None] * self.P[t]
        KgP = K @ gP
        H = s[:, None] * K * s[None, :]
        F = s[:, None] * (L - KgP)
        c = self.c0[t] - 2.0 * np.sum(gP * L) + np.sum(gP * KgP)
        return H, F, c

    def loss_system(self, alphas: np.ndarray) -> tuple:
        """The fold's loss as ``<W0, H W0> - 2 <W0, F> + c``."""
        s, g = self.coefficients(alphas)
        H, F, c = 0.0, 0.0, 0.0
        for t, U in enumerate(self.U):
            H_t, F_t, c_t = self.task_loss(t, s[t], g[t])
            H = H + U @ H_t @ U.T
            F = F + U @ F_t
            c = c + c_t
        return 0.5 * (H + H.T), F, float(c)

    def state(self, alpha_shared: float, alphas: np.ndarray) -> tuple:
        """``(M + alpha_shared I, r, H, F, c)`` at penalties ``alphas``."""
        M, r = self.shared_system(alphas)
        M = M + alpha_shared * np.eye(M.shape[0])
        return (M, r, *self.loss_system(alphas))

    def trials(self, state: tuple, t: int, values, alphas) -> np.ndarray:
        """The fold's loss when task t's penalty takes each of ``values``.

        In task t's basis, with the other tasks' terms held and ``s(v) = v /
        (lam + v)``, the shared system is ``(N + diag(s(v) lam)) E = rho +
        s(v) P_t`` and the loss ``<E, Hr E> - 2 <E, Fr> + cr`` plus task t's
        own.
        """
        M, r, H, F, c = state
        U, lam, P = self.U[t], self.lam[t], self.P[t]
        Ut = U.T
        s, g = alphas[t] / (lam + alphas[t]), 1.0 / (lam + alphas[t])
        N = Ut @ M @ U - np.diag(s * lam)
        N = 0.5 * (N + N.T)
        rho = Ut @ r - s[:, None] * P
        H_t, F_t, c_t = self.task_loss(t, s, g)
        Hr = Ut @ H @ U - H_t
        Fr = Ut @ F - F_t
        cr = c - c_t
        K, L = self.K[t], self.L[t]
        losses = []
        for v in values:
            s, g = v / (lam + v), 1.0 / (lam + v)
            E = _solve_spd(N + np.diag(s * lam), rho + s[:, None] * P)
            Z = s[:, None] * E + g[:, None] * P
            losses.append(
                np.sum(E * (Hr @ E - 2.0 * Fr))
                + cr
                + np.sum(Z * (K @ Z - 2.0 * L))
                + self.c0[t]
            )
        return np.maximum(losses, 0.0)  # (rounding of near-exact fits)

    def moved(self, state: tuple, t: int, old: float, new: float) -> tuple:
        """``state`` after task t's penalty moves from ``old`` to ``new``."""
        M, r, H, F, c = state
        U, lam, P = self.U[t], self.lam[t], self.P[t]
        Ut = U.T
        s_old, g_old = old / (lam + old), 1.0 / (lam + old)
        s_new, g_new = new / (lam + new), 1.0 / (lam + new)
        H_old, F_old, c_old = self.task_loss(t, s_old, g_old)
        H_new, F_new, c_new = self.task_loss(t, s_new, g_new)
        dM = (U * ((s_new - s_old) * lam)) @ Ut
        dH = U @ (H_new - H_old) @ Ut
        return (
            M + 0.5 * (dM + dM.T),
            r + U @ ((s_new - s_old)[:, None] * P),
            H + 0.5 * (dH + dH.T),
            F + U @ (F_new - F_old),
            c + c_new - c_old,
        )


class _StatisticsSearch:
    """The per-task search's candidates, scored from the folds' statistics
    (see :func:`~mtlsynth._penalty_search.coordinate_search`)."""

    def __init__(self, folds: list, alpha_shared: float):
        self.folds, self.alpha_shared = folds, alpha_shared

    def begin(self, alphas):
        """Build every fold's state afresh (no drift of updates)."""
        self.states = [f.state(self.alpha_shared, alphas) for f in self.folds]

    def trials(self, t, values, alphas):
        """Mean score over folds of every value of task t's penalty."""
        pairs = zip(self.folds, self.states, strict=True)
        return -np.mean([f.trials(st, t, values, alphas) for f, st in pairs], axis=0)

    def accept(self, t, old, new):
        """Move every fold's state to task t's new penalty."""
        pairs = zip(self.folds, self.states, strict=True)
        self.states = [f.moved(st, t, old, new) for f, st in pairs]


def _grid_losses(fold: _Fold, alphas_shared, alphas_task) -> np.ndarray:
    """Test loss of every common grid point: (n_shared, n_task)."""
    T, d = fold.lam.shape
    out = np.empty((len(alphas_shared), len(alphas_task)))
    eye = np.eye(d)
    for j, a1 in enumerate(alphas_task):
        M, r = fold.shared_system(np.full(T, a1))
        H, F, c = fold.loss_system(np.full(T, a1))
        for i, a0 in enumerate(alphas_shared):
            W0 = _solve_spd(M + a0 * eye, r)
            out[i, j] = np.sum(W0 * (H @ W0 - 2.0 * F)) + c
    return np.maximum(out, 0.0)  # (rounding of near-exact fits)


class SharedLeastSquaresCV(MultiTaskMixin, RegressorMixin, BaseEstimator):
    """Shared-parameter least squares with penalties chosen by cross-validation.

    The model is :class:`SharedLeastSquares`: each task's coefficients are
    ``W_t = W_0 + V_t`` and, with sample weights ``s_i`` and per-task
    intercepts ``b_t``, the objective is::

        sum_i s_i ||y_i - x_i (W_0 + V_{t_i}) - b_{t_i}||^2
            + alpha_shared ||W_0||^2 + sum_t alpha_task_t ||V_t||^2

    The search first tries every pair of ``alphas_shared`` x ``alphas_task``
    with one ``alpha_task`` for all tasks. With ``per_task=True`` a
    coordinate search then gives every task its own ``alpha_task``: holding
    ``alpha_shared`` and the other tasks' values, each task in turn (the one
    with the least total weight first) tries every value of ``alphas_task``
    and keeps the one with the lowest cross-validated error, if lower than
    the current one; passes over the tasks repeat until one changes nothing,
    at most ``max_passes`` times. The model is then refitted on all rows.

    Every candidate is solved from per-task statistics, computed in one pass
    over the rows: each fold's training statistics are the other folds'
    merged. Each task's training Gram matrix is decomposed once per fold
    (``G_t = U diag(lam) U'``), which makes the task's terms of the shared
    system diagonal in its basis for every ``alpha_task``, so that a
    candidate costs one Cholesky factorization of the d x d shared system;
    test errors come from the held-out rows' statistics, as a quadratic form
    in the shared coefficients (see the module :mod:`mtlsynth._shared_cv`).
    The results equal fitting
    :class:`SharedLeastSquares` on the training rows of every fold and
    scoring its predictions of the held-out rows.

    With factored tasks (2-D, one column per factor: see
    :class:`SharedLeastSquares`) the grid gives every factor the same
    ``alpha_task`` and ``per_task=True`` then searches one per factor (the
    factor with the fewest levels first); ``alpha_task_`` maps every factor
    to its penalty, ``per_task_results_["task"]`` names the factors, and
    each candidate is solved exactly from every fold's cell statistics (see
    :mod:`mtlsynth._shared_cv_factored` for its cost). ``fit_statistics``
    takes one-factor tasks.

    Parameters
    ----------
    alphas_shared : array-like of shape (n_alphas_shared,), default=None
        Values of ``alpha_shared`` to try, positive. ``None`` means 10
        values from ``1e-6 s`` to ``1e3 s``, one per decade, where ``s`` is
        the mean eigenvalue of the summed per-task Gram matrices of all rows
        (``trace(sum_t G_t) / n_features``, the scale of ridge penalties):
        the largest value gives about independent models per task.
    alphas_task : array-like of shape (n_alphas_task,), default=None
        Values of ``alpha_task`` to try, positive; ``None`` builds the same
        grid as for ``alphas_shared``, whose largest value gives about one
        pooled model.
    per_task : bool, default=True
        After the common grid, give every task its own ``alpha_task`` by
        the coordinate search above.
    max_passes : int, default=3
        Most passes over the tasks in the per-task search.
    cv : int, splitter or iterable of (train, test), default=None
        ``None`` means ``TaskKFold(5)``, an int ``TaskKFold(cv)``; a
        splitter whose ``split`` takes ``tasks`` (or ``groups``) receives
        them. Every task must be in every training fold.
    scoring : {"neg_mean_squared_error", "neg_task_mean_squared_error"}, \
default=None
        Criterion, computed from statistics (no predictions of rows are
        made, so scikit-learn scorers are not accepted). ``None`` or
        ``"neg_mean_squared_error"``: the sample-weighted mean squared
        error of each test fold (over rows and targets), negated;
        ``"neg_task_mean_squared_error"``: the mean over tasks of each
        task's mean squared error, so that every task counts the same.
        Either is averaged over folds.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    unseen_tasks : {"error", "shared"}, default="error"
        What ``predict`` does with a task label not seen in training.
    n_jobs : int, default=None
        Folds prepared (eigendecompositions) in parallel threads.

    Attributes
    ----------
    alpha_shared_ : float
        Chosen ``alpha_shared``.
    alpha_task_ : float or dict
        Chosen ``alpha_task``: a dict mapping every task label to its value
        if ``per_task=True``, else a float.
    alphas_shared_ : ndarray of shape (n_alphas_shared,)
        Grid of ``alpha_shared`` used, increasing.
    alphas_task_ : ndarray of shape (n_alphas_task,)
        Grid of ``alpha_task`` used, increasing.
    cv_results_ : dict of ndarray
        The common grid, as in scikit-learn's ``GridSearchCV``: keys
        ``params``, ``param_alpha_shared``, ``param_alpha_task``,
        ``split{k}_test_score``, ``mean_test_score``, ``std_test_score`` and
        ``rank_test_score``, one entry per pair (``alpha_shared`` varying
        slowest).
    per_task_results_ : dict of ndarray
        Record of the per-task search, one entry per value tried: ``pass``,
        ``task``, ``alpha_task``, ``mean_test_score`` and ``accepted``
        (empty if ``per_task=False``).
    best_score_ : float
        Cross-validated score of the chosen penalties (higher is better).
    n_splits_ : int
        Number of folds.
    best_estimator_ : SharedLeastSquares
        The model refitted on all rows with the chosen penalties.
    coef_ : ndarray of shape (n_tasks, n_features) or (n_tasks, n_targets, n_features)
        Coefficients of every task, ``W_0 + V_t``.
    coef_shared_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Shared coefficients ``W_0``.
    coef_task_ : ndarray of shape (n_tasks, n_features) or \
(n_tasks, n_targets, n_features)
        Task-specific coefficients ``V_t``.
    intercept_ : ndarray of shape (n_tasks,) or (n_tasks, n_targets)
        Intercept of every task.
    intercept_shared_ : float or ndarray of shape (n_targets,)
        Intercept used with the shared part for unseen tasks.
    tasks_ : ndarray of shape (n_tasks,)
        Sorted task labels seen in training.
    statistics_ : TaskStatistics
        Per-task sufficient statistics of all rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    SharedLeastSquares : The model at fixed penalties.
    TaskKFold : The default folds, stratified by task.

    References
    ----------
    .. [1] T. Evgeniou and M. Pontil, "Regularized multi-task learning",
       KDD 2004.
    .. [2] G. H. Golub, M. Heath and G. Wahba, "Generalized cross-validation
       as a method for choosing a good ridge parameter", Technometrics 21(2),
       1979 (one eigendecomposition serving every ridge penalty).

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import SharedLeastSquaresCV
    >>> from mtlsynth.datasets import make_related_tasks
    >>> X, y, tasks, _ = make_related_tasks(50, n_tasks=3, n_features=4,
    ...                                     random_state=0)
    >>> model = SharedLeastSquaresCV(cv=3).fit(X, y, tasks=tasks)
    >>> sorted(model.alpha_task_)
    [0, 1, 2]
    >>> model.cv_results_["mean_test_score"].shape
    (100,)
    >>> model.predict(X[:2], tasks=tasks[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **SEARCH_CONSTRAINTS,
        "scoring": [
            StrOptions({"neg_mean_squared_error", "neg_task_mean_squared_error"}),
            None,
        ],
        "fit_intercept": ["boolean"],
    }

    def __init__(
        self,
        alphas_shared=None,
        alphas_task=None,
        *,
        per_task=True,
        max_passes=3,
        cv=None,
        scoring=None,
        fit_intercept=True,
        unseen_tasks="error",
        n_jobs=None,
    ):
        self.alphas_shared = alphas_shared
        self.alphas_task = alphas_task
        self.per_task = per_task
        self.max_passes = max_passes
        self.cv = cv
        self.scoring = scoring
        self.fit_intercept = fit_intercept
        self.unseen_tasks = unseen_tasks
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, tasks=None, sample_weight=None, groups=None):
        """Choose the penalties by cross-validation and fit on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Training targets.
        tasks : array-like of shape (n_samples,) or (n_samples, n_factors), \
default=None
            Task label (int or str) of each sample; ``None`` means one task;
            2-D (or a DataFrame): one level per factor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        groups : array-like of shape (n_samples,), default=None
            Group label of each sample (e.g. utterance), handed to the
            splitter so that a group's rows stay in one fold.

        Returns
        -------
        self : SharedLeastSquaresCV
            The fitted model.
        """
        for name in (*FACTOR_ATTRIBUTES, "coef_task_"):  # an earlier fit's
            self.__dict__.pop(name, None)
        if is_factored(tasks):
            return search_factored(
                self,
                X,
                y,
                tasks,
                sample_weight,
                groups,
                lambda weight, q: _loss_factors(weight, q, self.scoring),
                lambda full: _default_grid(full, self.fit_intercept),
            )
        X, y, labels, codes, weight = self._validate_fit_data(
            X, y, tasks, sample_weight, multi_output=True, y_numeric=True
        )
        Y = y.reshape(len(y), -1)
        n = X.shape[0]
        splits = fold_indices(self.cv, X, y, labels[codes], groups)

        def stats_of(rows):
            return TaskStatistics.from_data(
                X[rows], Y[rows], labels, codes[rows], weight[rows]
            )

        fold_of = _partition(splits, n)
        if fold_of is None:  # folds overlap: summarize each fold's rows
            train = [stats_of(tr) for tr, _ in splits]
            test = [stats_of(te) for _, te in splits]
            full = stats_of(np.arange(n))
        else:  # one pass: every row is summarized once
            test = [stats_of(np.flatnonzero(fold_of == k)) for k in range(len(splits))]
            rest = np.flatnonzero(fold_of < 0)
            rest = stats_of(rest) if len(rest) else None
            train = _leave_one_out(test, rest)
            full = TaskStatistics.union(test + ([] if rest is None else [rest]))
        return self._search(train, test, full, y.ndim == 1)

    def fit_statistics(self, fold_statistics):
        """Choose the penalties from the statistics of each fold's rows.

        For data summarized chunk by chunk (see
        :func:`~mtlsynth.accumulate_statistics`): fold k is tested on its
        own rows and trained on the other folds' rows, and the final model
        is fitted on all of them.

        Parameters
        ----------
        fold_statistics : list of TaskStatistics
            Statistics of the rows of each fold, at least two; together they
            hold every row. Every task must have rows outside every fold.

        Returns
        -------
        self : SharedLeastSquaresCV
            The fitted model.
        """
        self._validate_params()
        blocks = list(fold_statistics)
        if len(blocks) < 2:
            raise ValueError(
                f"fit_statistics needs the statistics of at least 2 folds; got "
                f"{len(blocks)}."
            )
        if not all(isinstance(b, TaskStatistics) for b in blocks):
            raise TypeError("fit_statistics takes a list of TaskStatistics.")
        full = TaskStatistics.union(blocks)
        test = [b._reindexed(full.labels) for b in blocks]
        train = (s._reindexed(full.labels) for s in _leave_one_out(test, None))
        for name in ("n_features_in_", "feature_names_in_"):
            self.__dict__.pop(name, None)
        self.n_features_in_ = full.mean_x.shape[1]
        return self._search(train, test, full, full.mean_y.shape[1] == 1)

    def _search(self, train, test, full, single_output):
        """Search the penalties on prepared folds and refit on ``full``;
        ``train`` may give the training statistics one fold at a time."""

        def checked():
            for k, (tr, te) in enumerate(zip(train, test, strict=True)):
                missing = full.labels[tr.weight <= 0]
                if len(missing):
                    raise ValueError(
                        "Every task must be in every training fold: the training "
                        f"rows of fold {k} have no weight of tasks "
                        f"{missing.tolist()}."
                    )
                if not np.any(te.weight > 0):
                    raise ValueError(f"Test fold {k} has no rows of positive weight.")
                yield tr, te

        alphas_shared, alphas_task = search_grids(
            self, lambda: _default_grid(full, self.fit_intercept)
        )
        d, q = full.mean_x.shape[1], full.mean_y.shape[1]
        flops = d**3 + full.n_tasks * d * d * q  # the largest calls
        with blas_threads_for(flops, limit=SMALL_SOLVE_FLOPS):
            args = (self.fit_intercept, self.scoring)
            if self.n_jobs in (None, 1):
                folds = [_Fold(tr, te, *args) for tr, te in checked()]
            else:
                folds = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                    delayed(_Fold)(tr, te, *args) for tr, te in checked()
                )
            scores = -np.stack(
                [_grid_losses(f, alphas_shared, alphas_task).ravel() for f in folds]
            )
            self.cv_results_ = grid_results(scores, alphas_shared, alphas_task)
            a0, a1, self.best_score_ = best_pair(self.cv_results_)
            alpha_task = a1
            if self.per_task:
                alphas, self.best_score_, self.per_task_results_ = coordinate_search(
                    _StatisticsSearch(folds, a0),
                    np.full(full.n_tasks, a1),
                    alphas_task,
                    np.argsort(full.weight, kind="stable"),
                    full.labels,
                    self.best_score_,
                    self.max_passes,
                )
                alpha_task = dict(
                    zip(full.labels.tolist(), alphas.tolist(), strict=True)
                )
            else:
                self.per_task_results_ = path_results([])
        self.alphas_shared_, self.alphas_task_ = alphas_shared, alphas_task
        self.alpha_shared_, self.alpha_task_ = a0, alpha_task
        self.n_splits_ = len(folds)
        self._refit(full, single_output)
        return self

    def _refit(self, full: TaskStatistics, single_output: bool):
        """Fit :class:`SharedLeastSquares` on all rows with the chosen penalties."""
        model = SharedLeastSquares(
            self.alpha_shared_,
            self.alpha_task_,
            fit_intercept=self.fit_intercept,
            unseen_tasks=self.unseen_tasks,
        )
        model.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            model.feature_names_in_ = self.feature_names_in_
        model._single_output = single_output
        model.fit_statistics(full)
        self.best_estimator_ = model
        for name in (
            "coef_",
            "coef_shared_",
            "coef_task_",
            "intercept_",
            "intercept_shared_",
            "tasks_",
            "statistics_",
        ):
            setattr(self, name, getattr(model, name))

    def predict(self, X, tasks=None):
        """Predict with each sample's task model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample; required when the model knows several
            tasks.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions.
        """
        check_is_fitted(self, "coef_")
        model = self.best_estimator_
        if hasattr(model, "_factors"):
            return model.predict(X, tasks)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        codes = self._predict_codes(tasks, X.shape[0])
        return model._predict_coded(X, codes, model.coef_, model.intercept_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
