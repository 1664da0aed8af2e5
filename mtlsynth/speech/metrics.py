"""Objective measures of synthetic speech, computed as Merlin reports them.

All measures compare frames (or phones) aligned one to one, using the
reference durations: no dynamic time warping. Over a set of utterances,
concatenate the frames first, so that every frame weighs the same.

- :func:`mel_cepstral_distortion`: ``(10 / ln 10) sqrt(2 sum_{d>=1} (c_d - c'_d)^2)``
  in dB, averaged over frames, ``c_0`` (energy) excluded.
- :func:`f0_rmse` and :func:`f0_correlation`: on frames voiced in both.
- :func:`vuv_error`: percentage of frames where exactly one is voiced.
- :func:`bap_distortion`: mean Euclidean distance of band aperiodicity in
  dB, divided by 10.
- :func:`duration_rmse` and :func:`duration_correlation`: per phone.

Pass ``mask`` to leave out silence. State the mel-cepstral order and
all-pass constant with every MCD: the value depends on both.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "bap_distortion",
    "duration_correlation",
    "duration_rmse",
    "f0_correlation",
    "f0_rmse",
    "mel_cepstral_distortion",
    "vuv_error",
]

_MCD_CONSTANT = 10.0 / np.log(10.0) * np.sqrt(2.0)


def _pair(reference, predicted, name: str, *, ndim: int):
    """Validate two arrays of the same shape, finite, with ``ndim`` dims."""
    ref = np.asarray(reference, dtype=np.float64)
    pred = np.asarray(predicted, dtype=np.float64)
    if ref.ndim != ndim or ref.shape != pred.shape:
        raise ValueError(
            f"{name}: reference and prediction need the same {ndim}-D shape; "
            f"got {ref.shape} and {pred.shape}."
        )
    if ref.shape[0] == 0:
        raise ValueError(f"{name}: no frames to compare.")
    if not (np.all(np.isfinite(ref)) and np.all(np.isfinite(pred))):
        raise ValueError(f"{name}: inputs contain NaN or infinity.")
    return ref, pred


def _select(mask, n: int, name: str) -> np.ndarray:
    """Boolean row mask of length ``n`` (all rows when ``mask`` is None)."""
    if mask is None:
        return np.ones(n, dtype=bool)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"{name}: mask must have shape ({n},); got {mask.shape}.")
    if not mask.any():
        raise ValueError(f"{name}: the mask leaves no frame to compare.")
    return mask


def mel_cepstral_distortion(reference, predicted, *, mask=None) -> float:
    """Mel-cepstral distortion in dB, ``c_0`` excluded, averaged over frames.

    Parameters
    ----------
    reference : array-like of shape (n_frames, order + 1)
        Reference mel-cepstra, ``c_0`` in the first column.
    predicted : array-like of shape (n_frames, order + 1)
        Predicted mel-cepstra.
    mask : array-like of shape (n_frames,), default=None
        Frames to score (e.g. non-silence); all by default.

    Returns
    -------
    mcd : float
        Mean of ``(10 / ln 10) sqrt(2 sum_{d>=1} (c_d - c'_d)^2)`` in dB.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.speech.metrics import mel_cepstral_distortion
    >>> c = np.zeros((2, 3))
    >>> round(mel_cepstral_distortion(c, c + [5.0, 0.1, 0.0]), 4)
    0.6142
    """
    ref, pred = _pair(reference, predicted, "mel_cepstral_distortion", ndim=2)
    keep = _select(mask, len(ref), "mel_cepstral_distortion")
    diff = ref[keep, 1:] - pred[keep, 1:]
    return float(_MCD_CONSTANT * np.mean(np.sqrt(np.sum(diff**2, axis=1))))


def _voiced_pair(reference, predicted, mask, name):
    """F0 values on frames voiced (F0 > 0) in both, within the mask."""
    ref, pred = _pair(reference, predicted, name, ndim=1)
    keep = _select(mask, len(ref), name) & (ref > 0) & (pred > 0)
    if keep.sum() < 2:
        raise ValueError(f"{name}: fewer than two frames are voiced in both.")
    return ref[keep], pred[keep]


def f0_rmse(reference, predicted, *, mask=None) -> float:
    """Root mean squared F0 error in Hz on frames voiced in both.

    Parameters
    ----------
    reference : array-like of shape (n_frames,)
        Reference F0 in Hz, 0 where unvoiced.
    predicted : array-like of shape (n_frames,)
        Predicted F0 in Hz, 0 where unvoiced.
    mask : array-like of shape (n_frames,), default=None
        Frames to score; all by default.

    Returns
    -------
    rmse : float
        Error in Hz.
    """
    ref, pred = _voiced_pair(reference, predicted, mask, "f0_rmse")
    return float(np.sqrt(np.mean((ref - pred) ** 2)))


def f0_correlation(reference, predicted, *, mask=None) -> float:
    """Pearson correlation of F0 on frames voiced in both.

    Parameters
    ----------
    reference : array-like of shape (n_frames,)
        Reference F0 in Hz, 0 where unvoiced.
    predicted : array-like of shape (n_frames,)
        Predicted F0 in Hz, 0 where unvoiced.
    mask : array-like of shape (n_frames,), default=None
        Frames to score; all by default.

    Returns
    -------
    correlation : float
        Between -1 and 1 (NaN if either side is constant).
    """
    ref, pred = _voiced_pair(reference, predicted, mask, "f0_correlation")
    if np.ptp(ref) == 0 or np.ptp(pred) == 0:
        return float("nan")
    return float(np.corrcoef(ref, pred)[0, 1])


def vuv_error(reference, predicted, *, mask=None) -> float:
    """Percentage of frames where exactly one of the two is voiced.

    Parameters
    ----------
    reference : array-like of shape (n_frames,)
        Reference voicing: booleans, or F0 with 0 where unvoiced.
    predicted : array-like of shape (n_frames,)
        Predicted voicing, the same way.
    mask : array-like of shape (n_frames,), default=None
        Frames to score (e.g. non-silence); all by default.

    Returns
    -------
    error : float
        In percent of the scored frames.
    """
    ref, pred = _pair(reference, predicted, "vuv_error", ndim=1)
    keep = _select(mask, len(ref), "vuv_error")
    return float(100.0 * np.mean((ref[keep] > 0) != (pred[keep] > 0)))


def bap_distortion(reference, predicted, *, mask=None) -> float:
    """Mean Euclidean distance of band aperiodicity (dB), divided by 10.

    Parameters
    ----------
    reference : array-like of shape (n_frames, n_bands)
        Reference band aperiodicity in dB.
    predicted : array-like of shape (n_frames, n_bands)
        Predicted band aperiodicity in dB.
    mask : array-like of shape (n_frames,), default=None
        Frames to score; all by default.

    Returns
    -------
    distortion : float
        Merlin's BAP distortion.
    """
    ref, pred = _pair(reference, predicted, "bap_distortion", ndim=2)
    keep = _select(mask, len(ref), "bap_distortion")
    return float(np.mean(np.sqrt(np.sum((ref[keep] - pred[keep]) ** 2, axis=1))) / 10)


def duration_rmse(reference, predicted, *, mask=None) -> float:
    """Root mean squared error of phone durations, in their unit (e.g. ms).

    Parameters
    ----------
    reference : array-like of shape (n_phones,)
        Reference durations.
    predicted : array-like of shape (n_phones,)
        Predicted durations.
    mask : array-like of shape (n_phones,), default=None
        Phones to score (e.g. non-silence); all by default.

    Returns
    -------
    rmse : float
        Error in the unit of the inputs.
    """
    ref, pred = _pair(reference, predicted, "duration_rmse", ndim=1)
    keep = _select(mask, len(ref), "duration_rmse")
    return float(np.sqrt(np.mean((ref[keep] - pred[keep]) ** 2)))


def duration_correlation(reference, predicted, *, mask=None) -> float:
    """Pearson correlation of phone durations.

    Parameters
    ----------
    reference : array-like of shape (n_phones,)
        Reference durations.
    predicted : array-like of shape (n_phones,)
        Predicted durations.
    mask : array-like of shape (n_phones,), default=None
        Phones to score; all by default.

    Returns
    -------
    correlation : float
        Between -1 and 1 (NaN if either side is constant).
    """
    ref, pred = _pair(reference, predicted, "duration_correlation", ndim=1)
    keep = _select(mask, len(ref), "duration_correlation")
    if np.ptp(ref[keep]) == 0 or np.ptp(pred[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(ref[keep], pred[keep])[0, 1])
