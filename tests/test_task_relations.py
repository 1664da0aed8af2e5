import warnings

import cvxpy as cp
import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlsynth import (
    FISTA,
    ProximalRegressor,
    SharedLeastSquares,
    TaskRelationRegressor,
    task_similarity,
)
from mtlsynth._task_relations import relation_omega_step
from mtlsynth.penalties import L2


def related_tasks(rng, n_per_task=60, d=8, q=1, noise=0.1):
    """Tasks 0 and 1 share their truth, task 2's is orthogonal to it, task 3 random."""
    u = rng.normal(size=(d, q))
    v = rng.normal(size=(d, q))
    v -= u * (np.sum(u * v) / np.sum(u * u))
    truth = np.stack([u, u, v, rng.normal(size=(d, q))])
    tasks = np.repeat(np.arange(4), n_per_task)
    X = rng.normal(size=(len(tasks), d)) + 2.0
    b = rng.normal(size=(4, q))
    Y = np.einsum("nd,ndq->nq", X, truth[tasks]) + b[tasks]
    Y += noise * rng.normal(size=Y.shape)
    return X, (Y[:, 0] if q == 1 else Y), tasks


def objective(X, Y, tasks, weights, W, b, alpha, beta, omega):
    """The documented objective, from the rows."""
    Y = Y.reshape(len(Y), -1)
    resid = Y - np.einsum("nd,ndq->nq", X, W[tasks]) - b[tasks]
    M = W.reshape(W.shape[0], -1)
    return (
        np.sum(weights[:, None] * resid**2)
        + alpha * np.sum(M * M)
        + beta * np.trace(M.T @ np.linalg.solve(omega, M))
    )


def stacked(model):
    """``coef_`` as ``(n_tasks, n_features, n_targets)``."""
    coef = model.coef_.reshape(len(model.tasks_), -1, model.n_features_in_)
    return coef.transpose(0, 2, 1)


@parametrize_with_checks(
    [TaskRelationRegressor(), TaskRelationRegressor(0.1, 10.0, fit_intercept=False)]
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("q", [1, 2])
def test_identity_covariance_is_independent_ridge(q):
    rng = np.random.default_rng(0)
    X, Y, tasks = related_tasks(rng, q=q)
    model = TaskRelationRegressor(0.3, 1.2, task_covariance=np.eye(4))
    model.fit(X, Y, tasks=tasks)
    assert model.n_iter_ == 1
    for t in range(4):
        rows = tasks == t
        ridge = Ridge(alpha=1.5).fit(X[rows], Y[rows])
        np.testing.assert_allclose(model.coef_[t], ridge.coef_, rtol=1e-9)
        np.testing.assert_allclose(model.intercept_[t], ridge.intercept_, rtol=1e-9)


def test_copies_correlate_and_unrelated_tasks_do_not():
    rng = np.random.default_rng(1)
    X, y, tasks = related_tasks(rng, n_per_task=100, d=10)
    model = TaskRelationRegressor(alpha=0.1, beta=1.0).fit(X, y, tasks=tasks)
    labels, R = task_similarity(model)
    assert labels.tolist() == [0, 1, 2, 3]
    assert R[0, 1] > 0.98
    assert abs(R[0, 2]) < 0.1 and abs(R[1, 2]) < 0.1
    np.testing.assert_allclose(np.diag(R), 1.0)
    np.testing.assert_allclose(R, R.T)
    omega = model.task_covariance_
    assert np.trace(omega) == pytest.approx(1.0)
    assert np.linalg.eigvalsh(omega)[0] > 0


@pytest.mark.parametrize("beta", [0.1, 3.0, 30.0])
def test_objective_decreases_monotonically(beta):
    rng = np.random.default_rng(2)
    X, Y, tasks = related_tasks(rng, q=2)
    model = TaskRelationRegressor(alpha=0.05, beta=beta, tol=1e-10, max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y, tasks=tasks)
    history = model.objective_history_
    assert len(history) >= 3
    assert np.all(np.diff(history) <= 1e-10 * history[0])


def test_learned_covariance_is_the_closed_form_of_the_coefficients():
    rng = np.random.default_rng(3)
    X, Y, tasks = related_tasks(rng, q=2)
    model = TaskRelationRegressor(alpha=0.2, beta=2.0).fit(X, Y, tasks=tasks)
    M = stacked(model).reshape(4, -1)
    s, U = np.linalg.eigh(M @ M.T)
    root = (U * np.sqrt(np.maximum(s, 0.0))) @ U.T
    np.testing.assert_allclose(model.task_covariance_, root / np.trace(root), atol=1e-4)
    eps = 1e-3
    omega, precision, value = relation_omega_step(stacked(model), eps)
    np.testing.assert_allclose(omega @ precision, np.eye(4), atol=1e-8)
    S = M @ M.T + eps * np.eye(4)
    assert value == pytest.approx(np.trace(precision @ S), rel=1e-10)
    # Omega minimizes tr(Omega^-1 S) over trace-one covariances.
    for _ in range(5):
        A = rng.normal(size=(4, 4))
        other = omega + 0.01 * (A @ A.T)
        other /= np.trace(other)
        assert np.trace(np.linalg.solve(other, S)) > value


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_w_step_matches_cvxpy_for_a_fixed_covariance(fit_intercept):
    rng = np.random.default_rng(4)
    X, Y, tasks = related_tasks(rng, n_per_task=30, d=5, q=2)
    weights = rng.uniform(0.5, 2.0, len(X))
    A = rng.normal(size=(4, 4))
    omega = A @ A.T + 0.5 * np.eye(4)
    alpha, beta = 0.3, 2.0
    model = TaskRelationRegressor(
        alpha, beta, task_covariance=omega, fit_intercept=fit_intercept
    ).fit(X, Y, tasks=tasks, sample_weight=weights)

    L_inv = np.linalg.inv(np.linalg.cholesky(omega))
    Ws = [cp.Variable((5, 2)) for _ in range(4)]
    bs = [cp.Variable(2) for _ in range(4)]
    fit = 0
    for t in range(4):
        rows = tasks == t
        pred = X[rows] @ Ws[t] + (
            np.ones((rows.sum(), 1)) @ cp.reshape(bs[t], (1, 2), order="C")
        )
        fit += cp.sum(cp.multiply(weights[rows][:, None], cp.square(Y[rows] - pred)))
    M = cp.vstack([cp.reshape(W, (1, 10), order="C") for W in Ws])
    problem = cp.Problem(
        cp.Minimize(fit + alpha * cp.sum_squares(M) + beta * cp.sum_squares(L_inv @ M)),
        [] if fit_intercept else [b == 0 for b in bs],
    )
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12)
    W_ref = np.stack([W.value for W in Ws])
    np.testing.assert_allclose(stacked(model), W_ref, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        model.intercept_, np.stack([b.value for b in bs]), rtol=1e-6, atol=1e-8
    )
    ours = objective(X, Y, tasks, weights, W_ref, model.intercept_, alpha, beta, omega)
    assert model.objective_history_[-1] == pytest.approx(ours, rel=1e-6)


