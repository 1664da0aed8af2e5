"""Cells never recorded: dialect x speaker factors against one task per cell.

Usage::

    python benchmarks/bench_speakers.py OUT [--utterances 50]
        [--sizes 10 25] [--plot curve.png]

Builds the built-in corpus with four speakers (eSpeak NG variants m3, f3,
m5, f2) in every one of the eight accents into ``OUT/corpus`` and trains,
with ``mtlsynth train`` (10 % of the sentences held out), three voices:

- ``factors``: dialect and speaker factors, eight cells left out (each
  speaker missing in two accents, each accent missing one speaker);
- ``factors_all``: the same with every cell present;
- ``cells``: one task per cell (the model without factors), the same
  cells left out.

A voice already in ``OUT`` is reused, so a run resumes. Every voice then
speaks the held-out sentences of every left-out cell with their reference
durations, and the script prints the mel-cepstral distortion and the
median F0 of each, beside two baselines from the ``cells`` voice: the
speaker's own voice in a dialect it was recorded in, and the dialect's
voice from another speaker (the best and the mean over the candidates). The
median F0 of the reference recordings of the cell and of the speaker (every
held-out sentence of the speaker) are printed too. With ``--sizes``, the
``factors`` and ``cells`` voices are trained again (with the Python API, and
reused from ``OUT`` likewise) on the first N training sentences of every
cell, for a learning curve of the left-out cells' mean measures, scored on
the same held-out sentences; ``--plot`` draws it. Results go to
``OUT/speakers.json``.
"""

import argparse
import json
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from bench_learning_curve import first_sentences

from mtlsynth.speech import ParametricSynthesizer, build_corpus, read_corpus
from mtlsynth.speech.corpus import Corpus
from mtlsynth.speech.evaluation import _measures, _score, named_utterances
from mtlsynth.speech.speakers import cell_name
from mtlsynth.speech.training import _corpus_words
from mtlsynth.utils.files import atomic_open

SPEAKERS = ["m3", "f3", "m5", "f2"]
#: The learning curves drawn: a measure's key and its legend.
CURVES = {
    "factors": "factors",
    "cells": "one task per cell",
    "speaker_elsewhere_best": "speaker in another accent (best)",
    "dialect_other_speaker_best": "accent from another speaker (best)",
}


def left_out_cells(dialects, speakers):
    """Eight cells: dialect i without speaker i mod 4."""
    return [(d, speakers[i % len(speakers)]) for i, d in enumerate(dialects)]


def train(corpus_root, out, name, tasks, leave_out):
    path = out / f"{name}.npz"
    if not path.exists():
        cells = [cell_name(d, s) for d, s in leave_out]
        command = [sys.executable, "-m", "mtlsynth.cli", "train", str(corpus_root)]
        command += ["-o", str(path), "--tasks", tasks]
        command += ["--leave-out", *cells] if cells else []
        subprocess.run(command, check=True)
    return ParametricSynthesizer.load(path)


def spoken_as(voice, corpus, utts, who):
    """MCD (dB) and median F0 (Hz) of ``utts`` spoken as the cell ``who``,
    and the reference's median F0."""
    part = Corpus(corpus.root, corpus.fs, tuple(utts))
    feats = voice._vocoder_features(part, lazy=True)
    words = _corpus_words(part, False)
    acc = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for utt, ref, w in zip(utts, feats, words, strict=True):
            as_cell = replace(utt, dialect=who[0], speaker=who[1])
            _score(voice, as_cell, ref, w, float(voice.frame_period), acc)
    (a,) = acc.values()
    ref_f0, pr_f0 = (np.concatenate([f0 for _, f0, _ in a[k]]) for k in ("ref", "pred"))
    mcd = _measures(a)["mcd_db"]
    return mcd, float(np.median(pr_f0[pr_f0 > 0])), float(np.median(ref_f0[ref_f0 > 0]))


def scores(voices, corpus, test, cells):
    """Every left-out cell's measures (see the module's docstring) and their
    means over the cells."""
    rows = []
    for d, s in cells:
        utts = [u for u in test if (u.dialect, u.speaker) == (d, s)]
        row = {"cell": cell_name(d, s)}
        for name, voice in voices.items():
            row[name], row[f"{name}_f0"], row["reference_f0"] = spoken_as(
                voice, corpus, utts, (d, s)
            )
        own = [
            spoken_as(voices["cells"], corpus, utts, (other, s))[0]
            for other in corpus.dialects
            if (other, s) not in cells
        ]
        others = [
            spoken_as(voices["cells"], corpus, utts, (d, other))[0]
            for other in corpus.speakers
            if (d, other) not in cells
        ]
        row["speaker_elsewhere_best"] = min(own)
        row["speaker_elsewhere_mean"] = float(np.mean(own))
        row["dialect_other_speaker_best"] = min(others)
        row["dialect_other_speaker_mean"] = float(np.mean(others))
        spoken = [u for u in test if u.speaker == s]
        row["speaker_f0"] = spoken_as(voices["factors"], corpus, spoken, (d, s))[2]
        rows.append(row)
        print({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()})
    keys = [k for k in rows[0] if k != "cell"]
    mean = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    print("mean", {k: round(v, 3) for k, v in mean.items()})
    return rows, mean


def smaller(corpus, full, out, n, test):
    """The ``factors`` and ``cells`` voices trained on the first ``n``
    training sentences of every cell of ``full`` (reused if in ``out``)."""
    trained = first_sentences(named_utterances(corpus, full.training_utterances_)[0], n)
    voices = {}
    for tasks in ("factors", "cells"):
        path = out / f"{tasks}_{n}.npz"
        if not path.exists():
            print(f"training {tasks} on {len(trained)} utterances", flush=True)
            voice = ParametricSynthesizer(tasks=tasks).fit(trained, held_out=test)
            voice.save(path)
        voices[tasks] = ParametricSynthesizer.load(path)
    return voices


def plot(curve: dict, path: Path) -> None:
    """Left-out cells' mean MCD against training sentences per cell."""
    import matplotlib.pyplot as plt

    sizes = sorted(curve, key=int)
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in CURVES.items():
        ax.plot(sizes, [curve[n][key] for n in sizes], marker="o", label=label)
    ax.set(
        xlabel="training sentences per cell",
        ylabel="left-out cells' mean MCD (dB)",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--utterances", type=int, default=50)
    parser.add_argument("--sizes", type=int, nargs="*", default=[])
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    root = build_corpus(
        args.out / "corpus", speakers=SPEAKERS, n_utterances=args.utterances
    )
    corpus = read_corpus(root)
    cells = left_out_cells(corpus.dialects, corpus.speakers)
    voices = {
        "factors": train(root, args.out, "factors", "factors", cells),
        "factors_all": train(root, args.out, "factors_all", "factors", []),
        "cells": train(root, args.out, "cells", "cells", cells),
    }
    test, _ = named_utterances(corpus, voices["factors"].held_out_)
    rows, mean = scores(voices, corpus, test, cells)
    n_full = len({u.name for u in corpus} - {u.name for u in test})
    curve = {n_full: {k: mean[k] for k in CURVES}}
    for n in sorted(set(args.sizes) - {n_full}):
        few = smaller(corpus, voices["factors"], args.out, n, test)
        mean_n = scores(few, corpus, test, cells)[1]
        curve[n] = {k: mean_n[k] for k in CURVES}
    with atomic_open(args.out / "speakers.json", "w") as f:
        json.dump({"cells": rows, "mean": mean, "curve": curve}, f, indent=1)
    if args.plot:
        plot(curve, args.plot)


if __name__ == "__main__":
    main()
