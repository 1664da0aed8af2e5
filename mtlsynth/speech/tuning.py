"""Penalties of a voice's default models, chosen on held-out utterances.

A voice trained with its default duration and acoustic models keeps a share
of every dialect's utterances apart while it summarizes the corpus
(:func:`validation_utterances`). Each model's penalties are then scored on
those utterances from the statistics of the others
(:func:`mtlsynth._holdout.holdout_losses`: factorizations of one task at a
time, never a second copy of the statistics). The duration model is scored
by the squared error of log durations, the acoustic model by that of the
mel-cepstrum ``c_1`` and up in its own units, the part of the targets that
mel-cepstral distortion measures; as the measures do, both leave pauses
out. The pair kept is the one nearest the
model's own within a standard error of the least loss; the held-out rows
are then added to the statistics, and the model is fitted on every
utterance.

The penalties tried are around the model's own, in decades, and the
validation rows must show a pair better by more than their standard error
for the search to leave them: the fixed values are the prior, and a corpus
moves them as far as its evidence reaches (at five sentences per dialect,
several decades; at hundreds, often not at all). Every dialect's
``alpha_task`` is the value chosen scaled by
:func:`~mtlsynth.speech.training.size_scaled_penalties`, so that a dialect
with few utterances leans harder on what the dialects share, and its
``task_weight`` too, so that the shared part is learned from the dialects
with data.

With the pair chosen, each dialect's own part is refit given the shared
part, its penalty scaled by the multiplier its validation rows choose
(:func:`_task_parts`; :class:`~mtlsynth.SharedLeastSquares`'
``alpha_task_refit``). One pair for all dialects is a compromise: a dialect
with few sentences that differs from the rest, or one that differs more
than the others, can ask for another penalty, and moving ``alpha_task`` in
the joint fit would move the shared part and every other dialect with it.
A dialect's factor leaves 1 only when its sentences tell 1 from the best
factor by a paired test (:func:`_nearest_significant`): eight dialects
with seven factors each would move some by chance alone, and on the
built-in corpus the validation sentences asked for more moves than
held-out sentences rewarded.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from scipy.stats import norm
from sklearn.base import clone

from mtlsynth._holdout import holdout_losses, shared_solutions, task_part_losses
from mtlsynth._penalty_search import log_grid
from mtlsynth._stats import TaskStatistics, csr_row_block
from mtlsynth.speech.corpus import Corpus
from mtlsynth.speech.training import (
    TrainingData,
    normalized_statistics,
    size_scaled_penalties,
    target_normalization,
)

__all__ = [
    "SHARED_DECADES",
    "TASK_DECADES",
    "TASK_PART_DECADES",
    "VALIDATION_SECONDS",
    "choose_penalties",
    "describe_choice",
    "scoring_problem",
    "validation_utterances",
    "voice_models",
]

SHARED_DECADES = (-4.0, 5.0, 10)
"""``alpha_shared`` candidates: from, to (decades of the model's own value)
and how many. Each costs one factorization of the d x d shared system."""

TASK_DECADES = 5.0
"""Farthest ``alpha_task`` tried from the model's own value, in decades. Each
value tried costs two factorizations per dialect."""

TASK_PART_DECADES = 3
"""Farthest a dialect's own-part penalty is refit from the pair's, in
decades either way. Each decade tried costs one factorization per dialect."""

TASK_PART_LEVEL = 0.05
"""Level of the test that moves a dialect's own-part penalty from the pair's
(one-sided, on the differences paired by sentence, the level split among
the other multipliers tried)."""

VALIDATION_SECONDS = 200.0
"""Most speech held out for validation (40,000 frames of 5 ms)."""


def validation_utterances(
    corpus: Corpus, fraction: float, max_seconds: float | None = None
) -> np.ndarray:
    """Which utterances to hold out for choosing penalties.

    Whole sentences are held out: ``ceil(fraction * n)`` of the corpus's
    ``n`` utterance names, evenly spaced through the sorted names, in every
    dialect that has them. In a parallel corpus no dialect then trains on a
    sentence another dialect is scored on (a model sharing across dialects
    would find it there, and the score would favour sharing). A dialect
    with two or more utterances and none of those names also holds out its
    middle one; a dialect never holds out its last utterance.

    Parameters
    ----------
    corpus : Corpus
        The training corpus.
    fraction : float
        Share of the utterance names to hold out, in [0, 1); 0 holds none
        out.
    max_seconds : float, optional
        Most speech to hold out in all (its frames are held in memory and
        scored for every candidate), at the corpus's mean length of a
        sentence over its dialects; default no limit.

    Returns
    -------
    ndarray of bool of shape (n_utterances,)
        True for the held-out utterances, in the corpus's order.
    """
    if not 0 <= fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {fraction!r}")
    dialects = np.array([u.dialect for u in corpus.utterances])
    names = np.array([u.name for u in corpus.utterances])
    held = np.zeros(len(names), bool)
    unique = np.unique(names)
    n_held = int(np.ceil(fraction * len(unique)))
    if n_held == 0:
        return held
    if max_seconds is not None:
        seconds = sum(float(u.label.durations.sum()) for u in corpus.utterances)
        n_held = max(1, min(n_held, int(max_seconds * len(unique) / seconds)))
    picks = np.linspace(0, len(unique), n_held, endpoint=False)
    picked = set(unique[(picks + len(unique) / (2 * n_held)).astype(int)])
    for dialect in np.unique(dialects):
        rows = np.flatnonzero(dialects == dialect)
        if len(rows) > 1 and not picked.intersection(names[rows]):
            picked.add(np.sort(names[rows])[len(rows) // 2])
    held = np.isin(names, list(picked))
    for dialect in np.unique(dialects):
        rows = np.flatnonzero(dialects == dialect)
        if held[rows].all():
            held[rows[np.argmax(names[rows])]] = False
    return held


def _targets(stats: TaskStatistics, columns: slice) -> TaskStatistics:
    """The statistics of some of the targets (views, no copies)."""
    return replace(
        stats,
        mean_y=stats.mean_y[:, columns],
        xy=stats.xy[:, :, columns],
        yy=stats.yy[:, columns, columns],
    )


def size_scales(stats: TaskStatistics) -> tuple[np.ndarray, np.ndarray]:
    """Every dialect's factor of ``alpha_task`` and its ``task_weight``, by
    its size.

    Parameters
    ----------
    stats : TaskStatistics
        The model's statistics.

    Returns
    -------
    scale, share : ndarray of shape (n_tasks,)
        :func:`~mtlsynth.speech.training.size_scaled_penalties` of a penalty
        of 1, in the order of ``stats.labels``.
    """
    scale, share = size_scaled_penalties(1.0, stats)
    return np.array(list(scale.values())), np.array(list(share.values()))


def _standard_error(spread, group_weight) -> np.ndarray:
    """Standard error of a mean over groups weighted by ``group_weight``,
    from each group's departure from it (``spread``, groups first). The
    groups are sentences, taken as independent: the dialects of a parallel
    corpus speaking one sentence are one group, as their errors go together."""
    w = group_weight / group_weight.sum()
    return np.sqrt(np.tensordot(w**2, spread**2, axes=1))


def _nearest_within_error(losses, group_losses, group_weight, offsets) -> tuple:
    """Of the pairs the validation rows cannot tell from the best, the one
    nearest the model's own penalties.

    A pair is within reach of the best when its loss exceeds the least by
    less than the least loss's standard error; its distance is the
    sum of its two offsets from the model's values, in decades. With a flat
    validation loss the model's values stay; they move only as far as the
    data ask.
    """
    best = np.unravel_index(np.argmin(losses), losses.shape)
    spread = group_losses[(slice(None), *best)] - losses[best]
    error = _standard_error(spread, group_weight)
    near = np.argwhere(losses <= losses[best] + error)
    distance = np.abs(offsets[0][near[:, 0]]) + np.abs(offsets[1][near[:, 1]])
    order = np.lexsort((losses[tuple(near.T)], distance))
    return tuple(near[order[0]])


def _nearest_significant(
    losses, group_losses, group_weight, decades, level: float = TASK_PART_LEVEL
) -> int:
    """Of one dialect's multipliers, the one nearest 1 that its validation
    sentences cannot tell from the best.

    A multiplier is told from the best when its loss exceeds the least by
    more than ``z`` standard errors of the difference, paired by sentence
    (every multiplier is scored on the same sentences), where ``z`` makes a
    one-sided test of level ``level`` split among the other multipliers. A
    dialect moves from 1 only when 1 is told from the best, and then only
    as far as the data ask.

    Parameters
    ----------
    losses : ndarray of shape (n_multipliers,)
        The dialect's validation loss at every multiplier.
    group_losses : ndarray of shape (n_groups, n_multipliers)
        The same within each sentence.
    group_weight : ndarray of shape (n_groups,)
        The dialect's rows in each sentence.
    decades : ndarray of shape (n_multipliers,)
        Every multiplier's decade.
    level : float, default=TASK_PART_LEVEL
        Level of the test, for all the other multipliers together.

    Returns
    -------
    int
        The index of the multiplier chosen.
    """
    best = int(np.argmin(losses))
    excess = losses - losses[best]
    spread = group_losses - group_losses[:, [best]] - excess  # of the differences
    error = _standard_error(spread, group_weight)
    z = norm.isf(level / max(len(losses) - 1, 1))
    near = np.flatnonzero(excess <= z * error)
    return int(near[np.lexsort((losses[near], np.abs(decades[near])))[0]])


def _search(stats: TaskStatistics, rows: tuple, model: Any, name: str, units=None):
    """The pair chosen for one model, with the score of every pair tried, and
    its shared part ``W_0`` (for :func:`_task_parts`).

    The score is the mean over dialects of each dialect's mean squared error
    on its validation rows, as the measures of a voice are averaged over
    dialects: a dialect with few utterances counts as much as one with many.

    Every ``alpha_task`` value tried is scored with a grid of
    ``alpha_shared`` values around the model's own (:data:`SHARED_DECADES`).
    From the model's ``alpha_task``, the value moves a decade at a time
    towards lower loss until the loss rises or :data:`TASK_DECADES` is
    reached, so that a search costs a few values whatever the corpus's
    size; the pair is then chosen by :func:`_nearest_within_error`,
    sentences as groups.
    """
    shared, task = float(model.alpha_shared), float(model.alpha_task)
    alphas_shared = log_grid(shared, SHARED_DECADES[:2], SHARED_DECADES[2])
    X, Y, tasks, sentence = rows
    dialect, count = np.unique(tasks, return_inverse=True, return_counts=True)[1:]
    weight = 1.0 / count[dialect]  # every dialect counts the same
    scale, share = size_scales(stats)
    options = {
        "task_scale": scale,
        "task_weight": share,
        "output_scale": units,
        "sample_weight": weight,
        "groups": sentence,
    }
    group = np.unique(sentence, return_inverse=True)[1]
    group_weight = np.bincount(group, weights=weight)
    tried = {}

    def loss(decade: float) -> float:
        """The least loss at ``alpha_task = task * 10**decade``."""
        if decade not in tried:
            a = task * 10.0**decade
            W0 = shared_solutions(stats, alphas_shared, a * scale, task_weight=share)
            losses = holdout_losses(
                stats, X, Y, tasks, alphas_shared, [a], shared=W0[None], **options
            )
            tried[decade] = (*losses, W0)
        return float(tried[decade][0].min())

    def lower(a: float, b: float) -> bool:  # beyond rounding: a plateau stops
        return loss(a) < loss(b) * (1.0 - 1e-9)

    decade = 0.0
    step = -1.0 if lower(-1.0, 0.0) else 1.0
    while abs(decade + step) <= TASK_DECADES and lower(decade + step, decade):
        decade += step
    decades = np.array(sorted(tried))
    alphas_task = task * 10.0**decades
    losses = np.hstack([tried[k][0] for k in decades])
    group_losses = np.concatenate([tried[k][1] for k in decades], axis=2)
    offsets = (np.log10(alphas_shared / shared), decades)
    i, j = _nearest_within_error(losses, group_losses, group_weight, offsets)
    record = {
        "model": name,
        "alpha_shared": float(alphas_shared[i]),
        "alpha_task": float(alphas_task[j]),
        "alphas_shared": alphas_shared,
        "alphas_task": alphas_task,
        "validation_mse": losses,
        "validation_rows": int(len(tasks)),
    }
    return record, tried[decades[j]][2][:, i]


def _task_parts(
    stats: TaskStatistics, rows: tuple, units, record: dict, shared=None
) -> dict:
    """Every dialect's own-part penalty, chosen on its validation rows.

    With the pair of ``record`` and its ``W_0`` (``shared``, solved when
    None) held, each dialect's part is refit with its penalty times
    ``10**k`` for ``|k|`` up to :data:`TASK_PART_DECADES`
    (:func:`mtlsynth._holdout.task_part_losses`) and scored on that
    dialect's validation rows. Its multiplier is chosen
    by :func:`_nearest_significant`: a dialect whose validation sentences
    cannot tell keeps the joint model, as does a dialect with no validation
    rows. (The pair search's rule, a standard error of the least loss,
    moved two dialects of 40 training sentences and four of the demo's
    corpus by x10, and their held-out error rose.)
    """
    X, Y, tasks, sentence = rows
    scale, share = size_scales(stats)
    decades = np.arange(-TASK_PART_DECADES, TASK_PART_DECADES + 1.0)
    losses, group_losses = task_part_losses(
        stats,
        X,
        Y,
        tasks,
        record["alpha_shared"],
        record["alpha_task"] * scale,
        10.0**decades,
        task_weight=share,
        output_scale=units,
        groups=sentence,
        shared=shared,
    )
    group = np.unique(sentence, return_inverse=True)[1]
    codes = np.searchsorted(stats.labels, tasks)
    chosen = np.ones(stats.n_tasks)
    for t in np.flatnonzero(np.isfinite(losses).all(axis=1)):
        group_weight = np.bincount(group, codes == t, group_losses.shape[0])
        at = _nearest_significant(losses[t], group_losses[:, t], group_weight, decades)
        chosen[t] = 10.0 ** decades[at]
    return {
        "dialects": [str(label) for label in np.asarray(stats.labels).tolist()],
        "task_multipliers": 10.0**decades,
        "task_multiplier": chosen,
        "task_validation_mse": np.nan_to_num(losses, nan=0.0),
    }


def voice_models(voice: Any) -> tuple[Any, Any, Any]:
    """A voice's duration, acoustic and voicing models, unfitted: those it
    was given (cloned), or the defaults, whose penalties
    :func:`choose_penalties` then sets.

    Parameters
    ----------
    voice : ParametricSynthesizer
        The voice.

    Returns
    -------
    duration, acoustic, voicing : estimator
        The models to fit.
    """
    from mtlsynth._maxent import MaxEntClassifier
    from mtlsynth._shared import SharedLeastSquares

    defaults = (
        SharedLeastSquares(alpha_shared=10.0, alpha_task=30.0, unseen_tasks="shared"),
        # chosen on validation sentences of the built-in corpus: the shared
        # part sees every dialect's frames and needs little penalty
        SharedLeastSquares(alpha_shared=0.01, alpha_task=1.0, unseen_tasks="shared"),
        MaxEntClassifier(
            alpha_shared=1.0, alpha_task=10.0, max_iter=300, unseen_tasks="shared"
        ),
    )
    given = (voice.duration_model, voice.acoustic_model, voice.voicing_model)
    return tuple(
        clone(default if model is None else model)
        for model, default in zip(given, defaults, strict=True)
    )


def scoring_problem(data: TrainingData, name: str, normalize: str) -> tuple | None:
    """What a model's penalties are scored on: its training statistics and
    the validation rows, in the units of the score.

    Parameters
    ----------
    data : TrainingData
        Collected with ``validation``.
    name : {"duration", "acoustic"}
        The model: the duration model is scored on log durations as they
        are; the acoustic model on the mel-cepstrum ``c_1`` and up, its
        statistics and rows normalized as the voice normalizes them
        (``normalize``) and its errors weighed back into their own units.
    normalize : str
        The voice's ``normalize``.

    Returns
    -------
    tuple or None
        ``(statistics, (X, Y, dialect, sentence), units)`` for
        :func:`mtlsynth._holdout.holdout_losses` (``units`` its
        ``output_scale``, None for durations): the rows of speech only, as
        the measures of :mod:`mtlsynth.speech.evaluation` leave pauses out.
        None without such rows or statistics.
    """
    rows = data.validation("phones" if name == "duration" else "frames")
    stats = data.duration if name == "duration" else data.acoustic
    if rows is None or stats is None or not rows[4].any():
        return None
    n = int(rows[4].sum())  # scored as measured, without the pauses, which follow
    rows = (csr_row_block(rows[0], 0, n), *(r[:n] for r in rows[1:4]))
    if name == "duration":
        return stats, rows, None
    mean, std = target_normalization(stats, normalize)
    cepstrum = slice(1, int(data.analysis["order_"]) + 1)
    stats = normalized_statistics(
        _targets(stats, cepstrum), mean[:, cepstrum], std[:, cepstrum]
    )
    codes = np.searchsorted(stats.labels, rows[2])
    Y = (rows[1][:, cepstrum] - mean[codes, cepstrum]) / std[codes, cepstrum]
    return stats, (rows[0], Y, *rows[2:]), std[: stats.n_tasks, cepstrum]


def choose_penalties(
    data: TrainingData, voice: Any, name: str, model: Any, refit_tasks: bool = True
) -> dict | None:
    """Set the penalties of one of a voice's default models from ``data``.

    The model's ``alpha_shared`` and ``alpha_task`` are set (in place) to the
    pair the search of this module chooses on its validation rows (for a
    voice of dialect and speaker factors, on its cells as tasks); with no
    validation rows, they keep their fixed values. Its validation rows are
    then added to its statistics (:meth:`TrainingData.absorb_validation`),
    and every dialect's ``alpha_task`` and ``task_weight`` are scaled by its
    size (:func:`~mtlsynth.speech.training.size_scaled_penalties`). With
    ``refit_tasks``, every dialect whose validation rows ask for it gets its
    own part's penalty, refit given the shared part (``alpha_task_refit``,
    its multiplier of the scaled penalty chosen by :func:`_task_parts`). A
    model the voice was given keeps its penalties; its rows are absorbed all
    the same.

    Parameters
    ----------
    data : TrainingData
        Collected with or without ``validation``.
    voice : ParametricSynthesizer
        The voice (its models as given, and ``normalize``).
    name : {"duration", "acoustic"}
        Which model.
    model : estimator
        The model, from :func:`voice_models`.
    refit_tasks : bool, default=True
        Whether to refit the dialects' own parts (:func:`_task_parts`);
        False for a voice of dialect and speaker factors, which fit none.

    Returns
    -------
    dict or None
        The record of the search: the model's name, the pair chosen, the
        values tried, the validation mean squared error of every pair
        (shared x task), the number of validation rows, and the refit of the
        dialects' own parts (``dialects``, the ``task_multipliers`` tried,
        each dialect's ``task_multiplier`` and its ``task_validation_mse``
        at each); None if the model was given or had no validation rows.
    """
    default = getattr(voice, f"{name}_model") is None
    record = None
    problem = scoring_problem(data, name, voice.normalize) if default else None
    if problem is not None:
        record, shared = _search(*problem[:2], model, name, problem[2])
        if refit_tasks:
            record.update(_task_parts(*problem, record, shared))
        del problem
        model.set_params(
            alpha_shared=record["alpha_shared"], alpha_task=record["alpha_task"]
        )
    data.absorb_validation("phones" if name == "duration" else "frames")
    stats = data.duration if name == "duration" else data.acoustic
    if default and stats is not None and isinstance(model.alpha_task, float):
        penalties, weights = size_scaled_penalties(model.alpha_task, stats)
        model.set_params(alpha_task=penalties, task_weight=weights)
        if record is not None and np.any(record.get("task_multiplier", 1) != 1):
            chosen = zip(record["dialects"], record["task_multiplier"], strict=True)
            refit = {k: float(m * penalties[k]) for k, m in chosen}
            model.set_params(alpha_task_refit=refit)
    return record


def describe_choice(record: dict | None, name: str) -> str:
    """One line on the pair a search chose.

    Parameters
    ----------
    record : dict or None
        A record of :func:`choose_penalties`; None where it kept the fixed
        penalties.
    name : str
        The model.

    Returns
    -------
    str
        The model, the pair chosen and the number of validation rows (or
        that the penalties are fixed).
    """
    if record is None:
        return f"{name} model: fixed penalties (no validation sentences)"
    moved = [
        f"{dialect} x{m:g}"
        for dialect, m in zip(
            record.get("dialects", []), record.get("task_multiplier", []), strict=True
        )
        if m != 1
    ]
    refit = f"; own parts refit: {', '.join(moved)}" if moved else ""
    return (
        f"{record['model']} model: alpha_shared={record['alpha_shared']:.3g},"
        f" alpha_task={record['alpha_task']:.3g} chosen on "
        f"{record['validation_rows']} held-out rows{refit}"
    )
