"""Phone labels: HTK and HTS label files, Praat TextGrids."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mtlsynth.speech.errors import CorpusError, read_file_bytes, where
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
]

SILENCE = "pau"


HTK_UNITS_PER_SECOND = 10_000_000

# label times are stored as int64
_MAX_TIME = np.iinfo(np.int64).max


_PHONE_TIERS = ("phones", "phone", "phonemes", "segments")


_FULL_CONTEXT = re.compile(r"^[^\^]*\^[^-]*-(?P<phone>[^+]*)\+[^=]*=")


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
        to_units = HTK_UNITS_PER_SECOND
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
        The segments, in file order.

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
        np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64), tuple(names)
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
    with atomic_open(path, "w") as f:
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
    raw = read_file_bytes(path, "TextGrid")
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: TextGrid is not UTF-8 or UTF-16") from None
    tokens = _textgrid_tokens(text)
    strings = [t for t in tokens if t[2]]
    if len(strings) < 2 or strings[0][0] != "ooTextFile" or strings[1][0] != "TextGrid":
        raise CorpusError(f"{where(path, 1)}: not a Praat TextGrid text file")

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
            x = math.nan if is_string else float(value)
        except ValueError:  # the <exists> flag
            x = math.nan
        if not math.isfinite(x):
            raise CorpusError(
                f"{where(path, lineno)}: expected a number for {kind}, got {value!r}"
            )
        return x, lineno

    def count(kind: str) -> int:
        x, lineno = number(kind)
        if x < 0 or x != int(x):
            raise CorpusError(
                f"{where(path, lineno)}: expected a count for {kind}, got {x:g}"
            )
        return int(x)

    number("xmin")
    number("xmax")
    exists = take("tiers flag")
    if exists[0] != "<exists>":
        raise CorpusError(f"{where(path, exists[1])}: expected '<exists>'")
    n_tiers = count("number of tiers")
    tiers: dict[str, list[tuple[float, float, str, int]]] = {}
    order: list[str] = []
    for _ in range(n_tiers):
        cls_name, cls_line, _s = take("tier class")
        name = take("tier name")[0]
        number("tier xmin")
        number("tier xmax")
        n_items = count("number of intervals")
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
                    f"{where(path, cls_line)}: unknown tier class {cls_name!r}"
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
        start, end = _units(xmin, path, line), _units(xmax, path, line)
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
