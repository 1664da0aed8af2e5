"""Synthetic multi-task problems with known structure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils import check_random_state

__all__ = ["make_related_tasks"]


def make_related_tasks(
    n_samples: int | Sequence[int] = 100,
    n_tasks: int = 4,
    n_features: int = 10,
    *,
    n_targets: int = 1,
    task_spread: float = 0.3,
    noise: float = 0.1,
    labels: Sequence | None = None,
    random_state=None,
):
    """Regression tasks whose weights are a shared part plus a task part.

    Task ``t`` draws ``y = x (W_0 + V_t) + b_t + noise`` with ``W_0`` and
    ``V_t`` standard normal, ``V_t`` scaled by ``task_spread``: 0 gives
    identical tasks, large values unrelated ones.

    Parameters
    ----------
    n_samples : int or sequence of int, default=100
        Samples per task: one number for all, or one per task.
    n_tasks : int, default=4
        Number of tasks (ignored when ``n_samples`` is a sequence).
    n_features : int, default=10
        Number of input features.
    n_targets : int, default=1
        Number of outputs; ``y`` is 1-D when it is 1.
    task_spread : float, default=0.3
        Scale of the task-specific weights relative to the shared ones.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to ``y``.
    labels : sequence of int or str, default=None
        Task labels; ``range(n_tasks)`` by default.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_total, n_features)
        Inputs, standard normal.
    y : ndarray of shape (n_total,) or (n_total, n_targets)
        Targets.
    tasks : ndarray of shape (n_total,)
        Task label of each row.
    truth : dict
        ``"shared"`` (n_features, n_targets), ``"task"`` (n_tasks,
        n_features, n_targets) and ``"intercept"`` (n_tasks, n_targets).

    Examples
    --------
    >>> from mtlsynth.datasets import make_related_tasks
    >>> X, y, tasks, truth = make_related_tasks([30, 5], n_features=4, random_state=0)
    >>> X.shape, y.shape, truth["task"].shape
    ((35, 4), (35,), (2, 4, 1))
    """
    rng = check_random_state(random_state)
    sizes = (
        [int(n_samples)] * n_tasks
        if np.ndim(n_samples) == 0
        else [int(n) for n in n_samples]
    )
    n_tasks = len(sizes)
    labels = np.arange(n_tasks) if labels is None else np.asarray(labels)
    if len(labels) != n_tasks:
        raise ValueError(f"Got {len(labels)} labels for {n_tasks} tasks.")
    W0 = rng.standard_normal((n_features, n_targets))
    V = task_spread * rng.standard_normal((n_tasks, n_features, n_targets))
    b = rng.standard_normal((n_tasks, n_targets))
    codes = np.repeat(np.arange(n_tasks), sizes)
    X = rng.standard_normal((len(codes), n_features))
    Y = noise * rng.standard_normal((len(codes), n_targets))
    start = 0
    for t, size in enumerate(sizes):
        rows = slice(start, start + size)
        Y[rows] += X[rows] @ (W0 + V[t]) + b[t]
        start += size
    y = Y[:, 0] if n_targets == 1 else Y
    return X, y, labels[codes], {"shared": W0, "task": V, "intercept": b}
