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
from mtlsynth.penalties import (
    L1,
    L2,
    L21,
    Decomposed,
    L1Inf,
    SumPenalty,
    TaskGraph,
    TraceNorm,
)

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


def _fit_problem(seed=10, T=4, n=30, d=8):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T * n, d)) + 1.0
    tasks = np.repeat(np.arange(T), n)
    truth = rng.normal(size=(T, d))
    truth[1] = truth[0]
    y = np.einsum("nd,nd->n", X, truth[tasks]) + 0.1 * rng.normal(size=T * n)
    return X, y, tasks


def _cvxpy_fit(X, y, tasks, regularizers):
    """The squared loss (tasks weighted equally) plus a penalty per component."""
    import cvxpy as cp

    T, d = len(np.unique(tasks)), X.shape[1]
    parts = [cp.Variable((T, d)) for _ in regularizers]
    W, b = sum(parts), cp.Variable(T)
    loss = sum(
        cp.sum_squares(y[tasks == t] - X[tasks == t] @ W[t] - b[t])
        / (2 * np.sum(tasks == t))
        for t in range(T)
    )
    cost = loss + sum(r(p) for r, p in zip(regularizers, parts, strict=True))
    problem = cp.Problem(cp.Minimize(cost))
    problem.solve(solver=cp.CLARABEL)
    return problem.value


def _loss(model, X, y, tasks):
    resid = y - np.einsum("nd,nd->n", X, model.coef_[tasks]) - model.intercept_[tasks]
    return sum(np.mean(resid[tasks == t] ** 2) / 2 for t in np.unique(tasks))


def _cp_l1(a):
    import cvxpy as cp

    return lambda W: a * cp.sum(cp.abs(W))


def _cp_trace(a):
    import cvxpy as cp

    return lambda W: a * cp.normNuc(W)


def _cp_l21(a, axis):
    import cvxpy as cp

    return lambda W: a * cp.sum(cp.norm(W, 2, axis=axis))


def _cp_l1inf(a):
    import cvxpy as cp

    return lambda W: a * cp.sum(cp.max(cp.abs(W), 0))


@pytest.mark.parametrize(
    "penalty, reference",
    [
        (L1(0.05) + TraceNorm(0.2), [lambda W: _cp_l1(0.05)(W) + _cp_trace(0.2)(W)]),
        (L1(0.05) + L21(0.2), [lambda W: _cp_l1(0.05)(W) + _cp_l21(0.2, 0)(W)]),
    ],
    ids=["sparse+low-rank", "sparse-group"],
)
def test_sum_of_nonsmooth_penalties_matches_cvxpy(penalty, reference):
    from mtlsynth import FISTA, ProximalRegressor

    X, y, tasks = _fit_problem()
    solver = FISTA(tol=1e-10, max_iter=20000)
    model = ProximalRegressor(penalty, solver=solver).fit(X, y, tasks=tasks)
    assert model.certificate_ == "duality_gap" and model.gap_ < 1e-8
    ours = _loss(model, X, y, tasks) + penalty.value(model.coef_[:, :, None])
    theirs = _cvxpy_fit(X, y, tasks, reference)
    assert ours == pytest.approx(theirs, rel=1e-5)
    assert ours <= theirs + 1e-7


def test_sum_with_smooth_and_two_nonsmooth_terms_matches_cvxpy():
    import cvxpy as cp

    from mtlsynth import FISTA, ProximalRegressor

    X, y, tasks = _fit_problem(seed=11)
    penalty = L2(0.3) + L1(0.05) + TraceNorm(0.1)
    assert isinstance(penalty.smooth, L2) and len(penalty.nonsmooth) == 2
    solver = FISTA(tol=1e-10, max_iter=20000)
    model = ProximalRegressor(penalty, solver=solver).fit(X, y, tasks=tasks)
    assert model.certificate_ == "kkt_residual"
    ours = _loss(model, X, y, tasks) + penalty.value(model.coef_[:, :, None])
    theirs = _cvxpy_fit(
        X,
        y,
        tasks,
        [lambda W: 0.15 * cp.sum_squares(W) + _cp_l1(0.05)(W) + _cp_trace(0.1)(W)],
    )
    assert ours == pytest.approx(theirs, rel=1e-5)


