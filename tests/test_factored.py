import json

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone

from mtlsynth import SharedLeastSquares
from mtlsynth._factored import factored_system_width, level_model, solve_factored
from mtlsynth._shared import solve_shared
from mtlsynth.speech.voicefile import dump_estimator, load_estimator

DIALECTS = ("a", "b", "c")
SPEAKERS = ("f1", "f2", "m1", "m2")
LEFT_OUT = {("a", "f2"), ("c", "m1")}


def _augmented_ridge(Xs, Ys, cells, a0, alphas, alpha_cell=None, columns=None):
    """Ridge on inputs augmented with one copy of the rows per part, each
    scaled by the inverse square root of its penalty (a factor's copy
    zero outside its ``columns``); the parts back."""
    sizes = [len(a) for a in alphas]
    n_parts = 1 + sum(sizes) + (0 if alpha_cell is None else len(cells))
    d = Xs[0].shape[1]
    Z = np.zeros((sum(len(x) for x in Xs), n_parts * d))
    scale = np.concatenate(
        [[a0]] + list(alphas) + ([] if alpha_cell is None else [alpha_cell])
    )
    start = 0
    for c, x in enumerate(Xs):
        rows = slice(start, start + len(x))
        blocks = [0] + [1 + sum(sizes[:f]) + k for f, k in enumerate(cells[c])]
        if alpha_cell is not None:
            blocks.append(1 + sum(sizes) + c)
        for f, i in enumerate(blocks):
            kept = x.copy()
            if columns is not None and 0 < f <= len(sizes):
                kept[:, np.setdiff1d(np.arange(d), columns[f - 1])] = 0.0
            Z[rows, i * d : (i + 1) * d] = kept / np.sqrt(scale[i])
        start += len(x)
    Y = np.vstack(Ys)
    beta = np.linalg.solve(Z.T @ Z + np.eye(Z.shape[1]), Z.T @ Y)
    return beta.reshape(n_parts, d, -1) / np.sqrt(scale)[:, None, None]


@pytest.mark.parametrize("n_factors", [2, 3])
@pytest.mark.parametrize("interaction", [False, True])
def test_block_elimination_equals_ridge_on_augmented_inputs(n_factors, interaction):
    rng = np.random.default_rng(n_factors)
    d, q = 4, 2
    sizes = (3, 4, 2)[:n_factors]
    cells = np.array(np.meshgrid(*map(range, sizes), indexing="ij")).reshape(
        n_factors, -1
    )
    cells = cells.T[rng.permutation(cells.shape[1])[: int(0.7 * cells.shape[1])]]
    cells = cells[np.lexsort(cells.T[::-1])]
    for f, size in enumerate(sizes):  # every level keeps a cell
        assert set(cells[:, f]) == set(range(size))
    Xs = [rng.normal(size=(15, d)) for _ in cells]
    Ys = [rng.normal(size=(15, q)) for _ in cells]
    G = np.stack([x.T @ x for x in Xs])
    B = np.stack([x.T @ y for x, y in zip(Xs, Ys, strict=True)])
    alphas = [rng.uniform(0.5, 3.0, size) for size in sizes]
    alpha_cell = rng.uniform(0.5, 3.0, len(cells)) if interaction else None
    W0, parts, own = solve_factored(G, B, cells, 0.7, alphas, alpha_cell)
    ref = _augmented_ridge(Xs, Ys, cells, 0.7, alphas, alpha_cell)
    got = np.concatenate([W0[None], *parts] + ([own] if interaction else []))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("interaction", [False, True])
