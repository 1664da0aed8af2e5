"""The ``mtlsynth`` command line: one module per command.

Each command module has ``add_parser(subparsers)`` and ``run(args)``;
:func:`main` parses the arguments and runs the command; :func:`run` is the
process's entry point.
"""

from mtlsynth.cli.main import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
