"""Benchmark of multi-task methods on the multi-dialect speech corpus.

The question: with few utterances of a dialect, how much does sharing
across dialects help, and does it ever hurt the dialects with plenty of
data? One **target dialect** is trained on 10, 25, 50, 100 and 200
utterances while every other dialect keeps all of its own; the last level
is every dialect at full size. Every method trains the three models of a
:class:`~mtlsynth.synthesizer.ParametricSynthesizer` (durations, acoustics,
voicing) and is scored on the same held-out sentences of every dialect with
:meth:`~mtlsynth.synthesizer.ParametricSynthesizer.evaluate` (reference
durations; MCD on mel-cepstra of order 59, c0 excluded).

Methods (acoustic and duration models; voicing model):

* ``independent``: one ridge regression per dialect, each with its own
  cross-validated penalty (:class:`PerTaskRidge`); one
  ``LogisticRegression`` per dialect;
* ``pooled``: one ridge regression for all dialects together, with global
  target normalization (no dialect information at all); one pooled
  ``LogisticRegression``;
* ``shared-least-squares``: ``SharedLeastSquares`` (``W_t = W_0 + V_t``);
  ``MaxEntClassifier``;
* ``l21``, ``trace``, ``graph``: ``ProximalRegressor`` with ``L21``
  (features selected jointly by every dialect and output), ``TraceNorm``
  (dialects share a low-rank subspace) and ``TaskGraph`` (every dialect
  pulled towards the mean dialect), each plus a small ``L2`` term that
  keeps the rarely seen one-hot columns determined; ``MaxEntClassifier``;
* ``mlp-dialect-code``: scikit-learn ``MLPRegressor`` / ``MLPClassifier``
  whose input is the features plus a one-hot code of the dialect (the
  "speaker code" approach); trained on every ``frame_stride``-th frame.

Hyper-parameters are chosen by task-aware cross-validation inside the
training data only: utterances are assigned to folds whole, every dialect
has utterances in every fold, and the score is the mean over dialects of
the validation mean squared error of the normalized targets (log-loss for
voicing). Every grid reaches both ends: ``shared-least-squares`` includes
``alpha_shared = 1e12`` with small ``alpha_task`` (independent models), so
sharing can always fall back to what independent models do. Penalties per
dialect: ``independent`` takes each dialect's best ``alpha``;
``shared-least-squares`` starts from the best common ``alpha_task`` and
lets each dialect in turn (the smallest first) try every grid value with
the others fixed, keeping a change only when the mean validation error over
all dialects drops (the dialects are coupled through ``W_0``). The linear
methods are cross-validated and fitted from sufficient statistics, merged
from statistics computed once per (dialect, data level, fold) block of
utterances, so no frame is read twice.

``mtlsynth bench --out DIR`` writes ``DIR/results.json`` (one record per
method, data level and dialect), ``DIR/results.md`` (tables) and, with
matplotlib installed, ``DIR/learning_curves.png`` and
``DIR/dialect_similarity.png``. Results are saved after every method and
level, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from mtlsynth._maxent import MaxEntClassifier
from mtlsynth._proximal import ProximalRegressor
from mtlsynth._shared import SharedLeastSquares, reused_task_terms
from mtlsynth._solvers import FISTA
from mtlsynth.corpus import Corpus, _atomic_open, _Progress
from mtlsynth.features import LinguisticFeatures
from mtlsynth.penalties import L2, L21, SumPenalty, TaskGraph, TraceNorm
from mtlsynth.synthesizer import (
    ParametricSynthesizer,
    TrainingData,
    _voiced_probability,
    normalized_statistics,
    residual_sse,
    split_corpus,
    target_normalization,
)

__all__ = [
    "COMPACT_FEATURES",
    "LEVELS",
    "METHODS",
    "PerTask",
    "PerTaskRidge",
    "PooledRidge",
    "RidgeStartedRegressor",
    "WithTaskCode",
    "add_bench_command",
    "run_bench",
    "run_bench_command",
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
_METRICS = ("mcd_db", "f0_rmse_hz", "vuv_error_pct", "bap_db", "dur_rmse_ms")
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


# ------------------------------------------------------------------ models


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

    Parameters
    ----------
    estimator : estimator
        Regressor or classifier trained on ``[X, onehot(task)]``.
    """

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def _coded(self, X: np.ndarray, tasks: np.ndarray) -> np.ndarray:
        codes = np.searchsorted(self.tasks_, tasks)
        onehot = np.zeros((len(X), len(self.tasks_)))
        onehot[np.arange(len(X)), codes] = 1.0
        return np.hstack([X, onehot])

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
        # alpha_task per dialect by a coordinate search from the best common
        # value: each dialect's own minimum on fits where all had the same
        # value gives the big dialects small penalties that starve W_0 of the
        # signal a small dialect needs (8 dialects: 6.80 instead of 6.43 dB)
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