def test_parts_on_some_columns_equal_ridge_on_those_columns(interaction):
    rng = np.random.default_rng(3)
    d, q = 6, 2
    cells = np.array([(a, b) for a in range(4) for b in range(3) if (a + b) % 4])
    Xs = [rng.normal(size=(12, d)) for _ in cells]
    Ys = [rng.normal(size=(12, q)) for _ in cells]
    G = np.stack([x.T @ x for x in Xs])
    B = np.stack([x.T @ y for x, y in zip(Xs, Ys, strict=True)])
    alphas = [rng.uniform(0.5, 3.0, 4), rng.uniform(0.5, 3.0, 3)]
    alpha_cell = rng.uniform(0.5, 3.0, len(cells)) if interaction else None
    # the factor with most levels x columns is eliminated: either one here
    for columns in ([None, np.array([0, 2])], [np.array([1, 4, 5]), None]):
        W0, parts, own = solve_factored(
            G, B, cells, 0.7, alphas, alpha_cell, columns=columns
        )
        full = [np.arange(d) if c is None else c for c in columns]
        ref = _augmented_ridge(Xs, Ys, cells, 0.7, alphas, alpha_cell, full)
        got = np.concatenate([W0[None], *parts] + ([own] if interaction else []))
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-11)
        for part, kept in zip(parts, full, strict=True):
            assert not np.any(np.delete(part, kept, axis=1))


