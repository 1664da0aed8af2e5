import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import GroupKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlsynth import SharedLeastSquares, SharedLeastSquaresCV, TaskKFold, TaskStatistics
from mtlsynth.datasets import make_related_tasks

A0 = [0.1, 1.0, 10.0, 100.0]
A1 = [0.3, 3.0, 30.0, 300.0]


def make_data(rng, n=210, d=5, q=2, n_tasks=3):
    """Tasks of different sizes, offsets and noise, with sample weights."""
    X = rng.normal(size=(n, d)) + 1.0
    tasks = rng.choice(
        n_tasks, n, p=np.arange(1, n_tasks + 1) / sum(range(n_tasks + 1))
    )
    W = rng.normal(size=(d, q)) + 0.5 * rng.normal(size=(n_tasks, d, q))
    Y = np.einsum("nd,ndq->nq", X, W[tasks]) + rng.normal(size=(n_tasks, q))[tasks]
    Y += (0.5 + tasks[:, None]) * rng.normal(size=(n, q))
    return X, Y, tasks, rng.uniform(0.2, 2.0, n)


def fold_mse(params, X, Y, tasks, w, splits, fit_intercept=True, per_task=False):
    """Brute force: fit on each fold's rows, predict its held-out rows."""
    errors = []
    for train, test in splits:
        model = SharedLeastSquares(*params, fit_intercept=fit_intercept)
        model.fit(X[train], Y[train], tasks=tasks[train], sample_weight=w[train])
        resid = (Y[test] - model.predict(X[test], tasks=tasks[test])).reshape(
            len(test), -1
        )
        sse = w[test][:, None] * resid**2
        if per_task:
            errors.append(
                np.mean(
                    [
                        sse[tasks[test] == t].sum()
                        / (w[test][tasks[test] == t].sum() * resid.shape[1])
                        for t in np.unique(tasks[test])
                    ]
                )
            )
        else:
            errors.append(sse.sum() / (w[test].sum() * resid.shape[1]))
    return float(np.mean(errors))


def brute_force_search(X, Y, tasks, w, splits, fit_intercept=True, max_passes=3):
    """The common grid, then the coordinate search, all by refitting on rows."""
    grid = [(a0, a1) for a0 in A0 for a1 in A1]
    errors = [fold_mse(p, X, Y, tasks, w, splits, fit_intercept) for p in grid]
    a0, a1 = grid[int(np.argmin(errors))]
    best = min(errors)
    labels = np.unique(tasks)
    current = dict.fromkeys(labels.tolist(), a1)
    weight = np.array([w[tasks == t].sum() for t in labels])
    for _ in range(max_passes):
        changed = False
        for t in labels[np.argsort(weight, kind="stable")].tolist():
            keep = None
            for value in A1:
                if value == current[t]:
                    continue
                trial = {**current, t: value}
                error = fold_mse((a0, trial), X, Y, tasks, w, splits, fit_intercept)
                if error < best:
                    best, keep = error, value
            if keep is not None:
                current[t], changed = keep, True
        if not changed:
            break
    return np.array(errors), a0, a1, current, best


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("q", [1, 2])
def test_equals_brute_force_search(fit_intercept, q):
    rng = np.random.default_rng(q)
    X, Y, tasks, w = make_data(rng, q=q)
    y = Y[:, 0] if q == 1 else Y
    splits = list(TaskKFold(3).split(X, tasks=tasks))
    errors, a0, a1, per_task, best = brute_force_search(
        X, y, tasks, w, splits, fit_intercept
    )
    model = SharedLeastSquaresCV(A0, A1, cv=3, fit_intercept=fit_intercept)
    model.fit(X, y, tasks=tasks, sample_weight=w)
    np.testing.assert_allclose(-model.cv_results_["mean_test_score"], errors, 1e-8)
    assert model.alpha_shared_ == a0
    assert model.alpha_task_ == per_task
    assert model.best_score_ == pytest.approx(-best, rel=1e-8)
    assert len(set(per_task.values())) > 1  # the search moved some task
    ref = SharedLeastSquares(a0, per_task, fit_intercept=fit_intercept)
    ref.fit(X, y, tasks=tasks, sample_weight=w)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-9)
    np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        model.predict(X, tasks=tasks), ref.predict(X, tasks=tasks), rtol=1e-9
    )

    common = SharedLeastSquaresCV(A0, A1, per_task=False, cv=splits)
    common.set_params(fit_intercept=fit_intercept).fit(
        X, y, tasks=tasks, sample_weight=w
    )
    assert (common.alpha_shared_, common.alpha_task_) == (a0, a1)
    assert common.per_task_results_["task"].size == 0


def test_results_record_the_search():
    rng = np.random.default_rng(3)
    X, Y, tasks, w = make_data(rng)
    model = SharedLeastSquaresCV(A0, A1, cv=4).fit(X, Y, tasks=tasks)
    res = model.cv_results_
    assert model.n_splits_ == 4
    assert len(res["params"]) == 16
    assert res["params"][1] == {"alpha_shared": 0.1, "alpha_task": 3.0}
    splits = np.stack([res[f"split{k}_test_score"] for k in range(4)])
    np.testing.assert_allclose(splits.mean(axis=0), res["mean_test_score"])
    assert res["rank_test_score"].min() == 1
    path = model.per_task_results_
    assert set(path) == {"pass", "task", "alpha_task", "mean_test_score", "accepted"}
    assert path["accepted"].sum() >= 1
    assert model.best_score_ == pytest.approx(path["mean_test_score"].max())
    assert model.best_score_ >= res["mean_test_score"].max()


