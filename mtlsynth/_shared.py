"""Shared-parameter multi-task least squares (Evgeniou & Pontil, 2004)."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from mtlsynth._factored import (
    FACTOR_ATTRIBUTES,
    Factors,
    _factor_of,
    additive_intercepts,
    cell_coefficients,
    factor_columns,
    factor_models,
    factor_penalties,
    is_factored,
    solve_factored,
    solve_transforms,
)
from mtlsynth._stats import TaskStatistics, task_groups
from mtlsynth._tasks import MultiTaskMixin
from mtlsynth.utils.blas import blas_threads_for
from mtlsynth.utils.linalg import ridge_solver, spd_solver
from mtlsynth.utils.progress import Progress
from mtlsynth.utils.validation import check_sample_weight, task_penalties

__all__ = [
    "SharedLeastSquares",
]

#: Above this size, the per-task factorizations of :func:`solve_shared` are
#: not kept: each task is factored again for its own part, so memory holds one
#: task's factorization instead of all (a factorization, d^3 / 3 flops, is
#: about a seventh of a task's work).
KEPT_FACTORS_BYTES = 2**28

SMALL_SOLVE_FLOPS = 5e8
"""Per-task factorizations below this run BLAS on one thread (a factorization
is a sequence of smaller calls, so its threshold is higher than one product's)."""


def solve_shared(
    G, B, alpha_shared: float, alpha_task, task_weight=1.0, alpha_task_refit=None
):
    """Minimize ``sum_t c_t (||Y_t - X_t (W0 + V_t)||^2 + a1 ||V_t||^2) + a0 ||W0||^2``.

    The task parts are eliminated in closed form: with ``A_t = G_t + a1 I``,

        (a0 I + sum_t c_t a1 A_t^-1 G_t) W0 = sum_t c_t a1 A_t^-1 B_t
        V_t = A_t^-1 (B_t - G_t W0)

    which costs one Cholesky factorization per task (two when all of them
    would take more than :data:`KEPT_FACTORS_BYTES`) and one of size d; the
    outputs share the factorizations.

    Parameters
    ----------
    G : ndarray of shape (n_tasks, d, d)
        Per-task Gram matrices ``X_t' S_t X_t``.
    B : ndarray of shape (n_tasks, d, q)
        Per-task cross products ``X_t' S_t Y_t``.
    alpha_shared : float
        Penalty ``a0`` on the shared part.
    alpha_task : float or ndarray of shape (n_tasks,)
        Penalty ``a1`` on each task-specific part (one per task if an array).
    task_weight : float or ndarray of shape (n_tasks,), default=1.0
        Weight ``c_t`` of each task's terms: how much the task shapes
        ``W0`` (its part given ``W0`` does not depend on it).
    alpha_task_refit : ndarray of shape (n_tasks,), optional
        Penalty of each task's part given ``W0``, in place of ``a1`` in
        ``A_t`` of the second equation (``W0`` is solved with ``a1``).

    Returns
    -------
    W0 : ndarray of shape (d, q)
        Shared coefficients.
    V : ndarray of shape (n_tasks, d, q)
        Task-specific coefficients.
    """
    n_tasks, d, q = B.shape
    a1 = np.broadcast_to(np.asarray(alpha_task, dtype=float), (n_tasks,))
    with blas_threads_for(d**3 / 3 + 2 * d**2 * (d + q), limit=SMALL_SOLVE_FLOPS):
        W0, solvers = shared_part(G, B, alpha_shared, a1, task_weight)
        refit = (
            a1
            if alpha_task_refit is None
            else np.asarray(alpha_task_refit, dtype=float)
        )
        V = np.empty((n_tasks, d, q))
        for t, solve in enumerate(solvers):
            if solve is None or refit[t] != a1[t]:
                solve = ridge_solver(G[t], refit[t])
            V[t] = solve(B[t] - G[t] @ W0)
        return W0, V


def _task_terms(G_t, B_t, scale: float, a1: float) -> tuple:
    """Factorization of ``A_t = G_t + a1 I`` and the task's terms
    ``scale a1 A_t^-1 G_t`` and ``scale a1 A_t^-1 B_t`` of the shared
    system."""
    solve = ridge_solver(G_t, a1)
    M_t = solve(G_t)
    M_t *= scale * a1
    return solve, M_t, scale * a1 * solve(B_t)


def shared_part(G, B, alpha_shared: float, alpha_task, task_weight=1.0) -> tuple:
    """The shared part ``W0`` of :func:`solve_shared`, and the task solvers.

    Parameters
    ----------
    G, B, alpha_shared, alpha_task, task_weight
        As :func:`solve_shared`'s.

    Returns
    -------
    W0 : ndarray of shape (d, q)
        Shared coefficients.
    solvers : list of callable or None
        Every task's ``A_t^-1``, or None for each when keeping them all
        would take more than :data:`KEPT_FACTORS_BYTES`.
    """
    n_tasks, d, q = B.shape
    a1 = np.broadcast_to(np.asarray(alpha_task, dtype=float), (n_tasks,))
    c = np.broadcast_to(np.asarray(task_weight, dtype=float), (n_tasks,))
    # every task's factorization, kept for its part once W0 is known, takes
    # as much memory as the statistics: past a size, factor each task again
    keep = n_tasks * d * d * 8 <= KEPT_FACTORS_BYTES
    solvers = []
    M = alpha_shared * np.eye(d)
    rhs = np.zeros((d, q))
    bar = Progress(n_tasks, "factorizing tasks")
    for t in range(n_tasks):
        solve, M_t, rhs_t = _task_terms(G[t], B[t], c[t], a1[t])
        solvers.append(solve if keep else None)
        M += M_t
        rhs += rhs_t
        del solve, M_t, rhs_t
        bar.update()
    M += M.T  # symmetric to rounding: made exactly so (numpy copies M.T)
    M *= 0.5
    W0 = spd_solver(M)(rhs)
    return W0, solvers


def _check_weights(weight: np.ndarray, labels: np.ndarray) -> None:
    """Refuse tasks (or cells) without a positive total sample weight."""
    empty = weight <= 0
    if np.any(empty):
        raise ValueError(
            "Every task needs a positive total sample weight; these have none: "
            f"{labels[empty].tolist()}."
        )


class SharedLeastSquares(MultiTaskMixin, RegressorMixin, BaseEstimator):
    """Multi-task least squares with a shared and a task-specific part.

    Each task's coefficients are ``W_t = W_0 + V_t``: the shared part ``W_0``
    carries what the tasks have in common and ``V_t`` what is specific to task
    ``t``. With sample weights ``s_i``, task ``t_i`` of sample ``i`` and
    per-task intercepts ``b_t`` (unpenalized), the objective is::

        sum_i c_{t_i} s_i ||y_i - x_i (W_0 + V_{t_i}) - b_{t_i}||^2
            + alpha_shared ||W_0||^2 + sum_t c_t alpha_task_t ||V_t||^2

    with task weights ``c_t`` (``task_weight``, 1 by default), in
    scikit-learn Ridge's convention (sums of squares, no 1/2, no 1/n).
    A very large ``alpha_task`` gives pooled ridge regression (one model for
    all tasks); a very large ``alpha_shared`` gives independent ridge per task
    with penalty ``alpha_task``. It equals ridge regression on the augmented
    inputs ``[x / sqrt(alpha_shared), 0, .., x / sqrt(alpha_task), .., 0]``
    (Daume's feature augmentation), but is solved exactly from per-task
    sufficient statistics in O(n d^2 + T d^3) time, never in the
    ``(T + 1) d`` augmented space.

    Tasks may have several factors (a dialect and a speaker, say): ``tasks``
    is then 2-D, one column per factor (or a DataFrame, whose column names
    name the factors), and a cell ``c`` (a combination of levels seen in
    training) has coefficients ``W_0 + sum_f P_{f, l_f(c)}`` (+ ``I_c``
    with ``alpha_interaction``), penalized by ``alpha_task`` (a float, or a
    dict mapping every factor name to a float or to a dict of one penalty
    per level). Any combination of seen levels predicts, recorded or not,
    with the intercept of a seen cell or, for a new one, the sum of the
    levels' terms fitted to the cells' intercepts (``intercept_factors_``).
    The fit is exact, by block elimination (see
    :func:`~mtlsynth._factored.solve_factored` for its cost);
    ``alpha_task_refit``, ``task_weight`` and ``partial_fit`` take
    one-factor tasks only.

    Parameters
    ----------
    alpha_shared : float, default=1.0
        Penalty on the shared coefficients ``W_0``; must be positive.
    alpha_task : float or dict, default=1.0
        Penalty on every task-specific part ``V_t``; must be positive. A
        dict maps every task label to its own penalty (e.g. a dialect with
        little data can be pulled harder towards ``W_0``).
    alpha_task_refit : dict, default=None
        Penalty of every task's part when it is fitted again given ``W_0``:
        ``W_0`` is the joint solution with ``alpha_task``, then each
        ``V_t`` minimizes ``||y_t - X_t (W_0 + V_t)||^2 + alpha_task_refit_t
        ||V_t||^2`` over the task's rows alone. A task's part then follows
        its own evidence (a penalty chosen on its held-out rows, say) while
        ``W_0`` and the other tasks stay as they are; the model is no longer
        the minimum of the objective above. A dict maps every task label to
        its penalty; None fits every part jointly.
    task_weight : dict, default=None
        Weight ``c_t`` of every task's terms (its squared errors and its
        penalty ``alpha_task_t ||V_t||^2``), as a sample weight ``c_t`` on
        its rows would weigh them with its penalty scaled alike: a task's
        coefficients given ``W_0`` do not change, but a task of small weight
        shapes ``W_0`` less (a dialect with little data and a large penalty
        then leans on ``W_0`` without pulling it towards itself). A dict
        maps every task label to its positive weight; None weighs every
        task 1.
    alpha_interaction : float, default=None
        With factored tasks (see below): the penalty of every cell's own
        part ``I_c``; None fits no such part.
    factor_features : dict, default=None
        With factored tasks: the features a factor's parts act on, a dict
        mapping a factor's name to the indices (or a boolean mask) of its
        columns; the parts' other coefficients are zero. A factor not named
        acts on every feature. A speaker part on the few columns that a
        speaker changes (the current phone, say) costs far less to fit
        than one on every column, and needs less data.
    factor_transform : dict, default=None
        With factored tasks: one factor whose levels also transform what the
        other parts predict, ``{name: penalty}``. Level ``k`` of factor
        ``f`` then has a ``q x q`` map ``A_k`` of the outputs beside its
        part: ``W_c = (W_0 + sum_{g != f} P_{g, l_g(c)}) A_k + P_{f, k}``,
        as a speaker's transform of an average voice (the mean transforms
        of speaker-adaptive training), which follows a speaker into a
        dialect never recorded where an additive part cannot. The additive
        fit comes first; every level's ``A_k``, part and intercept term are
        then refitted given the other parts, ``||A_k - I||^2`` penalized by
        the value (:func:`~mtlsynth._factored.solve_transforms`). Not with
        ``alpha_interaction``. None: no transform.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task (per cell with factors).
    unseen_tasks : {"error", "shared"}, default="error"
        What ``predict`` does with a task label not seen in training: raise,
        or predict with the shared part ``W_0`` and ``intercept_shared_``.
        With factors, an unseen level of one factor raises, or leaves out
        that factor's part.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features) or (n_tasks, n_targets, n_features)
        Coefficients of every task, ``W_0 + V_t``.
    coef_shared_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Shared coefficients ``W_0``.
    coef_task_ : ndarray of shape (n_tasks, n_features) or \
(n_tasks, n_targets, n_features)
        Task-specific coefficients ``V_t``.
    intercept_ : ndarray of shape (n_tasks,) or (n_tasks, n_targets)
        Intercept of every task (zeros if ``fit_intercept=False``).
    intercept_shared_ : float or ndarray of shape (n_targets,)
        Intercept used with the shared part for unseen tasks: the pooled
        weighted mean of ``y`` minus the pooled mean of ``x`` times ``W_0``.
    tasks_ : ndarray of shape (n_tasks,) or (n_cells, n_factors)
        Sorted task labels seen in training (``[0]`` if ``tasks=None``);
        with factors, the levels of every cell seen (the rows of ``coef_``).
    factors_ : list
        With factors: the factors' names.
    levels_ : list of ndarray
        With factors: every factor's sorted levels.
    coef_factors_ : list of ndarray
        With factors: every factor's parts ``P_{f, k}``, of shape
        ``(n_levels_f, n_features)`` or ``(n_levels_f, n_targets, n_features)``.
    coef_interaction_ : ndarray or None
        With factors and ``alpha_interaction``: every cell's part ``I_c``.
    coef_transform_ : ndarray of shape (n_levels_f, n_targets, n_targets)
        With ``factor_transform``: every level's map ``A_k`` (the other
        parts' prediction ``y`` becomes ``y @ A_k``).
    intercept_factors_ : list of ndarray
        With factors: every factor's intercept terms, added to
        ``intercept_shared_`` for a cell not seen in training.
    statistics_ : TaskStatistics
        Per-task sufficient statistics; ``partial_fit`` adds to them.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.Ridge : The single-task model, and the pooled limit.

    References
    ----------
    .. [1] T. Evgeniou and M. Pontil, "Regularized multi-task learning",
       KDD 2004.
    .. [2] H. Daume III, "Frustratingly easy domain adaptation", ACL 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import SharedLeastSquares
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 3))
    >>> tasks = np.repeat(["en-US", "en-GB", "en-029"], 20)
    >>> shift = np.where(tasks == "en-GB", 1.0, 0.0)
    >>> y = X @ [1.0, -2.0, 0.5] + shift * X[:, 0]
    >>> model = SharedLeastSquares(alpha_shared=0.1, alpha_task=1.0)
    >>> model.fit(X, y, tasks=tasks).predict(X[:2], tasks=["en-GB", "en-US"]).shape
    (2,)
    >>> model.tasks_.tolist()
    ['en-029', 'en-GB', 'en-US']
    """

    _parameter_constraints: dict = {
        "alpha_shared": [Interval(Real, 0, None, closed="neither")],
        "alpha_task": [Interval(Real, 0, None, closed="neither"), dict],
        "alpha_task_refit": [dict, None],
        "task_weight": [dict, None],
        "alpha_interaction": [Interval(Real, 0, None, closed="neither"), None],
        "factor_features": [dict, None],
        "factor_transform": [dict, None],
        "fit_intercept": ["boolean"],
        "unseen_tasks": [StrOptions({"error", "shared"})],
    }

    def __init__(
        self,
        alpha_shared=1.0,
        alpha_task=1.0,
        *,
        alpha_task_refit=None,
        task_weight=None,
        alpha_interaction=None,
        factor_features=None,
        factor_transform=None,
        fit_intercept=True,
        unseen_tasks="error",
    ):
        self.alpha_shared = alpha_shared
        self.alpha_task = alpha_task
        self.alpha_task_refit = alpha_task_refit
        self.task_weight = task_weight
        self.alpha_interaction = alpha_interaction
        self.factor_features = factor_features
        self.factor_transform = factor_transform
        self.fit_intercept = fit_intercept
        self.unseen_tasks = unseen_tasks

    def _task_alphas(self) -> float | np.ndarray:
        """``alpha_task`` as a float, or one value per task of ``tasks_``."""
        return task_penalties(self.alpha_task, self.statistics_.labels)

    def _task_weights(self) -> float | np.ndarray:
        """``task_weight`` as one value per task of ``tasks_`` (1 if None)."""
        weight = 1.0 if self.task_weight is None else self.task_weight
        return task_penalties(weight, self.statistics_.labels, "task_weight")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, tasks=None, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs; sparse ones are converted to CSR and never
            densified (see :meth:`TaskStatistics.from_data`).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Training targets.
        tasks : array-like of shape (n_samples,) or (n_samples, n_factors), \
default=None
            Task label (int or str) of each sample; ``None`` means one task.
            2-D (or a DataFrame): one level per factor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : SharedLeastSquares
            The fitted model.
        """
        for name in ("statistics_", "_single_output"):
            self.__dict__.pop(name, None)
        if is_factored(tasks):
            return self._fit_factors(X, y, tasks, sample_weight)
        return self._add_data(X, y, tasks, sample_weight, reset=True)

    def _fit_factors(self, X, y, tasks, sample_weight):
        """:meth:`fit` with factored tasks."""
        if self.alpha_task_refit is not None or self.task_weight is not None:
            raise ValueError("alpha_task_refit and task_weight take one-factor tasks")
        X, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True, accept_sparse="csr"
        )
        weight = check_sample_weight(sample_weight, X.shape[0])
        factors, cells, cell_of_sample = Factors.encode(tasks, X.shape[0])
        stats = TaskStatistics.from_data(
            X, y.reshape(len(y), -1), np.arange(len(cells)), cell_of_sample, weight
        )
        self._single_output = y.ndim == 1
        return self._solve_factors(stats, factors, cells)

    def _solve_factors(self, stats, factors, cells):
        """Solve from the statistics of the cells whose levels ``cells`` codes."""
        _check_weights(stats.weight, factors.labels(cells))
        transform = self._transform(factors)
        G, B = stats.gram(centered=self.fit_intercept)
        alpha_cell = self.alpha_interaction
        alphas = factor_penalties(self.alpha_task, factors)
        columns = factor_columns(self.factor_features, factors, G.shape[1])
        W0, parts, own = solve_factored(
            G,
            B,
            cells,
            self.alpha_shared,
            alphas,
            None if alpha_cell is None else np.full(len(cells), float(alpha_cell)),
            columns,
        )
        del G, B
        W = cell_coefficients(W0, parts, cells) + (0.0 if own is None else own)
        b, terms = self._cell_intercepts(stats, factors, cells, W)
        self.__dict__.pop("coef_transform_", None)
        if transform is not None:
            f, beta = transform
            A, parts[f], terms[f + 1] = solve_transforms(
                stats,
                cells,
                (W0, terms[0]),
                list(zip(parts, terms[1:], strict=True)),
                f,
                beta,
                alphas[f],
                columns[f],
                self.fit_intercept,
            )
            W = cell_coefficients(W0, parts, cells, (f, A))
            b = self._cell_intercepts(stats, factors, cells, W)[0]
            self.coef_transform_ = A
        self._factors, self._cells = factors, cells
        self.statistics_ = stats
        self.factors_, self.levels_ = factors.names, factors.levels
        self.tasks_ = factors.labels(cells)
        self.coef_shared_, self.coef_ = self._layout(W0), self._layout(W)
        self.coef_factors_ = [self._layout(part) for part in parts]
        self.coef_interaction_ = None if own is None else self._layout(own)
        self.intercept_ = b[:, 0] if self._single_output else b
        self.intercept_shared_ = float(terms[0][0]) if self._single_output else terms[0]
        self.intercept_factors_ = [
            t[:, 0] if self._single_output else t for t in terms[1:]
        ]
        return self

    def _cell_intercepts(self, stats, factors, cells, W) -> tuple:
        """Every cell's intercept given its coefficients ``W``, and the
        intercept terms of the shared part and every level fitted to them
        (:func:`~mtlsynth._factored.additive_intercepts`); zeros without
        ``fit_intercept``."""
        q = W.shape[2]
        if not self.fit_intercept:
            terms = [np.zeros(q)] + [np.zeros((len(v), q)) for v in factors.levels]
            return np.zeros((len(cells), q)), terms
        b = stats.mean_y - np.einsum("cd,cdq->cq", stats.mean_x, W)
        return b, additive_intercepts(
            b, stats.weight, cells, [len(v) for v in factors.levels]
        )

    def _transform(self, factors) -> tuple | None:
        """``(factor index, penalty)`` of ``factor_transform``, checked."""
        if self.factor_transform is None:
            return None
        names = [_factor_of(key, factors) for key in self.factor_transform]
        if len(names) != 1 or names[0] is None:
            raise ValueError(
                f"factor_transform must name one factor of {factors.names}; got "
                f"{list(self.factor_transform)}."
            )
        if self.alpha_interaction is not None:
            raise ValueError("factor_transform does not take alpha_interaction")
        (penalty,) = self.factor_transform.values()
        if not (isinstance(penalty, Real) and np.isfinite(penalty) and penalty > 0):
            raise ValueError(
                f"factor_transform's penalty must be a positive number; got {penalty!r}"
            )
        return factors.names.index(names[0]), float(penalty)

    def _layout(self, W: np.ndarray) -> np.ndarray:
        """Coefficients ``(..., d, q)`` in scikit-learn's layout."""
        return W[..., 0] if self._single_output else np.swapaxes(W, -1, -2)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, tasks=None, sample_weight=None):
        """Add a batch of samples to the statistics and refit.

        Fitting in chunks gives the same model as fitting all rows at once.
        Later batches may bring new tasks.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs of this batch.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets of this batch.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : SharedLeastSquares
            The updated model.
        """
        if is_factored(tasks) or hasattr(self, "_factors"):
            raise ValueError("partial_fit takes one-factor tasks; fit factors at once")
        return self._add_data(
            X, y, tasks, sample_weight, reset=not hasattr(self, "statistics_")
        )

    def _add_data(self, X, y, tasks, sample_weight, *, reset):
        """Validate a batch, merge its statistics and solve."""
        stats, single_output = self._batch_statistics(
            X, y, tasks, sample_weight, reset=reset
        )
        if not reset and single_output != self._single_output:
            raise ValueError(
                "y must keep the same number of dimensions across partial_fit "
                f"calls: the model was fitted with {1 if self._single_output else 2}"
                f"-D targets, this batch has {1 if single_output else 2}-D targets."
            )
        if not reset:
            stats = self.statistics_.merge(stats)
        self.statistics_ = stats
        self._single_output = single_output
        return self.fit_statistics(stats)

    def fit_statistics(self, statistics: TaskStatistics):
        """Solve from sufficient statistics alone (no rows needed).

        This is the reduce step of chunked, out-of-core and distributed
        fitting: compute :class:`TaskStatistics` per chunk, merge them, solve.

        Parameters
        ----------
        statistics : TaskStatistics
            Merged statistics of all training rows. ``n_features_in_`` must
            already be set (it is after ``fit`` or ``partial_fit``), or is set
            here from the statistics. Labels of shape ``(n_cells, n_factors)``
            make every task a cell of factored tasks (each row its levels, no
            two rows the same), fitted as ``fit`` fits factors.

        Returns
        -------
        self : SharedLeastSquares
            The fitted model.
        """
        self._validate_params()
        if not hasattr(self, "n_features_in_"):
            self.n_features_in_ = statistics.mean_x.shape[1]
        if not hasattr(self, "_single_output"):
            self._single_output = statistics.mean_y.shape[1] == 1
        if np.ndim(statistics.labels) == 2:
            return self._statistics_of_cells(statistics)
        _check_weights(statistics.weight, statistics.labels)
        for name in FACTOR_ATTRIBUTES:  # one factor now: no factors' parts
            self.__dict__.pop(name, None)
        self.statistics_ = statistics
        G, B = statistics.gram(centered=self.fit_intercept)
        refit = self.alpha_task_refit
        if refit is not None:
            refit = task_penalties(refit, statistics.labels, "alpha_task_refit")
        W0, V = solve_shared(
            G,
            B,
            self.alpha_shared,
            self._task_alphas(),
            self._task_weights(),
            alpha_task_refit=refit,
        )
        if self.fit_intercept:
            b = statistics.mean_y - np.einsum("td,tdq->tq", statistics.mean_x, W0 + V)
            mean_x, mean_y = statistics.pooled_means()
            b0 = mean_y - mean_x @ W0
        else:
            b = np.zeros((statistics.n_tasks, W0.shape[1]))
            b0 = np.zeros(W0.shape[1])
        self.tasks_ = statistics.labels
        squeeze = self._single_output
        self.coef_shared_ = W0[:, 0] if squeeze else W0.T
        self.coef_task_ = V[:, :, 0] if squeeze else V.transpose(0, 2, 1)
        self.coef_ = self.coef_shared_ + self.coef_task_
        self.intercept_ = b[:, 0] if squeeze else b
        self.intercept_shared_ = float(b0[0]) if squeeze else b0
        return self

    def _statistics_of_cells(self, statistics: TaskStatistics):
        """:meth:`fit_statistics` of cells: labels of shape (n_cells, n_factors)."""
        if self.alpha_task_refit is not None or self.task_weight is not None:
            raise ValueError("alpha_task_refit and task_weight take one-factor tasks")
        factors, cells, row_cell = Factors.encode(statistics.labels, statistics.n_tasks)
        if len(cells) < statistics.n_tasks:
            raise ValueError("the statistics' labels name a cell more than once")
        return self._solve_factors(statistics, factors, cells[row_cell])

    def predict(self, X, tasks=None):
        """Predict with each sample's task model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample; required when the model knows several
            tasks.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions.
        """
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64, accept_sparse="csr")
        if hasattr(self, "_factors"):
            return self._predict_factors(X, tasks)
        codes = self._predict_codes(tasks, X.shape[0])
        return self._predict_coded(X, codes, self.coef_, self.intercept_)

    def _predict_factors(self, X, tasks):
        """:meth:`predict` with factored tasks (see :func:`factor_models`)."""
        d = X.shape[1]
        out = np.empty((X.shape[0], np.size(self.intercept_shared_)))
        for rows, W, b in factor_models(self, tasks, X.shape[0]):
            out[rows] = X[rows] @ W.reshape(-1, d).T + b
        return out[:, 0] if self._single_output else out

    def _predict_coded(self, X, codes, coef, intercept):
        """Predict with per-task ``coef`` and ``intercept``; code -1 is shared."""
        n_tasks = len(self.tasks_)
        W = coef.reshape(n_tasks, -1, X.shape[1])
        b = np.reshape(intercept, (n_tasks, -1))
        W_shared = np.reshape(self.coef_shared_, (-1, X.shape[1]))
        b_shared = np.reshape(self.intercept_shared_, -1)
        out = np.empty((X.shape[0], W.shape[1]))
        shifted = np.where(codes < 0, n_tasks, codes)
        for t, rows in enumerate(task_groups(shifted, n_tasks + 1)):
            Wt, bt = (W[t], b[t]) if t < n_tasks else (W_shared, b_shared)
            out[rows] = X[rows] @ Wt.T + bt
        return out[:, 0] if self._single_output else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags
