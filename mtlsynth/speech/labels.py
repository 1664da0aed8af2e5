"""Phone labels and their words: HTK and HTS label files, Praat TextGrids."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mtlsynth.speech._textgrid import read_tiers, textgrid_text
from mtlsynth.speech.errors import CorpusError, where
from mtlsynth.speech.phonesets import SILENCES
from mtlsynth.utils.files import atomic_open

__all__ = [
    "HTK_UNITS_PER_SECOND",
    "Label",
    "SILENCE",
    "current_phone",
    "parse_htk_label",
    "read_htk_label",
    "read_label",
    "read_textgrid",
    "write_htk_label",
    "write_textgrid",
]

SILENCE = "pau"


HTK_UNITS_PER_SECOND = 10_000_000

# label times are stored as int64
_MAX_TIME = np.iinfo(np.int64).max


_PHONE_TIERS = ("phones", "phone", "phonemes", "segments")

_WORD_TIERS = ("words", "word")

# word intervals that mark no word; ``<unk>`` is a real, unknown word
_SILENCE_WORDS = SILENCES | {"<sil>", "<p:>"}


_FULL_CONTEXT = re.compile(r"^[^\^]*\^[^-]*-(?P<phone>[^+]*)\+[^=]*=")

# HTS English: /E:e1+e2@e3+e4&... (current word), /H:h1=h2@h3=h4|... (current
# phrase; some label sets write ``^`` for ``@``); e3/e4 and h3/h4 are
# positions forward/backward of the word in its phrase and of the phrase in
# the utterance, ``x`` outside words
_HTS_WORD = re.compile(r"/E:[^+/]*\+[^@/]*@(?P<fw>[^+/]*)\+(?P<bw>[^&/]*)&")
_HTS_PHRASE = re.compile(r"/H:[^=/]*=[^@^/]*[@^](?P<fw>[^=/]*)=(?P<bw>[^|/]*)")


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


def _hts_word_position(name: str) -> tuple[str, ...] | None:
    """Where a segment's word is: (phrase fw, phrase bw, word fw, word bw).

    ``()`` for a segment outside any word (``x`` positions, or a plain
    silence name), ``None`` when the name carries no word information.
    """
    if not _FULL_CONTEXT.match(name):
        return () if name in (SILENCE, "sil") else None
    word = _HTS_WORD.search(name)
    if word is None:
        return None
    if not (word["fw"].isdigit() and word["bw"].isdigit()):
        return ()
    phrase = _HTS_PHRASE.search(name)
    where = (phrase["fw"], phrase["bw"]) if phrase else ("", "")
    return (*where, word["fw"], word["bw"])


def _hts_word_index(names: Sequence[str]) -> np.ndarray | None:
    """Word of every segment of HTS English full-context labels, or None.

    A new word starts where the positions of the phrase in the utterance
    and of the word in the phrase change between consecutive segments in
    words; segments outside words (and plain ``pau`` or ``sil`` names) get
    -1. Labels without full-context names, or with a segment lacking the
    ``/E:`` word field (other languages' formats), give None.
    """
    if not any(_FULL_CONTEXT.match(n) for n in names):
        return None
    positions = [_hts_word_position(n) for n in names]
    if any(p is None for p in positions):
        return None
    out = np.full(len(positions), -1, dtype=np.int64)
    word, previous = -1, None
    for i, position in enumerate(positions):
        if position:
            word += position != previous
            previous = position
            out[i] = word
    return out


def _word_index_array(value: Any, n: int) -> np.ndarray:
    """``value`` as a valid int64 word index of ``n`` segments, or ValueError."""
    arr = np.asarray(value)
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"word_index has shape {arr.shape} for {n} segments")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number) or arr.size == 0):
        raise ValueError(f"word_index must hold integers, got dtype {arr.dtype}")
    out = arr.astype(np.int64) if arr.size else np.zeros(0, dtype=np.int64)
    if not np.array_equal(out, arr):
        raise ValueError("word_index must hold integers")
    if np.any(out < -1):
        raise ValueError("word_index must be -1 (no word) or a word number >= 0")
    words = out[out >= 0]
    if np.any(np.diff(words) < 0):
        raise ValueError("word_index must not decrease over the segments in words")
    return out


@dataclass(frozen=True, eq=False)
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
    word_index : ndarray of int64, shape (n_phones,), optional
        Word of every segment: words numbered 0, 1, ... in order, -1 for
        segments outside any word (pauses); ``None`` when the label does not
        say. Read from a TextGrid's words tier or from HTS full-context
        names.

    Attributes
    ----------
    starts, ends : ndarray of float, shape (n_phones,)
        Times in seconds.
    durations : ndarray of float, shape (n_phones,)
        Segment durations in seconds.
    phones : tuple of str
        Current phone of every segment (see :func:`current_phone`).

    Notes
    -----
    Labels compare and hash by value: equal times, names and word indices.
    """

    start_times: np.ndarray
    end_times: np.ndarray
    names: tuple[str, ...]
    word_index: np.ndarray | None = None

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
        if self.word_index is not None:
            words = _word_index_array(self.word_index, len(names))
            object.__setattr__(self, "word_index", words)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Label):
            return NotImplemented
        mine, theirs = self.word_index, other.word_index
        return (
            self.names == other.names
            and np.array_equal(self.start_times, other.start_times)
            and np.array_equal(self.end_times, other.end_times)
            and (mine is None) == (theirs is None)
            and (mine is None or np.array_equal(mine, theirs))
        )

    def __hash__(self) -> int:
        words = None if self.word_index is None else self.word_index.tobytes()
        times = (self.start_times.tobytes(), self.end_times.tobytes())
        return hash((self.names, times, words))

    @classmethod
    def from_seconds(
        cls,
        starts: Sequence[float],
        ends: Sequence[float],
        names: Sequence[str],
        *,
        word_index: Sequence[int] | None = None,
    ) -> Label:
        """Label from times in seconds.

        Parameters
        ----------
        starts, ends : sequence of float
            Segment boundaries in seconds.
        names : sequence of str
            Segment names.
        word_index : sequence of int, optional
            Word of every segment, -1 outside words.

        Returns
        -------
        Label
            Times rounded to 100 ns.
        """
        to_units = HTK_UNITS_PER_SECOND
        return cls(
            np.round(np.asarray(starts, dtype=float) * to_units).astype(np.int64),
            np.round(np.asarray(ends, dtype=float) * to_units).astype(np.int64),
            tuple(names),
            word_index=word_index,
        )

    def __len__(self) -> int:
        return len(self.names)

    @property
    def starts(self) -> np.ndarray:
        """Start times in seconds."""
        return self.start_times / HTK_UNITS_PER_SECOND

    @property
    def ends(self) -> np.ndarray:
        """End times in seconds."""
        return self.end_times / HTK_UNITS_PER_SECOND

    @property
    def durations(self) -> np.ndarray:
        """Durations in seconds."""
        return (self.end_times - self.start_times) / HTK_UNITS_PER_SECOND

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
        units = frame_period * 1e-3 * HTK_UNITS_PER_SECOND
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
        The segments, in file order; with word indices when the names are
        HTS English full-context labels (from the current word's position
        in its phrase, ``/E:``, and the phrase's in the utterance, ``/H:``).

    Raises
    ------
    CorpusError
        For a malformed line, a negative or out-of-range time, an end before
        its start, or a segment starting before the previous one ends; the
        message names the file and line.
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
                f"{where(source, lineno)}: expected 'start end name', got {line!r}"
            )
        try:
            start, end = int(fields[0]), int(fields[1])
        except ValueError:
            raise CorpusError(
                f"{where(source, lineno)}: start and end times must be integers "
                f"(100 ns units), got {line!r}"
            ) from None
        _check_segment(start, end, ends[-1] if ends else None, source, lineno)
        starts.append(start)
        ends.append(end)
        names.append(fields[2])
    return Label(
        np.array(starts, dtype=np.int64),
        np.array(ends, dtype=np.int64),
        tuple(names),
        word_index=_hts_word_index(names),
    )


