"""Tests of the cross-validated penalties of the maximum-entropy classifier."""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from scipy import sparse, special
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.metadata_routing import MetadataRequest

from mtlsynth import MaxEntClassifier, MaxEntClassifierCV, TaskKFold
from mtlsynth._maxent_cv import _FoldPath

A0 = [0.1, 1.0, 10.0, 100.0]
A1 = [0.3, 3.0, 30.0, 300.0]
TIGHT = {"tol": 1e-9, "max_iter": 5000}


def make_tasks(sizes=(80, 80, 80), d=4, n_classes=3, spread=0.5, seed=0):
    """Tasks sharing a linear rule up to ``spread``; labels drawn from a softmax."""
    rng = np.random.default_rng(seed)
    tasks = np.repeat(np.arange(len(sizes)), sizes)
    X = rng.normal(size=(len(tasks), d))
    W0 = rng.normal(size=(d, n_classes))
    V = spread * rng.normal(size=(len(sizes), d, n_classes))
    P = special.softmax(np.einsum("nd,ndk->nk", X, W0 + V[tasks]), axis=1)
    y = (P.cumsum(axis=1) > rng.random(len(tasks))[:, None]).argmax(axis=1)
    return X, y, tasks


class TaskLogLoss:
    """Mean log-loss of the held-out rows with their tasks, negated.

    A scorer for GridSearchCV (string scorers call ``predict_proba(X)``
    without tasks); with metadata routing it receives the rows' tasks and
    sample weights.
    """

    def get_metadata_routing(self):
        request = MetadataRequest(owner="TaskLogLoss")
        request.score.add_request(param="tasks", alias=True)
        request.score.add_request(param="sample_weight", alias=True)
        return request

    def __call__(self, model, X, y, tasks=None, sample_weight=None):
        proba = model.predict_proba(X, tasks=tasks)
        return -log_loss(y, proba, labels=model.classes_, sample_weight=sample_weight)


def grid_search(X, y, tasks, splits, w=None, scoring=None, **params):
    """Brute force: GridSearchCV over MaxEntClassifier, every fit cold."""
    grid = {"alpha_shared": A0, "alpha_task": A1}
    with sklearn.config_context(enable_metadata_routing=True):
        model = MaxEntClassifier(**params).set_fit_request(sample_weight=True)
        search = GridSearchCV(model, grid, cv=splits, scoring=scoring)
        return search.fit(X, y, tasks=tasks, sample_weight=w)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_brute_force_grid_search(n_classes, weighted):
    X, y, tasks = make_tasks(n_classes=n_classes, seed=n_classes)
    w = np.random.default_rng(1).uniform(0.3, 2.0, len(y)) if weighted else None
    splits = list(TaskKFold(3).split(X, tasks=tasks))
    ref = grid_search(X, y, tasks, splits, w, TaskLogLoss(), **TIGHT)
    model = MaxEntClassifierCV(A0, A1, cv=splits, **TIGHT)
    model.fit(X, y, tasks=tasks, sample_weight=w)
    for key in ("mean_test_score", *(f"split{k}_test_score" for k in range(3))):
        assert_allclose(model.cv_results_[key], ref.cv_results_[key], rtol=1e-6)
    assert model.cv_results_["params"] == ref.cv_results_["params"]
    assert (model.alpha_shared_, model.alpha_task_) == tuple(
        ref.best_params_[k] for k in ("alpha_shared", "alpha_task")
    )
    assert model.best_score_ == pytest.approx(ref.best_score_, rel=1e-6)
    # the refit is MaxEntClassifier at the chosen penalties
    best = MaxEntClassifier(model.alpha_shared_, model.alpha_task_, **TIGHT)
    best.fit(X, y, tasks=tasks, sample_weight=w)
    assert_allclose(model.coef_, best.coef_, rtol=1e-12)
    assert_allclose(model.intercept_, best.intercept_, rtol=1e-12, atol=1e-14)
    assert_allclose(
        model.predict_proba(X, tasks=tasks), best.predict_proba(X, tasks=tasks)
    )
    assert model.score(X, y, tasks=tasks) == best.score(X, y, tasks=tasks)


def test_accuracy_equals_grid_search_with_the_model_score():
    X, y, tasks = make_tasks(seed=5)
    splits = list(TaskKFold(3).split(X, tasks=tasks))
    ref = grid_search(X, y, tasks, splits, **TIGHT)  # MaxEntClassifier.score
    model = MaxEntClassifierCV(A0, A1, cv=splits, scoring="accuracy", **TIGHT)
    model.fit(X, y, tasks=tasks)
    assert_allclose(
        model.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"]
    )

    def balanced(estimator, X_test, y_test):
        return accuracy_score(y_test, estimator.predict(X_test))

    called = MaxEntClassifierCV(A0, A1, cv=splits, scoring=balanced, **TIGHT)
    called.fit(X, y, tasks=tasks)
    assert_allclose(
        called.cv_results_["mean_test_score"], model.cv_results_["mean_test_score"]
    )


