"""Multi-task problems with known structure, and the School data set.

Every generator returns ``X, y, tasks, truth`` in the long form the
estimators take, with ``truth["coef"]`` the true coefficients of shape
``(n_tasks, n_features, n_targets)`` and ``truth["intercept"]`` of shape
``(n_tasks, n_targets)``; structure-specific entries are listed with each.
Inputs are standard normal; ``y = x W_t + b_t + noise``.

- :func:`make_related_tasks`: a shared part plus small task parts
  (``task_spread`` large gives unrelated tasks, where sharing cannot help);
- :func:`make_shared_support_tasks`: few features matter, the same for all
  tasks (joint feature selection, ``L21``);
- :func:`make_low_rank_tasks`: task coefficients in a low-dimensional
  subspace (``TraceNorm``);
- :func:`make_clustered_tasks`: groups of similar tasks (task graphs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils import check_random_state

__all__ = [
    "load_school",
    "make_clustered_tasks",
    "make_low_rank_tasks",
    "make_related_tasks",
    "make_shared_support_tasks",
]


def _task_sizes(n_samples, n_tasks: int) -> list[int]:
    """Samples per task from one number or a sequence."""
    if np.ndim(n_samples) == 0:
        return [int(n_samples)] * n_tasks
    return [int(n) for n in n_samples]


def _sample(coef, sizes, noise, labels, rng, extra=None):
    """Draw standard normal inputs and targets for given task coefficients."""
    n_tasks, n_features, n_targets = coef.shape
    labels = np.arange(n_tasks) if labels is None else np.asarray(labels)
    if len(labels) != n_tasks:
        raise ValueError(f"Got {len(labels)} labels for {n_tasks} tasks.")
    intercept = rng.standard_normal((n_tasks, n_targets))
    codes = np.repeat(np.arange(n_tasks), sizes)
    X = rng.standard_normal((len(codes), n_features))
    Y = noise * rng.standard_normal((len(codes), n_targets))
    start = 0
    for t, size in enumerate(sizes):
        rows = slice(start, start + size)
        Y[rows] += X[rows] @ coef[t] + intercept[t]
        start += size
    y = Y[:, 0] if n_targets == 1 else Y
    truth = {"coef": coef, "intercept": intercept, **(extra or {})}
    return X, y, labels[codes], truth


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

    Task ``t`` has ``W_t = W_0 + V_t`` with ``W_0`` and ``V_t`` standard
    normal, ``V_t`` scaled by ``task_spread``: 0 gives identical tasks, large
    values unrelated ones.

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
        ``"coef"``, ``"intercept"``, ``"shared"`` (n_features, n_targets) and
        ``"task"`` (n_tasks, n_features, n_targets).

    Examples
    --------
    >>> from mtlsynth.datasets import make_related_tasks
    >>> X, y, tasks, truth = make_related_tasks([30, 5], n_features=4, random_state=0)
    >>> X.shape, y.shape, truth["task"].shape
    ((35, 4), (35,), (2, 4, 1))
    """
    rng = check_random_state(random_state)
    sizes = _task_sizes(n_samples, n_tasks)
    shared = rng.standard_normal((n_features, n_targets))
    task = task_spread * rng.standard_normal((len(sizes), n_features, n_targets))
    extra = {"shared": shared, "task": task}
    return _sample(shared + task, sizes, noise, labels, rng, extra)


def make_shared_support_tasks(
    n_samples: int | Sequence[int] = 100,
    n_tasks: int = 4,
    n_features: int = 50,
    *,
    n_informative: int = 5,
    n_targets: int = 1,
    noise: float = 0.5,
    labels: Sequence | None = None,
    random_state=None,
):
    """Tasks that use the same few features with different weights.

    Parameters
    ----------
    n_samples : int or sequence of int, default=100
        Samples per task: one number for all, or one per task.
    n_tasks : int, default=4
        Number of tasks (ignored when ``n_samples`` is a sequence).
    n_features : int, default=50
        Number of input features.
    n_informative : int, default=5
        Number of features with non-zero weights, shared by every task.
    n_targets : int, default=1
        Number of outputs.
    noise : float, default=0.5
        Standard deviation of the noise.
    labels : sequence of int or str, default=None
        Task labels.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_total, n_features)
        Inputs.
    y : ndarray of shape (n_total,) or (n_total, n_targets)
        Targets.
    tasks : ndarray of shape (n_total,)
        Task label of each row.
    truth : dict
        ``"coef"``, ``"intercept"`` and ``"support"`` (sorted indices of the
        informative features).
    """
    rng = check_random_state(random_state)
    sizes = _task_sizes(n_samples, n_tasks)
    if not 0 < n_informative <= n_features:
        raise ValueError(
            f"n_informative must be in [1, n_features={n_features}]; "
            f"got {n_informative}."
        )
    support = np.sort(rng.choice(n_features, n_informative, replace=False))
    coef = np.zeros((len(sizes), n_features, n_targets))
    signs = rng.choice([-1.0, 1.0], size=(1, n_informative, n_targets))
    weights = signs * (
        1.0 + rng.standard_normal((len(sizes), n_informative, n_targets)) ** 2
    )
    coef[:, support] = weights
    return _sample(coef, sizes, noise, labels, rng, {"support": support})


