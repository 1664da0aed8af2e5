"""Rules for choosing each dialect's own-part multiplier, on test sentences.

Usage::

    python benchmarks/bench_task_parts.py CORPUS [--sizes 15 40 180]
        [--scarce DIALECT] [--test 20] [--distance] [--out parts.json]

``CORPUS``, its test sentences and the training sentences of each size are
those of ``bench_learning_curve.py``. For each size, the default voice's
validation sentences choose the pair of each model (duration and acoustic)
as the voice chooses it, and score every dialect's own part refit given the
shared part at every multiplier the voice tries
(:func:`mtlsynth._holdout.task_part_losses`). The validation rows are then
added to the training statistics, as the voice adds them, and the same
multipliers are scored on the test sentences. Each rule's choice is
measured by the test loss it gives every dialect, as a ratio to that
dialect's best independent model (``alpha_shared`` 1e12, the best
``alpha_task`` of a decade grid on the test sentences). Rules:

- ``least``: the least validation loss;
- ``level``: the pair search's rule, nearest 1 within a standard error of
  the least loss;
- ``paired 1 SE``: nearest 1 within a standard error of each multiplier's
  difference from the best, paired by sentence;
- ``voice``: the voice's rule (:func:`mtlsynth.speech.tuning._nearest_significant`,
  a one-sided paired test at :data:`~mtlsynth.speech.tuning.TASK_PART_LEVEL`).

The loss is the mean squared error, or with ``--distance`` the mean
distance per row (frame or phone), as mel-cepstral distortion averages
frames: rules, test and independent models all use it.

Results (every loss, per dialect and sentence) are written to ``--out``; a
size already there is not computed again.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from bench_learning_curve import LIMIT, first_sentences, with_test
from scipy.stats import norm

from mtlsynth._holdout import holdout_losses, task_part_losses
from mtlsynth.speech import ParametricSynthesizer, read_corpus
from mtlsynth.speech.corpus import Corpus, split_corpus
from mtlsynth.speech.tuning import (
    TASK_PART_DECADES,
    VALIDATION_SECONDS,
    _nearest_significant,
    _nearest_within_error,
    _search,
    scoring_problem,
    size_scales,
    validation_utterances,
    voice_models,
)
from mtlsynth.utils.files import atomic_open

DECADES = np.arange(-TASK_PART_DECADES, TASK_PART_DECADES + 1.0)


def losses_at_size(train: Corpus, test: Corpus, distance: bool = False) -> dict:
    """Per model: the pair chosen, and every dialect's validation losses (and
    per sentence), test losses and best independent test loss."""
    voice = ParametricSynthesizer(progress=False)
    held = validation_utterances(train, voice.validation_fraction, VALIDATION_SECONDS)
    data = with_test(voice, train, test, held)
    test_names = [u.name for u in test.utterances]
    out = {}
    for name, model in zip(
        ("duration", "acoustic"), voice_models(voice)[:2], strict=True
    ):
        stats, (X, Y, tasks, sentence), units = scoring_problem(data, name, "dialect")
        valid = ~np.isin(sentence, test_names)
        rows = (X[valid], Y[valid], tasks[valid], sentence[valid])
        record, shared = _search(stats, rows, model, name, units)
        scale, share = size_scales(stats)
        pair = (record["alpha_shared"], record["alpha_task"] * scale)
        options = {"task_weight": share, "output_scale": units, "distance": distance}
        val, by_sentence = task_part_losses(
            stats, *rows[:3], *pair, 10.0**DECADES, groups=rows[3], shared=shared,
            **options,
        )  # fmt: skip
        codes = np.searchsorted(stats.labels, tasks)
        stats.add_rows(X[valid], Y[valid], codes[valid])
        held_out = (X[~valid], Y[~valid], tasks[~valid])
        tested = task_part_losses(stats, *held_out, *pair, 10.0**DECADES, **options)
        _, independent = holdout_losses(
            stats, *held_out, [LIMIT], 10.0 ** np.arange(-6.0, 4.0),
            task_scale=scale, groups=held_out[2], **options,
        )  # fmt: skip
        group = np.unique(rows[3], return_inverse=True)[1]
        weight = [
            np.bincount(group, codes[valid] == t, len(by_sentence))
            for t in range(len(scale))
        ]
        out[name] = {
            "pair": [record["alpha_shared"], record["alpha_task"]],
            "dialects": [str(label) for label in stats.labels],
            "validation": val.tolist(),
            "validation_by_sentence": by_sentence.tolist(),
            "sentence_weight": np.array(weight).tolist(),
            "test": tested.tolist(),
            "independent": independent[:, 0, :].min(axis=1).tolist(),
        }
    return out


def choices(result: dict) -> dict:
    """Every rule's multiplier index, per dialect."""
    val = np.array(result["validation"])
    by_sentence = np.array(result["validation_by_sentence"])
    weight = np.array(result["sentence_weight"])
    one_se = (len(DECADES) - 1) * norm.sf(1.0)  # the level at which z is 1
    rules = {
        "least": lambda t: int(np.argmin(val[t])),
        "level": lambda t: _nearest_within_error(
            val[t][None],
            by_sentence[:, t][:, None],
            weight[t],
            (np.zeros(1), DECADES),
        )[1],  # fmt: skip
        "paired 1 SE": lambda t: _nearest_significant(
            val[t], by_sentence[:, t], weight[t], DECADES, level=one_se
        ),
        "voice": lambda t: _nearest_significant(
            val[t], by_sentence[:, t], weight[t], DECADES
        ),
    }
    return {rule: [pick(t) for t in range(len(val))] for rule, pick in rules.items()}


def report(n: str, results: dict) -> None:
    """Print each model's mean test loss against the independent models, and
    the dialects each rule moves."""
    for name, result in results.items():
        test = np.array(result["test"])
        ratio = test / np.array(result["independent"])[:, None]
        one = int(np.flatnonzero(DECADES == 0)[0])
        cells = [f"1 {100 * (ratio[:, one].mean() - 1):+.2f} %"]
        for rule, picked in choices(result).items():
            mean = 100 * (ratio[np.arange(len(picked)), picked].mean() - 1)
            moved = [
                f"{d} x{10 ** DECADES[j]:g}"
                for d, j in zip(result["dialects"], picked, strict=True)
                if j != one
            ]
            cells.append(f"{rule} {mean:+.2f} % ({', '.join(moved) or 'none'})")
        print(f"{n} {name} pair {result['pair']}: " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("--sizes", type=int, nargs="+", default=[15, 40, 180])
    parser.add_argument("--test", type=int, default=20)
    parser.add_argument("--scarce", default=None)
    parser.add_argument("--distance", action="store_true")
    parser.add_argument("--out", default="task_parts.json")
    args = parser.parse_args()
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    train, test = split_corpus(read_corpus(args.corpus), test_size=args.test)
    for n in args.sizes:
        if str(n) not in results:
            sub = first_sentences(train, n, args.scarce)
            results[str(n)] = losses_at_size(sub, test, args.distance)
            with atomic_open(out, "w") as f:
                json.dump(results, f)
        report(str(n), results[str(n)])


if __name__ == "__main__":
    main()
