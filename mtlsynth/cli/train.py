"""The ``mtlsynth train`` command: train a voice on a corpus."""

from __future__ import annotations

import argparse
import re
import time

from mtlsynth.cli._common import (
    count,
    frontends,
    holdout,
    jobs,
    log,
    peak_memory,
    phone_set,
)
from mtlsynth.utils.files import check_output_path

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """Train a voice on a corpus and save it.

    The voice records the names of the utterances it was trained on and of
    those held out (none with ``--holdout 0``), so that ``mtlsynth
    evaluate`` scores exactly the held-out ones.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``corpus``, ``output``, ``dialects``, ``holdout``,
        ``tasks``, ``leave_out``, ``f0_method``, ``voicing_frames``,
        ``phone_set``, ``frontend``, ``jobs``.

    Returns
    -------
    status : int
        Exit status, 0 on success.

    Raises
    ------
    OSError
        If the voice file cannot be written there, before any training.
    """
    from mtlsynth.speech.corpus import Corpus, read_corpus, split_corpus
    from mtlsynth.speech.features import LinguisticFeatures
    from mtlsynth.speech.synthesizer import ParametricSynthesizer

    check_output_path(args.output)
    corpus = read_corpus(args.corpus, dialects=args.dialects)
    test = Corpus(corpus.root, corpus.fs, ())
    if args.holdout > 0:
        corpus, test = split_corpus(corpus, test_size=args.holdout)
        log(f"holding out {len(test)} utterances")
    if args.leave_out:
        corpus = _without_cells(corpus, args.leave_out)
    start = time.perf_counter()
    synth = ParametricSynthesizer(
        tasks=args.tasks,
        f0_method=args.f0_method,
        max_voicing_frames=args.voicing_frames,
        features=LinguisticFeatures(phone_set=args.phone_set),
        frontend=args.frontend,
        validation_fraction=args.validation_fraction,
        n_jobs=args.jobs,
    )
    synth.fit(corpus, held_out=test)
    synth.save(args.output)
    who = f" x {len(corpus.speakers)} speakers" if corpus.speakers else ""
    print(
        f"Trained on {len(corpus)} utterances of {len(corpus.dialects)} "
        f"dialect{'s' * (len(corpus.dialects) != 1)}{who} "
        f"in {time.perf_counter() - start:.0f} s; saved {args.output}"
    )
    log(peak_memory())
    return 0


def _without_cells(corpus, cells: list[tuple[str, str]]):
    """The corpus without the utterances of the (dialect, speaker) cells."""
    from mtlsynth.speech.corpus import Corpus
    from mtlsynth.speech.speakers import cell_name

    recorded = {(u.dialect, u.speaker) for u in corpus}
    unknown = [cell_name(d, s) for d, s in cells if (d, s) not in recorded]
    if unknown:
        raise ValueError(
            f"--leave-out names cells the corpus does not have: {', '.join(unknown)}"
        )
    kept = tuple(u for u in corpus if (u.dialect, u.speaker) not in set(cells))
    log(f"leaving out {len(corpus) - len(kept)} utterances of {len(cells)} cells")
    return Corpus(corpus.root, corpus.fs, kept)


def _cell(text: str) -> tuple[str, str]:
    """A ``DIALECT/SPEAKER`` option, as the cell's folder in the corpus and
    as voices name it; ``DIALECT:SPEAKER`` is taken too."""
    parts = re.split("[/:]", text)
    if len(parts) != 2 or not all(parts):
        raise argparse.ArgumentTypeError(f"expected DIALECT/SPEAKER, got {text!r}")
    return parts[0], parts[1]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``train`` command.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The result of ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser.
    """
    train = subparsers.add_parser("train", help="train a voice on a corpus")
    train.add_argument(
        "corpus",
        help="corpus folder (ROOT/<dialect>/{wav,lab} or "
        "ROOT/<dialect>/<speaker>/{wav,lab})",
    )
    train.add_argument("-o", "--output", required=True, help="voice file to write")
    train.add_argument("--dialects", nargs="+", default=None, help="dialects to use")
    train.add_argument(
        "--holdout",
        type=holdout,
        default=0.1,
        help="fraction or number of sentences held out, recorded in the voice "
        "for evaluate (default 0.1; 0 trains on everything)",
    )
    train.add_argument(
        "--tasks",
        choices=("factors", "cells", "dialects"),
        default="factors",
        help="where the corpus has speakers (ROOT/<dialect>/<speaker>/): "
        "dialect and speaker as factors, so any speaker speaks any dialect "
        "(default); each (dialect, speaker) cell its own task; or speakers "
        "pooled",
    )
    train.add_argument(
        "--leave-out",
        nargs="+",
        type=_cell,
        default=[],
        metavar="DIALECT/SPEAKER",
        help="leave these cells out of training, named as their folders in the "
        "corpus (DIALECT:SPEAKER is taken too); their held-out sentences stay "
        "held out, for evaluate",
    )
    train.add_argument(
        "--f0-method",
        choices=("dio", "harvest"),
        default="dio",
        help="F0 estimator (default dio)",
    )
    train.add_argument(
        "--voicing-frames",
        type=count,
        default=1_000_000,
        help="most frames the voicing model holds in memory (default 1000000; "
        "about 2.2 kB each with the default features on the built-in corpus); "
        "of a larger corpus it fits on an even sample of half as many, then on "
        "every frame, written to the temporary folder and read back at every "
        "L-BFGS step",
    )
    train.add_argument(
        "--phone-set",
        type=phone_set,
        default=None,
        help="the labels' phone set: espeak, arpabet, radio, mfa, xsampa, or a "
        "TSV/JSON table (symbol, IPA, optional features); default detected",
    )
    train.add_argument(
        "--frontend",
        type=frontends,
        default=None,
        help="the eSpeak NG dialect that transcribes text for say: one for "
        "every dialect (en-US) or DIALECT=ESPEAK pairs (kal=en-US,rab=en-GB-x-rp); "
        "dialects named like eSpeak NG dialects are their own by default",
    )
    train.add_argument(
        "--validation-fraction",
        type=float,
        default=0.2,
        help="share of the sentences (utterance names) held out in every "
        "dialect to choose the duration and acoustic models' penalties, then "
        "trained on too (at most 200 s of speech in all); 0 keeps fixed "
        "penalties",
    )
    train.add_argument("--jobs", type=jobs, default=1, help="parallel processes")
    train.set_defaults(func=run)
    return train
