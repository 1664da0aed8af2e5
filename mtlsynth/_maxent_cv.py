"""Cross-validated penalties of the multi-task maximum-entropy classifier.

Every fold fits the grid of ``(alpha_shared, alpha_task)`` as one path: the
largest ``alpha_shared`` first, and in each row of the grid the largest
``alpha_task`` first, every fit started from the solution at the previous
grid point (the first of a row from the first of the row before). Nearby
penalties have nearby solutions, so most fits of the path take a few L-BFGS
iterations. The per-task search starts each candidate value of a task's
penalty from the fold's current solution, walking outwards from the current
value so that each fit again starts from a neighbour.
"""

from __future__ import annotations

import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer, get_scorer_names, log_loss
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import validate_data

from mtlsynth._factored import FACTOR_ATTRIBUTES, Factors, is_factored
from mtlsynth._maxent import MaxEntClassifier, _MaxEntBase
from mtlsynth._maxent_factored import prepare_factored, store_factored
from mtlsynth._penalty_search import (
    SEARCH_CONSTRAINTS,
    best_pair,
    coordinate_search,
    fold_indices,
    grid_results,
    log_grid,
    path_results,
    search_grids,
)
from mtlsynth.utils.validation import check_sample_weight

__all__ = [
    "MaxEntClassifierCV",
]

GRID_DECADES = (-5.0, 2.0)
"""Range of the default grids, in decades of the mean eigenvalue of the
summed per-task Gram matrices (``trace(sum_t G_t) / n_features``)."""

GRID_SIZE = 8
"""Values in each default grid (one per decade)."""

_MODEL_PARAMS = (
    "fit_intercept",
    "shrink_intercepts",
    "class_weight",
    "max_iter",
    "tol",
    "merge_duplicates",
    "unseen_tasks",
)
"""Parameters handed to every :class:`MaxEntClassifier` of the search."""


def _gram_scale(X, codes, weight, n_tasks: int, centered: bool) -> float:
    """``trace(sum_t G_t) / n_features`` of the weighted per-task Gram
    matrices, centred on each task's weighted mean if ``centered``."""
    if sparse.issparse(X):
        squares = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    else:
        squares = np.einsum("ij,ij->i", X, X)
    total = float(weight @ squares)
    if centered:
        rows = np.arange(X.shape[0])
        S = sparse.csr_matrix((weight, (codes, rows)), shape=(n_tasks, X.shape[0]))
        sums = S @ X
        sums = sums.toarray() if sparse.issparse(sums) else np.asarray(sums)
        task_weight = np.bincount(codes, weights=weight, minlength=n_tasks)
        present = task_weight > 0
        total -= float(
            np.sum(np.sum(sums[present] ** 2, axis=1) / task_weight[present])
        )
    return total / X.shape[1]


class _TasksBound(ClassifierMixin, BaseEstimator):
    """A fitted model asked about rows of known tasks, for scikit-learn's
    scorers (which call ``predict(X)`` without ``tasks``).

    Parameters
    ----------
    model : MaxEntClassifier
        Fitted model.
    tasks : ndarray of shape (n_samples,)
        Task label of every row the scorer will pass.
    """

    def __init__(self, model=None, tasks=None):
        self.model = model
        self.tasks = tasks

    @property
    def classes_(self):
        """Class labels of the model."""
        return self.model.classes_

    def predict(self, X):
        """Classes of the rows (see :meth:`MaxEntClassifier.predict`)."""
        return self.model.predict(X, tasks=self.tasks)

    def predict_proba(self, X):
        """Probabilities of the rows (see :meth:`MaxEntClassifier.predict_proba`)."""
        return self.model.predict_proba(X, tasks=self.tasks)

    def predict_log_proba(self, X):
        """Log-probabilities of the rows."""
        return self.model.predict_log_proba(X, tasks=self.tasks)

    def decision_function(self, X):
        """Logits of the rows."""
        return self.model.decision_function(X, tasks=self.tasks)


