"""Regularized multi-task estimators fitted by accelerated proximal gradient."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from mtlsynth._datafits import ComponentSum, Logistic, Quadratic
from mtlsynth._solvers import FISTA
from mtlsynth._stats import task_groups
from mtlsynth._tasks import MultiTaskMixin
from mtlsynth.penalties import L21, Decomposed
from mtlsynth.utils.validation import check_one_factor

__all__ = [
    "ProximalClassifier",
    "ProximalRegressor",
]

_COMMON_CONSTRAINTS: dict = {
    "penalty": [HasMethods(["value"]), None],
    "solver": [HasMethods(["solve"]), None],
    "fit_intercept": ["boolean"],
    "task_weighting": [StrOptions({"equal", "samples"})],
}


def _validated_parts(penalty, solver, default_alpha):
    """Fresh, validated clones of the penalty and the solver."""
    penalty = L21(alpha=default_alpha) if penalty is None else clone(penalty)
    solver = FISTA() if solver is None else clone(solver)
    for part in (penalty, solver):
        if callable(getattr(part, "_validate_params", None)):
            part._validate_params()
    return penalty, solver


def _warn_not_converged(result, where=""):
    """ConvergenceWarning for a solve that hit ``max_iter``."""
    if not result.converged:
        warnings.warn(
            f"The solver did not converge{where} in {result.n_iter} iterations: "
            f"final {result.certificate_kind} {result.certificate:.3g}. Increase "
            "max_iter or tol of the solver, or scale the inputs.",
            ConvergenceWarning,
        )


def _lift(datafit, penalty):
    """Datafit and penalty the solver sees: stacked components for Decomposed."""
    if isinstance(penalty, Decomposed):
        lifted = ComponentSum(datafit, len(penalty.parts()))
        return lifted, penalty.stacked(lifted.n_features)
    return datafit, penalty


def _unlift(datafit, params):
    """The datafit's parameters and, for stacked components, the components."""
    if isinstance(datafit, ComponentSum):
        return datafit.summed(params), datafit.components(params)
    return params, None


def _init_from(labels, shape, known, params):
    """Starting point laid out on ``labels`` from an earlier fit, or None."""
    if params is None or params.shape[1:] != shape[1:]:
        return None
    init = np.zeros(shape)
    pos = np.searchsorted(labels, known)
    pos = np.minimum(pos, len(labels) - 1)
    found = labels[pos] == known
    init[pos[found]] = params[found]
    return init


def _predict_linear(X, codes, coef, intercept):
    """``X @ coef[t].T + intercept[t]`` for each sample's task ``t``."""
    n_tasks, q = coef.shape[0], coef.shape[1]
    out = np.empty((X.shape[0], q))
    for t, rows in enumerate(task_groups(codes, n_tasks)):
        out[rows] = X[rows] @ coef[t].T + intercept[t]
    return out


def _squared_error(statistics, W, b, task_weighting):
    """Mean squared error of per-task ``(W, b)`` on rows known by statistics.

    ``||Y_t - X_t W_t - 1 b_t||^2`` from the uncentred statistics, averaged
    over outputs (as scikit-learn's ``mean_squared_error`` and
    ``MultiTaskLassoCV.mse_path_`` do), per task and then over tasks with
    rows (``"equal"``) or over all rows.
    """
    G, B = statistics.gram(centered=False)
    C = statistics.target_scatter(centered=False)
    w = statistics.weight
    sum_x = w[:, None] * statistics.mean_x
    sum_y = w[:, None] * statistics.mean_y
    GW = np.matmul(G, W)
    err = (
        np.trace(C, axis1=1, axis2=2)
        - 2.0 * np.einsum("tdq,tdq->t", W, B)
        + np.einsum("tdq,tdq->t", W, GW)
        - 2.0 * np.einsum("tq,tq->t", b, sum_y - np.einsum("td,tdq->tq", sum_x, W))
        + w * np.einsum("tq,tq->t", b, b)
    )
    present = w > 0
    err = err / W.shape[-1]
    if task_weighting == "equal":
        return float(np.mean(err[present] / w[present]))
    return float(err[present].sum() / w[present].sum())