@pytest.mark.parametrize("shrink", [False, True])
def test_warm_started_path_equals_cold_fits(shrink):
    X, y, tasks = make_tasks(seed=6)
    train, test = next(TaskKFold(3).split(X, tasks=tasks))
    codes = tasks  # labels 0, 1, 2
    data = (X, y, codes, np.ones(len(y)), np.arange(3))
    params = {"shrink_intercepts": shrink, **TIGHT}
    fold = _FoldPath(MaxEntClassifier(**params), data, train, test, None, False)
    fold.grid(np.array(A0), np.array(A1), keep=True)
    warm_iterations = fold.n_iter
    cold_iterations = 0
    for (i, j), theta in fold.solutions.items():
        cold = MaxEntClassifier(A0[i], A1[j], **params)
        cold.fit(X[train], y[train], tasks=tasks[train])
        cold_iterations += cold.n_iter_
        fold.model._set_coefficients(theta, X.shape[1], 3, fold.rows.task_weight)
        # (to the solver's tolerance over the smallest curvature, ~alpha / n)
        assert_allclose(fold.model.coef_, cold.coef_, atol=1e-5)
        assert_allclose(fold.model.intercept_, cold.intercept_, atol=1e-5)
    assert len(fold.solutions) == 16
    assert warm_iterations < cold_iterations


def brute_force_per_task(X, y, tasks, splits):
    """The common grid, then the coordinate search, every fit cold."""

    def cv_score(a0, a1):
        scores = []
        for train, test in splits:
            model = MaxEntClassifier(a0, a1, **TIGHT)
            model.fit(X[train], y[train], tasks=tasks[train])
            proba = model.predict_proba(X[test], tasks=tasks[test])
            scores.append(-log_loss(y[test], proba, labels=model.classes_))
        return np.mean(scores)

    grid = [(a0, a1) for a0 in A0 for a1 in A1]
    scores = [cv_score(*p) for p in grid]
    (a0, a1), best = grid[int(np.argmax(scores))], max(scores)
    current = dict.fromkeys(range(3), a1)
    for _ in range(3):
        changed = False
        for t in np.argsort(np.bincount(tasks), kind="stable"):
            keep = None
            for value in A1:
                if value != current[t]:
                    score = cv_score(a0, {**current, int(t): value})
                    if score > best:
                        best, keep = score, value
            if keep is not None:
                current[int(t)], changed = keep, True
        if not changed:
            break
    return a0, current, best


def test_per_task_search_equals_brute_force():
    X, y, tasks = make_tasks(sizes=(150, 40, 100), spread=0.8, seed=7)
    splits = list(TaskKFold(3).split(X, tasks=tasks))
    a0, per_task, best = brute_force_per_task(X, y, tasks, splits)
    model = MaxEntClassifierCV(A0, A1, per_task=True, cv=splits, **TIGHT)
    model.fit(X, y, tasks=tasks)
    assert model.alpha_shared_ == a0
    assert model.alpha_task_ == per_task
    assert model.best_score_ == pytest.approx(best, rel=1e-6)
    path = model.per_task_results_
    assert set(path) == {"pass", "task", "alpha_task", "mean_test_score", "accepted"}
    assert model.best_score_ >= model.cv_results_["mean_test_score"].max()
    ref = MaxEntClassifier(a0, per_task, **TIGHT).fit(X, y, tasks=tasks)
    assert_allclose(model.coef_, ref.coef_, rtol=1e-12)


def test_per_task_alphas_differ_when_one_task_has_few_samples():
    # Two large tasks with their own rules, a small one that follows the
    # shared rule: the small task is pulled to W_0, the large ones are not.
    rng = np.random.default_rng(8)
    d, sizes = 5, (600, 600, 30)
    tasks = np.repeat([0, 1, 2], sizes)
    X = rng.normal(size=(len(tasks), d))
    w0 = rng.normal(size=d)
    V = 1.5 * rng.normal(size=(3, d))
    V[1], V[2] = -V[0], 0.0  # W_0 is the mean rule
    z = np.einsum("nd,nd->n", X, w0 + V[tasks])
    y = (rng.random(len(z)) < special.expit(2.0 * z)).astype(int)
    model = MaxEntClassifierCV(per_task=True, cv=3).fit(X, y, tasks=tasks)
    alphas = model.alpha_task_
    assert len(set(alphas.values())) > 1
    assert alphas[2] > max(alphas[0], alphas[1])


