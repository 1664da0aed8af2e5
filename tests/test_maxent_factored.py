"""The maximum-entropy classifier with factored tasks (dialect x speaker)."""

import numpy as np
import pytest
from scipy import special
from sklearn.linear_model import LogisticRegression

from mtlsynth import MaxEntClassifier

DIALECTS = ("a", "b", "c")
SPEAKERS = ("f1", "f2", "m1", "m2")
LEFT_OUT = {("a", "f2"), ("c", "m1")}
TIGHT = {"tol": 1e-10, "max_iter": 5000}


def _truth(rng, d=5):
    return (
        rng.normal(size=d),
        {k: rng.normal(size=d) for k in DIALECTS},
        {k: rng.normal(size=d) for k in SPEAKERS},
        {k: 0.5 * rng.normal() for k in DIALECTS + SPEAKERS},
    )


def _log_odds(X, cell, truth):
    W0, V, U, offset = truth
    dialect, speaker = cell
    return X @ (W0 + V[dialect] + U[speaker]) + offset[dialect] + offset[speaker]


def _voiced(cells, n, rng, truth):
    """Two-class rows of every cell, drawn from the true log-odds."""
    X, y, tasks = [], [], []
    for cell in cells:
        x = rng.normal(size=(n, len(truth[0])))
        X.append(x)
        y.append(rng.random(n) < special.expit(_log_odds(x, cell, truth)))
        tasks += [cell] * n
    return np.vstack(X), np.concatenate(y).astype(int), np.array(tasks, dtype=object)


RECORDED = [(a, s) for a in DIALECTS for s in SPEAKERS if (a, s) not in LEFT_OUT]


@pytest.mark.parametrize("interaction", [None, 4.0])
def test_the_fit_equals_logistic_regression_on_augmented_inputs(interaction):
    rng = np.random.default_rng(0)
    X, y, tasks = _voiced(RECORDED, 40, rng, _truth(rng))
    alphas = {0: 2.0, 1: {"f1": 1.0, "f2": 3.0, "m1": 0.5, "m2": 2.0}}
    model = MaxEntClassifier(0.5, alphas, alpha_interaction=interaction, **TIGHT)
    model.fit(X, y, tasks)
    # Daume's augmentation: a copy of x per part, scaled by 1 / sqrt(2 alpha);
    # each cell's intercept a one-hot column scaled so its penalty vanishes
    cells, cell_of = np.unique(tasks.astype(str), axis=0, return_inverse=True)
    cell_of = cell_of.ravel()
    blocks = [X / np.sqrt(2 * 0.5)]
    for f, levels in enumerate((DIALECTS, SPEAKERS)):
        for level in levels:
            alpha = alphas[f] if f == 0 else alphas[1][level]
            blocks.append(X * (tasks[:, f] == level)[:, None] / np.sqrt(2 * alpha))
    if interaction is not None:
        for c in range(len(cells)):
            blocks.append(X * (cell_of == c)[:, None] / np.sqrt(2 * interaction))
    scale = 1e4
    blocks.append(np.eye(len(cells))[cell_of] * scale)
    reference = LogisticRegression(
        C=1.0, fit_intercept=False, solver="newton-cholesky", tol=1e-12
    ).fit(np.hstack(blocks), y)
    w, d = reference.coef_[0], X.shape[1]
    parts = w[: -len(cells)].reshape(-1, d)
    np.testing.assert_allclose(
        model.coef_shared_[0], parts[0] / np.sqrt(1.0), atol=1e-5
    )
    dialect_parts = parts[1:4] / np.sqrt(2 * 2.0)
    np.testing.assert_allclose(model.coef_factors_[0][:, 0], dialect_parts, atol=1e-5)
    np.testing.assert_allclose(
        model.intercept_[:, 0], w[-len(cells) :] * scale, atol=1e-4
    )
    assert model.tasks_.tolist() == [list(c) for c in cells.tolist()]
    assert (model.coef_interaction_ is None) == (interaction is None)


def test_a_cell_never_recorded_speaks_with_its_levels_parts():
    rng = np.random.default_rng(1)
    truth = _truth(rng)
    X, y, tasks = _voiced(RECORDED, 300, rng, truth)
    model = MaxEntClassifier(0.1, 1.0).fit(X, y, tasks)
    pooled = MaxEntClassifier(0.1, 1.0).fit(X, y, tasks[:, 0])  # dialects only
    x = rng.normal(size=(2000, X.shape[1]))
    for cell in sorted(LEFT_OUT):
        levels = np.array([cell] * len(x), dtype=object)
        z = model.decision_function(x, levels)
        d, s = (model.levels_[f].tolist().index(cell[f]) for f in range(2))
        W = model.coef_shared_ + model.coef_factors_[0][d] + model.coef_factors_[1][s]
        b = (
            model.intercept_shared_
            + model.intercept_factors_[0][d]
            + model.intercept_factors_[1][s]
        )
        np.testing.assert_allclose(z, x @ W[0] + b[0], rtol=1e-12)
        true = special.expit(_log_odds(x, cell, truth))
        ours = np.abs(special.expit(z) - true).mean()
        theirs = np.abs(pooled.predict_proba(x, levels[:, 0])[:, 1] - true).mean()
        assert ours < 0.5 * theirs  # the speaker's part is learnt elsewhere


