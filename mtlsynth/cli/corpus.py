"""The ``mtlsynth corpus`` command: build or check a corpus."""

from __future__ import annotations

from typing import Any

from mtlsynth.cli._common import count, jobs, phone_set
from mtlsynth.speech.builtin import build_corpus
from mtlsynth.speech.corpus import read_corpus
from mtlsynth.speech.inventory import corpus_phones
from mtlsynth.speech.speakers import cell_name

__all__ = ["add_parser", "run_build", "run_check"]


def run_build(args: Any) -> int:
    """Build the built-in corpus (``mtlsynth corpus build``).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``out``, ``dialects``, ``speakers``, ``utterances``,
        ``seed``, ``jobs``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    root = build_corpus(
        args.out,
        dialects=args.dialects,
        speakers=args.speakers,
        n_utterances=args.utterances,
        seed=args.seed,
        n_jobs=args.jobs,
    )
    corpus = read_corpus(root, dialects=args.dialects)
    speakers = f" x {len(corpus.speakers)} speakers" if corpus.speakers else ""
    print(
        f"{root}: {len(corpus)} utterances in {len(corpus.dialects)} dialects"
        f"{speakers} at {corpus.fs} Hz"
    )
    return 0


def run_check(args: Any) -> int:
    """Check a corpus and summarize it (``mtlsynth corpus check``).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``root``, ``phone_set``.

    Returns
    -------
    status : int
        Exit status: 0, or 1 if phones are outside the phone set.
    """
    corpus = read_corpus(args.root)
    cells: dict[str, list] = {}
    for utt in corpus.utterances:
        cell = cell_name(utt.dialect, utt.speaker)
        cells.setdefault(cell, []).append(utt)
    for cell, utts in cells.items():
        seconds = sum(u.n_samples for u in utts) / corpus.fs
        print(f"{cell}: {len(utts)} utterances, {seconds:.1f} s")
    if corpus.speakers:
        print(
            f"{len(corpus.speakers)} speakers in {len(corpus.dialects)} dialects: "
            f"{len(cells)} of {len(corpus.speakers) * len(corpus.dialects)} "
            "(dialect, speaker) cells recorded"
        )
    report = corpus_phones(corpus, args.phone_set)
    print(report.summary())
    return 1 if report.unknown else 0


def add_parser(subparsers: Any) -> Any:
    """Register the ``corpus`` command on an argparse subparsers object.

    Adds ``corpus build OUT [--dialects D ...] [--speakers S ...]
    [--utterances N] [--seed S] [--jobs J]`` and ``corpus check ROOT
    [--phone-set SET]``; each sets ``func`` (taking the parsed arguments,
    returning an exit code) through ``set_defaults``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The result of ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The ``corpus`` parser.
    """
    from mtlsynth.speech.frontend import DIALECTS

    parser = subparsers.add_parser(
        "corpus", help="build or check a multi-dialect speech corpus"
    )
    sub = parser.add_subparsers(dest="corpus_command", required=True)
    build = sub.add_parser(
        "build", help="synthesise the built-in parallel corpus with eSpeak NG"
    )
    build.add_argument("out", help="output folder")
    build.add_argument(
        "--dialects",
        nargs="+",
        choices=list(DIALECTS),
        default=None,
        metavar="DIALECT",
        help=f"dialects to build (default: all of {', '.join(DIALECTS)})",
    )
    build.add_argument(
        "--speakers",
        nargs="+",
        default=None,
        metavar="VARIANT",
        help="eSpeak NG voice variants (m1 ... m8, f1 ... f5, ...), each a "
        "speaker of every dialect, in OUT/<dialect>/<speaker>/ (default: "
        "each dialect's own voice)",
    )
    build.add_argument(
        "--utterances", type=count, default=200, help="utterances per dialect"
    )
    build.add_argument("--seed", type=int, default=0, help="sentence pool seed")
    build.add_argument("--jobs", type=jobs, default=1, help="parallel processes")
    build.set_defaults(func=run_build)
    check = sub.add_parser("check", help="check a corpus and summarise it")
    check.add_argument("root", help="corpus folder")
    check.add_argument(
        "--phone-set",
        type=phone_set,
        default=None,
        help="the labels' phone set (a shipped name or a table); default detected",
    )
    check.set_defaults(func=run_check)
    return parser