def test_one_factor_is_the_shared_model():
    rng = np.random.default_rng(0)
    G = np.stack([(x := rng.normal(size=(12, 5))).T @ x for _ in range(4)])
    B = rng.normal(size=(4, 5, 3))
    alphas = np.array([0.5, 1.0, 2.0, 4.0])
    W0, (V,), _ = solve_factored(G, B, np.arange(4)[:, None], 0.3, [alphas])
    W0_ref, V_ref = solve_shared(G, B, 0.3, alphas)
    np.testing.assert_allclose(W0, W0_ref, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(V, V_ref, rtol=1e-10, atol=1e-13)


def _speakers_in_dialects(cells, n, rng, truth):
    """Rows of the cells from a model with dialect and speaker parts and
    offsets (known truth), noise 0.1."""
    W0, V, U, offset = truth
    X, y, tasks = [], [], []
    for dialect, speaker in cells:
        x = rng.normal(size=(n, len(W0)))
        coef = W0 + V[dialect] + U[speaker]
        X.append(x)
        y.append(x @ coef + offset[dialect] + offset[speaker])
        tasks += [(dialect, speaker)] * n
    y = np.concatenate(y) + 0.1 * rng.normal(size=len(tasks))
    return np.vstack(X), y, np.array(tasks, dtype=object)


def _truth(rng, d=6):
    names = DIALECTS + SPEAKERS
    return (
        rng.normal(size=d),
        {k: rng.normal(size=d) for k in DIALECTS},
        {k: 0.5 * rng.normal(size=d) for k in SPEAKERS},
        {k: rng.normal() for k in names},
    )


def test_cells_never_recorded_are_predicted_from_their_parts():
    rng = np.random.default_rng(1)
    truth = _truth(rng)
    recorded = [(a, s) for a in DIALECTS for s in SPEAKERS if (a, s) not in LEFT_OUT]
    X, y, tasks = _speakers_in_dialects(recorded, 40, rng, truth)
    X_new, y_new, tasks_new = _speakers_in_dialects(sorted(LEFT_OUT), 200, rng, truth)
    model = SharedLeastSquares(alpha_shared=1e-3, alpha_task=1.0).fit(X, y, tasks)
    assert model.tasks_.tolist() == [list(c) for c in sorted(recorded)]
    assert [len(v) for v in model.levels_] == [3, 4]
    mse = np.mean((model.predict(X_new, tasks_new) - y_new) ** 2)
    # a one-factor model over the recorded cells cannot speak the new ones;
    # one over the dialects alone misses the speakers' parts
    by_dialect = SharedLeastSquares(alpha_shared=1e-3).fit(X, y, tasks[:, 0])
    mse_dialect = np.mean((by_dialect.predict(X_new, tasks_new[:, 0]) - y_new) ** 2)
    assert mse < 0.02 < 0.2 * mse_dialect
    # a recorded cell predicts with its own intercept
    rows = np.flatnonzero((tasks[:, 0] == "b") & (tasks[:, 1] == "m2"))[:5]
    cell = model.tasks_.tolist().index(["b", "m2"])
    np.testing.assert_allclose(
        model.predict(X[rows], tasks[rows]),
        X[rows] @ model.coef_[cell] + model.intercept_[cell],
    )


def test_factored_fit_equals_augmented_ridge_with_cell_intercepts():
    rng = np.random.default_rng(2)
    truth = _truth(rng, d=3)
    recorded = [(a, s) for a in DIALECTS for s in SPEAKERS if (a, s) not in LEFT_OUT]
    X, y, tasks = _speakers_in_dialects(recorded, 20, rng, truth)
    Y = np.column_stack([y, rng.normal(size=len(y))])
    alpha_task = {0: {"a": 1.0, "b": 2.0, "c": 0.5}, 1: 3.0}
    model = SharedLeastSquares(alpha_shared=0.2, alpha_task=alpha_task)
    model.set_params(alpha_interaction=5.0).fit(X, Y, tasks)
    cells = np.array([[DIALECTS.index(a), SPEAKERS.index(s)] for a, s in recorded])
    cells_of_rows = [(tasks[:, 0] == a) & (tasks[:, 1] == s) for a, s in recorded]
    Xs = [X[r] - X[r].mean(axis=0) for r in cells_of_rows]  # per-cell intercepts
    Ys = [Y[r] - Y[r].mean(axis=0) for r in cells_of_rows]
    alphas = [np.array([1.0, 2.0, 0.5]), np.full(4, 3.0)]
    ref = _augmented_ridge(Xs, Ys, cells, 0.2, alphas, np.full(len(cells), 5.0))
    got = [model.coef_shared_, *model.coef_factors_, model.coef_interaction_]
    got = np.concatenate([g.reshape(-1, 2, 3) for g in got])
    np.testing.assert_allclose(got, ref.transpose(0, 2, 1), rtol=1e-9, atol=1e-12)
    for c, rows in enumerate(cells_of_rows):
        b = Y[rows].mean(axis=0) - X[rows].mean(axis=0) @ model.coef_[c].T
        np.testing.assert_allclose(model.intercept_[c], b, rtol=1e-9, atol=1e-12)
    sparse_fit = SharedLeastSquares(**model.get_params())
    sparse_fit.fit(sparse.csr_matrix(X), Y, tasks)
    np.testing.assert_allclose(sparse_fit.coef_, model.coef_, rtol=1e-9, atol=1e-12)


def test_unseen_levels_raise_or_leave_their_part_out():
    rng = np.random.default_rng(3)
    X, y, tasks = _speakers_in_dialects(
        [(a, s) for a in DIALECTS for s in SPEAKERS], 10, rng, _truth(rng)
    )
    new = np.array([["b", "f9"], ["z", "m1"]], dtype=object)
    model = SharedLeastSquares().fit(X, y, tasks)
    message = (
        r"Unknown level\(s\) \['z'\] of the factor 0 \(it knows \['a', 'b', 'c'\]\); "
        r"\['f9'\] of the factor 1"
    )
    with pytest.raises(ValueError, match=message):
        model.predict(X[:2], new)
    with pytest.raises(ValueError, match="has 1 factors; the model was fitted with 2"):
        model.predict(X[:2], new[:, :1].reshape(2, 1))
    with pytest.raises(ValueError, match="pass tasks="):
        model.predict(X[:2])
    model.set_params(unseen_tasks="shared")
    b = model.levels_[0].tolist().index("b")
    m1 = model.levels_[1].tolist().index("m1")
    expected = [
        X[0] @ (model.coef_shared_ + model.coef_factors_[0][b])
        + model.intercept_shared_
        + model.intercept_factors_[0][b],
        X[1] @ (model.coef_shared_ + model.coef_factors_[1][m1])
        + model.intercept_shared_
        + model.intercept_factors_[1][m1],
    ]
    np.testing.assert_allclose(model.predict(X[:2], new), expected)


def test_factors_are_named_by_a_table_s_columns():
    class Table:  # what a DataFrame offers: column names and an array
        columns = ["dialect", "speaker"]

        def __init__(self, values):
            self.values = values

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.values, dtype=dtype)

    rng = np.random.default_rng(4)
    X, y, tasks = _speakers_in_dialects(
        [(a, s) for a in DIALECTS for s in SPEAKERS], 10, rng, _truth(rng)
    )
    alpha_task = {"dialect": 2.0, "speaker": {s: 1.0 for s in SPEAKERS}}
    model = SharedLeastSquares(alpha_task=alpha_task).fit(X, y, Table(tasks))
    assert model.factors_ == ["dialect", "speaker"]
    same = (
        SharedLeastSquares(alpha_task=2.0)
        .set_params(alpha_task={0: 2.0, 1: 1.0})
        .fit(X, y, tasks)
    )
    np.testing.assert_allclose(model.coef_, same.coef_)
    with pytest.raises(ValueError, match=r"no penalty for the factors \['speaker'\]"):
        SharedLeastSquares(alpha_task={"dialect": 1.0}).fit(X, y, Table(tasks))