def _default_fit(spread, seed=9):
    X, y, tasks = make_tasks(sizes=(150, 150, 150, 150), spread=spread, seed=seed)
    return X, y, tasks, MaxEntClassifierCV(cv=3).fit(X, y, tasks=tasks)


def test_identical_tasks_pool_and_unrelated_tasks_do_not():
    _, _, _, same = _default_fit(0.0)
    assert same.alpha_task_ >= 100 * same.alpha_shared_
    assert same.alpha_task_ >= same.alphas_task_[-3]
    X, y, tasks, unrelated = _default_fit(3.0)
    assert unrelated.alpha_shared_ >= 50 * unrelated.alpha_task_
    # the chosen model is the independent one at its alpha_task, not pooled
    a0, a1 = unrelated.alphas_shared_[-1], unrelated.alpha_task_
    independent = MaxEntClassifier(a0, a1).fit(X, y, tasks=tasks).coef_
    a0, a1 = unrelated.alpha_shared_, unrelated.alphas_task_[-1]
    pooled = MaxEntClassifier(a0, a1).fit(X, y, tasks=tasks).coef_

    def distance(coef):
        return np.linalg.norm(coef - independent) / np.linalg.norm(independent)

    assert distance(unrelated.coef_) < 0.05
    assert distance(pooled) > 0.5


def test_default_grids_reach_pooled_and_independent_models():
    X, y, tasks = make_tasks(sizes=(100, 100, 100), spread=0.5, seed=10)
    model = MaxEntClassifierCV(per_task=False, cv=2, fit_intercept=False)
    model.fit(X, y, tasks=tasks)
    a0, a1 = model.alphas_shared_, model.alphas_task_
    assert len(a0) == len(a1) == 8
    assert a0[-1] / a0[0] == pytest.approx(1e7)
    pooled = MaxEntClassifier(a0[2], a1[-1], fit_intercept=False, **TIGHT)
    pooled.fit(X, y, tasks=tasks)
    ref = LogisticRegression(C=1 / (2 * a0[2]), fit_intercept=False, **TIGHT)
    ref.fit(X, y)
    assert_allclose(pooled.coef_, ref.coef_[None].repeat(3, 0), rtol=2e-2)
    indep = MaxEntClassifier(a0[-1], a1[2], fit_intercept=False, **TIGHT)
    indep.fit(X, y, tasks=tasks)
    for t in range(3):
        rows = tasks == t
        ref = LogisticRegression(C=1 / (2 * a1[2]), fit_intercept=False, **TIGHT)
        ref.fit(X[rows], y[rows])
        assert_allclose(indep.coef_[t], ref.coef_, rtol=2e-2)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alphas_shared": []}, "non-empty"),
        ({"alphas_task": [1.0, 0.0]}, r"positive finite numbers; got \[0.0\]"),
        ({"alphas_shared": [-1.0, 2.0]}, "positive"),
        ({"alphas_task": [1.0, np.nan]}, "positive finite"),
        ({"alphas_task": [[1.0, 2.0]]}, "1-D"),
        ({"alphas_shared": ["a"]}, "must hold numbers"),
    ],
)
def test_bad_grids_are_named(params, message):
    X, y, tasks = make_tasks(sizes=(30, 30))
    name = next(iter(params))
    with pytest.raises(ValueError, match=f"{name}.*{message}"):
        MaxEntClassifierCV(**params).fit(X, y, tasks=tasks)


def test_bad_inputs_raise_as_the_model_does():
    X, y, tasks = make_tasks(sizes=(30, 30))
    with pytest.raises(ValueError, match="MaxEntClassifierCV needs samples of at"):
        MaxEntClassifierCV(A0, A1).fit(X, np.zeros(len(y)), tasks=tasks)
    with pytest.raises(ValueError, match="tasks has"):
        MaxEntClassifierCV(A0, A1).fit(X, y, tasks=[0, 1])
    with pytest.raises(ValueError, match="1d array"):
        MaxEntClassifierCV(A0, A1).fit(X, np.column_stack([y, y]), tasks=tasks)
    with pytest.raises(ValueError, match="scoring"):
        MaxEntClassifierCV(scoring="no_such_score").fit(X, y, tasks=tasks)
    one = np.flatnonzero(tasks == 1)
    splits = [(np.flatnonzero(tasks == 0), one), (one, np.flatnonzero(tasks == 0))]
    with pytest.raises(ValueError, match=r"fold 0 have no samples of tasks \[1\]"):
        MaxEntClassifierCV(A0, A1, cv=splits).fit(X, y, tasks=tasks)
    halves = list(TaskKFold(2).split(X, tasks=tasks))
    alike = y.copy()
    alike[halves[0][1]] = 0  # the training rows of fold 1
    with pytest.raises(ValueError, match="fold 1 hold only one class"):
        MaxEntClassifierCV(A0, A1, cv=halves).fit(X, alike, tasks=tasks)
    model = MaxEntClassifierCV([1.0], [1.0], cv=2).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="pass tasks"):
        model.predict(X)


