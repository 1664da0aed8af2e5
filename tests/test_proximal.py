"""Proximal multi-task estimators against independent references."""

import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
from scipy.optimize import check_grad
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LogisticRegression, MultiTaskLasso
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlsynth import (
    FISTA,
    ProximalClassifier,
    ProximalRegressor,
    ProximalRegressorCV,
    TaskKFold,
    TaskStatistics,
    proximal_path,
)
from mtlsynth._datafits import Logistic, Quadratic
from mtlsynth.penalties import L1, L2, L21, TaskGraph, TraceNorm
from mtlsynth.utils.validation import encode_tasks

TIGHT = FISTA(tol=1e-12, max_iter=20000)
EXAMPLE = Path(__file__).parents[1] / "examples" / "plot_joint_feature_selection.py"


@pytest.fixture
def multitask_data():
    """Three tasks of different sizes sharing a sparse support, two outputs."""
    rng = np.random.default_rng(0)
    sizes, d, q = [30, 45, 25], 8, 2
    tasks = np.repeat(["a", "b", "c"], sizes)
    X = rng.normal(size=(sum(sizes), d)) + 0.3
    W = np.zeros((3, d, q))
    W[:, :3] = rng.normal(size=(3, 3, q))
    Y = np.einsum("nd,ndq->nq", X, W[encode_tasks(tasks, len(tasks))[1]])
    Y += 0.1 * rng.normal(size=Y.shape) + np.array([1.0, -2.0])
    return X, Y, tasks


def _mtl(alpha, **kw):
    return MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=100000, **kw)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_one_task_equals_multitask_lasso(multitask_data, fit_intercept):
    X, Y, _ = multitask_data
    X, Y = X - 0.3, Y - Y.mean(0)
    Xc, Yc = (X - X.mean(0), Y) if fit_intercept else (X, Y)
    alpha = 0.3 * np.linalg.norm(Xc.T @ Yc, axis=1).max() / len(X)
    ours = ProximalRegressor(L21(alpha), solver=TIGHT, fit_intercept=fit_intercept)
    ours.fit(X, Y)
    ref = _mtl(alpha, fit_intercept=fit_intercept).fit(X, Y)
    assert ours.coef_.shape == (1, 2, X.shape[1])
    np.testing.assert_allclose(ours.coef_[0], ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_[0], ref.intercept_, atol=1e-6)
    assert ours.certificate_ == "duality_gap"
    assert 0 < np.sum(np.any(ref.coef_ != 0, axis=0)) < X.shape[1]


@pytest.mark.parametrize("weighting", ["equal", "samples"])
def test_tasks_sharing_x_equal_multitask_lasso_side_by_side(weighting):
    rng = np.random.default_rng(1)
    n, d, q, T = 40, 6, 2, 3
    X = rng.normal(size=(n, d))
    Ys = [X[:, :2] @ rng.normal(size=(2, q)) + 0.2 * rng.normal(size=(n, q))]
    Ys += [Ys[0] + 0.3 * rng.normal(size=(n, q)) for _ in range(T - 1)]
    alpha = 0.08
    ours = ProximalRegressor(
        L21(alpha), solver=TIGHT, fit_intercept=False, task_weighting=weighting
    )
    ours.fit(np.tile(X, (T, 1)), np.vstack(Ys), tasks=np.repeat(np.arange(T), n))
    # Equal weighting: sum_t 1/(2n) ||Y_t - X W_t||^2 is MultiTaskLasso on
    # [Y_1 ... Y_T]; weighting by samples divides the loss by T.
    ref_alpha = alpha if weighting == "equal" else alpha * T
    ref = _mtl(ref_alpha, fit_intercept=False).fit(X, np.hstack(Ys))
    ref_coef = ref.coef_.reshape(T, q, d)
    np.testing.assert_allclose(ours.coef_, ref_coef, atol=1e-6)
    assert np.any(ref_coef == 0) and np.any(ref_coef != 0)