def test_what_factors_do_not_take_is_refused_and_one_factor_fits_reset():
    rng = np.random.default_rng(5)
    X, y, tasks = _speakers_in_dialects(
        [(a, s) for a in DIALECTS for s in SPEAKERS], 10, rng, _truth(rng)
    )
    with pytest.raises(ValueError, match="take one-factor tasks"):
        SharedLeastSquares(task_weight={"a": 1.0}).fit(X, y, tasks)
    model = SharedLeastSquares().fit(X, y, tasks)
    with pytest.raises(ValueError, match="partial_fit takes one-factor tasks"):
        model.partial_fit(X, y, tasks[:, 0])
    with pytest.raises(ValueError, match="must be 2-D"):
        model.fit(X, y, np.empty((len(y), 0)))
    model.fit(X, y, tasks[:, 0])
    assert not hasattr(model, "factors_")
    assert model.tasks_.tolist() == list(DIALECTS)
    assert model.predict(X[:1], ["a"]).shape == (1,)


def test_folds_keep_every_cell_in_training_and_routing_slices_factors():
    from sklearn import config_context
    from sklearn.model_selection import GridSearchCV

    from mtlsynth import TaskKFold

    rng = np.random.default_rng(6)
    recorded = [(a, s) for a in DIALECTS for s in SPEAKERS if (a, s) not in LEFT_OUT]
    X, y, tasks = _speakers_in_dialects(recorded, 9, rng, _truth(rng))
    groups = np.arange(len(y)) // 3  # three rows an utterance
    cv = TaskKFold(n_splits=3)
    folds = list(cv.split(X, groups=groups, tasks=tasks))
    cells = {tuple(t) for t in tasks.tolist()}
    for train, test in folds:
        assert {tuple(t) for t in tasks[train].tolist()} == cells
        assert {tuple(t) for t in tasks[test].tolist()} == cells
        assert not set(groups[train]) & set(groups[test])
    grid = {"alpha_shared": [1e-3, 1e3]}
    with config_context(enable_metadata_routing=True):
        search = GridSearchCV(SharedLeastSquares(), grid, cv=cv)
        search.fit(X, y, tasks=tasks, groups=groups)
    for i, params in enumerate(search.cv_results_["params"]):
        scores = [
            SharedLeastSquares(**params)
            .fit(X[train], y[train], tasks[train])
            .score(X[test], y[test], tasks[test])
            for train, test in folds
        ]
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(
            np.mean(scores), rel=1e-12
        )