# -------------------------------------------------------------------- data


@dataclass
class _Blocks:
    """Training data of every (dialect, level bin, fold) block of utterances."""

    data: dict[tuple[str, int, int], TrainingData]
    counts: dict[tuple[str, int, int], int]
    edges: tuple[int, ...]
    n_folds: int

    def select(self, target: str, level: int, fold: int | None = None, *, held=False):
        """Blocks of a configuration: the target dialect's first ``level``
        utterances, every utterance of the others; ``fold`` keeps only the
        training part of that fold (``held=True``: only its held-out part)."""
        keys = []
        for dialect, b, k in self.data:
            if dialect == target and self.edges[b] >= level:
                continue
            if fold is not None and (k == fold) != held:
                continue
            keys.append((dialect, b, k))
        return sorted(keys)

    def merged(self, keys: Sequence) -> TrainingData:
        out = self.data[keys[0]]
        for key in keys[1:]:
            out = out.merge(self.data[key])
        return out


def _collect_blocks(
    synth: ParametricSynthesizer,
    train: Corpus,
    features: LinguisticFeatures,
    levels: Sequence[int],
    n_folds: int,
    frame_stride: int,
    progress: bool,
) -> _Blocks:
    """Summarize the training corpus once, block by block."""
    by_dialect: dict[str, list] = {}
    for utt in train.utterances:
        by_dialect.setdefault(utt.dialect, []).append(utt)
    groups: dict[tuple[str, int, int], list] = {}
    for dialect, utts in by_dialect.items():
        order = np.random.default_rng(0).permutation(len(utts))
        for pos, i in enumerate(order):
            b = int(np.searchsorted(levels, pos, side="right"))
            groups.setdefault((dialect, b, pos % n_folds), []).append(utts[i])
    bar = _Progress(len(train), "summarizing blocks", enabled=progress)
    data = {}
    for key in sorted(groups):
        block = Corpus(train.root, train.fs, tuple(groups[key]))
        data[key] = synth._collect(
            block, features=features, frame_stride=frame_stride, keep_phones=True
        )
        bar.update(len(block))
    counts = {key: len(g) for key, g in groups.items()}
    return _Blocks(data, counts, (0, *levels), n_folds)


# ------------------------------------------------------ cross-validation


def _dialect_mse(model: Any, stats: Any) -> np.ndarray:
    """Mean squared error per row and target, for every dialect."""
    sse = residual_sse(model, stats).sum(axis=1)
    return sse / (stats.weight * stats.mean_y.shape[1])


def _alpha_max(model: Any, stats: Any) -> float:
    """Smallest alpha of the non-smooth penalty that zeroes the coefficients."""
    from mtlsynth._datafits import Quadratic

    datafit = Quadratic(stats, fit_intercept=True, task_weighting=model.task_weighting)
    grad = datafit.gradient(np.zeros(datafit.shape))[:, : stats.mean_x.shape[1]]
    return float(model.penalty.nonsmooth.dual_norm(grad))


