"""Tests of the multi-task maximum-entropy classifier."""

import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, special
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlsynth import MaxEntClassifier, TaskKFold
from mtlsynth._maxent import maxent_loss_grad
from mtlsynth._stats import task_groups
from mtlsynth.utils.validation import encode_tasks

TIGHT = {"tol": 1e-10, "max_iter": 5000}


def make_tasks(n=240, d=4, n_tasks=3, n_classes=3, seed=0, scale=1.0):
    """Tasks sharing most of a linear decision rule, labels drawn from a softmax."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    tasks = rng.integers(0, n_tasks, size=n)
    W0 = rng.normal(size=(d, n_classes))
    V = 0.4 * rng.normal(size=(n_tasks, d, n_classes))
    Z = scale * np.einsum("nd,ndk->nk", X, W0 + V[tasks])
    P = special.softmax(Z, axis=1)
    y = (P.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    return X, y, tasks


def augment(X, tasks, alpha_shared, alpha_task, *, constant=False):
    """Daume's augmented inputs ``[x / sqrt(2 a0), x / sqrt(2 a1) in slot t]``.

    scikit-learn's LogisticRegression(C=1) minimizes ``0.5 ||u||^2 + sum loss``
    on these inputs. Writing ``u = [sqrt(2 a0) W_0, sqrt(2 a1) V_1, ..]`` gives
    the logits ``x (W_0 + V_t)`` and the penalty ``0.5 * 2 a0 ||W_0||^2 + 0.5 *
    2 a1 sum_t ||V_t||^2``, which is MaxEntClassifier's objective. With
    ``constant=True`` each task slot also gets the input ``1 / sqrt(2 a1)``, the
    penalized task offset ``c_t`` of ``shrink_intercepts=True``.
    """
    labels, codes = encode_tasks(tasks, len(X))
    blocks = [X / np.sqrt(2 * alpha_shared)]
    for t in range(len(labels)):
        part = np.hstack([X, np.ones((len(X), 1))]) if constant else X
        blocks.append(part * (codes == t)[:, None] / np.sqrt(2 * alpha_task))
    return np.hstack(blocks)


@parametrize_with_checks([MaxEntClassifier()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("alphas", [(0.3, 2.0), (5.0, 0.1)])
def test_equals_logistic_regression_on_augmented_inputs(n_classes, alphas):
    a0, a1 = alphas
    X, y, tasks = make_tasks(n_classes=n_classes)
    model = MaxEntClassifier(a0, a1, fit_intercept=False, **TIGHT)
    model.fit(X, y, tasks=tasks)
    Z = augment(X, tasks, a0, a1)
    ref = LogisticRegression(C=1.0, fit_intercept=False, **TIGHT).fit(Z, y)
    assert_allclose(
        model.predict_proba(X, tasks=tasks), ref.predict_proba(Z), atol=1e-5
    )
    d = X.shape[1]
    assert_allclose(model.coef_shared_, ref.coef_[:, :d] / np.sqrt(2 * a0), atol=1e-5)
    task_part = ref.coef_[:, d:].reshape(-1, 3, d).transpose(1, 0, 2)
    assert_allclose(model.coef_task_, task_part / np.sqrt(2 * a1), atol=1e-5)
    assert model.coef_.shape == (3, 1 if n_classes == 2 else n_classes, d)
    if n_classes == 2:
        assert_allclose(
            model.decision_function(X, tasks=tasks), ref.decision_function(Z), atol=1e-5
        )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_shrunk_intercepts_equal_logistic_regression(n_classes):
    X, y, tasks = make_tasks(n_classes=n_classes, seed=1)
    X = X + 1.5
    model = MaxEntClassifier(0.5, 2.0, shrink_intercepts=True, **TIGHT)
    model.fit(X, y, tasks=tasks)
    Z = augment(X, tasks, 0.5, 2.0, constant=True)
    ref = LogisticRegression(C=1.0, **TIGHT).fit(Z, y)
    assert_allclose(
        model.predict_proba(X, tasks=tasks), ref.predict_proba(Z), atol=1e-5
    )
    assert_allclose(model.intercept_shared_, ref.intercept_, atol=1e-5)


def test_free_intercepts_calibrate_every_task():
    # The gradient in b_t vanishes at the optimum: within every task the
    # predicted probabilities add up to the observed class weights.
    X, y, tasks = make_tasks(seed=2)
    X = X - 2.0
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    model = MaxEntClassifier(**TIGHT).fit(X, y, tasks=tasks, sample_weight=w)
    P = model.predict_proba(X, tasks=tasks)
    for t in model.tasks_:
        rows = tasks == t
        observed = np.bincount(y[rows], weights=w[rows], minlength=3)
        assert_allclose(w[rows] @ P[rows], observed, atol=1e-6 * w.sum())
    assert_allclose(model.intercept_.sum(axis=1), 0.0, atol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("intercept", ["none", "free", "shrunk"])
def test_gradient_is_exact(n_classes, intercept):
    X, y, tasks = make_tasks(n=60, n_classes=n_classes, seed=3)
    _, codes = encode_tasks(tasks, len(X))
    order = np.argsort(codes, kind="stable")
    X, y, codes = X[order], y[order], codes[order]
    weight = np.random.default_rng(1).uniform(0.1, 3.0, size=len(y))
    C = np.zeros((n_classes, len(y)))
    C[y, np.arange(len(y))] = weight
    m = 1 if n_classes == 2 else n_classes
    extra = {"none": 0, "free": 3 * m, "shrunk": 4 * m}[intercept]
    theta = np.random.default_rng(2).normal(size=4 * X.shape[1] * m + extra)
    args = (X, C, task_groups(codes, 3), 0.7, 1.3)

    def value(th):
        return maxent_loss_grad(th, *args, m=m, intercept=intercept)[0]

    def grad(th):
        return maxent_loss_grad(th, *args, m=m, intercept=intercept)[1]

    scale = np.linalg.norm(grad(theta))
    assert optimize.check_grad(value, grad, theta) < 1e-5 * scale


@pytest.mark.parametrize("n_classes", [2, 3])
def test_merged_duplicates_equal_unmerged_fit(n_classes):
    rng = np.random.default_rng(4)
    X = rng.integers(0, 3, size=(400, 3)).astype(float)
    tasks = rng.choice(["a", "b"], size=400)
    y = (X @ [1.0, -1.0, 0.5] + rng.normal(size=400)).round().clip(0, n_classes - 1)
    w = rng.uniform(0.5, 1.5, size=400)
    fits = [
        MaxEntClassifier(0.2, 1.0, merge_duplicates=merge, **TIGHT).fit(
            X, y, tasks=tasks, sample_weight=w
        )
        for merge in (True, False, "auto")
    ]
    for other in fits[1:]:
        assert_allclose(other.coef_, fits[0].coef_, atol=1e-6)
        assert_allclose(other.intercept_, fits[0].intercept_, atol=1e-6)
        assert_allclose(
            other.predict_proba(X, tasks=tasks),
            fits[0].predict_proba(X, tasks=tasks),
            atol=1e-7,
        )


def test_grid_search_routes_tasks():
    X, y, tasks = make_tasks(n=300, seed=5)
    grid = {"alpha_shared": [0.1, 10.0], "alpha_task": [0.5, 5.0]}
    cv = TaskKFold(n_splits=3)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(MaxEntClassifier(), grid, cv=cv)
        search.fit(X, y, tasks=tasks)
    assert search.best_estimator_.tasks_.tolist() == [0, 1, 2]
    best = search.best_params_
    scores = [
        MaxEntClassifier(**best)
        .fit(X[train], y[train], tasks=tasks[train])
        .score(X[test], y[test], tasks=tasks[test])
        for train, test in cv.split(X, y, tasks=tasks)
    ]
    assert_allclose(search.best_score_, np.mean(scores))
    proba = search.best_estimator_.predict_proba(X, tasks=tasks)
    assert_allclose(proba.sum(axis=1), 1.0)


def test_predict_without_tasks_raises_for_several_tasks():
    X, y, tasks = make_tasks(n=90)
    model = MaxEntClassifier().fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="pass tasks"):
        model.predict(X)


@pytest.mark.parametrize("shrink", [False, True])
def test_unseen_task_uses_shared_part(shrink):
    X, y, tasks = make_tasks(n=300, n_classes=2, seed=6)
    X = X + 1.0
    strict = MaxEntClassifier(shrink_intercepts=shrink).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="unseen_tasks='shared'"):
        strict.predict_proba(X[:3], tasks=[7, 7, 0])
    model = MaxEntClassifier(shrink_intercepts=shrink, unseen_tasks="shared")
    model.fit(X, y, tasks=tasks)
    z = model.decision_function(X[:3], tasks=[7, 7, 0])
    shared = X[:2] @ model.coef_shared_[0] + model.intercept_shared_[0]
    assert_allclose(z[:2], shared)
    assert_allclose(z[2], X[2] @ model.coef_[0, 0] + model.intercept_[0, 0])
    if not shrink:
        weight = np.bincount(tasks)
        assert_allclose(
            model.intercept_shared_, weight @ model.intercept_ / weight.sum()
        )


@pytest.mark.parametrize("intercept", ["free", "shrunk", "none"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_warm_start_reaches_the_cold_optimum(intercept, n_classes):
    X, y, tasks = make_tasks(n=600, n_classes=n_classes, seed=8)
    kw = {
        "alpha_shared": 0.3,
        "alpha_task": 2.0,
        "fit_intercept": intercept != "none",
        "shrink_intercepts": intercept == "shrunk",
        **TIGHT,
    }
    cold = MaxEntClassifier(**kw).fit(X, y, tasks=tasks)
    # from a fit on a third of the rows, one task missing there
    part = (np.arange(len(y)) % 3 == 0) & (tasks != 2)
    warm = MaxEntClassifier(warm_start=True, **kw).fit(X[part], y[part], tasks[part])
    warm.fit(X, y, tasks=tasks)
    assert_allclose(warm.coef_, cold.coef_, atol=1e-6)
    assert_allclose(warm.intercept_, cold.intercept_, atol=1e-6)
    # from its own solution (converged to tol) it has nothing left to do
    own = MaxEntClassifier(warm_start=True, **{**kw, "tol": 1e-4}).fit(X, y, tasks)
    before = own.coef_.copy()
    assert own.fit(X, y, tasks=tasks).n_iter_ == 0
    assert_array_equal(own.coef_, before)


def test_warm_start_with_other_classes_or_features_starts_cold():
    X, y, tasks = make_tasks(n=300, n_classes=3, seed=9)
    cold = MaxEntClassifier().fit(X, y, tasks=tasks)
    model = MaxEntClassifier(warm_start=True).fit(X, y % 2, tasks=tasks)
    assert_array_equal(model.fit(X, y, tasks=tasks).coef_, cold.coef_)
    model.fit(np.hstack([X, X]), y, tasks=tasks)
    fresh = MaxEntClassifier().fit(np.hstack([X, X]), y, tasks=tasks)
    assert_array_equal(model.coef_, fresh.coef_)


def test_probabilities_finite_on_separable_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 2))
    tasks = np.repeat([0, 1], 60)
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MaxEntClassifier(1e-6, 1e-6, max_iter=300).fit(X, y, tasks=tasks)
    far = np.array([[-1e3, 0.0], [1e3, 0.0], [0.0, 0.0]])
    for t in (0, 1):
        P = model.predict_proba(far, tasks=[t] * 3)
        logP = model.predict_log_proba(far, tasks=[t] * 3)
        assert np.isfinite(P).all()
        assert np.all(logP <= 0) and not np.isnan(logP).any()
        assert_allclose(P.sum(axis=1), 1.0)
        assert_array_equal(model.predict(far, tasks=[t] * 3), [0, 2, 1])
    assert model.score(X, y, tasks=tasks) == 1.0


def test_class_absent_from_a_task_keeps_shared_probability():
    X, y, tasks = make_tasks(n=600, n_classes=3, seed=8, scale=2.0)
    keep = ~((tasks == 1) & (y == 2))
    X, y, tasks = X[keep], y[keep], tasks[keep]
    model = MaxEntClassifier(0.1, 5.0, shrink_intercepts=True, **TIGHT)
    model.fit(X, y, tasks=tasks)
    P = model.predict_proba(X, tasks=tasks)
    in_task = P[tasks == 1, 2]
    assert np.all(in_task > 0)
    # The shared part still assigns the class its mass where it predicts it.
    assert in_task.max() > 0.2
    free = MaxEntClassifier(0.1, 5.0).fit(X, y, tasks=tasks)
    assert np.all(free.predict_proba(X, tasks=tasks)[tasks == 1, 2] > 0)


def test_task_with_a_single_class_is_fine():
    X, y, tasks = make_tasks(n=200, n_classes=2, seed=9)
    y = np.where(tasks == 2, 1, y)
    model = MaxEntClassifier(shrink_intercepts=True).fit(X, y, tasks=tasks)
    assert_array_equal(model.classes_, [0, 1])
    assert model.predict_proba(X, tasks=tasks)[tasks == 2, 0].min() > 0


def test_single_class_raises():
    X = np.ones((5, 2))
    with pytest.raises(ValueError, match="at least 2 classes"):
        MaxEntClassifier().fit(X, [3] * 5, tasks=[0, 0, 1, 1, 1])


def test_two_dimensional_y_raises():
    X, y, tasks = make_tasks(n=30)
    with pytest.raises(ValueError, match="1d array"):
        MaxEntClassifier().fit(X, np.column_stack([y, y]), tasks=tasks)


def test_bad_tasks_raise():
    X, y, _ = make_tasks(n=30)
    with pytest.raises(ValueError, match="tasks has"):
        MaxEntClassifier().fit(X, y, tasks=[0, 1])


def test_max_iter_warns():
    X, y, tasks = make_tasks(n=200, seed=10)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = MaxEntClassifier(max_iter=2, tol=0.0).fit(X, y, tasks=tasks)
    assert model.n_iter_ == 2


def test_class_weight_balanced_matches_sample_weight():
    X, y, tasks = make_tasks(n=200, seed=11)
    balanced = MaxEntClassifier(class_weight="balanced", **TIGHT)
    balanced.fit(X, y, tasks=tasks)
    counts = np.bincount(y)
    w = len(y) / (len(counts) * counts[y])
    weighted = MaxEntClassifier(**TIGHT).fit(X, y, tasks=tasks, sample_weight=w)
    assert_allclose(balanced.coef_, weighted.coef_, atol=1e-6)


def test_string_labels_and_tasks():
    X, y, tasks = make_tasks(n=150, seed=12)
    names = np.array(["uv", "v", "x"])[y]
    dialects = np.array(["en-US", "en-GB", "en-029"])[tasks]
    model = MaxEntClassifier().fit(X, names, tasks=dialects)
    assert model.predict(X[:4], tasks=dialects[:4]).dtype.kind == "U"
    assert set(model.predict(X, tasks=dialects)) <= set(names)


def test_example_runs(capsys):
    path = Path(__file__).parents[1] / "examples" / "maxent_dialect_voicing.py"
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert "MaxEnt" in out and "pooled" in out and "independent" in out


@pytest.mark.parametrize(
    "params",
    [{}, {"class_weight": "balanced"}, {"shrink_intercepts": True}, {"n_classes": 2}],
)
def test_a_fit_in_batches_finds_the_fit_on_the_stacked_rows(params):
    from scipy import sparse

    params = dict(params)
    X, y, tasks = make_tasks(n=300, n_classes=params.pop("n_classes", 3), seed=4)
    weight = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    model = MaxEntClassifier(0.3, 2.0, **params, **TIGHT)
    whole = clone(model).fit(X, y, tasks, weight)
    parts = np.array_split(np.random.default_rng(6).permutation(len(y)), 4)
    batches = [(sparse.csr_matrix(X[p]), y[p], tasks[p], weight[p]) for p in parts]
    batches[1] = lambda p=parts[1]: (X[p], y[p], tasks[p], weight[p])  # read anew
    batched = clone(model).fit_batches(batches)
    assert_array_equal(batched.classes_, whole.classes_)
    assert_array_equal(batched.tasks_, whole.tasks_)
    assert_allclose(batched.coef_, whole.coef_, atol=1e-6)
    assert_allclose(batched.intercept_, whole.intercept_, atol=1e-6)
    start = clone(model).set_params(warm_start=True).fit(X[::4], y[::4], tasks[::4])
    assert_allclose(start.fit_batches(batches).coef_, whole.coef_, atol=1e-6)


def test_a_fit_in_batches_names_what_is_wrong():
    X, y, tasks = make_tasks(n=60)
    with pytest.raises(ValueError, match="at least one batch"):
        MaxEntClassifier().fit_batches([])
    with pytest.raises(ValueError, match="at least 2 classes"):
        MaxEntClassifier().fit_batches([(X, np.zeros(60), tasks, None)])
    with pytest.raises(ValueError, match="batch 1: X has 2 features"):
        MaxEntClassifier().fit_batches(
            [(X, y, tasks, None), (X[:, :2], y, tasks, None)]
        )
    with pytest.raises(ValueError, match="NaN"):
        MaxEntClassifier().fit_batches(
            [(X, y, tasks, None), (X * np.nan, y, tasks, None)]
        )
