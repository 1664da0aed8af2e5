"""Penalties and proximal kernels against independent references."""

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.base import clone

from mtlsynth._prox import (
    block_soft_threshold,
    linf_shrink,
    project_l1_ball,
    soft_threshold,
    svd_shrink,
)
from mtlsynth.penalties import L1, L2, L21, L1Inf, SumPenalty, TaskGraph, TraceNorm

SHAPE = (3, 4, 2)


def _numeric_prox(penalty, v, step):
    """argmin_x 0.5 ||x - v||^2 + step * penalty(x), by a generic optimizer."""

    def objective(x):
        return 0.5 * np.sum((x - v.ravel()) ** 2) + step * penalty.value(
            x.reshape(v.shape)
        )

    best = None
    for x0 in (v.ravel(), np.zeros(v.size)):
        res = minimize(objective, x0, method="Powell", options={"xtol": 1e-10})
        res = minimize(objective, res.x, method="Nelder-Mead", options={"fatol": 1e-14})
        if best is None or res.fun < best.fun:
            best = res
    return best.x.reshape(v.shape), best.fun


@pytest.mark.parametrize(
    "penalty",
    [L1(0.4), L21(0.6), L21(0.4, group="feature_output"), TraceNorm(0.8), L1Inf(0.5)],
    ids=["L1", "L21", "L21-output", "TraceNorm", "L1Inf"],
)
def test_prox_minimizes_its_objective(penalty):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(2, 3, 1))
    step = 0.7
    ours = penalty.prox(v, step)
    theirs, fun = _numeric_prox(penalty, v, step)
    ours_fun = 0.5 * np.sum((ours - v) ** 2) + step * penalty.value(ours)
    assert ours_fun <= fun + 1e-10
    # The objective is 1-strongly convex: a distance bound from the values.
    assert 0.5 * np.sum((ours - theirs) ** 2) <= fun - ours_fun + 1e-10
    np.testing.assert_allclose(ours, theirs, atol=1e-2)


def test_prox_optimality_by_subgradient():
    """The prox satisfies v - x in step * subdifferential, checked per group."""
    rng = np.random.default_rng(1)
    v = rng.normal(size=SHAPE)
    thr = 0.9
    x = L21(thr).prox(v, 1.0)
    norms = np.linalg.norm(v, axis=(0, 2))
    for j in range(SHAPE[1]):
        if norms[j] <= thr:
            assert np.all(x[:, j] == 0)
        else:
            g = v[:, j] - x[:, j]
            np.testing.assert_allclose(g, thr * x[:, j] / np.linalg.norm(x[:, j]))