def test_a_cv_search_scores_every_candidate_as_refits_on_the_folds_would():
    from mtlsynth import SharedLeastSquaresCV, TaskKFold

    rng = np.random.default_rng(7)
    recorded = [(a, s) for a in DIALECTS for s in SPEAKERS if (a, s) not in LEFT_OUT]
    X, y, tasks = _speakers_in_dialects(recorded, 12, rng, _truth(rng))
    weight = rng.uniform(0.5, 2.0, len(y))
    cv = TaskKFold(n_splits=3)
    folds = list(cv.split(X, tasks=tasks))
    grid = np.array([0.1, 10.0])
    search = SharedLeastSquaresCV(grid, grid, cv=cv).fit(X, y, tasks, weight)

    def score(alpha_shared, alpha_task):
        out = []
        for train, test in folds:
            model = SharedLeastSquares(alpha_shared, alpha_task)
            model.fit(X[train], y[train], tasks[train], weight[train])
            error = (model.predict(X[test], tasks[test]) - y[test]) ** 2
            out.append(-np.average(error, weights=weight[test]))
        return np.mean(out)

    for params, mean in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
    ):
        assert mean == pytest.approx(score(**params), rel=1e-8)
    chosen = search.alpha_task_
    assert set(chosen) == {0, 1} and set(chosen.values()) <= set(grid)
    assert search.best_score_ == pytest.approx(score(search.alpha_shared_, chosen))
    assert search.best_score_ >= search.cv_results_["mean_test_score"].max()
    assert set(search.per_task_results_["task"].tolist()) <= {0, 1}
    refit = SharedLeastSquares(search.alpha_shared_, chosen).fit(X, y, tasks, weight)
    new = np.array([["a", "f2"]] * 3, dtype=object)  # never recorded
    np.testing.assert_allclose(search.predict(X[:3], new), refit.predict(X[:3], new))
    assert search.levels_[1].tolist() == sorted(SPEAKERS)


def test_statistics_of_cells_fit_as_rows_with_factors():
    from mtlsynth._stats import TaskStatistics

    rng = np.random.default_rng(5)
    truth = _truth(rng)
    cells = [(d, s) for d in DIALECTS for s in SPEAKERS if (d, s) not in LEFT_OUT]
    X, y, tasks = _speakers_in_dialects(cells, 30, rng, truth)
    kw = {"alpha_shared": 0.5, "alpha_task": {0: 2.0, 1: 3.0}}
    kw["factor_features"] = {1: [0, 2]}
    rows = SharedLeastSquares(**kw).fit(X, y, tasks)
    labels = np.array([f"{d}/{s}" for d, s in tasks])
    names, codes = np.unique(labels, return_inverse=True)
    stats = TaskStatistics.from_data(X, y[:, None], names, codes)
    cells = np.array([name.split("/") for name in names], dtype=object)
    stats = TaskStatistics(  # the cells in any order
        **{k: v[::-1] for k, v in {**vars(stats), "labels": cells}.items()}
    )
    summed = SharedLeastSquares(**kw).fit_statistics(stats)
    test = np.array([["a", "f2"], ["c", "m1"], ["b", "m2"]], dtype=object)
    Xt = rng.normal(size=(3, X.shape[1]))
    np.testing.assert_allclose(summed.predict(Xt, test), rows.predict(Xt, test))
    assert not np.any(np.delete(summed.coef_factors_[1], [0, 2], axis=-1))
    with pytest.raises(ValueError, match="not factors; the factors are"):
        SharedLeastSquares(factor_features={"speaker": [0]}).fit(X, y, tasks)
    with pytest.raises(ValueError, match="must name some of the"):
        SharedLeastSquares(factor_features={1: [0, 99]}).fit(X, y, tasks)
    twice = TaskStatistics(**{**vars(stats), "labels": cells[[0, 0, *range(2, 10)]]})
    assert len(cells) == 10
    with pytest.raises(ValueError, match="name a cell more than once"):
        SharedLeastSquares().fit_statistics(twice)


