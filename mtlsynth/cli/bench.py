"""The ``mtlsynth bench`` command."""

from __future__ import annotations

import time
from typing import Any

from mtlsynth.bench.methods import METHODS
from mtlsynth.bench.report import markdown_report
from mtlsynth.bench.run import run_bench
from mtlsynth.cli._common import count, jobs

__all__ = [
    "add_parser",
    "run",
]


def run(args: Any) -> int:
    """Run ``mtlsynth bench``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of :func:`add_parser`.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    start = time.perf_counter()
    records = run_bench(
        args.out,
        corpus=args.corpus,
        quick=args.quick,
        target=args.target,
        dialects=args.dialects,
        levels=args.levels,
        methods=args.methods,
        n_folds=args.folds,
        n_test=args.held_out,
        features=args.features,
        jobs=args.jobs,
    )
    print(markdown_report(records, args.target))
    print(
        f"Wrote {args.out}/results.json and results.md in "
        f"{time.perf_counter() - start:.0f} s"
    )
    return 0


def add_parser(subparsers: Any) -> Any:
    """Add the ``bench`` command to the ``mtlsynth`` command line.

    Parameters
    ----------
    subparsers : argparse subparsers action
        Where to add the command.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser.
    """
    bench = subparsers.add_parser(
        "bench", help="compare multi-task methods on the multi-dialect corpus"
    )
    bench.add_argument("--out", required=True, help="output folder")
    bench.add_argument(
        "--quick", action="store_true", help="4 dialects, 50 utterances (minutes)"
    )
    bench.add_argument("--corpus", default=None, help="corpus root (default built-in)")
    bench.add_argument(
        "--target", default="en-GB-scotland", help="dialect with reduced data"
    )
    bench.add_argument(
        "--dialects",
        nargs="+",
        default=None,
        help="dialects to compare (default: every dialect of --corpus, else the "
        "built-in corpus's eight, four with --quick)",
    )
    bench.add_argument(
        "--held-out",
        type=count,
        default=None,
        help="held-out sentences per dialect (default 20, 10 with --quick)",
    )
    bench.add_argument(
        "--levels", type=count, nargs="+", default=None, help="target utterances"
    )
    bench.add_argument(
        "--methods", nargs="+", default=None, choices=METHODS, help="methods to run"
    )
    bench.add_argument("--folds", type=count, default=3, help="cross-validation folds")
    bench.add_argument(
        "--features",
        choices=("compact", "full"),
        default="compact",
        help="frame features (default compact)",
    )
    bench.add_argument("--jobs", type=jobs, default=2, help="parallel processes")
    bench.set_defaults(func=run)
    return bench
