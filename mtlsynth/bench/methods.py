"""The methods the speech benchmark compares, and its baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils import get_tags

from mtlsynth._maxent import MaxEntClassifier
from mtlsynth._proximal import ProximalRegressor
from mtlsynth._shared import SharedLeastSquares
from mtlsynth._solvers import FISTA
from mtlsynth.penalties import L2, L21, SumPenalty, TaskGraph, TraceNorm

__all__ = [
    "COMPACT_FEATURES",
    "LEVELS",
    "METHODS",
    "PerTask",
    "PerTaskRidge",
    "PooledRidge",
    "RidgeStartedRegressor",
    "WithTaskCode",
]

#: Training utterances of the target dialect.
LEVELS = (10, 25, 50, 100, 200)


#: Methods compared, in table order.
METHODS = (
    "independent",
    "pooled",
    "shared-least-squares",
    "l21",
    "trace",
    "graph",
    "mlp-dialect-code",
)


_QUICK_DIALECTS = ("en-US", "en", "en-GB-scotland", "en-029")


#: Compact frame features (1,055 columns on the built-in corpus instead of
#: about 3,100), so that the iterative solvers stay affordable.
COMPACT_FEATURES = {
    "context": 1,
    "interaction_context": 0,
    "neighbour_identity": False,
    "n_identity_bumps": 0,
    "edge_kernels": (),
    "diphone_kernels": (),
}


class PooledRidge(RegressorMixin, BaseEstimator):
    """Ridge regression on all tasks pooled, fitted from task statistics.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty ``alpha ||W||^2`` added to the sum of squared errors.
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def fit_statistics(self, statistics: Any) -> PooledRidge:
        """Fit from :class:`~mtlsynth.TaskStatistics` of all tasks.

        Parameters
        ----------
        statistics : TaskStatistics
            Statistics of the training rows; task labels are ignored.

        Returns
        -------
        self : PooledRidge
            The fitted model.
        """
        pooled = statistics.pooled("all")
        G = pooled.xx[0] + self.alpha * np.eye(pooled.xx.shape[1])
        W = np.linalg.solve(G, pooled.xy[0])
        self.coef_ = W.T
        self.intercept_ = pooled.mean_y[0] - pooled.mean_x[0] @ W
        self.n_features_in_ = W.shape[0]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predict targets.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_targets)
            Predictions.
        """
        return X @ self.coef_.T + self.intercept_


class PerTaskRidge(RegressorMixin, BaseEstimator):
    """Independent ridge regressions, one per task, fitted from task statistics.

    Parameters
    ----------
    alpha : float or dict, default=1.0
        Penalty ``alpha ||W_t||^2`` added to each task's sum of squared
        errors; a dict maps task labels to their own ``alpha``.
    """

    def __init__(self, alpha: float | dict = 1.0):
        self.alpha = alpha

    def fit_statistics(self, statistics: Any) -> PerTaskRidge:
        """Fit every task from :class:`~mtlsynth.TaskStatistics`.

        Parameters
        ----------
        statistics : TaskStatistics
            Statistics of the training rows.

        Returns
        -------
        self : PerTaskRidge
            The fitted model.
        """
        labels = np.asarray(statistics.labels)
        eye = np.eye(statistics.xx.shape[1])
        W = np.stack(
            [
                np.linalg.solve(xx + self._alpha(label) * eye, xy)
                for label, xx, xy in zip(
                    labels.tolist(), statistics.xx, statistics.xy, strict=True
                )
            ]
        )
        self.tasks_ = labels
        self.coef_ = W.transpose(0, 2, 1)
        self.intercept_ = statistics.mean_y - np.einsum(
            "td,tdq->tq", statistics.mean_x, W
        )
        self.n_features_in_ = W.shape[1]
        return self

    def _alpha(self, label: Any) -> float:
        return float(self.alpha[label] if isinstance(self.alpha, dict) else self.alpha)

    def predict(self, X: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        """Predict each row with its task's model.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs.
        tasks : ndarray of shape (n_samples,)
            Task of every row (seen in fit).

        Returns
        -------
        ndarray of shape (n_samples, n_targets)
            Predictions.
        """
        tasks = np.asarray(tasks)
        out = np.zeros((len(X), self.coef_.shape[1]))
        for t, label in enumerate(self.tasks_):
            rows = tasks == label
            out[rows] = X[rows] @ self.coef_[t].T + self.intercept_[t]
        return out


class PerTask(ClassifierMixin, BaseEstimator):
    """One clone of a scikit-learn classifier per task.

    Parameters
    ----------
    estimator : classifier
        Fitted once per task on that task's rows.
    """

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def fit(self, X: np.ndarray, y: np.ndarray, tasks: np.ndarray) -> PerTask:
        """Fit one classifier per task.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs.
        y : ndarray of shape (n_samples,)
            Labels; every task needs both classes.
        tasks : ndarray of shape (n_samples,)
            Task of every row.

        Returns
        -------
        self : PerTask
            The fitted model.
        """
        tasks = np.asarray(tasks)
        self.tasks_ = np.unique(tasks)
        self.classes_ = np.unique(y)
        self.estimators_ = [
            clone(self.estimator).fit(X[tasks == t], y[tasks == t]) for t in self.tasks_
        ]
        return self

    def predict_proba(self, X: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        """Class probabilities from each row's task model.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs.
        tasks : ndarray of shape (n_samples,)
            Task of every row (seen in fit).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in ``classes_`` order.
        """
        tasks = np.asarray(tasks)
        out = np.zeros((len(X), len(self.classes_)))
        for t, est in zip(self.tasks_, self.estimators_, strict=True):
            rows = tasks == t
            if rows.any():
                cols = np.searchsorted(self.classes_, est.classes_)
                out[np.ix_(rows, cols)] = est.predict_proba(X[rows])
        return out

    def predict(self, X: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        """Most probable class.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs.
        tasks : ndarray of shape (n_samples,)
            Task of every row.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels.
        """
        return self.classes_[self.predict_proba(X, tasks).argmax(axis=1)]


class WithTaskCode(BaseEstimator):
    """A scikit-learn estimator whose input gains a one-hot code of the task.

    Sparse inputs stay sparse (CSR) when the estimator takes them.

    Parameters
    ----------
    estimator : estimator
        Regressor or classifier trained on ``[X, onehot(task)]``.
    """

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = get_tags(self.estimator).input_tags.sparse
        return tags

    def _coded(self, X: Any, tasks: np.ndarray) -> Any:
        codes = np.searchsorted(self.tasks_, tasks)
        n = X.shape[0]
        onehot = sparse.csr_matrix(
            (np.ones(n), codes, np.arange(n + 1)), shape=(n, len(self.tasks_))
        )
        if sparse.issparse(X):
            return sparse.hstack([X, onehot], format="csr")
        return np.hstack([X, onehot.toarray()])

    def fit(self, X: np.ndarray, y: np.ndarray, tasks: np.ndarray) -> WithTaskCode:
        """Fit the estimator on the coded inputs.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs.
        y : ndarray
            Targets.
        tasks : ndarray of shape (n_samples,)
            Task of every row.

        Returns
        -------
        self : WithTaskCode
            The fitted model.
        """
        self.tasks_ = np.unique(tasks)
        self.estimator_ = clone(self.estimator).fit(self._coded(X, tasks), y)
        if hasattr(self.estimator_, "classes_"):
            self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        """Predict with each row's task code.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs.
        tasks : ndarray of shape (n_samples,)
            Task of every row (seen in fit).

        Returns
        -------
        ndarray
            Predictions.
        """
        return self.estimator_.predict(self._coded(X, tasks))

    def predict_proba(self, X: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        """Class probabilities with each row's task code.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Inputs.
        tasks : ndarray of shape (n_samples,)
            Task of every row.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities.
        """
        return self.estimator_.predict_proba(self._coded(X, tasks))


class RidgeStartedRegressor(ProximalRegressor):
    """ProximalRegressor whose first fit starts from ridge regression per task.

    The ridge term is the penalty's ``L2`` part (``smooth``), or ``1e-5``; with
    a small non-smooth penalty the solver then starts next to the solution
    instead of at zero. Later fits start from the previous solution if
    ``warm_start=True``, as for ProximalRegressor.

    Parameters
    ----------
    penalty : penalty, optional
        As for :class:`~mtlsynth.ProximalRegressor`.
    solver : FISTA, optional
        As for :class:`~mtlsynth.ProximalRegressor`.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    task_weighting : {"equal", "samples"}, default="equal"
        As for :class:`~mtlsynth.ProximalRegressor`.
    warm_start : bool, default=False
        Start later fits from the previous solution.
    """

    def fit_statistics(self, statistics: Any) -> RidgeStartedRegressor:
        """Fit from statistics, starting from ridge regression if unfitted.

        Parameters
        ----------
        statistics : TaskStatistics
            Statistics of the training rows.

        Returns
        -------
        self : RidgeStartedRegressor
            The fitted model.
        """
        if not hasattr(self, "coef_"):
            smooth = getattr(self.penalty, "smooth", None)
            r = smooth.alpha if isinstance(smooth, L2) else 1e-5
            eye = r * statistics.weight.sum() * np.eye(statistics.xx.shape[1])
            W = [
                np.linalg.solve(xx + eye, xy)
                for xx, xy in zip(statistics.xx, statistics.xy, strict=True)
            ]
            self.tasks_ = statistics.labels
            self.coef_ = np.stack(W).transpose(0, 2, 1)
            warm, self.warm_start = self.warm_start, True
            try:
                return super().fit_statistics(statistics)
            finally:
                self.warm_start = warm
        return super().fit_statistics(statistics)


@dataclass
class _Method:
    """A method: base models and the hyper-parameter grids searched."""

    duration: Any
    acoustic: Any
    voicing: Any
    duration_grid: list[dict]
    acoustic_grid: list[dict]
    voicing_grid: list[dict]
    normalize: str = "dialect"
    per_dialect: str | None = None  # parameter chosen for every dialect
    coupled: bool = True  # dialects share parameters (see _select_regressor)


def _proximal(penalty: Any, max_iter: int) -> RidgeStartedRegressor:
    """A warm-started ProximalRegressor on the per-frame mean squared error."""
    return RidgeStartedRegressor(
        penalty,
        solver=FISTA(max_iter=max_iter, tol=1e-4),
        task_weighting="samples",
        warm_start=True,
    )


def _methods(quick: bool) -> dict[str, _Method]:
    """Every method with its grids (grids ordered for warm starts)."""
    if quick:  # coarser grids, still reaching the independent limit
        ridge_alphas = (1.0, 10.0, 100.0, 1e3, 1e4)
        shared_a0, shared_a1 = (0.1, 10.0), (10.0, 100.0, 1e3, 1e4)
    else:
        ridge_alphas = (0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5)
        shared_a0, shared_a1 = (0.1, 1.0, 10.0), (1.0, 10.0, 100.0, 1e3, 1e4)
    ridge = [{"alpha": a} for a in ridge_alphas]
    shared = [
        {"alpha_shared": a0, "alpha_task": a1}
        for a0 in (*shared_a0, 1e12)
        for a1 in shared_a1
    ]
    logistic = [{"C": c} for c in (0.01, 0.1, 1.0)]
    maxent = [{"alpha_task": a} for a in (1.0, 10.0, 100.0)]
    if quick:
        logistic, maxent = logistic[1:], maxent[1:]
    sls = SharedLeastSquares(alpha_shared=1.0, alpha_task=10.0)
    me = MaxEntClassifier(alpha_shared=1.0, alpha_task=10.0, max_iter=300)
    lr = LogisticRegression(max_iter=300)
    it = 50 if quick else 100
    ridge_term = L2(1e-5)  # about alpha = 16 on the sum of squared errors
    fraction = [{"penalty__nonsmooth__alpha": f} for f in (1e-4, 1e-3, 1e-2, 1e-1)]
    graph = [{"penalty__alpha": a} for a in (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)]
    if quick:
        fraction, graph = fraction[1:3], graph[1:4]

    def proximal(penalty, grid, acoustic_grid=None):
        return _Method(
            _proximal(penalty, 300),
            _proximal(penalty, it),
            me,
            grid,
            grid if acoustic_grid is None else acoustic_grid,
            maxent,
        )

    hidden = (64,) if quick else (128,)
    mlp = {"early_stopping": True, "random_state": 0, "max_iter": 25}
    return {
        "independent": _Method(
            PerTaskRidge(),
            PerTaskRidge(),
            PerTask(lr),
            ridge,
            ridge,
            [{"estimator__C": g["C"]} for g in logistic],
            per_dialect="alpha",
            coupled=False,
        ),
        "pooled": _Method(
            PooledRidge(),
            PooledRidge(),
            lr,
            ridge,
            ridge,
            logistic,
            normalize="global",
        ),
        # alpha_task per dialect by SharedLeastSquaresCV's coordinate search
        # from the best common value: each dialect's own minimum on fits where
        # all had the same value gives the big dialects small penalties that
        # starve W_0 of the signal a small dialect needs (8 dialects: 6.80
        # instead of 6.43 dB)
        "shared-least-squares": _Method(
            sls, sls, me, shared, shared, maxent, per_dialect="alpha_task"
        ),
        "l21": proximal(SumPenalty(ridge_term, L21()), fraction),
        # one singular value decomposition per iteration: a shorter grid
        "trace": proximal(SumPenalty(ridge_term, TraceNorm()), fraction, fraction[1:3]),
        "graph": proximal(TaskGraph(), graph),
        "mlp-dialect-code": _Method(
            WithTaskCode(MLPRegressor(hidden_layer_sizes=(64,), **mlp)),
            WithTaskCode(MLPRegressor(hidden_layer_sizes=hidden, **mlp)),
            WithTaskCode(MLPClassifier(hidden_layer_sizes=hidden, **mlp)),
            [{}],
            [{}],
            [{}],
        ),
    }
