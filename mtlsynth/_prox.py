"""Proximal operators of the norms used as multi-task penalties.

Pure functions on NumPy arrays. Each returns the minimizer of
``0.5 ||x - v||^2 + threshold * norm(x)`` for its norm.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "block_soft_threshold",
    "capped_water_filling",
    "linf_shrink",
    "project_l1_ball",
    "prox_of_sum",
    "soft_threshold",
    "squared_l1_prox",
    "svd_shrink",
]


def soft_threshold(v: np.ndarray, threshold: float) -> np.ndarray:
    """Proximal operator of ``threshold * ||x||_1`` (entry-wise shrinkage).

    Parameters
    ----------
    v : ndarray
        Point to shrink.
    threshold : float
        Non-negative threshold.

    Returns
    -------
    x : ndarray of the shape of ``v``
        ``sign(v) * max(|v| - threshold, 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> soft_threshold(np.array([-2.0, 0.5, 3.0]), 1.0).tolist()
    [-1.0, 0.0, 2.0]
    """
    return np.sign(v) * np.maximum(np.abs(v) - threshold, 0.0)


def block_soft_threshold(v: np.ndarray, threshold: float, axis) -> np.ndarray:
    """Proximal operator of ``threshold * sum_g ||x_g||_2`` (group shrinkage).

    Parameters
    ----------
    v : ndarray
        Point to shrink.
    threshold : float
        Non-negative threshold.
    axis : int or tuple of int
        Axes spanning one group; every index over the remaining axes is a
        group.

    Returns
    -------
    x : ndarray of the shape of ``v``
        Each group scaled by ``max(1 - threshold / ||v_g||, 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> block_soft_threshold(np.array([[3.0, 4.0], [0.3, 0.4]]), 1.0, axis=1)
    array([[2.4, 3.2],
           [0. , 0. ]])
    """
    norms = np.sqrt(np.sum(v * v, axis=axis, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norms > threshold, 1.0 - threshold / norms, 0.0)
    return v * scale


def svd_shrink(v: np.ndarray, threshold: float) -> np.ndarray:
    """Proximal operator of ``threshold * ||x||_*`` (singular-value shrinkage).

    The singular values and left vectors come from the eigendecomposition of
    the Gram matrix of the shorter side (``v v'`` for a wide ``v``), which
    costs a fraction of a full SVD; shrinking then needs only the projection
    onto the kept vectors. When the threshold falls below the precision the
    Gram matrix carries (``threshold**2 < 1e-8 * s_max**2``), the thin SVD
    is used instead.

    Parameters
    ----------
    v : ndarray of shape (m, n)
        Matrix to shrink.
    threshold : float
        Non-negative threshold.

    Returns
    -------
    x : ndarray of shape (m, n)
        ``U diag(max(s - threshold, 0)) V'`` from the thin SVD ``v = U diag(s) V'``.

    Examples
    --------
    >>> import numpy as np
    >>> svd_shrink(np.diag([3.0, 0.5]), 1.0)
    array([[2., 0.],
           [0., 0.]])
    """
    if v.shape[0] > v.shape[1]:
        return svd_shrink(v.T, threshold).T
    w, U = np.linalg.eigh(v @ v.T)
    if threshold**2 < 1e-8 * w[-1]:
        U, s, Vt = np.linalg.svd(v, full_matrices=False)
        s = np.maximum(s - threshold, 0.0)
        keep = s > 0
        return (U[:, keep] * s[keep]) @ Vt[keep]
    keep = w > threshold**2
    U = U[:, keep]
    scale = 1.0 - threshold / np.sqrt(w[keep])
    return (U * scale) @ (U.T @ v)


def _groups_as_rows(v: np.ndarray, axis):
    """``v`` as a 2-D array with one group per row, and the way back."""
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axes = tuple(int(a) % v.ndim for a in axes)
    perm = [a for a in range(v.ndim) if a not in axes] + list(axes)
    moved = np.transpose(v, perm)
    size = int(np.prod([v.shape[a] for a in axes]))
    rows = moved.reshape(-1, size)

    def back(out: np.ndarray) -> np.ndarray:
        return np.transpose(out.reshape(moved.shape), np.argsort(perm))

    return rows, back


def project_l1_ball(v: np.ndarray, radius: float, axis) -> np.ndarray:
    """Euclidean projection of every group onto the l1 ball of ``radius``.

    The sort-based algorithm of Duchi et al. (2008), vectorized over groups:
    with ``u`` a group's absolute values sorted in decreasing order and
    ``rho`` the largest ``k`` such that ``u_k > (u_1 + .. + u_k - radius) /
    k``, the group is shrunk by ``theta = (u_1 + .. + u_rho - radius) / rho``.
    ``O(m log m)`` for a group of ``m`` entries.

    Parameters
    ----------
    v : ndarray
        Point to project.
    radius : float
        Non-negative radius of the ball.
    axis : int or tuple of int
        Axes spanning one group; every index over the remaining axes is a
        group.

    Returns
    -------
    x : ndarray of the shape of ``v``
        Groups with l1 norm at most ``radius`` are unchanged; the others are
        soft-thresholded at their ``theta``, onto the sphere.

    References
    ----------
    .. [1] J. Duchi, S. Shalev-Shwartz, Y. Singer and T. Chandra, "Efficient
       projections onto the l1-ball for learning in high dimensions", ICML
       2008.

    Examples
    --------
    >>> import numpy as np
    >>> project_l1_ball(np.array([[3.0, 1.0], [0.2, -0.3]]), 1.0, axis=1)
    array([[ 1. ,  0. ],
           [ 0.2, -0.3]])
    """
    if radius <= 0:
        return np.zeros_like(v)
    rows, back = _groups_as_rows(v, axis)
    a = np.abs(rows)
    if a.size == 0:
        return v.copy()
    u = -np.sort(-a, axis=1)
    cs = np.cumsum(u, axis=1)
    k = np.arange(1, u.shape[1] + 1)
    rho = np.count_nonzero(u * k > cs - radius, axis=1)
    outside = a.sum(axis=1) > radius
    rho = np.maximum(rho, 1)
    theta = (cs[np.arange(len(rho)), rho - 1] - radius) / rho
    theta = np.where(outside, np.maximum(theta, 0.0), 0.0)
    return back(np.sign(rows) * np.maximum(a - theta[:, None], 0.0))


def linf_shrink(v: np.ndarray, threshold: float, axis) -> np.ndarray:
    """Proximal operator of ``threshold * sum_g ||x_g||_inf`` (group l-infinity).

    By the Moreau decomposition, ``v`` minus its projection onto the l1 ball
    of radius ``threshold`` (the dual ball), group by group.

    Parameters
    ----------
    v : ndarray
        Point to shrink.
    threshold : float
        Non-negative threshold.
    axis : int or tuple of int
        Axes spanning one group, as in :func:`project_l1_ball`.

    Returns
    -------
    x : ndarray of the shape of ``v``
        Groups with l1 norm at most ``threshold`` become zero; in the others
        the largest magnitudes are clipped to a common level.

    Examples
    --------
    >>> import numpy as np
    >>> linf_shrink(np.array([[3.0, 1.0], [0.2, -0.3]]), 1.0, axis=1)
    array([[2., 1.],
           [0., 0.]])
    """
    return v - project_l1_ball(v, threshold, axis)


def prox_of_sum(
    v: np.ndarray,
    proxes,
    step: float,
    *,
    subgradients=None,
    tol: float = 0.0,
    max_iter: int = 10_000,
):
    """Proximal operator of a sum of functions, each known by its own prox.

    Computes ``x = argmin 0.5 ||x - v||^2 + step * sum_i g_i(x)`` by the
    parallel Dykstra-like proximal algorithm (Combettes and Pesquet, 2011,
    with weights ``1 / m`` for ``m`` functions)::

        x = v - step * sum_i q_i
        repeat:  y_i = prox_{m step g_i}(x + m step q_i)
                 q_i <- q_i + (x - y_i) / (m step)
                 x <- mean_i y_i

    It is exact alternating minimization of the dual problem ``min_q sum_i
    g_i*(q_i) + step / 2 ||v / step - sum_i q_i||^2`` (in the product space
    of the ``m`` copies and their diagonal), so it converges from any
    starting ``q`` (a warm start). Throughout, ``sum_i q_i = (v - x) / step``
    and every ``q_i`` is a subgradient of ``g_i`` (at ``y_i``): for a norm,
    a point of its dual ball.

    Parameters
    ----------
    v : ndarray
        Point to shrink.
    proxes : sequence of callable
        ``prox_i(z, s)``: minimizer of ``0.5 ||x - z||^2 + s g_i(x)``.
    step : float
        Positive step ``step``.
    subgradients : list of ndarray, default=None
        Starting ``q_i`` (e.g. from the previous call); zeros by default.
    tol : float, default=0.0
        Stop when an iteration moves ``x`` by at most ``tol`` (Euclidean).
    max_iter : int, default=10000
        Maximum number of iterations.

    Returns
    -------
    x : ndarray of the shape of ``v``
        The proximal point (to the tolerance).
    subgradients : list of ndarray
        The final ``q_i``.
    n_iter : int
        Iterations run.

    References
    ----------
    .. [1] P. L. Combettes and J.-C. Pesquet, "Proximal splitting methods in
       signal processing", in Fixed-Point Algorithms for Inverse Problems in
       Science and Engineering, Springer, 2011 (parallel Dykstra-like
       proximal algorithm).
    .. [2] H. H. Bauschke and P. L. Combettes, "A Dykstra-like algorithm for
       two monotone operators", Pacific Journal of Optimization 4(3), 2008.

    Examples
    --------
    >>> import numpy as np
    >>> l1 = soft_threshold
    >>> x, q, _ = prox_of_sum(np.array([3.0, -0.5]), [l1, l1], 1.0, tol=1e-12)
    >>> np.round(x, 8).tolist()  # the prox of 2 ||x||_1
    [1.0, 0.0]
    """
    m = len(proxes)
    if m == 1:
        x = proxes[0](v, step)
        return x, [(v - x) / step], 1
    h = m * step
    q = (
        [np.zeros_like(v) for _ in range(m)]
        if subgradients is None
        else [np.array(g, dtype=float) for g in subgradients]
    )
    x = v - step * sum(q)
    n_iter, change = 0, np.inf
    while change > tol and n_iter < max_iter:
        n_iter += 1
        ys = [prox(x + h * g, h) for prox, g in zip(proxes, q, strict=True)]
        q = [g + (x - y) / h for g, y in zip(q, ys, strict=True)]
        x_new = sum(ys) / m
        change = float(np.linalg.norm(x_new - x))
        x = x_new
    return x, q, n_iter


def squared_l1_prox(s: np.ndarray, c: float) -> np.ndarray:
    """Proximal operator of ``c * (sum_i x_i)^2`` on non-negative vectors.

    For ``s`` sorted or not, ``x = argmin_{x >= 0} 0.5 ||x - s||^2 + c
    (sum_i x_i)^2`` is ``x_i = max(s_i - 2 c S, 0)`` with ``S = sum_i x_i``:
    over the ``k`` largest entries, ``S = (s_1 + .. + s_k) / (1 + 2 c k)``,
    for the largest ``k`` with ``s_k > 2 c S``. On singular values it is the
    proximal operator of the squared trace norm ``c ||M||_*^2``.

    Parameters
    ----------
    s : ndarray of shape (n,)
        Non-negative entries (singular values).
    c : float
        Non-negative weight.

    Returns
    -------
    x : ndarray of shape (n,)
        The proximal point.

    Examples
    --------
    >>> import numpy as np
    >>> squared_l1_prox(np.array([3.0, 1.0]), 0.5).tolist()  # S = 3 / 2
    [1.5, 0.0]
    """
    s = np.asarray(s, dtype=float)
    if s.size == 0:
        return s.copy()
    u = np.sort(s)[::-1]
    k = np.arange(1, u.size + 1)
    totals = np.cumsum(u) / (1.0 + 2.0 * c * k)
    kept = np.flatnonzero(u > 2.0 * c * totals)
    total = totals[kept[-1]] if kept.size else 0.0
    return np.maximum(s - 2.0 * c * total, 0.0)


def capped_water_filling(s: np.ndarray, offset: float, total: float) -> np.ndarray:
    """Capped water-filling: ``min sum s_i^2 / (offset + m_i)`` over weights ``m``.

    The weights lie in ``[0, 1]`` and add up to ``total``.

    The stationarity conditions give ``m_i = clip(tau |s_i| - offset, 0, 1)``
    for one level ``tau >= 0``; the sum is piecewise linear in ``tau`` with
    kinks at ``offset / |s_i|`` and ``(offset + 1) / |s_i|``, so ``tau`` is
    found exactly between the two kinks that bracket ``total``, in ``O(n^2)``.
    Entries with ``s_i = 0`` share what the others leave, equally. For
    ``offset = inf`` the limit: ones on the ``total`` largest ``|s_i|``.

    Parameters
    ----------
    s : ndarray of shape (n,)
        Singular values (signs are ignored).
    offset : float
        Non-negative offset, or ``inf``.
    total : float
        Sum of the weights, in ``[0, n]``.

    Returns
    -------
    m : ndarray of shape (n,)
        The minimizing weights, larger for larger ``|s_i|``.

    Examples
    --------
    >>> import numpy as np
    >>> capped_water_filling(np.array([4.0, 1.0, 0.0]), 1.0, 1.5).tolist()
    [1.0, 0.5, 0.0]
    """
    s = np.abs(np.asarray(s, dtype=float))
    if not 0.0 <= total <= s.size:
        raise ValueError(f"total must lie in [0, {s.size}]; got {total}.")
    if np.isinf(offset):
        order = np.argsort(-s, kind="stable")
        m = np.zeros(s.size)
        m[order] = np.clip(total - np.arange(s.size), 0.0, 1.0)
        return m
    m = np.zeros(s.size)
    positive = s > 0
    if total <= 0:
        return m
    nonzero = s[positive]
    kinks = np.unique(np.concatenate([offset / nonzero, (offset + 1) / nonzero]))
    filled = np.clip(np.outer(kinks, s) - offset, 0.0, 1.0).sum(axis=1)
    j = int(np.searchsorted(filled, total))
    if j == kinks.size:  # every non-zero entry at 1: the zero ones share the rest
        m[positive] = 1.0
        m[~positive] = max(total - m.sum(), 0.0) / max(m.size - m.sum(), 1.0)
        return m
    tau0, fill0 = (kinks[j - 1], filled[j - 1]) if j else (0.0, 0.0)
    tau = tau0 + (total - fill0) * (kinks[j] - tau0) / (filled[j] - fill0)
    return np.clip(tau * s - offset, 0.0, 1.0)
