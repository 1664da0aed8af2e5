"""The ``mtlsynth`` command line.

Commands:

* ``mtlsynth demo``: build (once, cached) a small multi-dialect corpus with
  eSpeak NG, train a synthesizer on every dialect, speak a held-out sentence
  in each dialect and score held-out utterances;
* ``mtlsynth train CORPUS -o VOICE``: train a voice on a corpus;
* ``mtlsynth say TEXT --voice VOICE --dialect D -o OUT.wav``: speak text;
* ``mtlsynth evaluate CORPUS --voice VOICE``: objective measures on the
  held-out split of a corpus;
* ``mtlsynth corpus ...``: build or check corpora.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from mtlsynth import __version__
from mtlsynth.corpus import add_corpus_command

__all__ = ["build_parser", "cache_dir", "main"]

_COLUMNS = (
    ("mcd_db", "MCD dB"),
    ("f0_rmse_hz", "F0 RMSE Hz"),
    ("vuv_error_pct", "V/UV %"),
    ("bap_db", "BAP dB"),
    ("dur_rmse_ms", "dur RMSE ms"),
)


def cache_dir() -> Path:
    """Folder of the demo corpus and analysis cache.

    Returns
    -------
    Path
        ``$MTLSYNTH_CACHE`` if set, else ``~/.cache/mtlsynth``.
    """
    env = os.environ.get("MTLSYNTH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "mtlsynth"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _table(results: dict[str, dict[str, float]]) -> str:
    head = f"{'dialect':16s}" + "".join(f"{title:>13s}" for _, title in _COLUMNS)
    lines = [head]
    for dialect, values in results.items():
        lines.append(
            f"{dialect:16s}" + "".join(f"{values[k]:13.2f}" for k, _ in _COLUMNS)
        )
    if len(results) > 1:
        mean = {
            k: sum(v[k] for v in results.values()) / len(results) for k, _ in _COLUMNS
        }
        lines.append(f"{'mean':16s}" + "".join(f"{mean[k]:13.2f}" for k, _ in _COLUMNS))
    return "\n".join(lines)


def _prompts(root: Path) -> dict[str, str]:
    path = root / "prompts.txt"
    prompts = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, text = line.partition(" ")
            prompts[name] = text.strip()
    return prompts


def run_demo(args: argparse.Namespace) -> int:
    """Train on a small built-in corpus and speak every dialect.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``out``, ``utterances``, ``dialects``, ``jobs``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    from mtlsynth import _espeak
    from mtlsynth.corpus import Corpus, build_corpus, read_corpus, write_wav
    from mtlsynth.synthesizer import ParametricSynthesizer, split_corpus

    dialects = list(args.dialects or _espeak.DIALECTS)
    if args.utterances < 2:
        raise ValueError("--utterances must be at least 2")
    cache = cache_dir()
    root = cache / "corpus"
    start = time.perf_counter()
    _log(f"corpus: {len(dialects)} dialects x {args.utterances} utterances in {root}")
    build_corpus(
        root, dialects=dialects, n_utterances=args.utterances, n_jobs=args.jobs
    )
    corpus = read_corpus(root, dialects=dialects)
    names = {f"utt{i + 1:04d}" for i in range(args.utterances)}
    corpus = Corpus(
        corpus.root, corpus.fs, tuple(u for u in corpus.utterances if u.name in names)
    )
    train, test = split_corpus(corpus, test_size=0.1)
    _log(f"training on {len(train)} utterances, holding out {len(test)}")
    synth = ParametricSynthesizer(
        cache_dir=cache / "features",
        n_jobs=args.jobs,
        f0_method="dio",
        max_voicing_frames=60_000,
    ).fit(train)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    prompts = _prompts(root)
    held_name = sorted({u.name for u in test.utterances})[0]
    text = prompts.get(held_name, "Good morning, how are you today?")
    print(f"Held-out sentence: {text!r}")
    for dialect in dialects:
        wave, fs = synth.synthesize(text, dialect=dialect)
        write_wav(out / f"{dialect}.wav", wave, fs)
    results = synth.evaluate(test)
    (out / "metrics.json").write_text(json.dumps(results, indent=1) + "\n")
    print(
        f"Held-out measures ({len(test)} utterances, reference durations, "
        f"mel-cepstrum order {synth.order_}, alpha {synth.alpha_}):"
    )
    print(_table(results))
    print(
        f"Wrote {len(dialects)} wav files and metrics.json to {out} "
        f"in {time.perf_counter() - start:.0f} s"
    )
    return 0


