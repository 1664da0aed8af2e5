"""Sparse inputs give the dense path's statistics, fits and predictions."""

import numpy as np
import pytest
from scipy import sparse

from mtlsynth import SharedLeastSquares
from mtlsynth._stats import TaskStatistics, chunk_statistics

MOMENTS = ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy")


def frames(rng, n=2000, n_tasks=4, q=3):
    """One-hot blocks, sparse columns with large values and a few dense
    columns with large offsets, like speech frame features."""
    blocks = [np.eye(10)[rng.integers(0, 10, n)] for _ in range(5)]
    offset = 0.1 * rng.normal(size=(n, 3)) + 1000.0
    standard = rng.normal(size=(n, 1))
    rare = (rng.random((n, 3)) < 0.3) * rng.normal(size=(n, 3)) * 5.0
    busy = (rng.random((n, 1)) < 0.7) * (rng.normal(size=(n, 1)) + 300.0)
    X = np.hstack([*blocks, offset, standard, rare, busy, np.zeros((n, 2))])
    Y = X @ rng.normal(size=(X.shape[1], q)) + rng.normal(size=(n, q)) + 500.0
    tasks = rng.integers(0, n_tasks, n)
    tasks[-1] = n_tasks  # a task with one row
    return X, Y, tasks


def assert_same_statistics(a, b, rtol=1e-10):
    """Equal to ``rtol`` relative to each entry's scale (``sqrt(s_ii s_jj)``)."""
    for name in ("count", "weight", "mean_y"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=rtol)
    sx = np.sqrt(np.einsum("tii->ti", a.xx).clip(0))
    sy = np.sqrt(np.einsum("tii->ti", a.yy).clip(0))
    spread = sx * np.sqrt(a.weight[:, None]) / np.maximum(a.weight[:, None], 1)
    floor = rtol * max(np.abs(a.xx).max(), np.abs(a.yy).max())
    mean_scale = np.abs(a.mean_x) + spread
    assert np.all(np.abs(b.mean_x - a.mean_x) <= rtol * mean_scale + floor)
    for name, left, right in (("xx", sx, sx), ("xy", sx, sy), ("yy", sy, sy)):
        scale = left[:, :, None] * right[:, None, :]
        err = np.abs(getattr(b, name) - getattr(a, name))
        assert np.all(err <= rtol * scale + floor), name


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_statistics_equal_dense(weighted, fmt):
    rng = np.random.default_rng(0)
    X, Y, tasks = frames(rng)
    weight = rng.uniform(0.2, 2.0, len(X)) if weighted else None
    dense = chunk_statistics(X, Y, tasks, weight)
    sparse_stats = chunk_statistics(
        sparse.coo_matrix(X).asformat(fmt), Y, tasks, weight
    )
    assert_same_statistics(dense, sparse_stats)
    assert sparse_stats.n_tasks == 5 and sparse_stats.count[-1] == 1


def test_statistics_of_interleaved_rows_and_zero_weights():
    rng = np.random.default_rng(1)
    X, Y, tasks = frames(rng, n=900)
    rng.shuffle(tasks)
    weight = rng.uniform(0.0, 1.0, len(X))
    weight[tasks == 2] = 0.0
    weight[: len(X) // 3] = 0.0
    labels, codes = np.unique(tasks, return_inverse=True)
    dense = TaskStatistics.from_data(X, Y, labels, codes, weight)
    sparse_stats = TaskStatistics.from_data(
        sparse.csr_array(X), Y, labels, codes, weight
    )
    assert_same_statistics(dense, sparse_stats)
    assert sparse_stats.weight[2] == 0.0


def test_statistics_merge_and_pool_like_dense():
    rng = np.random.default_rng(2)
    X, Y, tasks = frames(rng, n=1200)
    half = len(X) // 2
    parts = [
        chunk_statistics(sparse.csr_matrix(X[rows]), Y[rows], tasks[rows])
        for rows in (slice(0, half), slice(half, None))
    ]
    merged = parts[0].merge(parts[1])
    assert_same_statistics(chunk_statistics(X, Y, tasks), merged)


def test_statistics_of_one_dense_matrix_stored_sparse():
    """Every column dense: all are centred before their products."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 6)) * [1, 10, 100, 1, 1, 1] + [0, 1e4, -1e5, 3, 0, 7]
    Y = rng.normal(size=(500, 2)) + 1e3
    tasks = np.repeat([0, 1], 250)
    assert_same_statistics(
        chunk_statistics(X, Y, tasks), chunk_statistics(sparse.csr_matrix(X), Y, tasks)
    )


def test_statistics_overflow_names_the_largest_sparse_value():
    X = sparse.csr_matrix(np.array([[1e200, 0.0], [0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="1e\\+200"):
        chunk_statistics(X, np.ones(3))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_shared_least_squares_equal_dense(fit_intercept):
    rng = np.random.default_rng(4)
    X, Y, tasks = frames(rng, n=1500)
    weight = rng.uniform(0.5, 2.0, len(X))
    model = SharedLeastSquares(0.3, 2.0, fit_intercept=fit_intercept)
    dense = model.fit(X, Y, tasks=tasks, sample_weight=weight)
    coef, intercept = dense.coef_.copy(), dense.intercept_.copy()
    pred = dense.predict(X, tasks=tasks)
    Xs = sparse.csr_matrix(X)
    fitted = SharedLeastSquares(0.3, 2.0, fit_intercept=fit_intercept).fit(
        Xs, Y, tasks=tasks, sample_weight=weight
    )
    # Without intercepts the columns of 1000 and the one-hot blocks (each
    # summing to 1) make the Gram matrices ill-conditioned: rounding in the
    # statistics moves the coefficients more than the predictions.
    rtol = 1e-7 if fit_intercept else 1e-5
    np.testing.assert_allclose(fitted.coef_, coef, rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(fitted.intercept_, intercept, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(fitted.predict(Xs, tasks=tasks), pred, rtol=1e-9)
    np.testing.assert_allclose(
        fitted.predict(sparse.csc_array(X), tasks=tasks), pred, rtol=1e-9
    )


def test_shared_least_squares_partial_fit_mixes_sparse_and_dense():
    rng = np.random.default_rng(5)
    X, Y, tasks = frames(rng, n=1000)
    whole = SharedLeastSquares(1.0, 1.0).fit(X, Y, tasks=tasks)
    model = SharedLeastSquares(1.0, 1.0)
    model.partial_fit(sparse.csr_matrix(X[:400]), Y[:400], tasks=tasks[:400])
    model.partial_fit(X[400:], Y[400:], tasks=tasks[400:])
    np.testing.assert_allclose(model.coef_, whole.coef_, rtol=1e-7, atol=1e-9)
