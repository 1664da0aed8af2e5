"""The tasks API shared by every multi-task estimator.

A multi-task data set is in *long form*: one matrix ``X`` of shape
``(n_samples, n_features)``, targets ``y`` and a per-sample array ``tasks``
holding the label (int or str) of the task each row belongs to. This is what
scikit-learn's metadata routing can slice per fold. The helpers
:func:`stack_tasks` and :func:`unstack_tasks` convert from and to the
per-task lists of arrays used by MALSAR-style code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.validation import check_is_fitted, validate_data

from mtlsynth.utils.validation import (
    _as_task_array,
    check_sample_weight,
    encode_tasks,
    lookup_tasks,
)

__all__ = [
    "MultiTaskMixin",
    "stack_tasks",
    "unstack_tasks",
]


class MultiTaskMixin:
    """The ``tasks`` argument of ``fit``, ``predict`` and ``score``.

    Estimators inherit from this mixin (before scikit-learn's ``BaseEstimator``)
    and call :meth:`_validate_fit_data` in ``fit`` and :meth:`_predict_codes` in
    ``predict``. Through scikit-learn's metadata routing, ``tasks`` is requested
    by ``fit``, ``partial_fit``, ``predict`` and ``score`` by default (and by
    the prediction methods that classifiers add), so Pipeline, cross_validate
    and GridSearchCV slice it per fold once routing is enabled with
    ``sklearn.set_config(enable_metadata_routing=True)``.

    A model fitted on several tasks refuses to predict without ``tasks``:
    scikit-learn's string scorers call ``predict(X)`` without metadata, and a
    silent guess would give wrong scores. Task labels not seen in training
    raise, unless the estimator has a shared part and ``unseen_tasks="shared"``.
    """

    __metadata_request__fit = {"tasks": True}
    __metadata_request__partial_fit = {"tasks": True}
    __metadata_request__predict = {"tasks": True}
    __metadata_request__score = {"tasks": True}

    def _validate_fit_data(self, X, y, tasks, sample_weight, *, reset=True, **kwargs):
        """Validate ``X``, ``y``, ``tasks`` and ``sample_weight`` for fitting.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        tasks : array-like of shape (n_samples,) or None
            Task label of each sample.
        sample_weight : array-like of shape (n_samples,) or None
            Non-negative sample weights.
        reset : bool, default=True
            Whether to record ``n_features_in_`` (False in later ``partial_fit``).
        **kwargs : dict
            Passed to scikit-learn's ``validate_data``.

        Returns
        -------
        X, y : ndarray
            Validated arrays.
        labels : ndarray of shape (n_tasks,)
            Sorted distinct task labels of this batch.
        codes : ndarray of shape (n_samples,)
            Task index of each sample into ``labels``.
        sample_weight : ndarray of shape (n_samples,)
            Validated weights.
        """
        kwargs.setdefault("dtype", np.float64)
        X, y = validate_data(self, X, y, reset=reset, **kwargs)
        labels, codes = encode_tasks(tasks, X.shape[0])
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        return X, y, labels, codes, sample_weight

    def _batch_statistics(self, X, y, tasks, sample_weight, *, reset):
        """Validate a batch of rows and compute its per-task statistics.

        NumPy-like input is validated with scikit-learn's ``validate_data``
        (sparse matrices, as CSR, where the estimator's ``input_tags.sparse``
        tag says it takes them); a dask array is summarized block by block
        where its blocks live and only the statistics are gathered.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Inputs.
        y : array-like or dask array of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        tasks : array-like of shape (n_samples,) or None
            Task label of each sample.
        sample_weight : array-like of shape (n_samples,) or None
            Non-negative sample weights.
        reset : bool
            Whether this batch starts a new fit (sets ``n_features_in_``).

        Returns
        -------
        stats : TaskStatistics
            Statistics of the batch.
        single_output : bool
            Whether ``y`` is 1-D.
        """
        from mtlsynth._stats import TaskStatistics, dask_statistics, is_dask_array

        if is_dask_array(X):
            if X.ndim != 2:
                raise ValueError(f"X must be 2-D; got a dask array of shape {X.shape}.")
            if reset:
                self.n_features_in_ = X.shape[1]
                self.__dict__.pop("feature_names_in_", None)
            elif X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {type(self).__name__} is "
                    f"expecting {self.n_features_in_} features as input."
                )
            return dask_statistics(X, y, tasks, sample_weight), np.ndim(y) == 1
        X, y, labels, codes, sample_weight = self._validate_fit_data(
            X,
            y,
            tasks,
            sample_weight,
            reset=reset,
            multi_output=True,
            y_numeric=True,
            accept_sparse="csr" if self.__sklearn_tags__().input_tags.sparse else False,
        )
        Y = y.reshape(len(y), -1)
        stats = TaskStatistics.from_data(X, Y, labels, codes, sample_weight)
        return stats, y.ndim == 1

    def _predict_codes(self, tasks, n_samples: int) -> np.ndarray:
        """Task index of every sample to predict; -1 for an unseen task.

        Parameters
        ----------
        tasks : array-like of shape (n_samples,) or None
            Task labels of the samples.
        n_samples : int
            Number of samples.

        Returns
        -------
        codes : ndarray of shape (n_samples,)
            Index into ``tasks_``, or -1 where the shared part predicts.
        """
        check_is_fitted(self, "tasks_")
        if tasks is None:
            if len(self.tasks_) > 1:
                raise ValueError(
                    f"This model was fitted on {len(self.tasks_)} tasks: pass "
                    "tasks=... (one label per sample) to predict. scikit-learn's "
                    "string scorers call predict(X) without it; use the "
                    "estimator's own score method (scoring=None), with "
                    "metadata routing enabled, in model selection."
                )
            return np.zeros(n_samples, dtype=np.intp)
        codes = lookup_tasks(self.tasks_, tasks, n_samples)
        if np.any(codes < 0):
            unseen = np.unique(_as_task_array(tasks, n_samples)[codes < 0])
            if getattr(self, "unseen_tasks", "error") == "shared":
                return codes
            shown = ", ".join(repr(v) for v in unseen[:5].tolist())
            more = "" if len(unseen) <= 5 else f" and {len(unseen) - 5} more"
            raise ValueError(
                f"Unknown task label(s) {shown}{more}; the model knows "
                f"{len(self.tasks_)} task(s): "
                f"{', '.join(repr(v) for v in self.tasks_[:10].tolist())}"
                f"{' ...' if len(self.tasks_) > 10 else ''}."
                + (
                    " Set unseen_tasks='shared' to predict them with the shared part."
                    if hasattr(self, "unseen_tasks")
                    else ""
                )
            )
        return codes

    def score(self, X, y, tasks=None, sample_weight=None):
        """Coefficient of determination (regressors) or accuracy (classifiers).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            R^2 (uniform average over outputs) or mean accuracy.
        """
        y_pred = self.predict(X, tasks=tasks)
        if is_classifier(self):
            return float(accuracy_score(y, y_pred, sample_weight=sample_weight))
        return float(r2_score(y, y_pred, sample_weight=sample_weight))


def stack_tasks(
    Xs: Sequence, ys: Sequence, labels: Sequence | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn per-task lists of arrays into the long form used by estimators.

    Parameters
    ----------
    Xs : sequence of array-like, each of shape (n_t, n_features)
        Inputs of each task (MALSAR's cell array ``X``).
    ys : sequence of array-like, each of shape (n_t,) or (n_t, n_outputs)
        Targets of each task.
    labels : sequence of int or str, default=None
        Label of each task; ``range(len(Xs))`` by default.

    Returns
    -------
    X : ndarray of shape (sum n_t, n_features)
        Stacked inputs.
    y : ndarray of shape (sum n_t,) or (sum n_t, n_outputs)
        Stacked targets.
    tasks : ndarray of shape (sum n_t,)
        Task label of each row.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import stack_tasks
    >>> X, y, tasks = stack_tasks([np.ones((2, 3)), np.zeros((1, 3))], [[1, 2], [3]])
    >>> X.shape, y.tolist(), tasks.tolist()
    ((3, 3), [1, 2, 3], [0, 0, 1])
    """
    if len(Xs) != len(ys):
        raise ValueError(f"Got {len(Xs)} input arrays but {len(ys)} target arrays.")
    if len(Xs) == 0:
        raise ValueError("stack_tasks needs at least one task.")
    labels = list(range(len(Xs))) if labels is None else list(labels)
    if len(labels) != len(Xs):
        raise ValueError(f"Got {len(labels)} labels for {len(Xs)} tasks.")
    if len(set(labels)) != len(labels):
        raise ValueError("Task labels must be distinct.")
    Xs = [np.atleast_2d(np.asarray(x)) for x in Xs]
    ys = [np.asarray(y) for y in ys]
    for i, (x, y) in enumerate(zip(Xs, ys, strict=True)):
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"Task {labels[i]!r}: X has {x.shape[0]} rows but y has {y.shape[0]}."
            )
    if len({x.shape[1] for x in Xs}) != 1:
        raise ValueError(
            "Every task needs the same number of features; got "
            f"{sorted({x.shape[1] for x in Xs})}."
        )
    if len({y.shape[1:] for y in ys}) != 1:
        raise ValueError("Every task needs targets of the same shape per sample.")
    tasks = np.repeat(np.asarray(labels), [x.shape[0] for x in Xs])
    return np.concatenate(Xs), np.concatenate(ys), tasks


def unstack_tasks(X, y, tasks) -> tuple[np.ndarray, list, list]:
    """Split long-form data into per-task lists of arrays.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Inputs.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    tasks : array-like of shape (n_samples,)
        Task label of each sample.

    Returns
    -------
    labels : ndarray of shape (n_tasks,)
        Sorted distinct labels.
    Xs : list of ndarray
        Rows of each task, in the order of ``labels`` and of the input.
    ys : list of ndarray
        Targets of each task.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
    labels, codes = encode_tasks(tasks, X.shape[0])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    parts = [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return labels, [X[p] for p in parts], [y[p] for p in parts]
