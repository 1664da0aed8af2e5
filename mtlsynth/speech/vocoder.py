"""WORLD vocoder analysis and synthesis with mel-cepstral spectral envelopes.

The acoustic parameters used throughout mtlsynth are, per 5 ms frame:

* ``mcep``: mel-cepstrum of the WORLD (CheapTrick) spectral envelope, order 59
  by default, frequency-warped by a first-order all-pass with constant
  ``alpha`` (see :func:`default_alpha`);
* ``lf0``: continuous log-F0, linearly interpolated through unvoiced frames
  and held constant before the first and after the last voiced frame;
* ``vuv``: the voiced/unvoiced flag (1.0 voiced, 0.0 unvoiced);
* ``bap``: band aperiodicity in dB (``pyworld.code_aperiodicity``).

Mel-cepstral analysis
---------------------
The mel-cepstrum ``c~(m)`` of a power spectrum ``P(w)`` is defined by::

    0.5 log P(w) = sum_{m=0}^{M} c~(m) cos(m b(w)),
    b(w) = w + 2 arctan(alpha sin w / (1 - alpha cos w)),

i.e. the minimum-phase cepstrum of the amplitude spectrum on the warped
frequency axis ``b(w)``. It is computed in two exact linear steps: the
one-sided real cepstrum of ``0.5 log P`` (an inverse real FFT of the log
power spectrum, with the first and the Nyquist coefficients halved), then the
all-pass frequency transformation of that cepstrum (the ``freqt`` recursion of
Oppenheim & Johnson, 1972, also used by SPTK). Both steps are linear, so the
whole map is one ``(fft_size // 2 + 1, order + 1)`` matrix, built once per
``(alpha, order, fft_size)`` and cached; analysis of all frames is a single
matrix product. The inverse uses the same recursion with ``-alpha`` and an
output length of ``fft_size // 2 + 1``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pyworld
from scipy.signal import lfilter

__all__ = [
    "F0_CEIL",
    "F0_FLOOR",
    "VocoderFeatures",
    "analyze",
    "aperiodicity_bands",
    "default_alpha",
    "envelope_from_mcep",
    "mcep_from_envelope",
    "postfilter",
    "synthesize",
]

#: All-pass constants that best approximate the mel scale at common rates.
_ALPHA_TABLE = {
    8000: 0.31,
    11025: 0.35,
    16000: 0.41,
    22050: 0.455,
    24000: 0.47,
    32000: 0.50,
    44100: 0.55,
    48000: 0.55,
}

_DEFAULT_ORDER = 59

#: F0 search range of :func:`analyze` in Hz: the log-F0 of a voice lies in it.
F0_FLOOR = 71.0
F0_CEIL = 800.0
_MIN_FRAMES = 4
_POWER_FLOOR = 1e-16


def default_alpha(fs: int) -> float:
    """All-pass constant approximating the mel scale at a sample rate.

    Parameters
    ----------
    fs : int
        Sample rate in Hz.

    Returns
    -------
    float
        The tabulated constant for 8, 11.025, 16, 22.05, 24, 32, 44.1 and
        48 kHz (0.41 at 16 kHz, 0.455 at 22.05 kHz, 0.55 at 44.1/48 kHz);
        for other rates, linear interpolation of the table in log sample
        rate, clamped at its ends.

    Raises
    ------
    ValueError
        If ``fs`` is not a positive number.
    """
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"sample rate must be a positive number, got {fs!r}")
    if int(fs) in _ALPHA_TABLE and int(fs) == fs:
        return _ALPHA_TABLE[int(fs)]
    rates = np.array(sorted(_ALPHA_TABLE), dtype=float)
    alphas = np.array([_ALPHA_TABLE[int(r)] for r in rates])
    return float(np.interp(math.log(fs), np.log(rates), alphas))


def _freqt_matrix(alpha: float, n_in: int, n_out: int) -> np.ndarray:
    """Matrix of the all-pass frequency transformation of a cepstrum.

    Returns ``A`` of shape ``(n_in, n_out)`` such that ``c @ A`` warps the
    cepstra in the rows of ``c`` (``n_in`` coefficients each) to ``n_out``
    coefficients with all-pass constant ``alpha``.
    """
    return _freqt_matrix_cached(round(float(alpha), 12), int(n_in), int(n_out)).copy()


@functools.lru_cache(maxsize=32)
def _freqt_matrix_cached(alpha: float, n_in: int, n_out: int) -> np.ndarray:
    # Run the recursion on every unit input at once: column k of ``state``
    # holds the output for the k-th unit cepstrum.
    beta = 1.0 - alpha * alpha
    state = np.zeros((n_out, n_in))
    for i in range(n_in - 1, -1, -1):
        prev = state
        state = np.empty_like(prev)
        state[0] = alpha * prev[0]
        state[0, i] += 1.0
        if n_out > 1:
            drive = np.empty((n_out - 1, n_in))
            drive[0] = beta * prev[0] + alpha * prev[1]
            drive[1:] = prev[1:-1] + alpha * prev[2:]
            # c2[j] = d[j-1] + alpha * (d[j] - c2[j-1]) is the first-order
            # recursion y[j] = x[j] - alpha * y[j-1] along the coefficients.
            state[1:] = lfilter([1.0], [1.0, alpha], drive, axis=0)
    return np.ascontiguousarray(state.T)


@functools.lru_cache(maxsize=32)
def _analysis_matrix(alpha: float, order: int, fft_size: int) -> np.ndarray:
    n_bins = fft_size // 2 + 1
    # one-sided cepstrum of 0.5 * log P from log P (shape n_bins -> n_bins)
    to_cep = np.fft.irfft(np.eye(n_bins), n=fft_size, axis=1)[:, :n_bins]
    to_cep = to_cep.copy()
    to_cep[:, 0] *= 0.5
    to_cep[:, -1] *= 0.5
    return np.ascontiguousarray(to_cep @ _freqt_matrix(alpha, n_bins, order + 1))


@functools.lru_cache(maxsize=32)
def _synthesis_matrix(alpha: float, order: int, fft_size: int) -> np.ndarray:
    n_bins = fft_size // 2 + 1
    warp = _freqt_matrix(-alpha, order + 1, n_bins)
    # log P(w_k) = 2 * sum_m c(m) cos(w_k m) over the one-sided cepstrum
    m = np.arange(n_bins)
    k = np.arange(n_bins)
    cosines = np.cos(np.pi * np.outer(m, k) / (n_bins - 1))
    return np.ascontiguousarray(warp @ (2.0 * cosines))


def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not np.isfinite(alpha) or abs(alpha) >= 1.0:
        raise ValueError(f"all-pass constant alpha must be in (-1, 1), got {alpha!r}")
    return alpha


def _check_fft_size(fft_size: int) -> int:
    if int(fft_size) != fft_size or fft_size < 4 or int(fft_size) % 2:
        raise ValueError(f"fft_size must be an even integer >= 4, got {fft_size!r}")
    return int(fft_size)


def mcep_from_envelope(sp: np.ndarray, *, alpha: float, order: int) -> np.ndarray:
    """Mel-cepstrum of a power spectral envelope.

    Parameters
    ----------
    sp : ndarray of shape (n_frames, fft_size // 2 + 1) or (fft_size // 2 + 1,)
        Power spectral envelope, e.g. from ``pyworld.cheaptrick``. Values are
        floored at 1e-16 before the logarithm.
    alpha : float
        All-pass constant, in (-1, 1).
    order : int
        Mel-cepstral order; the result has ``order + 1`` coefficients.

    Returns
    -------
    ndarray of shape (n_frames, order + 1) or (order + 1,)
        Mel-cepstra ``c~(0..order)`` of the amplitude spectrum (see the
        module docstring for the definition).

    Raises
    ------
    ValueError
        If the envelope is not 1-D or 2-D, has an odd or too small number of
        bins, contains non-finite or negative values, or if ``alpha`` or
        ``order`` is out of range.
    """
    sp = np.asarray(sp, dtype=np.float64)
    if sp.ndim not in (1, 2):
        raise ValueError(f"envelope must be 1-D or 2-D, got shape {sp.shape}")
    n_bins = sp.shape[-1]
    if n_bins < 3:
        raise ValueError(f"envelope needs at least 3 frequency bins, got {n_bins}")
    fft_size = 2 * (n_bins - 1)
    alpha = _check_alpha(alpha)
    if int(order) != order or not 0 <= order < n_bins:
        raise ValueError(
            f"order must be an integer in [0, {n_bins - 1}], got {order!r}"
        )
    if not np.all(np.isfinite(sp)) or np.any(sp < 0):
        raise ValueError("envelope must contain finite non-negative power values")
    log_power = np.log(np.maximum(sp, _POWER_FLOOR))
    return log_power @ _analysis_matrix(alpha, int(order), fft_size)


def envelope_from_mcep(mc: np.ndarray, *, alpha: float, fft_size: int) -> np.ndarray:
    """Power spectral envelope of a mel-cepstrum.

    The inverse of :func:`mcep_from_envelope`: the mel-cepstrum is warped
    back to a linear-frequency cepstrum of ``fft_size // 2 + 1`` coefficients
    (all-pass constant ``-alpha``) and exponentiated on the FFT bins.

    Parameters
    ----------
    mc : ndarray of shape (n_frames, order + 1) or (order + 1,)
        Mel-cepstra.
    alpha : float
        All-pass constant used to compute ``mc``.
    fft_size : int
        FFT size of the envelope to produce (even).

    Returns
    -------
    ndarray of shape (n_frames, fft_size // 2 + 1) or (fft_size // 2 + 1,)
        Power spectral envelope, C-contiguous float64 (ready for
        ``pyworld.synthesize``).

    Raises
    ------
    ValueError
        If ``mc`` is not finite, not 1-D or 2-D, or if ``alpha`` or
        ``fft_size`` is out of range.
    """
    mc = np.asarray(mc, dtype=np.float64)
    if mc.ndim not in (1, 2) or mc.shape[-1] < 1:
        raise ValueError(f"mel-cepstrum must be 1-D or 2-D, got shape {mc.shape}")
    if not np.all(np.isfinite(mc)):
        raise ValueError("mel-cepstrum contains NaN or infinite values")
    alpha = _check_alpha(alpha)
    fft_size = _check_fft_size(fft_size)
    order = mc.shape[-1] - 1
    if order > fft_size // 2:
        raise ValueError(f"order {order} is too high for fft_size {fft_size}")
    log_power = mc @ _synthesis_matrix(alpha, order, fft_size)
    return np.ascontiguousarray(np.exp(np.clip(log_power, -700.0, 700.0)))


@dataclass(frozen=True)
class VocoderFeatures:
    """Frame-level WORLD parameters of one utterance.

    Parameters
    ----------
    fs : int
        Sample rate in Hz.
    frame_period : float
        Frame shift in milliseconds.
    fft_size : int
        FFT size of the spectral envelope (needed to invert ``mcep``).
    alpha : float
        All-pass constant of ``mcep``.
    lf0 : ndarray of shape (n_frames,)
        Continuous natural-log F0, interpolated through unvoiced frames.
    vuv : ndarray of shape (n_frames,)
        Voiced flag, 1.0 for voiced frames and 0.0 for unvoiced ones.
    mcep : ndarray of shape (n_frames, order + 1)
        Mel-cepstra of the spectral envelope.
    bap : ndarray of shape (n_frames, n_bands)
        Band aperiodicity in dB.

    Attributes
    ----------
    f0 : ndarray of shape (n_frames,)
        F0 in Hz, 0 on unvoiced frames (``exp(lf0)`` where ``vuv > 0.5``).
    n_frames : int
        Number of frames.
    order : int
        Mel-cepstral order.
    """

    fs: int
    frame_period: float
    fft_size: int
    alpha: float
    lf0: np.ndarray
    vuv: np.ndarray
    mcep: np.ndarray
    bap: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.lf0)
        shapes = {
            "vuv": np.shape(self.vuv)[:1],
            "mcep": np.shape(self.mcep)[:1],
            "bap": np.shape(self.bap)[:1],
        }
        for name, shape in shapes.items():
            if shape != (n,):
                raise ValueError(
                    f"{name} has {shape[0] if shape else 0} frames but lf0 has {n}"
                )
        if np.ndim(self.mcep) != 2 or np.ndim(self.bap) != 2:
            raise ValueError("mcep and bap must be 2-D (frames x coefficients)")

    @property
    def f0(self) -> np.ndarray:
        """F0 in Hz with 0 on unvoiced frames."""
        return np.where(np.asarray(self.vuv) > 0.5, np.exp(self.lf0), 0.0)

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return len(self.lf0)

    @property
    def order(self) -> int:
        """Mel-cepstral order (number of coefficients minus one)."""
        return np.shape(self.mcep)[1] - 1

    def stack(self) -> np.ndarray:
        """Frame matrix ``[mcep, lf0, vuv, bap]``.

        Returns
        -------
        ndarray of shape (n_frames, order + 3 + n_bands)
            Columns ``0..order`` hold ``mcep``, then ``lf0``, ``vuv`` and the
            band aperiodicities.
        """
        return np.column_stack([self.mcep, self.lf0, self.vuv, self.bap])

    @classmethod
    def unstack(
        cls,
        matrix: np.ndarray,
        *,
        fs: int,
        frame_period: float,
        fft_size: int,
        alpha: float,
        order: int,
    ) -> VocoderFeatures:
        """Features from a frame matrix laid out as by :meth:`stack`.

        Parameters
        ----------
        matrix : ndarray of shape (n_frames, order + 3 + n_bands)
            Frame matrix, e.g. predicted by a model.
        fs : int
            Sample rate in Hz.
        frame_period : float
            Frame shift in milliseconds.
        fft_size : int
            FFT size of the spectral envelope.
        alpha : float
            All-pass constant of the mel-cepstra.
        order : int
            Mel-cepstral order.

        Returns
        -------
        VocoderFeatures
            The features; ``vuv`` is thresholded at 0.5.

        Raises
        ------
        ValueError
            If the matrix has too few columns.
        """
        matrix = np.asarray(matrix, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] < order + 4:
            raise ValueError(
                f"matrix must be 2-D with at least {order + 4} columns for order "
                f"{order}, got shape {matrix.shape}"
            )
        return cls(
            fs=int(fs),
            frame_period=float(frame_period),
            fft_size=int(fft_size),
            alpha=float(alpha),
            mcep=matrix[:, : order + 1].copy(),
            lf0=matrix[:, order + 1].copy(),
            vuv=(matrix[:, order + 2] > 0.5).astype(np.float64),
            bap=matrix[:, order + 3 :].copy(),
        )


def postfilter(
    mcep: np.ndarray, beta: float, *, alpha: float, fft_size: int
) -> np.ndarray:
    """Sharpen the formants of mel-cepstra, keeping each frame's energy.

    Multiplies ``c_2, c_3, ...`` by ``beta``, then moves ``c_0`` so that
    every frame's spectral power is what it was.

    Parameters
    ----------
    mcep : ndarray of shape (n_frames, order + 1)
        Mel-cepstra.
    beta : float
        Factor of the higher coefficients (1 leaves them).
    alpha : float
        Frequency warping of the mel-cepstra.
    fft_size : int
        FFT size of the spectral envelope.

    Returns
    -------
    ndarray of shape (n_frames, order + 1)
        The filtered mel-cepstra (``mcep`` itself if ``beta`` is 1).
    """
    if beta == 1.0:
        return mcep
    out = mcep.copy()
    out[:, 2:] *= beta
    before = envelope_from_mcep(mcep, alpha=alpha, fft_size=fft_size)
    after = envelope_from_mcep(out, alpha=alpha, fft_size=fft_size)
    unit = np.zeros((1, mcep.shape[1]))
    unit[0, 0] = 1.0
    per_c0 = envelope_from_mcep(unit, alpha=alpha, fft_size=fft_size)
    slope = float(np.log(per_c0[0, 0]))
    out[:, 0] += np.log(before.sum(axis=1) / after.sum(axis=1)) / slope
    return out


def _as_waveform(x: np.ndarray, fs: int, frame_period: float) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise ValueError(
            f"waveform must be mono (1-D), got shape {x.shape}; mix the channels "
            "down (e.g. x.mean(axis=1)) or pick one before analysis"
        )
    if x.dtype == np.int16:
        x = x.astype(np.float64) / 32768.0
    elif x.dtype == np.int32:
        x = x.astype(np.float64) / 2147483648.0
    elif np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    else:
        raise ValueError(
            f"waveform must be int16, int32 or floating point, got dtype {x.dtype}"
        )
    if x.size == 0:
        raise ValueError("waveform is empty")
    if not np.all(np.isfinite(x)):
        raise ValueError("waveform contains NaN or infinite samples")
    min_samples = math.ceil(_MIN_FRAMES * frame_period * fs / 1000.0)
    if x.size < min_samples:
        raise ValueError(
            f"waveform is too short: {x.size} samples, need at least {min_samples} "
            f"({_MIN_FRAMES} frames of {frame_period} ms at {fs} Hz)"
        )
    if not np.any(x):
        raise ValueError("waveform is all silent (every sample is zero)")
    return np.ascontiguousarray(x)


def _interpolate_lf0(f0: np.ndarray, f0_floor: float) -> np.ndarray:
    voiced = f0 > 0
    if not np.any(voiced):
        return np.full(f0.shape, math.log(f0_floor))
    idx = np.flatnonzero(voiced)
    # np.interp holds the end values outside the voiced range
    return np.interp(np.arange(f0.size), idx, np.log(f0[idx]))


def aperiodicity_bands(fs: int) -> int:
    """Band aperiodicity dimensions of the analysis at a sample rate.

    Parameters
    ----------
    fs : int
        Sample rate in Hz.

    Returns
    -------
    int
        WORLD's 3 kHz bands, or 1 below 12 kHz where WORLD has none.
    """
    return max(1, pyworld.get_num_aperiodicities(fs))


def _code_aperiodicity(ap: np.ndarray, fs: int) -> np.ndarray:
    if pyworld.get_num_aperiodicities(fs) >= 1:
        return pyworld.code_aperiodicity(ap, fs)
    # Below 12 kHz WORLD has no 3 kHz bands: keep one band, the mean in dB.
    return np.mean(20.0 * np.log10(np.maximum(ap, 1e-12)), axis=1, keepdims=True)


def _decode_aperiodicity(bap: np.ndarray, fs: int, fft_size: int) -> np.ndarray:
    bap = np.ascontiguousarray(bap, dtype=np.float64)
    n_bands = pyworld.get_num_aperiodicities(fs)
    if n_bands >= 1:
        if bap.shape[1] != n_bands:
            raise ValueError(
                f"bap has {bap.shape[1]} bands but {n_bands} are expected at {fs} Hz"
            )
        return pyworld.decode_aperiodicity(bap, fs, fft_size)
    if bap.shape[1] != 1:
        raise ValueError(f"bap must have 1 band at {fs} Hz, got {bap.shape[1]}")
    ap = np.power(10.0, np.minimum(bap, 0.0) / 20.0)
    return np.ascontiguousarray(np.repeat(ap, fft_size // 2 + 1, axis=1))


def _checked_input(
    x: np.ndarray,
    fs: int,
    *,
    frame_period: float = 5.0,
    f0_method: str = "harvest",
    f0_floor: float = F0_FLOOR,
    f0_ceil: float = F0_CEIL,
    mcep_order: int | None = None,
    mcep_alpha: float | None = None,
) -> tuple[np.ndarray, int, int, float, int]:
    """:func:`analyze`'s arguments checked (same defaults), or a ValueError.

    Returns the float64 waveform, the sample rate, the mel-cepstral order,
    the all-pass constant and the FFT size.
    """
    if int(fs) != fs or fs <= 0:
        raise ValueError(f"sample rate must be a positive integer, got {fs!r}")
    fs = int(fs)
    if not np.isfinite(frame_period) or frame_period <= 0:
        raise ValueError(f"frame_period must be positive, got {frame_period!r}")
    if f0_method not in ("harvest", "dio"):
        raise ValueError(f"f0_method must be 'harvest' or 'dio', got {f0_method!r}")
    if not 0 < f0_floor < f0_ceil:
        raise ValueError(
            f"need 0 < f0_floor < f0_ceil, got f0_floor={f0_floor!r}, "
            f"f0_ceil={f0_ceil!r}"
        )
    if f0_ceil >= fs / 2:
        raise ValueError(f"f0_ceil={f0_ceil!r} must be below fs / 2 = {fs / 2}")
    order = _DEFAULT_ORDER if mcep_order is None else mcep_order
    alpha = default_alpha(fs) if mcep_alpha is None else _check_alpha(mcep_alpha)
    fft_size = pyworld.get_cheaptrick_fft_size(fs, f0_floor)
    if int(order) != order or not 0 <= order <= fft_size // 2:
        raise ValueError(
            f"mcep_order must be an integer in [0, {fft_size // 2}], got {order!r}"
        )
    x = _as_waveform(x, fs, frame_period)
    return x, fs, order, alpha, fft_size


def analyze(
    x: np.ndarray,
    fs: int,
    *,
    frame_period: float = 5.0,
    f0_method: str = "harvest",
    f0_floor: float = F0_FLOOR,
    f0_ceil: float = F0_CEIL,
    mcep_order: int | None = None,
    mcep_alpha: float | None = None,
) -> VocoderFeatures:
    """WORLD analysis of a waveform into mel-cepstra, log-F0, V/UV and BAP.

    Parameters
    ----------
    x : ndarray of shape (n_samples,)
        Mono waveform: int16 or int32 PCM (scaled to [-1, 1)) or floating
        point (used as is). A 2-D array with a single channel is flattened;
        multi-channel audio is rejected.
    fs : int
        Sample rate in Hz. Band aperiodicity uses WORLD's 3 kHz bands
        (1 band at 16 kHz, 2 at 22.05 kHz, 5 at 44.1/48 kHz); below 12 kHz,
        where WORLD has none, a single band holds the mean aperiodicity.
    frame_period : float, default=5.0
        Frame shift in milliseconds.
    f0_method : {"harvest", "dio"}, default="harvest"
        F0 estimator: Harvest, or DIO refined by StoneMask.
    f0_floor, f0_ceil : float, default=71.0, 800.0
        F0 search range in Hz.
    mcep_order : int, optional
        Mel-cepstral order; default 59.
    mcep_alpha : float, optional
        All-pass constant; default :func:`default_alpha` of ``fs``.

    Returns
    -------
    VocoderFeatures
        The frame-level parameters. The FFT size is WORLD's default for
        ``fs`` and ``f0_floor``.

    Raises
    ------
    ValueError
        For empty, multi-channel, non-finite, all-zero or too short input
        (fewer than 4 frames), an unsupported dtype, or out-of-range options.
    """
    x, fs, order, alpha, fft_size = _checked_input(
        x,
        fs,
        frame_period=frame_period,
        f0_method=f0_method,
        f0_floor=f0_floor,
        f0_ceil=f0_ceil,
        mcep_order=mcep_order,
        mcep_alpha=mcep_alpha,
    )

    frame_period = float(frame_period)
    if f0_method == "harvest":
        f0, t = pyworld.harvest(
            x, fs, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=frame_period
        )
    else:
        f0, t = pyworld.dio(
            x, fs, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=frame_period
        )
        f0 = pyworld.stonemask(x, f0, t, fs)
    sp = pyworld.cheaptrick(x, f0, t, fs, f0_floor=f0_floor, fft_size=fft_size)
    ap = pyworld.d4c(x, f0, t, fs, fft_size=fft_size)

    return VocoderFeatures(
        fs=fs,
        frame_period=frame_period,
        fft_size=int(fft_size),
        alpha=float(alpha),
        lf0=_interpolate_lf0(f0, f0_floor),
        vuv=(f0 > 0).astype(np.float64),
        mcep=mcep_from_envelope(sp, alpha=alpha, order=int(order)),
        bap=_code_aperiodicity(ap, fs),
    )


def synthesize(features: VocoderFeatures) -> np.ndarray:
    """Waveform from vocoder features.

    Parameters
    ----------
    features : VocoderFeatures
        Analysed or predicted parameters. F0 is ``exp(lf0)`` on frames with
        ``vuv > 0.5`` and 0 elsewhere.

    Returns
    -------
    ndarray of shape (n_samples,)
        Float64 waveform, nominally in [-1, 1].

    Raises
    ------
    ValueError
        If the features contain non-finite values or have no frames.
    """
    if features.n_frames < 1:
        raise ValueError("features have no frames")
    for name in ("lf0", "vuv", "mcep", "bap"):
        if not np.all(np.isfinite(getattr(features, name))):
            raise ValueError(f"features.{name} contains NaN or infinite values")
    f0 = np.ascontiguousarray(features.f0, dtype=np.float64)
    sp = envelope_from_mcep(
        features.mcep, alpha=features.alpha, fft_size=features.fft_size
    )
    ap = _decode_aperiodicity(features.bap, features.fs, features.fft_size)
    return pyworld.synthesize(f0, sp, ap, features.fs, features.frame_period)