@pytest.mark.parametrize(("alpha", "beta"), [(0.5, 0.3), (0.1, 0.1)])
def test_learned_problem_matches_cvxpy_squared_trace_norm(alpha, beta):
    """Minimizing over Omega leaves ``beta ||M||_*^2``; a convex SDP for cvxpy.

    Here the best ``M`` has full rank.
    """
    rng = np.random.default_rng(5)
    truth = rng.normal(size=(4, 4))
    truth[1] = truth[0] + 0.3 * rng.normal(size=4)
    tasks = np.repeat(np.arange(4), 25)
    X = rng.normal(size=(100, 4)) + 1.0
    y = np.einsum("nd,nd->n", X, truth[tasks]) + 0.3 * rng.normal(size=100)
    model = TaskRelationRegressor(alpha, beta, tol=1e-10, max_iter=500)
    model.fit(X, y, tasks=tasks)
    assert model.n_iter_ < 100

    W = cp.Variable((4, 4))
    b = cp.Variable(4)
    fit = 0
    for t in range(4):
        rows = tasks == t
        fit += cp.sum_squares(y[rows] - X[rows] @ W[t] - b[t])
    nuclear = cp.Variable()
    problem = cp.Problem(
        cp.Minimize(fit + alpha * cp.sum_squares(W) + beta * cp.square(nuclear)),
        [cp.normNuc(W) <= nuclear],
    )
    problem.solve(solver=cp.CLARABEL)
    M = model.coef_
    ours = (
        sum(
            np.sum((y[tasks == t] - X[tasks == t] @ M[t] - model.intercept_[t]) ** 2)
            for t in range(4)
        )
        + alpha * np.sum(M * M)
        + beta * np.linalg.svd(M, compute_uv=False).sum() ** 2
    )
    assert ours == pytest.approx(problem.value, rel=1e-6)
    assert model.objective_history_[-1] == pytest.approx(problem.value, rel=1e-6)
    np.testing.assert_allclose(M, W.value, rtol=1e-3, atol=1e-3)


def test_fit_statistics_and_sample_weights_agree_with_fit():
    rng = np.random.default_rng(6)
    X, Y, tasks = related_tasks(rng, q=2)
    model = TaskRelationRegressor(0.1, 1.0).fit(X, Y, tasks=tasks)
    again = TaskRelationRegressor(0.1, 1.0).fit_statistics(model.statistics_)
    np.testing.assert_allclose(again.coef_, model.coef_)
    doubled = TaskRelationRegressor(0.1, 1.0).fit(
        np.vstack([X, X]), np.vstack([Y, Y]), tasks=np.r_[tasks, tasks]
    )
    weighted = TaskRelationRegressor(0.1, 1.0).fit(
        X, Y, tasks=tasks, sample_weight=np.full(len(X), 2.0)
    )
    np.testing.assert_allclose(weighted.coef_, doubled.coef_, rtol=1e-7, atol=1e-10)
    assert model.predict(X[:3], tasks=tasks[:3]).shape == (3, 2)


