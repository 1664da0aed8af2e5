"""Errors of corpus files, named by file and line."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CorpusError",
    "CorpusWarning",
    "PhoneSubstitutionWarning",
    "VoiceFileError",
    "where",
    "read_file_bytes",
]


class CorpusError(ValueError):
    """A corpus file is missing, unreadable or malformed.

    The message names the file and, for label files, the line number.
    """


class CorpusWarning(UserWarning):
    """A corpus file is usable but probably not what was meant.

    For example a label that ends long before its audio, or a file that is
    neither a wav nor a label and so is skipped. The message names the file.
    """


class PhoneSubstitutionWarning(CorpusWarning):
    """A voice speaks phones it never saw as the nearest phones it saw."""


def where(path: str | os.PathLike | None, line: int | None = None) -> str:
    """Where a problem is: ``path:line``, or ``path`` alone.

    Parameters
    ----------
    path : str or path-like, optional
        The file; ``<string>`` when the text came from no file.
    line : int, optional
        1-based line number.

    Returns
    -------
    str
        The place, to begin an error message with.
    """
    name = str(path) if path is not None else "<string>"
    return f"{name}:{line}" if line is not None else name


def read_file_bytes(path: str | os.PathLike, kind: str) -> bytes:
    """Read a whole file, or raise a :class:`CorpusError` naming it.

    Parameters
    ----------
    path : str or path-like
        The file.
    kind : str
        What the file is (``"label"``, ``"TextGrid"``), for the message.

    Returns
    -------
    bytes
        Its contents.

    Raises
    ------
    CorpusError
        If it cannot be read.
    """
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read {kind} file ({exc})") from None


class VoiceFileError(ValueError):
    """A voice file that cannot be read: corrupted, foreign or too new.

    The message is one line that names the file and, for metadata that
    breaks the schema, the field at fault (``models.acoustic.params``,
    ``signal.fs``, ``array 'variance'``).
    """
