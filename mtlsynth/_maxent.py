"""Multi-task maximum-entropy (multinomial logistic) classification."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy import optimize, sparse, special
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mtlsynth._factored import FACTOR_ATTRIBUTES, factor_models, is_factored
from mtlsynth._maxent_factored import factored_start, fit_factored
from mtlsynth._maxent_objective import (
    _BatchRows,
    _Rows,
    _sort_rows,
    _unpack,
    maxent_loss_grad,
)
from mtlsynth._proximal import _init_from
from mtlsynth._stats import task_groups
from mtlsynth._tasks import MultiTaskMixin
from mtlsynth.utils.blas import blas_thread_count, blas_threads_for
from mtlsynth.utils.progress import Progress
from mtlsynth.utils.validation import (
    check_sample_weight,
    encode_tasks,
    task_penalties,
)

__all__ = [
    "MaxEntClassifier",
    "maxent_loss_grad",
]

MERGE_RATIO = 0.75
"""``merge_duplicates="auto"`` merges when distinct rows are at most this share."""


def _has_many_duplicates(X: np.ndarray, codes: np.ndarray) -> bool:
    """Cheap estimate of whether few (task, x) rows are distinct.

    Each row is hashed to 64 bits: its task code and a random projection of
    ``x`` rounded to float32. Equal rows get equal hashes, so the count of
    distinct hashes is a lower bound on the count of distinct rows up to rare
    collisions. A sparse ``X`` is projected by a sparse-dense product.
    """
    if X.shape[0] < 2:
        return False
    direction = np.random.default_rng(0).standard_normal(X.shape[1])
    projection = (X @ direction).astype(np.float32).view(np.uint32)
    keys = (codes.astype(np.uint64) << np.uint64(32)) | projection
    return len(np.unique(keys)) <= MERGE_RATIO * X.shape[0]


def _merge_rows(X, codes, y_code, weight, n_classes):
    """Merge identical (task, x) rows; per-class weights become columns of ``C``."""
    keys, inverse = np.unique(np.column_stack([codes, X]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    C = np.bincount(
        y_code * len(keys) + inverse, weights=weight, minlength=len(keys) * n_classes
    ).reshape(n_classes, len(keys))
    return np.ascontiguousarray(keys[:, 1:]), keys[:, 0].astype(np.intp), C


def _merge_sparse_rows(X, codes, y_code, weight, n_classes):
    """:func:`_merge_rows` for a CSR ``X``, without densifying it.

    Rows are grouped by their task code and two random projections (exact
    float64 bits); each group is then checked to hold one row exactly. A
    hash collision (two different rows in a group) would merge wrong rows,
    so then nothing is merged. Equal rows stored differently (unsorted
    indices, explicit zeros) may hash apart and stay separate rows, which
    leaves the objective unchanged. Groups are ordered by task.
    """
    projection = X @ np.random.default_rng(0).standard_normal((X.shape[1], 2))
    keys = np.column_stack([codes.astype(np.int64), projection.view(np.int64)])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if (X - X[first[inverse]]).count_nonzero():
        return _sort_rows(X, codes, y_code, weight, n_classes)
    C = np.bincount(
        y_code * len(first) + inverse, weights=weight, minlength=len(first) * n_classes
    ).reshape(n_classes, len(first))
    return X[first], codes[first], C


def _task_logits(X, groups, W, b):
    """Logits ``X_t W_t + b_t`` of every group of rows.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, d)
        Inputs.
    groups : list of slice or ndarray
        Rows of every model.
    W : ndarray of shape (n_models, m, d)
        Coefficients of every model.
    b : ndarray of shape (n_models, m)
        Intercepts of every model.

    Returns
    -------
    Z : ndarray of shape (n_samples, m)
    """
    Z = np.empty((X.shape[0], W.shape[1]))
    for t, rows in enumerate(groups):
        Z[rows] = X[rows] @ W[t].T + b[t]
    return Z


def _unconverged_message(result, max_iter: int) -> str:
    """Text of the ConvergenceWarning of an L-BFGS run that did not converge."""
    return (
        f"L-BFGS did not converge ({result.message}) after {result.nit} "
        f"iterations; max_iter={max_iter}. Increase max_iter or scale the inputs."
    )


class _MaxEntBase(MultiTaskMixin, ClassifierMixin, BaseEstimator):
    """Data preparation and prediction of the maximum-entropy classifiers.

    Subclasses set the parameters ``fit_intercept``, ``shrink_intercepts``,
    ``class_weight``, ``max_iter``, ``tol``, ``merge_duplicates`` and
    ``unseen_tasks`` of :class:`MaxEntClassifier`.
    """

    __metadata_request__predict_proba = {"tasks": True}
    __metadata_request__predict_log_proba = {"tasks": True}
    __metadata_request__decision_function = {"tasks": True}

    def _encode_classes(self, y, weight):
        """Set ``classes_``; return class codes and weights times class weights."""
        check_classification_targets(y)
        self.classes_, y_code = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {self.classes_[0]!r}."
            )
        if self.class_weight is not None:
            per_class = compute_class_weight(
                self.class_weight, classes=self.classes_, y=y, sample_weight=weight
            )
            weight = weight * per_class[y_code]
        return y_code.astype(np.intp, copy=False), weight

    def _prepare(self, X, y, codes, n_tasks, weight):
        """Set ``classes_``; return the rows prepared for the solver.

        Returns
        -------
        rows : _Rows
            Rows, class weights, task groups and what every solve reuses.
        """
        y_code, weight = self._encode_classes(y, weight)
        keep = weight > 0
        if not np.all(keep):
            X, codes, y_code, weight = X[keep], codes[keep], y_code[keep], weight[keep]
        task_weight = np.bincount(codes, weights=weight, minlength=n_tasks)
        X, codes, C = self._design(X, codes, y_code, weight)
        return _Rows(X, C, task_groups(codes, n_tasks), task_weight)

    def _design(self, X, codes, y_code, weight):
        """Rows ordered by task, merged if asked, and their class weights."""
        merge = self.merge_duplicates
        if merge == "auto":
            merge = _has_many_duplicates(X, codes)
        if not merge:
            rows = _sort_rows
        else:
            rows = _merge_sparse_rows if sparse.issparse(X) else _merge_rows
        return rows(X, codes, y_code, weight, len(self.classes_))

    def _intercept_kind(self):
        """How intercepts enter the objective: "none", "free" or "shrunk"."""
        if not self.fit_intercept:
            return "none"
        return "shrunk" if self.shrink_intercepts else "free"

    def _n_logits(self):
        """One logit for two classes, else one per class."""
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _blas_limit(self, n_rows: int, n_features: int):
        """One BLAS thread when the largest product of an objective evaluation
        (the logit gradient of a task of ``n_rows`` rows times its inputs) is
        small (see :func:`~mtlsynth.utils.blas.blas_threads_for`)."""
        return blas_threads_for(2.0 * self._n_logits() * n_rows * n_features)

    def _solve(self, rows, alpha_shared, alpha_task, theta0=None):
        """Minimize the objective divided by the total weight with L-BFGS.

        Parameters
        ----------
        rows : _Rows
            As returned by :meth:`_prepare`.
        alpha_shared : float
            Penalty on ``W_0``.
        alpha_task : float or ndarray of shape (n_tasks,)
            Penalty on every ``V_t``, or one per task.
        theta0 : ndarray, default=None
            Starting point: a warm start from the solution at nearby
            penalties (``result.x`` of an earlier call on the same rows);
            ``None`` starts from zeros.

        Returns
        -------
        result : scipy.optimize.OptimizeResult
            The solution ``x``, the iteration count ``nit`` and ``status``
            (0 when converged).
        """
        m, kind = self._n_logits(), self._intercept_kind()
        D = rows.diagonal_scales(alpha_shared, alpha_task, m, kind)
        u0 = np.zeros_like(D) if theta0 is None else theta0 / D
        scale = 1.0 / rows.total
        n_threads = blas_thread_count()  # once: it costs ms

        last = {}  # the latest point and its gradient in theta

        def fun(u):
            value, grad = rows.loss_grad(
                D * u,
                alpha_shared,
                alpha_task,
                m=m,
                intercept=kind,
                n_threads=n_threads,
            )
            last["u"], last["grad"] = u.copy(), grad * scale
            return value * scale, grad * (scale * D)

        def converged(intermediate_result):
            """Stop once every |gradient| in theta is at most ``tol``."""
            bar.update()
            if np.array_equal(intermediate_result.x, last["u"]) and not np.any(
                np.abs(last["grad"]) > self.tol
            ):
                raise StopIteration

        if theta0 is not None:  # a warm start may have nothing left to do
            value = fun(u0)[0]
            if not np.any(np.abs(last["grad"]) > self.tol):
                x, message = theta0.astype(np.float64), "converged at the start"
                return optimize.OptimizeResult(
                    x=x,
                    fun=value,
                    nit=0,
                    nfev=1,
                    status=0,
                    success=True,
                    message=message,
                )
        bar = Progress(self.max_iter, "L-BFGS iterations (at most)")
        result = optimize.minimize(
            fun,
            u0,
            method="L-BFGS-B",
            jac=True,
            callback=converged,
            options={
                "maxiter": self.max_iter,
                "maxls": 50,
                "gtol": self.tol * D.min(),  # implies every |grad_theta| <= tol
                "ftol": 64 * np.finfo(float).eps,
            },
        )
        bar.close()
        if result.status == 99:  # stopped by ``converged``
            result.status, result.success = 0, True
        result.x = D * result.x
        return result

    def _set_coefficients(self, theta, n_features, n_tasks, task_weight):
        """Store the fitted parameters in scikit-learn's layout."""
        kind = self._intercept_kind()
        W0, V, b0, c = _unpack(theta, n_features, n_tasks, self._n_logits(), kind)
        self.coef_shared_ = W0.copy()
        self.coef_task_ = V.copy()
        self.coef_ = self.coef_shared_ + self.coef_task_
        self.intercept_ = b0 + c
        if kind == "free":
            b0 = task_weight @ self.intercept_ / task_weight.sum()
        self.intercept_shared_ = np.array(b0, dtype=np.float64)

    def _logits(self, X, tasks):
        """Logits of shape (n_samples, m); unseen tasks use the shared part."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64, accept_sparse="csr")
        if hasattr(self, "_factors"):
            Z = np.empty((X.shape[0], self.coef_shared_.shape[0]))
            for rows, W, b in factor_models(self, tasks, X.shape[0]):
                Z[rows] = X[rows] @ W.T + b
            return Z
        codes = self._predict_codes(tasks, X.shape[0])
        n_tasks = len(self.tasks_)
        W = np.concatenate([self.coef_, self.coef_shared_[None]])
        b = np.concatenate([self.intercept_, self.intercept_shared_[None]])
        groups = task_groups(np.where(codes < 0, n_tasks, codes), n_tasks + 1)
        return _task_logits(X, groups, W, b)

    def decision_function(self, X, tasks=None):
        """Compute the logits of each sample under its task's model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample; required when the model knows several
            tasks.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Log-odds of ``classes_[1]`` for two classes, else one logit per
            class.
        """
        Z = self._logits(X, tasks)
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_log_proba(self, X, tasks=None):
        """Log-probability of every class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        return special.log_softmax(self._class_logits(X, tasks), axis=1)

    def _class_logits(self, X, tasks):
        """One logit per class (a zero column first in the binary case)."""
        Z = self._logits(X, tasks)
        return np.hstack([np.zeros_like(Z), Z]) if Z.shape[1] == 1 else Z

    def predict_proba(self, X, tasks=None):
        """Probability of every class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``; rows sum to 1.
        """
        return special.softmax(self._class_logits(X, tasks), axis=1)

    def predict(self, X, tasks=None):
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        tasks : array-like of shape (n_samples,), default=None
            Task label of each sample.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        Z = self._logits(X, tasks)
        if Z.shape[1] == 1:
            return self.classes_[(Z[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(Z, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MaxEntClassifier(_MaxEntBase):
    """Multi-task maximum-entropy (multinomial logistic) classifier.

    Each task's weights are ``W_t = W_0 + V_t``: the shared part ``W_0``
    carries the decision rule the tasks have in common and ``V_t`` what is
    specific to task ``t``. With sample weights ``s_i`` (times class weights),
    task ``t_i`` of sample ``i`` and intercepts ``b_t``, the objective is::

        sum_i s_i * -log softmax(x_i (W_0 + V_{t_i}) + b_{t_i})[y_i]
            + alpha_shared ||W_0||^2 + alpha_task sum_t ||V_t||^2

    over the ``K`` classes seen in training, all tasks together. With
    ``K >= 3`` there is one logit per class (all penalized, as in
    scikit-learn's multinomial LogisticRegression). With ``K == 2`` there is
    one logit ``z``, the log-odds of ``classes_[1]``, so
    ``softmax(.)[1] = 1 / (1 + exp(-z))``: ``W_0`` and ``V_t`` have one
    column and ``decision_function`` returns ``z``, as in scikit-learn.

    The intercepts ``b_t`` are unpenalized. A task whose data lack a class
    then drives that class's intercept towards ``-inf``: its probability in
    that task is set by ``tol`` rather than by the data. With
    ``shrink_intercepts=True`` each intercept is instead ``b_t = b_0 + c_t``
    with ``b_0`` unpenalized and ``alpha_task ||c_t||^2`` added to the
    objective (a constant input in the task part): a class absent from a
    task then keeps the probability the shared part gives it.

    The objective equals scikit-learn's ``LogisticRegression(C=1)`` on the
    augmented inputs ``[x / sqrt(2 alpha_shared), 0, .., x / sqrt(2
    alpha_task) (slot t), .., 0]`` (Daume's feature augmentation), whose
    penalty is ``0.5 ||w||^2``. It is minimized by L-BFGS with an exact
    gradient computed task by task in the original ``d`` features: one
    evaluation costs ``O(n d K)``, never touching the ``(T + 1) d``
    augmented space. Each block of parameters (``W_0``, every ``V_t``, the
    intercepts) is rescaled by an estimate of the objective's curvature in
    it, so that a large penalty on one block does not slow L-BFGS down; the
    stopping test still holds for every entry of the unscaled gradient.

    Tasks may have several factors (a dialect and a speaker, say): ``tasks``
    is then 2-D, one column per factor (or a DataFrame), and a cell ``c`` (a
    combination of levels seen in training) has weights ``W_0 + sum_f
    P_{f, l_f(c)}`` (+ ``I_c`` with ``alpha_interaction``) and its own
    unpenalized intercept, the parts penalized by ``alpha_task`` (a float,
    or a dict mapping every factor name to a float or to a dict of one
    penalty per level). Any combination of seen levels predicts, recorded
    or not: a new one with its levels' parts and the sum of its levels'
    terms fitted to the cells' intercepts (``intercept_factors_``). One
    evaluation costs that of the cells as tasks; ``warm_start`` starts
    from an earlier fit on the same cells; ``shrink_intercepts`` and
    ``fit_batches`` take one-factor tasks.

    Parameters
    ----------
    alpha_shared : float, default=1.0
        Penalty on the shared weights ``W_0``; must be positive.
    alpha_task : float or dict, default=1.0
        Penalty on every task-specific part ``V_t``; must be positive. A
        dict maps every task label to its own penalty ``alpha_task_t``
        (``alpha_task sum_t ||V_t||^2`` above then reads ``sum_t
        alpha_task_t ||V_t||^2``).
    alpha_interaction : float, default=None
        With factored tasks: the penalty of every cell's own part ``I_c``;
        None leaves the cells without one.
    fit_intercept : bool, default=True
        Fit intercepts per task.
    shrink_intercepts : bool, default=False
        Write each task intercept as a shared unpenalized intercept plus a
        task offset penalized by ``alpha_task`` (see above). Ignored when
        ``fit_intercept=False``.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplying the sample weights;
        ``"balanced"`` uses ``n_samples / (n_classes * count(class))`` over
        all tasks together, as scikit-learn does.
    max_iter : int, default=500
        Maximum number of L-BFGS iterations.
    tol : float, default=1e-4
        L-BFGS stops when the largest gradient entry of the objective divided
        by the total sample weight falls below ``tol`` (scikit-learn's
        ``LogisticRegression`` criterion).
    merge_duplicates : bool or "auto", default="auto"
        Merge samples with identical task and ``x`` into one row holding the
        summed weight of each class; the objective, hence the fit, is
        unchanged. Categorical inputs make such rows common. ``"auto"``
        merges when a hash of the rows finds at most 3/4 of them distinct.
        Sparse rows are grouped by a hash and the groups checked exactly
        (nothing is merged on a collision).
    unseen_tasks : {"error", "shared"}, default="error"
        What prediction does with a task label not seen in training: raise,
        or predict with ``coef_shared_`` and ``intercept_shared_``. With
        factors, an unseen level of one factor raises, or leaves out that
        factor's part.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution (tasks matched by label, a
        new task's part from zeros) when the classes and features are the
        same; the optimum is the same, reached in fewer iterations from a
        nearby one (a fit on a subsample of the rows, or at nearby
        penalties).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in training, over all tasks.
    coef_ : ndarray of shape (n_tasks, m, n_features)
        Weights of every task, ``W_0 + V_t`` (transposed); ``m = 1`` for two
        classes, else ``n_classes``.
    coef_shared_ : ndarray of shape (m, n_features)
        Shared weights ``W_0``.
    coef_task_ : ndarray of shape (n_tasks, m, n_features)
        Task-specific weights ``V_t``.
    intercept_ : ndarray of shape (n_tasks, m)
        Intercept of every task (zeros if ``fit_intercept=False``).
    intercept_shared_ : ndarray of shape (m,)
        Intercept used with ``coef_shared_`` for unseen tasks: ``b_0`` with
        ``shrink_intercepts=True``, else the mean of the task intercepts
        weighted by each task's total sample weight.
    tasks_ : ndarray of shape (n_tasks,) or (n_cells, n_factors)
        Sorted task labels seen in training (``[0]`` if ``tasks=None``);
        with factors, the levels of every cell seen (the rows of ``coef_``).
    factors_, levels_ : list
        With factors: the factors' names, and every factor's sorted levels.
    coef_factors_ : list of ndarray
        With factors: every factor's parts ``P_{f, k}``, of shape
        ``(n_levels_f, m, n_features)``.
    coef_interaction_ : ndarray or None
        With factors and ``alpha_interaction``: every cell's part ``I_c``.
    intercept_factors_ : list of ndarray
        With factors: every factor's intercept terms, added to
        ``intercept_shared_`` for a cell not seen in training.
    n_iter_ : int
        Number of L-BFGS iterations run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The single-task model.
    SharedLeastSquares : The same sharing for least squares.

    References
    ----------
    .. [1] T. Evgeniou and M. Pontil, "Regularized multi-task learning",
       KDD 2004.
    .. [2] H. Daume III, "Frustratingly easy domain adaptation", ACL 2007.
    .. [3] A. L. Berger, S. A. Della Pietra and V. J. Della Pietra, "A maximum
       entropy approach to natural language processing", Computational
       Linguistics 22(1), 1996.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import MaxEntClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 2))
    >>> tasks = np.repeat(["en-US", "en-GB", "en-029"], 30)
    >>> y = np.where(X[:, 0] + 0.5 * (tasks == "en-GB") * X[:, 1] > 0, "v", "uv")
    >>> model = MaxEntClassifier(alpha_shared=0.1).fit(X, y, tasks=tasks)
    >>> model.classes_.tolist(), model.coef_.shape
    (['uv', 'v'], (3, 1, 2))
    >>> model.predict_proba(X[:2], tasks=["en-GB", "en-US"]).sum(axis=1)
    array([1., 1.])
    """

    _parameter_constraints: dict = {
        "alpha_shared": [Interval(Real, 0, None, closed="neither")],
        "alpha_task": [Interval(Real, 0, None, closed="neither"), dict],
        "alpha_interaction": [Interval(Real, 0, None, closed="neither"), None],
        "fit_intercept": ["boolean"],
        "shrink_intercepts": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "merge_duplicates": ["boolean", StrOptions({"auto"})],
        "unseen_tasks": [StrOptions({"error", "shared"})],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        alpha_shared=1.0,
        alpha_task=1.0,
        *,
        alpha_interaction=None,
        fit_intercept=True,
        shrink_intercepts=False,
        class_weight=None,
        max_iter=500,
        tol=1e-4,
        merge_duplicates="auto",
        unseen_tasks="error",
        warm_start=False,
    ):
        self.alpha_shared = alpha_shared
        self.alpha_task = alpha_task
        self.alpha_interaction = alpha_interaction
        self.fit_intercept = fit_intercept
        self.shrink_intercepts = shrink_intercepts
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol
        self.merge_duplicates = merge_duplicates
        self.unseen_tasks = unseen_tasks
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, tasks=None, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs; sparse ones are converted to CSR and used
            through sparse-dense products, never densified.
        y : array-like of shape (n_samples,)
            Class labels.
        tasks : array-like of shape (n_samples,), default=None
            Task label (int or str) of each sample; ``None`` means one task.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : MaxEntClassifier
            The fitted model.
        """
        start = factored_start(self) if self.warm_start else None
        for name in FACTOR_ATTRIBUTES:  # a refit drops an earlier fit's factors
            self.__dict__.pop(name, None)
        if is_factored(tasks):
            result = fit_factored(self, X, y, tasks, sample_weight, start)
            self._warn_unconverged(result)
            return self
        previous = self._previous_fit()
        X, y, labels, codes, weight = self._validate_fit_data(
            X, y, tasks, sample_weight, accept_sparse="csr"
        )
        alpha_task = task_penalties(self.alpha_task, labels)
        rows = self._prepare(X, y, codes, len(labels), weight)
        theta0 = None if previous is None else self._start_from(previous, labels)
        largest = max(len(range(rows.X.shape[0])[g]) for g in rows.groups)
        with self._blas_limit(largest, rows.X.shape[1]):  # (sorted: slices)
            result = self._solve(rows, self.alpha_shared, alpha_task, theta0)
        return self._store(result, labels, rows)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_batches(self, batches):
        """Fit the model on rows too many to hold, read batch by batch.

        The objective and its gradient are sums over rows, so every
        evaluation reads each batch, adds its part and releases it: memory
        holds a batch per thread (as many threads as BLAS has) and the
        coefficients, and the optimum is the one :meth:`fit` finds on the
        stacked rows (``merge_duplicates`` aside, which changes nothing of
        it). Each batch is read once to validate and summarize the rows,
        then once per L-BFGS evaluation; with ``warm_start``, a :meth:`fit`
        on a sample of the rows first leaves few evaluations to make.

        Parameters
        ----------
        batches : sequence
            Every element a tuple ``(X, y, tasks, sample_weight)`` as
            :meth:`fit` takes them (``tasks`` and ``sample_weight`` may be
            None or left out), or a callable without arguments that returns one (reads
            it from disk, say), called once per pass. Every batch has the
            same features; the classes and tasks are those of all batches.

        Returns
        -------
        self : MaxEntClassifier
            The fitted model.
        """
        previous = self._previous_fit()
        batches = list(batches)
        first = batches[0] if batches else None

        def read(batch, validate):
            X, y, *rest = batch() if callable(batch) else batch
            tasks, weight = (*rest, None, None)[:2]
            if validate:
                X, y, labels, codes, weight = self._validate_fit_data(
                    X, y, tasks, weight, accept_sparse="csr", reset=batch is first
                )
                check_classification_targets(y)
                return X, y, labels[codes], weight
            X = X.tocsr() if sparse.issparse(X) else np.asarray(X, dtype=np.float64)
            labels, codes = encode_tasks(tasks, X.shape[0])
            return X, np.asarray(y), labels[codes], check_sample_weight(weight, len(y))

        rows = _BatchRows(batches, read, self.class_weight, blas_thread_count())
        self.classes_ = rows.classes
        if len(self.classes_) < 2:
            self._encode_classes(self.classes_, None)  # raises, naming the class
        alpha_task = task_penalties(self.alpha_task, rows.labels)
        theta0 = None if previous is None else self._start_from(previous, rows.labels)
        result = self._solve(rows, self.alpha_shared, alpha_task, theta0)
        return self._store(result, rows.labels, rows)

    def _previous_fit(self) -> tuple | None:
        """What a warm start starts from: the fitted classes, tasks and
        coefficients, or None."""
        if not (self.warm_start and hasattr(self, "coef_")):
            return None
        return (self.classes_, self.tasks_, self.coef_shared_, self.coef_task_) + (
            self.intercept_,
            self.intercept_shared_,
        )

    def _store(self, result, labels: np.ndarray, rows) -> MaxEntClassifier:
        """Keep a solve's result as the fitted model, warning if it did not
        converge."""
        self.n_iter_ = int(result.nit)
        self._warn_unconverged(result)
        self.tasks_ = labels
        n_features = self.n_features_in_
        self._set_coefficients(result.x, n_features, len(labels), rows.task_weight)
        return self

    def _warn_unconverged(self, result) -> None:
        """A ConvergenceWarning if L-BFGS stopped short of ``tol``."""
        if result.status != 0:
            warnings.warn(
                _unconverged_message(result, self.max_iter),
                ConvergenceWarning,
                stacklevel=4,
            )

    def _start_from(self, previous: tuple, labels: np.ndarray) -> np.ndarray | None:
        """The parameter vector of an earlier fit, laid out on ``labels``
        (see :func:`_unpack`); None where its classes or features differ."""
        classes, known, W0, V, b, b0 = previous
        if not np.array_equal(classes, self.classes_):
            return None
        V = _init_from(labels, (len(labels), *W0.shape), known, V)
        if V is None or W0.shape[1] != self.n_features_in_:
            return None
        parts = [W0.ravel(), V.ravel()]
        offsets = _init_from(labels, (len(labels), len(b0)), known, b - b0)
        kind = self._intercept_kind()
        if kind == "free":  # a new task starts from the shared intercept
            parts.append((offsets + b0).ravel())
        elif kind == "shrunk":
            parts += [b0, offsets.ravel()]
        return np.concatenate(parts)
