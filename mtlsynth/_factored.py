"""Least squares with factorized tasks: ``W_c = W_0 + sum_f P_{f, l_f(c)}``.

A cell ``c`` of the data (a dialect and a speaker, say) has one level
``l_f(c)`` of every factor ``f``; its coefficients add a shared part, one
part per factor level and, optionally, a part of the cell alone (the
interaction). A speaker recorded in one dialect then speaks another
through the parts the cell would have: the speaker's and the dialect's.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from mtlsynth._stats import task_groups
from mtlsynth.utils.blas import blas_threads_for
from mtlsynth.utils.linalg import ridge_solver, spd_solver
from mtlsynth.utils.progress import Progress
from mtlsynth.utils.validation import _as_task_array, lookup_tasks, task_penalties

__all__ = [
    "FACTOR_ATTRIBUTES",
    "Factors",
    "cell_coefficients",
    "factor_columns",
    "factored_system_width",
    "factor_models",
    "is_factored",
    "level_model",
    "restore_factors",
    "solve_factored",
    "solve_transforms",
    "transform_factor",
]


#: What a fit with factors sets beside the one-factor attributes.
FACTOR_ATTRIBUTES = (
    "_factors",
    "_cells",
    "factors_",
    "levels_",
    "coef_factors_",
    "coef_interaction_",
    "coef_transform_",
    "intercept_factors_",
)


def is_factored(tasks) -> bool:
    """Whether ``tasks`` has one column per factor (2-D, or a DataFrame)."""
    return tasks is not None and (
        hasattr(tasks, "columns") or getattr(tasks, "ndim", np.ndim(tasks)) == 2
    )


class Factors:
    """The factors of a task table: their names and every factor's levels.

    Parameters
    ----------
    names : list
        Factor names: a DataFrame's column names, else ``0 .. n_factors - 1``.
    levels : list of ndarray
        Sorted labels of every factor's levels.
    """

    def __init__(self, names: list, levels: list):
        self.names, self.levels = list(names), list(levels)

    @staticmethod
    def columns(tasks, n_samples: int) -> tuple[list, list]:
        """Factor names and one validated label array per factor."""
        names = list(getattr(tasks, "columns", []))
        table = np.asarray(tasks, dtype=object)
        if table.ndim != 2 or table.shape[1] == 0:
            raise ValueError(
                f"tasks with factors must be 2-D, one column per factor; got shape "
                f"{table.shape}."
            )
        if table.shape[0] != n_samples:
            raise ValueError(
                f"tasks has {table.shape[0]} rows but X has {n_samples} samples."
            )
        names = names or list(range(table.shape[1]))
        columns = [
            _as_task_array(table[:, f].tolist(), n_samples) for f in range(len(names))
        ]
        return names, columns

    @classmethod
    def encode(cls, tasks, n_samples: int) -> tuple[Factors, np.ndarray, np.ndarray]:
        """The factors of ``tasks``, its cells and every sample's cell.

        Returns
        -------
        factors : Factors
            Names and levels.
        cells : ndarray of shape (n_cells, n_factors)
            Level codes of every distinct cell, sorted.
        cell_of_sample : ndarray of shape (n_samples,)
            Index into ``cells`` of every sample.
        """
        names, columns = cls.columns(tasks, n_samples)
        levels, codes = zip(
            *(np.unique(column, return_inverse=True) for column in columns),
            strict=True,
        )
        cells, cell_of_sample = np.unique(
            np.column_stack(codes), axis=0, return_inverse=True
        )
        return cls(names, list(levels)), cells, cell_of_sample.reshape(-1)

    def lookup(self, tasks, n_samples: int) -> np.ndarray:
        """Level codes of every sample, ``(n_samples, n_factors)``; -1 where
        a level was not seen in training."""
        names, columns = self.columns(tasks, n_samples)
        if len(columns) != len(self.names):
            raise ValueError(
                f"tasks has {len(columns)} factors; the model was fitted with "
                f"{len(self.names)}: {self.names}."
            )
        return np.column_stack(
            [
                lookup_tasks(known, column, n_samples)
                for known, column in zip(self.levels, columns, strict=True)
            ]
        )

    def labels(self, codes: np.ndarray) -> np.ndarray:
        """The labels of level codes, ``(n, n_factors)`` of objects."""
        out = np.empty(codes.shape, dtype=object)
        for f, known in enumerate(self.levels):
            out[:, f] = known[codes[:, f]]
        return out


def solve_factored(
    G, B, levels, alpha_shared: float, alphas, alpha_interaction=None, columns=None
):
    """Minimize the factorized least squares objective from cell statistics.

    The objective, with ``W_c = W_0 + sum_f P_{f, l_f(c)} + I_c``::

        sum_c (tr(W_c' G_c W_c) - 2 tr(W_c' B_c)) + a_0 ||W_0||^2
            + sum_{f, k} a_{f, k} ||P_{f, k}||^2 + sum_c b_c ||I_c||^2

    is solved exactly by block elimination. The interaction parts ``I_c``
    (if any) go first, cell by cell, as the task parts of
    :func:`~mtlsynth._shared.solve_shared` do: each cell's statistics become
    ``b_c A_c^-1 G_c`` and ``b_c A_c^-1 B_c`` with ``A_c = G_c + b_c I``.
    Then the factor with the most levels, whose levels never share a cell,
    is eliminated level by level, and the ``m = 1 + sum`` (levels of the
    other factors) blocks left are solved together. For ``L`` levels of the
    eliminated factor and ``n`` cells the cost is about
    ``n d^3 / 3 + L (d^3 / 3 + 2 m d^2 (d + q) + m^2 d^3) + (m d)^3 / 3``
    flops and ``(m d)^2`` floats of memory beside the statistics: with two
    factors, the size of the smaller one drives it (8 dialects by 4
    speakers: ``m = 5``).

    Parameters
    ----------
    G : ndarray of shape (n_cells, d, d)
        Gram matrix ``X_c' S_c X_c`` of every cell.
    B : ndarray of shape (n_cells, d, q)
        Cross products ``X_c' S_c Y_c`` of every cell.
    levels : ndarray of shape (n_cells, n_factors)
        Level code of every cell in every factor, factor ``f``'s codes in
        ``range(len(alphas[f]))``.
    alpha_shared : float
        Penalty ``a_0`` on ``W_0``.
    alphas : sequence of ndarray
        ``alphas[f][k]``: the penalty ``a_{f, k}`` of level ``k`` of
        factor ``f``. Every level must have a cell.
    alpha_interaction : ndarray of shape (n_cells,), optional
        Penalty ``b_c`` of every cell's own part; None: no such part.
    columns : sequence of (ndarray or None), optional
        ``columns[f]``: the features (indices) factor ``f``'s parts act on,
        their other coefficients held at zero; None (the default, or for a
        factor) every feature. The factor eliminated is then the one with
        the most levels times columns, and the kept blocks are as wide as
        their columns: a factor of few columns costs little.

    Returns
    -------
    W0 : ndarray of shape (d, q)
        Shared part.
    parts : list of ndarray
        ``parts[f]`` of shape ``(n_levels_f, d, q)``: every level's part.
    interaction : ndarray of shape (n_cells, d, q) or None
        Every cell's own part, if it has one.
    """
    G, B = np.asarray(G, dtype=float), np.asarray(B, dtype=float)
    levels = np.asarray(levels, dtype=np.intp)
    alphas = [np.asarray(a, dtype=float) for a in alphas]
    d, q = B.shape[1:]
    columns = [None] * len(alphas) if columns is None else list(columns)
    with blas_threads_for(d**3 / 3 + 2 * d**2 * (d + q)):
        if alpha_interaction is None:
            W0, parts = _solve_parts(G, B, levels, alpha_shared, alphas, columns)
            return W0, parts, None
        solvers, G_cell, B_cell = _without_interaction(G, B, alpha_interaction)
        W0, parts = _solve_parts(G_cell, B_cell, levels, alpha_shared, alphas, columns)
        del G_cell, B_cell
        W = cell_coefficients(W0, parts, levels)
        interaction = np.stack(
            [solve(B[c] - G[c] @ W[c]) for c, solve in enumerate(solvers)]
        )
        return W0, parts, interaction


def cell_coefficients(W0, parts, levels, transform=None) -> np.ndarray:
    """``W_0 + sum_f P_{f, l_f(c)}`` of every cell; a negative level code
    (an unseen level) adds nothing.

    Parameters
    ----------
    W0 : ndarray of shape (d, q)
        Shared part.
    parts : list of ndarray
        ``parts[f]`` of shape ``(n_levels_f, d, q)``.
    levels : ndarray of shape (n_cells, n_factors)
        Level codes of every cell, -1 for a level without a part.
    transform : tuple, optional
        ``(f, A)``: factor ``f``'s levels map the sum of the other parts
        through ``A[k]`` of shape ``(q, q)`` before adding their own
        (:func:`solve_transforms`).

    Returns
    -------
    W : ndarray of shape (n_cells, d, q)
        Every cell's coefficients.
    """
    moved = None if transform is None else transform[0]
    W = np.repeat(W0[None], len(levels), axis=0)
    for f, part in enumerate(parts):
        seen = levels[:, f] >= 0
        if f != moved and np.any(seen):
            W[seen] += part[levels[seen, f]]
    if moved is not None:
        seen = levels[:, moved] >= 0
        codes = levels[seen, moved]
        W[seen] = W[seen] @ transform[1][codes] + parts[moved][codes]
    return W


def solve_transforms(
    stats, cells, shared, parts, factor, alpha_transform, alphas, columns, intercept
):
    """Refit one factor's parts with a transform of the other parts' outputs.

    Given the shared part and the other factors' parts (``M_c``, ``m_c``:
    every cell's coefficients and intercept without factor ``f``), every
    level ``k`` of factor ``f`` minimizes over its cells::

        sum_c ||Y_c - (X_c M_c + m_c) A_k - X_c P_k - e_k||^2
            + beta ||A_k - I||^2 + a_{f, k} ||P_k||^2

    a ``q x q`` map ``A_k`` of the outputs, as a speaker's transform of an
    average speaker's spectra (the mean transforms of speaker-adaptive
    training), beside its own part ``P_k`` and an unpenalized intercept
    ``e_k``. The fit is exact, from the cells' statistics: ``n d^2 q`` flops
    for ``n`` cells, and a system of ``q + width + 1`` unknowns per level.

    Parameters
    ----------
    stats : TaskStatistics
        Statistics of every cell (centred, with their means).
    cells : ndarray of shape (n_cells, n_factors)
        Level codes of every cell.
    shared : tuple of ndarray
        ``(W_0 of shape (d, q), b_0 of shape (q,))``.
    parts : list of tuple
        Every factor's ``(parts (n_levels, d, q), intercept terms (n_levels,
        q))``; factor ``f``'s are not read.
    factor : int
        The factor ``f`` whose levels transform.
    alpha_transform : float
        Penalty ``beta`` of ``A_k``'s distance from the identity.
    alphas : ndarray of shape (n_levels_f,)
        Penalty ``a_{f, k}`` of every level's own part.
    columns : ndarray or None
        The features the parts act on; None: every one.
    intercept : bool
        Fit ``e_k``; else it is zero.

    Returns
    -------
    A : ndarray of shape (n_levels_f, q, q)
        Every level's transform.
    P : ndarray of shape (n_levels_f, d, q)
        Every level's part.
    e : ndarray of shape (n_levels_f, q)
        Every level's intercept.
    """
    (W0, b0), q = shared, shared[0].shape[1]
    cols = np.arange(len(W0)) if columns is None else np.asarray(columns)
    size = q + len(cols) + 1
    scatter = np.zeros((len(alphas), size, size))
    cross = np.zeros((len(alphas), size, q))
    for c, levels in enumerate(cells):
        M, m = W0.copy(), b0.copy()
        for g, (P, e) in enumerate(parts):
            if g != factor:
                M, m = M + P[levels[g]], m + e[levels[g]]
        xxM = stats.xx[c] @ M
        k = levels[factor]
        mean = np.r_[stats.mean_x[c] @ M + m, stats.mean_x[c, cols], 1.0]
        scatter[k, :q, :q] += M.T @ xxM
        scatter[k, q:-1, :q] += xxM[cols]
        scatter[k, q:-1, q:-1] += stats.xx[c][np.ix_(cols, cols)]
        scatter[k] += stats.weight[c] * np.outer(mean, mean)
        cross[k, :q] += M.T @ stats.xy[c]
        cross[k, q:-1] += stats.xy[c][cols]
        cross[k] += stats.weight[c] * np.outer(mean, stats.mean_y[c])
    A = np.empty((len(alphas), q, q))
    P = np.zeros((len(alphas), len(W0), q))
    e = np.zeros((len(alphas), q))
    kept = size if intercept else size - 1
    for k, alpha in enumerate(alphas):
        H = np.tril(scatter[k]) + np.tril(scatter[k], -1).T  # the lower half summed
        H.flat[:: size + 1] += np.r_[
            np.full(q, alpha_transform), np.full(len(cols), alpha), 0.0
        ]
        cross[k, :q] += alpha_transform * np.eye(q)
        solution = spd_solver(H[:kept, :kept])(cross[k, :kept])
        A[k], P[k, cols] = solution[:q], solution[q : q + len(cols)]
        e[k] = solution[-1] if intercept else 0.0
    return A, P, e


def _without_interaction(G, B, alpha_interaction):
    """Every cell's solver of ``A_c = G_c + b_c I`` and its statistics with
    its own part eliminated: ``b_c A_c^-1 G_c`` and ``b_c A_c^-1 B_c``."""
    solvers, G_cell, B_cell = [], np.empty_like(G), np.empty_like(B)
    for c, b in enumerate(np.asarray(alpha_interaction, dtype=float)):
        solve = ridge_solver(G[c], b)
        G_cell[c] = solve(G[c])
        G_cell[c] *= b
        B_cell[c] = b * solve(B[c])
        solvers.append(solve)
    return solvers, G_cell, B_cell


def _block(M, rows, cols):
    """``M[rows][:, cols]``; None is every index, taken without a copy."""
    M = M if rows is None else M[rows]
    return M if cols is None else M[:, cols]


def _eliminated(sizes, widths) -> int:
    """The factor :func:`solve_factored` eliminates: the one with the most
    levels times columns."""
    return int(np.argmax(np.multiply(sizes, widths)))


def factored_system_width(n_features: int, sizes, widths) -> int:
    """Width of the system :func:`solve_factored` solves once the largest
    factor is eliminated: ``W_0`` and every level of the other factors.

    Parameters
    ----------
    n_features : int
        Columns ``d`` of the statistics.
    sizes : sequence of int
        Every factor's number of levels.
    widths : sequence of int
        The columns every factor's parts act on.

    Returns
    -------
    int
        ``m d`` of :func:`solve_factored` (its system holds its square in
        floats).
    """
    gone = _eliminated(sizes, widths)
    kept = [
        s * w for f, (s, w) in enumerate(zip(sizes, widths, strict=True)) if f != gone
    ]
    return int(n_features + sum(kept))


def _solve_parts(G, B, levels, alpha_shared, alphas, columns):
    """``W_0`` and the factors' parts, by elimination of the largest factor."""
    n_cells, d, q = B.shape
    sizes = [len(a) for a in alphas]
    widths = [d if c is None else len(c) for c in columns]
    gone = _eliminated(sizes, widths)
    kept = [f for f in range(len(sizes)) if f != gone]
    # the blocks kept: W_0, then every level of every other factor
    cols = [None] + [columns[f] for f in kept for _ in range(sizes[f])]
    penalty = [alpha_shared] + [a for f in kept for a in alphas[f]]
    starts = np.cumsum([0, d] + [widths[f] for f in kept for _ in range(sizes[f])])
    first = dict(zip(kept, 1 + np.cumsum([0] + [sizes[f] for f in kept]), strict=False))
    blocks = np.column_stack(
        [np.zeros(n_cells, np.intp)] + [first[f] + levels[:, f] for f in kept]
    )
    span = [slice(a, b) for a, b in zip(starts[:-1], starts[1:], strict=True)]
    H, r = np.zeros((starts[-1], starts[-1])), np.zeros((starts[-1], q))
    for c in range(n_cells):
        for i in blocks[c]:
            r[span[i]] += _block(B[c], cols[i], None)
            for j in blocks[c]:
                H[span[i], span[j]] += _block(G[c], cols[i], cols[j])
    H.flat[:: starts[-1] + 1] += np.repeat(penalty, np.diff(starts))
    factors, eliminated = [], columns[gone]
    bar = Progress(sizes[gone], "eliminating levels")
    for k, a in enumerate(alphas[gone]):
        cells = np.flatnonzero(levels[:, gone] == k)
        if cells.size == 0:
            raise ValueError(f"level {k} of factor {gone} has no cell")
        A = sum(_block(G[c], eliminated, eliminated) for c in cells)
        K = np.zeros((widths[gone], starts[-1]))
        for c in cells:
            for i in blocks[c]:
                K[:, span[i]] += _block(G[c], eliminated, cols[i])
        A.flat[:: len(A) + 1] += a  # a new array: the sum of the cells' blocks
        L = linalg.cholesky(A, lower=True, check_finite=False)
        LK = linalg.solve_triangular(L, K, lower=True, check_finite=False)
        rhs = sum(_block(B[c], eliminated, None) for c in cells)
        Lb = linalg.solve_triangular(L, rhs, lower=True, check_finite=False)
        H -= LK.T @ LK
        r -= LK.T @ Lb
        factors.append(L)
        del K, LK, Lb
        bar.update()
    H += H.T  # symmetric to rounding: made exactly so
    H *= 0.5
    theta = spd_solver(H)(r)
    del H, r
    parts = [None] * len(sizes)
    for f in kept:
        parts[f] = np.zeros((sizes[f], d, q))
        for k in range(sizes[f]):
            _embed(parts[f][k], columns[f], theta[span[first[f] + k]])
    W0 = theta[span[0]]
    # each eliminated level given the rest: A_k^-1 (sum_c B_c - G_c W_c)
    rest = levels.copy()
    rest[:, gone] = -1
    W = cell_coefficients(W0, parts, rest)
    parts[gone] = np.zeros((sizes[gone], d, q))
    for k, L in enumerate(factors):
        cells = np.flatnonzero(levels[:, gone] == k)
        rhs = sum(_block(B[c] - G[c] @ W[c], eliminated, None) for c in cells)
        solved = linalg.cho_solve((L, True), rhs, check_finite=False)
        _embed(parts[gone][k], eliminated, solved)
    return W0, parts