def _check_segment(
    start: int, end: int, prev_end: int | None, source: Any, lineno: int
) -> None:
    if start < 0:
        raise CorpusError(f"{where(source, lineno)}: negative start time {start}")
    if end > _MAX_TIME:
        raise CorpusError(
            f"{where(source, lineno)}: time {end} is out of range (at most "
            f"{_MAX_TIME} units of 100 ns)"
        )
    if end < start:
        raise CorpusError(
            f"{where(source, lineno)}: end time {end} is before start time {start}"
        )
    if prev_end is not None and start < prev_end:
        raise CorpusError(
            f"{where(source, lineno)}: segment starts at {start}, before the "
            f"previous segment ends ({prev_end})"
        )


def _units(seconds: float, source: Any, lineno: int) -> int:
    """Seconds in 100 ns units, or a CorpusError past the int64 range."""
    units = seconds * HTK_UNITS_PER_SECOND
    if abs(units) > _MAX_TIME:
        raise CorpusError(
            f"{where(source, lineno)}: time {seconds:g} s is out of range (at "
            f"most {_MAX_TIME // HTK_UNITS_PER_SECOND} s)"
        )
    return int(round(units))


def read_htk_label(path: str | os.PathLike) -> Label:
    """Read an HTK label file.

    Parameters
    ----------
    path : str or path-like
        The ``.lab`` file.

    Returns
    -------
    Label
        The segments; with word indices for HTS English full-context labels
        (see :func:`parse_htk_label`).

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
    with atomic_open(path, "w") as f:
        f.write(label.to_htk())


def _tier_parts(name: str) -> tuple[str, str]:
    """(speaker, kind) of a tier named ``kind`` or ``speaker - kind``, lower case."""
    speaker, _sep, kind = name.rpartition(" - ")
    return speaker.strip().lower(), kind.strip().lower()


def _phone_tier(path: str | os.PathLike, order: list[str]) -> str:
    """The phone tier: ``phones``, else one ``NAME - phones``, else the only one."""
    parts = {name: _tier_parts(name) for name in order}
    plain = [n for k in _PHONE_TIERS for n in order if parts[n] == ("", k)]
    named = [n for k in _PHONE_TIERS for n in order if parts[n][0] and parts[n][1] == k]
    if plain:
        return plain[0]
    if len({parts[n][0] for n in named}) == 1:
        return named[0]
    if not named and len(order) == 1:
        return order[0]
    raise CorpusError(
        f"{path}: cannot tell which tier holds phones (tiers: {order}); "
        "name it 'phones' or choose one with tier="
    )


def _word_tier(chosen: str, order: list[str]) -> str | None:
    """The words tier paired with phone tier ``chosen``, if any."""
    speaker, kind = _tier_parts(chosen)
    if kind in _WORD_TIERS:
        return None
    for words in _WORD_TIERS:
        for name in order:
            if _tier_parts(name) == (speaker, words):
                return name
    return None


def _tier_segments(
    items: list[tuple[float, float, str, int]], path: str | os.PathLike
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Checked start and end times (100 ns units) and texts of a tier."""
    starts, ends, texts = [], [], []
    prev_end = None
    for xmin, xmax, text, line in items:
        start, end = _units(xmin, path, line), _units(xmax, path, line)
        _check_segment(start, end, prev_end, path, line)
        prev_end = end
        starts.append(start)
        ends.append(end)
        texts.append(text)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), texts


