"""Held-out MCD of a voice against its training sentences per dialect.

Usage::

    python benchmarks/bench_learning_curve.py CORPUS [--sizes 5 15 40]
        [--test 20] [--out curve.json] [--plot curve.png]

    python benchmarks/bench_learning_curve.py CORPUS --scarce DIALECT
        [--sizes 10]

    python benchmarks/bench_learning_curve.py CORPUS --unrelated DIALECT ...
        [--sizes 60]

``CORPUS`` is a parallel corpus (``mtlsynth corpus build CORPUS``); its last
``--test`` sentences of every dialect (evenly spaced by name) are held out,
and for each size the first sentences of the rest train five voices (with
``--scarce``, only that dialect is cut to the size; the others keep every
training sentence; with ``--unrelated``, the phone names of those dialects
are permuted, each dialect by its own fixed random permutation of its
phones, so that their phone-context features no longer mean what they mean
in the other dialects: tasks that share nothing):

- ``default``: penalties chosen on held-out training utterances (the voice's
  default, ``validation_fraction=0.2``);
- ``fixed``: the default models' fixed penalties (``validation_fraction=0``);
- ``oracle``: the pair of a 7 x 7 grid (decades -4 to 6 around the fixed
  penalties, by twos, and the limit 1e12) with the least loss on the test
  sentences themselves (mean squared error of the mel-cepstrum and of log
  durations, the scores the search uses), a bound no search on training data
  can beat on that loss; each dialect's ``alpha_task`` and ``task_weight``
  scaled by its size as the default voice scales them (as for the two
  below);
- ``independent``: ``alpha_shared`` 1e12 (no shared part: a model per
  dialect), every dialect with the ``alpha_task`` of the grid that gives it
  the least test loss;
- ``pooled``: ``alpha_task`` 1e12 (one model for every dialect), with the
  ``alpha_shared`` of least test loss (on the scarce dialect with
  ``--scarce``).

Each voice is scored by ``ParametricSynthesizer.evaluate`` on the test
sentences (mean over dialects, and MCD per dialect). Results are written to
``--out`` as each voice finishes, and voices already there are skipped, so a
run resumes.
"""

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from mtlsynth import SharedLeastSquares
from mtlsynth._holdout import holdout_losses
from mtlsynth.speech import ParametricSynthesizer, read_corpus
from mtlsynth.speech.corpus import Corpus, split_corpus
from mtlsynth.speech.tuning import scoring_problem, size_scales, voice_models
from mtlsynth.utils.files import atomic_open

GRID = 10.0 ** np.arange(-4.0, 7.0, 2.0)
LIMIT = 1e12  # a penalty that removes its part of the model
KINDS = ("default", "fixed", "oracle", "independent", "pooled")


def first_sentences(corpus: Corpus, n: int, dialect: str | None = None) -> Corpus:
    """The utterances of the first ``n`` sentence names (of ``dialect`` only,
    if given: the other dialects keep all of theirs)."""
    names = set(sorted({u.name for u in corpus.utterances})[:n])
    kept = tuple(
        u
        for u in corpus.utterances
        if u.name in names or dialect not in (None, u.dialect)
    )
    return Corpus(corpus.root, corpus.fs, kept)


def unrelated(corpus: Corpus, dialects: list[str]) -> Corpus:
    """``corpus`` with the phones of ``dialects`` renamed, each dialect by its
    own fixed random permutation of its phone names (pauses kept)."""
    rename = {}
    for seed, dialect in enumerate(dialects):
        labels = [u.label for u in corpus.utterances if u.dialect == dialect]
        phones = sorted({p for label in labels for p in label.names} - {"pau"})
        shuffled = np.random.default_rng(seed + 1).permutation(phones)
        rename[dialect] = dict(zip(phones, shuffled, strict=True))
    kept = tuple(
        u
        if u.dialect not in rename
        else replace(
            u,
            label=replace(
                u.label, names=tuple(rename[u.dialect].get(p, p) for p in u.label.names)
            ),
        )
        for u in corpus.utterances
    )
    return Corpus(corpus.root, corpus.fs, kept)


def with_test(voice, train: Corpus, test: Corpus, held=None):
    """``voice``'s summary of ``train`` and ``test`` (every row of the
    statistics a row of ``train``), the utterances of ``test`` and those of
    ``train`` marked in ``held`` as validation rows; features fitted on
    ``train``."""
    features = voice.collect(train, frames=False).features
    both = Corpus(train.root, train.fs, train.utterances + test.utterances)
    marks = np.zeros(len(train.utterances), bool) if held is None else held
    validation = np.concatenate([marks, np.ones(len(test.utterances), bool)])
    return voice.collect(
        both, features=features, validation=validation, frame_stride=1000
    )