def test_kernels():
    v = np.array([-3.0, -0.2, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(soft_threshold(v, 1.0), [-2.0, 0, 0, 0, 1.0])
    M = np.random.default_rng(2).normal(size=(5, 3))
    np.testing.assert_allclose(svd_shrink(M, 0.0), M, atol=1e-12)
    s = np.linalg.svd(M, compute_uv=False)
    shrunk = np.linalg.svd(svd_shrink(M, s[1]), compute_uv=False)
    np.testing.assert_allclose(shrunk, [s[0] - s[1], 0, 0], atol=1e-12)
    B = block_soft_threshold(M, 100.0, axis=1)
    assert np.all(B == 0)


def test_values_and_dual_norms():
    rng = np.random.default_rng(3)
    W = rng.normal(size=SHAPE)
    assert L1(2.0).value(W) == pytest.approx(2.0 * np.abs(W).sum())
    groups = [np.linalg.norm(W[:, j, :]) for j in range(SHAPE[1])]
    assert L21(1.5).value(W) == pytest.approx(1.5 * sum(groups))
    per_output = np.linalg.norm(W, axis=0).sum()
    assert L21(1.0, group="feature_output").value(W) == pytest.approx(per_output)
    M = np.hstack([W[t] for t in range(SHAPE[0])])
    nuclear = np.linalg.svd(M, compute_uv=False).sum()
    assert TraceNorm(0.5).value(W) == pytest.approx(0.5 * nuclear)
    assert TraceNorm(1.0).dual_norm(W) == pytest.approx(np.linalg.norm(M, 2))
    assert L21(1.0).dual_norm(W) == pytest.approx(max(groups))
    assert L1(1.0).dual_norm(W) == pytest.approx(np.abs(W).max())
    # Duality: <W, V> <= norm(W) * dual_norm(V).
    V = rng.normal(size=SHAPE)
    for pen in (L1(1.0), L21(1.0), L21(1.0, group="feature_output"), TraceNorm(1.0)):
        assert np.vdot(W, V) <= pen.value(W) * pen.dual_norm(V) + 1e-12


def test_task_graph_mean_and_adjacency():
    rng = np.random.default_rng(4)
    W = rng.normal(size=SHAPE)
    mean = W.mean(axis=0)
    expected = 0.7 * np.sum((W - mean) ** 2)
    assert TaskGraph(0.7).value(W) == pytest.approx(expected)
    A = np.array([[0, 2.0, 0], [2.0, 0, 1.0], [0, 1.0, 0]])
    expected = 2.0 * np.sum((W[0] - W[1]) ** 2) + 1.0 * np.sum((W[1] - W[2]) ** 2)
    pen = TaskGraph(1.0, graph=A)
    assert pen.value(W) == pytest.approx(expected)
    with pytest.raises(ValueError, match="shape"):
        pen.value(W[:2])
    with pytest.raises(ValueError, match="symmetric"):
        TaskGraph(graph=np.triu(A)).value(W)


@pytest.mark.parametrize("penalty", [L2(0.8), TaskGraph(0.6)], ids=["L2", "graph"])
def test_smooth_gradient_and_lipschitz(penalty):
    rng = np.random.default_rng(5)
    W, V = rng.normal(size=SHAPE), rng.normal(size=SHAPE)
    eps = 1e-6
    numeric = (penalty.value(W + eps * V) - penalty.value(W - eps * V)) / (2 * eps)
    assert np.vdot(penalty.gradient(W), V) == pytest.approx(numeric, rel=1e-6)
    L = penalty.lipschitz(SHAPE)
    ratios = [
        np.linalg.norm(penalty.gradient(W) - penalty.gradient(U))
        / np.linalg.norm(W - U)
        for U in rng.normal(size=(20,) + SHAPE)
    ]
    assert max(ratios) <= L * (1 + 1e-12)
    assert max(ratios) >= 0.3 * L


def test_sum_penalty():
    rng = np.random.default_rng(6)
    W = rng.normal(size=SHAPE)
    pen = L1(0.3) + TaskGraph(0.5)
    assert isinstance(pen, SumPenalty)
    assert isinstance(pen.smooth, TaskGraph) and isinstance(pen.nonsmooth, L1)
    assert pen.value(W) == pytest.approx(L1(0.3).value(W) + TaskGraph(0.5).value(W))
    np.testing.assert_allclose(pen.prox(W, 0.5), L1(0.3).prox(W, 0.5))
    np.testing.assert_allclose(pen.gradient(W), TaskGraph(0.5).gradient(W))
    assert clone(pen).get_params()["nonsmooth__alpha"] == 0.3
    pen.set_params(smooth__alpha=2.0)
    assert pen.smooth.alpha == 2.0


@pytest.mark.parametrize("shape", [(40, 7), (7, 40), (12, 12)])
@pytest.mark.parametrize("relative", [0.0, 1e-9, 0.05, 0.5, 2.0])
def test_svd_shrink_matches_the_thin_svd(shape, relative):
    rng = np.random.default_rng(5)
    M = rng.normal(size=shape) * np.geomspace(1.0, 1e-3, shape[1])
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    threshold = relative * s[0]
    expected = (U * np.maximum(s - threshold, 0.0)) @ Vt
    np.testing.assert_allclose(svd_shrink(M, threshold), expected, atol=1e-10)


def _cvxpy_linf_prox(v, threshold, group):
    """The l1,inf prox of ``v`` by cvxpy, groups as rows of a matrix."""
    import cvxpy as cp

    T, d, q = v.shape
    rows = v.transpose(1, 0, 2).reshape(d, T * q)
    if group == "feature_output":
        rows = v.transpose(1, 2, 0).reshape(d * q, T)
    x = cp.Variable(rows.shape)
    cost = 0.5 * cp.sum_squares(x - rows) + threshold * cp.sum(cp.max(cp.abs(x), 1))
    cp.Problem(cp.Minimize(cost)).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-14, tol_gap_rel=1e-14, tol_feas=1e-14
    )
    if group == "feature_output":
        return x.value.reshape(d, q, T).transpose(2, 0, 1)
    return x.value.reshape(d, T, q).transpose(1, 0, 2)


@pytest.mark.parametrize("group", ["feature", "feature_output"])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 1.5, 100.0])
def test_l1inf_prox_matches_cvxpy(group, threshold):
    rng = np.random.default_rng(7)
    v = rng.normal(size=(4, 6, 3))
    v[:, 0] = 0.0  # an all-zero group
    v[:, 1, :] = 2.0  # ties
    ours = L1Inf(threshold / 0.5, group=group).prox(v, 0.5)
    np.testing.assert_allclose(ours, _cvxpy_linf_prox(v, threshold, group), atol=1e-8)


