"""Multi-dialect speech corpora: labels, wav files, reading and feature caching.

Corpus layout
-------------
::

    ROOT/<dialect>/wav/<utt>.wav        mono PCM or float wav
    ROOT/<dialect>/lab/<utt>.lab        HTK label (or <utt>.TextGrid)

Every wav needs a label: ``lab/<utt>.lab``, ``lab/<utt>.TextGrid`` or
``wav/<utt>.TextGrid`` (searched in that order). HTK label lines are
``start end name`` with times in 100 ns units; ``name`` is a phone or an HTS
full-context label ``p1^p2-p3+p4=p5@...`` whose current phone is ``p3``.
Praat TextGrids (long or short text format) contribute their phone tier: the
tier named ``phones`` (or ``phone``, ``phonemes``, ``segments``), else the
only interval tier; empty intervals become ``pau``.

The built-in corpus (:func:`build_corpus`) uses the same layout, so one
reader serves it and users' corpora. Silence is labelled ``pau``.

Feature extraction (:func:`extract_features`) runs in parallel over files
and caches one ``.npz`` per utterance, keyed by the analysis settings and the
wav's size and modification time; files are written atomically, so an
interrupted run resumes where it stopped. No file is ever pickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import scipy.io.wavfile

from mtlsynth import vocoder

__all__ = [
    "CachedFeatures",
    "Corpus",
    "CorpusError",
    "Label",
    "Utterance",
    "add_corpus_command",
    "build_corpus",
    "current_phone",
    "extract_features",
    "parse_htk_label",
    "read_corpus",
    "read_htk_label",
    "read_label",
    "read_textgrid",
    "read_wav",
    "write_htk_label",
    "write_wav",
]

SILENCE = "pau"
_HTK_UNITS_PER_SECOND = 10_000_000
_PHONE_TIERS = ("phones", "phone", "phonemes", "segments")
_FULL_CONTEXT = re.compile(r"^[^\^]*\^[^-]*-(?P<phone>[^+]*)\+[^=]*=")


class CorpusError(ValueError):
    """A corpus file is missing, unreadable or malformed.

    The message names the file and, for label files, the line number.
    """


def _where(path: str | os.PathLike | None, line: int | None = None) -> str:
    where = str(path) if path is not None else "<string>"
    return f"{where}:{line}" if line is not None else where


def current_phone(name: str) -> str:
    """Current phone of a label name.

    Parameters
    ----------
    name : str
        A phone name, or an HTS full-context label ``p1^p2-p3+p4=p5@...``.

    Returns
    -------
    str
        ``p3`` for a full-context label, else ``name`` unchanged.
    """
    m = _FULL_CONTEXT.match(name)
    return m.group("phone") if m else name


# --------------------------------------------------------------------------
# atomic writes


def _umask() -> int:
    """The process's file-creation mask."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; move it over ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------
# labels


