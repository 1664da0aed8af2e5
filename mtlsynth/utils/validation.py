"""Validation of task labels and sample weights."""

from __future__ import annotations

import numpy as np

__all__ = [
    "SINGLE_TASK",
    "check_one_factor",
]

SINGLE_TASK = 0
"""The label given to every sample when ``tasks=None``."""


def check_one_factor(statistics, estimator) -> None:
    """Refuse statistics whose tasks have several factors.

    Parameters
    ----------
    statistics : TaskStatistics
        Statistics to fit.
    estimator : estimator
        The estimator, named in the error.

    Raises
    ------
    ValueError
        If ``statistics.labels`` is not 1-D (one label per task).
    """
    shape = np.shape(statistics.labels)
    if len(shape) != 1:
        raise ValueError(
            f"{type(estimator).__name__} fits tasks of one factor (one label per "
            f"task); got task labels of shape {shape}, a column per factor. "
            "SharedLeastSquares fits several factors."
        )


def _as_task_array(tasks, n_samples: int) -> np.ndarray:
    """Validate per-sample task labels and return them as a 1-D array.

    Parameters
    ----------
    tasks : array-like of shape (n_samples,) or None
        Task label of each sample: integers or strings. ``None`` puts every
        sample in a single task labelled ``0``.
    n_samples : int
        Number of rows of ``X``.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Integer (int64) or string labels.
    """
    if tasks is None:
        return np.full(n_samples, SINGLE_TASK, dtype=np.int64)
    labels = np.asarray(tasks)
    if labels.ndim != 1:
        raise ValueError(
            f"tasks must be 1-D with one label per sample; got shape {labels.shape}."
        )
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"tasks has {labels.shape[0]} labels but X has {n_samples} samples."
        )
    if labels.dtype.kind in "iu":
        return labels.astype(np.int64, copy=False)
    if labels.dtype.kind == "b":
        return labels.astype(np.int64)
    if labels.dtype.kind in "US":
        return labels.astype(str)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(
                "tasks must hold integer or string labels; got non-integral or "
                "non-finite floats."
            )
        return labels.astype(np.int64)
    if labels.dtype.kind == "O":
        kinds = {type(v) for v in labels.tolist()}
        if kinds and all(issubclass(k, str) for k in kinds):
            return labels.astype(str)
        if kinds and all(issubclass(k, (int, np.integer)) for k in kinds):
            return labels.astype(np.int64)
    raise ValueError(
        "tasks must hold integer or string labels, all of one kind; "
        f"got dtype {labels.dtype}."
    )


def encode_tasks(tasks, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Find the distinct task labels and the task code of every sample.

    Parameters
    ----------
    tasks : array-like of shape (n_samples,) or None
        Task label of each sample; ``None`` means a single task.
    n_samples : int
        Number of samples.

    Returns
    -------
    labels : ndarray of shape (n_tasks,)
        Sorted distinct labels.
    codes : ndarray of shape (n_samples,)
        Index into ``labels`` of each sample's task.
    """
    labels, codes = np.unique(_as_task_array(tasks, n_samples), return_inverse=True)
    return labels, codes.astype(np.intp, copy=False)


def lookup_tasks(known: np.ndarray, tasks, n_samples: int) -> np.ndarray:
    """Map task labels onto the indices of ``known`` labels; -1 marks unseen.

    Parameters
    ----------
    known : ndarray of shape (n_tasks,)
        Sorted labels seen in training.
    tasks : array-like of shape (n_samples,) or None
        Labels to look up.
    n_samples : int
        Number of samples.

    Returns
    -------
    codes : ndarray of shape (n_samples,)
        Index of each sample's task in ``known``, or -1 if it is not there.
    """
    labels = _as_task_array(tasks, n_samples)
    if (labels.dtype.kind == "U") != (known.dtype.kind == "U"):
        return np.full(n_samples, -1, dtype=np.intp)
    pos = np.searchsorted(known, labels)
    pos = np.minimum(pos, len(known) - 1)
    return np.where(known[pos] == labels, pos, -1).astype(np.intp)


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Validate sample weights: 1-D, finite, non-negative, not all zero.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        Weights; ``None`` gives unit weights and a scalar is broadcast.
    n_samples : int
        Number of samples.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), float64
        Validated weights.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.ndim != 1 or weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},); got {weights.shape}."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(weights < 0):
        raise ValueError("sample_weight must be non-negative; negative weights found.")
    if not np.any(weights > 0):
        raise ValueError(
            "sample_weight is zero everywhere; at least one weight must be positive."
        )
    return weights


def task_penalties(alpha_task, labels, name: str = "alpha_task") -> float | np.ndarray:
    """A task penalty (or weight) as a float, or one value per task from a dict.

    Parameters
    ----------
    alpha_task : float or dict
        One value for every task, or a dict mapping every task label to
        its own.
    labels : ndarray of shape (n_tasks,)
        Task labels, in the order of the returned values.
    name : str, default="alpha_task"
        The parameter's name, for the error messages.

    Returns
    -------
    alpha_task : float or ndarray of shape (n_tasks,)
        The value, or one positive finite value per label.
    """
    if not isinstance(alpha_task, dict):
        return float(alpha_task)
    missing = [t for t in labels.tolist() if t not in alpha_task]
    if missing:
        raise ValueError(f"{name} has no value for the tasks {missing}")
    alphas = np.array([alpha_task[t] for t in labels.tolist()], dtype=float)
    if not np.all(np.isfinite(alphas) & (alphas > 0)):
        raise ValueError(f"{name} values must be positive: {alpha_task}")
    return alphas