def test_one_task_is_ridge():
    rng = np.random.default_rng(7)
    X, y, _ = related_tasks(rng)
    model = TaskRelationRegressor(0.4, 0.6).fit(X, y)
    ridge = Ridge(alpha=1.0).fit(X, y)
    np.testing.assert_allclose(model.coef_[0], ridge.coef_, rtol=1e-9)
    np.testing.assert_allclose(model.task_covariance_, [[1.0]])


def test_errors_and_warnings():
    rng = np.random.default_rng(8)
    X, y, tasks = related_tasks(rng)
    with pytest.raises(ValueError, match="shape"):
        TaskRelationRegressor(task_covariance=np.eye(3)).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="positive definite"):
        TaskRelationRegressor(task_covariance=np.ones((4, 4))).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="symmetric"):
        TaskRelationRegressor(task_covariance=np.triu(np.ones((4, 4)))).fit(
            X, y, tasks=tasks
        )
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        TaskRelationRegressor(beta=10.0, max_iter=2, tol=0.0).fit(X, y, tasks=tasks)
    model = TaskRelationRegressor().fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="pass tasks"):
        model.predict(X)


def _shared_truth_fits():
    rng = np.random.default_rng(9)
    X, y, tasks = related_tasks(rng, n_per_task=80, d=12, noise=0.05)
    return (
        X,
        y,
        tasks,
        [
            SharedLeastSquares(alpha_shared=1e8, alpha_task=0.1),
            ProximalRegressor(L2(1e-3), solver=FISTA(tol=1e-10, max_iter=5000)),
            TaskRelationRegressor(0.1, 1.0),
        ],
    )


@pytest.mark.parametrize("index", range(3))
def test_task_similarity_of_fitted_models(index):
    X, y, tasks, models = _shared_truth_fits()
    model = models[index].fit(X, y, tasks=tasks)
    labels, R = task_similarity(model)
    assert labels.tolist() == [0, 1, 2, 3]
    assert R[0, 1] > 0.98
    assert abs(R[0, 2]) < 0.1
    if not hasattr(model, "task_covariance_"):
        V = model.coef_
        cos = V[0] @ V[3] / np.linalg.norm(V[0]) / np.linalg.norm(V[3])
        assert R[0, 3] == pytest.approx(cos)
        Vc = V - V.mean(axis=1, keepdims=True)
        _, Rc = task_similarity(model, centered=True)
        assert Rc[0, 3] == pytest.approx(np.corrcoef(Vc[0], Vc[3])[0, 1])


def test_task_similarity_of_zero_and_covariance():
    class Fitted(BaseEstimator):
        def fit(self):
            return self

    fitted = Fitted()
    fitted.tasks_ = np.array(["a", "b", "c"])
    fitted.coef_ = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0]])
    labels, R = task_similarity(fitted)
    assert R[0, 1] == 1.0 and np.isnan(R[0, 2]) and np.isnan(R[2, 2])
    fitted.task_covariance_ = np.array([[4.0, 1.0, 0], [1.0, 1.0, 0], [0, 0, 1.0]])
    _, R = task_similarity(fitted)
    assert R[0, 1] == pytest.approx(0.5) and R[0, 2] == 0.0


@pytest.mark.parametrize("beta", [5.0, 50.0])
def test_rank_deficient_problem_matches_cvxpy(beta):
    """Copies of a task and a large ``beta``: the best ``M`` has rank two."""
    rng = np.random.default_rng(10)
    truth = rng.normal(size=(4, 5))
    truth[1] = truth[2] = truth[0]
    tasks = np.repeat(np.arange(4), 25)
    X = rng.normal(size=(100, 5)) + 1.0
    y = np.einsum("nd,nd->n", X, truth[tasks]) + 0.3 * rng.normal(size=100)
    alpha = 0.1
    model = TaskRelationRegressor(alpha, beta, tol=1e-9).fit(X, y, tasks=tasks)
    M = model.coef_
    s = np.linalg.svd(M, compute_uv=False)
    assert s[-1] < 1e-8 * s[0]

    W = cp.Variable((4, 5))
    b = cp.Variable(4)
    fit = sum(
        cp.sum_squares(y[tasks == t] - X[tasks == t] @ W[t] - b[t]) for t in range(4)
    )
    nuclear = cp.Variable()
    problem = cp.Problem(
        cp.Minimize(fit + alpha * cp.sum_squares(W) + beta * cp.square(nuclear)),
        [cp.normNuc(W) <= nuclear],
    )
    problem.solve(solver=cp.CLARABEL)
    resid = y - np.einsum("nd,nd->n", X, M[tasks]) - model.intercept_[tasks]
    ours = np.sum(resid**2) + alpha * np.sum(M * M) + beta * s.sum() ** 2
    assert ours == pytest.approx(problem.value, rel=1e-5)
    assert ours <= problem.value * (1 + 1e-7)
    assert model.objective_history_[-1] == pytest.approx(ours, rel=1e-10)
    # Omega is read off the solution: the copies correlate.
    _, R = task_similarity(model)
    assert R[0, 1] > 0.99 and R[1, 2] > 0.99
