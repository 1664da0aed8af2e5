"""Clustered multi-task learning against cvxpy, closed forms and its own facts."""

import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlsynth import (
    FISTA,
    ProximalClassifier,
    ProximalRegressor,
    task_similarity,
)
from mtlsynth._prox import capped_water_filling
from mtlsynth.datasets import make_clustered_tasks
from mtlsynth.penalties import L1, L21, ClusteredTasks, SumPenalty, TaskGraph

pytestmark = pytest.mark.filterwarnings("ignore:Solution may be inaccurate")

TIGHT = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11}
"""CLARABEL tolerances for references to 1e-6."""


def _cp_penalty(pen, W):
    """MALSAR's penalty in cvxpy (``W``: one row per task) and the constraints on M."""
    import cvxpy as cp

    T = W.shape[0]
    M = cp.Variable((T, T), symmetric=True)
    eta = pen.beta / pen.alpha
    c = pen.alpha * eta * (1 + eta)
    constraints = [M >> 0, np.eye(T) - M >> 0, cp.trace(M) == pen.n_clusters]
    return c * cp.matrix_frac(W, eta * np.eye(T) + M), constraints


def _solve(objective, constraints):
    import cvxpy as cp

    problem = cp.Problem(cp.Minimize(objective), constraints)
    problem.solve(solver=cp.CLARABEL, **TIGHT)
    return problem.value


@pytest.mark.parametrize("total", [0.5, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("offset", [0.0, 0.3, 5.0, np.inf])
def test_water_filling_matches_a_generic_solver(offset, total):
    rng = np.random.default_rng(0)
    s = np.concatenate([rng.gamma(1.0, size=5), [0.0]])
    m = capped_water_filling(s, offset, total)
    assert m.sum() == pytest.approx(total) and np.all((m >= 0) & (m <= 1))
    if np.isinf(offset):  # the limit maximizes sum s_i^2 m_i
        best = np.sort(s**2)[::-1] @ np.clip(total - np.arange(s.size), 0, 1)
        assert s**2 @ m == pytest.approx(best)
        return

    import cvxpy as cp

    x = cp.Variable(s.size)
    objective = cp.sum(cp.multiply(s**2, cp.inv_pos(offset + x)))
    best = _solve(objective, [cp.sum(x) == total, x >= 0, x <= 1])
    cost = np.sum(s**2 / np.maximum(offset + m, 1e-300))
    assert cost <= best * (1 + 1e-6)


def test_water_filling_edge_cases():
    np.testing.assert_allclose(capped_water_filling(np.zeros(4), 1.0, 2.0), 0.5)
    np.testing.assert_allclose(
        capped_water_filling([3.0, 0.0, 0.0], 0.5, 2.0), [1, 0.5, 0.5]
    )
    np.testing.assert_allclose(capped_water_filling([3.0, 1.0], 0.5, 0.0), 0.0)
    np.testing.assert_allclose(capped_water_filling([3.0, 1.0], 0.5, 2.0), 1.0)
    with pytest.raises(ValueError, match="total must lie"):
        capped_water_filling(np.ones(3), 1.0, 4.0)


@pytest.mark.parametrize("seed, n_clusters", [(0, 1), (1, 2), (2, 3)])
def test_value_is_the_minimum_over_m(seed, n_clusters):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(5, 3, 2))  # 5 tasks, 3 features, 2 outputs
    pen = ClusteredTasks(alpha=0.7, beta=0.3, n_clusters=n_clusters)
    term, constraints = _cp_penalty(pen, W.reshape(5, -1))
    assert pen.value(W) == pytest.approx(_solve(term, constraints), rel=1e-7)
    # the returned M is feasible and attains the value
    M = pen.task_cluster_matrix(W)
    eigenvalues = np.linalg.eigvalsh(M)
    assert np.all(eigenvalues > -1e-12) and np.all(eigenvalues < 1 + 1e-12)
    assert np.trace(M) == pytest.approx(n_clusters)
    eta = pen.beta / pen.alpha
    Wt = W.reshape(5, -1)
    attained = np.trace(Wt.T @ np.linalg.solve(eta * np.eye(5) + M, Wt))
    assert pen.alpha * eta * (1 + eta) * attained == pytest.approx(pen.value(W))
    # one leading row per task is all it needs: coef_ layouts give the same
    assert pen.value(W.transpose(0, 2, 1)) == pytest.approx(pen.value(W))


@pytest.mark.parametrize("shape", [(5, 3, 2), (6, 1, 1)], ids=["wide", "rank-one"])
def test_prox_matches_cvxpy(shape):
    import cvxpy as cp

    rng = np.random.default_rng(3)
    W0 = rng.normal(size=shape)
    T, step = shape[0], 0.8
    pen = ClusteredTasks(alpha=1.5, beta=0.2, n_clusters=2)
    ours = pen.prox(W0, step)
    Z = cp.Variable((T, W0[0].size))
    term, constraints = _cp_penalty(pen, Z)
    objective = 0.5 * cp.sum_squares(Z - W0.reshape(T, -1)) + step * term
    theirs = _solve(objective, constraints)

    def f(x):
        return 0.5 * np.sum((x - W0) ** 2) + step * pen.value(x)

    assert f(ours) == pytest.approx(theirs, rel=1e-8)
    assert f(ours) <= theirs + 1e-9
    # the objective is 1-strongly convex: 0.5 ||x - prox||^2 <= f(x) - f(prox)
    other = Z.value.reshape(shape)
    assert 0.5 * np.sum((other - ours) ** 2) <= f(other) - f(ours) + 1e-15
    np.testing.assert_allclose(ours, other, atol=1e-5)


def test_conjugate_and_fenchel_young():
    rng = np.random.default_rng(4)
    pen = ClusteredTasks(alpha=0.7, beta=0.3, n_clusters=2)
    W, V = rng.normal(size=(4, 2, 1)), rng.normal(size=(4, 2, 1))
    # the conjugate is the supremum of <V, W> - g(W) (g is smooth and convex)
    ref = minimize(
        lambda x: pen.value(x.reshape(V.shape)) - x @ V.ravel(),
        np.zeros(V.size),
        method="BFGS",
        options={"gtol": 1e-10},
    )
    assert pen.conjugate(V) == pytest.approx(-ref.fun, rel=1e-8)
    # Fenchel-Young: an inequality, with equality at a subgradient
    assert pen.value(W) + pen.conjugate(V) >= np.vdot(W, V)
    step = 0.6
    P = pen.prox(W, step)
    G = (W - P) / step  # a subgradient at the prox point
    assert pen.value(P) + pen.conjugate(G) == pytest.approx(np.vdot(P, G), abs=1e-12)


def test_all_clusters_or_no_alpha_is_a_ridge():
    rng = np.random.default_rng(5)
    W, V = rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 3, 2))
    for pen in (ClusteredTasks(0.7, 0.3, n_clusters=4), ClusteredTasks(0.0, 0.3)):
        assert pen.value(W) == pytest.approx(0.3 * np.sum(W**2))
        np.testing.assert_allclose(pen.prox(W, 0.5), W / 1.3)
        assert pen.conjugate(V) == pytest.approx(np.sum(V**2) / 1.2)