def test_one_task_l1_equals_lasso(multitask_data):
    X, Y, _ = multitask_data
    y = Y[:, 0]
    ours = ProximalRegressor(L1(0.05), solver=TIGHT).fit(X, y)
    ref = Lasso(alpha=0.05, tol=1e-12, max_iter=100000).fit(X, y)
    assert ours.coef_.shape == (1, X.shape[1])
    np.testing.assert_allclose(ours.coef_[0], ref.coef_, atol=1e-6)
    assert ours.intercept_[0] == pytest.approx(ref.intercept_, abs=1e-6)


@pytest.mark.parametrize("weighting", ["equal", "samples"])
def test_task_graph_alone_equals_linear_system(multitask_data, weighting):
    X, Y, tasks = multitask_data
    A = np.array([[0, 1.0, 0.5], [1.0, 0, 0], [0.5, 0, 0]])
    rho = 0.3
    model = ProximalRegressor(
        TaskGraph(rho, graph=A), solver=TIGHT, task_weighting=weighting
    )
    model.fit(X, Y, tasks=tasks)
    # Stationarity: c_t (G_t w_t - B_t) + 2 rho sum_s L_ts w_s = 0 per output,
    # with centred G_t, B_t, as one (T d) x (T d) linear system.
    labels = np.unique(tasks)
    T, d = len(labels), X.shape[1]
    Lap = np.diag(A.sum(1)) - A
    H = 2 * rho * np.kron(Lap, np.eye(d))
    rhs = np.zeros((T * d, Y.shape[1]))
    for t, label in enumerate(labels):
        Xt, Yt = X[tasks == label], Y[tasks == label]
        Xc, Yc = Xt - Xt.mean(0), Yt - Yt.mean(0)
        c = 1 / len(Xt) if weighting == "equal" else 1 / len(X)
        H[t * d : (t + 1) * d, t * d : (t + 1) * d] += c * Xc.T @ Xc
        rhs[t * d : (t + 1) * d] = c * Xc.T @ Yc
    W = np.linalg.solve(H, rhs).reshape(T, d, -1)
    np.testing.assert_allclose(model.coef_, W.transpose(0, 2, 1), atol=1e-6)
    for t, label in enumerate(labels):
        Xt, Yt = X[tasks == label], Y[tasks == label]
        b = Yt.mean(0) - Xt.mean(0) @ W[t]
        np.testing.assert_allclose(model.intercept_[t], b, atol=1e-6)


def test_quadratic_gradient_and_value(multitask_data):
    X, Y, tasks = multitask_data
    labels, codes = encode_tasks(tasks, len(tasks))
    sw = np.random.default_rng(2).uniform(0.5, 2, size=len(X))
    stats = TaskStatistics.from_data(X, Y, labels, codes, sw)
    fit = Quadratic(stats, fit_intercept=False, task_weighting="equal")
    shape = fit.shape
    W = np.random.default_rng(3).normal(size=shape)

    def raw(w):
        w = w.reshape(shape)
        loss = 0.0
        for t in range(len(labels)):
            m = codes == t
            r = Y[m] - X[m] @ w[t]
            loss += 0.5 * np.sum(sw[m, None] * r**2) / sw[m].sum()
        return loss

    assert fit.value(W) == pytest.approx(raw(W.ravel()), rel=1e-10)
    err = check_grad(raw, lambda w: fit.gradient(w.reshape(shape)).ravel(), W.ravel())
    assert err < 1e-5 * np.linalg.norm(fit.gradient(W))


