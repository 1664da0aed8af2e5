"""Sparse inputs give the dense path's statistics, fits and predictions."""

from itertools import product

import numpy as np
import pytest
from scipy import sparse, special

from mtlsynth import MaxEntClassifier, SharedLeastSquares
from mtlsynth._maxent import _merge_sparse_rows, _Rows, maxent_loss_grad
from mtlsynth._stats import (
    TaskStatistics,
    chunk_statistics,
    csr_from_dense,
    csr_row_block,
    csr_transpose,
    task_groups,
)

TIGHT = {"tol": 1e-10, "max_iter": 5000}

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


@pytest.mark.parametrize("start, stop", [(0, 0), (0, 7), (3, 11), (11, 20), (20, 20)])
def test_a_block_of_rows_is_the_slice_without_a_copy(start, stop):
    X = sparse.random(20, 9, density=0.3, format="csr", random_state=1)
    block = csr_row_block(X, start, stop)
    assert block.shape == (stop - start, 9)
    np.testing.assert_array_equal(block.toarray(), X[start:stop].toarray())
    assert block.nnz == 0 or np.shares_memory(block.data, X.data)
    # products see the same rows (the scatter's blocks are such products)
    np.testing.assert_allclose(
        (block.T @ block).toarray(), (X[start:stop].T @ X[start:stop]).toarray()
    )
    # and so does its transpose, which shares the arrays too
    flipped = csr_transpose(block)
    np.testing.assert_array_equal(flipped.toarray(), X[start:stop].toarray().T)
    assert block.nnz == 0 or np.shares_memory(flipped.data, X.data)
    vector = np.arange(stop - start, dtype=float)
    np.testing.assert_allclose(flipped @ vector, X[start:stop].T @ vector)


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


def labelled_frames(rng, n=1200, n_classes=3, distinct=None):
    """Classes drawn from a softmax of the frame features; ``distinct`` rows
    per task repeated (categorical inputs) if given."""
    X, _, tasks = frames(rng, n=n)
    # The one-hot blocks and two dense columns; no task of one row (its
    # absent classes would have intercepts going to -inf).
    X = np.hstack([X[:, :50], 0.1 * rng.normal(size=(n, 2))])
    tasks[-1] = 0
    if distinct is not None:
        X = X[rng.integers(0, distinct, n)]
    X[:, -1] = np.where(rng.random(n) < 0.5, 0.0, X[:, -1])
    W = rng.normal(size=(X.shape[1], n_classes))
    P = special.softmax(X @ W, axis=1)
    y = (P.cumsum(axis=1) > rng.random(n)[:, None]).argmax(axis=1)
    return X, y, tasks


def assert_same_fit(a, b):
    """Equal coefficients at L-BFGS's tolerance: with ``tol=1e-10`` dense fits
    of the same rows in other orders differ by up to about 2e-6 of the
    largest coefficient."""
    scale = 1e-5 * max(np.abs(a.coef_).max(), np.abs(a.intercept_).max())
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=0, atol=scale)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=0, atol=scale)


def fit_both(X, y, tasks, weight=None, **params):
    dense = MaxEntClassifier(**TIGHT, **params).fit(X, y, tasks, weight)
    fitted = MaxEntClassifier(**TIGHT, **params).fit(
        sparse.csr_matrix(X), y, tasks, weight
    )
    return dense, fitted


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "params",
    [{}, {"fit_intercept": False}, {"shrink_intercepts": True, "alpha_task": 0.3}],
)
def test_maxent_equals_dense(n_classes, params):
    rng = np.random.default_rng(6)
    X, y, tasks = labelled_frames(rng, n_classes=n_classes)
    weight = rng.uniform(0.5, 2.0, len(y))
    dense, fitted = fit_both(X, y, tasks, weight, merge_duplicates=False, **params)
    assert_same_fit(dense, fitted)
    Xs = sparse.csr_matrix(X)
    for method in ("decision_function", "predict_proba", "predict_log_proba"):
        expected = getattr(dense, method)(X, tasks=tasks)
        np.testing.assert_allclose(
            getattr(fitted, method)(Xs, tasks=tasks),
            expected,
            rtol=0,
            atol=1e-5 * np.abs(expected).max(),
        )
    np.testing.assert_array_equal(
        fitted.predict(sparse.coo_matrix(X), tasks=tasks), dense.predict(X, tasks)
    )


@pytest.mark.parametrize("sort", [True, False])
def test_solver_rows_are_views_with_the_squares_of_dense_rows(sort):
    rng = np.random.default_rng(9)
    X, y, tasks = labelled_frames(rng, n=600)
    tasks = np.sort(tasks) if sort else tasks
    C = np.vstack([rng.uniform(0.5, 2.0, len(y)) * (y == k) for k in (0, 1)])
    groups = task_groups(tasks, tasks.max() + 1)
    dense = _Rows(X, C, groups, None)
    rows = _Rows(sparse.csr_matrix(X), C, groups, None)
    np.testing.assert_allclose(rows.task_squares, dense.task_squares, rtol=1e-12)
    expected = [(X[g] ** 2).T @ C[:, g].sum(0) for g in groups]
    np.testing.assert_allclose(rows.task_squares * rows.total, expected, rtol=1e-12)
    for g, block in zip(groups, rows.blocks, strict=True):
        np.testing.assert_array_equal(block.toarray(), X[g])
        assert np.shares_memory(block.data, rows.X.data) == sort


