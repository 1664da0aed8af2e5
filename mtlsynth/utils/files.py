"""Files written atomically: a temporary file, then a rename.

The temporary file of ``folder/name`` is ``folder/.name.XXXXXXXX.tmp``; a
process killed while writing leaves it behind, and
:func:`remove_stale_temporaries` removes such leftovers once they are old.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mtlsynth.utils.parallel import _alive

__all__ = [
    "atomic_open",
    "check_output_path",
    "link_or_copy",
    "remove_stale_temporaries",
    "temporary_folder",
]

_SUFFIX = ".tmp"

#: Seconds after which an untouched temporary file counts as abandoned.
STALE_SECONDS = 3600.0


def _prefix(path: Path) -> str:
    """Name prefix of the temporary files of ``path``."""
    return f".{path.name}."


def _temporary(path: Path, folder: Path) -> tuple[int, str]:
    """Create a temporary file for ``path`` in ``folder``: ``(fd, name)``."""
    return tempfile.mkstemp(prefix=_prefix(path), suffix=_SUFFIX, dir=folder)


def _umask() -> int:
    """The process's file-creation mask."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; move it over ``path`` on success.

    The file is flushed to disk before the rename, so ``path`` holds either
    its old contents or the whole new ones; on an exception the temporary
    file is removed and ``path`` is untouched.

    Parameters
    ----------
    path : str or path-like
        Destination; its folder is created if needed.
    mode : str, default="wb"
        Mode of the temporary file (``"wb"`` or ``"w"``).

    Yields
    ------
    file object
        The open temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temporary(path, path.parent)
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


def link_or_copy(src: str | os.PathLike, dst: str | os.PathLike) -> bool:
    """Put ``src`` at ``dst`` atomically: a hard link, else a copy.

    The link (or the copy, flushed to disk, with the source's permissions
    and times) is made under a temporary name beside ``dst`` and moved over
    it, so ``dst`` holds either its old file or the whole new one. A copy is
    made where a hard link is refused (another file system, a file system
    without links, no permission).

    Parameters
    ----------
    src : str or path-like
        The file to link or copy.
    dst : str or path-like
        Destination; its folder is created if needed.

    Returns
    -------
    bool
        True for a hard link (or ``dst`` already one of ``src``), False for
        a copy.
    """
    src, dst = Path(src), Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        if os.path.samefile(src, dst):
            return True  # renaming a link over its twin would leave it behind
    fd, tmp = _temporary(dst, dst.parent)
    os.close(fd)
    try:
        os.unlink(tmp)
        try:
            os.link(src, tmp)
            linked = True
        except OSError:
            with open(src, "rb") as fin, open(tmp, "xb") as fout:
                shutil.copyfileobj(fin, fout)
                fout.flush()
                os.fsync(fout.fileno())
            shutil.copystat(src, tmp)
            linked = False
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return linked


def remove_stale_temporaries(
    path: str | os.PathLike, max_age: float = STALE_SECONDS
) -> list[Path]:
    """Remove temporary files of ``path`` left by writers that were killed.

    Only regular files named as :func:`atomic_open` names the temporary
    files of ``path`` and untouched for ``max_age`` seconds are removed: a
    write in progress keeps its file's modification time fresh, so
    concurrent writers of the same file are safe.

    Parameters
    ----------
    path : str or path-like
        The destination whose leftovers to remove.
    max_age : float, default=STALE_SECONDS
        Seconds since the last modification after which a temporary file
        is abandoned.

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    pattern = re.compile(
        re.escape(_prefix(path)) + r"[a-z0-9_]{8}" + re.escape(_SUFFIX)
    )
    removed = []
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and now - info.st_mtime > max_age:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def temporary_folder(
    prefix: str, folder: str | os.PathLike | None = None
) -> tempfile.TemporaryDirectory:
    """A new temporary folder, after removing those that killed jobs left.

    The folder is ``<prefix><host>-<pid>-XXXXXXXX`` in ``folder``; it is
    removed when the returned object is cleaned up or collected, and at
    exit. A process killed outright (``kill -9``, an out-of-memory kill)
    leaves it behind: the folders of ``prefix`` that processes of this
    machine left, whose process is gone, are removed first (on POSIX
    systems; a folder shared between machines keeps the others').

    Parameters
    ----------
    prefix : str
        Start of the folder's name.
    folder : str or path-like, optional
        Where to make it; default the system's temporary folder.

    Returns
    -------
    tempfile.TemporaryDirectory
        The folder (its path in ``.name``).
    """
    where = Path(tempfile.gettempdir() if folder is None else folder)
    ours = f"{prefix}{socket.gethostname()}-"
    if os.name == "posix":
        for old in where.glob(glob.escape(ours) + "*"):
            pid = old.name[len(ours) :].split("-")[0]
            if pid.isdigit() and not _alive(int(pid), child=False):
                shutil.rmtree(old, ignore_errors=True)
    return tempfile.TemporaryDirectory(prefix=f"{ours}{os.getpid()}-", dir=where)


def _nearest_existing(path: Path) -> Path:
    """The nearest existing one of ``path`` and its parents."""
    return next((p for p in (path, *path.parents) if p.exists()), Path.cwd())


def check_output_path(path: str | os.PathLike, *, folder: bool = False) -> Path:
    """Check, before any work, that an output can be written at ``path``.

    The folder that will hold it (or its nearest existing parent, since
    writers create missing folders) must let a file be created there: a
    temporary file is created and removed to find out.

    Parameters
    ----------
    path : str or path-like
        The file to write or, with ``folder=True``, the folder to write into.
    folder : bool, default=False
        Whether ``path`` is an output folder rather than a file.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OSError
        With a one-line message naming ``path``: a file path that is a
        folder, a folder path that is a file, or a folder where files
        cannot be created.
    """
    path = Path(path)
    if not folder and (path.is_dir() or not path.name):
        raise OSError(f"{path}: is a folder; give a file name")
    where = _nearest_existing(path if folder else path.parent)
    if not where.is_dir():
        what = "is" if where == path else f"lies in {where}, which is"
        raise OSError(f"{path}: {what} a file, not a folder")
    try:
        fd, tmp = _temporary(path, where)
    except OSError as error:
        reason = error.strerror or str(error)
        raise OSError(f"{path}: cannot write in {where} ({reason})") from None
    os.close(fd)
    os.unlink(tmp)
    return path
