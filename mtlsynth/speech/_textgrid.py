"""Praat TextGrid text files: interval tiers in, long-format text out.

Only the text format: which tiers hold phones and words, and what the
intervals mean, is for :mod:`mtlsynth.speech.labels`.
"""

from __future__ import annotations

import math
import os
import re

from mtlsynth.speech.errors import CorpusError, read_file_bytes, where

Interval = tuple[float, float, str]

_TG_TOKEN = re.compile(r'"((?:[^"]|"")*)"|(\[[^\]]*\])|([^\s=\[\]:]+)')


def _tokens(text: str) -> list[tuple[str, int, bool]]:
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


def read_tiers(
    path: str | os.PathLike,
) -> tuple[dict[str, list[tuple[float, float, str, int]]], list[str]]:
    """Interval tiers of a TextGrid file, long or short text format.

    Parameters
    ----------
    path : str or path-like
        The ``.TextGrid`` file (UTF-8 or UTF-16).

    Returns
    -------
    tiers : dict of str to list of tuple
        ``(xmin, xmax, text, line)`` of every interval of every interval
        tier, by tier name; point tiers are skipped.
    order : list of str
        The interval tiers' names, in file order.

    Raises
    ------
    CorpusError
        If the file is not a readable TextGrid (message names file and line).
    """
    raw = read_file_bytes(path, "TextGrid")
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: TextGrid is not UTF-8 or UTF-16") from None
    tokens = _tokens(text)
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

    return tiers, order


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _tier_lines(
    index: int, name: str, intervals: list[Interval], xmin: float, xmax: float
) -> list[str]:
    """Long-format lines of one interval tier."""
    lines = [
        f"    item [{index}]:",
        '        class = "IntervalTier"',
        f"        name = {_quoted(name)}",
        f"        xmin = {float(xmin)!r}",
        f"        xmax = {float(xmax)!r}",
        f"        intervals: size = {len(intervals)}",
    ]
    for i, (start, end, text) in enumerate(intervals, start=1):
        lines += [
            f"        intervals [{i}]:",
            f"            xmin = {float(start)!r}",
            f"            xmax = {float(end)!r}",
            f"            text = {_quoted(text)}",
        ]
    return lines


def textgrid_text(
    tiers: list[tuple[str, list[Interval]]], xmin: float, xmax: float
) -> str:
    """Long-format TextGrid text of interval tiers.

    Parameters
    ----------
    tiers : list of (str, list of (float, float, str))
        Name and ``(xmin, xmax, text)`` intervals of every tier, times in
        seconds; Praat expects each tier to cover ``xmin`` to ``xmax``
        without gaps.
    xmin, xmax : float
        Time domain of the TextGrid in seconds.

    Returns
    -------
    str
        The file's text; times are written as the shortest decimals that
        read back to the same floats.
    """
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        f"xmin = {float(xmin)!r}",
        f"xmax = {float(xmax)!r}",
        "tiers? <exists>",
        f"size = {len(tiers)}",
        "item []:",
    ]
    for index, (name, intervals) in enumerate(tiers, start=1):
        lines += _tier_lines(index, name, intervals, xmin, xmax)
    return "\n".join(lines) + "\n"