def test_logistic_gradient(multitask_data):
    X, Y, tasks = multitask_data
    labels, codes = encode_tasks(tasks, len(tasks))
    y = np.where(Y[:, 0] > np.median(Y[:, 0]), 1.0, -1.0)
    sw = np.random.default_rng(4).uniform(0.5, 2, size=len(X))
    order = np.random.default_rng(5).permutation(len(X))
    fit = Logistic(
        X[order],
        y[order],
        codes[order],
        len(labels),
        sw[order],
        fit_intercept=True,
        task_weighting="samples",
    )
    shape = fit.shape
    Z = 0.3 * np.random.default_rng(6).normal(size=shape)

    def raw(z):
        z = z.reshape(shape)
        margins = np.einsum("nd,nd->n", X, z[codes, :-1, 0]) + z[codes, -1, 0]
        return np.sum(sw * np.logaddexp(0, -y * margins)) / sw.sum()

    assert fit.value(Z) == pytest.approx(raw(Z.ravel()), rel=1e-10)
    err = check_grad(raw, lambda z: fit.gradient(z.reshape(shape)).ravel(), Z.ravel())
    assert err < 1e-6


@pytest.mark.parametrize("penalty", [L21(0.1), L1(0.05)], ids=["L21", "L1"])
def test_duality_gap_below_tol_at_convergence(multitask_data, penalty):
    """An independent gap from the raw rows, at the returned solution."""
    X, Y, tasks = multitask_data
    tol = 1e-7
    model = ProximalRegressor(penalty, solver=FISTA(tol=tol, max_iter=10000))
    model.fit(X, Y, tasks=tasks)
    assert model.certificate_ == "duality_gap"
    primal, dual_terms, grads, f0 = 0.0, [], [], 0.0
    for t, label in enumerate(model.tasks_):
        Xt, Yt = X[tasks == label], Y[tasks == label]
        Xc, Yc, n_t = Xt - Xt.mean(0), Yt - Yt.mean(0), len(Xt)
        R = Yc - Xc @ model.coef_[t].T
        primal += 0.5 * np.sum(R**2) / n_t
        f0 += 0.5 * np.sum(Yc**2) / n_t
        dual_terms.append((R / n_t, Yc, n_t))
        grads.append(Xc.T @ R / n_t)
    W = model.coef_.transpose(0, 2, 1)
    primal += penalty.value(W)
    s = min(1.0, penalty.alpha / penalty.dual_norm(np.stack(grads)))
    dual = sum(
        s * np.sum(th * Yc) - 0.5 * s**2 * n_t * np.sum(th**2)
        for th, Yc, n_t in dual_terms
    )
    assert 0 <= primal - dual <= tol * f0
    assert model.gap_ <= tol * f0
    assert model.objective_history_[-1] == pytest.approx(primal, rel=1e-10)
    assert model.objective_history_[-1] <= model.objective_history_[0]


def test_trace_norm_gives_low_rank(multitask_data):
    X, Y, tasks = multitask_data
    model = ProximalRegressor(TraceNorm(0.5), solver=FISTA(tol=1e-8)).fit(
        X, Y[:, 0], tasks=tasks
    )
    s = np.linalg.svd(model.coef_.T, compute_uv=False)
    assert s[0] > 0 and np.sum(s > 1e-8 * s[0]) < len(s)
    assert model.certificate_ == "duality_gap"


def test_classifier_one_task_l2_equals_logistic_regression():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 4))
    y = np.where(X @ [1.0, -1.0, 0.5, 0] + 0.8 * rng.normal(size=120) > 0.3, "b", "a")
    alpha = 0.05
    ours = ProximalClassifier(L2(alpha), solver=FISTA(tol=1e-10, max_iter=50000))
    ours.fit(X, y)
    ref = LogisticRegression(C=1 / (alpha * len(X)), tol=1e-12, max_iter=10000)
    ref.fit(X, y)
    np.testing.assert_allclose(ours.coef_[0], ref.coef_[0], atol=1e-6)
    assert ours.intercept_[0] == pytest.approx(ref.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert ours.certificate_ == "kkt_residual"
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_classifier_multitask_joint_selection():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(400, 10))
    tasks = np.repeat([0, 1, 2, 3], 100)
    w = np.zeros((4, 10))
    w[:, :2] = rng.normal(size=(4, 2)) * 3
    y = (np.einsum("nd,nd->n", X, w[tasks]) > 0).astype(int)
    model = ProximalClassifier(L21(0.1), solver=FISTA(tol=1e-6, max_iter=5000))
    model.fit(X, y, tasks=tasks)
    support = np.flatnonzero(np.abs(model.coef_).sum(0) > 0)
    assert set(support) == {0, 1}
    assert model.score(X, y, tasks=tasks) > 0.9
    assert model.decision_function(X[:3], tasks=[0, 1, 2]).shape == (3,)


