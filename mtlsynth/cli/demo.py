"""The ``mtlsynth demo`` command: train on a small built-in corpus and speak
every dialect."""

from __future__ import annotations

import argparse
import json
import time

from mtlsynth.cli._common import count, jobs, log, table
from mtlsynth.speech.corpus import cache_dir
from mtlsynth.utils.files import atomic_open, check_output_path

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """Train on a small built-in corpus and speak every dialect.

    One sentence in ten is held out of training and recorded in the voice,
    as ``mtlsynth train`` does by default; the first is spoken in every
    dialect, and the measures are taken on all of them, the utterances that
    ``mtlsynth evaluate`` scores by default.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``out``, ``utterances``, ``dialects``, ``jobs``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    from mtlsynth.speech import frontend
    from mtlsynth.speech.audio import write_wav
    from mtlsynth.speech.builtin import build_corpus
    from mtlsynth.speech.corpus import (
        Corpus,
        read_corpus,
        read_prompts,
        split_corpus,
    )
    from mtlsynth.speech.synthesizer import ParametricSynthesizer

    dialects = list(args.dialects or frontend.DIALECTS)
    if args.utterances < 2:
        raise ValueError("--utterances must be at least 2")
    out = check_output_path(args.out, folder=True)
    cache = cache_dir()
    root = cache / "corpus"
    start = time.perf_counter()
    log(f"corpus: {len(dialects)} dialects x {args.utterances} utterances in {root}")
    build_corpus(
        root, dialects=dialects, n_utterances=args.utterances, n_jobs=args.jobs
    )
    corpus = read_corpus(root, dialects=dialects)
    names = {f"utt{i + 1:04d}" for i in range(args.utterances)}
    corpus = Corpus(
        corpus.root, corpus.fs, tuple(u for u in corpus.utterances if u.name in names)
    )
    train, test = split_corpus(corpus, test_size=0.1)
    log(f"training on {len(train)} utterances, holding out {len(test)}")
    synth = ParametricSynthesizer(
        cache_dir=cache / "features",
        n_jobs=args.jobs,
        f0_method="dio",
    ).fit(train, held_out=test)
    out.mkdir(parents=True, exist_ok=True)
    prompts = read_prompts(root)
    held_name = sorted({u.name for u in test.utterances})[0]
    text = prompts.get(held_name, "Good morning, how are you today?")
    print(f"Held-out sentence: {text!r}")
    for dialect in dialects:
        wave, fs = synth.synthesize(text, dialect=dialect)
        write_wav(out / f"{dialect}.wav", wave, fs)
    results = synth.evaluate(test)
    with atomic_open(out / "metrics.json", "w") as f:
        f.write(json.dumps(results, indent=1) + "\n")
    print(
        f"Held-out measures ({len(test)} utterances, reference durations, "
        f"mel-cepstrum order {synth.order_}, alpha {synth.alpha_}):"
    )
    print(table(results))
    print(
        f"Wrote {len(dialects)} wav files and metrics.json to {out} "
        f"in {time.perf_counter() - start:.0f} s"
    )
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``demo`` command.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The result of ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser.
    """
    demo = subparsers.add_parser(
        "demo", help="train on a small built-in corpus and speak every dialect"
    )
    demo.add_argument(
        "--out", default="mtlsynth-demo", help="output folder (default mtlsynth-demo)"
    )
    demo.add_argument(
        "--utterances",
        type=count,
        default=40,
        help="utterances per dialect (default 40; 10%% are held out)",
    )
    demo.add_argument(
        "--dialects", nargs="+", default=None, help="dialects (default all eight)"
    )
    demo.add_argument(
        "--jobs", type=jobs, default=2, help="parallel processes (default 2)"
    )
    demo.set_defaults(func=run)
    return demo