class _FoldPath:
    """One fold's training rows, prepared once, and the score of any fit.

    Parameters
    ----------
    model : MaxEntClassifier
        Unfitted model with the search's settings; fitted in place.
    data : tuple
        ``(X, y, codes, weight, labels)`` of all rows.
    train, test : ndarray of int
        The fold's rows.
    scoring : str, callable or None
        The search's scoring.
    weighted : bool
        Whether the test score weighs rows by their sample weights.
    """

    def __init__(self, model, data, train, test, scoring, weighted):
        X, y, codes, weight, labels = data
        self.classes = np.unique(y)
        n_tasks = len(labels)
        self.model, self.scoring = model, scoring
        self.rows = model._prepare(
            X[train], y[train], codes[train], n_tasks, weight[train]
        )
        model.tasks_, model.n_features_in_ = labels, X.shape[1]
        self.test = (X[test], y[test], labels[codes[test]])
        self.test_weight = weight[test] if weighted else None
        self.theta = None  # the solution at the current penalties
        self.n_iter = self.n_unconverged = 0

    def fit(self, alpha_shared, alpha_task, theta0):
        """Solve from ``theta0``; return the solution and its test score."""
        result = self.model._solve(self.rows, alpha_shared, alpha_task, theta0)
        self.n_iter += result.nit
        self.n_unconverged += result.status != 0
        self.model._set_coefficients(
            result.x, self.rows.X.shape[1], len(self.rows.groups), self.rows.task_weight
        )
        return result.x, self.score()

    def score(self) -> float:
        """Score of the current model on the test rows (higher is better)."""
        X, y, tasks = self.test
        if self.scoring in (None, "neg_log_loss"):
            # classes absent from the training rows get probability 0
            proba = np.zeros((len(y), len(self.classes)))
            seen = np.searchsorted(self.classes, self.model.classes_)
            proba[:, seen] = self.model.predict_proba(X, tasks=tasks)
            return -log_loss(
                y, proba, labels=self.classes, sample_weight=self.test_weight
            )
        scorer = get_scorer(self.scoring)
        kwargs = {} if self.test_weight is None else {"sample_weight": self.test_weight}
        return float(scorer(_TasksBound(self.model, tasks), X, y, **kwargs))

    def grid(self, alphas_shared, alphas_task, keep: bool) -> np.ndarray:
        """Scores of the grid, in the order of ``cv_results_``, by one path
        from the largest penalties down; ``keep`` stores every solution."""
        n0, n1 = len(alphas_shared), len(alphas_task)
        scores = np.empty((n0, n1))
        self.solutions = {}
        row_start = None
        for i in range(n0 - 1, -1, -1):
            theta = row_start
            for j in range(n1 - 1, -1, -1):
                theta, scores[i, j] = self.fit(alphas_shared[i], alphas_task[j], theta)
                if j == n1 - 1:
                    row_start = theta
                if keep:
                    self.solutions[i, j] = theta
        return scores.ravel()

    def trials(self, alpha_shared, alphas, t, values) -> tuple[list, list]:
        """Scores and solutions of task t's penalty at each of ``values``,
        the others held; fits walk outwards from its current value."""
        current = alphas[t]
        scores, thetas = [None] * len(values), [None] * len(values)
        for side in (values > current, values < current):
            index = np.flatnonzero(side)
            index = index[np.argsort(np.abs(np.log(values[index] / current)))]
            theta = self.theta
            for i in index:
                trial = alphas.copy()
                trial[t] = values[i]
                theta, scores[i] = self.fit(alpha_shared, trial, theta)
                thetas[i] = theta
        return scores, thetas


class _FactoredFoldPath(_FoldPath):
    """:class:`_FoldPath` with factored tasks (``data`` holds every row's
    levels for ``tasks``): ``alpha_task`` is one penalty for every factor or
    one per factor."""

    def __init__(self, model, data, train, test, scoring, weighted):
        X, y, tasks, weight, _ = data
        self.classes = np.unique(y)
        self.model, self.scoring = model, scoring
        self.factors, _, self.rows = prepare_factored(
            model, X[train], y[train], tasks[train], weight[train]
        )
        self.test = (X[test], y[test], tasks[test])
        self.test_weight = weight[test] if weighted else None
        self.theta = None
        self.n_iter = self.n_unconverged = 0

    def fit(self, alpha_shared, alpha_task, theta0):
        """Solve from ``theta0``; return the solution and its test score."""
        rows = self.rows
        per_factor = np.broadcast_to(alpha_task, (len(rows.alphas),))
        rows.alphas = [
            np.full(len(a), v) for a, v in zip(rows.alphas, per_factor, strict=True)
        ]
        result = self.model._solve(rows, alpha_shared, None, theta0)
        self.n_iter += result.nit
        self.n_unconverged += result.status != 0
        store_factored(self.model, self.factors, rows, result.x)
        return result.x, self.score()