@pytest.mark.parametrize("merge", [True, "auto"])
def test_maxent_merged_sparse_rows_equal_dense(merge):
    rng = np.random.default_rng(7)
    X, y, tasks = labelled_frames(rng, n=1500, distinct=40)
    rng.shuffle(tasks)
    dense, fitted = fit_both(X, y, tasks, merge_duplicates=merge)
    reference = MaxEntClassifier(merge_duplicates=False, **TIGHT).fit(X, y, tasks)
    assert_same_fit(dense, fitted)
    assert_same_fit(reference, fitted)


def test_sparse_rows_merge_exactly_and_by_task():
    rng = np.random.default_rng(8)
    rows = sparse.random(5, 30, density=0.2, random_state=9, format="csr")
    pick = rng.integers(0, 5, 200)
    X = rows[pick]
    codes = np.sort(rng.integers(0, 3, 200))
    y_code = rng.integers(0, 2, 200)
    weight = rng.uniform(0.5, 1.5, 200)
    merged, merged_codes, C = _merge_sparse_rows(X, codes, y_code, weight, 2)
    assert merged.shape[0] == len(np.unique(np.column_stack([codes, pick]), axis=0))
    assert np.all(np.diff(merged_codes) >= 0)
    np.testing.assert_allclose(C.sum(), weight.sum())
    dense_rows, dense_merged = X.toarray(), merged.toarray()
    for r in range(merged.shape[0]):
        same = (codes == merged_codes[r]) & np.all(
            dense_rows == dense_merged[r], axis=1
        )
        for k in range(2):
            expected = weight[same & (y_code == k)].sum()
            np.testing.assert_allclose(C[k, r], expected)


@pytest.mark.parametrize("intercept", ["none", "free", "shrunk"])
def test_loss_and_gradient_equal_dense(intercept):
    rng = np.random.default_rng(10)
    X, y, tasks = labelled_frames(rng, n=300)
    order = np.argsort(tasks, kind="stable")
    X, y, codes = X[order], y[order], tasks[order]
    C = np.zeros((3, len(y)))
    C[y, np.arange(len(y))] = rng.uniform(0.1, 3.0, len(y))
    groups = task_groups(codes, 4)
    extra = {"none": 0, "free": 4 * 3, "shrunk": 5 * 3}[intercept]
    theta = rng.normal(size=5 * X.shape[1] * 3 + extra)
    args = (C, groups, 0.7, 1.3)
    value, grad = maxent_loss_grad(theta, X, *args, m=3, intercept=intercept)
    Xs = sparse.csr_matrix(X)
    # one task after another, and tasks side by side on two threads
    for threads, blocks in product((1, 2), (None, [Xs[rows] for rows in groups])):
        got = maxent_loss_grad(
            theta, Xs, *args, m=3, intercept=intercept, blocks=blocks, n_threads=threads
        )
        np.testing.assert_allclose(got[0], value, rtol=1e-12)
        np.testing.assert_allclose(got[1], grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_statistics_of_many_column_blocks_equal_dense(weighted, threads, monkeypatch):
    # blocks and products with the targets run side by side on the threads
    monkeypatch.setattr("mtlsynth._stats.SCATTER_BLOCK", 7)
    monkeypatch.setattr("mtlsynth._stats.blas_thread_count", lambda: threads)
    rng = np.random.default_rng(4)
    X, Y, tasks = frames(rng, n=700)
    weight = rng.uniform(0.2, 2.0, len(X)) if weighted else None
    assert_same_statistics(
        chunk_statistics(X, Y, tasks, weight),
        chunk_statistics(sparse.csr_matrix(X), Y, tasks, weight),
    )


@pytest.mark.parametrize("shape", [(0, 4), (3, 0), (1, 1), (40, 17)])
def test_csr_from_dense_is_scipys_conversion(shape):
    rng = np.random.default_rng(6)
    X = (rng.random(shape) < 0.3) * rng.normal(size=shape)
    if X.size > 100:
        X[5] = 0.0  # an empty row
        X[7, 3], X[8, 4], X[9, 0] = -0.0, np.nan, np.inf  # -0 is a zero
    got = csr_from_dense(X)
    want = sparse.csr_matrix(X)
    assert got.shape == want.shape and got.has_canonical_format
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
    np.testing.assert_array_equal(got.data, want.data)
    np.testing.assert_array_equal(csr_from_dense(X[:, ::2]).toarray(), X[:, ::2])


@pytest.mark.parametrize("sparse_rows", [False, True])
def test_adding_rows_makes_no_array_of_the_size_of_a_scatter(sparse_rows, monkeypatch):
    import tracemalloc

    monkeypatch.setattr("mtlsynth._stats.SCATTER_BLOCK", 64)
    monkeypatch.setattr("mtlsynth._stats.CHUNK_BYTES", 1 << 16)
    rng = np.random.default_rng(5)
    n, d = 2000, 600
    X = (rng.random((n, d)) < 0.03) * rng.normal(size=(n, d))
    X[:, 0] = 5.0 + rng.normal(size=n)  # a dense column, shifted
    Y = rng.normal(size=(n, 2))
    codes = np.sort(rng.integers(0, 2, n))
    rows = sparse.csr_matrix(X) if sparse_rows else X
    stats = TaskStatistics.zeros(np.arange(2), d, 2)
    tracemalloc.start()
    stats.add_rows(rows, Y, codes)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < d * d * 8  # the rows and a few blocks, not a d x d scatter
    assert_same_statistics(chunk_statistics(X, Y, codes), stats)
