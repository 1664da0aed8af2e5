import numpy as np
import pytest
import sklearn
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlsynth import SharedLeastSquares, TaskKFold, _shared


def make_tasks(rng, n=240, d=6, q=3, n_tasks=4):
    """Related tasks: a shared weight matrix plus a small task part."""
    X = rng.normal(size=(n, d)) + 3.0
    tasks = rng.integers(0, n_tasks, n)
    W0 = rng.normal(size=(d, q))
    V = 0.3 * rng.normal(size=(n_tasks, d, q))
    b = rng.normal(size=(n_tasks, q))
    Y = np.einsum("nd,ndq->nq", X, W0 + V[tasks]) + b[tasks]
    Y += 0.1 * rng.normal(size=Y.shape)
    return X, Y, tasks


def augmented(X, tasks, n_tasks, alpha_shared, alpha_task):
    """Daume's feature augmentation scaled to match SharedLeastSquares."""
    n, d = X.shape
    Z = np.zeros((n, d * (n_tasks + 1)))
    Z[:, :d] = X / np.sqrt(alpha_shared)
    for t in range(n_tasks):
        rows = tasks == t
        a1 = alpha_task[t] if np.ndim(alpha_task) else alpha_task
        Z[rows, d * (t + 1) : d * (t + 2)] = X[rows] / np.sqrt(a1)
    return Z


