"""Proximal operators of the norms used as multi-task penalties.

Pure functions on NumPy arrays. Each returns the minimizer of
``0.5 ||x - v||^2 + threshold * norm(x)`` for its norm.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "block_soft_threshold",
    "linf_shrink",
    "project_l1_ball",
    "soft_threshold",
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
