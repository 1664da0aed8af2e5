"""Maximum entropy with factorized tasks: logits
``x (W_0 + sum_f P_{f, l_f(c)} + I_c) + b_c`` of every cell ``c``.

The classifier's counterpart of :mod:`mtlsynth._factored`. Every cell (a
combination of levels seen in training, a dialect and a speaker, say) is a
task of the one-factor objective
(:func:`~mtlsynth._maxent_objective.maxent_loss_grad`) whose own part is the
sum of its levels' parts (and of its interaction part, when it has one); the
gradient in a level's part is the sum of its cells' gradients. A combination
never seen predicts with the parts of its levels.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import validate_data

from mtlsynth._factored import Factors, additive_intercepts, factor_penalties
from mtlsynth._maxent_objective import _Rows
from mtlsynth.utils.validation import check_sample_weight

__all__ = ["factored_start", "fit_factored", "prepare_factored", "store_factored"]


class _FactoredRows:
    """The rows of a fit with factored tasks, as the solver uses them (see
    :class:`~mtlsynth._maxent_objective._Rows`): the parameters are ``W_0``,
    every factor's parts, every cell's interaction part (with
    ``alpha_interaction``) and every cell's intercept.

    Parameters
    ----------
    rows : _Rows
        The rows, with cells for tasks.
    cells : ndarray of shape (n_cells, n_factors)
        Level codes of every cell.
    alphas : list of ndarray
        Penalty of every level of every factor.
    alpha_interaction : float or None
        Penalty of the cells' own parts; None: no such parts.
    """

    def __init__(self, rows: _Rows, cells, alphas, alpha_interaction):
        self.rows, self.cells = rows, cells
        self.alphas = [np.asarray(a, dtype=np.float64) for a in alphas]
        self.alpha_interaction = alpha_interaction
        self.task_weight, self.total = rows.task_weight, rows.total
        self.sizes = [1] + [len(a) for a in self.alphas]
        if alpha_interaction is not None:
            self.sizes.append(len(cells))

    def unpack(self, theta, m: int, d: int, intercept: str) -> tuple:
        """``W_0`` (m, d), the factors' parts (n_levels_f, m, d), the cells'
        own parts (n_cells, m, d) or None, and the cells' intercepts."""
        n_coef = sum(self.sizes) * m * d
        blocks = np.split(theta[:n_coef], np.cumsum(self.sizes)[:-1] * m * d)
        W0 = blocks[0].reshape(m, d)
        parts = [
            block.reshape(len(a), m, d)
            for block, a in zip(blocks[1:], self.alphas, strict=False)
        ]
        own = None
        if self.alpha_interaction is not None:
            own = blocks[-1].reshape(len(self.cells), m, d)
        n_cells = len(self.cells)
        b = theta[n_coef:].reshape(n_cells, m) if intercept == "free" else None
        return W0, parts, own, np.zeros((n_cells, m)) if b is None else b

    def cell_parts(self, parts, own) -> np.ndarray:
        """Every cell's part beside ``W_0``: its levels' parts and its own."""
        V = sum(part[self.cells[:, f]] for f, part in enumerate(parts))
        return V if own is None else V + own

    def diagonal_scales(self, alpha_shared, alpha_task, m, kind) -> np.ndarray:
        """The preconditioner of :func:`~mtlsynth._maxent_objective._diagonal_scales`:
        a level's part sees the rows of its cells (``alpha_task`` unused:
        the penalties are the constructor's)."""
        squares, share, total = self.rows.task_squares, self.rows.task_share, self.total
        curvature = [np.tile(2 * alpha_shared / total + 0.25 * squares.sum(axis=0), m)]
        for f, alphas in enumerate(self.alphas):
            level_squares = np.zeros((len(alphas), squares.shape[1]))
            np.add.at(level_squares, self.cells[:, f], squares)
            curvature += [
                np.tile(2 * a / total + 0.25 * sq, m)
                for a, sq in zip(alphas, level_squares, strict=True)
            ]
        if self.alpha_interaction is not None:
            a = float(self.alpha_interaction)
            curvature += [np.tile(2 * a / total + 0.25 * sq, m) for sq in squares]
        if kind == "free":
            curvature.append(np.repeat(0.25 * share, m))
        h = np.concatenate(curvature)
        return 1.0 / np.sqrt(np.maximum(h, np.finfo(float).tiny))

    def loss_grad(self, theta, alpha_shared, alpha_task, *, m, intercept, n_threads):
        """The objective and its gradient (``alpha_task`` unused)."""
        d = self.rows.X.shape[1]
        W0, parts, own, b = self.unpack(theta, m, d, intercept)
        per_cell = [W0.ravel(), self.cell_parts(parts, own).ravel()]
        if intercept == "free":
            per_cell.append(b.ravel())
        value, grad = self.rows.loss_grad(
            np.concatenate(per_cell),
            0.0,
            0.0,
            m=m,
            intercept=intercept,
            n_threads=n_threads,
        )
        n_cells = len(self.cells)
        g_cell = grad[m * d : m * d * (1 + n_cells)].reshape(n_cells, m, d)
        value += alpha_shared * np.vdot(W0, W0)
        out = [grad[: m * d] + 2.0 * alpha_shared * W0.ravel()]
        for f, (part, alphas) in enumerate(zip(parts, self.alphas, strict=True)):
            g = 2.0 * alphas[:, None, None] * part
            for c, level in enumerate(self.cells[:, f]):
                g[level] += g_cell[c]
            value += alphas @ np.einsum("lkd,lkd->l", part, part)
            out.append(g.ravel())
        if own is not None:
            a = float(self.alpha_interaction)
            value += a * np.vdot(own, own)
            out.append((g_cell + 2.0 * a * own).ravel())
        out.append(grad[m * d * (1 + n_cells) :])  # the intercepts' (free)
        return value, np.concatenate(out)