def _embed(out, columns, values) -> None:
    """Write a part's rows for ``columns`` (None: every row) into ``out``."""
    if columns is None:
        out[:] = values
    else:
        out[columns] = values


def factor_columns(factor_features, factors: Factors, n_features: int) -> list:
    """Every factor's columns, from ``factor_features``.

    Parameters
    ----------
    factor_features : dict or None
        Maps a factor's name to the indices, or a boolean mask, of the
        features its parts act on; None, or a factor not named: every one.
    factors : Factors
        The factors.
    n_features : int
        Number of features.

    Returns
    -------
    list of (ndarray or None)
        Sorted column indices of every factor, None for every column.
    """
    if factor_features is None:
        return [None] * len(factors.names)
    unknown = [key for key in factor_features if _factor_of(key, factors) is None]
    if unknown:
        raise ValueError(
            f"factor_features names {unknown}, which are not factors; the "
            f"factors are {factors.names}."
        )
    out = []
    for name in factors.names:
        columns = _keyed(factor_features, name)
        if columns is not None:
            columns = np.asarray(columns)
            if columns.dtype == bool and columns.shape == (n_features,):
                columns = np.flatnonzero(columns)
            if columns.dtype.kind not in "iu" or columns.ndim != 1:
                raise ValueError(
                    f"factor_features[{name!r}] must be column indices or a "
                    f"boolean mask of the {n_features} features."
                )
            columns = np.unique(columns)
            if columns.size == 0 or columns[0] < 0 or columns[-1] >= n_features:
                raise ValueError(
                    f"factor_features[{name!r}] must name some of the "
                    f"{n_features} features (0 to {n_features - 1})."
                )
        out.append(columns)
    return out


