"""Penalties on stacked multi-task coefficients.

Every penalty acts on the coefficients of all tasks at once, an array ``W`` of
shape ``(n_tasks, n_features, n_outputs)``. A *non-smooth* penalty offers
``value(W)`` and ``prox(W, step)``; a *smooth* one offers ``value(W)``,
``gradient(W)`` and ``lipschitz(shape)``. Norm penalties (``alpha`` times a
norm) also offer ``dual_norm(V)``, which gives a duality gap and the smallest
``alpha`` with an all-zero solution. Penalties are scikit-learn estimators, so
``GridSearchCV(model, {"penalty__alpha": [...]})`` tunes them. ``+`` adds
penalties into a :class:`SumPenalty` (smooth terms and any number of
non-smooth ones), and :class:`Decomposed` writes the coefficients as a sum of
components with a penalty each (dirty models, robust multi-task learning).
:class:`ClusteredTasks` groups the tasks into clusters (a convex relaxation);
instead of a dual norm it offers its convex conjugate, ``conjugate(V)``, which
gives the duality gap as well.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.utils._param_validation import StrOptions

from mtlsynth._clustered import ClusteredTasks
from mtlsynth._composite import Decomposed, SumPenalty, _Penalty
from mtlsynth._prox import (
    block_soft_threshold,
    linf_shrink,
    soft_threshold,
    svd_shrink,
)

__all__ = [
    "ClusteredTasks",
    "Decomposed",
    "L1",
    "L2",
    "L21",
    "L1Inf",
    "SumPenalty",
    "TaskGraph",
    "TraceNorm",
]


class L1(_Penalty):
    """Lasso penalty on every coefficient of every task.

    ::

        alpha * sum_{t, j, k} |W[t, j, k]|

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.penalties import L1
    >>> float(L1(alpha=0.5).value(np.array([[[1.0], [-2.0]]])))
    1.5
    """

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def value(self, W):
        """Penalty value; see the class docstring for the formula.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        value : float
            Penalty value.
        """
        return self.alpha * float(np.abs(W).sum())

    def prox(self, W, step):
        """Entry-wise soft-thresholding at ``step * alpha``.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.
        step : float
            Step size; the threshold is ``step * alpha``.

        Returns
        -------
        prox : ndarray of shape (n_tasks, n_features, n_outputs)
            Minimizer of ``0.5 ||Z - W||^2 + step * penalty(Z)``.
        """
        return soft_threshold(W, step * self.alpha)

    def dual_norm(self, V):
        """Largest absolute entry (the dual of the l1 norm).

        Parameters
        ----------
        V : ndarray of shape (n_tasks, n_features, n_outputs)
            Array in the coefficient layout, e.g. a gradient.

        Returns
        -------
        norm : float
            Dual norm of ``V``.
        """
        return float(np.abs(V).max(initial=0.0))


class L21(_Penalty):
    """Joint feature selection: the l2,1 norm of feature groups across tasks.

    With ``group="feature"`` the group of feature ``j`` holds its coefficients
    in every task and every output, so a feature is kept or dropped for all of
    them (one task with several outputs is scikit-learn's MultiTaskLasso)::

        alpha * sum_j ||W[:, j, :]||_2

    With ``group="feature_output"`` each output selects its own features,
    shared across tasks::

        alpha * sum_{j, k} ||W[:, j, k]||_2

    With ``group="task"`` the group of task ``t`` holds all its coefficients
    (one column of the ``features x tasks`` matrix), so whole tasks are kept
    or set to zero: the outlier tasks of robust multi-task learning (Chen,
    Zhou and Ye, 2011), with :class:`Decomposed`::

        alpha * sum_t ||W[t]||_F

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, non-negative.
    group : {"feature", "feature_output", "task"}, default="feature"
        What one group holds, as above.

    References
    ----------
    .. [1] A. Argyriou, T. Evgeniou and M. Pontil, "Convex multi-task feature
       learning", Machine Learning 73(3), 2008.
    .. [2] G. Obozinski, B. Taskar and M. I. Jordan, "Joint covariate
       selection and joint subspace selection for multiple classification
       problems", Statistics and Computing 20(2), 2010.
    .. [3] J. Chen, J. Zhou and J. Ye, "Integrating low-rank and group-sparse
       structures for robust multi-task learning", KDD 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.penalties import L21
    >>> W = np.array([[[3.0], [0.0]], [[4.0], [1.0]]])  # 2 tasks, 2 features
    >>> float(L21(alpha=1.0).value(W))
    6.0
    """

    _parameter_constraints: dict = {
        **_Penalty._parameter_constraints,
        "group": [StrOptions({"feature", "feature_output", "task"})],
    }

    def __init__(self, alpha=1.0, *, group="feature"):
        self.alpha = alpha
        self.group = group

    def _axes(self):
        return {"feature": (0, 2), "feature_output": 0, "task": (1, 2)}[self.group]

    def _group_norms(self, W):
        return np.sqrt(np.sum(W * W, axis=self._axes()))

    def value(self, W):
        """Penalty value; see the class docstring for the formula.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        value : float
            Penalty value.
        """
        return self.alpha * float(self._group_norms(W).sum())

    def prox(self, W, step):
        """Group soft-thresholding at ``step * alpha``.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.
        step : float
            Step size; the threshold is ``step * alpha``.

        Returns
        -------
        prox : ndarray of shape (n_tasks, n_features, n_outputs)
            Minimizer of ``0.5 ||Z - W||^2 + step * penalty(Z)``.
        """
        return block_soft_threshold(W, step * self.alpha, axis=self._axes())

    def dual_norm(self, V):
        """Largest group norm (the dual of the l2,1 norm).

        Parameters
        ----------
        V : ndarray of shape (n_tasks, n_features, n_outputs)
            Array in the coefficient layout, e.g. a gradient.

        Returns
        -------
        norm : float
            Dual norm of ``V``.
        """
        return float(self._group_norms(V).max(initial=0.0))


class L1Inf(_Penalty):
    """Joint feature selection with the l1,inf norm of feature groups.

    Groups as in :class:`L21`: with ``group="feature"`` the group of feature
    ``j`` holds its coefficients in every task and output::

        alpha * sum_j max_{t, k} |W[t, j, k]|

    and with ``group="feature_output"`` one group per feature and output::

        alpha * sum_{j, k} max_t |W[t, j, k]|

    A kept feature costs its largest coefficient, so the other tasks use it
    up to that size for free: the tasks share the support and are pulled to
    similar magnitudes. The proximal operator is the Moreau decomposition
    ``prox(v) = v - projection of v onto the l1 ball of radius step *
    alpha``, group by group (:func:`~mtlsynth._prox.project_l1_ball`); the
    dual norm, which gives the duality gap, is the largest group l1 norm.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, non-negative.
    group : {"feature", "feature_output"}, default="feature"
        What one group holds, as above.

    References
    ----------
    .. [1] B. A. Turlach, W. N. Venables and S. J. Wright, "Simultaneous
       variable selection", Technometrics 47(3), 2005.
    .. [2] A. Quattoni, X. Carreras, M. Collins and T. Darrell, "An efficient
       projection for l1,infinity regularization", ICML 2009.
    .. [3] J. Duchi, S. Shalev-Shwartz, Y. Singer and T. Chandra, "Efficient
       projections onto the l1-ball for learning in high dimensions", ICML
       2008.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.penalties import L1Inf
    >>> W = np.array([[[3.0], [0.0]], [[-4.0], [1.0]]])  # 2 tasks, 2 features
    >>> float(L1Inf(alpha=1.0).value(W))
    5.0
    """

    _parameter_constraints: dict = {
        **_Penalty._parameter_constraints,
        "group": [StrOptions({"feature", "feature_output"})],
    }

    def __init__(self, alpha=1.0, *, group="feature"):
        self.alpha = alpha
        self.group = group

    def _axes(self):
        return (0, 2) if self.group == "feature" else 0

    def value(self, W):
        """Penalty value; see the class docstring for the formula.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        value : float
            Penalty value.
        """
        if W.size == 0:
            return 0.0
        return self.alpha * float(np.abs(W).max(axis=self._axes()).sum())

    def prox(self, W, step):
        """Group l-infinity shrinkage at ``step * alpha``.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.
        step : float
            Step size; the threshold is ``step * alpha``.

        Returns
        -------
        prox : ndarray of shape (n_tasks, n_features, n_outputs)
            Minimizer of ``0.5 ||Z - W||^2 + step * penalty(Z)``.
        """
        return linf_shrink(W, step * self.alpha, axis=self._axes())

    def dual_norm(self, V):
        """Largest group l1 norm (the dual of the l1,inf norm).

        Parameters
        ----------
        V : ndarray of shape (n_tasks, n_features, n_outputs)
            Array in the coefficient layout, e.g. a gradient.

        Returns
        -------
        norm : float
            Dual norm of ``V``.
        """
        return float(np.abs(V).sum(axis=self._axes()).max(initial=0.0))


def _task_matrix(W):
    """The ``n_features x (n_tasks * n_outputs)`` matrix of stacked coefficients."""
    n_tasks, d, q = W.shape
    return W.transpose(1, 0, 2).reshape(d, n_tasks * q)


class TraceNorm(_Penalty):
    """Low-rank coupling: nuclear norm of the stacked task coefficients.

    With ``M = [W_1 ... W_T]`` the ``n_features x (n_tasks * n_outputs)``
    matrix of all task coefficients side by side::

        alpha * ||M||_*  (sum of singular values)

    Its proximal operator soft-thresholds the singular values, so the tasks
    share a low-dimensional subspace of the features.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, non-negative.

    References
    ----------
    .. [1] S. Ji and J. Ye, "An accelerated gradient method for trace norm
       minimization", ICML 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.penalties import TraceNorm
    >>> W = np.zeros((2, 3, 1)); W[:, 0, 0] = [3.0, 4.0]
    >>> float(TraceNorm(alpha=1.0).value(W))
    5.0
    """

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def value(self, W):
        """Penalty value; see the class docstring for the formula.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        value : float
            Penalty value.
        """
        s = np.linalg.svd(_task_matrix(W), compute_uv=False)
        return self.alpha * float(s.sum())

    def prox(self, W, step):
        """Singular-value soft-thresholding at ``step * alpha``.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.
        step : float
            Step size; the threshold is ``step * alpha``.

        Returns
        -------
        prox : ndarray of shape (n_tasks, n_features, n_outputs)
            Minimizer of ``0.5 ||Z - W||^2 + step * penalty(Z)``.
        """
        n_tasks, d, q = W.shape
        M = svd_shrink(_task_matrix(W), step * self.alpha)
        return M.reshape(d, n_tasks, q).transpose(1, 0, 2)

    def dual_norm(self, V):
        """Largest singular value (the dual of the nuclear norm).

        Parameters
        ----------
        V : ndarray of shape (n_tasks, n_features, n_outputs)
            Array in the coefficient layout, e.g. a gradient.

        Returns
        -------
        norm : float
            Dual norm of ``V``.
        """
        M = _task_matrix(V)
        if M.size == 0:
            return 0.0
        return float(np.linalg.norm(M, ord=2))


class L2(_Penalty):
    """Ridge penalty on every coefficient of every task (smooth).

    ::

        alpha / 2 * sum_{t, j, k} W[t, j, k]^2

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.penalties import L2
    >>> float(L2(alpha=2.0).value(np.ones((1, 3, 1))))
    3.0
    """

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def value(self, W):
        """Penalty value; see the class docstring for the formula.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        value : float
            Penalty value.
        """
        return 0.5 * self.alpha * float(np.sum(W * W))

    def gradient(self, W):
        """Gradient ``alpha * W``.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        grad : ndarray of shape (n_tasks, n_features, n_outputs)
            Gradient of the penalty at ``W``.
        """
        return self.alpha * W

    def lipschitz(self, shape):
        """Lipschitz constant ``alpha`` of the gradient.

        Parameters
        ----------
        shape : tuple of int
            Shape ``(n_tasks, n_features, n_outputs)`` of the coefficients.

        Returns
        -------
        lipschitz : float
            Lipschitz constant of the gradient.
        """
        return float(self.alpha)


class TaskGraph(_Penalty):
    """Smooth coupling of related tasks through a task graph.

    With ``R`` the task relation matrix (``n_tasks`` columns) and, for every
    feature ``j`` and output ``k``, the vector ``w_jk = W[:, j, k]`` of that
    coefficient across tasks::

        alpha * ||W R||_F^2 = alpha * sum_{j, k} w_jk' (R R') w_jk

    ``graph="mean"`` takes ``R = I - 11'/T``: every task is pulled towards the
    mean task, ``alpha * sum_t ||W_t - mean_s W_s||^2``. A symmetric
    non-negative adjacency (similarity) matrix ``A`` takes ``R R' = D - A``,
    its graph Laplacian: ``alpha * sum_{s < t} A_st ||W_s - W_t||^2``. Rows and
    columns of ``A`` follow the sorted task labels (``tasks_``).

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, non-negative.
    graph : "mean" or array-like of shape (n_tasks, n_tasks), default="mean"
        Task relations, as above.

    References
    ----------
    .. [1] J. Zhou, J. Chen and J. Ye, "MALSAR: Multi-tAsk Learning via
       StructurAl Regularization", Arizona State University, 2011 (SRMTL).
    .. [2] T. Evgeniou, C. A. Micchelli and M. Pontil, "Learning multiple
       tasks with kernel methods", JMLR 6, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.penalties import TaskGraph
    >>> W = np.array([[[1.0]], [[3.0]]])  # two tasks, one coefficient each
    >>> float(TaskGraph(alpha=1.0).value(W))
    2.0
    """

    _parameter_constraints: dict = {
        **_Penalty._parameter_constraints,
        "graph": [StrOptions({"mean"}), "array-like"],
    }

    def __init__(self, alpha=1.0, *, graph="mean"):
        self.alpha = alpha
        self.graph = graph

    def relation_matrix(self, n_tasks):
        """The ``n_tasks x n_tasks`` matrix ``R R'`` of the penalty.

        Parameters
        ----------
        n_tasks : int
            Number of tasks.

        Returns
        -------
        M : ndarray of shape (n_tasks, n_tasks)
            ``I - 11'/T`` for ``graph="mean"``, else the graph Laplacian.
        """
        if isinstance(self.graph, str):
            return np.eye(n_tasks) - 1.0 / n_tasks
        A = np.asarray(self.graph, dtype=np.float64)
        if A.shape != (n_tasks, n_tasks):
            raise ValueError(
                f"TaskGraph.graph must have shape ({n_tasks}, {n_tasks}), one row "
                f"and column per task; got {A.shape}."
            )
        if not np.all(np.isfinite(A)) or np.any(A < 0) or not np.allclose(A, A.T):
            raise ValueError(
                "TaskGraph.graph must be a symmetric, finite, non-negative "
                "adjacency matrix."
            )
        return np.diag(A.sum(axis=1)) - A

    def value(self, W):
        """Penalty value; see the class docstring for the formula.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        value : float
            Penalty value.
        """
        M = self.relation_matrix(W.shape[0])
        return self.alpha * float(np.einsum("sjk,st,tjk->", W, M, W))

    def gradient(self, W):
        """Gradient ``2 alpha (R R') W`` (acting on the task axis).

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        grad : ndarray of shape (n_tasks, n_features, n_outputs)
            Gradient of the penalty at ``W``.
        """
        M = self.relation_matrix(W.shape[0])
        return 2.0 * self.alpha * np.einsum("st,tjk->sjk", M, W)

    def lipschitz(self, shape):
        """Lipschitz constant ``2 alpha lambda_max(R R')`` of the gradient.

        Parameters
        ----------
        shape : tuple of int
            Shape ``(n_tasks, n_features, n_outputs)`` of the coefficients.

        Returns
        -------
        lipschitz : float
            Lipschitz constant of the gradient.
        """
        M = self.relation_matrix(shape[0])
        return 2.0 * self.alpha * float(max(linalg.eigvalsh(M)[-1], 0.0))
