"""Wav files: reading as float samples, writing atomically."""

from __future__ import annotations

import os
import struct
import warnings
import wave
from collections.abc import Iterable

import numpy as np
import scipy.io.wavfile
from scipy.io.wavfile import WavFileWarning

from mtlsynth.speech.errors import CorpusError, CorpusWarning
from mtlsynth.utils.files import atomic_open

__all__ = [
    "limit_peaks",
    "read_wav",
    "write_wav",
    "write_wav_stream",
]


# scipy's warnings that mean the file ends before its header says it does
_TRUNCATED = ("Reached EOF prematurely", "Incomplete chunk ID")


def _open_wav(path: str | os.PathLike) -> tuple[int, np.ndarray]:
    """Sample rate and samples of a mono wav, or a :class:`CorpusError`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WavFileWarning)
        try:
            fs, data = scipy.io.wavfile.read(path)
        except struct.error:  # a short read of a header field
            raise CorpusError(f"{path}: wav file is truncated in its header") from None
        except Exception as exc:
            # a malformed header makes scipy raise ValueError, TypeError,
            # ZeroDivisionError, UnboundLocalError, ...
            raise CorpusError(f"{path}: cannot read wav file ({exc})") from None
    for w in caught:
        if not issubclass(w.category, WavFileWarning):
            warnings.warn(w.message, w.category, stacklevel=3)
        elif str(w.message).startswith(_TRUNCATED):
            raise CorpusError(f"{path}: wav file is truncated ({w.message})")
        else:
            warnings.warn(f"{path}: {w.message}", CorpusWarning, stacklevel=3)
    if data.ndim != 1:
        raise CorpusError(
            f"{path}: wav has {data.shape[1]} channels; the corpus needs mono audio"
        )
    return int(fs), data


def read_wav(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read a mono wav file as float64 samples.

    Parameters
    ----------
    path : str or path-like
        The wav file (8/16/24/32-bit PCM or 32/64-bit float).

    Returns
    -------
    x : ndarray of shape (n_samples,)
        Samples scaled to [-1, 1).
    fs : int
        Sample rate in Hz.

    Raises
    ------
    CorpusError
        If the file is unreadable, truncated or not mono (the message names
        the file).

    Warns
    -----
    CorpusWarning
        For what scipy reads past, such as chunks it does not know.
    """
    fs, data = _open_wav(path)
    if data.dtype == np.uint8:
        x = (data.astype(np.float64) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.integer):
        x = data.astype(np.float64) / float(2 ** (8 * data.dtype.itemsize - 1))
    else:
        x = data.astype(np.float64)
    return np.ascontiguousarray(x), fs


def write_wav(path: str | os.PathLike, x: np.ndarray, fs: int) -> None:
    """Write a mono waveform as 16-bit PCM, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination file; its folder is created if needed.
    x : ndarray of shape (n_samples,)
        Float samples in [-1, 1] (clipped) or int16 samples (written as is).
    fs : int
        Sample rate in Hz.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D or not finite.
    """
    write_wav_stream(path, [x], fs)


def write_wav_stream(
    path: str | os.PathLike, pieces: Iterable[np.ndarray], fs: int
) -> int:
    """Write mono waveforms one after another as one 16-bit PCM wav, atomically.

    Each piece is written when it comes, so a long recording never has to
    be held in memory; the file appears at ``path`` only once it is whole.

    Parameters
    ----------
    path : str or path-like
        Destination file; its folder is created if needed.
    pieces : iterable of ndarray of shape (n_samples,)
        Float samples in [-1, 1] (clipped) or int16 samples (written as is).
    fs : int
        Sample rate in Hz.

    Returns
    -------
    int
        Number of samples written.

    Raises
    ------
    ValueError
        If a piece is not 1-D or not finite (nothing is written).
    """
    n = 0
    with atomic_open(path, "wb") as f, wave.open(f, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(fs))
        for x in pieces:
            samples = _pcm16(x)
            out.writeframes(samples.astype("<i2").tobytes())
            n += len(samples)
    return n


def _pcm16(x: np.ndarray) -> np.ndarray:
    """Samples as int16: floats scaled by 32768 and clipped, int16 as they are."""
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"waveform must be 1-D, got shape {x.shape}")
    if x.dtype == np.int16:
        return x
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("waveform contains NaN or infinite samples")
    return np.round(np.clip(x, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)


def limit_peaks(
    wave: np.ndarray, *, knee: float = 0.9, ceiling: float = 0.99
) -> np.ndarray:
    """Compress the samples beyond ``knee`` smoothly to stay within ``ceiling``.

    The other samples are untouched, so the loudness stays what produced
    the wave (rather than the whole file scaled to its peak, which lets one
    burst silence the rest).

    Parameters
    ----------
    wave : ndarray of shape (n_samples,)
        Float samples.
    knee : float, default=0.9
        Largest magnitude left as it is.
    ceiling : float, default=0.99
        Magnitude that no sample reaches.

    Returns
    -------
    ndarray of shape (n_samples,)
        The limited samples (a new array); monotone in the input.
    """
    room = ceiling - knee
    out = np.array(wave, dtype=np.float64)
    over = np.abs(out) > knee
    out[over] = np.sign(out[over]) * (
        knee + room * np.tanh((np.abs(out[over]) - knee) / room)
    )
    return out