@parametrize_with_checks([SharedLeastSquares(), SharedLeastSquares(0.1, 10.0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("q", [1, 3])
@pytest.mark.parametrize(("alpha_shared", "alpha_task"), [(1.0, 1.0), (0.05, 7.0)])
def test_equals_ridge_on_augmented_inputs(q, alpha_shared, alpha_task):
    rng = np.random.default_rng(0)
    X, Y, tasks = make_tasks(rng, q=q)
    y = Y[:, 0] if q == 1 else Y
    weights = rng.uniform(0.2, 2.0, len(X))
    model = SharedLeastSquares(alpha_shared, alpha_task, fit_intercept=False)
    model.fit(X, y, tasks=tasks, sample_weight=weights)
    Z = augmented(X, tasks, 4, alpha_shared, alpha_task)
    ridge = Ridge(alpha=1.0, fit_intercept=False, solver="cholesky", tol=1e-12)
    ridge.fit(Z, y, sample_weight=weights)
    np.testing.assert_allclose(model.predict(X, tasks=tasks), ridge.predict(Z), 1e-8)
    coef = ridge.coef_.reshape(q, 5, -1) if q > 1 else ridge.coef_.reshape(1, 5, -1)
    shared = coef[:, 0] / np.sqrt(alpha_shared)
    np.testing.assert_allclose(
        np.reshape(model.coef_shared_, shared.shape), shared, rtol=1e-8, atol=1e-10
    )


def test_per_task_intercepts_equal_centering_each_task():
    rng = np.random.default_rng(1)
    X, Y, tasks = make_tasks(rng)
    model = SharedLeastSquares(0.5, 2.0).fit(X, Y, tasks=tasks)
    Xc, Yc = X.copy(), Y.copy()
    for t in range(4):
        rows = tasks == t
        Xc[rows] -= X[rows].mean(axis=0)
        Yc[rows] -= Y[rows].mean(axis=0)
    ref = SharedLeastSquares(0.5, 2.0, fit_intercept=False).fit(Xc, Yc, tasks=tasks)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-9)
    for t in range(4):
        rows = tasks == t
        expected = Y[rows].mean(0) - X[rows].mean(0) @ model.coef_[t].T
        np.testing.assert_allclose(model.intercept_[t], expected, rtol=1e-9)


def test_minimizes_the_objective():
    """Perturbing the solution in any direction raises the stated objective."""
    rng = np.random.default_rng(2)
    X, Y, tasks = make_tasks(rng, q=2)
    weights = rng.uniform(0.5, 1.5, len(X))
    model = SharedLeastSquares(0.3, 1.7).fit(X, Y, tasks=tasks, sample_weight=weights)

    def objective(W0, V, b):
        resid = Y - np.einsum("nd,ndq->nq", X, W0 + V[tasks]) - b[tasks]
        return (
            np.sum(weights[:, None] * resid**2)
            + 0.3 * np.sum(W0**2)
            + 1.7 * np.sum(V**2)
        )

    W0 = model.coef_shared_.T
    V = model.coef_task_.transpose(0, 2, 1)
    b = model.intercept_
    best = objective(W0, V, b)
    for _ in range(5):
        assert objective(W0 + 1e-3 * rng.normal(size=W0.shape), V, b) > best
        assert objective(W0, V + 1e-3 * rng.normal(size=V.shape), b) > best
        assert objective(W0, V, b + 1e-3 * rng.normal(size=b.shape)) > best


def test_limits_are_pooled_and_independent_ridge():
    rng = np.random.default_rng(3)
    X, Y, tasks = make_tasks(rng, q=2)
    pooled = SharedLeastSquares(alpha_shared=2.0, alpha_task=1e12, fit_intercept=False)
    pooled.fit(X, Y, tasks=tasks)
    ridge = Ridge(alpha=2.0, fit_intercept=False).fit(X, Y)
    for t in range(4):
        np.testing.assert_allclose(pooled.coef_[t], ridge.coef_, rtol=1e-6)

    indep = SharedLeastSquares(alpha_shared=1e12, alpha_task=3.0).fit(X, Y, tasks=tasks)
    for t in range(4):
        rows = tasks == t
        ridge = Ridge(alpha=3.0).fit(X[rows], Y[rows])
        np.testing.assert_allclose(indep.coef_[t], ridge.coef_, rtol=1e-6)
        np.testing.assert_allclose(indep.intercept_[t], ridge.intercept_, rtol=1e-6)


def test_partial_fit_in_chunks_equals_fit():
    rng = np.random.default_rng(4)
    X, Y, tasks = make_tasks(rng, n=600)
    tasks = np.array(["en-US", "en-GB", "en-029", "en-GB-scotland"])[tasks]
    weights = rng.uniform(0.1, 3.0, len(X))
    full = SharedLeastSquares(0.2, 0.9).fit(X, Y, tasks=tasks, sample_weight=weights)
    chunked = SharedLeastSquares(0.2, 0.9)
    order = np.argsort(tasks, kind="stable")  # later chunks bring new tasks
    for part in np.array_split(order, 7):
        chunked.partial_fit(
            X[part], Y[part], tasks=tasks[part], sample_weight=weights[part]
        )
    np.testing.assert_array_equal(chunked.tasks_, full.tasks_)
    np.testing.assert_allclose(chunked.coef_, full.coef_, rtol=1e-10)
    np.testing.assert_allclose(chunked.intercept_, full.intercept_, rtol=1e-10)


def test_large_offsets_do_not_cancel():
    rng = np.random.default_rng(5)
    X, Y, tasks = make_tasks(rng)
    shifted = SharedLeastSquares(0.5, 2.0).fit(X + 1e6, Y, tasks=tasks)
    plain = SharedLeastSquares(0.5, 2.0).fit(X, Y, tasks=tasks)
    np.testing.assert_allclose(shifted.coef_, plain.coef_, rtol=1e-6)


def test_degenerate_tasks():
    """Fewer samples than features, a constant column and a single sample."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(40, 12))
    X[:, 3] = 5.0
    tasks = np.array([0] * 30 + [1] * 9 + [2])
    y = X @ rng.normal(size=12) + tasks
    model = SharedLeastSquares(0.5, 0.5).fit(X, y, tasks=tasks)
    assert np.all(np.isfinite(model.coef_))
    pred = model.predict(X, tasks=tasks)
    assert np.all(np.isfinite(pred))
    # A single-sample task is fitted exactly by its intercept.
    assert pred[-1] == pytest.approx(y[-1])
    # With a per-task intercept, a constant column has no effect.
    np.testing.assert_allclose(model.coef_[:, 3], 0.0, atol=1e-12)


def test_unseen_tasks():
    rng = np.random.default_rng(7)
    X, Y, tasks = make_tasks(rng)
    strict = SharedLeastSquares().fit(X, Y, tasks=tasks)
    with pytest.raises(
        ValueError, match="Unknown task label.*99.*unseen_tasks='shared'"
    ):
        strict.predict(X[:3], tasks=[0, 99, 1])
    lenient = SharedLeastSquares(unseen_tasks="shared").fit(X, Y, tasks=tasks)
    pred = lenient.predict(X[:3], tasks=[0, 99, 1])
    shared = X[1] @ lenient.coef_shared_.T + lenient.intercept_shared_
    np.testing.assert_allclose(pred[1], shared)
    np.testing.assert_allclose(pred[[0, 2]], strict.predict(X[[0, 2]], tasks=[0, 1]))


def test_predict_without_tasks_raises_for_several_tasks():
    rng = np.random.default_rng(8)
    X, Y, tasks = make_tasks(rng)
    model = SharedLeastSquares().fit(X, Y, tasks=tasks)
    with pytest.raises(ValueError, match="fitted on 4 tasks: pass tasks="):
        model.predict(X)
    with pytest.raises(ValueError, match="fitted on 4 tasks"):
        model.score(X, Y)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, y, t, w: (np.where(X > 4, np.nan, X), y, t, w), "NaN"),
        (lambda X, y, t, w: (X, np.where(y > 4, np.inf, y), t, w), "infinity"),
        (lambda X, y, t, w: (X, y[:-1], t, w), "inconsistent numbers of samples"),
        (lambda X, y, t, w: (X, y, t[:-1], w), "tasks has 239 labels but X has 240"),
        (lambda X, y, t, w: (X, y, t, w[:-1]), r"sample_weight must have shape"),
        (lambda X, y, t, w: (X, y, t, -w), "non-negative"),
        (lambda X, y, t, w: (X[:0], y[:0], t[:0], w[:0]), "0 sample"),
        (lambda X, y, t, w: (X, y, t.reshape(-1, 1, 1), w), "tasks must be 1-D"),
        (lambda X, y, t, w: (X, y, t + 0.5, w), "integer or string labels"),
        (lambda X, y, t, w: (X, y, t.astype(object) * 0 + 1.5, w), "integer or string"),
    ],
)
def test_bad_input_is_named(change, message):
    rng = np.random.default_rng(9)
    X, Y, tasks = make_tasks(rng)
    X, Y, tasks, weights = change(X, Y, tasks, np.ones(len(X)))
    with pytest.raises(ValueError, match=message):
        SharedLeastSquares().fit(X, Y, tasks=tasks, sample_weight=weights)


def test_zero_weight_task_is_named():
    rng = np.random.default_rng(10)
    X, Y, tasks = make_tasks(rng)
    weights = np.where(tasks == 2, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"positive total sample weight.*\[2\]"):
        SharedLeastSquares().fit(X, Y, tasks=tasks, sample_weight=weights)


def test_partial_fit_checks_consistency():
    rng = np.random.default_rng(11)
    X, Y, tasks = make_tasks(rng)
    model = SharedLeastSquares().partial_fit(X, Y, tasks=tasks)
    with pytest.raises(ValueError, match="same number of dimensions"):
        model.partial_fit(X, Y[:, 0], tasks=tasks)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :3], Y, tasks=tasks)
    with pytest.raises(ValueError, match="integers or all strings"):
        model.partial_fit(X, Y, tasks=np.array(["a"] * len(X)))


def test_metadata_routing_slices_tasks_per_fold():
    rng = np.random.default_rng(12)
    X, Y, tasks = make_tasks(rng, n=300)
    tasks = np.array(["us", "gb", "sc", "ca"])[tasks]
    seen = []

    class Recording(SharedLeastSquares):
        def fit(self, X, y, tasks=None, sample_weight=None):
            seen.append(len(tasks))
            assert len(tasks) == len(X)
            return super().fit(X, y, tasks=tasks, sample_weight=sample_weight)

    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler(), Recording())
        result = cross_validate(
            pipe, X, Y, cv=TaskKFold(3), params={"tasks": tasks}, scoring=None
        )
        assert np.all(result["test_score"] > 0.9)
        assert seen == [200, 200, 200]

        search = GridSearchCV(
            make_pipeline(StandardScaler(), SharedLeastSquares()),
            {"sharedleastsquares__alpha_task": [0.01, 1.0, 100.0]},
            cv=TaskKFold(3, shuffle=True, random_state=0),
        ).fit(X, Y, tasks=tasks)
        assert search.best_score_ > 0.9
        best = search.best_estimator_
        assert best.predict(X[:5], tasks=tasks[:5]).shape == (5, 3)


def test_string_scorer_without_tasks_raises():
    rng = np.random.default_rng(13)
    X, Y, tasks = make_tasks(rng, n=200)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            SharedLeastSquares(),
            {"alpha_task": [1.0]},
            cv=TaskKFold(2),
            scoring="r2",
            error_score="raise",
        )
        with pytest.raises(ValueError, match="pass tasks="):
            search.fit(X, Y, tasks=tasks)


def test_a_penalty_per_task_equals_ridge_on_inputs_scaled_per_task():
    rng = np.random.default_rng(5)
    X, Y, tasks = make_tasks(rng, q=2)
    alphas = [0.3, 3.0, 30.0, 300.0]
    model = SharedLeastSquares(0.5, dict(enumerate(alphas)), fit_intercept=False).fit(
        X, Y, tasks=tasks
    )
    Z = augmented(X, tasks, 4, 0.5, np.array(alphas))
    ridge = Ridge(alpha=1.0, fit_intercept=False, solver="cholesky").fit(Z, Y)
    np.testing.assert_allclose(model.predict(X, tasks=tasks), ridge.predict(Z), 1e-8)
    with pytest.raises(ValueError, match=r"alpha_task has no value for the tasks \[3"):
        SharedLeastSquares(alpha_task={0: 1.0, 1: 1.0, 2: 1.0}).fit(X, Y, tasks=tasks)


def test_task_weights_equal_ridge_with_the_tasks_rows_and_penalties_weighted():
    rng = np.random.default_rng(6)
    X, Y, tasks = make_tasks(rng, q=2)
    alphas, weights = np.array([0.3, 3.0, 30.0, 300.0]), np.array([1.0, 0.2, 5.0, 0.01])
    model = SharedLeastSquares(
        0.5,
        dict(enumerate(alphas)),
        task_weight=dict(enumerate(weights)),
        fit_intercept=False,
    ).fit(X, Y, tasks=tasks)
    Z = augmented(X, tasks, 4, 0.5, weights * alphas)
    ridge = Ridge(alpha=1.0, fit_intercept=False, solver="cholesky")
    ridge.fit(Z, Y, sample_weight=weights[tasks])
    np.testing.assert_allclose(model.predict(X, tasks=tasks), ridge.predict(Z), 1e-8)
    # a task's weight moves the shared part, not its fit given the shared part
    plain = SharedLeastSquares(0.5, dict(enumerate(alphas)), fit_intercept=False)
    assert not np.allclose(plain.fit(X, Y, tasks).coef_shared_, model.coef_shared_)
    with pytest.raises(ValueError, match=r"task_weight has no value for the tasks \[3"):
        SharedLeastSquares(task_weight={0: 1.0, 1: 1.0, 2: 1.0}).fit(X, Y, tasks=tasks)
    with pytest.raises(ValueError, match="task_weight values must be positive"):
        SharedLeastSquares(task_weight=dict.fromkeys(range(4), 0.0)).fit(X, Y, tasks)


def test_factoring_tasks_again_instead_of_keeping_them_changes_nothing(monkeypatch):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(90, 12))
    y = rng.normal(size=(90, 3))
    tasks = np.repeat(["a", "b", "c"], 30)
    kept = SharedLeastSquares(0.5, {"a": 1.0, "b": 3.0, "c": 9.0}).fit(
        X, y, tasks=tasks
    )
    monkeypatch.setattr(_shared, "KEPT_FACTORS_BYTES", 0)
    again = SharedLeastSquares(0.5, {"a": 1.0, "b": 3.0, "c": 9.0}).fit(
        X, y, tasks=tasks
    )
    np.testing.assert_array_equal(kept.coef_, again.coef_)
    np.testing.assert_array_equal(kept.intercept_, again.intercept_)


def test_refit_task_parts_are_ridge_on_what_the_shared_part_leaves():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(240, 6))
    tasks = np.repeat(["a", "b", "c"], 80)
    Y = X @ rng.normal(size=(6, 2)) + rng.normal(size=(240, 2))
    Y[tasks == "b"] += X[tasks == "b", :2] @ rng.normal(size=(2, 2))
    alpha_task = {"a": 1.0, "b": 3.0, "c": 0.5}
    weight = {"a": 1.0, "b": 0.5, "c": 1.0}
    refit = {"a": 10.0, "b": 0.01, "c": 2.0}
    joint = SharedLeastSquares(0.3, alpha_task, task_weight=weight).fit(X, Y, tasks)
    model = SharedLeastSquares(
        0.3, alpha_task, task_weight=weight, alpha_task_refit=refit
    ).fit(X, Y, tasks)
    np.testing.assert_allclose(model.coef_shared_, joint.coef_shared_, atol=1e-12)
    for t, label in enumerate(model.tasks_):
        rows = tasks == label
        ridge = Ridge(refit[label]).fit(
            X[rows], Y[rows] - X[rows] @ joint.coef_shared_.T
        )
        np.testing.assert_allclose(model.coef_task_[t], ridge.coef_, atol=1e-10)
        np.testing.assert_allclose(model.intercept_[t], ridge.intercept_, atol=1e-10)
    # the same penalties as the joint fit's give the joint model
    same = SharedLeastSquares(
        0.3, alpha_task, task_weight=weight, alpha_task_refit=alpha_task
    ).fit(X, Y, tasks)
    np.testing.assert_allclose(same.coef_, joint.coef_, atol=1e-12)
    with pytest.raises(ValueError, match="alpha_task_refit has no value"):
        SharedLeastSquares(alpha_task_refit={"a": 1.0}).fit(X, Y, tasks)
