"""The ``mtlsynth`` command line."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from mtlsynth import __version__
from mtlsynth.corpus import add_corpus_command

__all__ = ["main"]


def run_demo(args: argparse.Namespace) -> int:
    """Compare independent, pooled and shared models on related dialects.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``seed`` and ``scarce``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    from mtlsynth import SharedLeastSquares
    from mtlsynth.datasets import make_related_tasks

    dialects = ["en-US", "en-US-nyc", "en", "en-GB-x-rp", "en-GB-scotland", "en-029"]
    sizes = [2000] * (len(dialects) - 1) + [args.scarce]
    X, y, tasks, _ = make_related_tasks(
        [n + 500 for n in sizes],
        n_features=40,
        n_targets=8,
        task_spread=0.25,
        noise=0.5,
        labels=dialects,
        random_state=args.seed,
    )
    test = np.zeros(len(X), bool)
    for dialect in dialects:
        test[np.flatnonzero(tasks == dialect)[-500:]] = True
    models = {
        "independent": SharedLeastSquares(alpha_shared=1e8, alpha_task=1.0),
        "pooled": SharedLeastSquares(alpha_shared=1.0, alpha_task=1e8),
        "shared": SharedLeastSquares(alpha_shared=1.0, alpha_task=30.0),
    }
    print(
        f"Synthetic dialects: {len(dialects)}, 40 features, 8 outputs; "
        f"training rows per dialect: {sizes}"
    )
    print("Held-out mean squared error per dialect (lower is better):")
    print(f"  {'dialect':16s}" + "".join(f"{name:>13s}" for name in models))
    rows = {d: "" for d in [*dialects, "fit time (ms)"]}
    for model in models.values():
        start = time.perf_counter()
        model.fit(X[~test], y[~test], tasks=tasks[~test])
        rows["fit time (ms)"] += f"{(time.perf_counter() - start) * 1e3:13.1f}"
        pred = model.predict(X[test], tasks=tasks[test])
        for d in dialects:
            in_d = tasks[test] == d
            rows[d] += f"{np.mean((y[test][in_d] - pred[in_d]) ** 2):13.3f}"
    for label, row in rows.items():
        print(f"  {label:16s}{row}")
    return 0


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
    demo = commands.add_parser(
        "demo", help="compare independent, pooled and shared multi-dialect models"
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument(
        "--scarce",
        type=int,
        default=15,
        help="training rows of the scarce dialect (default 15)",
    )
    demo.set_defaults(func=run_demo)
    add_corpus_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``mtlsynth`` command.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    status : int
        Exit status.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as error:
        print(f"mtlsynth: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
