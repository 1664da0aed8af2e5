"""What the cross-validated searches of ``(alpha_shared, alpha_task)`` share.

:class:`~mtlsynth.SharedLeastSquaresCV` and
:class:`~mtlsynth.MaxEntClassifierCV` score a grid of pairs with one
``alpha_task`` for all tasks, then (``per_task=True``) give every task its
own ``alpha_task`` by a coordinate search. They differ in how a candidate is
scored (statistics in closed form; warm-started solver paths); the grids,
folds, records and the search itself live here.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from mtlsynth.model_selection import _as_splitter, _split_indices

SEARCH_CONSTRAINTS: dict = {
    "alphas_shared": ["array-like", None],
    "alphas_task": ["array-like", None],
    "per_task": ["boolean"],
    "max_passes": [Interval(Integral, 1, None, closed="left")],
    "cv": ["cv_object", "array-like"],
    "unseen_tasks": [StrOptions({"error", "shared"})],
    "n_jobs": [Integral, None],
}
"""Parameter constraints of the searches' common parameters."""


def log_grid(scale: float, decades: tuple[float, float], size: int) -> np.ndarray:
    """``size`` log-spaced values from ``scale * 10**decades[0]`` to ``[1]``."""
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    return scale * np.logspace(*decades, size)


def checked_grid(values, name: str) -> np.ndarray:
    """A user grid as sorted distinct positive floats, or a clear error."""
    try:
        grid = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must hold numbers; got {values!r}.") from error
    if grid.ndim > 1 or grid.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D list of positive numbers; got shape "
            f"{grid.shape}."
        )
    grid = grid.ravel()
    if not np.all(np.isfinite(grid) & (grid > 0)):
        bad = grid[~(np.isfinite(grid) & (grid > 0))]
        raise ValueError(
            f"{name} must hold positive finite numbers; got {bad.tolist()}."
        )
    return np.unique(grid)


def search_grids(estimator, default) -> tuple[np.ndarray, np.ndarray]:
    """The estimator's ``alphas_shared`` and ``alphas_task``, checked, or
    ``default()`` for each that is None."""
    grids = []
    for name in ("alphas_shared", "alphas_task"):
        values = getattr(estimator, name)
        grids.append(default() if values is None else checked_grid(values, name))
    return grids[0], grids[1]


def row_index(index, n: int) -> np.ndarray:
    """Integer row indices from indices or a boolean mask."""
    index = np.asarray(index)
    if index.dtype == bool:
        return np.flatnonzero(index)
    return index.astype(np.intp, copy=False) % max(n, 1)


def fold_indices(cv, X, y, tasks, groups) -> list:
    """Train and test row indices of every fold of ``cv`` (see
    :func:`~mtlsynth.model_selection._as_splitter`), or a clear error."""
    n = X.shape[0]
    if n < 2:
        raise ValueError(
            f"Cross-validation needs at least 2 samples; got n_samples = {n}."
        )
    splits = _split_indices(_as_splitter(cv), X, y, tasks, groups)
    splits = [(row_index(tr, n), row_index(te, n)) for tr, te in splits]
    if not splits:
        raise ValueError("The cross-validation gave no folds.")
    return splits


def grid_results(scores, alphas_shared, alphas_task) -> dict:
    """``cv_results_`` of the common grid from scores (n_folds, n_pairs),
    ``alpha_shared`` varying slowest."""
    a0 = np.repeat(alphas_shared, len(alphas_task))
    a1 = np.tile(alphas_task, len(alphas_shared))
    mean = scores.mean(axis=0)
    results = {
        "params": [
            {"alpha_shared": float(s), "alpha_task": float(t)}
            for s, t in zip(a0, a1, strict=True)
        ],
        "param_alpha_shared": a0,
        "param_alpha_task": a1,
    }
    for k, fold in enumerate(scores):
        results[f"split{k}_test_score"] = fold
    results["mean_test_score"] = mean
    results["std_test_score"] = scores.std(axis=0)
    order = np.argsort(-mean, kind="stable")
    rank = np.empty(len(mean), dtype=np.int32)
    rank[order] = np.arange(1, len(mean) + 1)
    results["rank_test_score"] = rank
    return results


def best_pair(results: dict) -> tuple[float, float, float]:
    """``(alpha_shared, alpha_task, mean score)`` of the best grid point."""
    best = int(np.argmax(results["mean_test_score"]))
    return (
        float(results["param_alpha_shared"][best]),
        float(results["param_alpha_task"][best]),
        float(results["mean_test_score"][best]),
    )


def path_results(rows: list) -> dict:
    """``per_task_results_`` from rows (pass, task, alpha, score, kept)."""
    names = ("pass", "task", "alpha_task", "mean_test_score", "accepted")
    columns = list(zip(*rows, strict=True)) if rows else [[]] * len(names)
    out = {name: np.asarray(col) for name, col in zip(names, columns, strict=True)}
    out["accepted"] = out["accepted"].astype(bool)
    return out


def coordinate_search(search, alphas, grid, order, labels, score, max_passes):
    """Give every task its own ``alpha_task`` by coordinate search.

    Each task in ``order`` tries every other value of ``grid``, the others
    held, and keeps the best if it beats the current score; passes repeat
    until one changes nothing, or every task has seen the last change, at
    most ``max_passes`` times.

    Parameters
    ----------
    search : object
        Scores candidates: ``begin(alphas)`` at the start of every pass,
        ``trials(t, values, alphas)`` returns the mean score of every value
        of task t's penalty, and ``accept(t, old, new)`` moves its state.
    alphas : ndarray of shape (n_tasks,)
        Starting penalties; updated in place.
    grid : ndarray
        Values to try.
    order : ndarray of int
        Tasks in the order they are visited.
    labels : ndarray of shape (n_tasks,)
        Task labels, for the record.
    score : float
        Score of the starting penalties (higher is better).
    max_passes : int
        Most passes over the tasks.

    Returns
    -------
    alphas : ndarray of shape (n_tasks,)
        Chosen penalties.
    score : float
        Their score.
    results : dict
        ``per_task_results_`` (see :func:`path_results`).
    """
    rows = []
    last = None  # the task changed last
    for n_pass in range(max_passes):
        search.begin(alphas)
        changed = settled = False
        for t in order:
            if t == last:  # every other task has seen its current value
                settled = True
                break
            values = grid[grid != alphas[t]]
            if not len(values):
                continue
            scores = np.asarray(search.trials(t, values, alphas))
            j = int(np.argmax(scores))
            keep = bool(scores[j] > score)
            label = labels[t].item()
            rows += [
                (n_pass, label, float(v), float(s), keep and i == j)
                for i, (v, s) in enumerate(zip(values, scores, strict=True))
            ]
            if not keep:
                continue
            changed, last, score = True, t, float(scores[j])
            search.accept(t, alphas[t], values[j])
            alphas[t] = values[j]
        if settled or not changed:
            break
    return alphas, score, path_results(rows)