def test_task_mean_scoring_equals_brute_force():
    rng = np.random.default_rng(4)
    X, Y, tasks, w = make_data(rng)
    splits = list(TaskKFold(3).split(X, tasks=tasks))
    model = SharedLeastSquaresCV(
        A0, A1, per_task=False, cv=splits, scoring="neg_task_mean_squared_error"
    ).fit(X, Y, tasks=tasks, sample_weight=w)
    expected = [
        fold_mse((a0, a1), X, Y, tasks, w, splits, per_task=True)
        for a0 in A0
        for a1 in A1
    ]
    np.testing.assert_allclose(-model.cv_results_["mean_test_score"], expected, 1e-8)


def test_fit_statistics_of_folds_equals_fit_on_rows():
    rng = np.random.default_rng(5)
    X, Y, tasks, w = make_data(rng)
    labels = np.array(["en", "en-GB", "en-US"])
    tasks = labels[tasks]
    splits = list(TaskKFold(3, shuffle=True, random_state=0).split(X, tasks=tasks))
    rows = SharedLeastSquaresCV(A0, A1, cv=splits).fit(
        X, Y, tasks=tasks, sample_weight=w
    )
    folds = []
    for _, test in splits:
        codes = np.searchsorted(labels, tasks[test])
        folds.append(TaskStatistics.from_data(X[test], Y[test], labels, codes, w[test]))
    stats = SharedLeastSquaresCV(A0, A1).fit_statistics(folds)
    np.testing.assert_allclose(
        stats.cv_results_["mean_test_score"],
        rows.cv_results_["mean_test_score"],
        rtol=1e-10,
    )
    assert stats.alpha_task_ == rows.alpha_task_
    np.testing.assert_allclose(stats.coef_, rows.coef_, rtol=1e-10)
    np.testing.assert_allclose(
        stats.predict(X, tasks=tasks), rows.predict(X, tasks=tasks), rtol=1e-10
    )
    with pytest.raises(ValueError, match="at least 2 folds"):
        SharedLeastSquaresCV().fit_statistics(folds[:1])


def test_overlapping_folds_are_summarized_one_by_one():
    rng = np.random.default_rng(6)
    X, Y, tasks, w = make_data(rng)
    n = len(X)
    splits = [(np.arange(n)[i::2], np.arange(n)[(i + 1) % 2 :: 3]) for i in range(2)]
    model = SharedLeastSquaresCV(A0, A1, per_task=False, cv=iter(splits))
    model.fit(X, Y, tasks=tasks, sample_weight=w)
    expected = [fold_mse((a0, a1), X, Y, tasks, w, splits) for a0 in A0 for a1 in A1]
    np.testing.assert_allclose(-model.cv_results_["mean_test_score"], expected, 1e-8)


def test_rows_never_tested_stay_in_every_training_fold():
    rng = np.random.default_rng(11)
    X, Y, tasks, w = make_data(rng)
    tasks[0] = 3  # a task of one sample: TaskKFold never tests it
    splits = list(TaskKFold(3).split(X, tasks=tasks))
    assert all(0 in train for train, _ in splits)
    model = SharedLeastSquaresCV(A0, A1, per_task=False, cv=3)
    model.fit(X, Y, tasks=tasks, sample_weight=w)
    expected = [fold_mse((a0, a1), X, Y, tasks, w, splits) for a0 in A0 for a1 in A1]
    np.testing.assert_allclose(-model.cv_results_["mean_test_score"], expected, 1e-8)


def test_groups_keep_an_utterance_in_one_fold():
    rng = np.random.default_rng(7)
    X, Y, tasks, w = make_data(rng, n=300)
    utterance = 1000 * tasks + np.arange(len(X)) // 10  # within a dialect
    seen = []

    class Recording(TaskKFold):
        def split(self, X, y=None, groups=None, tasks=None):
            for train, test in super().split(X, y, groups=groups, tasks=tasks):
                seen.append(test)
                yield train, test

    model = SharedLeastSquaresCV(A0, A1, cv=Recording(3)).fit(
        X, Y, tasks=tasks, groups=utterance
    )
    assert model.n_splits_ == 3
    fold = np.full(len(X), -1)
    for k, test in enumerate(seen):
        fold[test] = k
    for u in np.unique(utterance):
        assert len(np.unique(fold[utterance == u])) == 1
    # sklearn's group splitters take them too
    model = SharedLeastSquaresCV(A0, A1, per_task=False, cv=GroupKFold(3))
    model.fit(X, Y, tasks=tasks, groups=utterance)
    assert model.n_splits_ == 3


