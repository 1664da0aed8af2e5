"""The ``mtlsynth`` command line.

Commands:

* ``mtlsynth demo``: build (once, cached) a small multi-dialect corpus with
  eSpeak NG, train a synthesizer on every dialect, speak a held-out sentence
  in each dialect and score held-out utterances;
* ``mtlsynth train CORPUS -o VOICE``: train a voice on a corpus;
* ``mtlsynth say TEXT --voice VOICE --dialect D -o OUT.wav``: speak text;
* ``mtlsynth evaluate CORPUS --voice VOICE``: objective measures on the
  utterances of a corpus that the voice was trained without;
* ``mtlsynth corpus ...``: build or check corpora.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings

from mtlsynth import __version__
from mtlsynth.cli import bench, corpus, demo, evaluate, say, train
from mtlsynth.cli._common import map_large_blocks
from mtlsynth.speech.errors import CorpusWarning

__all__ = ["build_parser", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mtlsynth`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        Parser with every subcommand.
    """
    parser = argparse.ArgumentParser(
        prog="mtlsynth",
        description="Multi-task learning for multi-dialect speech synthesis.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    for command in (demo, train, say, evaluate, corpus, bench):
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``mtlsynth`` command.

    Errors print one line on stderr and exit with 1; an interrupt (Ctrl-C)
    prints one line and exits with 130; a closed output pipe (``| head``)
    ends quietly with 141. Whatever a command writes is written atomically,
    so an interrupted command leaves no partial file, and a rerun resumes.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    status : int
        Exit status.
    """
    try:
        args = build_parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_corpus_warnings(warnings.showwarning)
            return args.func(args)
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except (ValueError, OSError, MemoryError) as error:
        print(f"mtlsynth: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mtlsynth: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The process's entry point: run :func:`main` and exit with its status.

    The interpreter's exit waits for joblib's workers to stop; a Ctrl-C
    then, once the command has done its work, is ignored, so that the exit
    completes with the command's status rather than a traceback from inside
    the shutdown. Blocks of memory from 4 MiB up are mapped on their own
    (:func:`~mtlsynth.cli._common.map_large_blocks`), so that the arrays a
    command frees go back to the system.
    """
    map_large_blocks()
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(status)


def _quiet_broken_pipe() -> int:
    """Point stdout at the null device, so that the exit flush stays silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141


def _one_line_corpus_warnings(show):
    """``show`` (a ``warnings.showwarning``) with corpus warnings on one line."""

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, CorpusWarning):
            print(f"mtlsynth: warning: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    return showwarning


if __name__ == "__main__":
    run()
