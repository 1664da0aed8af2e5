"""Held-out error of :class:`SharedLeastSquares` from training statistics.

A voice scores penalties on held-out utterances whose frames it holds, from
the statistics of the rest, with one task's factorization at a time in a
single d x d work array: where the eigendecompositions of
:class:`~mtlsynth.SharedLeastSquaresCV` would hold several times the
statistics, these hold the statistics and a few d x d arrays.
:func:`holdout_losses` scores penalty pairs of the joint model;
:func:`task_part_losses` scores every task's own part refit given the shared
part (``alpha_task_refit``); :func:`shared_solutions` solves the shared part
once for both.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from mtlsynth._shared import SMALL_SOLVE_FLOPS
from mtlsynth._shared_cv import _POSV, _solve_spd
from mtlsynth._stats import TaskStatistics
from mtlsynth.utils.blas import blas_threads_for
from mtlsynth.utils.progress import Progress

__all__ = [
    "holdout_losses",
    "shared_solutions",
    "task_part_losses",
]

_HOLDOUT_CHUNK = 4096
"""Held-out rows scored at a time by :func:`holdout_losses`."""

_POTRF, _POTRI = linalg.get_lapack_funcs(("potrf", "potri"), (np.empty(0),))
_SYMM = linalg.get_blas_funcs("symm", (np.empty(0),))


def _shifted(work: np.ndarray, A: np.ndarray, shift: float) -> np.ndarray:
    """``A + shift I`` of a symmetric ``A``, written into the Fortran-ordered
    ``work`` (LAPACK then factors it in place, with no copy)."""
    work[...] = A.T  # the same matrix; a straight copy when A is C-ordered
    work.flat[:: len(A) + 1] += shift
    return work


def _spd_inverse_lower(work: np.ndarray, G: np.ndarray, shift: float) -> np.ndarray:
    """The lower triangle (zeros above it) of ``(G + shift I)^-1`` for a
    symmetric positive definite result, in ``work`` (Cholesky factorization
    and its inverse, two thirds of a solve's work); from the pseudo-inverse
    if rounding made it indefinite."""
    factor, info = _POTRF(
        _shifted(work, G, shift), lower=True, overwrite_a=True, clean=True
    )
    if info == 0:  # potri writes the lower triangle only: zeros stay above
        inverse, info = _POTRI(factor, lower=True, overwrite_c=True)
    if info != 0:
        return np.tril(linalg.pinvh(G + shift * np.eye(len(G))))
    return inverse


def _spd_solve_in(work: np.ndarray, A: np.ndarray, shift: float, B: np.ndarray):
    """``(A + shift I)^-1 B`` for a symmetric positive definite result, read
    from the lower triangle of ``A``, factored in ``work``."""
    _, X, info = _POSV(_shifted(work, A, shift), B, lower=False, overwrite_a=True)
    if info != 0:
        return _solve_spd(np.tril(A) + np.tril(A, -1).T + shift * np.eye(len(A)), B)
    return X


def _shared_solutions(work, G, B, a_t, c, alphas_shared, bar) -> np.ndarray:
    """``W0`` of :func:`solve_shared <mtlsynth._shared.solve_shared>` for
    task penalties ``a_t``, weights ``c`` and every ``alphas_shared`` value,
    of shape (d, n_shared, q); one task's inverse at a time, in ``work``."""
    d, q = B.shape[1:]
    M, r = np.zeros((d, d)), np.zeros((d, q))  # M: lower triangle
    for t in range(len(G)):  # c a A^-1 G = c a I - c a^2 A^-1
        inverse = _spd_inverse_lower(work, G[t], a_t[t])
        r += _SYMM(c[t] * a_t[t], inverse, B[t], lower=True)
        inverse *= -c[t] * a_t[t] ** 2  # in place: no d x d temporary
        M += inverse
        M.flat[:: d + 1] += c[t] * a_t[t]
        bar.update()
    # M is C-ordered and lower: its transpose in ``work``, upper
    return np.stack([_spd_solve_in(work, M, a0, r) for a0 in alphas_shared], 1)


def _add_group_errors(
    out, W, offset, X, Y, rows, weight, group, units, distance=False
) -> None:
    """Add each group's weighted error of the model ``X W + offset``
    (``S`` models side by side: ``W`` of shape (d, S q), ``offset`` (S, q))
    on the held-out ``rows`` to ``out`` (n_groups, S), ``units`` the
    factor of each output's residual: every row's squared error summed over
    the outputs, or with ``distance`` its square root."""
    S, q = offset.shape
    for start in range(0, len(rows), _HOLDOUT_CHUNK):
        part = rows[start : start + _HOLDOUT_CHUNK]
        resid = np.asarray(X[part] @ W).reshape(-1, S, q) + offset
        resid -= Y[part][:, None, :]
        resid *= units
        error = np.einsum("nsq,nsq->ns", resid, resid)
        if distance:
            np.sqrt(error, out=error)
        np.add.at(out, group[part], weight[part, None] * error)


def _held_out(train: TaskStatistics, tasks, sample_weight, groups) -> tuple:
    """Every task's held-out rows, their weights and their group codes
    (one group without ``groups``), checked against the training tasks."""
    labels = np.asarray(train.labels)
    tasks = np.asarray(tasks)
    codes = np.minimum(np.searchsorted(labels, tasks), len(labels) - 1)
    unknown = labels[codes] != tasks
    if np.any(unknown):
        raise ValueError(
            f"held-out rows of tasks not in training: {np.unique(tasks[unknown])}"
        )
    if np.any(train.weight <= 0):
        raise ValueError(f"tasks with no training rows: {labels[train.weight <= 0]}")
    weight = np.ones(len(tasks)) if sample_weight is None else np.asarray(sample_weight)
    rows = [np.flatnonzero(codes == t) for t in range(len(labels))]
    _, group = np.unique(
        np.zeros(len(tasks)) if groups is None else groups, return_inverse=True
    )
    return rows, weight, group


def shared_solutions(
    train: TaskStatistics,
    alphas_shared,
    alpha_task,
    *,
    task_weight=None,
    fit_intercept: bool = True,
) -> np.ndarray:
    """The shared part ``W_0`` of :class:`SharedLeastSquares` at every
    ``alphas_shared`` value, for :func:`holdout_losses` and
    :func:`task_part_losses` to share.

    Costs one Cholesky factorization and inverse per task, one task's at a
    time, and one factorization of the d x d shared system per value.

    Parameters
    ----------
    train : TaskStatistics
        Statistics of the training rows.
    alphas_shared : array-like of shape (n_shared,)
        Values of ``alpha_shared``.
    alpha_task : array-like of shape (n_tasks,)
        Penalty of every task's part, in the order of ``train.labels``.
    task_weight : array-like of shape (n_tasks,), optional
        :class:`SharedLeastSquares`' ``task_weight`` of every task, in the
        order of ``train.labels``; default 1 for every task.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.

    Returns
    -------
    ndarray of shape (n_features, n_shared, n_outputs)
        ``W_0`` at every value of ``alphas_shared``.
    """
    G, B = train.gram(centered=fit_intercept)
    T, d, _ = B.shape
    a_t = np.broadcast_to(np.asarray(alpha_task, dtype=float), (T,))
    c = np.ones(T) if task_weight is None else np.asarray(task_weight, float)
    alphas_shared = np.asarray(alphas_shared, dtype=float)
    work = np.empty((d, d), order="F")
    bar = Progress(T, "solving the shared part")
    with blas_threads_for(d**3, limit=SMALL_SOLVE_FLOPS):
        return _shared_solutions(work, G, B, a_t, c, alphas_shared, bar)


def holdout_losses(
    train: TaskStatistics,
    X,
    Y: np.ndarray,
    tasks,
    alphas_shared,
    alphas_task,
    *,
    task_scale=None,
    task_weight=None,
    sample_weight=None,
    output_scale=None,
    groups=None,
    fit_intercept: bool = True,
    shared=None,
    distance: bool = False,
):
    """Held-out error of :class:`SharedLeastSquares` at every penalty pair.

    The models are solved from the statistics of the training rows, and
    scored on held-out rows, with the memory of the statistics and a few
    d x d arrays: where the eigendecompositions of
    :class:`SharedLeastSquaresCV` would hold several times the statistics,
    this holds one task's factorization at a time. Per value of
    ``alphas_task``, each task is factored twice (once for the shared
    system, once for its coefficients, both for every ``alphas_shared``
    value at once) and every ``alphas_shared`` value costs one factorization
    of the d x d shared system (none of these with ``shared``).

    Parameters
    ----------
    train : TaskStatistics
        Statistics of the training rows; every task needs positive weight.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Held-out inputs.
    Y : ndarray of shape (n_samples, n_outputs)
        Held-out targets.
    tasks : array-like of shape (n_samples,)
        Task of every held-out row; each must be a task of ``train``.
    alphas_shared : array-like of shape (n_shared,)
        Values of ``alpha_shared`` to score.
    alphas_task : array-like of shape (n_task,)
        Values of ``alpha_task`` to score; task t's penalty is the value
        times ``task_scale[t]``.
    task_scale : array-like of shape (n_tasks,), optional
        Factor of each task's penalty, in the order of ``train.labels``;
        default 1 for every task.
    task_weight : array-like of shape (n_tasks,), optional
        :class:`SharedLeastSquares`' ``task_weight`` of every task, in the
        order of ``train.labels``; default 1 for every task.
    sample_weight : array-like of shape (n_samples,), optional
        Weight of every held-out row; default 1.
    output_scale : array-like of shape (n_tasks, n_outputs), optional
        Factor of every task's residual in each output (the error is
        measured in other units than the model's); default 1.
    groups : array-like of shape (n_samples,), optional
        Group of every held-out row (such as its utterance): the error of
        every group is returned too.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    shared : ndarray of shape (n_task, n_features, n_shared, n_outputs), optional
        ``W_0`` of every pair (:func:`shared_solutions` of each
        ``alphas_task`` value); solved here when None.
    distance : bool, default=False
        Score every row by its distance from its target (the Euclidean norm
        of its residual over the outputs, as mel-cepstral distortion
        averages frames) instead of its mean squared error.

    Returns
    -------
    losses : ndarray of shape (n_shared, n_task)
        Weighted mean squared error over the held-out rows and outputs (with
        ``distance``: weighted mean distance over the rows).
    group_losses : ndarray of shape (n_groups, n_shared, n_task)
        With ``groups``: the same within each group, groups in sorted order.
    """
    G, B = train.gram(centered=fit_intercept)
    T, d, q = B.shape
    rows, weight, group = _held_out(train, tasks, sample_weight, groups)
    scale = np.ones(T) if task_scale is None else np.asarray(task_scale, float)
    c = np.ones(T) if task_weight is None else np.asarray(task_weight, float)
    units = np.ones((T, q)) if output_scale is None else np.asarray(output_scale)
    alphas_shared = np.asarray(alphas_shared, dtype=float)
    S = len(alphas_shared)
    by_group = np.zeros((group.max(initial=0) + 1, S, len(alphas_task)))
    mx = train.mean_x if fit_intercept else np.zeros((T, d))
    my = train.mean_y if fit_intercept else np.zeros((T, q))
    work = np.empty((d, d), order="F")  # every factorization, in place
    bar = Progress(len(alphas_task) * T * (1 + (shared is None)), "scoring penalties")
    with blas_threads_for(d**3, limit=SMALL_SOLVE_FLOPS):
        for j, a in enumerate(np.asarray(alphas_task, dtype=float)):
            a_t = a * scale
            W0 = (
                _shared_solutions(work, G, B, a_t, c, alphas_shared, bar)
                if shared is None
                else shared[j]
            )
            for t in range(T):  # W_t = A_t^-1 (B_t + a W_0), every a0 at once
                bar.update()
                if not len(rows[t]):
                    continue
                rhs = (B[t][:, None, :] + a_t[t] * W0).reshape(d, S * q)
                Wt = _spd_solve_in(work, G[t], a_t[t], rhs)
                offset = my[t] - (mx[t] @ Wt).reshape(S, q)
                errors = (X, Y, rows[t], weight, group, units[t], distance)
                _add_group_errors(by_group[:, :, j], Wt, offset, *errors)
    per_row = 1 if distance else q  # a distance is per row, not per output
    out = by_group.sum(axis=0) / (weight.sum() * per_row)
    if groups is None:
        return out
    group_weight = np.bincount(group, weights=weight, minlength=len(by_group))
    return out, by_group / (np.maximum(group_weight, 1e-300) * per_row)[:, None, None]


def task_part_losses(
    train: TaskStatistics,
    X,
    Y: np.ndarray,
    tasks,
    alpha_shared: float,
    alpha_task,
    multipliers,
    *,
    task_weight=None,
    sample_weight=None,
    output_scale=None,
    groups=None,
    fit_intercept: bool = True,
    shared=None,
    distance: bool = False,
):
    """Held-out error of every task with its own part refit, ``W_0`` held.

    ``W_0`` is solved once from the statistics of the training rows with
    the penalties ``(alpha_shared, alpha_task)``; every task's part is then
    refit given ``W_0`` with its penalty times each multiplier (as
    :class:`SharedLeastSquares`' ``alpha_task_refit`` refits it), and scored
    on that task's held-out rows. A multiplier of 1 is the joint model.
    Every multiplier costs one factorization per task, one task's at a time
    (and ``W_0`` one inverse per task, unless given as ``shared``).

    Parameters
    ----------
    train : TaskStatistics
        Statistics of the training rows; every task needs positive weight.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Held-out inputs.
    Y : ndarray of shape (n_samples, n_outputs)
        Held-out targets.
    tasks : array-like of shape (n_samples,)
        Task of every held-out row; each must be a task of ``train``.
    alpha_shared : float
        Penalty of the shared part.
    alpha_task : array-like of shape (n_tasks,)
        Penalty of every task's part, in the order of ``train.labels``.
    multipliers : array-like of shape (n_multipliers,)
        Factors of every task's penalty to score.
    task_weight : array-like of shape (n_tasks,), optional
        :class:`SharedLeastSquares`' ``task_weight`` of every task, in the
        order of ``train.labels``; default 1 for every task.
    sample_weight : array-like of shape (n_samples,), optional
        Weight of every held-out row; default 1.
    output_scale : array-like of shape (n_tasks, n_outputs), optional
        Factor of every task's residual in each output; default 1.
    groups : array-like of shape (n_samples,), optional
        Group of every held-out row: the error of every group is returned
        too.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept per task.
    shared : ndarray of shape (n_features, n_outputs), optional
        ``W_0`` at ``(alpha_shared, alpha_task)`` (from
        :func:`shared_solutions`); solved here when None.
    distance : bool, default=False
        Score every row by its distance, as :func:`holdout_losses` does.

    Returns
    -------
    losses : ndarray of shape (n_tasks, n_multipliers)
        Every task's weighted mean squared error over its held-out rows and
        outputs, or mean distance with ``distance`` (NaN for a task with
        none).
    group_losses : ndarray of shape (n_groups, n_tasks, n_multipliers)
        With ``groups``: the same within each group (0 where the group
        has no rows of the task), groups in sorted order.
    """
    G, B = train.gram(centered=fit_intercept)
    T, d, q = B.shape
    rows, weight, group = _held_out(train, tasks, sample_weight, groups)
    a_t = np.asarray(alpha_task, dtype=float)
    c = np.ones(T) if task_weight is None else np.asarray(task_weight, float)
    units = np.ones((T, q)) if output_scale is None else np.asarray(output_scale)
    multipliers = np.asarray(multipliers, dtype=float)
    n_groups = group.max(initial=0) + 1
    by_group = np.zeros((n_groups, T, len(multipliers)))
    mx = train.mean_x if fit_intercept else np.zeros((T, d))
    my = train.mean_y if fit_intercept else np.zeros((T, q))
    work = np.empty((d, d), order="F")
    bar = Progress(T * ((shared is None) + len(multipliers)), "scoring task parts")
    with blas_threads_for(d**3, limit=SMALL_SOLVE_FLOPS):
        W0 = (
            _shared_solutions(work, G, B, a_t, c, [alpha_shared], bar)[:, 0]
            if shared is None
            else np.asarray(shared, dtype=float)
        )
        for t in range(T):
            if not len(rows[t]):
                bar.update(len(multipliers))
                continue
            Wt = np.empty((d, len(multipliers), q))
            for k, m in enumerate(multipliers):  # W_t = (G_t + m a I)^-1 (B_t + m a W0)
                Wt[:, k] = _spd_solve_in(work, G[t], m * a_t[t], B[t] + m * a_t[t] * W0)
                bar.update()
            Wt = Wt.reshape(d, -1)
            offset = my[t] - (mx[t] @ Wt).reshape(-1, q)
            errors = (X, Y, rows[t], weight, group, units[t], distance)
            _add_group_errors(by_group[:, t], Wt, offset, *errors)
    per_row = 1 if distance else q
    task_rows = np.zeros((n_groups, T))
    for t in range(T):
        np.add.at(task_rows[:, t], group[rows[t]], weight[rows[t]])
    with np.errstate(invalid="ignore", divide="ignore"):
        losses = by_group.sum(axis=0) / (task_rows.sum(axis=0)[:, None] * per_row)
    if groups is None:
        return losses
    return losses, by_group / (np.maximum(task_rows, 1e-300) * per_row)[:, :, None]
