"""The ``mtlsynth evaluate`` command: objective measures on held-out
utterances."""

from __future__ import annotations

import argparse
import json
import warnings

from mtlsynth.cli._common import holdout, table
from mtlsynth.utils.files import atomic_open, check_output_path

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """Score a voice on the utterances it was trained without.

    By default the utterances scored are those the voice records as held
    out (``mtlsynth train --holdout``) that the corpus has; a warning says
    how many of them it lacks. ``--holdout H`` scores the held-out split of
    the corpus instead, and ``--all`` (or ``--holdout 0``) every utterance:
    a warning then says how many of them the voice was trained on.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``corpus``, ``voice``, ``holdout``, ``all``,
        ``dialects``, ``json``.

    Returns
    -------
    status : int
        Exit status, 0 on success.

    Raises
    ------
    ValueError
        If neither ``--holdout`` nor ``--all`` is given and the voice records
        no held-out utterances, or the corpus has none of them.
    """
    from mtlsynth.speech.corpus import read_corpus, split_corpus
    from mtlsynth.speech.synthesizer import ParametricSynthesizer

    if args.json:
        check_output_path(args.json)
    synth = ParametricSynthesizer.load(args.voice)
    synth.progress = True
    corpus = read_corpus(args.corpus, dialects=args.dialects)
    if args.all or args.holdout == 0:
        test = corpus
    elif args.holdout is not None:
        test = split_corpus(corpus, test_size=args.holdout)[1]
    else:
        test = _recorded_held_out(args, synth, corpus)
    results = synth.evaluate(test)
    print(f"Measures on {len(test)} utterances (reference durations):")
    print(table(results))
    untrained = _untrained_cells(synth, results)
    if untrained:
        print(f"Never trained on (left out): {', '.join(untrained)}")
    if args.json:
        with atomic_open(args.json, "w") as f:
            f.write(json.dumps(results, indent=1) + "\n")
    return 0


def _untrained_cells(synth, results) -> list[str]:
    """The cells ``<dialect>/<speaker>`` of ``results`` the voice was not
    trained on, where it records its training utterances."""
    from mtlsynth.speech.speakers import cell_name, split_cell

    trained = synth.training_utterances_
    if trained is None:
        return []
    speakers = {(d, n.partition("/")[0]) for d, names in trained.items() for n in names}
    cells = {cell_name(d, s) for d, s in speakers}
    return [c for c in results if split_cell(c)[1] is not None and c not in cells]


def _recorded_held_out(args, synth, corpus):
    """The utterances of ``corpus`` that the voice records as held out."""
    from mtlsynth.speech.errors import CorpusWarning
    from mtlsynth.speech.evaluation import named_utterances

    held = _held_out_names(args, synth)
    test, n_missing = named_utterances(corpus, held)
    n_held = sum(len(names) for names in held.values())
    if len(test) == 0:
        raise ValueError(
            f"{args.corpus}: the corpus has none of the voice's {n_held} held-out "
            "utterances; pass --holdout H or --all to score others"
        )
    if n_missing:
        warnings.warn(
            f"{args.corpus}: the corpus lacks {n_missing} of the voice's {n_held} "
            f"held-out utterances; scoring the other {len(test)}",
            CorpusWarning,
            stacklevel=2,
        )
    return test


def _held_out_names(args, synth):
    """The voice's held-out names in the dialects asked for; an error if none."""
    held = synth.held_out_
    if held is None:
        why = "does not record which utterances were held out from its training"
        raise _no_held_out(args, why)
    if not any(held.values()):
        raise _no_held_out(args, "was trained on every utterance (--holdout 0)")
    if args.dialects is not None:
        held = {d: names for d, names in held.items() if d in args.dialects}
        if not any(held.values()):
            why = f"holds out no utterance of {', '.join(args.dialects)}"
            raise _no_held_out(args, why)
    return held


def _no_held_out(args, why):
    return ValueError(
        f"{args.voice}: the voice {why}; pass --holdout H to score the held-out "
        "split of the corpus, or --all to score every utterance"
    )


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
        "evaluate", help="objective measures on the utterances held out in training"
    )
    evaluate.add_argument("corpus", help="corpus folder")
    evaluate.add_argument("--voice", required=True, help="voice file")
    evaluate.add_argument("--dialects", nargs="+", default=None, help="dialects")
    which = evaluate.add_mutually_exclusive_group()
    which.add_argument(
        "--holdout",
        type=holdout,
        default=None,
        help="score the held-out split of the corpus, as in train: fraction or "
        "number of sentences (0: all; default: the utterances the voice "
        "records as held out)",
    )
    which.add_argument(
        "--all", action="store_true", help="score every utterance of the corpus"
    )
    evaluate.add_argument("--json", default=None, help="also write the measures here")
    evaluate.set_defaults(func=run)
    return evaluate