class _PathSearch:
    """The per-task search's candidates, scored by warm-started refits of
    every fold (see :func:`~mtlsynth._penalty_search.coordinate_search`)."""

    def __init__(self, folds: list, alpha_shared: float, parallel):
        self.folds, self.alpha_shared, self.parallel = folds, alpha_shared, parallel

    def begin(self, alphas):
        """Nothing to rebuild: every fold keeps its current solution."""

    def trials(self, t, values, alphas):
        """Mean score over folds of every value of task t's penalty."""
        out = self.parallel(
            delayed(f.trials)(self.alpha_shared, alphas, t, values) for f in self.folds
        )
        per_value = zip(*[o[1] for o in out], strict=True)
        self.pending = dict(zip(values.tolist(), per_value, strict=True))
        return np.mean([o[0] for o in out], axis=0)

    def accept(self, t, old, new):
        """Every fold moves to its solution at task t's new penalty."""
        for fold, theta in zip(self.folds, self.pending[float(new)], strict=True):
            fold.theta = theta


class MaxEntClassifierCV(_MaxEntBase):
    """Multi-task maximum-entropy classifier with penalties chosen by cross-validation.

    The model is :class:`MaxEntClassifier`: each task's weights are ``W_t =
    W_0 + V_t`` and, with sample weights ``s_i`` and per-task intercepts
    ``b_t``, the objective is::

        sum_i s_i * -log softmax(x_i (W_0 + V_{t_i}) + b_{t_i})[y_i]
            + alpha_shared ||W_0||^2 + sum_t alpha_task_t ||V_t||^2

    The search first tries every pair of ``alphas_shared`` x ``alphas_task``
    with one ``alpha_task`` for all tasks, and keeps the pair with the best
    mean score over the folds. With ``per_task=True`` a coordinate search
    then gives every task its own ``alpha_task``, as in
    :class:`SharedLeastSquaresCV`: holding ``alpha_shared`` and the other
    tasks' values, each task in turn (the one with the least total weight
    first) tries every value of ``alphas_task`` and keeps the one with the
    best cross-validated score, if better than the current one; passes over
    the tasks repeat until one changes nothing, at most ``max_passes``
    times. The model is then refitted on all rows.

    Each fold's training rows are prepared once (sorted by task, duplicates
    merged) and its grid fitted as one warm-started path: the largest
    ``alpha_shared`` first, within it the largest ``alpha_task`` first, each
    fit starting from the solution at the previous grid point, so that the
    path costs a few cold fits rather than one per grid point. In the
    per-task search each value tried starts from a neighbour's solution
    too. The scores equal those of fitting :class:`MaxEntClassifier` on the
    training rows of every fold and scoring the held-out rows, up to the
    solver's ``tol``.

    With factored tasks (2-D, one column per factor: see
    :class:`MaxEntClassifier`) the grid gives every factor the same
    ``alpha_task`` and ``per_task=True`` searches one per factor (the
    factor with the fewest levels first); ``alpha_task_`` maps every factor
    to its penalty and ``per_task_results_["task"]`` names the factors.

    Parameters
    ----------
    alphas_shared : array-like of shape (n_alphas_shared,), default=None
        Values of ``alpha_shared`` to try, positive. ``None`` means 8 values
        from ``1e-5 s`` to ``1e2 s``, one per decade, where ``s`` is the mean
        eigenvalue of the summed per-task Gram matrices of all rows
        (``trace(sum_t G_t) / n_features``, centred per task if
        ``fit_intercept``; about the number of samples for standardized
        inputs): the largest value gives about independent models per task.
    alphas_task : array-like of shape (n_alphas_task,), default=None
        Values of ``alpha_task`` to try, positive; ``None`` builds the same
        grid as for ``alphas_shared``, whose largest value gives about one
        pooled model (with per-task intercepts).
    per_task : bool, default=False
        After the common grid, give every task its own ``alpha_task`` by the
        coordinate search above. Each pass costs up to ``n_tasks *
        (n_alphas_task - 1)`` warm-started fits per fold.
    max_passes : int, default=3
        Most passes over the tasks in the per-task search.
    cv : int, splitter or iterable of (train, test), default=None
        ``None`` means ``TaskKFold(5)``, an int ``TaskKFold(cv)``; a splitter
        whose ``split`` takes ``tasks`` (or ``groups``) receives them. Every
        task must be in every training fold; a class absent from a fold's
        training rows gets probability 0 in its log-loss (clipped, as
        scikit-learn's ``log_loss`` does).
    scoring : str, callable or None, default=None
        ``None`` or ``"neg_log_loss"``: the mean log-loss of the held-out
        rows (weighted by ``sample_weight`` when given), negated; any other
        scikit-learn scorer name (``"accuracy"``, ``"roc_auc"``, ...) or
        scorer callable ``scorer(estimator, X, y)``, called with a model that
        knows the held-out rows' tasks. Averaged over folds.
    fit_intercept : bool, default=True
        Fit intercepts per task.
    shrink_intercepts : bool, default=False
        Write each task intercept as a shared intercept plus a task offset
        penalized by ``alpha_task`` (see :class:`MaxEntClassifier`).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying the sample weights in training
        (``"balanced"`` from each training fold's rows).
    max_iter : int, default=500
        Maximum number of L-BFGS iterations of every fit.
    tol : float, default=1e-4
        Tolerance of every fit (see :class:`MaxEntClassifier`).
    merge_duplicates : bool or "auto", default="auto"
        Merge samples with identical task and ``x`` (see
        :class:`MaxEntClassifier`).
    unseen_tasks : {"error", "shared"}, default="error"
        What prediction does with a task label not seen in training.
    n_jobs : int, default=None
        Folds fitted in parallel threads (joblib).

    Attributes
    ----------
    alpha_shared_ : float
        Chosen ``alpha_shared``.
    alpha_task_ : float or dict
        Chosen ``alpha_task``: a dict mapping every task label to its value
        if ``per_task=True``, else a float.
    alphas_shared_ : ndarray of shape (n_alphas_shared,)
        Grid of ``alpha_shared`` used, increasing.
    alphas_task_ : ndarray of shape (n_alphas_task,)
        Grid of ``alpha_task`` used, increasing.
    cv_results_ : dict of ndarray
        The common grid, as in scikit-learn's ``GridSearchCV``: keys
        ``params``, ``param_alpha_shared``, ``param_alpha_task``,
        ``split{k}_test_score``, ``mean_test_score``, ``std_test_score`` and
        ``rank_test_score``, one entry per pair (``alpha_shared`` varying
        slowest).
    per_task_results_ : dict of ndarray
        Record of the per-task search, one entry per value tried: ``pass``,
        ``task``, ``alpha_task``, ``mean_test_score`` and ``accepted``
        (empty if ``per_task=False``).
    best_score_ : float
        Cross-validated score of the chosen penalties (higher is better).
    n_splits_ : int
        Number of folds.
    best_estimator_ : MaxEntClassifier
        The model refitted on all rows with the chosen penalties.
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in training, over all tasks.
    coef_ : ndarray of shape (n_tasks, m, n_features)
        Weights of every task, ``W_0 + V_t`` (``m = 1`` for two classes,
        else ``n_classes``).
    coef_shared_ : ndarray of shape (m, n_features)
        Shared weights ``W_0``.
    coef_task_ : ndarray of shape (n_tasks, m, n_features)
        Task-specific weights ``V_t``.
    intercept_ : ndarray of shape (n_tasks, m)
        Intercept of every task.
    intercept_shared_ : ndarray of shape (m,)
        Intercept used with ``coef_shared_`` for unseen tasks.
    tasks_ : ndarray of shape (n_tasks,)
        Sorted task labels seen in training.
    n_iter_ : int
        L-BFGS iterations of the final fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    MaxEntClassifier : The model at fixed penalties.
    SharedLeastSquaresCV : The same search for least squares.
    TaskKFold : The default folds, stratified by task.
    sklearn.linear_model.LogisticRegressionCV : The single-task search.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import MaxEntClassifierCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(150, 2))
    >>> tasks = np.repeat(["en-US", "en-GB", "en-029"], 50)
    >>> y = np.where(X[:, 0] + 0.5 * (tasks == "en-GB") * X[:, 1] > 0, "v", "uv")
    >>> model = MaxEntClassifierCV(cv=3).fit(X, y, tasks=tasks)
    >>> model.cv_results_["mean_test_score"].shape
    (64,)
    >>> model.predict(X[:2], tasks=["en-GB", "en-US"]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **SEARCH_CONSTRAINTS,
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        **{
            name: MaxEntClassifier._parameter_constraints[name]
            for name in _MODEL_PARAMS
        },
    }

    def __init__(
        self,
        alphas_shared=None,
        alphas_task=None,
        *,
        per_task=False,
        max_passes=3,
        cv=None,
        scoring=None,
        fit_intercept=True,
        shrink_intercepts=False,
        class_weight=None,
        max_iter=500,
        tol=1e-4,
        merge_duplicates="auto",
        unseen_tasks="error",
        n_jobs=None,
    ):
        self.alphas_shared = alphas_shared
        self.alphas_task = alphas_task
        self.per_task = per_task
        self.max_passes = max_passes
        self.cv = cv
        self.scoring = scoring
        self.fit_intercept = fit_intercept
        self.shrink_intercepts = shrink_intercepts
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol
        self.merge_duplicates = merge_duplicates
        self.unseen_tasks = unseen_tasks
        self.n_jobs = n_jobs

    def _model(self, alpha_shared=1.0, alpha_task=1.0) -> MaxEntClassifier:
        """A :class:`MaxEntClassifier` with this search's settings."""
        params = {name: getattr(self, name) for name in _MODEL_PARAMS}
        return MaxEntClassifier(alpha_shared, alpha_task, **params)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, tasks=None, sample_weight=None, groups=None):
        """Choose the penalties by cross-validation and fit on all rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs; sparse ones are converted to CSR.
        y : array-like of shape (n_samples,)
            Class labels.
        tasks : array-like of shape (n_samples,) or (n_samples, n_factors), \
default=None
            Task label (int or str) of each sample; ``None`` means one task;
            2-D (or a DataFrame): one level per factor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        groups : array-like of shape (n_samples,), default=None
            Group label of each sample (e.g. utterance), handed to the
            splitter so that a group's rows stay in one fold.

        Returns
        -------
        self : MaxEntClassifierCV
            The fitted model.
        """
        X, y, weight, codes, cell_labels, searched = self._fit_data(
            X, y, tasks, sample_weight
        )
        row_tasks = cell_labels[codes]
        self._encode_classes(y, weight)  # the model's checks of y, up front
        splits = fold_indices(self.cv, X, y, row_tasks, groups)
        n_cells = len(cell_labels)
        alphas_shared, alphas_task = search_grids(
            self,
            lambda: log_grid(
                _gram_scale(X, codes, weight, n_cells, self.fit_intercept),
                GRID_DECADES,
                GRID_SIZE,
            ),
        )
        data = (
            X,
            y,
            row_tasks if cell_labels.ndim == 2 else codes,
            weight,
            cell_labels,
        )
        folds = [
            self._fold(data, codes, train, test, k, sample_weight is not None)
            for k, (train, test) in enumerate(splits)
        ]
        parallel = Parallel(n_jobs=self.n_jobs, prefer="threads")
        with self._blas_limit(np.bincount(codes).max(), X.shape[1]):
            scores = np.stack(
                parallel(
                    delayed(f.grid)(alphas_shared, alphas_task, self.per_task)
                    for f in folds
                )
            )
            self.cv_results_ = grid_results(scores, alphas_shared, alphas_task)
            a0, a1, self.best_score_ = best_pair(self.cv_results_)
            alpha_task = a1
            if self.per_task:
                grids, best = (alphas_shared, alphas_task), (a0, a1)
                alpha_task = self._per_task_search(
                    folds, grids, best, searched, parallel
                )
            else:
                self.per_task_results_ = path_results([])
        self._warn_unconverged(folds)
        self.alphas_shared_, self.alphas_task_ = alphas_shared, alphas_task
        self.alpha_shared_, self.alpha_task_ = a0, alpha_task
        self.n_splits_ = len(folds)
        self._refit(X, y, row_tasks, None if sample_weight is None else weight)
        return self

    def _fit_data(self, X, y, tasks, sample_weight) -> tuple:
        """Validated ``X``, ``y``, weights, every row's cell (task, or
        combination of levels) and the cells' labels, and the penalties the
        per-task search visits: ``(labels, order)`` of the tasks, or with
        factored tasks of the factors (the fewest levels first)."""
        if not is_factored(tasks):
            X, y, labels, codes, weight = self._validate_fit_data(
                X, y, tasks, sample_weight, accept_sparse="csr"
            )
            order = np.argsort(np.bincount(codes, weights=weight), kind="stable")
            return X, y, weight, codes, labels, (labels, order)
        X, y = validate_data(self, X, y, dtype=np.float64, accept_sparse="csr")
        weight = check_sample_weight(sample_weight, X.shape[0])
        factors, cells, codes = Factors.encode(tasks, X.shape[0])
        order = np.argsort([len(levels) for levels in factors.levels], kind="stable")
        searched = (np.array(factors.names), order)
        return X, y, weight, codes, factors.labels(cells), searched

    def _fold(self, data, codes, train, test, k, weighted) -> _FoldPath:
        """Fold k's prepared rows, or a clear error if it lacks a task (a
        cell, with factors: ``codes``) or holds one class only."""
        y, labels = data[1], data[4]
        missing = labels[np.bincount(codes[train], minlength=len(labels)) == 0]
        if len(missing):
            raise ValueError(
                "Every task must be in every training fold: the training rows of "
                f"fold {k} have no samples of tasks {missing.tolist()}."
            )
        if len(test) == 0:
            raise ValueError(f"Test fold {k} has no rows.")
        seen = np.unique(y[train])
        if len(seen) < 2:
            raise ValueError(
                f"The training rows of fold {k} hold only one class ({seen[0]!r}); "
                "use fewer folds, or folds that shuffle the rows."
            )
        path = _FoldPath if labels.ndim == 1 else _FactoredFoldPath
        return path(self._model(), data, train, test, self.scoring, weighted)

    def _per_task_search(self, folds, grids, best, tasks, parallel) -> dict:
        """Coordinate search over each task's ``alpha_task`` (each factor's,
        with factors), from the best grid point ``best``, visiting the tasks
        ``(labels, order)`` in that order; a dict of the chosen values."""
        alphas_task = grids[1]
        point = tuple(
            int(np.searchsorted(g, a)) for g, a in zip(grids, best, strict=True)
        )
        for fold in folds:
            fold.theta = fold.solutions[point]
            fold.solutions = {}
        labels, order = tasks
        alphas, self.best_score_, self.per_task_results_ = coordinate_search(
            _PathSearch(folds, best[0], parallel),
            np.full(len(labels), best[1]),
            alphas_task,
            order,
            labels,
            self.best_score_,
            self.max_passes,
        )
        return dict(zip(labels.tolist(), alphas.tolist(), strict=True))

    def _warn_unconverged(self, folds):
        """One ConvergenceWarning for all fits of the search that hit max_iter."""
        count = sum(f.n_unconverged for f in folds)
        if count:
            warnings.warn(
                f"{count} L-BFGS fits of the search did not converge within "
                f"max_iter={self.max_iter}. Increase max_iter or scale the inputs.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _refit(self, X, y, tasks, sample_weight):
        """Fit :class:`MaxEntClassifier` on all rows with the chosen penalties."""
        model = self._model(self.alpha_shared_, self.alpha_task_)
        model.fit(X, y, tasks=tasks, sample_weight=sample_weight)
        self.best_estimator_ = model
        for name in (*FACTOR_ATTRIBUTES, "coef_task_"):  # an earlier fit's
            self.__dict__.pop(name, None)
        for name in (
            "classes_",
            "coef_",
            "coef_shared_",
            "coef_task_",
            "intercept_",
            "intercept_shared_",
            "tasks_",
            "n_iter_",
            *FACTOR_ATTRIBUTES,
        ):
            if hasattr(model, name):
                setattr(self, name, getattr(model, name))