@dataclass(frozen=True)
class Label:
    """Time-aligned phone labels of one utterance.

    Parameters
    ----------
    start_times : ndarray of int64, shape (n_phones,)
        Segment start times in HTK units of 100 ns.
    end_times : ndarray of int64, shape (n_phones,)
        Segment end times in HTK units of 100 ns.
    names : tuple of str
        Segment names: phones or full-context labels.

    Attributes
    ----------
    starts, ends : ndarray of float, shape (n_phones,)
        Times in seconds.
    durations : ndarray of float, shape (n_phones,)
        Segment durations in seconds.
    phones : tuple of str
        Current phone of every segment (see :func:`current_phone`).
    """

    start_times: np.ndarray
    end_times: np.ndarray
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        starts = np.asarray(self.start_times, dtype=np.int64).reshape(-1)
        ends = np.asarray(self.end_times, dtype=np.int64).reshape(-1)
        names = tuple(str(n) for n in self.names)
        if not len(starts) == len(ends) == len(names):
            raise ValueError(
                f"label has {len(starts)} start times, {len(ends)} end times "
                f"and {len(names)} names"
            )
        object.__setattr__(self, "start_times", starts)
        object.__setattr__(self, "end_times", ends)
        object.__setattr__(self, "names", names)

    @classmethod
    def from_seconds(
        cls, starts: Sequence[float], ends: Sequence[float], names: Sequence[str]
    ) -> Label:
        """Label from times in seconds.

        Parameters
        ----------
        starts, ends : sequence of float
            Segment boundaries in seconds.
        names : sequence of str
            Segment names.

        Returns
        -------
        Label
            Times rounded to 100 ns.
        """
        to_units = _HTK_UNITS_PER_SECOND
        return cls(
            np.round(np.asarray(starts, dtype=float) * to_units).astype(np.int64),
            np.round(np.asarray(ends, dtype=float) * to_units).astype(np.int64),
            tuple(names),
        )

    def __len__(self) -> int:
        return len(self.names)

    @property
    def starts(self) -> np.ndarray:
        """Start times in seconds."""
        return self.start_times / _HTK_UNITS_PER_SECOND

    @property
    def ends(self) -> np.ndarray:
        """End times in seconds."""
        return self.end_times / _HTK_UNITS_PER_SECOND

    @property
    def durations(self) -> np.ndarray:
        """Durations in seconds."""
        return (self.end_times - self.start_times) / _HTK_UNITS_PER_SECOND

    @property
    def phones(self) -> tuple[str, ...]:
        """Current phone of every segment."""
        return tuple(current_phone(n) for n in self.names)

    def segment_frames(self, frame_period: float = 5.0) -> np.ndarray:
        """Number of frames of every segment.

        Segment boundaries are rounded to the nearest frame, so the counts
        add up to :meth:`num_frames`; the first segment also takes the
        frames before its start.

        Parameters
        ----------
        frame_period : float, default=5.0
            Frame shift in milliseconds.

        Returns
        -------
        ndarray of int, shape (n_phones,)
            Frames per segment (0 for segments shorter than half a frame).
        """
        if frame_period <= 0:
            raise ValueError(f"frame_period must be positive, got {frame_period!r}")
        if len(self) == 0:
            return np.zeros(0, dtype=np.int64)
        units = frame_period * 1e-3 * _HTK_UNITS_PER_SECOND
        bounds = np.round(self.end_times / units).astype(np.int64)
        bounds = np.maximum.accumulate(bounds)
        return np.diff(bounds, prepend=0)

    def num_frames(self, frame_period: float = 5.0) -> int:
        """Number of frames covered by the label.

        Parameters
        ----------
        frame_period : float, default=5.0
            Frame shift in milliseconds.

        Returns
        -------
        int
            ``round(end of last segment / frame_period)``.
        """
        return int(self.segment_frames(frame_period).sum())

    def frame_index(self, frame_period: float = 5.0) -> np.ndarray:
        """Segment index of every frame.

        Parameters
        ----------
        frame_period : float, default=5.0
            Frame shift in milliseconds.

        Returns
        -------
        ndarray of int, shape (num_frames,)
            Index into :attr:`names` for each frame.
        """
        counts = self.segment_frames(frame_period)
        return np.repeat(np.arange(len(self)), counts)

    def to_htk(self) -> str:
        """HTK label text, one ``start end name`` line per segment.

        Returns
        -------
        str
            The label file contents.
        """
        return "".join(
            f"{s} {e} {n}\n"
            for s, e, n in zip(
                self.start_times, self.end_times, self.names, strict=True
            )
        )


def parse_htk_label(text: str, *, source: str | os.PathLike | None = None) -> Label:
    """Parse HTK label text.

    Parameters
    ----------
    text : str
        Lines ``start end name [extra fields]`` with integer times in 100 ns
        units; blank lines are ignored.
    source : str or path-like, optional
        File name used in error messages.

    Returns
    -------
    Label
        The segments, in file order.

    Raises
    ------
    CorpusError
        For a malformed line, a negative time, an end before its start, or a
        segment starting before the previous one ends; the message names the
        file and line.
    """
    starts: list[int] = []
    ends: list[int] = []
    names: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 3:
            raise CorpusError(
                f"{_where(source, lineno)}: expected 'start end name', got {line!r}"
            )
        try:
            start, end = int(fields[0]), int(fields[1])
        except ValueError:
            raise CorpusError(
                f"{_where(source, lineno)}: start and end times must be integers "
                f"(100 ns units), got {line!r}"
            ) from None
        _check_segment(start, end, ends[-1] if ends else None, source, lineno)
        starts.append(start)
        ends.append(end)
        names.append(fields[2])
    return Label(
        np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), tuple(names)
    )


def _check_segment(
    start: int, end: int, prev_end: int | None, source: Any, lineno: int
) -> None:
    if start < 0:
        raise CorpusError(f"{_where(source, lineno)}: negative start time {start}")
    if end < start:
        raise CorpusError(
            f"{_where(source, lineno)}: end time {end} is before start time {start}"
        )
    if prev_end is not None and start < prev_end:
        raise CorpusError(
            f"{_where(source, lineno)}: segment starts at {start}, before the "
            f"previous segment ends ({prev_end})"
        )


