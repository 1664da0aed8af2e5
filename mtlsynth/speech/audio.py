"""Wav files: reading as float samples, writing atomically."""

from __future__ import annotations

import os

import numpy as np
import scipy.io.wavfile

from mtlsynth.speech.errors import CorpusError
from mtlsynth.utils.files import atomic_open

__all__ = [
    "read_wav",
    "write_wav",
]


def _open_wav(path: str | os.PathLike, *, mmap: bool) -> tuple[int, np.ndarray]:
    try:
        fs, data = scipy.io.wavfile.read(path, mmap=mmap)
    except (OSError, ValueError, EOFError) as exc:
        raise CorpusError(f"{path}: cannot read wav file ({exc})") from None
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
        If the file is unreadable or not mono (the message names the file).
    """
    fs, data = _open_wav(path, mmap=False)
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
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"waveform must be 1-D, got shape {x.shape}")
    if x.dtype != np.int16:
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise ValueError("waveform contains NaN or infinite samples")
        x = np.round(np.clip(x, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)
    with atomic_open(path, "wb") as f:
        scipy.io.wavfile.write(f, int(fs), x)