def _keyed(mapping: dict, name):
    """A factor's entry of ``mapping``: keyed by its name, or by the name's
    text (as JSON keeps a factor named by its position); None if neither."""
    return mapping.get(name, mapping.get(str(name)))


def _factor_of(key, factors: Factors):
    """The factor ``key`` names (its name or the name's text), or None."""
    return next((n for n in factors.names if key in (n, str(n))), None)


def factor_penalties(alpha_task, factors: Factors) -> list[np.ndarray]:
    """Every factor's penalty per level, from ``alpha_task``.

    Parameters
    ----------
    alpha_task : float or dict
        One penalty for every level of every factor, or a dict mapping
        every factor name (or its text, ``"0"`` for factor 0, as JSON keeps
        it) to its penalty: a float, or a dict mapping every level of the
        factor to its own.
    factors : Factors
        The factors and their levels.

    Returns
    -------
    alphas : list of ndarray
        ``alphas[f][k]``: the penalty of level ``k`` of factor ``f``.
    """
    if not isinstance(alpha_task, dict):
        return [np.full(len(levels), float(alpha_task)) for levels in factors.levels]
    missing = [name for name in factors.names if _keyed(alpha_task, name) is None]
    if missing:
        raise ValueError(
            f"alpha_task has no penalty for the factors {missing}; with factors it "
            "maps every factor name to a penalty (or to a dict of one per level)."
        )
    alphas = []
    for name, levels in zip(factors.names, factors.levels, strict=True):
        value = _keyed(alpha_task, name)
        if isinstance(value, dict):
            value = task_penalties(value, levels, f"alpha_task[{name!r}]")
        alphas.append(np.broadcast_to(np.asarray(value, dtype=float), len(levels)))
        if not np.all(np.isfinite(alphas[-1]) & (alphas[-1] > 0)):
            raise ValueError(f"alpha_task[{name!r}] must be positive: {value}")
    return alphas