def _alpha_grid(datafit, penalty, n_alphas, eps):
    """Decreasing geometric grid from the smallest all-zero ``alpha``."""
    if not callable(getattr(penalty, "dual_norm", None)):
        raise ValueError(
            f"{type(penalty).__name__} has no dual_norm, so alpha_max is unknown: "
            "pass alphas=... explicitly."
        )
    grad0 = datafit.gradient(np.zeros(datafit.shape))
    alpha_max = max(penalty.dual_norm(grad0), np.finfo(float).eps)
    return np.geomspace(alpha_max, alpha_max * eps, n_alphas)


def _statistics_path(statistics, penalty, solver, alphas, fit_intercept, weighting):
    """Solutions along ``alphas`` (in the given order), warm-started."""
    datafit = Quadratic(
        statistics, fit_intercept=fit_intercept, task_weighting=weighting
    )
    if "alpha" not in penalty.get_params():
        raise ValueError(
            f"{type(penalty).__name__} has no alpha parameter to follow a path on."
        )
    results, init = [], None
    for alpha in alphas:
        result = solver.solve(datafit, clone(penalty).set_params(alpha=alpha), init)
        _warn_not_converged(result, f" at alpha={alpha:.3g}")
        results.append(result)
        init = result.params
    return results


def _intercepts(statistics, W, fit_intercept):
    """Per-task intercepts ``ybar_t - xbar_t W_t`` recovered after centring."""
    if not fit_intercept:
        return np.zeros((W.shape[0], W.shape[2]))
    return statistics.mean_y - np.einsum("td,tdq->tq", statistics.mean_x, W)


class _LinearTasksMixin:
    """Fitted-state bookkeeping and prediction shared by the estimators."""

    def _record(self, result, penalty, solver):
        """Store the solver's diagnostics."""
        _warn_not_converged(result)
        self.penalty_ = penalty
        self.solver_ = solver
        self.n_iter_ = result.n_iter
        self.gap_ = result.certificate
        self.certificate_ = result.certificate_kind
        self.objective_history_ = np.asarray(result.objective_history)

    def _stacked_params(self):
        """Coefficients of an earlier fit as ``(n_tasks, n_features, n_outputs)``.

        After a fit with :class:`~mtlsynth.penalties.Decomposed`, its
        components stacked along the features, as the solver sees them.
        """
        if not hasattr(self, "coef_"):
            return None
        n_tasks, d = len(self.tasks_), self.coef_.shape[-1]
        if isinstance(self.penalty, Decomposed) and hasattr(self, "coef_components_"):
            K = len(self.coef_components_)
            parts = self.coef_components_.reshape(K, n_tasks, -1, d)
            return np.concatenate(list(parts.transpose(0, 1, 3, 2)), axis=1)
        return self.coef_.reshape(n_tasks, -1, d).transpose(0, 2, 1)

    def _set_coef(self, labels, W, b, single_output, components=None):
        """Expose ``coef_``, ``intercept_``, ``tasks_`` (``coef_components_``)."""
        self.tasks_ = labels
        coef = W.transpose(0, 2, 1)
        self.coef_ = coef[:, 0, :] if single_output else coef
        self.intercept_ = b[:, 0] if single_output else b
        if components is None:
            if hasattr(self, "coef_components_"):
                del self.coef_components_
            return
        parts = components.transpose(0, 1, 3, 2)
        self.coef_components_ = parts[:, :, 0, :] if single_output else parts

    def _linear_output(self, X, tasks):
        """Validated ``X`` through each sample's task model, 2-D."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        codes = self._predict_codes(tasks, X.shape[0])
        n_tasks = len(self.tasks_)
        coef = self.coef_.reshape(n_tasks, -1, X.shape[1])
        return _predict_linear(
            X, codes, coef, np.reshape(self.intercept_, (n_tasks, -1))
        )


_REGRESSOR_DOC_OBJECTIVE = """
    Every task ``t`` has coefficients ``W_t`` of shape ``(n_features,
    n_targets)`` and an unpenalized intercept ``b_t``; with ``n_t`` the total
    sample weight of task ``t`` and ``s_i`` the weight of sample ``i``, the
    objective is::

        sum_t c_t / 2 sum_{i in t} s_i ||y_i - x_i W_t - b_t||^2 + penalty(W)

        c_t = 1 / n_t          (task_weighting="equal", every task weighs the same)
        c_t = 1 / sum_s n_s    (task_weighting="samples", every sample weighs the same)

    where ``W`` stacks the tasks' coefficients, shape ``(n_tasks, n_features,
    n_targets)``, and ``penalty`` is one of :mod:`mtlsynth.penalties`. With one
    task and ``L21`` this is scikit-learn's MultiTaskLasso (Lasso with ``L1``
    and one target).
