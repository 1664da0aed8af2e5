"""Regularization paths and cross-validation of the proximal regressor."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import (
    BaseEstimator,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from mtlsynth._datafits import Quadratic
from mtlsynth._proximal import (
    _COMMON_CONSTRAINTS,
    _REGRESSOR_DOC_OBJECTIVE,
    ProximalRegressor,
    _alpha_grid,
    _intercepts,
    _ProximalRegressorBase,
    _squared_error,
    _statistics_path,
    _validated_parts,
)
from mtlsynth._stats import TaskStatistics
from mtlsynth.model_selection import _as_splitter, _split_indices

__all__ = [
    "ProximalRegressorCV",
    "proximal_path",
]


def _fold_errors(X, Y, labels, codes, weight, train, test, est, alphas):
    """Test errors of the path fitted on one training fold."""
    stats_train = TaskStatistics.from_data(
        X[train], Y[train], labels, codes[train], weight[train]
    )
    stats_test = TaskStatistics.from_data(
        X[test], Y[test], labels, codes[test], weight[test]
    )
    penalty, solver = _validated_parts(est.penalty, est.solver, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = _statistics_path(
            stats_train, penalty, solver, alphas, est.fit_intercept, est.task_weighting
        )
    errors = []
    for result in results:
        b = _intercepts(stats_train, result.params, est.fit_intercept)
        errors.append(_squared_error(stats_test, result.params, b, est.task_weighting))
    return errors


class ProximalRegressorCV(_ProximalRegressorBase, BaseEstimator):
    __doc__ = (
        """Penalized multi-task least squares with ``alpha`` chosen by cross-validation.
"""
        + _REGRESSOR_DOC_OBJECTIVE
        + """
    Each training fold is solved along a decreasing ``alpha`` grid with warm
    starts, from its Gram statistics; the test error of every ``alpha`` is
    computed from the test fold's statistics (the mean squared error per task,
    averaged with the same task weighting). The folds run in parallel. The
    final model is refitted on all rows along the grid down to the best
    ``alpha``.

    Parameters
    ----------
    penalty : penalty object with an ``alpha`` parameter, default=None
        ``None`` means ``L21()``; its ``alpha`` is replaced by the grid's.
    alphas : array-like of shape (n_alphas,), default=None
        Grid of ``alpha``; ``None`` builds ``n_alphas`` values from
        ``alpha_max`` (the smallest all-zero ``alpha``, for norm penalties)
        down to ``eps * alpha_max``.
    n_alphas : int, default=20
        Size of the automatic grid.
    eps : float, default=1e-3
        Ratio of the smallest to the largest automatic ``alpha``.
    cv : int, splitter or iterable of (train, test), default=None
        ``None`` means ``TaskKFold(5)``, an int ``TaskKFold(cv)``; a splitter
        whose ``split`` takes ``tasks`` receives them. Every task must be in
        every training fold.
    n_jobs : int, default=None
        Folds solved in parallel (joblib).
    solver : solver object, default=None
        ``None`` means ``FISTA()``.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    task_weighting : {"equal", "samples"}, default="equal"
        Loss factor ``c_t`` of each task, as above.

    Attributes
    ----------
    alpha_ : float
        Chosen ``alpha``.
    alphas_ : ndarray of shape (n_alphas,)
        Grid used, decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Test mean squared error of every ``alpha`` on every fold.
    coef_ : ndarray of shape (n_tasks, n_features) or \
(n_tasks, n_targets, n_features)
        Coefficients of every task at ``alpha_``.
    intercept_ : ndarray of shape (n_tasks,) or (n_tasks, n_targets)
        Intercept of every task.
    tasks_ : ndarray of shape (n_tasks,)
        Sorted task labels seen in training.
    penalty_ : penalty object
        Penalty with ``alpha=alpha_``.
    solver_ : solver object
        Fitted clone of ``solver``.
    n_iter_ : int
        Solver iterations of the final fit (last ``alpha`` of the path).
    gap_ : float
        Final certificate of the final fit.
    certificate_ : {"duality_gap", "kkt_residual"}
        What ``gap_`` measures.
    objective_history_ : ndarray
        Objective at every certificate check of the final fit.
    statistics_ : TaskStatistics
        Per-task sufficient statistics of all rows.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    ProximalRegressor : The model at a fixed ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import ProximalRegressorCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 5))
    >>> tasks = np.repeat([0, 1, 2], 40)
    >>> y = X[:, 0] + 0.5 * rng.normal(size=120)
    >>> model = ProximalRegressorCV(n_alphas=5, cv=3).fit(X, y, tasks=tasks)
    >>> model.mse_path_.shape
    (5, 3)
    """
    )

    _parameter_constraints: dict = {
        **_COMMON_CONSTRAINTS,
        "alphas": ["array-like", None],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "cv": ["cv_object", "array-like"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        penalty=None,
        *,
        alphas=None,
        n_alphas=20,
        eps=1e-3,
        cv=None,
        n_jobs=None,
        solver=None,
        fit_intercept=True,
        task_weighting="equal",
    ):
        self.penalty = penalty
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.cv = cv
        self.n_jobs = n_jobs
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.task_weighting = task_weighting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, tasks=None, sample_weight=None):
        """Choose ``alpha`` by cross-validation and fit on all rows.

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
        self : ProximalRegressorCV
            The fitted model.
        """
        X, y, labels, codes, weight = self._validate_fit_data(
            X, y, tasks, sample_weight, multi_output=True, y_numeric=True
        )
        Y = y.reshape(len(y), -1)
        stats = TaskStatistics.from_data(X, Y, labels, codes, weight)
        penalty, solver = _validated_parts(self.penalty, self.solver, 1.0)
        alphas = self._grid(stats, penalty)
        splits = _split_indices(_as_splitter(self.cv), X, y, labels[codes], None)
        errors = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_errors)(X, Y, labels, codes, weight, tr, te, self, alphas)
            for tr, te in splits
        )
        self.alphas_ = alphas
        self.mse_path_ = np.array(errors).T
        best = int(np.argmin(self.mse_path_.mean(axis=1)))
        self.alpha_ = float(alphas[best])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            path = _statistics_path(
                stats,
                penalty,
                solver,
                alphas[:best],
                self.fit_intercept,
                self.task_weighting,
            )
        init = path[-1].params if path else None
        return self._solve_statistics(
            stats,
            init,
            y.ndim == 1,
            penalty=clone(penalty).set_params(alpha=alphas[best]),
        )

    def _grid(self, stats, penalty):
        """The decreasing grid of ``alpha``."""
        if self.alphas is not None:
            alphas = np.sort(np.asarray(self.alphas, dtype=np.float64).ravel())[::-1]
            if (
                alphas.size == 0
                or np.any(alphas < 0)
                or not np.all(np.isfinite(alphas))
            ):
                raise ValueError(
                    "alphas must be a non-empty list of non-negative floats."
                )
            return alphas
        datafit = Quadratic(
            stats, fit_intercept=self.fit_intercept, task_weighting=self.task_weighting
        )
        return _alpha_grid(datafit, penalty, self.n_alphas, self.eps)


def proximal_path(
    X,
    y,
    *,
    tasks=None,
    sample_weight=None,
    penalty=None,
    alphas=None,
    n_alphas=20,
    eps=1e-3,
    fit_intercept=True,
    task_weighting="equal",
    solver=None,
):
    """Multi-task least-squares solutions along a decreasing grid of ``alpha``.

    Solves the objective of :class:`ProximalRegressor` for every ``alpha``
    with warm starts from the previous solution, from one set of per-task
    Gram statistics.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Inputs.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    tasks : array-like of shape (n_samples,), default=None
        Task label of each sample; ``None`` means one task.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    penalty : penalty object with an ``alpha`` parameter, default=None
        ``None`` means ``L21()``.
    alphas : array-like of shape (n_alphas,), default=None
        Values of ``alpha``, used in decreasing order; ``None`` builds
        ``n_alphas`` values from ``alpha_max`` (the smallest all-zero
        ``alpha``, for norm penalties) down to ``eps * alpha_max``.
    n_alphas : int, default=20
        Size of the automatic grid.
    eps : float, default=1e-3
        Ratio of the smallest to the largest automatic ``alpha``.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    task_weighting : {"equal", "samples"}, default="equal"
        Loss factor of each task; see :class:`ProximalRegressor`.
    solver : solver object, default=None
        ``None`` means ``FISTA()``.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_alphas, n_tasks, n_features) or \
(n_alphas, n_tasks, n_targets, n_features)
        Coefficients at every ``alpha``.
    intercepts : ndarray of shape (n_alphas, n_tasks) or \
(n_alphas, n_tasks, n_targets)
        Intercepts at every ``alpha``.
    gaps : ndarray of shape (n_alphas,)
        Final certificate (duality gap or KKT residual) at every ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import proximal_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4))
    >>> y = X[:, 0] + 0.1 * rng.normal(size=60)
    >>> alphas, coefs, intercepts, gaps = proximal_path(
    ...     X, y, tasks=np.repeat([0, 1], 30), n_alphas=5
    ... )
    >>> coefs.shape, bool(np.all(coefs[0] == 0))
    ((5, 2, 4), True)
    """
    est = ProximalRegressor(
        penalty,
        solver=solver,
        fit_intercept=fit_intercept,
        task_weighting=task_weighting,
    )
    est._validate_params()
    X, y, labels, codes, weight = est._validate_fit_data(
        X, y, tasks, sample_weight, multi_output=True, y_numeric=True
    )
    Y = y.reshape(len(y), -1)
    stats = TaskStatistics.from_data(X, Y, labels, codes, weight)
    penalty, solver = _validated_parts(penalty, solver, 1.0)
    grid = ProximalRegressorCV(
        penalty,
        alphas=alphas,
        n_alphas=n_alphas,
        eps=eps,
        fit_intercept=fit_intercept,
        task_weighting=task_weighting,
    )
    grid._validate_params()
    alphas = grid._grid(stats, penalty)
    results = _statistics_path(
        stats, penalty, solver, alphas, fit_intercept, task_weighting
    )
    W = np.stack([r.params for r in results])
    b = np.stack([_intercepts(stats, r.params, fit_intercept) for r in results])
    coefs = W.transpose(0, 1, 3, 2)
    if y.ndim == 1:
        coefs, b = coefs[:, :, 0, :], b[:, :, 0]
    return alphas, coefs, b, np.array([r.certificate for r in results])