def _problem(seed=0, n_targets=1, n_tasks=6):
    X, y, tasks, truth = make_clustered_tasks(
        30,
        n_tasks=n_tasks,
        n_features=5,
        n_clusters=2,
        n_targets=n_targets,
        random_state=seed,
    )
    return X, y, tasks, truth


def _cvxpy_regression(X, y, tasks, pen, *, weighting, fit_intercept, extra=None):
    """Optimal objective of the regressor's problem, by cvxpy."""
    import cvxpy as cp

    Y = y.reshape(len(y), -1)
    labels = np.unique(tasks)
    T, d, q = len(labels), X.shape[1], Y.shape[1]
    Ws = [cp.Variable((T, d)) for _ in range(q)]
    b = cp.Variable((T, q)) if fit_intercept else np.zeros((T, q))
    loss = 0
    for t, label in enumerate(labels):
        rows = tasks == label
        scale = rows.sum() if weighting == "equal" else len(y)
        for k in range(q):
            resid = Y[rows, k] - X[rows] @ Ws[k][t] - b[t, k]
            loss = loss + cp.sum_squares(resid) / (2 * scale)
    term, constraints = _cp_penalty(pen, cp.hstack(Ws))
    more = extra(Ws[0]) if extra is not None else 0
    return _solve(loss + term + more, constraints)


