"""Multi-task problems with known structure, and the School data set.

Every generator returns ``X, y, tasks, truth`` in the long form the
estimators take, with ``truth["coef"]`` the true coefficients of shape
``(n_tasks, n_features, n_targets)`` and ``truth["intercept"]`` of shape
``(n_tasks, n_targets)``; structure-specific entries are listed with each.
Inputs are standard normal; ``y = x W_t + b_t + noise``.

- :func:`make_related_tasks`: a shared part plus small task parts
  (``task_spread`` large gives unrelated tasks, where sharing cannot help);
- :func:`make_shared_support_tasks`: few features matter, the same for all
  tasks (joint feature selection, ``L21``), optionally plus a few entries of
  each task's own (the dirty model, ``Decomposed([L1Inf(a), L1(b)])``);
- :func:`make_low_rank_tasks`: task coefficients in a low-dimensional
  subspace (``TraceNorm``);
- :func:`make_outlier_tasks`: a low-rank set of tasks plus a few unrelated
  ones (robust multi-task learning, ``Decomposed([TraceNorm(a), L21(b,
  group="task")])``);
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
    "make_outlier_tasks",
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
    n_task_specific: int = 0,
    n_targets: int = 1,
    noise: float = 0.5,
    labels: Sequence | None = None,
    random_state=None,
):
    """Tasks that use the same few features with different weights.

    Every task weighs the ``n_informative`` shared features; with
    ``n_task_specific > 0`` each task also has that many non-zero entries of
    its own, on features drawn for it among the others (a group-sparse plus
    an entry-wise sparse part, as in Jalali et al.'s dirty model). Weights
    are ``+-(1 + z^2)`` with ``z`` standard normal; a shared feature has one
    sign for every task.

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
    n_task_specific : int, default=0
        Number of further non-zero features of each task alone.
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
        ``"coef"``, ``"intercept"``, ``"support"`` (sorted indices of the
        shared features) and ``"specific"`` (n_tasks, n_task_specific):
        sorted indices of each task's own features.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.datasets import make_shared_support_tasks
    >>> *_, truth = make_shared_support_tasks(
    ...     n_tasks=3, n_features=10, n_informative=2, n_task_specific=1,
    ...     random_state=0)
    >>> (truth["coef"][..., 0] != 0).sum(axis=1).tolist()
    [3, 3, 3]
    """
    rng = check_random_state(random_state)
    sizes = _task_sizes(n_samples, n_tasks)
    if not 0 < n_informative <= n_features:
        raise ValueError(
            f"n_informative must be in [1, n_features={n_features}]; "
            f"got {n_informative}."
        )
    if not 0 <= n_task_specific <= n_features - n_informative:
        raise ValueError(
            f"n_task_specific must be in [0, n_features - n_informative = "
            f"{n_features - n_informative}]; got {n_task_specific}."
        )
    n_tasks = len(sizes)
    support = np.sort(rng.choice(n_features, n_informative, replace=False))
    coef = np.zeros((n_tasks, n_features, n_targets))
    signs = rng.choice([-1.0, 1.0], size=(1, n_informative, n_targets))
    coef[:, support] = signs * _magnitudes(rng, (n_tasks, n_informative, n_targets))
    others = np.setdiff1d(np.arange(n_features), support)
    specific = np.empty((n_tasks, n_task_specific), dtype=np.intp)
    if n_task_specific:
        for t in range(n_tasks):
            specific[t] = np.sort(rng.choice(others, n_task_specific, replace=False))
            signs = rng.choice([-1.0, 1.0], size=(n_task_specific, n_targets))
            shape = (n_task_specific, n_targets)
            coef[t, specific[t]] = signs * _magnitudes(rng, shape)
    extra = {"support": support, "specific": specific}
    return _sample(coef, sizes, noise, labels, rng, extra)


def _magnitudes(rng, shape) -> np.ndarray:
    """Weights ``1 + z^2``, kept away from zero."""
    return 1.0 + rng.standard_normal(shape) ** 2


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
    coef = _low_rank_coef(rng, n_tasks, n_features, n_targets, rank)
    return _sample(coef, sizes, noise, labels, rng, {"rank": rank})


def _low_rank_coef(rng, n_tasks, n_features, n_targets, rank) -> np.ndarray:
    """Coefficients ``(n_tasks, n_features, n_targets)`` of a given rank.

    Entries have unit variance; the stacked ``n_features x (n_tasks
    n_targets)`` matrix has rank ``rank``.
    """
    basis = rng.standard_normal((n_features, rank))
    loadings = rng.standard_normal((rank, n_tasks * n_targets))
    coef = (basis @ loadings).reshape(n_features, n_tasks, n_targets)
    return coef.transpose(1, 0, 2) / np.sqrt(rank)


def make_outlier_tasks(
    n_samples: int | Sequence[int] = 100,
    n_tasks: int = 10,
    n_features: int = 30,
    *,
    rank: int = 2,
    n_outliers: int = 2,
    n_targets: int = 1,
    noise: float = 0.5,
    labels: Sequence | None = None,
    random_state=None,
):
    """A low-rank set of tasks plus a few unrelated (outlier) tasks.

    The ``n_tasks - n_outliers`` regular tasks have coefficients in a
    ``rank``-dimensional subspace, as in :func:`make_low_rank_tasks`; the
    outlier tasks, drawn at random among all, have standard normal
    coefficients of their own (the same scale). This is the structure of
    robust multi-task learning (Chen, Zhou and Ye, 2011): a low-rank part
    plus a part that is non-zero only on the outlier tasks.

    Parameters
    ----------
    n_samples : int or sequence of int, default=100
        Samples per task: one number for all, or one per task.
    n_tasks : int, default=10
        Number of tasks (ignored when ``n_samples`` is a sequence).
    n_features : int, default=30
        Number of input features.
    rank : int, default=2
        Rank of the regular tasks' stacked coefficients.
    n_outliers : int, default=2
        Number of outlier tasks.
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
        ``"coef"``, ``"intercept"``, ``"rank"`` and ``"outliers"`` (sorted
        indices of the outlier tasks).

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.datasets import make_outlier_tasks
    >>> *_, truth = make_outlier_tasks(
    ...     n_tasks=6, n_features=8, rank=1, n_outliers=2, random_state=0)
    >>> coef = truth["coef"][..., 0]
    >>> regular = np.delete(coef, truth["outliers"], axis=0)
    >>> int(np.linalg.matrix_rank(regular)), int(np.linalg.matrix_rank(coef))
    (1, 3)
    """
    rng = check_random_state(random_state)
    sizes = _task_sizes(n_samples, n_tasks)
    n_tasks = len(sizes)
    if not 0 <= n_outliers < n_tasks:
        raise ValueError(f"n_outliers must be in [0, {n_tasks - 1}]; got {n_outliers}.")
    n_regular = n_tasks - n_outliers
    if not 0 < rank <= min(n_features, n_regular * n_targets):
        raise ValueError(
            f"rank must be in [1, {min(n_features, n_regular * n_targets)}]; "
            f"got {rank}."
        )
    outliers = np.sort(rng.choice(n_tasks, n_outliers, replace=False))
    regular = np.setdiff1d(np.arange(n_tasks), outliers)
    coef = np.empty((n_tasks, n_features, n_targets))
    coef[regular] = _low_rank_coef(rng, n_regular, n_features, n_targets, rank)
    coef[outliers] = rng.standard_normal((n_outliers, n_features, n_targets))
    extra = {"rank": rank, "outliers": outliers}
    return _sample(coef, sizes, noise, labels, rng, extra)


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