def read_htk_label(path: str | os.PathLike) -> Label:
    """Read an HTK label file.

    Parameters
    ----------
    path : str or path-like
        The ``.lab`` file.

    Returns
    -------
    Label
        The segments.

    Raises
    ------
    CorpusError
        If the file cannot be read or is malformed (message names file and
        line).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read label file ({exc})") from None
    return parse_htk_label(text, source=path)


def write_htk_label(path: str | os.PathLike, label: Label) -> None:
    """Write an HTK label file atomically.

    Parameters
    ----------
    path : str or path-like
        Destination ``.lab`` file; its folder is created if needed.
    label : Label
        The segments to write.
    """
    with _atomic_open(path, "w") as f:
        f.write(label.to_htk())


_TG_TOKEN = re.compile(r'"((?:[^"]|"")*)"|(\[[^\]]*\])|([^\s=\[\]:]+)')


def _textgrid_tokens(text: str) -> list[tuple[str, int, bool]]:
    """Tokens (value, line number, is_string) of a TextGrid, labels dropped."""
    tokens = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        for m in _TG_TOKEN.finditer(line):
            if m.group(1) is not None:
                tokens.append((m.group(1).replace('""', '"'), lineno, True))
            elif m.group(3) is not None:
                word = m.group(3)
                # keep numbers and the <exists> flag; skip key names
                if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", word) or (
                    word == "<exists>"
                ):
                    tokens.append((word, lineno, False))
    return tokens


def read_textgrid(path: str | os.PathLike, *, tier: str | None = None) -> Label:
    """Read the phone tier of a Praat TextGrid.

    Both the long and the short text formats are read (UTF-8 or UTF-16).

    Parameters
    ----------
    path : str or path-like
        The ``.TextGrid`` file.
    tier : str, optional
        Name of the interval tier to read. By default the tier named
        ``phones``, ``phone``, ``phonemes`` or ``segments`` (any case),
        else the only interval tier.

    Returns
    -------
    Label
        The intervals of the tier; empty intervals are named ``pau``.

    Raises
    ------
    CorpusError
        If the file is not a readable TextGrid, the tier cannot be chosen or
        is missing, or intervals are malformed (message names file and line).
    """
    raw = _read_bytes(path, "TextGrid")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CorpusError(f"{path}: TextGrid is not UTF-8 or UTF-16") from None
    tokens = _textgrid_tokens(text)
    strings = [t for t in tokens if t[2]]
    if len(strings) < 2 or strings[0][0] != "ooTextFile" or strings[1][0] != "TextGrid":
        raise CorpusError(f"{_where(path, 1)}: not a Praat TextGrid text file")

    pos = [tokens.index(strings[1]) + 1]

    def take(kind: str) -> tuple[str, int, bool]:
        if pos[0] >= len(tokens):
            raise CorpusError(f"{path}: TextGrid ends early (expected {kind})")
        tok = tokens[pos[0]]
        pos[0] += 1
        return tok

    def number(kind: str) -> tuple[float, int]:
        value, lineno, is_string = take(kind)
        try:
            if is_string:
                raise ValueError
            return float(value), lineno
        except ValueError:
            raise CorpusError(
                f"{_where(path, lineno)}: expected a number for {kind}, got {value!r}"
            ) from None

    number("xmin")
    number("xmax")
    exists = take("tiers flag")
    if exists[0] != "<exists>":
        raise CorpusError(f"{_where(path, exists[1])}: expected '<exists>'")
    n_tiers = int(number("number of tiers")[0])
    tiers: dict[str, list[tuple[float, float, str, int]]] = {}
    order: list[str] = []
    for _ in range(n_tiers):
        cls_name, cls_line, _s = take("tier class")
        name = take("tier name")[0]
        number("tier xmin")
        number("tier xmax")
        n_items = int(number("number of intervals")[0])
        items = []
        for _ in range(n_items):
            if cls_name == "IntervalTier":
                xmin, line = number("interval xmin")
                xmax, _l = number("interval xmax")
                label = take("interval text")[0]
                items.append((xmin, xmax, label, line))
            elif cls_name == "TextTier":
                number("point time")
                take("point mark")
            else:
                raise CorpusError(
                    f"{_where(path, cls_line)}: unknown tier class {cls_name!r}"
                )
        if cls_name == "IntervalTier":
            tiers[name] = items
            order.append(name)

    if tier is not None:
        if tier not in tiers:
            raise CorpusError(
                f"{path}: no interval tier named {tier!r} (tiers: {order})"
            )
        chosen = tier
    else:
        lowered = {n.lower(): n for n in order}
        found = [lowered[t] for t in _PHONE_TIERS if t in lowered]
        if found:
            chosen = found[0]
        elif len(order) == 1:
            chosen = order[0]
        else:
            raise CorpusError(
                f"{path}: cannot tell which tier holds phones (tiers: {order}); "
                "name it 'phones'"
            )
    starts, ends, names = [], [], []
    prev_end = None
    for xmin, xmax, label, line in tiers[chosen]:
        start = int(round(xmin * _HTK_UNITS_PER_SECOND))
        end = int(round(xmax * _HTK_UNITS_PER_SECOND))
        _check_segment(start, end, prev_end, path, line)
        prev_end = end
        starts.append(start)
        ends.append(end)
        names.append(label.strip() or SILENCE)
    return Label(
        np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), tuple(names)
    )


def read_label(path: str | os.PathLike) -> Label:
    """Read an HTK ``.lab`` or a Praat ``.TextGrid`` file by its extension.

    Parameters
    ----------
    path : str or path-like
        The label file.

    Returns
    -------
    Label
        The segments.

    Raises
    ------
    CorpusError
        If the file cannot be read or is malformed.
    """
    if Path(path).suffix.lower() == ".textgrid":
        return read_textgrid(path)
    return read_htk_label(path)


# --------------------------------------------------------------------------
# wav files


def _read_bytes(path: str | os.PathLike, kind: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read {kind} file ({exc})") from None


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
    with _atomic_open(path, "wb") as f:
        scipy.io.wavfile.write(f, int(fs), x)


# --------------------------------------------------------------------------
# reading a corpus


@dataclass(frozen=True)
class Utterance:
    """One utterance of a corpus.

    Parameters
    ----------
    dialect : str
        Dialect (task) name, the first-level folder.
    name : str
        Utterance name, the wav file stem.
    wav_path : Path
        The wav file.
    label_path : Path
        The label file (``.lab`` or ``.TextGrid``).
    label : Label
        The parsed label.
    n_samples : int
        Length of the audio in samples.
    """

    dialect: str
    name: str
    wav_path: Path
    label_path: Path
    label: Label = field(repr=False)
    n_samples: int

    def load_wav(self) -> tuple[np.ndarray, int]:
        """Read the audio.

        Returns
        -------
        x : ndarray of shape (n_samples,)
            Float64 samples in [-1, 1).
        fs : int
            Sample rate in Hz.
        """
        return read_wav(self.wav_path)


@dataclass(frozen=True)
class Corpus:
    """A checked multi-dialect corpus.

    Parameters
    ----------
    root : Path
        Corpus root folder.
    fs : int
        Sample rate shared by every wav.
    utterances : tuple of Utterance
        Utterances sorted by dialect then name.

    Attributes
    ----------
    dialects : tuple of str
        Dialect names, sorted.
    """

    root: Path
    fs: int
    utterances: tuple[Utterance, ...]

    @property
    def dialects(self) -> tuple[str, ...]:
        """Dialect names, sorted."""
        return tuple(sorted({u.dialect for u in self.utterances}))

    def __len__(self) -> int:
        return len(self.utterances)

    def __iter__(self) -> Iterator[Utterance]:
        return iter(self.utterances)

    def by_dialect(self, dialect: str) -> tuple[Utterance, ...]:
        """Utterances of one dialect.

        Parameters
        ----------
        dialect : str
            Dialect name.

        Returns
        -------
        tuple of Utterance
            The dialect's utterances, sorted by name.
        """
        if dialect not in self.dialects:
            raise ValueError(f"unknown dialect {dialect!r}; have {self.dialects}")
        return tuple(u for u in self.utterances if u.dialect == dialect)


def _find_label(wav: Path) -> Path | None:
    lab_dir = wav.parent.parent / "lab"
    for candidate in (
        lab_dir / f"{wav.stem}.lab",
        lab_dir / f"{wav.stem}.TextGrid",
        wav.with_suffix(".TextGrid"),
    ):
        if candidate.is_file():
            return candidate
    return None


def _label_line(path: Path, index: int) -> int | None:
    """Line number of the ``index``-th segment of an HTK label file."""
    if path.suffix.lower() != ".lab":
        return None
    count = -1
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.split():
            count += 1
            if count == index:
                return lineno
    return None


def read_corpus(
    root: str | os.PathLike,
    *,
    dialects: Sequence[str] | None = None,
    tolerance: float = 0.025,
) -> Corpus:
    """Read and check a corpus laid out as ``ROOT/<dialect>/{wav,lab}/``.

    Parameters
    ----------
    root : str or path-like
        Corpus root folder.
    dialects : sequence of str, optional
        Dialects to read; default every folder with a ``wav`` subfolder.
    tolerance : float, default=0.025
        How far (seconds) the last label may end after the audio.

    Returns
    -------
    Corpus
        Utterances with parsed labels.

    Raises
    ------
    CorpusError
        Listing every problem found, each naming its file (and line for
        labels): a wav without a label, an unreadable wav or label, a
        malformed label, a label ending after the audio, a sample rate that
        differs from the rest of the corpus, or an empty corpus.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"{root}: corpus folder does not exist")
    if dialects is None:
        dialect_dirs = sorted(p for p in root.iterdir() if (p / "wav").is_dir())
    else:
        dialect_dirs = [root / d for d in dialects]
        for d in dialect_dirs:
            if not (d / "wav").is_dir():
                raise CorpusError(f"{d / 'wav'}: dialect folder has no wav folder")
    errors: list[str] = []
    utterances: list[Utterance] = []
    fs_ref: tuple[int, Path] | None = None
    for ddir in dialect_dirs:
        for wav in sorted((ddir / "wav").glob("*.wav")):
            lab = _find_label(wav)
            if lab is None:
                errors.append(
                    f"{wav}: no label ({ddir / 'lab' / (wav.stem + '.lab')} "
                    "or .TextGrid)"
                )
                continue
            try:
                fs, data = _open_wav(wav, mmap=True)
                n_samples = len(data)
                del data
                label = read_label(lab)
            except CorpusError as exc:
                errors.append(str(exc))
                continue
            if fs_ref is None:
                fs_ref = (fs, wav)
            elif fs != fs_ref[0]:
                errors.append(
                    f"{wav}: sample rate {fs} Hz differs from {fs_ref[0]} Hz of "
                    f"{fs_ref[1]}"
                )
                continue
            if len(label) == 0:
                errors.append(f"{lab}: label file has no segments")
                continue
            duration = n_samples / fs
            if label.ends[-1] > duration + tolerance:
                line = _label_line(lab, len(label) - 1)
                errors.append(
                    f"{_where(lab, line)}: label ends at {label.ends[-1]:.3f} s, "
                    f"after the end of {wav.name} ({duration:.3f} s)"
                )
                continue
            utterances.append(
                Utterance(ddir.name, wav.stem, wav, lab, label, n_samples)
            )
    if errors:
        shown = errors[:20]
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise CorpusError(
            f"{len(errors)} problem(s) in corpus {root}:\n" + "\n".join(shown) + more
        )
    if not utterances:
        raise CorpusError(f"{root}: corpus has no wav files")
    assert fs_ref is not None
    return Corpus(root, fs_ref[0], tuple(utterances))