def test_partial_fit_and_warm_start(multitask_data):
    X, Y, tasks = multitask_data
    full = ProximalRegressor(L21(0.05), solver=TIGHT).fit(X, Y, tasks=tasks)
    part = ProximalRegressor(L21(0.05), solver=TIGHT)
    order = np.random.default_rng(9).permutation(len(X))
    first = order[: len(X) // 3]
    first = first[tasks[first] != "c"]  # task "c" arrives later
    rest = np.setdiff1d(order, first)
    part.partial_fit(X[first], Y[first], tasks=tasks[first])
    assert part.tasks_.tolist() == ["a", "b"]
    part.partial_fit(X[rest], Y[rest], tasks=tasks[rest])
    np.testing.assert_allclose(part.coef_, full.coef_, atol=1e-7)
    np.testing.assert_allclose(part.intercept_, full.intercept_, atol=1e-7)
    warm = ProximalRegressor(L21(0.05), solver=TIGHT, warm_start=True)
    warm.fit(X, Y, tasks=tasks)
    n_cold = warm.n_iter_
    warm.fit(X, Y, tasks=tasks)
    assert warm.n_iter_ < n_cold
    np.testing.assert_allclose(warm.coef_, full.coef_, atol=1e-7)


def test_fit_does_not_mutate_parameters(multitask_data):
    X, Y, tasks = multitask_data
    penalty, solver = L21(0.05), FISTA(tol=1e-6)
    model = ProximalRegressor(penalty, solver=solver).fit(X, Y, tasks=tasks)
    assert model.penalty is penalty and model.penalty_ is not penalty
    assert model.solver_ is not solver
    assert penalty.get_params() == {"alpha": 0.05, "group": "feature"}


def test_path_and_alpha_max(multitask_data):
    X, Y, tasks = multitask_data
    alphas, coefs, intercepts, gaps = proximal_path(
        X, Y, tasks=tasks, penalty=L21(), n_alphas=6, solver=FISTA(tol=1e-8)
    )
    assert coefs.shape == (6, 3, 2, X.shape[1]) and intercepts.shape == (6, 3, 2)
    assert np.all(np.diff(alphas) < 0)
    assert np.all(coefs[0] == 0)
    just_below = ProximalRegressor(L21(0.99 * alphas[0]), solver=TIGHT)
    just_below.fit(X, Y, tasks=tasks)
    assert np.any(just_below.coef_ != 0)
    active = [(np.abs(c).sum(axis=(0, 1)) > 0).sum() for c in coefs]
    assert active[-1] > active[1]
    one = ProximalRegressor(L21(alphas[3]), solver=TIGHT).fit(X, Y, tasks=tasks)
    np.testing.assert_allclose(coefs[3], one.coef_, atol=1e-5)
    means = [Y[tasks == t].mean(0) for t in "abc"]
    np.testing.assert_allclose(intercepts[0], means)
    with pytest.raises(ValueError, match="alphas"):
        proximal_path(X, Y, tasks=tasks, penalty=TaskGraph())


def test_cross_validation_picks_an_interior_alpha(multitask_data):
    X, Y, tasks = multitask_data
    model = ProximalRegressorCV(L21(), n_alphas=8, cv=3, n_jobs=2, solver=TIGHT)
    model.fit(X, Y, tasks=tasks)
    assert model.mse_path_.shape == (8, 3)
    assert model.alphas_[0] > model.alpha_ > model.alphas_[-1] * 0.999
    assert model.penalty_.alpha == model.alpha_
    single = ProximalRegressor(L21(model.alpha_), solver=TIGHT).fit(X, Y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, single.coef_, atol=1e-4)
    # The test error at the chosen alpha, recomputed from the folds' rows
    # (averaged over outputs, as scikit-learn's mse_path_).
    fold_mse = []
    for train, test in TaskKFold(3).split(X, tasks=tasks):
        fit = ProximalRegressor(L21(model.alpha_), solver=TIGHT)
        fit.fit(X[train], Y[train], tasks=tasks[train])
        err = (Y[test] - fit.predict(X[test], tasks=tasks[test])) ** 2
        fold_mse.append(np.mean([err[tasks[test] == t].mean() for t in "abc"]))
    best = np.flatnonzero(model.alphas_ == model.alpha_)[0]
    np.testing.assert_allclose(model.mse_path_[best], fold_mse, rtol=1e-4)


def test_grid_search_routes_tasks(multitask_data):
    X, Y, tasks = multitask_data
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            ProximalRegressor(L21()),
            {"penalty__alpha": [0.01, 0.1, 5.0]},
            cv=TaskKFold(3),
        )
        search.fit(X, Y, tasks=tasks)
    assert search.best_params_["penalty__alpha"] < 5.0
    assert search.best_estimator_.tasks_.tolist() == ["a", "b", "c"]


