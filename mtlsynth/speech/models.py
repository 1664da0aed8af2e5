"""How a voice fits and asks its models, whatever their kind."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.utils import get_tags
from sklearn.utils.validation import has_fit_parameter

from mtlsynth._factored import level_model
from mtlsynth._maxent import MaxEntClassifier
from mtlsynth._stats import TaskStatistics
from mtlsynth.speech.speakers import split_cell

__all__ = [
    "fit_frame_model",
    "fit_model",
    "fit_voicing_model",
    "model_rows",
    "residual_sse",
    "predict_dialect",
    "voiced_probability",
]


def _accepts_tasks(method: Any) -> bool:
    """Whether a bound method takes a ``tasks`` argument."""
    try:
        return "tasks" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _has_shared_part(model: Any) -> bool:
    return all(
        hasattr(model, a)
        for a in ("coef_shared_", "coef_task_", "intercept_", "intercept_shared_")
    ) and hasattr(model, "tasks_")


def model_rows(model: Any, X: Any) -> Any:
    """Rows as a model takes them: sparse for the estimators of this package
    that declare sparse input, dense for any other model.

    Parameters
    ----------
    model : estimator
        The model the rows are for.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Rows.

    Returns
    -------
    ndarray or sparse matrix
        ``X`` itself, or its rows made dense.
    """
    if not sparse.issparse(X):
        return X
    # other models may declare sparse input yet refuse some of it (a scaler
    # that centres): they get the rows they surely take
    ours = type(model).__module__.startswith("mtlsynth.")
    if ours and get_tags(model).input_tags.sparse:
        return X
    return X.toarray()


def fit_model(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    tasks: np.ndarray,
    sample_weight: np.ndarray | None = None,
    *,
    prefit_stride: int = 8,
) -> Any:
    """Fit a model, with the dialects and weights where it takes them.

    Parameters
    ----------
    model : estimator
        Any regressor or classifier; it receives ``tasks`` if its ``fit``
        takes them (a multi-task model of this package), and
        ``sample_weight`` if the weights differ and its ``fit`` takes them
        (otherwise every row counts once).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Rows (see :func:`model_rows`).
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    tasks : ndarray of shape (n_samples,)
        Dialect of every row.
    sample_weight : ndarray of shape (n_samples,), optional
        Weight of every row.
    prefit_stride : int, default=8
        Fit a :class:`~mtlsynth.MaxEntClassifier` on every
        ``prefit_stride``-th row first (their weights times the stride),
        then on every row, warm-started from there: its objective is
        convex, so the optimum is the same, and most iterations run on the
        fraction of the rows. Other models are fitted once.

    Returns
    -------
    estimator
        The fitted model.
    """
    step = int(prefit_stride)
    if (
        step > 1
        and isinstance(model, MaxEntClassifier)
        and len(np.unique(y[::step])) == len(np.unique(y))  # every class: a start
    ):
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        model.fit(X[::step], y[::step], tasks[::step], weight[::step] * step)
        warm = model.warm_start
        model.set_params(warm_start=True).fit(X, y, tasks, weight)
        return model.set_params(warm_start=warm)
    kw = {}
    if _accepts_tasks(model.fit):
        kw["tasks"] = tasks
    uneven = sample_weight is not None and np.ptp(sample_weight) > 0
    if uneven and has_fit_parameter(model, "sample_weight"):
        kw["sample_weight"] = sample_weight
    return model.fit(model_rows(model, X), y, **kw)


def fit_voicing_model(
    model: Any, data: Any, limit: int, *, stream: bool = False, say: Any = None
) -> tuple[float, Any]:
    """Fit a voice's voicing model on the frame rows its training data kept.

    Parameters
    ----------
    model : classifier
        The voicing model, unfitted.
    data : TrainingData
        Training data with their frame rows (read back here, after the
        acoustic fit, so never beside its statistics).
    limit : int
        Most frame rows to hold: more are thinned evenly (see
        :meth:`~mtlsynth.speech.training.TrainingData.frame_sample`).
    stream : bool, default=False
        Every frame row is on disk (collected with ``spill``) and the model
        has ``fit_batches``: fit on ``limit // 2`` of them, then on all of
        them, warm-started there, every L-BFGS evaluation reading them back
        chunk by chunk (:meth:`~mtlsynth.MaxEntClassifier.fit_batches`).
    say : callable, optional
        Takes a line of progress.

    Returns
    -------
    voiced_default : float
        Weighted share of the voiced frames.
    model : classifier or None
        The fitted model; None when every frame has the same voicing.
    """
    say = say or (lambda line: None)
    batches = data.frame_batches() if stream else None
    X, _, voiced, tasks, weight = data.frame_sample(
        limit // 2 if stream else limit, keep_files=stream
    )
    voiced = voiced.astype(np.int64)
    share = float(np.average(voiced, weights=weight))
    if len(np.unique(voiced)) < 2:
        return share, None
    say(f"fitting the voicing model on {len(voiced)} frames")
    model = fit_model(model, X, voiced, tasks, weight)
    if batches is None:
        return share, model
    del X, voiced, tasks, weight
    data.frame_rows = []  # the sample's memory, before the passes
    say(f"and on every frame: {len(batches)} chunks, read at every L-BFGS step")
    warm = model.warm_start
    model.set_params(warm_start=True).fit_batches(batches)
    return share, model.set_params(warm_start=warm)


def _knows_dialect(model: Any, dialect: str) -> bool:
    tasks = getattr(model, "tasks_", None)
    return tasks is not None and dialect in np.asarray(tasks).tolist()


def _linear_scores(model: Any, X: np.ndarray, dialect: str, strength: float):
    """``X (W_0 + s V_t)' + b_0 + s (b_t - b_0)``, or the shared part if unseen."""
    d = X.shape[1]
    W = np.reshape(model.coef_shared_, (-1, d))
    b = np.reshape(model.intercept_shared_, -1)
    if _knows_dialect(model, dialect):
        t = np.asarray(model.tasks_).tolist().index(dialect)
        W = W + strength * np.reshape(model.coef_task_[t], (-1, d))
        b = b + strength * (np.reshape(model.intercept_[t], -1) - b)
    return X @ W.T + b