def _set(model: Any, params: dict, stats: Any) -> Any:
    """``set_params``, reading ``penalty__nonsmooth__alpha`` as a fraction of
    the largest useful alpha for these statistics."""
    params = dict(params)
    key = "penalty__nonsmooth__alpha"
    if key in params:
        params[key] *= _alpha_max(model, stats)
    return model.set_params(**params)


def _cv_errors(base, params, train_val) -> np.ndarray:
    """Validation mean squared error of every dialect, averaged over folds."""
    model = clone(base)
    total = 0.0
    for train, val in train_val:
        _set(model, params, train).fit_statistics(train)
        total = total + _dialect_mse(model, val)
    return total / len(train_val)


def _select_regressor(
    base, grid, train_val, normalize=None, per_dialect=None, coupled=True
) -> tuple[dict, float]:
    """Grid point with the lowest cross-validated error, from statistics.

    The error is the mean over dialects of each dialect's validation mean
    squared error. With ``per_dialect`` (a parameter name), that parameter
    is then chosen for every dialect: with independent models
    (``coupled=False``) each dialect takes the grid value of its own lowest
    error; with models coupled through shared parameters, a coordinate
    search starts from the best common value and lets each dialect in turn
    (the smallest first) try every grid value with the others fixed,
    refitting all, and keeps a change only if the mean error drops.
    """
    if len(grid) == 1:
        return grid[0], float("nan")
    if normalize is not None:
        train_val = [_normalized(train, val, normalize) for train, val in train_val]
    with reused_task_terms():  # fits on the same folds differ in penalties only
        return _search(base, grid, train_val, per_dialect, coupled)


def _search(base, grid, train_val, per_dialect, coupled) -> tuple[dict, float]:
    """The search of :func:`_select_regressor` on prepared folds."""
    scores = 0.0
    for train, val in train_val:
        model = clone(base)  # kept across the grid: warm starts
        fold = []
        for params in grid:
            _set(model, params, train).fit_statistics(train)
            fold.append(_dialect_mse(model, val))
        scores = scores + np.asarray(fold) / len(train_val)
    best = int(np.argmin(scores.mean(axis=1)))
    if per_dialect is None:
        return grid[best], float(scores[best].mean())
    if coupled:
        return _coordinate_search(base, grid, train_val, best, scores, per_dialect)
    labels = np.asarray(train_val[0][0].labels).tolist()
    groups: dict[tuple, list[int]] = {}
    for i, params in enumerate(grid):
        rest = tuple(sorted((k, v) for k, v in params.items() if k != per_dialect))
        groups.setdefault(rest, []).append(i)
    best_rest, best_score, best_rows = None, np.inf, None
    for rest, rows in groups.items():
        score = float(scores[rows].min(axis=0).mean())
        if score < best_score:
            best_rest, best_score, best_rows = rest, score, rows
    pick = np.asarray(best_rows)[np.argmin(scores[best_rows], axis=0)]
    values = {
        label: grid[i][per_dialect] for label, i in zip(labels, pick, strict=True)
    }
    return {**dict(best_rest), per_dialect: values}, best_score


def _normalized(train, val, normalize: str) -> tuple:
    """Training and validation statistics normalized by the training ones."""
    mean, std = target_normalization(train, normalize)
    return (
        normalized_statistics(train, mean, std),
        normalized_statistics(val, mean, std),
    )


def _coordinate_search(base, grid, train_val, best, scores, name) -> tuple[dict, float]:
    """Per-dialect values of parameter ``name`` (see :func:`_select_regressor`)."""
    params = grid[best]
    values = sorted({p[name] for p in grid})
    train = train_val[0][0]
    labels = np.asarray(train.labels).tolist()
    current = dict.fromkeys(labels, params[name])
    score = float(scores[best].mean())
    for i in np.argsort(train.weight, kind="stable"):
        keep = current
        for value in values:
            if value == current[labels[i]]:
                continue
            trial = {**current, labels[i]: value}
            error = float(_cv_errors(base, {**params, name: trial}, train_val).mean())
            if error < score:
                score, keep = error, trial
        current = keep
    return {**params, name: current}, score