"""


class _ProximalRegressorBase(_LinearTasksMixin, MultiTaskMixin, RegressorMixin):
    """Squared-loss fitting from per-task statistics."""

    def _solve_statistics(self, statistics, init, single_output, penalty=None):
        """Fit from statistics, starting at ``init`` if given."""
        default_penalty, solver = _validated_parts(self.penalty, self.solver, 1.0)
        penalty = default_penalty if penalty is None else penalty
        datafit = Quadratic(
            statistics,
            fit_intercept=self.fit_intercept,
            task_weighting=self.task_weighting,
        )
        datafit, lifted = _lift(datafit, penalty)
        if init is not None and init.shape != datafit.shape:
            init = None
        result = solver.solve(datafit, lifted, init)
        self._record(result, penalty, solver)
        self.statistics_ = statistics
        W, components = _unlift(datafit, result.params)
        b = _intercepts(statistics, W, self.fit_intercept)
        self._set_coef(statistics.labels, W, b, single_output, components)
        return self

    def predict(self, X, tasks=None):
        """Predict with each sample's task model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample; required when the model knows several
            tasks. Labels unseen in training raise.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions.
        """
        out = self._linear_output(X, tasks)
        return out[:, 0] if self.coef_.ndim == 2 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class ProximalRegressor(_ProximalRegressorBase, BaseEstimator):
    __doc__ = (
        """Penalized multi-task least squares by accelerated proximal gradient.