def _factored_scores(model: Any, X: Any, cell: str, strength: float) -> np.ndarray:
    """A model of dialect and speaker factors for one cell ``<dialect>/<speaker>``
    (or a dialect alone): ``X (W_0 + s P_dialect + P_speaker)' + b`` with
    intercept terms alike (a speaker's transform, if the model has them, maps
    ``W_0 + s P_dialect``: :func:`~mtlsynth._factored.level_model`); at
    ``s = 1`` the model's own prediction (a cell seen in training has its own
    intercept). An unseen level adds nothing."""
    levels = np.array([[*split_cell(cell)]], dtype=object)
    levels[0, 1] = levels[0, 1] or ""  # no speaker: no speaker's part
    if strength == 1.0:
        out = model.predict(X, tasks=np.repeat(levels, X.shape[0], axis=0))
        return np.reshape(out, (X.shape[0], -1))
    codes = model._factors.lookup(levels, 1)[0]
    scales = [strength] + [1.0] * (len(codes) - 1)
    W, b = level_model(model, codes.tolist(), scales)
    return np.asarray(X @ np.reshape(W, (-1, X.shape[1])).T) + np.reshape(b, -1)


def predict_dialect(
    model: Any, X: np.ndarray, dialect: str, strength: float
) -> np.ndarray:
    """A regression model's prediction for one dialect.

    Parameters
    ----------
    model : estimator
        Fitted regressor: multi-task (given ``tasks``) or not.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Rows (see :func:`model_rows`).
    dialect : str
        Dialect of every row; one the model has not seen is predicted with
        its shared part.
    strength : float
        Accent strength ``s``: the prediction of ``W_0 + s V_t``; other than
        1 it needs a model with a shared part.

    Returns
    -------
    ndarray of shape (n_samples, n_outputs)
        Predictions.
    """
    if hasattr(model, "_factors"):
        return _factored_scores(model, model_rows(model, X), dialect, strength)
    if strength != 1.0 or (
        _has_shared_part(model) and not _knows_dialect(model, dialect)
    ):
        if not _has_shared_part(model):
            raise ValueError(
                f"accent_strength={strength} needs models with a shared part "
                f"(coef_shared_ and coef_task_); {type(model).__name__} has none"
            )
        return _linear_scores(model, X, dialect, strength)
    rows = model_rows(model, X)
    if _accepts_tasks(model.predict):
        out = model.predict(rows, tasks=np.full(X.shape[0], dialect))
    else:
        out = model.predict(rows)
    return np.reshape(out, (X.shape[0], -1))


def voiced_probability(
    model: Any, X: np.ndarray, dialect: str, strength: float
) -> np.ndarray:
    """Probability that each frame is voiced, by a voicing classifier.

    Parameters
    ----------
    model : classifier
        Fitted classifier of voicing (classes 0 and 1), multi-task or not.
    X : ndarray or sparse matrix of shape (n_frames, n_features)
        Frame rows (see :func:`model_rows`).
    dialect : str
        Dialect of every frame.
    strength : float
        Accent strength, as in :func:`predict_dialect`.

    Returns
    -------
    ndarray of shape (n_frames,)
        Probability of voicing (0 or 1 for a classifier without
        ``predict_proba``).
    """
    if strength != 1.0 or (
        _has_shared_part(model) and not _knows_dialect(model, dialect)
    ):
        if not _has_shared_part(model) or len(model.classes_) != 2:
            raise ValueError(
                f"accent_strength={strength} needs a two-class voicing model with "
                f"a shared part; {type(model).__name__} has none"
            )
        z = _linear_scores(model, X, dialect, strength)[:, 0]
        p1 = 1.0 / (1.0 + np.exp(-z))
        return p1 if float(model.classes_[1]) > 0.5 else 1.0 - p1
    kw = {"tasks": np.full(X.shape[0], dialect)}
    rows = model_rows(model, X)
    if hasattr(model, "predict_proba"):
        proba = (
            model.predict_proba(rows, **kw)
            if _accepts_tasks(model.predict_proba)
            else model.predict_proba(rows)
        )
        voiced = np.asarray(model.classes_).astype(float) > 0.5
        return proba[:, voiced].sum(axis=1)
    if not _accepts_tasks(model.predict):
        kw = {}
    return np.asarray(model.predict(rows, **kw), dtype=float)