def _select_classifier(base, grid, train_val) -> tuple[dict, float]:
    """Grid point with the lowest cross-validated log-loss of voicing."""
    if len(grid) == 1:
        return grid[0], float("nan")
    scores = np.zeros(len(grid))
    for (Xt, yt, tt), (Xv, yv, tv) in train_val:
        for i, params in enumerate(grid):
            model = clone(base).set_params(**params)
            model = (
                model.fit(Xt, yt)
                if isinstance(model, LogisticRegression)
                else model.fit(Xt, yt, tasks=tt)
            )
            p = np.zeros(len(yv))
            for dialect in np.unique(tv):
                rows = tv == dialect
                p[rows] = _voiced_probability(model, Xv[rows], str(dialect), 1.0)
            p = np.clip(p, 1e-12, 1 - 1e-12)
            per = [
                -np.mean(np.where(yv[r] > 0.5, np.log(p[r]), np.log1p(-p[r])))
                for r in (tv == d for d in np.unique(tv))
            ]
            scores[i] += float(np.mean(per))
    best = int(np.argmin(scores))
    return grid[best], float(scores[best] / len(train_val))


def _voicing_rows(data: TrainingData, limit: int) -> tuple[np.ndarray, ...]:
    X, _, voiced, tasks, _ = data.frames
    step = max(1, int(np.ceil(len(voiced) / limit)))
    return X[::step], voiced[::step].astype(np.int64), tasks[::step]


def _choose(method: _Method, folds: list, voicing_limit: int, memo: dict) -> dict:
    """Cross-validated hyper-parameters of the three models of a method.

    ``memo`` holds the choices already made on the same folds, so that
    methods sharing a model (and its grid) search it once.
    """

    def cached(kind, base, grid, search):
        key = (kind, repr(base), repr(grid), method.per_dialect, method.coupled)
        if key not in memo:
            memo[key] = search()
        return memo[key]

    dur = cached(
        "duration",
        method.duration,
        method.duration_grid,
        lambda: _select_regressor(
            method.duration,
            method.duration_grid,
            [(t.duration, v.duration) for t, v in folds],
            per_dialect=method.per_dialect,
            coupled=method.coupled,
        ),
    )
    ac = cached(
        "acoustic " + method.normalize,
        method.acoustic,
        method.acoustic_grid,
        lambda: _select_regressor(
            method.acoustic,
            method.acoustic_grid,
            [(t.acoustic, v.acoustic) for t, v in folds],
            method.normalize,
            method.per_dialect,
            method.coupled,
        ),
    )
    vo = cached(
        "voicing",
        method.voicing,
        method.voicing_grid,
        lambda: _select_classifier(
            method.voicing,
            method.voicing_grid,
            [
                (_voicing_rows(t, voicing_limit), _voicing_rows(v, voicing_limit))
                for t, v in folds
            ],
        ),
    )
    return {
        "duration": dur[0],
        "acoustic": ac[0],
        "voicing": vo[0],
        "cv_scores": {"duration": dur[1], "acoustic": ac[1], "voicing": vo[1]},
    }


def _train(method: _Method, chosen: dict, data: TrainingData, settings: dict):
    """A synthesizer trained with the chosen hyper-parameters."""
    duration = _set(clone(method.duration), chosen["duration"], data.duration)
    stats = data.acoustic
    mean, std = target_normalization(stats, method.normalize)
    normalized = normalized_statistics(stats, mean, std)
    acoustic = _set(clone(method.acoustic), chosen["acoustic"], normalized)
    voicing = clone(method.voicing).set_params(**chosen["voicing"])
    synth = ParametricSynthesizer(
        duration, acoustic, voicing, normalize=method.normalize, **settings
    )
    return synth._fit_collected(data)