@pytest.mark.parametrize("name", ["ProximalRegressor", "TaskRelationRegressor"])
def test_models_of_one_factor_refuse_statistics_of_factors(name):
    import mtlsynth
    from mtlsynth._stats import TaskStatistics

    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    codes = np.arange(40) % 4
    cells = np.array([["a", "f"], ["a", "m"], ["b", "f"], ["b", "m"]], dtype=object)
    stats = TaskStatistics.from_data(X, y, cells, codes)
    message = rf"{name} fits tasks of one factor.*shape \(4, 2\)"
    with pytest.raises(ValueError, match=message):
        getattr(mtlsynth, name)().fit_statistics(stats)
    flat = TaskStatistics(
        **{**vars(stats), "labels": np.array(["a/f", "a/m", "b/f", "b/m"])}
    )
    assert getattr(mtlsynth, name)().fit_statistics(flat).tasks_.tolist() == [
        "a/f",
        "a/m",
        "b/f",
        "b/m",
    ]


def _transformed_cells(cells, n, rng, d=5, q=3):
    """Rows of cells whose speaker maps its dialect's outputs (known truth):
    ``y = (x (W_0 + V_a) + b_a) A_s + x U_s + e_s``, noise 0.05; and a
    function of the same truth for any list of cells."""
    W0, b0 = rng.normal(size=(d, q)), rng.normal(size=q)
    V = {a: 0.7 * rng.normal(size=(d, q)) for a in DIALECTS}
    A = {s: np.eye(q) + 0.4 * rng.normal(size=(q, q)) for s in SPEAKERS}
    U = {s: 0.3 * rng.normal(size=(d, q)) for s in SPEAKERS}
    e = {s: rng.normal(size=q) for s in SPEAKERS + DIALECTS}

    def rows(cells, n):
        X = rng.normal(size=(n * len(cells), d))
        y = np.vstack(
            [
                ((x @ (W0 + V[a]) + b0 + e[a]) @ A[s] + x @ U[s] + e[s])
                for x, (a, s) in zip(np.split(X, len(cells)), cells, strict=True)
            ]
        )
        tasks = np.array([c for c in cells for _ in range(n)], dtype=object)
        return X, y, tasks

    X, y, tasks = rows(cells, n)
    return X, y + 0.05 * rng.normal(size=y.shape), tasks, rows


def test_a_factor_s_transform_speaks_cells_never_recorded():
    rng = np.random.default_rng(7)
    recorded = [(a, s) for a in DIALECTS for s in SPEAKERS if (a, s) not in LEFT_OUT]
    X, y, tasks, rows = _transformed_cells(recorded, 150, rng)
    X_new, y_new, tasks_new = rows(sorted(LEFT_OUT), 300)
    additive = SharedLeastSquares(alpha_shared=1e-3, alpha_task=0.1).fit(X, y, tasks)
    model = clone(additive).set_params(factor_transform={1: 0.1}).fit(X, y, tasks)
    assert model.coef_transform_.shape == (len(SPEAKERS), 3, 3)
    mse = np.mean((model.predict(X_new, tasks_new) - y_new) ** 2)
    mse_additive = np.mean((additive.predict(X_new, tasks_new) - y_new) ** 2)
    assert mse < 0.5 * mse_additive
    # the recorded cells are fitted closer too
    fit = np.mean((model.predict(X, tasks) - y) ** 2)
    assert fit < np.mean((additive.predict(X, tasks) - y) ** 2)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_a_factor_s_transform_minimizes_its_objective_given_the_other_parts(
    fit_intercept,
):
    rng = np.random.default_rng(8)
    X, y, tasks, _ = _transformed_cells(
        [(a, s) for a in DIALECTS for s in SPEAKERS], 40, rng
    )
    beta, alpha, columns = 3.0, {"f1": 0.5, "f2": 1, "m1": 2, "m2": 4}, [0, 2, 3]
    model = SharedLeastSquares(
        alpha_shared=0.01,
        alpha_task={0: 0.2, 1: alpha},
        factor_features={1: columns},
        factor_transform={1: beta},
        fit_intercept=fit_intercept,
    ).fit(X, y, tasks)
    for k, speaker in enumerate(model.levels_[1]):
        mine = tasks[:, 1] == speaker
        dialect = np.searchsorted(model.levels_[0], tasks[mine, 0])
        Z = np.einsum("nd,nqd->nq", X[mine], model.coef_factors_[0][dialect])
        Z += X[mine] @ model.coef_shared_.T + model.intercept_shared_
        Z += model.intercept_factors_[0][dialect]
        A, P = model.coef_transform_[k], model.coef_factors_[1][k].T
        residual = y[mine] - Z @ A - X[mine] @ P - model.intercept_factors_[1][k]
        gradients = [
            Z.T @ residual - beta * (A - np.eye(3)),
            X[mine][:, columns].T @ residual - alpha[speaker] * P[columns],
        ] + ([residual.sum(0)] if fit_intercept else [])
        scale = np.abs(Z.T @ y[mine]).max()
        for gradient in gradients:
            assert np.abs(gradient).max() < 1e-9 * scale
        assert not np.any(np.delete(P, columns, axis=0))