def _dialect_coefficients(model: Any, dialect: str) -> tuple[np.ndarray, np.ndarray]:
    """``(W, b)`` with ``W`` of shape (n_features, n_targets) a linear model
    predicts with for a dialect."""
    coef = getattr(model, "coef_", None)
    tasks = getattr(model, "tasks_", None)
    if coef is not None and tasks is not None and _knows_dialect(model, dialect):
        t = np.asarray(tasks).tolist().index(dialect)
        W, b = coef[t], model.intercept_[t]
    elif _has_shared_part(model):
        W, b = model.coef_shared_, model.intercept_shared_
    elif np.ndim(coef) in (1, 2) and tasks is None:
        W, b = coef, getattr(model, "intercept_", 0.0)
    else:
        raise ValueError(
            f"{type(model).__name__} has no linear coefficients for dialect {dialect!r}"
        )
    q = np.size(b) if np.ndim(b) else np.shape(np.atleast_2d(W))[0]
    W = np.reshape(W, (q, -1)).T
    return W, np.broadcast_to(np.reshape(b, -1), (q,))


def residual_sse(model: Any, stats: TaskStatistics) -> np.ndarray:
    """Sum of squared residuals of a linear model on the rows of statistics.

    Parameters
    ----------
    model : estimator
        Fitted linear model: per-task ``coef_`` of shape (n_tasks,
        n_targets, n_features) with ``tasks_``, a shared part for dialects
        it has not seen, or a single ``coef_`` (pooled).
    stats : TaskStatistics
        Statistics of the rows (of the same normalized targets).

    Returns
    -------
    ndarray of shape (n_tasks, n_targets)
        Per task of ``stats`` and target.
    """
    out = np.zeros(stats.mean_y.shape)
    for t, dialect in enumerate(np.asarray(stats.labels).tolist()):
        if hasattr(model, "_factors"):  # statistics of its cells, in order
            q = np.size(model.intercept_[t])
            W = np.reshape(model.coef_[t], (q, -1)).T
            b = np.reshape(model.intercept_[t], -1)
        else:
            W, b = _dialect_coefficients(model, dialect)
        xx, xy = stats.xx[t], stats.xy[t]
        bias = stats.mean_y[t] - stats.mean_x[t] @ W - b
        out[t] = (
            np.diagonal(stats.yy[t])
            - 2.0 * np.einsum("dj,dj->j", W, xy)
            + np.einsum("dj,dj->j", xx @ W, W)
            + stats.weight[t] * bias**2
        )
    return np.maximum(out, 0.0)


def fit_frame_model(
    model: Any, frames: tuple, mean: np.ndarray, std: np.ndarray, dialects: np.ndarray
) -> tuple[Any, np.ndarray, np.ndarray]:
    """Fit an acoustic model on frame rows of normalized targets.

    Parameters
    ----------
    model : estimator
        Unfitted acoustic model.
    frames : tuple
        ``(X, targets, voiced, dialect, weight)`` as
        :attr:`~mtlsynth.speech.training.TrainingData.frames` gives them.
    mean, std : ndarray of shape (n_dialects (+ 1), n_targets)
        Normalization of the targets; row t applies to ``dialects[t]``.
    dialects : ndarray of shape (n_dialects,)
        Sorted dialect labels.

    Returns
    -------
    model : estimator
        The fitted model.
    sse : ndarray of shape (n_dialects, n_targets)
        Sum of squared residuals per dialect and target.
    count : ndarray of shape (n_dialects,)
        Rows per dialect.
    """
    X, Y, _, tasks, _ = frames
    if Y.shape[1] == 0:
        raise ValueError(
            "the acoustic model needs frame targets or statistics: "
            "collect with keep_frame_targets=True"
        )
    X = model_rows(model, X)
    codes = np.searchsorted(dialects, tasks)
    Z = (Y - mean[codes]) / std[codes]
    model = fit_model(model, X, Z, tasks)
    sse = np.zeros((len(dialects), Z.shape[1]))
    for t, dialect in enumerate(np.asarray(dialects).tolist()):
        rows = np.flatnonzero(codes == t)
        if rows.size:
            pred = predict_dialect(model, X[rows], dialect, 1.0)
            sse[t] = ((Z[rows] - pred) ** 2).sum(axis=0)
    return model, sse, np.bincount(codes, minlength=len(dialects)).astype(float)
