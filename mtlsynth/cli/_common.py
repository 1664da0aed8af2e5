"""What the commands share: messages on stderr, tables of measures, options."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = [
    "count",
    "frontends",
    "holdout",
    "jobs",
    "log",
    "map_large_blocks",
    "peak_memory",
    "phone_set",
    "table",
]

_COLUMNS = (
    ("mcd_db", "MCD dB"),
    ("f0_rmse_hz", "F0 RMSE Hz"),
    ("vuv_error_pct", "V/UV %"),
    ("bap_db", "BAP dB"),
    ("dur_rmse_ms", "dur RMSE ms"),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def map_large_blocks(threshold: int = 4 * 2**20) -> None:
    """Have the C library's allocator map every block of ``threshold`` bytes
    or more on its own, so that freeing it gives the memory back at once.

    glibc raises this threshold as large blocks are freed (up to 32 MiB);
    arrays of a few megabytes then come from the heap, whose free pages it
    keeps. A voice's training allocates and frees many such arrays: with the
    default, the demo's peak resident memory was 0.25 GB higher. Nothing
    happens where the C library has no ``mallopt`` (macOS, Windows).

    Parameters
    ----------
    threshold : int, default=4 MiB
        Size in bytes from which blocks are mapped (smaller ones stay on the
        heap: mapping costs a system call and fresh pages).
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt(-3, int(threshold))  # M_MMAP_THRESHOLD of <malloc.h>


def peak_memory() -> str:
    """The peak resident memory of this process and of its largest worker.

    Returns
    -------
    str
        For example ``"peak memory 2.31 GB (largest finished worker 0.84
        GB)"``; joblib's workers finish only at the exit, so they are counted
        only when some worker has ended.
    """
    import resource

    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    unit = 1 if sys.platform == "darwin" else 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit
    text = f"peak memory {own / 2**30:.2f} GB"
    if workers:
        text += f" (largest finished worker {workers / 2**30:.2f} GB)"
    return text


def table(results: dict[str, dict[str, float]]) -> str:
    w = max([16, *(len(name) + 1 for name in results)])
    head = f"{'dialect':{w}s}" + "".join(f"{title:>13s}" for _, title in _COLUMNS)
    lines = [head]
    for dialect, values in results.items():
        lines.append(
            f"{dialect:{w}s}" + "".join(f"{values[k]:13.2f}" for k, _ in _COLUMNS)
        )
    if len(results) > 1:
        mean = {
            k: sum(v[k] for v in results.values()) / len(results) for k, _ in _COLUMNS
        }
        lines.append(
            f"{'mean':{w}s}" + "".join(f"{mean[k]:13.2f}" for k, _ in _COLUMNS)
        )
    return "\n".join(lines)


def holdout(value: str) -> float | int:
    """The ``--holdout`` option: a fraction in [0, 1) or a number of sentences.

    Parameters
    ----------
    value : str
        The option's text.

    Returns
    -------
    float or int
        The fraction, or the whole number of sentences.

    Raises
    ------
    argparse.ArgumentTypeError
        If it is neither (negative, NaN, or a non-whole number above 1).
    """
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number >= 1 and number == int(number):
        return int(number)
    if 0 <= number < 1:
        return number
    raise argparse.ArgumentTypeError(
        f"expected a fraction in [0, 1) or a whole number of sentences, got {value!r}"
    )


def count(value: str) -> int:
    """An option that counts something: a whole number of at least 1.

    Parameters
    ----------
    value : str
        The option's text.

    Returns
    -------
    int
        The number.

    Raises
    ------
    argparse.ArgumentTypeError
        If it is not a whole number of at least 1.
    """
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at least 1, got {value!r}"
        )
    return number


def jobs(value: str) -> int:
    """The ``--jobs`` option: processes to run, at least 1, or -1 for every core.

    Parameters
    ----------
    value : str
        The option's text.

    Returns
    -------
    int
        The number of processes (joblib's ``n_jobs``).

    Raises
    ------
    argparse.ArgumentTypeError
        If it is 0, below -1 or not a whole number.
    """
    if value.strip() == "-1":
        return -1
    try:
        return count(value)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a number of processes of at least 1, or -1 for every core, "
            f"got {value!r}"
        ) from None


def phone_set(value: str) -> Any:
    """The ``--phone-set`` option: a shipped set's name or a table file.

    Parameters
    ----------
    value : str
        A name of :data:`mtlsynth.speech.phonesets.PHONE_SETS`, or the path
        of a TSV or JSON table.

    Returns
    -------
    PhoneSet
        The set.

    Raises
    ------
    argparse.ArgumentTypeError
        If it is neither a shipped set nor a readable table.
    """
    from mtlsynth.speech.phonesets import PHONE_SETS, read_phone_set

    if value in PHONE_SETS:
        return PHONE_SETS[value]
    try:
        return read_phone_set(value)
    except (OSError, ValueError) as error:
        raise argparse.ArgumentTypeError(
            f"{error} (shipped sets: {', '.join(PHONE_SETS)})"
        ) from None


def frontends(value: str) -> str | dict[str, str]:
    """The ``--frontend`` option: ``en-US``, or ``kal=en-US,rab=en-GB-x-rp``.

    Parameters
    ----------
    value : str
        One eSpeak NG dialect for every dialect, or ``DIALECT=ESPEAK`` pairs
        separated by commas.

    Returns
    -------
    str or dict of str to str
        The voice's ``frontend`` setting.

    Raises
    ------
    argparse.ArgumentTypeError
        If a pair is malformed or names no eSpeak NG dialect.
    """
    from mtlsynth.speech.inputs import check_frontend

    if "=" in value:
        pairs = [item.partition("=") for item in value.split(",")]
        if any(not d or not sep or not e for d, sep, e in pairs):
            raise argparse.ArgumentTypeError(
                f"expected DIALECT=ESPEAK pairs separated by commas, got {value!r}"
            )
        setting: str | dict[str, str] = {d: e for d, _, e in pairs}
    else:
        setting = value
    try:
        return check_frontend(setting)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