def test_a_factor_s_transform_predicts_as_its_parts_say_and_is_saved():
    rng = np.random.default_rng(9)
    recorded = [(a, s) for a in DIALECTS for s in SPEAKERS if (a, s) not in LEFT_OUT]
    X, y, tasks, rows = _transformed_cells(recorded, 30, rng)
    for target in (y, y[:, 0]):  # several outputs and one
        model = SharedLeastSquares(
            alpha_task=0.5, factor_transform={1: 1.0}, unseen_tasks="shared"
        ).fit(X, target, tasks)
        for cell, codes in zip(model.coef_, model._cells, strict=True):
            np.testing.assert_allclose(level_model(model, codes)[0], cell)
        X_new, _, tasks_new = rows(sorted(LEFT_OUT), 4)
        X_new = np.vstack([X_new, rng.normal(size=(4, X.shape[1]))])
        tasks_new = np.vstack([tasks_new, [["a", "new"]] * 4])
        arrays = {}
        meta = json.loads(json.dumps(dump_estimator(model, "m/", arrays)))
        loaded = load_estimator(meta, arrays)
        np.testing.assert_allclose(
            loaded.predict(X_new, tasks_new), model.predict(X_new, tasks_new)
        )
        np.testing.assert_array_equal(loaded.coef_, model.coef_)
    # an unseen speaker has no transform: the dialect's parts alone
    plain = model.predict(X_new[-4:], tasks_new[-4:])
    W, b = level_model(model, [0, -1])
    np.testing.assert_allclose(plain, X_new[-4:] @ W + b)


def test_factor_transform_is_checked():
    rng = np.random.default_rng(10)
    X, y, tasks, _ = _transformed_cells(
        [(a, s) for a in DIALECTS for s in SPEAKERS], 10, rng
    )
    for bad, message in [
        ({"speaker": 1.0}, "must name one factor"),
        ({0: 1.0, 1: 1.0}, "must name one factor"),
        ({1: -1.0}, "must be a positive number"),
    ]:
        with pytest.raises(ValueError, match=message):
            SharedLeastSquares(factor_transform=bad).fit(X, y, tasks)
    with pytest.raises(ValueError, match="does not take alpha_interaction"):
        SharedLeastSquares(factor_transform={1: 1.0}, alpha_interaction=1.0).fit(
            X, y, tasks
        )


def test_the_system_kept_is_the_shared_part_and_the_smaller_factor():
    # 8 dialects by 4 speakers on every column: m = 5 blocks of d
    assert factored_system_width(10, [8, 4], [10, 10]) == 50
    # the speakers' parts on 3 columns: W_0 and 4 blocks of 3
    assert factored_system_width(10, [8, 4], [10, 3]) == 22
    # 109 speakers in 12 dialects: the speakers go, every dialect stays
    assert factored_system_width(10, [12, 109], [10, 3]) == 130