def test_prox_of_a_sum_minimizes_its_objective():
    import cvxpy as cp

    rng = np.random.default_rng(12)
    v = rng.normal(size=(3, 4, 1))
    pen = L1(0.3) + TraceNorm(0.5) + L21(0.2)
    ours = pen.prox(v, 0.8)
    x = cp.Variable((4, 3))
    M = v[:, :, 0].T
    cost = 0.5 * cp.sum_squares(x - M) + 0.8 * (
        0.3 * cp.sum(cp.abs(x)) + 0.5 * cp.normNuc(x) + 0.2 * cp.sum(cp.norm(x, 2, 1))
    )
    cp.Problem(cp.Minimize(cost)).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10
    )
    np.testing.assert_allclose(ours[:, :, 0].T, x.value, atol=1e-6)


def test_sum_with_a_zero_term_is_the_other_term():
    from mtlsynth import FISTA, ProximalRegressor

    X, y, tasks = _fit_problem(seed=13)
    solver = FISTA(tol=1e-10, max_iter=20000)
    both = ProximalRegressor(L1(0.05) + TraceNorm(0.0), solver=solver)
    alone = ProximalRegressor(L1(0.05), solver=solver)
    both.fit(X, y, tasks=tasks)
    alone.fit(X, y, tasks=tasks)
    assert both.certificate_ == "duality_gap"
    np.testing.assert_allclose(both.coef_, alone.coef_, atol=1e-6)


def test_sum_penalty_parameters_by_name():
    from mtlsynth import ProximalRegressor

    pen = L1(0.1) + TraceNorm(0.2) + L1(0.3)
    assert [type(p) for p in pen.nonsmooth] == [L1, TraceNorm, L1]
    params = pen.get_params()
    assert params["l1-1__alpha"] == 0.1 and params["l1-2__alpha"] == 0.3
    model = ProximalRegressor(pen).set_params(penalty__tracenorm__alpha=0.7)
    assert pen.nonsmooth[1].alpha == 0.7
    copy = clone(model)
    assert copy.penalty.nonsmooth[1].alpha == 0.7
    assert copy.penalty.nonsmooth[1] is not pen.nonsmooth[1]
    named = SumPenalty(nonsmooth=[("sparse", L1(0.1)), ("low", TraceNorm(0.2))])
    named.set_params(low=TraceNorm(0.4), sparse__alpha=0.2)
    assert named.get_params()["low__alpha"] == 0.4
    assert named.get_params()["sparse__alpha"] == 0.2
    with pytest.raises(ValueError, match="nonsmooth"):
        SumPenalty(nonsmooth=[L1(), L2()])._validate_params()


def test_l21_task_groups():
    rng = np.random.default_rng(14)
    W = rng.normal(size=SHAPE)
    pen = L21(0.5, group="task")
    norms = np.linalg.norm(W.reshape(SHAPE[0], -1), axis=1)
    assert pen.value(W) == pytest.approx(0.5 * norms.sum())
    assert pen.dual_norm(W) == pytest.approx(norms.max())
    threshold = np.sort(norms)[1]
    shrunk = L21(threshold, group="task").prox(W, 1.0)
    kept = norms > threshold
    assert np.all(shrunk[~kept] == 0)
    np.testing.assert_allclose(
        shrunk[kept], W[kept] * (1 - threshold / norms[kept])[:, None, None]
    )