def _textgrid_word_index(
    starts: np.ndarray,
    ends: np.ndarray,
    items: list[tuple[float, float, str, int]],
    path: str | os.PathLike,
) -> np.ndarray:
    """Word of every phone: the word interval holding its midpoint, or -1.

    Empty word intervals and silence markers hold no word; words that hold
    a phone are numbered 0, 1, ... in order.
    """
    word_starts, word_ends, texts = _tier_segments(items, path)
    real = np.array(
        [t.strip().lower() not in _SILENCE_WORDS for t in texts], dtype=bool
    )
    word_starts, word_ends = word_starts[real], word_ends[real]
    mid = starts + (ends - starts) // 2
    k = np.searchsorted(word_ends, mid, side="left")
    inside = k < len(word_ends)
    inside[inside] = word_starts[k[inside]] <= mid[inside]
    used = np.unique(k[inside])
    word = np.full(len(starts), -1, dtype=np.int64)
    word[inside] = np.searchsorted(used, k[inside])
    return word


def read_textgrid(path: str | os.PathLike, *, tier: str | None = None) -> Label:
    """Read the phone tier of a Praat TextGrid, with its words.

    Both the long and the short text formats are read (UTF-8 or UTF-16).
    When an interval tier named ``words`` or ``word`` (any case; for a
    phone tier ``NAME - phones``, as Montreal Forced Aligner names a
    speaker's tiers, ``NAME - words``) sits beside the phone tier, every
    phone gets the word whose interval holds its midpoint. Empty word
    intervals and silence markers (``sil``, ``sp``, ``spn``, ``<eps>``,
    ``<sil>``, ``pau``, ``<p:>``) hold no word; ``<unk>`` is a word.

    Parameters
    ----------
    path : str or path-like
        The ``.TextGrid`` file.
    tier : str, optional
        Name of the interval tier to read. By default the tier named
        ``phones``, ``phone``, ``phonemes`` or ``segments`` (any case),
        else the one ``NAME - phones`` (and the like), else the only
        interval tier.

    Returns
    -------
    Label
        The intervals of the tier; empty intervals are named ``pau``.
        ``word_index`` numbers the words holding phones 0, 1, ... in order
        (-1 outside words), or is ``None`` without a words tier.

    Raises
    ------
    CorpusError
        If the file is not a readable TextGrid, the tier cannot be chosen or
        is missing, or intervals of the phone or words tier are malformed
        (message names file and line).
    """
    tiers, order = read_tiers(path)
    if tier is None:
        tier = _phone_tier(path, order)
    elif tier not in tiers:
        raise CorpusError(f"{path}: no interval tier named {tier!r} (tiers: {order})")
    starts, ends, texts = _tier_segments(tiers[tier], path)
    words = _word_tier(tier, order)
    word_index = (
        None
        if words is None
        else _textgrid_word_index(starts, ends, tiers[words], path)
    )
    names = tuple(t.strip() or SILENCE for t in texts)
    return Label(starts, ends, names, word_index=word_index)


