"""The ``mtlsynth evaluate`` command: objective measures on held-out
utterances."""

from __future__ import annotations

import argparse
import json

from mtlsynth.cli._common import holdout, table
from mtlsynth.utils.files import atomic_open, check_output_path

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """Score a voice on the held-out split of a corpus.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``corpus``, ``voice``, ``holdout``, ``dialects``,
        ``json``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    from mtlsynth.speech.corpus import read_corpus, split_corpus
    from mtlsynth.speech.synthesizer import ParametricSynthesizer

    if args.json:
        check_output_path(args.json)
    synth = ParametricSynthesizer.load(args.voice)
    synth.progress = True
    corpus = read_corpus(args.corpus, dialects=args.dialects)
    test = (
        corpus if args.holdout <= 0 else split_corpus(corpus, test_size=args.holdout)[1]
    )
    results = synth.evaluate(test)
    print(f"Measures on {len(test)} utterances (reference durations):")
    print(table(results))
    if args.json:
        with atomic_open(args.json, "w") as f:
            f.write(json.dumps(results, indent=1) + "\n")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``evaluate`` command.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The result of ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser.
    """
    evaluate = subparsers.add_parser(
        "evaluate", help="objective measures on the held-out split of a corpus"
    )
    evaluate.add_argument("corpus", help="corpus folder")
    evaluate.add_argument("--voice", required=True, help="voice file")
    evaluate.add_argument("--dialects", nargs="+", default=None, help="dialects")
    evaluate.add_argument(
        "--holdout",
        type=holdout,
        default=0.1,
        help="held-out fraction or number of sentences, as in train (0: all)",
    )
    evaluate.add_argument("--json", default=None, help="also write the measures here")
    evaluate.set_defaults(func=run)
    return evaluate