@pytest.mark.parametrize(
    "penalty, reference",
    [
        (Decomposed([L1Inf(0.1), L1(0.05)]), [_cp_l1inf(0.1), _cp_l1(0.05)]),
        (
            Decomposed([TraceNorm(0.1), L21(0.05, group="task")]),
            [_cp_trace(0.1), _cp_l21(0.05, 1)],
        ),
    ],
    ids=["dirty", "robust"],
)
def test_decomposed_matches_cvxpy(penalty, reference):
    from mtlsynth import FISTA, ProximalRegressor

    X, y, tasks = _fit_problem(seed=15)
    solver = FISTA(tol=1e-10, max_iter=20000)
    model = ProximalRegressor(penalty, solver=solver).fit(X, y, tasks=tasks)
    assert model.certificate_ == "duality_gap" and model.gap_ < 1e-8
    assert model.coef_components_.shape == (2,) + model.coef_.shape
    np.testing.assert_allclose(model.coef_components_.sum(axis=0), model.coef_)
    ours = _loss(model, X, y, tasks) + penalty.value(model.coef_components_[..., None])
    theirs = _cvxpy_fit(X, y, tasks, reference)
    assert ours == pytest.approx(theirs, rel=1e-5)
    assert ours <= theirs + 1e-7


def test_decomposed_facts():
    from mtlsynth import FISTA, ProximalClassifier, ProximalRegressor

    X, y, tasks = _fit_problem(seed=16)
    solver = FISTA(tol=1e-10, max_iter=20000)

    def fit(penalty):
        return ProximalRegressor(penalty, solver=solver).fit(X, y, tasks=tasks)

    # Two lasso components are the lasso with the smaller penalty.
    twice = fit(Decomposed([L1(0.08), L1(0.05)]))
    np.testing.assert_allclose(twice.coef_, fit(L1(0.05)).coef_, atol=1e-6)
    # An outlier part that costs too much stays empty.
    robust = fit(Decomposed([TraceNorm(0.1), L21(1e6, group="task")]))
    assert np.all(robust.coef_components_[1] == 0)
    np.testing.assert_allclose(robust.coef_, fit(TraceNorm(0.1)).coef_, atol=1e-6)
    # The classifier decomposes too, and its warm start reuses the components.
    labels = y > np.median(y)
    classifier = ProximalClassifier(
        Decomposed([L1(0.02), L1(0.01)]), solver=FISTA(tol=1e-9, max_iter=20000)
    ).fit(X, labels, tasks=tasks)
    plain = ProximalClassifier(L1(0.01), solver=FISTA(tol=1e-9, max_iter=20000))
    np.testing.assert_allclose(
        classifier.coef_, plain.fit(X, labels, tasks=tasks).coef_, atol=1e-4
    )
    classifier.set_params(warm_start=True).fit(X, labels, tasks=tasks)
    assert classifier.n_iter_ <= 10
    # A plain refit forgets the components.
    model = fit(Decomposed([L1(0.08), L1(0.05)])).set_params(penalty=L1(0.05))
    assert not hasattr(model.fit(X, y, tasks=tasks), "coef_components_")


def test_decomposed_parameters_and_errors():
    from mtlsynth import ProximalRegressor

    pen = Decomposed([L1Inf(0.1), L1(0.05)])
    model = ProximalRegressor(pen).set_params(penalty__l1inf__alpha=0.3)
    assert clone(model).penalty.get_params()["l1inf__alpha"] == 0.3
    V = np.random.default_rng(17).normal(size=SHAPE)
    expected = max(L1Inf(1.0).dual_norm(V) / 0.3, L1(1.0).dual_norm(V) / 0.05)
    assert pen.dual_gauge(V) == pytest.approx(expected)
    with pytest.raises(ValueError, match="components stacked"):
        pen.value(V)
    X, y, tasks = _fit_problem(seed=18)
    with pytest.raises(ValueError, match="at least one component"):
        ProximalRegressor(Decomposed()).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="lacks"):
        ProximalRegressor(Decomposed([L1(), L2()])).fit(X, y, tasks=tasks)
