"""Clustered multi-task learning: a convex penalty that groups the tasks.

The penalty depends on the coefficients only through the singular values of
the ``n_tasks x (n_features * n_outputs)`` matrix of flattened tasks, so its
value, proximal operator, convex conjugate and the relaxed cluster matrix all
come from the eigendecomposition of a small Gram matrix and a water-filling
problem (:func:`~mtlsynth._prox.capped_water_filling`). Re-exported by
:mod:`mtlsynth.penalties`.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from mtlsynth._composite import _Penalty
from mtlsynth._prox import capped_water_filling

__all__ = ["ClusteredTasks"]


def _shorter_side_spectrum(W):
    """Singular values of the flattened tasks and the vectors of the shorter side.

    From the eigendecomposition of the Gram matrix of the shorter side of the
    ``n_tasks x (n_features * n_outputs)`` matrix ``A`` (``A A'`` when there
    are fewer tasks than coefficients per task, else ``A' A``): one matrix
    product and a small symmetric eigenproblem instead of an SVD of ``A``
    (as :func:`~mtlsynth._prox.svd_shrink` does). The singular values come in
    decreasing order, padded with zeros to ``n_tasks``.
    """
    A = np.reshape(W, (W.shape[0], -1))
    wide = A.shape[0] <= A.shape[1]
    w, V = np.linalg.eigh(A @ A.T if wide else A.T @ A)
    s = np.sqrt(np.maximum(w[::-1], 0.0))
    return A, np.concatenate([s, np.zeros(A.shape[0] - s.size)]), V[:, ::-1], wide


class ClusteredTasks(_Penalty):
    """Clustered multi-task learning (convex relaxation, MALSAR's CMTL).

    With ``w_t`` the coefficients of task ``t`` flattened (all features and
    outputs), ``W = [w_1 ... w_T]`` the ``(n_features * n_outputs) x
    n_tasks`` matrix with one column per task and ``k = n_clusters``, the
    penalty of MALSAR's ``Least_CMTL(X, Y, rho1=alpha, rho2=beta, k)``::

        alpha * eta * (1 + eta) * min_M tr(W (eta I + M)^-1 W')
            over M symmetric, 0 <= M <= I, tr(M) = k,    eta = beta / alpha

    For ``M = F F'``, with ``F`` the normalized indicator matrix of a
    partition of the tasks into ``k`` clusters, the term in the minimum is::

        alpha * sum_t ||w_t - mean of w over the cluster of t||^2 + beta ||W||_F^2

    (k-means of the tasks' models plus a ridge); the relaxation lets ``M``
    range over the convex hull of the rank-``k`` orthogonal projections (of
    which ``F F'`` is one), which makes the penalty convex in ``W``.
    It lies between ``beta ||W||_F^2`` and ``(alpha + beta) ||W||_F^2``; with
    ``n_clusters = n_tasks`` (``M = I``) it is the ridge ``beta ||W||_F^2``,
    and with ``alpha = 0`` too.

    The penalty depends on the singular values ``s_i`` of ``W`` only (padded
    with zeros to ``n_tasks``); the best ``M`` shares the eigenvectors of
    ``W' W``, with eigenvalues ``m`` minimizing a water-filling problem::

        beta (alpha + beta) * min sum_i s_i^2 / (beta + alpha m_i)
            over 0 <= m_i <= 1, sum_i m_i = k

    whose solution is exact (:func:`~mtlsynth._prox.capped_water_filling`).
    The proximal operator is exact too: ``m`` from the same problem with
    ``beta`` raised by ``2 step beta (alpha + beta)``, then ``s_i`` scaled by
    ``u_i / (u_i + 2 step beta (alpha + beta))`` with ``u_i = beta + alpha
    m_i``, so the accelerated proximal gradient solver handles it with the
    step of the datafit alone. The convex conjugate is closed form,
    ``(beta ||V||_F^2 + alpha * (sum of the k largest s_i(V)^2)) / (4 beta
    (alpha + beta))``, which gives the solver a duality gap
    (:meth:`conjugate`). :meth:`task_cluster_matrix` returns the best ``M``,
    the relaxed clustering: close to block diagonal, ``1 / n_c`` within a
    cluster of ``n_c`` tasks.

    MALSAR sums the squared errors of all ``n`` rows, ``0.5 sum_t ||Y_t - X_t
    W_t||^2``, without intercepts: its ``Least_CMTL(X, Y, rho1, rho2, k)`` is
    ``ProximalRegressor(ClusteredTasks(rho1 / n, rho2 / n, k),
    task_weighting="samples", fit_intercept=False)``.

    Parameters
    ----------
    alpha : float, default=1.0
        ``rho1``: weight of the spread of the tasks within their clusters,
        non-negative.
    beta : float, default=1.0
        ``rho2``: weight of the ridge on all coefficients, positive.
    n_clusters : int, default=2
        ``k``: number of clusters, from 1 to the number of tasks.

    See Also
    --------
    TaskGraph : Tasks pulled together along a given graph.
    mtlsynth.task_similarity : Correlations of :meth:`task_cluster_matrix`
        for a model fitted with this penalty.

    References
    ----------
    .. [1] J. Zhou, J. Chen and J. Ye, "Clustered multi-task learning via
       alternating structure optimization", NIPS 2011.
    .. [2] L. Jacob, F. Bach and J.-P. Vert, "Clustered multi-task learning: a
       convex formulation", NIPS 2008.
    .. [3] J. Zhou, J. Chen and J. Ye, "MALSAR: Multi-tAsk Learning via
       StructurAl Regularization", Arizona State University, 2011 (CMTL).

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.penalties import ClusteredTasks
    >>> W = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])[:, :, None]
    >>> pen = ClusteredTasks(alpha=1.0, beta=0.5, n_clusters=2)
    >>> round(pen.value(W), 12)  # two exact clusters: beta ||W||^2
    2.0
    >>> np.round(pen.task_cluster_matrix(W), 3) + 0.0
    array([[0.5, 0.5, 0. , 0. ],
           [0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5],
           [0. , 0. , 0.5, 0.5]])
    """

    _parameter_constraints: dict = {
        **_Penalty._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="neither")],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, alpha=1.0, beta=1.0, n_clusters=2):
        self.alpha = alpha
        self.beta = beta
        self.n_clusters = n_clusters

    def _scale(self):
        """``beta (alpha + beta)``, the ``c`` of MALSAR times ``alpha``."""
        return float(self.beta) * (float(self.alpha) + float(self.beta))

    def _check_tasks(self, n_tasks):
        if self.n_clusters > n_tasks:
            raise ValueError(
                f"ClusteredTasks.n_clusters={self.n_clusters} exceeds the number "
                f"of tasks, {n_tasks}; use at most {n_tasks} clusters."
            )

    def _weights(self, s, step):
        """Eigenvalues of the best ``M`` for singular values ``s`` (prox ``step``)."""
        self._check_tasks(s.size)
        raised = float(self.beta) + 2.0 * step * self._scale()
        offset = raised / self.alpha if self.alpha > 0 else np.inf
        return capped_water_filling(s, offset, self.n_clusters)

    def _inverse_weights(self, m):
        """Cost ``beta (alpha + beta) / (beta + alpha m_i)`` of each ``s_i^2``."""
        return self._scale() / (self.beta + self.alpha * m)

    def value(self, W):
        """Penalty value; see the class docstring for the formula.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks; any array with one leading row
            per task (such as ``coef_``) gives the same value.

        Returns
        -------
        value : float
            Penalty value.
        """
        s = _shorter_side_spectrum(W)[1]
        m = self._weights(s, 0.0)
        return float(np.sum(s * s * self._inverse_weights(m)))

    def prox(self, W, step):
        """Exact proximal operator, on the singular values of the tasks.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.
        step : float
            Step size multiplying the penalty.

        Returns
        -------
        prox : ndarray of shape (n_tasks, n_features, n_outputs)
            Minimizer of ``0.5 ||Z - W||^2 + step * penalty(Z)``.
        """
        A, s, V, wide = _shorter_side_spectrum(W)
        u = self.beta + self.alpha * self._weights(s, step)
        shrink = (u / (u + 2.0 * step * self._scale()))[: V.shape[0]]
        B = (V * shrink) @ V.T
        return np.reshape(B @ A if wide else A @ B, np.shape(W))

    def conjugate(self, V):
        """Convex conjugate ``sup_W <V, W> - penalty(W)``, closed form.

        With ``s_i`` the singular values of the flattened tasks of ``V`` and
        ``k = n_clusters``: ``(beta sum_i s_i^2 + alpha sum_{i <= k} s_i^2) /
        (4 beta (alpha + beta))``, the largest ``s_i`` first.

        Parameters
        ----------
        V : ndarray of shape (n_tasks, n_features, n_outputs)
            Array in the coefficient layout, e.g. a gradient.

        Returns
        -------
        conjugate : float
            The conjugate at ``V``.
        """
        s = _shorter_side_spectrum(V)[1]
        self._check_tasks(s.size)
        top = float(np.sum(s[: self.n_clusters] ** 2))
        total = float(np.sum(s * s))
        return (self.beta * total + self.alpha * top) / (4.0 * self._scale())

    def task_cluster_matrix(self, W):
        """The best ``M`` for coefficients ``W``: the relaxed task clustering.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, ...)
            Coefficients with one leading row per task, such as ``coef_`` of
            a fitted estimator or the stacked ``(n_tasks, n_features,
            n_outputs)`` array.

        Returns
        -------
        M : ndarray of shape (n_tasks, n_tasks)
            Symmetric, eigenvalues in ``[0, 1]`` adding up to ``n_clusters``;
            for tasks in ``k`` well separated clusters close to the block
            diagonal matrix with ``1 / n_c`` in the block of a cluster of
            ``n_c`` tasks. Rows follow the tasks of ``W`` (``tasks_``).
        """
        A = np.reshape(np.asarray(W, dtype=float), (len(W), -1))
        w, U = np.linalg.eigh(A @ A.T)
        m = self._weights(np.sqrt(np.maximum(w, 0.0)), 0.0)
        M = (U * m) @ U.T
        return 0.5 * (M + M.T)