"""
        + _REGRESSOR_DOC_OBJECTIVE
        + """
    The fit works from per-task Gram statistics (:class:`TaskStatistics`,
    centred when ``fit_intercept=True``, so the intercepts are eliminated
    exactly and recovered as ``b_t = ybar_t - xbar_t W_t``): the step is
    ``1 / L`` with the exact Lipschitz constant ``max_t c_t lambda_max(X_t'
    S_t X_t)`` and one iteration costs ``O(n_tasks n_features^2 n_targets)``
    whatever the number of samples. ``partial_fit`` adds a batch to the
    statistics and refits from the previous solution. The solver stops on a
    duality gap for norm penalties (``L1``, ``L21``, ``L1Inf``, ``TraceNorm``,
    their sums and decompositions) and for ``ClusteredTasks`` (alone, with
    smooth terms or with norms), and on a KKT residual otherwise. With
    :class:`~mtlsynth.penalties.Decomposed` the coefficients are a sum of
    components with a penalty each (dirty models, robust multi-task
    learning): the solver works on the stacked components, the datafit seeing
    their sum, and ``coef_components_`` holds them.

    Parameters
    ----------
    penalty : penalty object, default=None
        From :mod:`mtlsynth.penalties`, e.g. ``L21(alpha=0.1)``,
        ``TraceNorm(alpha=0.1)``, ``TaskGraph(1.0) + L1(0.1)``, ``L1(0.1) +
        TraceNorm(0.2)``, ``ClusteredTasks(1.0, 0.1, n_clusters=3)`` or
        ``Decomposed([L1Inf(0.1), L1(0.05)])``; ``None``
        means ``L21(alpha=1.0)``. Tuned as ``penalty__alpha`` in grid searches.
    solver : solver object, default=None
        ``None`` means ``FISTA()``; pass ``FISTA(tol=..., max_iter=...)`` to
        change the stopping rule.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    task_weighting : {"equal", "samples"}, default="equal"
        Loss factor ``c_t`` of each task, as above.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution (tasks matched by label).

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features) or \
(n_tasks, n_targets, n_features)
        Coefficients of every task.
    intercept_ : ndarray of shape (n_tasks,) or (n_tasks, n_targets)
        Intercept of every task (zeros if ``fit_intercept=False``).
    coef_components_ : ndarray of shape (n_components,) + ``coef_.shape``
        With a :class:`~mtlsynth.penalties.Decomposed` penalty only: the
        components, which add up to ``coef_``.
    tasks_ : ndarray of shape (n_tasks,)
        Sorted task labels seen in training (``[0]`` if ``tasks=None``).
    penalty_ : penalty object
        Fitted clone of ``penalty``.
    solver_ : solver object
        Fitted clone of ``solver``.
    n_iter_ : int
        Number of solver iterations.
    gap_ : float
        Final certificate: duality gap or KKT residual (see ``certificate_``).
    certificate_ : {"duality_gap", "kkt_residual"}
        What ``gap_`` measures.
    objective_history_ : ndarray
        Objective at the start and at every certificate check.
    statistics_ : TaskStatistics
        Per-task sufficient statistics; ``partial_fit`` adds to them.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    ProximalRegressorCV : Chooses ``alpha`` by task-stratified cross-validation.
    proximal_path : Solutions along a grid of ``alpha``.
    sklearn.linear_model.MultiTaskLasso : One task, ``L21`` penalty.

    References
    ----------
    .. [1] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding
       algorithm for linear inverse problems", SIAM J. Imaging Sciences 2(1),
       2009.
    .. [2] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated
       gradient schemes", Foundations of Computational Mathematics 15, 2015.
    .. [3] A. Argyriou, T. Evgeniou and M. Pontil, "Convex multi-task feature
       learning", Machine Learning 73(3), 2008.
    .. [4] G. Obozinski, B. Taskar and M. I. Jordan, "Joint covariate
       selection and joint subspace selection for multiple classification
       problems", Statistics and Computing 20(2), 2010.
    .. [5] S. Ji and J. Ye, "An accelerated gradient method for trace norm
       minimization", ICML 2009.
    .. [6] J. Zhou, J. Chen and J. Ye, "MALSAR: Multi-tAsk Learning via
       StructurAl Regularization", Arizona State University, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import ProximalRegressor
    >>> from mtlsynth.penalties import L21, Decomposed
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 6))
    >>> tasks = np.repeat(["en-US", "en-GB", "en-029"], 30)
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.01 * rng.normal(size=90)
    >>> model = ProximalRegressor(L21(alpha=0.05)).fit(X, y, tasks=tasks)
    >>> np.flatnonzero(np.abs(model.coef_).sum(axis=0) > 1e-8).tolist()
    [0, 1]
    >>> model.predict(X[:2], tasks=["en-GB", "en-US"]).shape
    (2,)
    """
    )

    _parameter_constraints: dict = {**_COMMON_CONSTRAINTS, "warm_start": ["boolean"]}

    def __init__(
        self,
        penalty=None,
        *,
        solver=None,
        fit_intercept=True,
        task_weighting="equal",
        warm_start=False,
    ):
        self.penalty = penalty
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.task_weighting = task_weighting
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, tasks=None, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Training targets.
        tasks : array-like of shape (n_samples,), default=None
            Task label (int or str) of each sample; ``None`` means one task.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : ProximalRegressor
            The fitted model.
        """
        previous = (
            (self.tasks_, self._stacked_params())
            if self.warm_start and hasattr(self, "coef_")
            else None
        )
        stats, single_output = self._batch_statistics(
            X, y, tasks, sample_weight, reset=True
        )
        return self._refit(stats, previous, single_output)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, tasks=None, sample_weight=None):
        """Add a batch of samples to the statistics and refit, warm-started.

        Fitting in batches gives the model of fitting all rows at once (to the
        solver's tolerance). Later batches may bring new tasks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs of this batch.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets of this batch.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : ProximalRegressor
            The updated model.
        """
        first = not hasattr(self, "statistics_")
        stats, single_output = self._batch_statistics(
            X, y, tasks, sample_weight, reset=first
        )
        if first:
            return self._refit(stats, None, single_output)
        if single_output != (self.coef_.ndim == 2):
            raise ValueError(
                "y must keep the same number of dimensions across partial_fit "
                f"calls: the model was fitted with {self.coef_.ndim - 1}-D targets, "
                f"this batch has {1 if single_output else 2}-D targets."
            )
        stats = self.statistics_.merge(stats)
        return self._refit(stats, (self.tasks_, self._stacked_params()), single_output)

    def fit_statistics(self, statistics):
        """Fit from sufficient statistics alone (no rows needed).

        Parameters
        ----------
        statistics : TaskStatistics
            Merged statistics of all training rows (see
            :class:`TaskStatistics`). ``n_features_in_`` is set from them
            unless already set.

        Returns
        -------
        self : ProximalRegressor
            The fitted model.
        """
        self._validate_params()
        check_one_factor(statistics, self)
        if not hasattr(self, "n_features_in_"):
            self.n_features_in_ = statistics.mean_x.shape[1]
        previous = (
            (self.tasks_, self._stacked_params())
            if self.warm_start and hasattr(self, "coef_")
            else None
        )
        return self._refit(statistics, previous, statistics.mean_y.shape[1] == 1)

    def _refit(self, statistics, previous, single_output):
        """Solve from ``statistics``, warm-started from ``(labels, params)``."""
        n_tasks, _, q = statistics.xy.shape
        init = None
        if previous is not None:
            rows = previous[1].shape[1] if previous[1] is not None else 0
            init = _init_from(statistics.labels, (n_tasks, rows, q), *previous)
        return self._solve_statistics(statistics, init, single_output)


