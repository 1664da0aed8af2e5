"""Cross-validation that keeps every task in every training fold."""

from __future__ import annotations

import inspect
from numbers import Integral

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import _num_samples

from mtlsynth._factored import Factors, is_factored
from mtlsynth.utils.validation import encode_tasks

__all__ = [
    "TaskKFold",
]


class TaskKFold(BaseCrossValidator):
    """K-fold cross-validation stratified by task.

    Each task's samples (or, with ``groups``, each task's groups, such as the
    utterances of a dialect) are dealt round-robin over the folds, so every
    test fold holds about ``1 / n_splits`` of every task and every training
    fold holds every task. A task with a single sample (or group) is never
    put in a test fold, since its model could not be trained without it.
    Groups are taken within each task: a group label shared by two tasks
    names two groups.

    With metadata routing enabled (``sklearn.set_config(
    enable_metadata_routing=True)``), ``GridSearchCV(est, grid,
    cv=TaskKFold()).fit(X, y, tasks=tasks)`` hands ``tasks`` (and ``groups``)
    to :meth:`split`. Without routing, pass the folds explicitly:
    ``cv=list(TaskKFold().split(X, tasks=tasks))``.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Shuffle each task's samples (or groups) before dealing them.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffle; used only when ``shuffle=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import TaskKFold
    >>> tasks = np.array(["a"] * 4 + ["b"] * 2)
    >>> for train, test in TaskKFold(n_splits=2).split(np.zeros((6, 1)), tasks=tasks):
    ...     print(np.unique(tasks[train]).tolist(), test.tolist())
    ['a', 'b'] [0, 2, 4]
    ['a', 'b'] [1, 3, 5]
    """

    __metadata_request__split = {"tasks": True, "groups": True}

    @validate_params(
        {
            "n_splits": [Interval(Integral, 2, None, closed="left")],
            "shuffle": ["boolean"],
            "random_state": ["random_state"],
        },
        prefer_skip_nested_validation=True,
    )
    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None, tasks=None):
        """Number of folds.

        Parameters
        ----------
        X, y, groups, tasks : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
            The ``n_splits`` parameter.
        """
        return self.n_splits

    def split(self, X, y=None, groups=None, tasks=None):
        """Generate train and test indices.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs; only their number matters.
        y : array-like of shape (n_samples,), default=None
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Group label of each sample (e.g. utterance id); groups stay whole.
        tasks : array-like of shape (n_samples,) or (n_samples, n_factors)
            Task label of each sample; 2-D (or a DataFrame), one level per
            factor: every cell (combination of levels) is then dealt over
            the folds as a task is, so every training fold holds every
            cell, and so every level of every factor.

        Yields
        ------
        train : ndarray
            Indices of the training samples of the fold.
        test : ndarray
            Indices of the test samples of the fold.
        """
        n_samples = _num_samples(X)
        if tasks is None:
            raise ValueError(
                "TaskKFold.split needs tasks=... (one label per sample). In "
                "GridSearchCV or cross_validate, enable metadata routing, or pass "
                "cv=list(TaskKFold().split(X, tasks=tasks))."
            )
        fold = self._fold_of_samples(n_samples, tasks, groups)
        indices = np.arange(n_samples)
        for k in range(self.n_splits):
            test = fold == k
            yield indices[~test], indices[test]

    def _fold_of_samples(self, n_samples, tasks, groups):
        """Fold index of every sample; -1 for samples never tested."""
        if is_factored(tasks):  # every cell (combination of levels) a task
            task_codes = Factors.encode(tasks, n_samples)[2]
        else:
            task_codes = encode_tasks(tasks, n_samples)[1]
        if groups is None:
            unit_codes = np.arange(n_samples)
        else:
            groups = np.asarray(groups)
            if groups.shape != (n_samples,):
                raise ValueError(
                    f"groups must have shape ({n_samples},); got {groups.shape}."
                )
            pairs = np.stack([task_codes, np.unique(groups, return_inverse=True)[1]])
            unit_codes = np.unique(pairs, axis=1, return_inverse=True)[1].ravel()
        n_units = unit_codes.max() + 1
        unit_task = np.empty(n_units, dtype=np.intp)
        unit_task[unit_codes] = task_codes
        rng = check_random_state(self.random_state)
        unit_fold = np.full(n_units, -1, dtype=np.intp)
        offset = 0
        for t in range(task_codes.max() + 1):
            units = np.flatnonzero(unit_task == t)
            if len(units) < 2:
                continue
            if self.shuffle:
                units = rng.permutation(units)
            unit_fold[units] = (offset + np.arange(len(units))) % self.n_splits
            offset += len(units)
        return unit_fold[unit_codes]


def _as_splitter(cv):
    """``TaskKFold`` by default or for an int, else the given splitter."""
    if cv is None:
        return TaskKFold()
    if isinstance(cv, Integral):
        return TaskKFold(n_splits=cv)
    return cv


def _split_indices(cv, X, y, tasks, groups) -> list:
    """Train/test indices, handing ``tasks`` and ``groups`` to the splitter."""
    if not hasattr(cv, "split"):  # an iterable of (train, test)
        return [(np.asarray(tr), np.asarray(te)) for tr, te in cv]
    kwargs = {}
    accepted = inspect.signature(cv.split).parameters
    if "tasks" in accepted:
        kwargs["tasks"] = tasks
    if "groups" in accepted:
        kwargs["groups"] = groups
    elif groups is not None:
        raise ValueError(f"groups were given but {cv!r} does not take them.")
    return [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y, **kwargs)]