def _default_grid_fit(task_spread, seed=0):
    X, y, tasks, _ = make_related_tasks(
        60,
        n_tasks=4,
        n_features=8,
        task_spread=task_spread,
        noise=1.0,
        random_state=seed,
    )
    return X, y, tasks, SharedLeastSquaresCV(per_task=False).fit(X, y, tasks=tasks)


def test_default_grids_reach_pooled_and_independent_models():
    X, y, tasks, model = _default_grid_fit(0.3)
    a0, a1 = model.alphas_shared_, model.alphas_task_
    assert len(a0) == len(a1) == 10
    pooled = SharedLeastSquares(a0[0], a1[-1], fit_intercept=False).fit(
        X, y, tasks=tasks
    )
    ridge = Ridge(a0[0], fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(pooled.coef_, ridge.coef_[None].repeat(4, 0), rtol=1e-2)
    indep = SharedLeastSquares(a0[-1], a1[0]).fit(X, y, tasks=tasks)
    for t in range(4):
        rows = tasks == t
        ridge = Ridge(a1[0]).fit(X[rows], y[rows])
        np.testing.assert_allclose(indep.coef_[t], ridge.coef_, rtol=1e-2)


def test_identical_tasks_pool_and_unrelated_tasks_do_not():
    X, y, tasks, same = _default_grid_fit(0.0)
    assert same.alpha_task_ >= 10 * same.alpha_shared_
    assert same.alpha_task_ >= same.alphas_task_[-3]
    X, y, tasks, unrelated = _default_grid_fit(10.0)
    # both penalties small against the data: the models of independent fits
    independent = np.stack(
        [LinearRegression().fit(X[tasks == t], y[tasks == t]).coef_ for t in range(4)]
    )
    pooled = LinearRegression().fit(X, y).coef_

    def distance(coef):
        return np.linalg.norm(coef - independent) / np.linalg.norm(independent)

    assert distance(unrelated.coef_) < 0.01
    assert distance(pooled) > 0.5


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alphas_shared": []}, "non-empty"),
        ({"alphas_task": [1.0, 0.0]}, r"positive finite numbers; got \[0.0\]"),
        ({"alphas_shared": [-1.0, 2.0]}, "positive"),
        ({"alphas_task": [1.0, np.inf]}, "positive finite"),
        ({"alphas_task": [[1.0, 2.0]]}, "1-D"),
        ({"alphas_shared": ["a"]}, "must hold numbers"),
    ],
)
def test_bad_grids_are_named(params, message):
    rng = np.random.default_rng(8)
    X, Y, tasks, _ = make_data(rng)
    name = next(iter(params))
    with pytest.raises(ValueError, match=f"{name}.*{message}"):
        SharedLeastSquaresCV(**params).fit(X, Y, tasks=tasks)


def test_bad_folds_and_scoring_are_named():
    rng = np.random.default_rng(9)
    X, Y, tasks, _ = make_data(rng)
    without_2 = np.flatnonzero(tasks != 2)
    splits = [(without_2, np.flatnonzero(tasks == 2)), (np.arange(len(X)), without_2)]
    with pytest.raises(ValueError, match=r"fold 0 have no weight of tasks \[2\]"):
        SharedLeastSquaresCV(cv=splits).fit(X, Y, tasks=tasks)
    with pytest.raises(ValueError, match="scoring"):
        SharedLeastSquaresCV(scoring="r2").fit(X, Y, tasks=tasks)
    with pytest.raises(ValueError, match="does not take them"):
        SharedLeastSquaresCV(cv=_NoGroups()).fit(
            X, Y, tasks=tasks, groups=np.zeros(len(X))
        )


class _NoGroups:
    def get_n_splits(self, X=None, y=None):
        return 2

    def split(self, X, y=None):
        yield from TaskKFold(2).split(X, y, tasks=np.zeros(len(X)))


def test_unseen_tasks_use_the_shared_part():
    rng = np.random.default_rng(10)
    X, Y, tasks, _ = make_data(rng)
    model = SharedLeastSquaresCV(A0, A1, unseen_tasks="shared").fit(X, Y, tasks=tasks)
    pred = model.predict(X[:2], tasks=[0, 99])
    np.testing.assert_allclose(
        pred[1], X[1] @ model.coef_shared_.T + model.intercept_shared_
    )
    with pytest.raises(ValueError, match="Unknown task"):
        SharedLeastSquaresCV(A0, A1).fit(X, Y, tasks=tasks).predict(X[:1], tasks=[99])


@parametrize_with_checks(
    [
        SharedLeastSquaresCV([0.1, 10.0], [0.1, 10.0], cv=3),
        SharedLeastSquaresCV(per_task=False, cv=2),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_folds_prepared_in_parallel_give_the_same_search():
    rng = np.random.default_rng(12)
    X, Y, tasks, w = make_data(rng)
    one = SharedLeastSquaresCV(A0, A1, cv=3).fit(X, Y, tasks=tasks, sample_weight=w)
    two = SharedLeastSquaresCV(A0, A1, cv=3, n_jobs=2, scoring="neg_mean_squared_error")
    two.fit(X, Y, tasks=tasks, sample_weight=w)
    np.testing.assert_array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    assert one.alpha_task_ == two.alpha_task_