def _objective(model, X, y, tasks, weighting):
    pred = model.predict(X, tasks=tasks).reshape(len(y), -1)
    resid = ((y.reshape(len(y), -1) - pred) ** 2).sum(axis=1) / 2
    labels = np.unique(tasks)
    if weighting == "equal":
        loss = sum(resid[tasks == t].mean() for t in labels)
    else:
        loss = resid.mean()
    n_tasks, d = len(labels), X.shape[1]
    W = model.coef_.reshape(n_tasks, -1, d).transpose(0, 2, 1)
    return loss + model.penalty_.value(W)


@pytest.mark.parametrize(
    "n_targets, weighting, fit_intercept",
    [(1, "equal", True), (2, "samples", False)],
)
def test_regression_matches_cvxpy(n_targets, weighting, fit_intercept):
    X, y, tasks, _ = _problem(seed=1, n_targets=n_targets)
    pen = ClusteredTasks(alpha=0.5, beta=0.05, n_clusters=2)
    model = ProximalRegressor(
        pen,
        solver=FISTA(tol=1e-10, max_iter=20000),
        task_weighting=weighting,
        fit_intercept=fit_intercept,
    ).fit(X, y, tasks=tasks)
    assert model.certificate_ == "duality_gap"
    theirs = _cvxpy_regression(
        X, y, tasks, pen, weighting=weighting, fit_intercept=fit_intercept
    )
    ours = _objective(model, X, y, tasks, weighting)
    assert ours == pytest.approx(theirs, rel=1e-7)
    assert ours <= theirs + 1e-9


def test_malsar_least_cmtl_is_the_samples_weighting_without_intercepts():
    import cvxpy as cp

    X, y, tasks, _ = _problem(seed=6)
    rho1, rho2, k, n = 20.0, 2.0, 2, len(y)
    model = ProximalRegressor(
        ClusteredTasks(rho1 / n, rho2 / n, k),
        solver=FISTA(tol=1e-12, max_iter=20000),
        task_weighting="samples",
        fit_intercept=False,
    ).fit(X, y, tasks=tasks)
    labels = np.unique(tasks)
    W = cp.Variable((len(labels), X.shape[1]))
    loss = sum(
        0.5 * cp.sum_squares(y[tasks == t] - X[tasks == t] @ W[i])
        for i, t in enumerate(labels)
    )
    term, constraints = _cp_penalty(ClusteredTasks(rho1, rho2, k), W)
    _solve(loss + term, constraints)
    np.testing.assert_allclose(model.coef_, W.value, atol=1e-5)


def test_duality_gap_bounds_the_suboptimality():
    X, y, tasks, _ = _problem(seed=2)
    pen = ClusteredTasks(alpha=2.0, beta=0.01, n_clusters=2)
    best = _cvxpy_regression(X, y, tasks, pen, weighting="equal", fit_intercept=True)
    for tol in (1e-2, 1e-4, 1e-8):
        model = ProximalRegressor(pen, solver=FISTA(tol=tol, check_every=1))
        model.fit(X, y, tasks=tasks)
        excess = _objective(model, X, y, tasks, "equal") - best
        assert -1e-8 <= excess <= model.gap_ + 1e-8
        # below tol times the loss at zero coefficients
        start = model.objective_history_[0]
        assert 0.0 <= model.gap_ <= tol * start


def test_fit_statistics_and_all_clusters_match_ridge():
    X, y, tasks, _ = _problem(seed=3, n_tasks=4)
    beta = 0.02
    pen = ClusteredTasks(alpha=1.0, beta=beta, n_clusters=4)
    model = ProximalRegressor(pen, solver=FISTA(tol=1e-14, max_iter=50000))
    model.fit(X, y, tasks=tasks)
    for t, label in enumerate(model.tasks_):
        rows = tasks == label
        ridge = Ridge(alpha=2 * rows.sum() * beta).fit(X[rows], y[rows])
        np.testing.assert_allclose(model.coef_[t], ridge.coef_, atol=1e-7)
        assert model.intercept_[t] == pytest.approx(ridge.intercept_, abs=1e-7)
    again = ProximalRegressor(pen, solver=FISTA(tol=1e-14, max_iter=50000))
    again.fit_statistics(model.statistics_)
    np.testing.assert_allclose(again.coef_, model.coef_, atol=1e-10)