def test_unseen_levels_raise_or_leave_their_part_out():
    rng = np.random.default_rng(2)
    X, y, tasks = _voiced(RECORDED, 30, rng, _truth(rng))
    model = MaxEntClassifier(unseen_tasks="error").fit(X, y, tasks)
    new = np.array([["b", "x9"]] * 4, dtype=object)
    with pytest.raises(ValueError, match=r"\['x9'\] of the factor 1"):
        model.predict(X[:4], new)
    with pytest.raises(ValueError, match="pass tasks=..."):
        model.predict(X[:4])
    z = model.set_params(unseen_tasks="shared").decision_function(X[:4], new)
    d = model.levels_[0].tolist().index("b")
    W = model.coef_shared_ + model.coef_factors_[0][d]
    b = model.intercept_shared_ + model.intercept_factors_[0][d]
    np.testing.assert_allclose(z, X[:4] @ W[0] + b[0], rtol=1e-12)


def test_what_factors_do_not_take_is_refused_and_one_factor_fits_reset():
    rng = np.random.default_rng(3)
    X, y, tasks = _voiced(RECORDED, 20, rng, _truth(rng))
    with pytest.raises(ValueError, match="one-factor tasks"):
        MaxEntClassifier(shrink_intercepts=True).fit(X, y, tasks)
    model = MaxEntClassifier().fit(X, y, tasks)
    assert model.coef_.shape == (len(RECORDED), 1, X.shape[1])
    model.fit(X, y, tasks[:, 0])
    assert not hasattr(model, "factors_") and model.coef_.shape[0] == 3
    three = np.digitize(X[:, 0], [-0.5, 0.5])
    assert MaxEntClassifier().fit(X, three, tasks).coef_.shape[1] == 3


def test_a_grid_search_routes_factored_tasks_to_the_folds():
    from sklearn import config_context
    from sklearn.model_selection import GridSearchCV

    from mtlsynth import TaskKFold

    rng = np.random.default_rng(4)
    X, y, tasks = _voiced(RECORDED, 30, rng, _truth(rng))
    cv = TaskKFold(n_splits=3)
    folds = list(cv.split(X, tasks=tasks))
    grid = {"alpha_shared": [1e-2, 1e2]}
    with config_context(enable_metadata_routing=True):
        search = GridSearchCV(MaxEntClassifier(), grid, cv=cv).fit(X, y, tasks=tasks)
    for i, params in enumerate(search.cv_results_["params"]):
        scores = [
            MaxEntClassifier(**params)
            .fit(X[train], y[train], tasks[train])
            .score(X[test], y[test], tasks[test])
            for train, test in folds
        ]
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(
            np.mean(scores), rel=1e-12
        )


def test_a_warm_start_from_a_sample_reaches_the_same_factored_fit():
    rng = np.random.default_rng(5)
    X, y, tasks = _voiced(RECORDED, 60, rng, _truth(rng))
    cold = MaxEntClassifier(0.5, 2.0, alpha_interaction=3.0, **TIGHT).fit(X, y, tasks)
    warm = MaxEntClassifier(0.5, 2.0, alpha_interaction=3.0, warm_start=True, **TIGHT)
    warm.fit(X[::4], y[::4], tasks[::4], np.full(len(y[::4]), 4.0))
    first = warm.n_iter_
    warm.fit(X, y, tasks)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-6)
    np.testing.assert_allclose(warm.intercept_, cold.intercept_, atol=1e-6)
    assert warm.n_iter_ < cold.n_iter_ and first > 0


def test_a_cv_search_gives_every_factor_its_penalty_as_refits_would():
    from sklearn.metrics import log_loss

    from mtlsynth import MaxEntClassifierCV, TaskKFold

    rng = np.random.default_rng(6)
    X, y, tasks = _voiced(RECORDED, 30, rng, _truth(rng))
    cv = TaskKFold(n_splits=3)
    folds = list(cv.split(X, tasks=tasks))
    grid = np.array([0.3, 30.0])
    search = MaxEntClassifierCV(grid, grid, per_task=True, cv=cv, **TIGHT)
    search.fit(X, y, tasks)

    def score(alpha_shared, alpha_task):
        out = []
        for train, test in folds:
            model = MaxEntClassifier(alpha_shared, alpha_task, **TIGHT)
            model.fit(X[train], y[train], tasks[train])
            out.append(-log_loss(y[test], model.predict_proba(X[test], tasks[test])))
        return np.mean(out)

    for params, mean in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
    ):
        assert mean == pytest.approx(score(**params), rel=1e-6)
    chosen = search.alpha_task_
    assert set(chosen) == {0, 1} and set(chosen.values()) <= set(grid)
    assert search.best_score_ == pytest.approx(
        score(search.alpha_shared_, chosen), rel=1e-6
    )
    assert search.levels_[1].tolist() == sorted(SPEAKERS)
    new = np.array([["a", "f2"]] * 3, dtype=object)  # never recorded
    refit = MaxEntClassifier(search.alpha_shared_, chosen, **TIGHT).fit(X, y, tasks)
    np.testing.assert_allclose(
        search.predict_proba(X[:3], new), refit.predict_proba(X[:3], new), atol=1e-6
    )
