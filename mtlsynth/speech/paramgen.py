"""Dynamic features and maximum-likelihood parameter generation (MLPG).

Acoustic models predict, per frame, the static parameters together with
their deltas and delta-deltas. MLPG turns these means and variances into the
static trajectory that is most likely under all of them, which is smooth
where a frame-by-frame prediction would jump (Tokuda et al., 2000).

A window is a 1-D array of coefficients of odd length, centred on the
current frame; frames beyond the edges repeat the first or last frame, in
both :func:`delta_features` and :func:`mlpg`, so that the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg

__all__ = [
    "DELTA_WINDOWS",
    "delta_features",
    "mlpg",
]

DELTA_WINDOWS: tuple[np.ndarray, ...] = (
    np.array([1.0]),
    np.array([-0.5, 0.0, 0.5]),
    np.array([1.0, -2.0, 1.0]),
)
"""Static, delta and delta-delta windows (Merlin's defaults)."""


def _check_windows(windows: Sequence) -> list[np.ndarray]:
    """Validate windows: 1-D, odd length, finite."""
    checked = [np.asarray(w, dtype=np.float64) for w in windows]
    if not checked:
        raise ValueError("At least one window is needed.")
    for w in checked:
        if w.ndim != 1 or len(w) % 2 == 0 or not np.all(np.isfinite(w)):
            raise ValueError(
                "Each window must be a finite 1-D array of odd length centred on "
                f"the current frame; got {w!r}."
            )
    return checked


def _taps(window: np.ndarray, n_frames: int):
    """Yield ``(coefficient, source_frame_index)`` for every tap of a window."""
    half = len(window) // 2
    frames = np.arange(n_frames)
    for offset, coef in zip(range(-half, half + 1), window, strict=True):
        if coef != 0.0:
            yield coef, np.clip(frames + offset, 0, n_frames - 1)


def delta_features(x, windows: Sequence = DELTA_WINDOWS) -> np.ndarray:
    """Append dynamic features computed with each window.

    Parameters
    ----------
    x : array-like of shape (n_frames, n_dims)
        Static features.
    windows : sequence of array-like, default=DELTA_WINDOWS
        Windows; the first is usually ``[1.0]`` (the statics themselves).

    Returns
    -------
    features : ndarray of shape (n_frames, n_dims * len(windows))
        ``[x * w_0, x * w_1, ...]`` side by side, one block per window.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.speech.paramgen import delta_features
    >>> delta_features(np.array([[0.0], [1.0], [4.0]]))
    array([[ 0. ,  0.5,  1. ],
           [ 1. ,  2. ,  2. ],
           [ 4. ,  1.5, -3. ]])
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (n_frames, n_dims); got {x.shape}.")
    windows = _check_windows(windows)
    blocks = []
    for window in windows:
        block = np.zeros_like(x)
        for coef, source in _taps(window, len(x)):
            block += coef * x[source]
        blocks.append(block)
    return np.hstack(blocks)


def mlpg(means, variances, windows: Sequence = DELTA_WINDOWS) -> np.ndarray:
    """Most likely static trajectory given means and variances of all windows.

    Solves, for every static dimension independently,
    ``(W' P W) c = W' P mu`` where ``W`` stacks the window matrices and ``P``
    holds the precisions; ``W' P W`` is banded, so the cost is linear in the
    number of frames.

    Parameters
    ----------
    means : array-like of shape (n_frames, n_dims * n_windows)
        Predicted means, laid out as :func:`delta_features` returns them.
    variances : array-like of shape (n_frames, n_dims * n_windows) or \
(n_dims * n_windows,)
        Predicted variances (positive); a 1-D array is the same for every frame.
    windows : sequence of array-like, default=DELTA_WINDOWS
        The windows the dynamic features were computed with.

    Returns
    -------
    static : ndarray of shape (n_frames, n_dims)
        The generated static trajectory.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.speech.paramgen import delta_features, mlpg
    >>> c = np.sin(np.linspace(0, 3, 50))[:, None]
    >>> np.allclose(mlpg(delta_features(c), np.ones(3)), c)
    True
    """
    windows = _check_windows(windows)
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or means.shape[1] % len(windows) or means.shape[0] == 0:
        raise ValueError(
            f"means must have shape (n_frames, n_dims * {len(windows)}); "
            f"got {means.shape}."
        )
    variances = np.broadcast_to(np.asarray(variances, dtype=np.float64), means.shape)
    if not np.all(variances > 0) or not np.all(np.isfinite(variances)):
        raise ValueError("variances must be positive and finite.")
    if not np.all(np.isfinite(means)):
        raise ValueError("means contain NaN or infinity.")
    n_frames, n_dims = means.shape[0], means.shape[1] // len(windows)
    width = max(len(w) for w in windows) - 1  # bandwidth of W'PW
    band = np.zeros((n_dims, width + 1, n_frames))  # upper banded form
    rhs = np.zeros((n_dims, n_frames))
    for k, window in enumerate(windows):
        precision = 1.0 / variances[:, k * n_dims : (k + 1) * n_dims].T
        weighted_mean = precision * means[:, k * n_dims : (k + 1) * n_dims].T
        taps = list(_taps(window, n_frames))
        for coef_i, rows in taps:
            np.add.at(rhs, (slice(None), rows), coef_i * weighted_mean)
            for coef_j, cols in taps:
                upper = cols >= rows
                offset = (cols - rows)[upper]
                np.add.at(
                    band,
                    (slice(None), width - offset, cols[upper]),
                    coef_i * coef_j * precision[:, upper],
                )
    static = np.empty((n_frames, n_dims))
    for d in range(n_dims):
        static[:, d] = linalg.solveh_banded(band[d], rhs[d], check_finite=False)
    return static