def additive_intercepts(intercepts, weight, cells, n_levels) -> list[np.ndarray]:
    """The cells' intercepts as a sum over their levels, for unseen cells.

    Weighted least squares of every cell's intercept on its levels
    (``b_c ~ b_0 + sum_f beta_{f, l_f(c)}``), weights the cells' sample
    weights, the minimum-norm solution.

    Returns
    -------
    terms : list of ndarray
        ``[b_0 of shape (q,), beta_f of shape (n_levels_f, q) ...]``.
    """
    offsets = np.cumsum([1] + list(n_levels))
    design = np.zeros((len(cells), offsets[-1]))
    design[:, 0] = 1.0
    for f in range(len(n_levels)):
        design[np.arange(len(cells)), offsets[f] + cells[:, f]] = 1.0
    root = np.sqrt(weight)[:, None]
    beta = linalg.lstsq(root * design, root * intercepts, check_finite=False)[0]
    return [beta[0]] + [
        beta[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)
    ]


def restore_factors(model) -> None:
    """Rebuild what a model fitted with factors keeps beside what a voice
    file saves: the factors, every cell's level codes and ``coef_``.

    Parameters
    ----------
    model : estimator
        With ``factors_``, ``levels_``, ``tasks_`` (the levels of every
        cell), ``coef_shared_``, ``coef_factors_`` and ``coef_interaction_``.

    Raises
    ------
    ValueError
        If the cells' levels are not among the factors' levels.
    """
    levels = [np.asarray(known) for known in model.levels_]
    factors = Factors(model.factors_, levels)
    tasks = np.asarray(model.tasks_)
    if tasks.ndim != 2 or tasks.shape[1] != len(levels):
        raise ValueError(f"tasks_ must have one column per factor ({len(levels)})")
    cells = factors.lookup(tasks, len(tasks))
    if np.any(cells < 0):
        raise ValueError("tasks_ holds levels that levels_ lacks")
    model._factors = factors
    coef = np.stack([level_model(model, codes)[0] for codes in cells])
    if model.coef_interaction_ is not None:
        coef = coef + model.coef_interaction_
    model._factors, model._cells, model.coef_ = factors, cells, coef