def test_class_missing_from_a_training_fold_scores_it_as_improbable():
    X, y, tasks = make_tasks(sizes=(60, 60), seed=11)
    y[0] = 3  # a class of one sample, tested in fold 0 only
    splits = list(TaskKFold(2).split(X, tasks=tasks))
    model = MaxEntClassifierCV([1.0], [1.0], cv=splits).fit(X, y, tasks=tasks)
    fold0 = MaxEntClassifier(1.0, 1.0).fit(
        X[splits[0][0]], y[splits[0][0]], tasks=tasks[splits[0][0]]
    )
    test = splits[0][1]
    proba = np.zeros((len(test), 4))
    proba[:, :3] = fold0.predict_proba(X[test], tasks=tasks[test])
    expected = -log_loss(y[test], proba, labels=[0, 1, 2, 3])
    assert model.cv_results_["split0_test_score"][0] == pytest.approx(expected)
    assert model.classes_.tolist() == [0, 1, 2, 3]


def test_groups_keep_an_utterance_in_one_fold():
    X, y, tasks = make_tasks(sizes=(100, 100, 100), seed=12)
    utterance = 1000 * tasks + np.arange(len(X)) // 10
    seen = []

    class Recording(TaskKFold):
        def split(self, X, y=None, groups=None, tasks=None):
            for train, test in super().split(X, y, groups=groups, tasks=tasks):
                seen.append(test)
                yield train, test

    model = MaxEntClassifierCV([1.0, 10.0], [1.0, 10.0], cv=Recording(3))
    model.fit(X, y, tasks=tasks, groups=utterance)
    assert model.n_splits_ == 3
    fold = np.full(len(X), -1)
    for k, test in enumerate(seen):
        fold[test] = k
    for u in np.unique(utterance):
        assert len(np.unique(fold[utterance == u])) == 1
    model = MaxEntClassifierCV([1.0], [1.0], cv=GroupKFold(3))
    assert model.fit(X, y, tasks=tasks, groups=utterance).n_splits_ == 3


def test_pipeline_grid_search_and_cross_val_score_route_tasks():
    X, y, tasks = make_tasks(sizes=(90, 90), seed=13)
    X = 10.0 * X + 3.0
    inner = MaxEntClassifierCV([1.0, 10.0], [1.0, 10.0], cv=2)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler(), inner)
        pipe.fit(X, y, tasks=tasks)
        assert pipe.predict(X[:3], tasks=tasks[:3]).shape == (3,)
        scores = cross_val_score(pipe, X, y, cv=TaskKFold(3), params={"tasks": tasks})
        assert scores.shape == (3,) and np.all((scores > 0.3) & (scores <= 1))
        search = GridSearchCV(
            pipe, {"maxentclassifiercv__fit_intercept": [True, False]}, cv=2
        )
        search.fit(X, y, tasks=tasks)
    assert search.best_estimator_[-1].tasks_.tolist() == [0, 1]


def test_parallel_folds_and_sparse_inputs_give_the_same_search():
    X, y, tasks = make_tasks(seed=14)
    X[np.abs(X) < 0.7] = 0.0
    one = MaxEntClassifierCV(A0, A1, per_task=True, cv=3).fit(X, y, tasks=tasks)
    two = MaxEntClassifierCV(A0, A1, per_task=True, cv=3, n_jobs=2)
    two.fit(sparse.csr_matrix(X), y, tasks=tasks)
    assert_allclose(
        one.cv_results_["mean_test_score"],
        two.cv_results_["mean_test_score"],
        rtol=1e-6,
    )
    assert one.alpha_task_ == two.alpha_task_


def test_unconverged_fits_warn_once():
    X, y, tasks = make_tasks(seed=15)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MaxEntClassifierCV(A0, A1, cv=2, max_iter=2).fit(X, y, tasks=tasks)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert any("32 L-BFGS fits of the search" in m for m in messages)
    assert len(messages) == 2  # the search's, then the refit's


def test_unseen_tasks_use_the_shared_part():
    X, y, tasks = make_tasks(sizes=(60, 60), seed=16)
    model = MaxEntClassifierCV([1.0], [1.0], cv=2, unseen_tasks="shared")
    model.fit(X, y, tasks=tasks)
    z = model.decision_function(X[:1], tasks=[99])
    assert_allclose(z[0], X[0] @ model.coef_shared_.T + model.intercept_shared_)


@parametrize_with_checks(
    [
        MaxEntClassifierCV([1.0, 100.0], [1.0, 100.0], cv=3),
        MaxEntClassifierCV([1.0], [1.0, 100.0], per_task=True, scoring="accuracy"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