def factored_start(model) -> tuple | None:
    """What a warm start of a factored fit starts from: the cells, classes
    and parameters of the model's earlier factored fit, or None."""
    if not hasattr(model, "_factors"):
        return None
    parts = (model.coef_shared_, *model.coef_factors_)
    if model.coef_interaction_ is not None:
        parts += (model.coef_interaction_,)
    levels = model._factors.levels
    return (model.classes_, levels, model._cells, parts, model.intercept_)


def _start_vector(start, model, factors, cells, kind) -> np.ndarray | None:
    """The parameter vector of ``start`` (see :func:`factored_start`) where
    its classes, levels, cells, features and parts are this fit's."""
    if start is None:
        return None
    classes, levels, known, parts, b = start
    same = (
        np.array_equal(classes, model.classes_)
        and len(levels) == len(factors.levels)
        and all(
            np.array_equal(a, c) for a, c in zip(levels, factors.levels, strict=True)
        )
        and np.array_equal(known, cells)
        and parts[0].shape[1] == model.n_features_in_
        and (len(parts) > 1 + len(levels)) == (model.alpha_interaction is not None)
    )
    if not same:
        return None
    return np.concatenate(
        [p.ravel() for p in parts] + ([b.ravel()] if kind == "free" else [])
    )


def fit_factored(model, X, y, tasks, sample_weight, start=None):
    """:meth:`MaxEntClassifier.fit <mtlsynth.MaxEntClassifier.fit>` with
    factored tasks (2-D, one column per factor).

    Parameters
    ----------
    model : MaxEntClassifier
        The classifier; its ``alpha_task`` is one penalty or one per factor
        (see :func:`~mtlsynth._factored.factor_penalties`).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Inputs.
    y : array-like of shape (n_samples,)
        Class labels.
    tasks : array-like of shape (n_samples, n_factors)
        Levels of every sample.
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative weights.
    start : tuple, optional
        An earlier fit to start from (:func:`factored_start`), used where it
        has this fit's cells, classes and features.

    Returns
    -------
    scipy.optimize.OptimizeResult
        The solver's result; ``model`` now holds ``factors_``, ``levels_``,
        ``coef_factors_``, ``coef_interaction_`` and ``intercept_factors_``
        beside the attributes of a one-factor fit, ``tasks_``, ``coef_`` and
        ``intercept_`` per cell, and ``n_iter_``.
    """
    factors, cells, factored = prepare_factored(model, X, y, tasks, sample_weight)
    theta0 = _start_vector(start, model, factors, cells, model._intercept_kind())
    result = model._solve(factored, model.alpha_shared, None, theta0)
    store_factored(model, factors, factored, result.x)
    model.n_iter_ = int(result.nit)
    return result


def prepare_factored(model, X, y, tasks, sample_weight) -> tuple:
    """Validate a factored fit's data and prepare its rows for the solver.

    Parameters
    ----------
    model : MaxEntClassifier
        The classifier (its ``classes_`` and ``n_features_in_`` are set).
    X, y, tasks, sample_weight
        As :func:`fit_factored` takes them.

    Returns
    -------
    factors : Factors
        The factors and their levels.
    cells : ndarray of shape (n_cells, n_factors)
        Level codes of every cell.
    rows : _FactoredRows
        The rows, penalized by the model's ``alpha_task`` (a fit at other
        penalties sets ``rows.alphas``).
    """
    if model.shrink_intercepts:
        raise ValueError(
            "shrink_intercepts takes one-factor tasks; with factors every cell "
            "has its own intercept"
        )
    X, y = validate_data(model, X, y, dtype=np.float64, accept_sparse="csr")
    weight = check_sample_weight(sample_weight, X.shape[0])
    factors, cells, cell_of_sample = Factors.encode(tasks, X.shape[0])
    rows = model._prepare(X, y, cell_of_sample, len(cells), weight)
    alphas = factor_penalties(model.alpha_task, factors)
    return factors, cells, _FactoredRows(rows, cells, alphas, model.alpha_interaction)


def store_factored(model, factors, rows: _FactoredRows, theta) -> None:
    """Set a model's fitted attributes from the solution ``theta`` on ``rows``."""
    m, kind = model._n_logits(), model._intercept_kind()
    cells = rows.cells
    W0, parts, own, b = rows.unpack(theta, m, rows.rows.X.shape[1], kind)
    model._factors, model._cells = factors, cells
    model.factors_, model.levels_ = factors.names, factors.levels
    model.tasks_ = factors.labels(cells)
    model.coef_shared_, model.coef_factors_, model.coef_interaction_ = W0, parts, own
    model.coef_ = W0 + rows.cell_parts(parts, own)
    model.intercept_ = b
    n_levels = [len(levels) for levels in factors.levels]
    terms = additive_intercepts(b, rows.task_weight, cells, n_levels)
    model.intercept_shared_, model.intercept_factors_ = terms[0], terms[1:]