def factor_models(model, tasks, n_samples: int) -> list[tuple]:
    """The model of every combination of levels in ``tasks``, for prediction.

    A combination seen in training (a cell) has its cell's coefficients; any
    other has the sum of its levels' parts and intercept terms, an unseen
    level adding none (``unseen_tasks="shared"``) or raising
    (``unseen_tasks="error"``), naming the factor and the levels it knows.

    Parameters
    ----------
    model : estimator
        Fitted with factored tasks: ``_factors``, ``_cells``, ``coef_``,
        ``intercept_``, ``coef_shared_``, ``intercept_shared_``,
        ``coef_factors_``, ``intercept_factors_`` and ``unseen_tasks``.
    tasks : array-like of shape (n_samples, n_factors)
        Levels of every sample.
    n_samples : int
        Number of samples.

    Returns
    -------
    list of tuple
        ``(rows, coef, intercept)`` of every combination: its samples, and
        its coefficients and intercept in the model's layout.
    """
    if tasks is None:
        raise ValueError(
            f"This model was fitted with the factors {model.factors_}: pass "
            "tasks=... (one row of levels per sample) to predict."
        )
    factors = model._factors
    codes = factors.lookup(tasks, n_samples)
    if np.any(codes < 0) and model.unseen_tasks == "error":
        columns = Factors.columns(tasks, n_samples)[1]
        unseen = "; ".join(
            f"{np.unique(column[codes[:, f] < 0])[:5].tolist()} of the factor "
            f"{factors.names[f]!r} (it knows {factors.levels[f][:10].tolist()})"
            for f, column in enumerate(columns)
            if np.any(codes[:, f] < 0)
        )
        raise ValueError(
            f"Unknown level(s) {unseen}. Set unseen_tasks='shared' to leave "
            "an unseen level's part out."
        )
    combos, inverse = np.unique(codes, axis=0, return_inverse=True)
    cell_of = {tuple(cell): c for c, cell in enumerate(model._cells.tolist())}
    out = []
    for combo, rows in zip(
        combos, task_groups(inverse.reshape(-1), len(combos)), strict=True
    ):
        cell = cell_of.get(tuple(combo.tolist()))
        if cell is not None:
            out.append((rows, model.coef_[cell], model.intercept_[cell]))
            continue
        out.append((rows, *level_model(model, combo)))
    return out