def test_errors_and_warnings(multitask_data):
    X, Y, tasks = multitask_data
    model = ProximalRegressor(L21(0.05)).fit(X, Y, tasks=tasks)
    with pytest.raises(ValueError, match="Unknown task"):
        model.predict(X[:2], tasks=["a", "zz"])
    with pytest.raises(ValueError, match="pass tasks"):
        model.predict(X[:2])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ProximalRegressor().fit(bad, Y, tasks=tasks)
    with pytest.raises(ValueError, match="negative"):
        ProximalRegressor().fit(X, Y, tasks=tasks, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="labels but X has"):
        ProximalRegressor().fit(X, Y, tasks=tasks[:-1])
    with pytest.raises(ValueError, match="shape"):
        ProximalRegressor(TaskGraph(graph=np.ones((2, 2)) - np.eye(2))).fit(
            X, Y, tasks=tasks
        )

    class NoProx(L1):
        prox = None

    with pytest.raises(TypeError, match="penalty.prox"):
        ProximalRegressor(NoProx()).fit(X, Y)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        ProximalRegressor(L21(0.01), solver=FISTA(max_iter=2, tol=0)).fit(X, Y)
    with pytest.raises(ValueError, match="Only binary"):
        ProximalClassifier().fit(X, np.arange(len(X)) % 3)


def test_example_script_runs(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "support" in out and "rank" in out


def _estimators():
    solver = FISTA(tol=1e-10, max_iter=5000)
    return [
        ProximalRegressor(L21(0.01), solver=solver),
        ProximalRegressor(TaskGraph(0.1) + L1(0.01), solver=solver),
        ProximalClassifier(L21(0.001), solver=solver),
        ProximalRegressorCV(n_alphas=3, cv=3, solver=FISTA(tol=1e-8)),
    ]


@parametrize_with_checks(_estimators())
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("n", [50, 900])
def test_largest_eigenvalue_is_an_upper_bound_within_1e_8(n):
    from mtlsynth._datafits import _largest_eigenvalue

    rng = np.random.default_rng(n)
    A = rng.normal(size=(n + 20, n))
    G = A.T @ A  # (Lanczos above 400 columns, LAPACK below)
    exact = np.linalg.eigvalsh(G)[-1]
    found = _largest_eigenvalue(G)
    assert exact <= found <= exact * (1 + 1e-8)