def _seconds(units: int) -> float:
    """Time in 100 ns units in seconds, read back to the same units."""
    return int(units) / HTK_UNITS_PER_SECOND


def _covering(
    spans: list[tuple[int, int, str]], xmin: int, xmax: int
) -> list[tuple[int, int, str]]:
    """Intervals from ``xmin`` to ``xmax``: the spans, empty ones in gaps."""
    out = []
    at = xmin
    for start, end, text in spans:
        if start > at:
            out.append((at, start, ""))
        out.append((start, end, text))
        at = max(at, end)
    if xmax > at:
        out.append((at, xmax, ""))
    return out


def _word_spans(
    label: Label, words: Sequence[str] | None
) -> list[tuple[int, int, str]]:
    """(start, end, text) of every word of ``label``, or ValueError."""
    w = label.word_index
    spans = []
    for value in np.unique(w[w >= 0]):
        members = np.flatnonzero(w == value)
        first, last = members[0], members[-1]
        if np.any(w[first : last + 1] != value):
            raise ValueError(
                f"word {value} has a segment outside any word among its own; "
                "a words tier cannot say so"
            )
        if words is None:
            text = f"w{value}"
        elif value >= len(words):
            raise ValueError(f"no text for word {value}: {len(words)} words given")
        else:
            text = str(words[value])
        if text.strip().lower() in _SILENCE_WORDS:
            raise ValueError(f"word {value} is {text!r}, which reads as no word")
        spans.append((label.start_times[first], label.end_times[last], text))
    return spans


def write_textgrid(
    path: str | os.PathLike, label: Label, *, words: Sequence[str] | None = None
) -> None:
    """Write a label as a long-format Praat TextGrid, atomically.

    The ``phones`` tier holds the segments (a gap between segments becomes
    an empty interval, read back as ``pau``); when the label has word
    indices, a ``words`` tier holds one interval per word, from its first
    segment's start to its last one's end, with empty intervals between
    words. :func:`read_textgrid` reads back the same names, times and word
    indices (for labels without gaps, with words numbered 0, 1, ...).

    Parameters
    ----------
    path : str or path-like
        Destination ``.TextGrid`` file (UTF-8); its folder is created if
        needed.
    label : Label
        The segments to write.
    words : sequence of str, optional
        Text of every word, indexed by word number; by default ``w0``,
        ``w1``, ... Only with a label that has word indices.

    Raises
    ------
    ValueError
        If ``words`` is given for a label without word indices, has no text
        for a word, or a word's text reads as silence (empty, ``sil``, ...);
        or if a segment outside any word lies among a word's segments.
    """
    if words is not None and label.word_index is None:
        raise ValueError("words given for a label without word_index")
    xmin = int(label.start_times[0]) if len(label) else 0
    xmax = int(label.end_times.max()) if len(label) else 0
    phones = list(zip(label.start_times, label.end_times, label.names, strict=True))
    tiers = [("phones", _covering(phones, xmin, xmax))]
    if label.word_index is not None:
        tiers.append(("words", _covering(_word_spans(label, words), xmin, xmax)))
    seconds = [
        (name, [(_seconds(a), _seconds(b), text) for a, b, text in intervals])
        for name, intervals in tiers
    ]
    text = textgrid_text(seconds, _seconds(xmin), _seconds(xmax))
    with atomic_open(path, "wb") as f:
        f.write(text.encode("utf-8"))


def read_label(path: str | os.PathLike) -> Label:
    """Read an HTK ``.lab`` or a Praat ``.TextGrid`` file by its extension.

    Parameters
    ----------
    path : str or path-like
        The label file.

    Returns
    -------
    Label
        The segments, with word indices where the file gives words (see
        :func:`read_textgrid` and :func:`parse_htk_label`).

    Raises
    ------
    CorpusError
        If the file cannot be read or is malformed.
    """
    if Path(path).suffix.lower() == ".textgrid":
        return read_textgrid(path)
    return read_htk_label(path)