# ------------------------------------------------------------------- run


def _load_records(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    try:
        return list(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"{path}: not a results file of mtlsynth bench ({error})"
        ) from error


def _write_text(path: Path, text: str) -> None:
    with _atomic_open(path, "w") as f:
        f.write(text)


def _dialect_similarity(model: Any) -> dict[str, Any]:
    """Cosine similarity of the dialects' task-specific parts ``V_t``."""
    V = np.reshape(model.coef_task_, (len(model.tasks_), -1))
    V = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-300)
    return {"dialects": np.asarray(model.tasks_).tolist(), "cosine": (V @ V.T).tolist()}


def _corpus(root: Path | None, dialects, n_utts: int, jobs: int, progress: bool):
    from mtlsynth.cli import cache_dir
    from mtlsynth.corpus import build_corpus, read_corpus

    if root is None:
        root = cache_dir() / "corpus"
        if progress:
            print(
                f"corpus: {len(dialects)} dialects x {n_utts} in {root}",
                file=sys.stderr,
            )
        build_corpus(root, dialects=dialects, n_utterances=n_utts, n_jobs=jobs)
    corpus = read_corpus(root, dialects=dialects)
    names = sorted({u.name for u in corpus.utterances})[:n_utts]
    keep = set(names)
    return Corpus(
        corpus.root, corpus.fs, tuple(u for u in corpus.utterances if u.name in keep)
    )