class ProximalClassifier(
    _LinearTasksMixin, MultiTaskMixin, ClassifierMixin, BaseEstimator
):
    """Penalized multi-task binary logistic regression by accelerated proximal gradient.

    Labels are mapped to {0, 1} by ``classes_`` (the same two classes for all
    tasks) and to ``y_i`` in {-1, +1} in the loss. Every task ``t`` has
    coefficients ``w_t`` and an unpenalized intercept ``b_t``; with ``n_t``
    the total sample weight of task ``t``::

        sum_t c_t sum_{i in t} s_i log(1 + exp(-y_i (x_i w_t + b_t))) + penalty(W)

        c_t = 1 / n_t          (task_weighting="equal")
        c_t = 1 / sum_s n_s    (task_weighting="samples")

    with ``W`` of shape ``(n_tasks, n_features, 1)``. Each iteration passes
    over the rows (the loss has no Gram shortcut); the step is ``1 / L`` with
    ``L = max_t 0.25 c_t lambda_max([X_t 1]' S_t [X_t 1])``. The solver stops
    on a KKT residual (the norm of the prox-gradient mapping), or, with
    ``fit_intercept=False`` and a penalty with a convex conjugate
    (``ClusteredTasks``), on a duality gap. With one task
    and ``L2(alpha)``, this is scikit-learn's ``LogisticRegression`` with
    ``C = 1 / (alpha n)``.

    Parameters
    ----------
    penalty : penalty object, default=None
        From :mod:`mtlsynth.penalties`; ``None`` means ``L21(alpha=0.01)``.
    solver : solver object, default=None
        ``None`` means ``FISTA()``.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    task_weighting : {"equal", "samples"}, default="equal"
        Loss factor ``c_t`` of each task, as above.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution (tasks matched by label).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two class labels; the second is the positive class.
    coef_ : ndarray of shape (n_tasks, n_features)
        Coefficients of every task.
    intercept_ : ndarray of shape (n_tasks,)
        Intercept of every task.
    coef_components_ : ndarray of shape (n_components, n_tasks, n_features)
        With a :class:`~mtlsynth.penalties.Decomposed` penalty only: the
        components, which add up to ``coef_``.
    tasks_ : ndarray of shape (n_tasks,)
        Sorted task labels seen in training.
    penalty_ : penalty object
        Fitted clone of ``penalty``.
    solver_ : solver object
        Fitted clone of ``solver``.
    n_iter_ : int
        Number of solver iterations.
    gap_ : float
        Final certificate: KKT residual or duality gap (see ``certificate_``).
    certificate_ : {"kkt_residual", "duality_gap"}
        What ``gap_`` measures.
    objective_history_ : ndarray
        Objective at the start and at every certificate check.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : One task, ``L2`` penalty.

    References
    ----------
    .. [1] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding
       algorithm for linear inverse problems", SIAM J. Imaging Sciences 2(1),
       2009.
    .. [2] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated
       gradient schemes", Foundations of Computational Mathematics 15, 2015.
    .. [3] G. Obozinski, B. Taskar and M. I. Jordan, "Joint covariate
       selection and joint subspace selection for multiple classification
       problems", Statistics and Computing 20(2), 2010.
    .. [4] J. Zhou, J. Chen and J. Ye, "MALSAR: Multi-tAsk Learning via
       StructurAl Regularization", Arizona State University, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import ProximalClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4))
    >>> tasks = np.repeat(["a", "b"], 100)
    >>> y = np.where(X[:, 0] + 0.3 * rng.normal(size=200) > 0, "yes", "no")
    >>> model = ProximalClassifier().fit(X, y, tasks=tasks)
    >>> model.classes_.tolist()
    ['no', 'yes']
    >>> model.score(X, y, tasks=tasks) > 0.9
    True
    """

    __metadata_request__predict_proba = {"tasks": True}
    __metadata_request__decision_function = {"tasks": True}

    _parameter_constraints: dict = {**_COMMON_CONSTRAINTS, "warm_start": ["boolean"]}

    def __init__(
        self,
        penalty=None,
        *,
        solver=None,
        fit_intercept=True,
        task_weighting="equal",
        warm_start=False,
    ):
        self.penalty = penalty
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.task_weighting = task_weighting
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, tasks=None, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs.
        y : array-like of shape (n_samples,)
            Two-class labels.
        tasks : array-like of shape (n_samples,), default=None
            Task label (int or str) of each sample; ``None`` means one task.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : ProximalClassifier
            The fitted model.
        """
        previous = None
        if self.warm_start and hasattr(self, "coef_"):
            previous = (self.tasks_, self._stacked_params(), self.intercept_)
        X, y, labels, codes, weight = self._validate_fit_data(
            X, y, tasks, sample_weight
        )
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(
                "Only binary classification is supported. The type of the target "
                f"is {y_type}."
            )
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(
                "ProximalClassifier needs two classes; only one class is present: "
                f"{classes.tolist()}."
            )
        datafit = Logistic(
            X,
            np.where(y == classes[1], 1.0, -1.0),
            codes,
            len(labels),
            weight,
            fit_intercept=self.fit_intercept,
            task_weighting=self.task_weighting,
        )
        penalty, solver = _validated_parts(self.penalty, self.solver, 0.01)
        datafit, lifted = _lift(datafit, penalty)
        init = None
        if previous is not None:
            known, W, b = previous
            stacked = np.concatenate([W, b[:, None, None]], axis=1)[
                :, : datafit.shape[1]
            ]
            init = _init_from(labels, datafit.shape, known, stacked)
        result = solver.solve(datafit, lifted, init)
        self._record(result, penalty, solver)
        self.classes_ = classes
        d = X.shape[1]
        params, components = _unlift(datafit, result.params)
        b = params[:, d:, 0] if self.fit_intercept else np.zeros((len(labels), 1))
        self._set_coef(labels, params[:, :d], b, True, components)
        return self

    def decision_function(self, X, tasks=None):
        """Logit of the positive class ``x w_t + b_t`` for each sample's task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample; required when the model knows several
            tasks.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Positive values favour ``classes_[1]``.
        """
        return self._linear_output(X, tasks)[:, 0]

    def predict_proba(self, X, tasks=None):
        """Class probabilities for each sample's task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities of ``classes_[0]`` and ``classes_[1]``.
        """
        p = expit(self.decision_function(X, tasks))
        return np.column_stack([1.0 - p, p])

    def predict(self, X, tasks=None):
        """Most probable class for each sample's task.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels from ``classes_``.
        """
        check_is_fitted(self, "classes_")
        return self.classes_[(self.decision_function(X, tasks) > 0).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
