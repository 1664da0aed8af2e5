"""Penalties chosen by task-aware cross-validation on block statistics."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from mtlsynth._shared import SharedLeastSquares
from mtlsynth._shared_cv import SharedLeastSquaresCV
from mtlsynth._stats import TaskStatistics
from mtlsynth.bench.methods import _Method
from mtlsynth.speech.corpus import Corpus
from mtlsynth.speech.features import LinguisticFeatures
from mtlsynth.speech.models import model_rows, residual_sse, voiced_probability
from mtlsynth.speech.synthesizer import ParametricSynthesizer
from mtlsynth.speech.training import (
    TrainingData,
    _add_rows,
    _stacked_rows,
    normalized_statistics,
    target_normalization,
)
from mtlsynth.utils.progress import Progress

__all__ = []


@dataclass
class _Blocks:
    """Training data of every block of utterances: (target dialect, level
    bin, fold) and (other dialect, 0, fold). A block holds the statistics of
    its frames and its kept phone and frame rows (see :meth:`merged`)."""

    data: dict[tuple[str, int, int], TrainingData]
    counts: dict[tuple[str, int, int], int]
    edges: tuple[int, ...]
    n_folds: int

    def select(self, target: str, level: int, fold: int | None = None, *, held=False):
        """Blocks of a configuration: the target dialect's first ``level``
        utterances, every utterance of the others; ``fold`` keeps only the
        training part of that fold (``held=True``: only its held-out part)."""
        keys = []
        for dialect, b, k in self.data:
            if dialect == target and self.edges[b] >= level:
                continue
            if fold is not None and (k == fold) != held:
                continue
            keys.append((dialect, b, k))
        return sorted(keys)

    def merged(self, keys: Sequence, parts=("duration", "acoustic", "frames")):
        """Training data of the union of blocks, with only ``parts``.

        The frame statistics are merged in one allocation; the duration
        statistics are computed from the phone rows, which take a fraction
        of the memory of statistics of their width kept per block, and
        kept stacked for a model without statistics; frame rows are shared
        with the blocks, not copied.
        """
        blocks = [self.data[key] for key in keys]
        first = blocks[0]
        data = TrainingData(first.features, first.analysis)
        if "acoustic" in parts:
            data.acoustic = TaskStatistics.union([b.acoustic for b in blocks])
        if "duration" in parts:  # statistics, and rows for a model without them
            phones = _stacked_rows([row for b in blocks for row in b.phone_rows])
            data.phone_rows = [phones]
            X, log_frames, dialect = phones
            data.duration = _add_rows(
                None, X, log_frames[:, None], dialect, np.unique(dialect)
            )
        if "frames" in parts:
            data.frame_rows = [row for b in blocks for row in b.frame_rows]
        return data


@dataclass
class _Folds:
    """One part of the cross-validation folds of a configuration (target
    dialect, level), each fold made when it is used: the statistics of
    every fold at once would take several times those of all the data.

    ``part`` is ``"duration"`` or ``"acoustic"`` (statistics) or
    ``"frames"`` (training data with the kept frame rows alone).
    """

    blocks: _Blocks
    target: str
    level: int
    part: str

    def __len__(self) -> int:
        return self.blocks.n_folds

    def __iter__(self) -> Iterator[tuple]:
        """``(training, held-out)`` of each fold in turn."""
        for k in range(len(self)):
            yield self._made(k, held=False), self._made(k, held=True)

    def held_out(self) -> Iterator:
        """The held-out part of each fold alone, no training part made."""
        return (self._made(k, held=True) for k in range(len(self)))

    def _made(self, k: int, held: bool):
        keys = self.blocks.select(self.target, self.level, k, held=held)
        data = self.blocks.merged(keys, (self.part,))
        return data if self.part == "frames" else getattr(data, self.part)


def _collect_blocks(
    synth: ParametricSynthesizer,
    train: Corpus,
    features: LinguisticFeatures,
    target: str,
    levels: Sequence[int],
    n_folds: int,
    frame_stride: int,
    progress: bool,
) -> _Blocks:
    """Summarize the training corpus once, block by block: the target
    dialect's utterances in bins of the data levels, the other dialects'
    in one bin, every bin split into folds."""
    by_dialect: dict[str, list] = {}
    for utt in train.utterances:
        by_dialect.setdefault(utt.dialect, []).append(utt)
    groups: dict[tuple[str, int, int], list] = {}
    for dialect, utts in by_dialect.items():
        order = np.random.default_rng(0).permutation(len(utts))
        for pos, i in enumerate(order):
            b = int(np.searchsorted(levels, pos, side="right"))
            b = b if dialect == target else 0
            groups.setdefault((dialect, b, pos % n_folds), []).append(utts[i])
    bar = Progress(len(train), "summarizing blocks", enabled=progress)
    data = {}
    for key in sorted(groups):
        block = Corpus(train.root, train.fs, tuple(groups[key]))
        data[key] = synth.collect(
            block,
            features=features,
            frame_stride=frame_stride,
            duration_statistics=False,
            keep_frame_targets=True,
        )
        bar.update(len(block))
    counts = {key: len(g) for key, g in groups.items()}
    return _Blocks(data, counts, (0, *levels), n_folds)


def _dialect_mse(model: Any, stats: Any) -> np.ndarray:
    """Mean squared error per row and target, for every dialect."""
    sse = residual_sse(model, stats).sum(axis=1)
    return sse / (stats.weight * stats.mean_y.shape[1])


def _alpha_max(model: Any, stats: Any) -> float:
    """Smallest alpha of the non-smooth penalty that zeroes the coefficients."""
    from mtlsynth._datafits import Quadratic

    datafit = Quadratic(stats, fit_intercept=True, task_weighting=model.task_weighting)
    grad = datafit.gradient(np.zeros(datafit.shape))[:, : stats.mean_x.shape[1]]
    return float(model.penalty.nonsmooth.dual_norm(grad))


def _set(model: Any, params: dict, stats: Any) -> Any:
    """``set_params``, reading ``penalty__nonsmooth__alpha`` as a fraction of
    the largest useful alpha for these statistics."""
    params = dict(params)
    key = "penalty__nonsmooth__alpha"
    if key in params:
        params[key] *= _alpha_max(model, stats)
    return model.set_params(**params)


def _select_regressor(
    base, grid, folds: Iterable, normalize=None, per_dialect=None, coupled=True
) -> tuple[dict, float]:
    """Grid point with the lowest cross-validated error, from statistics.

    ``folds`` gives the statistics of one fold at a time. The error is the
    mean over dialects of each dialect's validation mean squared error.
    With ``per_dialect`` (a parameter name), that parameter is then chosen
    for every dialect: with independent models (``coupled=False``) each
    dialect takes the grid value of its own lowest error; the
    shared-parameter model (coupled through its shared part) is searched by
    :class:`~mtlsynth.SharedLeastSquaresCV` (:func:`_select_shared`).
    """
    if len(grid) == 1:
        return grid[0], float("nan")
    if per_dialect is not None and coupled:
        return _select_shared(base, grid, folds, normalize, per_dialect)
    if normalize is not None:
        folds = (_normalized(train, val, normalize) for train, val in folds)
    return _search(base, grid, folds, per_dialect)


def _select_shared(base, grid, folds, normalize, name) -> tuple[dict, float]:
    """``alpha_shared`` and every dialect's ``alpha_task`` of a
    :class:`~mtlsynth.SharedLeastSquares`, by
    :class:`~mtlsynth.SharedLeastSquaresCV` on the folds' held-out statistics:
    the best common pair of the grid, then a coordinate search in which each
    dialect in turn (the smallest first) tries every ``alpha_task`` of the
    grid with the others held, and keeps a change only if the mean error over
    dialects drops. Targets are normalized by the statistics of all folds."""
    if name != "alpha_task" or not isinstance(base, SharedLeastSquares):
        raise ValueError(f"a coupled search of {name!r} needs SharedLeastSquares")
    held = list(  # a _Folds makes the held-out parts alone
        folds.held_out() if hasattr(folds, "held_out") else (v for _, v in folds)
    )
    if normalize is not None:
        mean, std = target_normalization(TaskStatistics.union(held), normalize)
        held = [normalized_statistics(val, mean, std) for val in held]
    search = SharedLeastSquaresCV(
        alphas_shared=sorted({p["alpha_shared"] for p in grid}),
        alphas_task=sorted({p["alpha_task"] for p in grid}),
        scoring="neg_task_mean_squared_error",
        fit_intercept=base.fit_intercept,
    ).fit_statistics(held)
    chosen = {"alpha_shared": search.alpha_shared_, "alpha_task": search.alpha_task_}
    return chosen, -float(search.best_score_)


def _search(base, grid, train_val, per_dialect) -> tuple[dict, float]:
    """The search of :func:`_select_regressor` on prepared folds, given one
    at a time."""
    fold_scores = []
    for train, val in train_val:
        model = clone(base)  # kept across the grid: warm starts
        fold = []
        for params in grid:
            _set(model, params, train).fit_statistics(train)
            fold.append(_dialect_mse(model, val))
        fold_scores.append(np.asarray(fold))
        labels = np.asarray(train.labels).tolist()
    scores = sum(fold / len(fold_scores) for fold in fold_scores)
    best = int(np.argmin(scores.mean(axis=1)))
    if per_dialect is None:
        return grid[best], float(scores[best].mean())
    groups: dict[tuple, list[int]] = {}
    for i, params in enumerate(grid):
        rest = tuple(sorted((k, v) for k, v in params.items() if k != per_dialect))
        groups.setdefault(rest, []).append(i)
    best_rest, best_score, best_rows = None, np.inf, None
    for rest, rows in groups.items():
        score = float(scores[rows].min(axis=0).mean())
        if score < best_score:
            best_rest, best_score, best_rows = rest, score, rows
    pick = np.asarray(best_rows)[np.argmin(scores[best_rows], axis=0)]
    values = {
        label: grid[i][per_dialect] for label, i in zip(labels, pick, strict=True)
    }
    return {**dict(best_rest), per_dialect: values}, best_score


def _normalized(train, val, normalize: str) -> tuple:
    """Training and validation statistics normalized by the training ones."""
    mean, std = target_normalization(train, normalize)
    return (
        normalized_statistics(train, mean, std),
        normalized_statistics(val, mean, std),
    )


def _select_classifier(base, grid, train_val) -> tuple[dict, float]:
    """Grid point with the lowest cross-validated log-loss of voicing."""
    if len(grid) == 1:
        return grid[0], float("nan")
    scores = np.zeros(len(grid))
    for (Xt, yt, tt), (Xv, yv, tv) in train_val:
        # sparse for models that take it, else dense: once per fold, not per point
        rows_t, rows_v = model_rows(base, Xt), model_rows(base, Xv)
        for i, params in enumerate(grid):
            model = clone(base).set_params(**params)
            model = (
                model.fit(rows_t, yt)
                if isinstance(model, LogisticRegression)
                else model.fit(rows_t, yt, tasks=tt)
            )
            p = np.zeros(len(yv))
            for dialect in np.unique(tv):
                rows = np.flatnonzero(tv == dialect)
                p[rows] = voiced_probability(model, rows_v[rows], str(dialect), 1.0)
            p = np.clip(p, 1e-12, 1 - 1e-12)
            per = [
                -np.mean(np.where(yv[r] > 0.5, np.log(p[r]), np.log1p(-p[r])))
                for r in (tv == d for d in np.unique(tv))
            ]
            scores[i] += float(np.mean(per))
    best = int(np.argmin(scores))
    return grid[best], float(scores[best] / len(train_val))


def _voicing_rows(data: TrainingData, limit: int) -> tuple:
    """``(X, voiced, dialect)`` of at most ``limit`` of a fold's frames (see
    :meth:`~mtlsynth.speech.training.TrainingData.frame_sample`)."""
    X, _, voiced, dialect, _ = data.frame_sample(limit)
    return X, voiced.astype(np.int64), dialect


def _choose(
    method: _Method,
    blocks: _Blocks,
    target: str,
    level: int,
    voicing_limit: int,
    memo: dict,
) -> dict:
    """Cross-validated hyper-parameters of the three models of a method, on
    the folds of a configuration (target dialect, level) of ``blocks``.

    ``memo`` holds the choices already made on the same folds, so that
    methods sharing a model (and its grid) search it once.
    """

    def cached(kind, base, grid, search):
        key = (kind, repr(base), repr(grid), method.per_dialect, method.coupled)
        if key not in memo:
            memo[key] = search()
        return memo[key]

    dur = cached(
        "duration",
        method.duration,
        method.duration_grid,
        lambda: _select_regressor(
            method.duration,
            method.duration_grid,
            _Folds(blocks, target, level, "duration"),
            per_dialect=method.per_dialect,
            coupled=method.coupled,
        ),
    )
    ac = cached(
        "acoustic " + method.normalize,
        method.acoustic,
        method.acoustic_grid,
        lambda: _select_regressor(
            method.acoustic,
            method.acoustic_grid,
            _Folds(blocks, target, level, "acoustic"),
            method.normalize,
            method.per_dialect,
            method.coupled,
        ),
    )
    vo = cached(
        "voicing",
        method.voicing,
        method.voicing_grid,
        lambda: _select_classifier(
            method.voicing,
            method.voicing_grid,
            [
                (
                    _voicing_rows(t, voicing_limit),
                    _voicing_rows(v, voicing_limit),
                )
                for t, v in _Folds(blocks, target, level, "frames")
            ],
        ),
    )
    return {
        "duration": dur[0],
        "acoustic": ac[0],
        "voicing": vo[0],
        "cv_scores": {"duration": dur[1], "acoustic": ac[1], "voicing": vo[1]},
    }


def _train(method: _Method, chosen: dict, data: TrainingData, settings: dict):
    """A synthesizer trained with the chosen hyper-parameters."""
    duration = _set(clone(method.duration), chosen["duration"], data.duration)
    stats = data.acoustic
    mean, std = target_normalization(stats, method.normalize)
    normalized = normalized_statistics(stats, mean, std)
    acoustic = _set(clone(method.acoustic), chosen["acoustic"], normalized)
    voicing = clone(method.voicing).set_params(**chosen["voicing"])
    synth = ParametricSynthesizer(
        duration, acoustic, voicing, normalize=method.normalize, **settings
    )
    return synth.fit_training_data(data)