def run_bench(
    out: str | Path,
    *,
    corpus: str | Path | None = None,
    quick: bool = False,
    target: str = "en-GB-scotland",
    dialects: Sequence[str] | None = None,
    levels: Sequence[int] | None = None,
    methods: Sequence[str] | None = None,
    n_folds: int = 3,
    n_test: int | None = None,
    features: str | LinguisticFeatures = "compact",
    frame_stride: int | None = None,
    cache_dir: str | Path | None = None,
    jobs: int = 2,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> list[dict]:
    """Run the speech benchmark and write its results.

    Parameters
    ----------
    out : str or path-like
        Output folder (created); results already there are kept and their
        (level, method) pairs are not run again.
    corpus : str or path-like, optional
        Corpus root (``ROOT/<dialect>/{wav,lab}``); default the built-in
        corpus in the cache folder, built if missing (220 utterances per
        dialect, 60 with ``quick``).
    quick : bool, default=False
        Four dialects, 50 training and 10 test utterances each, levels
        10, 25 and 50, two folds and smaller networks.
    target : str, default="en-GB-scotland"
        The dialect whose training data are reduced.
    dialects : sequence of str, optional
        Dialects to use (default all eight; four with ``quick``).
    levels : sequence of int, optional
        Training utterances of the target; the largest is also "every
        dialect at full size". Default :data:`LEVELS`.
    methods : sequence of str, optional
        Subset of :data:`METHODS`.
    n_folds : int, default=3
        Folds of the cross-validation inside the training data.
    n_test : int, optional
        Held-out sentences (20; 10 with ``quick``).
    features : {"compact", "full"} or LinguisticFeatures, default="compact"
        :data:`COMPACT_FEATURES`, the synthesizer's default features, or a
        feature extractor to clone.
    frame_stride : int, optional
        Every k-th frame is kept for the network and the voicing models
        (default 8; 4 with ``quick``).
    cache_dir : str or path-like, optional
        Cache of the corpus analysis (default next to the corpus).
    jobs : int, default=2
        Parallel processes of the corpus analysis.
    progress : bool, default=True
        Report progress on stderr.
    log : callable, optional
        Receives one line per finished (level, method).

    Returns
    -------
    list of dict
        Every record written to ``results.json``.
    """
    from mtlsynth import _espeak
    from mtlsynth.cli import cache_dir as default_cache

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dialects = list(dialects or (_QUICK_DIALECTS if quick else _espeak.DIALECTS))
    if target not in dialects:
        raise ValueError(f"target dialect {target!r} is not among {dialects}")
    levels = sorted(int(n) for n in (levels or ((10, 25, 50) if quick else LEVELS)))
    methods = list(methods or METHODS)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown methods {unknown}; known: {list(METHODS)}")
    if isinstance(features, LinguisticFeatures):
        lf = clone(features)
    elif features in ("compact", "full"):
        lf = LinguisticFeatures(**(COMPACT_FEATURES if features == "compact" else {}))
    else:
        raise ValueError(
            "features must be 'compact', 'full' or a LinguisticFeatures, got "
            f"{features!r}"
        )
    n_folds = 2 if quick else int(n_folds)
    n_test = int(n_test or (10 if quick else 20))
    stride = int(frame_stride or (4 if quick else 8))
    voicing_limit = 10_000 if quick else 50_000
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))

    root = None if corpus is None else Path(corpus)
    whole = _corpus(root, dialects, n_test + levels[-1], jobs, progress)
    train, test = split_corpus(whole, test_size=n_test)
    cache = (
        Path(cache_dir)
        if cache_dir
        else (default_cache() / "features" if root is None else root / ".features")
    )
    settings = {
        "cache_dir": cache,
        "f0_method": "dio",
        "progress": False,
        "max_voicing_frames": voicing_limit,
        "n_jobs": jobs,
    }
    lf.set_params(frame_period=5.0, level="frame")
    lf.fit([u.label for u in train.utterances])
    log(
        f"{len(train)} training and {len(test)} held-out utterances of "
        f"{len(dialects)} dialects; {lf.n_frame_features_} frame features"
    )
    path = out / "results.json"
    records = _load_records(path)
    done = {(r["target_level"], r["method"]) for r in records}
    if all((level, m) in done for level in levels for m in methods):
        _plots(records, target, out)
        return records
    blocks = _collect_blocks(
        ParametricSynthesizer(**settings), train, lf, levels, n_folds, stride, progress
    )
    specs = _methods(quick)
    for level in levels:
        todo = [m for m in methods if (level, m) not in done]
        if not todo:
            continue
        keys = blocks.select(target, level)
        data = blocks.merged(keys)
        n_utts = {}
        for key in keys:
            n_utts[key[0]] = n_utts.get(key[0], 0) + blocks.counts[key]
        folds = [
            (
                blocks.merged(blocks.select(target, level, k)),
                blocks.merged(blocks.select(target, level, k, held=True)),
            )
            for k in range(n_folds)
        ]
        memo: dict = {}
        for name in todo:
            method = specs[name]
            with warnings.catch_warnings():
                # iterative solvers stop at their budget; their iterations and
                # certificates are recorded instead
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                chosen = _choose(method, folds, voicing_limit, memo)
                cv_s = time.perf_counter() - start
                start = time.perf_counter()
                synth = _train(method, chosen, data, settings)
                fit_s = time.perf_counter() - start
            model = synth.acoustic_model_
            solver = (
                {
                    "n_iter": int(model.n_iter_),
                    getattr(model, "certificate_", "certificate"): float(model.gap_),
                }
                if hasattr(model, "gap_")
                else {}
            )
            scores = synth.evaluate(test)
            for dialect, values in scores.items():
                records.append(
                    {
                        "method": name,
                        "dialect": dialect,
                        "n_train_utts": n_utts[dialect],
                        **{k: float(values[k]) for k in _METRICS},
                        "fit_s": fit_s,
                        "cv_s": cv_s,
                        "target": target,
                        "target_level": level,
                        "hyper_parameters": {
                            k: chosen[k] for k in ("duration", "acoustic", "voicing")
                        },
                        "acoustic_solver": solver,
                    }
                )
            if name == "shared-least-squares" and level == levels[-1]:
                sim = _dialect_similarity(synth.acoustic_model_)
                _write_text(out / "dialect_similarity.json", json.dumps(sim, indent=1))
            _write_text(path, json.dumps(records, indent=1) + "\n")
            _write_text(out / "results.md", _report(records, target))
            log(
                f"{name:22s} target {level:4d} utts: MCD "
                f"{scores[target]['mcd_db']:.2f} dB (mean over dialects "
                f"{np.mean([v['mcd_db'] for v in scores.values()]):.2f}); "
                f"cv {cv_s:.0f} s, fit {fit_s:.1f} s"
            )
    _plots(records, target, out)
    return records