def grid_pairs(train: Corpus, test: Corpus, scarce: str | None) -> dict:
    """Per model, the oracle, independent and pooled penalties of the grid:
    ``(alpha_shared, {dialect: alpha_task}, {dialect: task_weight})``, the
    dialects weighted as the default voice weighs them."""
    voice = ParametricSynthesizer(progress=False, validation_fraction=0)
    data = with_test(voice, train, test)
    pairs = {}
    for name, model in zip(
        ("duration", "acoustic"), voice_models(voice)[:2], strict=True
    ):
        stats, (X, Y, tasks, _), units = scoring_problem(data, name, "dialect")
        shared = np.append(model.alpha_shared * GRID, LIMIT)
        task = np.append(model.alpha_task * GRID, LIMIT)
        scale, share = size_scales(stats)
        loss, by_dialect = holdout_losses(
            stats,
            X,
            Y,
            tasks,
            shared,
            task,
            task_scale=scale,
            task_weight=share,
            output_scale=units,
            groups=tasks,
        )
        labels = np.asarray(stats.labels).tolist()  # sorted, as the groups
        best = np.unravel_index(np.argmin(loss), loss.shape)
        own = np.argmin(by_dialect[:, -1, :-1], axis=1)  # each dialect's best
        target = loss if scarce is None else by_dialect[labels.index(scarce)]
        pairs[name] = {
            "oracle": (shared[best[0]], task[best[1]] * scale),
            "independent": (LIMIT, task[own] * scale),
            "pooled": (shared[np.argmin(target[:-1, -1])], np.full(len(scale), LIMIT)),
        }
        weights = dict(zip(labels, map(float, share), strict=True))
        pairs[name] = {
            kind: (float(a0), dict(zip(labels, map(float, a1), strict=True)), weights)
            for kind, (a0, a1) in pairs[name].items()
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
        task = model.alpha_task
        task = (
            {k: float(v) for k, v in task.items()} if isinstance(task, dict) else task
        )
        penalties[name] = (float(model.alpha_shared), task)
        if getattr(model, "alpha_task_refit", None) is not None:
            penalties[f"{name} refit"] = dict(model.alpha_task_refit)
    mcd = {dialect: s["mcd_db"] for dialect, s in scores.items()}
    return {
        **mean,
        "mcd_db_dialect": mcd,
        "fit_seconds": seconds,
        "penalties": penalties,
    }


def voices(pairs: dict) -> dict:
    """The five voices of the comparison, unfitted."""
    made = {
        "default": ParametricSynthesizer(progress=False),
        "fixed": ParametricSynthesizer(progress=False, validation_fraction=0),
    }
    for kind in KINDS[2:]:
        dur, ac = (
            SharedLeastSquares(
                *pairs[name][kind][:2],
                task_weight=pairs[name][kind][2],
                unseen_tasks="shared",
            )
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
    for kind in KINDS:
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
    parser.add_argument(
        "--scarce", default=None, help="cut only this dialect to each size"
    )
    parser.add_argument(
        "--unrelated",
        nargs="+",
        default=[],
        help="permute the phone names of these dialects",
    )
    args = parser.parse_args()
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    corpus = unrelated(read_corpus(args.corpus), args.unrelated)
    train, test = split_corpus(corpus, test_size=args.test)
    for n in args.sizes:
        sub = first_sentences(train, n, args.scarce)
        done = results.setdefault(str(n), {})
        if len(done) < len(KINDS):
            pairs = grid_pairs(sub, test, args.scarce)
            for kind, voice in voices(pairs).items():
                if kind not in done:
                    done[kind] = scored(voice, sub, test)
                    with atomic_open(out, "w") as f:
                        json.dump(results, f, indent=1)
                    print(
                        n, kind, {k: done[kind][k] for k in ("mcd_db", "dur_rmse_ms")}
                    )
    print("| sentences | " + " | ".join(KINDS) + " |")
    for n in sorted(results, key=int):
        row = " | ".join(f"{results[n][k]['mcd_db']:.2f}" for k in KINDS)
        print(f"| {n} | {row} |")
        for dialect in [args.scarce] * bool(args.scarce) + args.unrelated:
            print(
                f"{dialect}, MCD dB:",
                *(f"{k} {results[n][k]['mcd_db_dialect'][dialect]:.2f}" for k in KINDS),
            )
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
