"""Penalties of :class:`SharedLeastSquares` with factored tasks, chosen by
cross-validation: ``alpha_shared`` and one ``alpha_task`` per factor.

Every fold keeps the statistics of its training rows per cell (a
combination of levels) and of its held-out rows; a candidate is solved
exactly from the training statistics (:func:`~mtlsynth._factored.solve_factored`,
about ``(m d)^3 / 3`` flops, ``m = 1 +`` the levels of the factors other
than the largest) and scored from the held-out statistics as a quadratic
form in every cell's coefficients, without the rows.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import validate_data

from mtlsynth._factored import Factors, cell_coefficients, solve_factored
from mtlsynth._penalty_search import (
    best_pair,
    coordinate_search,
    fold_indices,
    grid_results,
    path_results,
    search_grids,
)
from mtlsynth._shared import SharedLeastSquares
from mtlsynth._stats import TaskStatistics
from mtlsynth.utils.validation import check_sample_weight

__all__ = ["search_factored"]


class _FactoredFold:
    """One fold: its training cells' normal equations and the terms of its
    held-out loss (weighted mean squared error, or the mean over cells of
    every cell's, as ``scoring`` says)."""

    def __init__(self, train, test, cells, fit_intercept, loss_factors):
        self.G, self.B = train.gram(centered=fit_intercept)
        self.cells, self.test = cells, test
        self.dmx, self.dmy = test.mean_x, test.mean_y
        if fit_intercept:  # the intercept's error: the test means' offset
            self.dmx, self.dmy = test.mean_x - train.mean_x, test.mean_y - train.mean_y
        self.factor = loss_factors(test.weight, self.B.shape[2])

    def loss(self, alpha_shared: float, alphas: list) -> float:
        """The held-out loss of the model solved at these penalties."""
        W0, parts, _ = solve_factored(self.G, self.B, self.cells, alpha_shared, alphas)
        W = cell_coefficients(W0, parts, self.cells)
        t = self.test
        sse = (
            np.einsum("cdq,cde,ceq->c", W, t.xx, W)
            - 2.0 * np.einsum("cdq,cdq->c", W, t.xy)
            + np.trace(t.yy, axis1=1, axis2=2)
            + t.weight
            * np.sum((self.dmy - np.einsum("cd,cdq->cq", self.dmx, W)) ** 2, 1)
        )
        return float(self.factor @ np.maximum(sse, 0.0))


class _FactorSearch:
    """The per-factor search's candidates (see
    :func:`~mtlsynth._penalty_search.coordinate_search`): a factor's
    ``alpha_task`` moves, the others' held."""

    def __init__(self, folds: list, alpha_shared: float, n_levels: list):
        self.folds, self.alpha_shared, self.n_levels = folds, alpha_shared, n_levels

    def score(self, per_factor) -> float:
        """Mean score over the folds (minus the loss) of one penalty per factor."""
        alphas = [np.full(n, a) for n, a in zip(self.n_levels, per_factor, strict=True)]
        return -float(np.mean([f.loss(self.alpha_shared, alphas) for f in self.folds]))

    def begin(self, alphas):
        """Nothing to build: every candidate is solved afresh."""

    def trials(self, f, values, alphas):
        """Score of every value of factor f's penalty."""
        return [
            self.score(np.where(np.arange(len(alphas)) == f, v, alphas)) for v in values
        ]

    def accept(self, f, old, new):
        """Nothing to move."""


def search_factored(estimator, X, y, tasks, sample_weight, groups, loss_factors, grid):
    """:meth:`SharedLeastSquaresCV.fit <mtlsynth.SharedLeastSquaresCV.fit>`
    with factored tasks: the common grid of ``alpha_shared`` x ``alpha_task``
    (one value for every factor), then with ``per_task`` a coordinate search
    of one ``alpha_task`` per factor; the model refitted on all rows.

    Parameters
    ----------
    estimator : SharedLeastSquaresCV
        The search; it receives the attributes of a fit.
    X, y, tasks, sample_weight, groups
        As :meth:`SharedLeastSquaresCV.fit` takes them, ``tasks`` 2-D.
    loss_factors : callable
        ``loss_factors(weight, n_outputs)``: every cell's factor in a fold's
        loss, from its held-out weight.
    grid : callable
        ``grid(statistics)``: the default grid of penalties.

    Returns
    -------
    SharedLeastSquaresCV
        ``estimator``, fitted.
    """
    X, y = validate_data(estimator, X, y, multi_output=True, y_numeric=True)
    n, Y = X.shape[0], y.reshape(len(y), -1)
    weight = check_sample_weight(sample_weight, n)
    factors, cells, cell_of = Factors.encode(tasks, n)
    labels = np.arange(len(cells))

    def stats_of(rows):
        return TaskStatistics.from_data(
            X[rows], Y[rows], labels, cell_of[rows], weight[rows]
        )

    folds = []
    for k, (train, test) in enumerate(fold_indices(estimator.cv, X, y, tasks, groups)):
        train = stats_of(train)
        missing = factors.labels(cells[train.weight <= 0])
        if len(missing):
            raise ValueError(
                "Every cell must be in every training fold: the training rows of "
                f"fold {k} have no weight of the cells {missing.tolist()}."
            )
        folds.append(
            _FactoredFold(
                train, stats_of(test), cells, estimator.fit_intercept, loss_factors
            )
        )
    alphas_shared, alphas_task = search_grids(
        estimator, lambda: grid(stats_of(np.arange(n)))
    )
    n_levels = [len(levels) for levels in factors.levels]
    scores = np.array(
        [
            [-f.loss(a0, [np.full(m, a1) for m in n_levels]) for f in folds]
            for a0 in alphas_shared
            for a1 in alphas_task
        ]
    ).T
    estimator.cv_results_ = grid_results(scores, alphas_shared, alphas_task)
    a0, a1, estimator.best_score_ = best_pair(estimator.cv_results_)
    per_factor = np.full(len(n_levels), a1)
    estimator.per_task_results_ = path_results([])
    if estimator.per_task:
        per_factor, estimator.best_score_, estimator.per_task_results_ = (
            coordinate_search(
                _FactorSearch(folds, a0, n_levels),
                per_factor,
                alphas_task,
                np.argsort(n_levels, kind="stable"),
                np.array(factors.names),
                estimator.best_score_,
                estimator.max_passes,
            )
        )
    estimator.alphas_shared_, estimator.alphas_task_ = alphas_shared, alphas_task
    estimator.alpha_shared_ = a0
    estimator.alpha_task_ = dict(zip(factors.names, per_factor.tolist(), strict=True))
    estimator.n_splits_ = len(folds)
    estimator.best_estimator_ = SharedLeastSquares(
        a0,
        estimator.alpha_task_,
        fit_intercept=estimator.fit_intercept,
        unseen_tasks=estimator.unseen_tasks,
    ).fit(X, y, tasks, weight)
    model = estimator.best_estimator_
    for name in (
        "coef_",
        "coef_shared_",
        "intercept_",
        "intercept_shared_",
        "tasks_",
        "statistics_",
        "factors_",
        "levels_",
        "coef_factors_",
        "coef_interaction_",
        "intercept_factors_",
    ):
        setattr(estimator, name, getattr(model, name))
    return estimator