def make_low_rank_tasks(
    n_samples: int | Sequence[int] = 100,
    n_tasks: int = 10,
    n_features: int = 30,
    *,
    rank: int = 2,
    n_targets: int = 1,
    noise: float = 0.5,
    labels: Sequence | None = None,
    random_state=None,
):
    """Tasks whose coefficient vectors span a low-dimensional subspace.

    The ``n_features x (n_tasks n_targets)`` matrix of stacked coefficients
    has rank ``rank``.

    Parameters
    ----------
    n_samples : int or sequence of int, default=100
        Samples per task: one number for all, or one per task.
    n_tasks : int, default=10
        Number of tasks (ignored when ``n_samples`` is a sequence).
    n_features : int, default=30
        Number of input features.
    rank : int, default=2
        Rank of the stacked coefficient matrix.
    n_targets : int, default=1
        Number of outputs.
    noise : float, default=0.5
        Standard deviation of the noise.
    labels : sequence of int or str, default=None
        Task labels.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_total, n_features)
        Inputs.
    y : ndarray of shape (n_total,) or (n_total, n_targets)
        Targets.
    tasks : ndarray of shape (n_total,)
        Task label of each row.
    truth : dict
        ``"coef"``, ``"intercept"`` and ``"rank"``.
    """
    rng = check_random_state(random_state)
    sizes = _task_sizes(n_samples, n_tasks)
    n_tasks = len(sizes)
    if not 0 < rank <= min(n_features, n_tasks * n_targets):
        raise ValueError(
            f"rank must be in [1, {min(n_features, n_tasks * n_targets)}]; got {rank}."
        )
    basis = rng.standard_normal((n_features, rank))
    loadings = rng.standard_normal((rank, n_tasks * n_targets))
    coef = (basis @ loadings).reshape(n_features, n_tasks, n_targets)
    coef = coef.transpose(1, 0, 2) / np.sqrt(rank)
    return _sample(coef, sizes, noise, labels, rng, {"rank": rank})


def make_clustered_tasks(
    n_samples: int | Sequence[int] = 100,
    n_tasks: int = 8,
    n_features: int = 20,
    *,
    n_clusters: int = 2,
    cluster_spread: float = 0.2,
    n_targets: int = 1,
    noise: float = 0.5,
    labels: Sequence | None = None,
    random_state=None,
):
    """Groups of tasks: tasks of a cluster share a centre up to small offsets.

    Parameters
    ----------
    n_samples : int or sequence of int, default=100
        Samples per task: one number for all, or one per task.
    n_tasks : int, default=8
        Number of tasks (ignored when ``n_samples`` is a sequence).
    n_features : int, default=20
        Number of input features.
    n_clusters : int, default=2
        Number of clusters; task ``t`` belongs to cluster ``t % n_clusters``.
    cluster_spread : float, default=0.2
        Scale of a task's offset from its cluster centre.
    n_targets : int, default=1
        Number of outputs.
    noise : float, default=0.5
        Standard deviation of the noise.
    labels : sequence of int or str, default=None
        Task labels.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_total, n_features)
        Inputs.
    y : ndarray of shape (n_total,) or (n_total, n_targets)
        Targets.
    tasks : ndarray of shape (n_total,)
        Task label of each row.
    truth : dict
        ``"coef"``, ``"intercept"``, ``"cluster"`` (cluster of each task) and
        ``"adjacency"`` (1 between tasks of one cluster, else 0).
    """
    rng = check_random_state(random_state)
    sizes = _task_sizes(n_samples, n_tasks)
    n_tasks = len(sizes)
    cluster = np.arange(n_tasks) % n_clusters
    centres = rng.standard_normal((n_clusters, n_features, n_targets))
    offsets = cluster_spread * rng.standard_normal((n_tasks, n_features, n_targets))
    adjacency = (cluster[:, None] == cluster[None, :]).astype(float)
    np.fill_diagonal(adjacency, 0.0)
    extra = {"cluster": cluster, "adjacency": adjacency}
    return _sample(centres[cluster] + offsets, sizes, noise, labels, rng, extra)


def load_school(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read the School data set from a MATLAB file in MALSAR's layout.

    The file holds two 1 x 139 cell arrays: ``X`` (each cell ``n_t x 28``:
    27 attributes and a constant column) and ``Y`` (each cell ``n_t x 1``:
    exam scores). The data set is not shipped; pass the file you have.

    Parameters
    ----------
    path : str or path-like
        The ``.mat`` file.

    Returns
    -------
    X : ndarray of shape (15362, 28)
        Inputs of every student, the tasks stacked.
    y : ndarray of shape (15362,)
        Exam scores.
    tasks : ndarray of shape (15362,)
        School (task) index of each student, from 0.
    """
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        data = loadmat(path)
    except (OSError, ValueError, MatReadError) as error:
        raise ValueError(f"{path}: cannot read it as a MATLAB file: {error}") from error
    missing = [key for key in ("X", "Y") if key not in data]
    if missing:
        raise ValueError(
            f"{path}: expected cell arrays X and Y (MALSAR's school.mat); "
            f"missing {missing}."
        )
    Xs = [np.asarray(cell, dtype=np.float64) for cell in data["X"].ravel()]
    ys = [np.asarray(cell, dtype=np.float64).ravel() for cell in data["Y"].ravel()]
    if len(Xs) != len(ys):
        raise ValueError(f"{path}: X has {len(Xs)} cells but Y has {len(ys)}.")
    from mtlsynth._tasks import stack_tasks

    return stack_tasks(Xs, ys)