# --------------------------------------------------------------------------
# progress and feature extraction


class _Progress:
    """A single updating progress line on stderr."""

    def __init__(self, total: int, what: str, *, enabled: bool = True) -> None:
        self.total, self.what, self.enabled = total, what, enabled
        self.done = 0
        self.t0 = time.monotonic()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.2 or self.done >= self.total):
            self._last = now
            elapsed = now - self.t0
            eta = elapsed / self.done * (self.total - self.done) if self.done else 0
            sys.stderr.write(
                f"\r{self.what}: {self.done}/{self.total} "
                f"[{elapsed:.0f} s elapsed, {eta:.0f} s left]"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


_FEATURE_FORMAT = 1


def _settings_key(settings: dict[str, Any]) -> str:
    blob = json.dumps({"format": _FEATURE_FORMAT, **settings}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def _wav_stamp(path: Path) -> np.ndarray:
    st = path.stat()
    return np.array([st.st_size, st.st_mtime_ns], dtype=np.int64)


def _load_cached(path: Path, stamp: np.ndarray) -> vocoder.VocoderFeatures | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            if not np.array_equal(z["wav_stamp"], stamp):
                return None
            return vocoder.VocoderFeatures(
                fs=int(z["fs"]),
                frame_period=float(z["frame_period"]),
                fft_size=int(z["fft_size"]),
                alpha=float(z["alpha"]),
                lf0=z["lf0"],
                vuv=z["vuv"],
                mcep=z["mcep"],
                bap=z["bap"],
            )
    except (OSError, ValueError, KeyError, EOFError):
        return None


def _save_features(
    path: Path, feats: vocoder.VocoderFeatures, stamp: np.ndarray
) -> None:
    with _atomic_open(path, "wb") as f:
        np.savez(
            f,
            wav_stamp=stamp,
            fs=np.int64(feats.fs),
            frame_period=np.float64(feats.frame_period),
            fft_size=np.int64(feats.fft_size),
            alpha=np.float64(feats.alpha),
            lf0=feats.lf0,
            vuv=feats.vuv,
            mcep=feats.mcep,
            bap=feats.bap,
        )


def _analyze_to_cache(
    wav_path: Path, cache_path: Path, settings: dict[str, Any]
) -> str:
    stamp = _wav_stamp(wav_path)
    x, fs = read_wav(wav_path)
    try:
        feats = vocoder.analyze(x, fs, **settings)
    except ValueError as exc:
        raise CorpusError(f"{wav_path}: {exc}") from None
    _save_features(cache_path, feats, stamp)
    return str(cache_path)


class CachedFeatures(Sequence):
    """Vocoder features of a corpus, read from the cache one utterance at a time.

    What :func:`extract_features` returns with ``lazy=True``: memory stays at
    one utterance however large the corpus.

    Parameters
    ----------
    paths : sequence of Path
        Cache file of every utterance.
    wavs : sequence of Path
        The wav file each cache file was computed from.
    """

    def __init__(self, paths: Sequence[Path], wavs: Sequence[Path]):
        self._paths = list(paths)
        self._wavs = list(wavs)

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, index: int) -> vocoder.VocoderFeatures:
        if not -len(self) <= index < len(self):
            raise IndexError(f"utterance {index} of {len(self)}")
        path, wav = self._paths[index], self._wavs[index]
        feats = _load_cached(path, _wav_stamp(wav))
        if feats is None:
            raise CorpusError(
                f"{wav}: its cached features ({path}) are missing or stale; "
                "run extract_features again"
            )
        return feats


def _cache_is_valid(path: Path, stamp: np.ndarray) -> bool:
    """Whether ``path`` holds features of the wav with this size and time."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return bool(np.array_equal(z["wav_stamp"], stamp))
    except (OSError, ValueError, KeyError, EOFError):
        return False


def extract_features(
    corpus: Corpus,
    *,
    cache_dir: str | os.PathLike | None = None,
    frame_period: float = 5.0,
    f0_method: str = "harvest",
    f0_floor: float = 71.0,
    f0_ceil: float = 800.0,
    mcep_order: int | None = None,
    mcep_alpha: float | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    lazy: bool = False,
) -> list[vocoder.VocoderFeatures] | CachedFeatures:
    """Vocoder features of every utterance, computed in parallel and cached.

    Parameters
    ----------
    corpus : Corpus
        The corpus from :func:`read_corpus`.
    cache_dir : str or path-like, optional
        Cache folder; default ``<corpus root>/.features``. Features live in
        ``<cache_dir>/<settings key>/<dialect>/<utt>.npz`` and are reused
        while the wav's size and modification time are unchanged.
    frame_period : float, default=5.0
        Frame shift in ms.
    f0_method : {"harvest", "dio"}, default="harvest"
        F0 estimator.
    f0_floor : float, default=71.0
        Lowest F0 searched, in Hz.
    f0_ceil : float, default=800.0
        Highest F0 searched, in Hz.
    mcep_order : int, optional
        Mel-cepstral order; chosen from the sample rate by default.
    mcep_alpha : float, optional
        All-pass constant; chosen from the sample rate by default.
    n_jobs : int, default=1
        Parallel worker processes (joblib; -1 for all cores).
    progress : bool, default=True
        Show a progress line on stderr while analysing.
    lazy : bool, default=False
        Return a :class:`CachedFeatures` that reads each utterance from the
        cache when indexed, instead of a list holding them all in memory.

    Returns
    -------
    list of VocoderFeatures or CachedFeatures
        One per utterance, in the order of ``corpus.utterances``.

    Raises
    ------
    CorpusError
        If a wav cannot be read or analysed (the message names the file).
    """
    from joblib import Parallel, delayed

    settings = {
        "frame_period": float(frame_period),
        "f0_method": f0_method,
        "f0_floor": float(f0_floor),
        "f0_ceil": float(f0_ceil),
        "mcep_order": None if mcep_order is None else int(mcep_order),
        "mcep_alpha": None if mcep_alpha is None else float(mcep_alpha),
    }
    base = Path(cache_dir) if cache_dir is not None else corpus.root / ".features"
    folder = base / _settings_key(settings)
    folder.mkdir(parents=True, exist_ok=True)
    settings_file = folder / "settings.json"
    if not settings_file.exists():
        with _atomic_open(settings_file, "w") as f:
            json.dump(settings, f, indent=1, sort_keys=True)

    paths = [folder / u.dialect / f"{u.name}.npz" for u in corpus.utterances]
    wavs = [u.wav_path for u in corpus.utterances]
    results: list[vocoder.VocoderFeatures | None] = []
    todo: list[int] = []
    for i, (path, wav) in enumerate(zip(paths, wavs, strict=True)):
        if lazy:
            feats = None
            if not (path.exists() and _cache_is_valid(path, _wav_stamp(wav))):
                todo.append(i)
            continue
        feats = _load_cached(path, _wav_stamp(wav)) if path.exists() else None
        results.append(feats)
        if feats is None:
            todo.append(i)
    if todo:
        bar = _Progress(len(todo), "analysing", enabled=progress)
        jobs = (
            delayed(_analyze_to_cache)(
                corpus.utterances[i].wav_path,
                folder
                / corpus.utterances[i].dialect
                / f"{corpus.utterances[i].name}.npz",
                settings,
            )
            for i in todo
        )
        for _ in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
            bar.update()
    if lazy:
        return CachedFeatures(paths, wavs)
    if todo:
        for i in todo:
            utt = corpus.utterances[i]
            path = folder / utt.dialect / f"{utt.name}.npz"
            results[i] = _load_cached(path, _wav_stamp(utt.wav_path))
            if results[i] is None:
                raise CorpusError(f"{utt.wav_path}: wav changed during analysis")
    return results  # type: ignore[return-value]


# --------------------------------------------------------------------------
# the built-in corpus


def _read_prompts(path: Path) -> dict[str, str]:
    prompts: dict[str, str] = {}
    if not path.exists():
        return prompts
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        name, sep, text = line.partition(" ")
        if not sep or not text.strip():
            raise CorpusError(f"{path}:{lineno}: expected '<utt> <text>', got {line!r}")
        prompts[name] = text
    return prompts


def _synthesize_chunk(
    out: Path, dialect: str, items: list[tuple[str, str]], seed: int
) -> int:
    from mtlsynth import _espeak

    for name, text in items:
        audio, pron = _espeak.synthesize_text(text, dialect=dialect)
        # 1-LSB Gaussian dither gives digital silence a realistic noise floor
        rng = np.random.default_rng([seed, zlib.crc32(f"{dialect}/{name}".encode())])
        noisy = audio.astype(np.float64) + rng.normal(size=len(audio))
        audio = np.clip(np.round(noisy), -32768, 32767).astype(np.int16)
        label = pron.label
        duration_units = round(
            len(audio) * _HTK_UNITS_PER_SECOND / _espeak.sample_rate()
        )
        if (
            len(label) == 0
            or label.start_times[0] != 0
            or np.any(label.end_times <= label.start_times)
            or np.any(label.start_times[1:] != label.end_times[:-1])
            or abs(int(label.end_times[-1]) - duration_units) > 1
        ):
            raise RuntimeError(
                f"eSpeak NG alignment of {dialect}/{name} does not tile the audio"
            )
        write_htk_label(out / dialect / "lab" / f"{name}.lab", label)
        write_wav(out / dialect / "wav" / f"{name}.wav", audio, _espeak.sample_rate())
    return len(items)


def build_corpus(
    out: str | os.PathLike,
    *,
    dialects: Sequence[str] | None = None,
    n_utterances: int = 200,
    seed: int = 0,
    n_jobs: int = 1,
    progress: bool = True,
) -> Path:
    """Build the parallel multi-dialect corpus with eSpeak NG.

    Every dialect speaks the same sentences (see :mod:`mtlsynth._text`),
    chosen for diphone coverage; phone labels come from eSpeak's phoneme
    events and are sample-exact; 0.1 s of silence pads each end, and every
    file starts and ends with a ``pau`` segment. The layout is the one
    :func:`read_corpus` reads, with ``OUT/prompts.txt`` holding
    ``<utt> <text>`` lines. Wav files are 16-bit PCM at 22.05 kHz with a
    deterministic 1-LSB Gaussian dither, so silences have a noise floor
    rather than digital zeros.

    The build resumes: utterances whose wav and label both exist are
    skipped, and every file is written atomically.

    Parameters
    ----------
    out : str or path-like
        Output folder (created if needed).
    dialects : sequence of str, optional
        Dialect names, keys of ``mtlsynth._espeak.DIALECTS``; default all:
        en-US, en-US-nyc, en (British), en-GB-x-rp, en-GB-scotland,
        en-GB-x-gbclan (Lancaster), en-GB-x-gbcwmd (West Midlands), en-029
        (Caribbean). The names are the dialect folder names.
    n_utterances : int, default=200
        Utterances per dialect, named ``utt0001``, ``utt0002``, ...
    seed : int, default=0
        Seed of the sentence pool; a larger ``n_utterances`` with the same
        seed extends a smaller build.
    n_jobs : int, default=1
        Parallel worker processes (joblib; -1 for all cores).
    progress : bool, default=True
        Show a progress line on stderr.

    Returns
    -------
    Path
        The corpus root.

    Raises
    ------
    ValueError
        For an unknown dialect or a non-positive ``n_utterances``.
    CorpusError
        If ``out`` already holds a corpus built from other sentences.
    """
    from joblib import Parallel, delayed

    from mtlsynth import _espeak, _text

    if dialects is None:
        dialects = list(_espeak.DIALECTS)
    unknown = [d for d in dialects if d not in _espeak.DIALECTS]
    if unknown:
        raise ValueError(
            f"unknown dialect(s) {unknown}; choose from {list(_espeak.DIALECTS)}"
        )
    if int(n_utterances) != n_utterances or n_utterances < 1:
        raise ValueError(
            f"n_utterances must be a positive integer, got {n_utterances!r}"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sentences = _text.select_sentences(int(n_utterances), seed=seed)
    names = [f"utt{i + 1:04d}" for i in range(len(sentences))]
    prompts_path = out / "prompts.txt"
    prompts = _read_prompts(prompts_path)
    for name, text in zip(names, sentences, strict=True):
        if prompts.get(name, text) != text:
            raise CorpusError(
                f"{prompts_path}: {name} was built from {prompts[name]!r}, not "
                f"{text!r}; build into another folder or use the same seed"
            )
        prompts[name] = text
    with _atomic_open(prompts_path, "w") as f:
        f.writelines(f"{k} {prompts[k]}\n" for k in sorted(prompts))

    todo: dict[str, list[tuple[str, str]]] = {}
    for dialect in dialects:
        for name, text in zip(names, sentences, strict=True):
            wav = out / dialect / "wav" / f"{name}.wav"
            lab = out / dialect / "lab" / f"{name}.lab"
            if not (wav.is_file() and lab.is_file()):
                todo.setdefault(dialect, []).append((name, text))
    total = sum(len(v) for v in todo.values())
    if total:
        chunk = 10
        jobs = [
            delayed(_synthesize_chunk)(out, dialect, items[i : i + chunk], seed)
            for dialect, items in todo.items()
            for i in range(0, len(items), chunk)
        ]
        bar = _Progress(total, "synthesising", enabled=progress)
        for done in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
            bar.update(done)
    return out


# --------------------------------------------------------------------------
# command line


def _cmd_build(args: Any) -> int:
    try:
        root = build_corpus(
            args.out,
            dialects=args.dialects,
            n_utterances=args.utterances,
            seed=args.seed,
            n_jobs=args.jobs,
        )
        corpus = read_corpus(root, dialects=args.dialects)
    except (CorpusError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{root}: {len(corpus)} utterances in {len(corpus.dialects)} dialects "
        f"at {corpus.fs} Hz"
    )
    return 0


def _cmd_check(args: Any) -> int:
    try:
        corpus = read_corpus(args.root)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for dialect in corpus.dialects:
        utts = corpus.by_dialect(dialect)
        seconds = sum(u.n_samples for u in utts) / corpus.fs
        print(f"{dialect}: {len(utts)} utterances, {seconds:.1f} s")
    return 0


def add_corpus_command(subparsers: Any) -> Any:
    """Register the ``corpus`` command on an argparse subparsers object.

    Adds ``corpus build OUT [--dialects D ...] [--utterances N] [--seed S]
    [--jobs J]`` and ``corpus check ROOT``; each sets ``func`` (taking the
    parsed arguments, returning an exit code) through ``set_defaults``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The result of ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The ``corpus`` parser.
    """
    from mtlsynth._espeak import DIALECTS

    parser = subparsers.add_parser(
        "corpus", help="build or check a multi-dialect speech corpus"
    )
    sub = parser.add_subparsers(dest="corpus_command", required=True)
    build = sub.add_parser(
        "build", help="synthesise the built-in parallel corpus with eSpeak NG"
    )
    build.add_argument("out", help="output folder")
    build.add_argument(
        "--dialects",
        nargs="+",
        choices=list(DIALECTS),
        default=None,
        metavar="DIALECT",
        help=f"dialects to build (default: all of {', '.join(DIALECTS)})",
    )
    build.add_argument(
        "--utterances", type=int, default=200, help="utterances per dialect"
    )
    build.add_argument("--seed", type=int, default=0, help="sentence pool seed")
    build.add_argument("--jobs", type=int, default=1, help="parallel processes")
    build.set_defaults(func=_cmd_build)
    check = sub.add_parser("check", help="check a corpus and summarise it")
    check.add_argument("root", help="corpus folder")
    check.set_defaults(func=_cmd_check)
    return parser
