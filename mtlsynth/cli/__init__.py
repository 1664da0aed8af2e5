"""The ``mtlsynth`` command line: one module per command.

Each command module has ``add_parser(subparsers)`` and ``run(args)``;
:func:`main` parses the arguments and runs the command.
"""

from mtlsynth.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
