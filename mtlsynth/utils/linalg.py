"""Solvers of symmetric positive definite systems, factored once."""

from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = [
    "ridge_solver",
    "spd_solver",
]


def spd_solver(A: np.ndarray):
    """Factor a symmetric positive definite ``A`` once; return ``B -> A^-1 B``.

    Uses a Cholesky factorization; if rounding makes ``A`` numerically
    indefinite, falls back to least squares.

    Parameters
    ----------
    A : ndarray of shape (d, d)
        Symmetric positive definite matrix.

    Returns
    -------
    solve : callable
        ``solve(B)`` returns ``X`` with ``A X = B`` for ``B`` of shape (d, k).
    """
    try:
        factor = linalg.cho_factor(A, check_finite=False)
    except linalg.LinAlgError:
        return lambda B: linalg.lstsq(A, B, check_finite=False)[0]
    return lambda B: linalg.cho_solve(factor, B, check_finite=False)


def ridge_solver(G_t: np.ndarray, a1: float):
    """:func:`spd_solver` of ``G_t + a1 I``, factored in place: one d x d
    array beside ``G_t``.

    Parameters
    ----------
    G_t : ndarray of shape (d, d)
        Symmetric positive semi-definite matrix (a Gram matrix).
    a1 : float
        Positive ridge added to its diagonal.

    Returns
    -------
    solve : callable
        ``solve(B)`` returns ``X`` with ``(G_t + a1 I) X = B``.
    """
    A = np.array(G_t, dtype=float)
    A.flat[:: A.shape[0] + 1] += a1
    try:  # A is symmetric: its transpose is Fortran-ordered, factored in place
        factor = linalg.cho_factor(A.T, overwrite_a=True, check_finite=False)
    except linalg.LinAlgError:  # A is overwritten: start again from G_t
        return spd_solver(G_t + a1 * np.eye(len(A)))
    return lambda B: linalg.cho_solve(factor, B, check_finite=False)