def test_fitted_cluster_matrix_groups_the_true_clusters():
    X, y, tasks, truth = make_clustered_tasks(
        60, n_tasks=9, n_features=8, n_clusters=3, random_state=0
    )
    pen = ClusteredTasks(alpha=1.0, beta=0.1, n_clusters=3)
    model = ProximalRegressor(pen).fit(X, y, tasks=tasks)
    labels, S = task_similarity(model)
    np.testing.assert_array_equal(labels, model.tasks_)
    M = model.penalty_.task_cluster_matrix(model.coef_)
    d = np.sqrt(np.diag(M))
    np.testing.assert_allclose(S, M / np.outer(d, d), atol=1e-12)
    same = truth["cluster"][:, None] == truth["cluster"][None, :]
    assert S[same].min() > 0.7 and np.abs(S[~same]).max() < 0.4
    assert np.trace(M) == pytest.approx(3)


def test_in_sums_with_norms_and_smooth_terms():
    import cvxpy as cp

    X, y, tasks, _ = _problem(seed=4)
    pen = ClusteredTasks(alpha=0.5, beta=0.05, n_clusters=2)
    for extra, reference in [
        (L1(0.01), lambda W: 0.01 * cp.sum(cp.abs(W))),
        (TaskGraph(0.1), lambda W: 0.1 * cp.sum_squares(W - cp.sum(W, 0) / 6)),
    ]:
        total = pen + extra
        model = ProximalRegressor(total, solver=FISTA(tol=1e-10, max_iter=20000))
        model.fit(X, y, tasks=tasks)
        assert model.certificate_ == "duality_gap"
        theirs = _cvxpy_regression(
            X, y, tasks, pen, weighting="equal", fit_intercept=True, extra=reference
        )
        ours = _objective(model, X, y, tasks, "equal")
        assert ours == pytest.approx(theirs, rel=1e-6)
    # a zero norm term is the zero function: the gap still applies
    model = ProximalRegressor(SumPenalty(nonsmooth=[pen, L21(0.0)]))
    assert model.fit(X, y, tasks=tasks).certificate_ == "duality_gap"


def test_classifier_matches_cvxpy():
    import cvxpy as cp

    X, y, tasks, _ = _problem(seed=5)
    labels = np.unique(tasks)
    yc = np.where(y > np.median(y), "hi", "lo")
    pen = ClusteredTasks(alpha=0.05, beta=0.01, n_clusters=2)
    for fit_intercept in (True, False):
        model = ProximalClassifier(
            pen,
            solver=FISTA(tol=1e-10, max_iter=50000),
            fit_intercept=fit_intercept,
        ).fit(X, yc, tasks=tasks)
        kind = "kkt_residual" if fit_intercept else "duality_gap"
        assert model.certificate_ == kind
        sign = np.where(yc == model.classes_[1], 1.0, -1.0)
        W = cp.Variable((len(labels), X.shape[1]))
        b = cp.Variable(len(labels)) if fit_intercept else np.zeros(len(labels))
        loss = 0
        for t, label in enumerate(labels):
            rows = tasks == label
            margin = cp.multiply(sign[rows], X[rows] @ W[t] + b[t])
            loss = loss + cp.sum(cp.logistic(-margin)) / rows.sum()
        term, constraints = _cp_penalty(pen, W)
        theirs = _solve(loss + term, constraints)
        margins = sign * model.decision_function(X, tasks=tasks)
        ours = sum(
            np.logaddexp(0, -margins[tasks == t]).mean() for t in labels
        ) + pen.value(model.coef_)
        assert ours == pytest.approx(theirs, rel=1e-6)


def test_parameters_and_errors():
    pen = ClusteredTasks(alpha=0.5, beta=0.1, n_clusters=3)
    assert clone(pen).get_params() == {"alpha": 0.5, "beta": 0.1, "n_clusters": 3}
    total = pen + L1(0.1)
    assert total.get_params()["clusteredtasks__n_clusters"] == 3
    X, y, tasks, _ = _problem(n_tasks=2)
    with pytest.raises(ValueError, match="n_clusters=3 exceeds the number of tasks"):
        ProximalRegressor(pen).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="'beta' parameter"):
        ProximalRegressor(ClusteredTasks(beta=0.0)).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="'n_clusters' parameter"):
        ProximalRegressor(ClusteredTasks(n_clusters=0)).fit(X, y, tasks=tasks)


@parametrize_with_checks(
    [
        ProximalRegressor(ClusteredTasks(0.1, 0.01, n_clusters=1)),
        ProximalClassifier(ClusteredTasks(0.01, 0.001, n_clusters=1)),
    ]
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