def test_l1_ball_projection_and_moreau_decomposition():
    rng = np.random.default_rng(8)
    v = rng.normal(size=(3, 5, 2))
    for radius in (0.0, 0.5, 2.0, 50.0):
        p = project_l1_ball(v, radius, axis=(0, 2))
        norms = np.abs(p).sum(axis=(0, 2))
        assert np.all(norms <= radius + 1e-12)
        inside = np.abs(v).sum(axis=(0, 2)) <= radius
        np.testing.assert_array_equal(p[:, inside], v[:, inside])
        np.testing.assert_allclose(norms[~inside], radius)
        # Moreau: <prox, projection> = threshold * ||prox||_inf per group.
        x = linf_shrink(v, radius, axis=(0, 2))
        np.testing.assert_allclose(x + p, v)
        inner = np.sum(x * p, axis=(0, 2))
        np.testing.assert_allclose(inner, radius * np.abs(x).max(axis=(0, 2)))


def test_l1inf_value_and_dual_norm():
    rng = np.random.default_rng(9)
    W, V = rng.normal(size=SHAPE), rng.normal(size=SHAPE)
    expected = sum(np.abs(W[:, j, :]).max() for j in range(SHAPE[1]))
    assert L1Inf(2.0).value(W) == pytest.approx(2.0 * expected)
    per_output = np.abs(W).max(axis=0).sum()
    assert L1Inf(1.0, group="feature_output").value(W) == pytest.approx(per_output)
    assert L1Inf(1.0).dual_norm(V) == pytest.approx(np.abs(V).sum(axis=(0, 2)).max())
    for pen in (L1Inf(1.0), L1Inf(1.0, group="feature_output")):
        assert np.vdot(W, V) <= pen.value(W) * pen.dual_norm(V) + 1e-12
        # The dual norm is attained: sign pattern on the largest group.
        assert pen.dual_norm(V) == pytest.approx(
            max(np.vdot(U, V) for U in _unit_linf_vertices(V, pen))
        )


def _unit_linf_vertices(V, pen):
    """Points of unit l1,inf norm putting sign(V) on one group at a time."""
    axes = pen._axes()
    sums = np.abs(V).sum(axis=axes)
    for index in np.ndindex(sums.shape):
        mask = np.zeros(sums.shape, dtype=bool)
        mask[index] = True
        mask = np.expand_dims(mask, axes) if np.ndim(axes) == 0 else mask
        if pen.group == "feature":
            mask = mask[None, :, None]
        yield np.where(mask, np.sign(V), 0.0)


def test_l1inf_fit_matches_cvxpy_objective():
    import cvxpy as cp

    from mtlsynth import FISTA, ProximalRegressor

    rng = np.random.default_rng(10)
    T, n, d = 3, 30, 8
    X = rng.normal(size=(T * n, d)) + 1.0
    tasks = np.repeat(np.arange(T), n)
    truth = np.zeros((T, d))
    truth[:, :3] = rng.normal(size=(T, 3))
    y = np.einsum("nd,nd->n", X, truth[tasks]) + 0.1 * rng.normal(size=T * n)
    alpha = 0.05
    model = ProximalRegressor(L1Inf(alpha), solver=FISTA(tol=1e-12, max_iter=50000))
    model.fit(X, y, tasks=tasks)
    assert model.certificate_ == "duality_gap"

    W = cp.Variable((T, d))
    b = cp.Variable(T)
    loss = sum(
        cp.sum_squares(y[tasks == t] - X[tasks == t] @ W[t] - b[t]) / (2 * n)
        for t in range(T)
    )
    problem = cp.Problem(cp.Minimize(loss + alpha * cp.sum(cp.max(cp.abs(W), 0))))
    problem.solve(solver=cp.CLARABEL)

    def objective(coef, intercept):
        resid = y - np.einsum("nd,nd->n", X, coef[tasks]) - intercept[tasks]
        return np.sum(resid**2) / (2 * n) + alpha * np.abs(coef).max(axis=0).sum()

    ours = objective(model.coef_, model.intercept_)
    assert ours == pytest.approx(problem.value, rel=1e-5)
    assert ours <= problem.value + 1e-7
    np.testing.assert_allclose(model.coef_, W.value, atol=1e-4)
