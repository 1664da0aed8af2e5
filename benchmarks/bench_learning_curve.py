"""Held-out MCD of a voice against its training sentences per dialect.

Usage::

    python benchmarks/bench_learning_curve.py CORPUS [--sizes 5 15 40]
        [--test 20] [--out curve.json] [--plot curve.png]

``CORPUS`` is a parallel corpus (``mtlsynth corpus build CORPUS``); its last
``--test`` sentences of every dialect (evenly spaced by name) are held out,
and for each size the first sentences of the rest train five voices:

- ``default``: penalties chosen on held-out training utterances (the voice's
  default, ``validation_fraction=0.2``);
- ``fixed``: the default models' fixed penalties (``validation_fraction=0``);
- ``oracle``: the pair of a 6 x 6 grid (decades -4 to 6 around the fixed
  penalties, by twos) with the least loss on the test sentences themselves
  (mean squared error of the mel-cepstrum and of log durations, the scores
  the search uses), a bound no search on training data can beat on that
  loss;
- ``independent``: the best pair of that grid with the largest
  ``alpha_shared`` (no shared part: a model per dialect);
- ``pooled``: the best pair with the largest ``alpha_task`` (one model for
  every dialect).

Each voice is scored by ``ParametricSynthesizer.evaluate`` on the test
sentences (mean over dialects). Results are written to ``--out`` as each
voice finishes, and sizes already there are skipped, so a run resumes.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from mtlsynth import SharedLeastSquares
from mtlsynth._shared_cv import holdout_losses
from mtlsynth.speech import ParametricSynthesizer, read_corpus
from mtlsynth.speech.corpus import Corpus, split_corpus
from mtlsynth.speech.tuning import scoring_problem, voice_models
from mtlsynth.utils.files import atomic_open

GRID = 10.0 ** np.arange(-4.0, 7.0, 2.0)


def first_sentences(corpus: Corpus, n: int) -> Corpus:
    """The utterances of the first ``n`` sentence names."""
    names = set(sorted({u.name for u in corpus.utterances})[:n])
    kept = tuple(u for u in corpus.utterances if u.name in names)
    return Corpus(corpus.root, corpus.fs, kept)


def grid_pairs(train: Corpus, test: Corpus) -> dict:
    """Per model, the oracle, independent and pooled pairs of the grid."""
    voice = ParametricSynthesizer(progress=False, validation_fraction=0)
    features = voice.collect(train, frame_stride=1000).features
    both = Corpus(train.root, train.fs, train.utterances + test.utterances)
    held = np.arange(len(both.utterances)) >= len(train.utterances)
    data = voice.collect(both, features=features, validation=held, frame_stride=1000)
    pairs = {}
    for name, model in zip(
        ("duration", "acoustic"), voice_models(voice)[:2], strict=True
    ):
        stats, (X, Y, tasks, _), units = scoring_problem(data, name, "dialect")
        shared = model.alpha_shared * GRID
        task = model.alpha_task * GRID
        loss = holdout_losses(
            stats,
            X,
            Y,
            tasks,
            shared,
            task,
            task_scale=stats.weight.max() / stats.weight,
            output_scale=units,
        )
        best = np.unravel_index(np.argmin(loss), loss.shape)
        pairs[name] = {
            "oracle": (shared[best[0]], task[best[1]]),
            "independent": (shared[-1], task[np.argmin(loss[-1])]),
            "pooled": (shared[np.argmin(loss[:, -1])], task[-1]),
        }
    return pairs


def scored(voice: ParametricSynthesizer, train: Corpus, test: Corpus) -> dict:
    """Fit ``voice`` on ``train``; its mean scores on ``test`` and fit time."""
    start = time.perf_counter()
    voice.fit(train)
    seconds = time.perf_counter() - start
    scores = voice.evaluate(test)
    mean = {
        key: float(np.mean([s[key] for s in scores.values()]))
        for key in next(iter(scores.values()))
    }  # every dialect has the same test sentences
    penalties = {}
    for name in ("duration", "acoustic"):
        model = getattr(voice, f"{name}_model_")
        task = model.alpha_task  # the largest dialect's when scaled by size
        task = min(task.values()) if isinstance(task, dict) else task
        penalties[name] = (float(model.alpha_shared), float(task))
    return {**mean, "fit_seconds": seconds, "penalties": penalties}


def voices(pairs: dict) -> dict:
    """The five voices of the comparison, unfitted."""
    made = {
        "default": ParametricSynthesizer(progress=False),
        "fixed": ParametricSynthesizer(progress=False, validation_fraction=0),
    }
    for kind in ("oracle", "independent", "pooled"):
        dur, ac = (
            SharedLeastSquares(*pairs[name][kind], unseen_tasks="shared")
            for name in ("duration", "acoustic")
        )
        made[kind] = ParametricSynthesizer(
            progress=False, validation_fraction=0, duration_model=dur, acoustic_model=ac
        )
    return made


def plot(results: dict, path: str) -> None:
    """MCD against training sentences, one line per voice."""
    import matplotlib.pyplot as plt

    sizes = sorted(results, key=int)
    fig, ax = plt.subplots(figsize=(6, 4))
    for kind in ("default", "fixed", "oracle", "independent", "pooled"):
        points = [(int(n), results[n][kind]["mcd_db"]) for n in sizes]
        ax.plot(*zip(*points, strict=True), marker="o", label=kind)
    ax.set(
        xscale="log",
        xlabel="training sentences per dialect",
        ylabel="held-out mean MCD (dB)",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 15, 40])
    parser.add_argument("--test", type=int, default=20)
    parser.add_argument("--out", default="learning_curve.json")
    parser.add_argument("--plot", default=None)
    args = parser.parse_args()
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    train, test = split_corpus(read_corpus(args.corpus), test_size=args.test)
    for n in args.sizes:
        sub = first_sentences(train, n)
        done = results.setdefault(str(n), {})
        if len(done) < 5:
            pairs = grid_pairs(sub, test)
            for kind, voice in voices(pairs).items():
                if kind not in done:
                    done[kind] = scored(voice, sub, test)
                    with atomic_open(out, "w") as f:
                        json.dump(results, f, indent=1)
                    print(
                        n, kind, {k: done[kind][k] for k in ("mcd_db", "dur_rmse_ms")}
                    )
    print("| sentences | " + " | ".join(next(iter(results.values()))) + " |")
    for n in sorted(results, key=int):
        row = " | ".join(f"{v['mcd_db']:.2f}" for v in results[n].values())
        print(f"| {n} | {row} |")
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
