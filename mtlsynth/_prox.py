"""Proximal operators of the norms used as multi-task penalties.

Pure functions on NumPy arrays. Each returns the minimizer of
``0.5 ||x - v||^2 + threshold * norm(x)`` for its norm.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "block_soft_threshold",
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