def transform_factor(model) -> int | None:
    """The factor whose levels transform the other parts' outputs (a model
    fitted with ``factor_transform``), or None."""
    if getattr(model, "coef_transform_", None) is None:
        return None
    (name,) = model.factor_transform
    return model._factors.names.index(_factor_of(name, model._factors))


def level_model(model, codes, scales=None) -> tuple:
    """The coefficients and intercept, in the model's layout, of one
    combination of levels from the model's parts.

    Parameters
    ----------
    model : estimator
        Fitted with factored tasks (see :func:`factor_models`).
    codes : sequence of int
        Level code of every factor; a negative one adds no part.
    scales : sequence of float, optional
        Multiplier of every factor's part and intercept term (an accent's
        strength, say); default 1.

    Returns
    -------
    coef : ndarray
        ``W_0 + sum_f s_f P_{f, k_f}``, the transformed factor's level
        (``coef_transform_``) mapping the rest before adding its part.
    intercept : float or ndarray
        The intercept terms alike.
    """
    moved = transform_factor(model)
    scales = np.ones(len(codes)) if scales is None else scales
    W, b = np.array(model.coef_shared_), np.array(model.intercept_shared_)
    parts = zip(
        codes, scales, model.coef_factors_, model.intercept_factors_, strict=True
    )
    for f, (k, scale, part, term) in enumerate(parts):
        if k >= 0 and f != moved:
            W, b = W + scale * part[k], b + scale * term[k]
    if moved is not None and codes[moved] >= 0:
        k, scale = codes[moved], scales[moved]
        A = model.coef_transform_[k]
        W = (A.T @ np.reshape(W, (len(A), -1))).reshape(W.shape)
        b = (np.reshape(b, -1) @ A).reshape(np.shape(b))
        W = W + scale * model.coef_factors_[moved][k]
        b = b + scale * model.intercept_factors_[moved][k]
    return W, b