def _pivot(records, value, keep) -> tuple[list, list, dict]:
    """Mean of ``value`` per (method, level) over the records ``keep`` accepts."""
    cells: dict[tuple[str, int], list] = {}
    for r in records:
        if keep(r):
            cells.setdefault((r["method"], r["target_level"]), []).append(value(r))
    methods = [m for m in METHODS if any(k[0] == m for k in cells)]
    levels = sorted({k[1] for k in cells})
    return methods, levels, {k: float(np.mean(v)) for k, v in cells.items()}


def _table(records, value, keep, fmt="{:.2f}") -> list[str]:
    methods, levels, cells = _pivot(records, value, keep)
    lines = [
        "| method | " + " | ".join(str(n) for n in levels) + " |",
        "|---|" + "---|" * len(levels),
    ]
    for m in methods:
        row = [fmt.format(cells[m, n]) if (m, n) in cells else "" for n in levels]
        lines.append(f"| {m} | " + " | ".join(row) + " |")
    return lines


def _report(records: list[dict], target: str) -> str:
    """Markdown tables of a benchmark's records."""
    is_target = lambda r: r["dialect"] == target  # noqa: E731
    others = lambda r: r["dialect"] != target  # noqa: E731
    lines = [
        "# mtlsynth speech benchmark",
        "",
        f"Target dialect {target}; columns: its training utterances (the other "
        "dialects keep all of theirs; the last column is every dialect at full "
        "size). Held-out sentences of every dialect, reference durations.",
    ]
    for key, title in (
        ("mcd_db", "MCD (dB)"),
        ("f0_rmse_hz", "F0 RMSE (Hz)"),
        ("vuv_error_pct", "V/UV error (%)"),
        ("bap_db", "BAP distortion (dB)"),
        ("dur_rmse_ms", "duration RMSE (ms)"),
    ):
        lines += ["", f"## {title}, target dialect", ""]
        lines += _table(records, lambda r, k=key: r[k], is_target)
    lines += ["", "## MCD gain over independent models, target dialect (dB)", ""]
    base = {
        (r["target_level"], r["dialect"]): r["mcd_db"]
        for r in records
        if r["method"] == "independent"
    }
    paired = [r for r in records if (r["target_level"], r["dialect"]) in base]
    gain = lambda r: base[r["target_level"], r["dialect"]] - r["mcd_db"]  # noqa: E731
    lines += _table(paired, gain, is_target, "{:+.2f}")
    lines += [
        "",
        "## MCD gain over independent models, mean of the other dialects (dB)",
        "",
    ]
    lines += _table(paired, gain, others, "{:+.3f}")
    levels = sorted({r["target_level"] for r in records})
    if levels:
        full = levels[-1]
        lines += ["", f"## MCD per dialect, every dialect at full size ({full})", ""]
        dialects = sorted({r["dialect"] for r in records})
        lines += ["| method | " + " | ".join(dialects) + " | mean |"]
        lines += ["|---|" + "---|" * (len(dialects) + 1)]
        for m in METHODS:
            row = {
                r["dialect"]: r["mcd_db"]
                for r in records
                if r["method"] == m and r["target_level"] == full
            }
            if row:
                cells = [f"{row[d]:.2f}" if d in row else "" for d in dialects]
                mean = f"{np.mean(list(row.values())):.3f}"
                lines.append(f"| {m} | " + " | ".join(cells) + f" | {mean} |")
    lines += ["", "## Fit time of the final models (s)", ""]
    lines += _table(records, lambda r: r["fit_s"], is_target, "{:.1f}")
    lines += ["", "## Cross-validation time (s)", ""]
    lines += _table(records, lambda r: r["cv_s"], is_target, "{:.0f}")
    return "\n".join(lines) + "\n"