def run_train(args: argparse.Namespace) -> int:
    """Train a voice on a corpus and save it.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``corpus``, ``output``, ``dialects``, ``holdout``,
        ``f0_method``, ``voicing_frames``, ``jobs``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    from mtlsynth.corpus import read_corpus
    from mtlsynth.synthesizer import ParametricSynthesizer, split_corpus

    corpus = read_corpus(args.corpus, dialects=args.dialects)
    if args.holdout > 0:
        corpus, test = split_corpus(corpus, test_size=args.holdout)
        _log(f"holding out {len(test)} utterances")
    start = time.perf_counter()
    synth = ParametricSynthesizer(
        f0_method=args.f0_method,
        max_voicing_frames=args.voicing_frames,
        n_jobs=args.jobs,
    )
    synth.fit(corpus)
    synth.save(args.output)
    print(
        f"Trained on {len(corpus)} utterances of {len(synth.dialects_)} dialects "
        f"in {time.perf_counter() - start:.0f} s; saved {args.output}"
    )
    return 0


def run_say(args: argparse.Namespace) -> int:
    """Speak text with a trained voice.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``text``, ``voice``, ``dialect``, ``accent_strength``,
        ``output``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    from mtlsynth.corpus import write_wav
    from mtlsynth.synthesizer import ParametricSynthesizer

    synth = ParametricSynthesizer.load(args.voice)
    wave, fs = synth.synthesize(
        args.text, dialect=args.dialect, accent_strength=args.accent_strength
    )
    write_wav(args.output, wave, fs)
    print(f"Wrote {len(wave) / fs:.2f} s of {args.dialect} speech to {args.output}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
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
    from mtlsynth.corpus import read_corpus
    from mtlsynth.synthesizer import ParametricSynthesizer, split_corpus

    synth = ParametricSynthesizer.load(args.voice)
    synth.progress = True
    corpus = read_corpus(args.corpus, dialects=args.dialects)
    test = (
        corpus if args.holdout <= 0 else split_corpus(corpus, test_size=args.holdout)[1]
    )
    results = synth.evaluate(test)
    print(f"Measures on {len(test)} utterances (reference durations):")
    print(_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


def _holdout(value: str) -> float | int:
    number = float(value)
    return int(number) if number >= 1 else number


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
        "demo", help="train on a small built-in corpus and speak every dialect"
    )
    demo.add_argument(
        "--out", default="mtlsynth-demo", help="output folder (default mtlsynth-demo)"
    )
    demo.add_argument(
        "--utterances",
        type=int,
        default=40,
        help="utterances per dialect (default 40; 10%% are held out)",
    )
    demo.add_argument(
        "--dialects", nargs="+", default=None, help="dialects (default all eight)"
    )
    demo.add_argument(
        "--jobs", type=int, default=2, help="parallel processes (default 2)"
    )
    demo.set_defaults(func=run_demo)

    train = commands.add_parser("train", help="train a voice on a corpus")
    train.add_argument("corpus", help="corpus folder (ROOT/<dialect>/{wav,lab})")
    train.add_argument("-o", "--output", required=True, help="voice file to write")
    train.add_argument("--dialects", nargs="+", default=None, help="dialects to use")
    train.add_argument(
        "--holdout",
        type=_holdout,
        default=0.1,
        help="fraction or number of sentences held out for evaluate (default "
        "0.1; 0 trains on everything)",
    )
    train.add_argument(
        "--f0-method",
        choices=("dio", "harvest"),
        default="dio",
        help="F0 estimator (default dio)",
    )
    train.add_argument(
        "--voicing-frames",
        type=int,
        default=250_000,
        help="frames kept for the voicing model besides those next to a "
        "change of voicing (default 250000; each takes 8 bytes per frame "
        "feature, about 35 kB with the default features on the built-in "
        "corpus: lower it on machines with less than 16 GB of memory)",
    )
    train.add_argument("--jobs", type=int, default=1, help="parallel processes")
    train.set_defaults(func=run_train)

    say = commands.add_parser("say", help="speak text with a trained voice")
    say.add_argument("text", help="text to speak")
    say.add_argument("--voice", required=True, help="voice file")
    say.add_argument("--dialect", required=True, help="dialect to speak")
    say.add_argument(
        "--accent-strength",
        type=float,
        default=1.0,
        help="0 shared accent, 1 the dialect, >1 exaggerated (default 1)",
    )
    say.add_argument("-o", "--output", required=True, help="wav file to write")
    say.set_defaults(func=run_say)

    evaluate = commands.add_parser(
        "evaluate", help="objective measures on the held-out split of a corpus"
    )
    evaluate.add_argument("corpus", help="corpus folder")
    evaluate.add_argument("--voice", required=True, help="voice file")
    evaluate.add_argument("--dialects", nargs="+", default=None, help="dialects")
    evaluate.add_argument(
        "--holdout",
        type=_holdout,
        default=0.1,
        help="held-out fraction or number of sentences, as in train (0: all)",
    )
    evaluate.add_argument("--json", default=None, help="also write the measures here")
    evaluate.set_defaults(func=run_evaluate)

    add_corpus_command(commands)
    from mtlsynth.bench import add_bench_command

    add_bench_command(commands)
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