def _plots(records: list[dict], target: str, out: Path) -> None:
    """Learning curves and the dialect similarity heat map (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    methods, levels, cells = _pivot(
        records, lambda r: r["mcd_db"], lambda r: r["dialect"] == target
    )
    fig, ax = plt.subplots(figsize=(6, 4))
    for m in methods:
        xs = [n for n in levels if (m, n) in cells]
        ax.plot(xs, [cells[m, n] for n in xs], marker="o", label=m)
    ax.set_xscale("log")
    ax.set_xlabel(f"training utterances of {target}")
    ax.set_ylabel("MCD (dB)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "learning_curves.png", dpi=120)
    plt.close(fig)
    sim_path = out / "dialect_similarity.json"
    if sim_path.is_file():
        sim = json.loads(sim_path.read_text(encoding="utf-8"))
        fig, ax = plt.subplots(figsize=(5, 4.5))
        image = ax.imshow(sim["cosine"], cmap="viridis")
        ticks = range(len(sim["dialects"]))
        ax.set_xticks(ticks, sim["dialects"], rotation=60, ha="right", fontsize=8)
        ax.set_yticks(ticks, sim["dialects"], fontsize=8)
        ax.set_title("cosine similarity of the dialect parts V_t")
        fig.colorbar(image)
        fig.tight_layout()
        fig.savefig(out / "dialect_similarity.png", dpi=120)
        plt.close(fig)


def run_bench_command(args: Any) -> int:
    """Run ``mtlsynth bench``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of :func:`add_bench_command`.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    start = time.perf_counter()
    records = run_bench(
        args.out,
        corpus=args.corpus,
        quick=args.quick,
        target=args.target,
        levels=args.levels,
        methods=args.methods,
        n_folds=args.folds,
        features=args.features,
        jobs=args.jobs,
    )
    print(_report(records, args.target))
    print(
        f"Wrote {args.out}/results.json and results.md in "
        f"{time.perf_counter() - start:.0f} s"
    )
    return 0


def add_bench_command(subparsers: Any) -> Any:
    """Add the ``bench`` command to the ``mtlsynth`` command line.

    Parameters
    ----------
    subparsers : argparse subparsers action
        Where to add the command.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser.
    """
    bench = subparsers.add_parser(
        "bench", help="compare multi-task methods on the multi-dialect corpus"
    )
    bench.add_argument("--out", required=True, help="output folder")
    bench.add_argument(
        "--quick", action="store_true", help="4 dialects, 50 utterances (minutes)"
    )
    bench.add_argument("--corpus", default=None, help="corpus root (default built-in)")
    bench.add_argument(
        "--target", default="en-GB-scotland", help="dialect with reduced data"
    )
    bench.add_argument(
        "--levels", type=int, nargs="+", default=None, help="target utterances"
    )
    bench.add_argument(
        "--methods", nargs="+", default=None, choices=METHODS, help="methods to run"
    )
    bench.add_argument("--folds", type=int, default=3, help="cross-validation folds")
    bench.add_argument(
        "--features",
        choices=("compact", "full"),
        default="compact",
        help="frame features (default compact)",
    )
    bench.add_argument("--jobs", type=int, default=2, help="parallel processes")
    bench.set_defaults(func=run_bench_command)
    return bench
