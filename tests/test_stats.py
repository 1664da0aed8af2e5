import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtlsynth import TaskStatistics
from mtlsynth._stats import task_groups


def direct(X, Y, codes, w, n_tasks):
    """Per-task weighted means and centred scatter, computed naively."""
    out = []
    for t in range(n_tasks):
        rows = codes == t
        ww = w[rows]
        mx = ww @ X[rows] / ww.sum()
        my = ww @ Y[rows] / ww.sum()
        zx, zy = X[rows] - mx, Y[rows] - my
        out.append(
            (ww.sum(), mx, my, zx.T @ (ww[:, None] * zx), zx.T @ (ww[:, None] * zy))
        )
    return out


@pytest.mark.parametrize("sorted_tasks", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_statistics_match_direct_computation(sorted_tasks, weighted, monkeypatch):
    monkeypatch.setattr("mtlsynth._stats.CHUNK_BYTES", 8 * 16 * 300)  # many chunks
    rng = np.random.default_rng(0)
    n, d, q, n_tasks = 3000, 7, 3, 4
    X = rng.normal(size=(n, d)) * 10 + 100
    Y = rng.normal(size=(n, q))
    codes = rng.integers(0, n_tasks, n)
    if sorted_tasks:
        codes = np.sort(codes)
    w = rng.uniform(0, 2, n) if weighted else np.ones(n)
    stats = TaskStatistics.from_data(X, Y, np.arange(n_tasks), codes, w)
    for t, (wt, mx, my, xx, xy) in enumerate(direct(X, Y, codes, w, n_tasks)):
        assert stats.count[t] == np.sum(codes == t)
        np.testing.assert_allclose(stats.weight[t], wt, rtol=1e-12)
        np.testing.assert_allclose(stats.mean_x[t], mx, rtol=1e-12)
        np.testing.assert_allclose(stats.mean_y[t], my, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(stats.xx[t], xx, rtol=1e-9, atol=1e-8)
        np.testing.assert_allclose(stats.xy[t], xy, rtol=1e-9, atol=1e-8)


def test_merge_equals_statistics_of_union():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(500, 4)) + 5, rng.normal(size=(500, 2))
    labels = np.array(["a", "b", "c"])
    codes = rng.integers(0, 3, 500)
    w = rng.uniform(0.5, 1.5, 500)
    whole = TaskStatistics.from_data(X, Y, labels, codes, w)
    first = TaskStatistics.from_data(
        X[:200], Y[:200], labels[:2], codes[:200] % 2, w[:200]
    )
    rest = TaskStatistics.from_data(X[200:], Y[200:], labels, codes[200:], w[200:])
    fix = TaskStatistics.from_data(X[:200], Y[:200], labels, codes[:200], w[:200])
    merged = fix.merge(rest)
    for name in ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy"):
        np.testing.assert_allclose(getattr(merged, name), getattr(whole, name), 1e-11)
    assert first.merge(rest).labels.tolist() == ["a", "b", "c"]


def test_union_of_many_batches_equals_statistics_of_all_rows_and_copies():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(600, 5)) + 3, rng.normal(size=(600, 2))
    labels = np.array(["a", "b", "c", "d"])
    codes = rng.integers(0, 4, 600)
    w = rng.uniform(0.5, 1.5, 600)
    whole = TaskStatistics.from_data(X, Y, labels, codes, w)
    batches = []
    for rows in np.array_split(np.arange(600), 5):
        present = np.unique(codes[rows])  # each batch has its own tasks
        batches.append(
            TaskStatistics.from_data(
                X[rows],
                Y[rows],
                labels[present],
                np.searchsorted(present, codes[rows]),
                w[rows],
            )
        )
    before = [b.xx.copy() for b in batches]
    union = TaskStatistics.union(batches)
    assert union.labels.tolist() == labels.tolist()
    for name in ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy"):
        np.testing.assert_allclose(getattr(union, name), getattr(whole, name), 1e-11)
    for b, xx in zip(batches, before, strict=True):  # inputs untouched
        np.testing.assert_array_equal(b.xx, xx)
    alone = TaskStatistics.union(batches[:1])
    assert alone is not batches[0] and not np.shares_memory(alone.xx, batches[0].xx)


def test_gram_uncentered_is_raw_products():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(50, 3)) + 1, rng.normal(size=(50, 2))
    stats = TaskStatistics.from_data(X, Y, np.array([0]), np.zeros(50, int))
    G, B = stats.gram(centered=False)
    np.testing.assert_allclose(G[0], X.T @ X, rtol=1e-12)
    np.testing.assert_allclose(B[0], X.T @ Y, rtol=1e-12)
    np.testing.assert_allclose(stats.target_scatter(centered=False)[0], Y.T @ Y, 1e-12)


def test_merge_rejects_mismatched_shapes():
    a = TaskStatistics.zeros(np.array([0]), 3, 1)
    with pytest.raises(ValueError, match="features"):
        a.merge(TaskStatistics.zeros(np.array([0]), 4, 1))
    with pytest.raises(ValueError, match="outputs"):
        a.merge(TaskStatistics.zeros(np.array([0]), 3, 2))


def test_task_groups_cover_every_row_once():
    codes = np.array([2, 0, 2, 1, 0])
    groups = task_groups(codes, 4)
    assert [np.asarray(g).tolist() for g in groups] == [[1, 4], [3], [0, 2], []]
    sorted_groups = task_groups(np.array([0, 0, 1, 3]), 4)
    assert sorted_groups == [slice(0, 2), slice(2, 3), slice(3, 3), slice(3, 4)]


def test_statistics_do_not_depend_on_the_number_of_threads(monkeypatch):
    from threadpoolctl import threadpool_limits

    monkeypatch.setattr("mtlsynth._stats.CHUNK_BYTES", 8 * 16 * 200)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(4000, 6)) + 3, rng.normal(size=(4000, 2))
    codes = rng.integers(0, 3, 4000)
    threaded = TaskStatistics.from_data(X, Y, np.arange(3), codes)
    with threadpool_limits(1):
        serial = TaskStatistics.from_data(X, Y, np.arange(3), codes)
    for name in ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy"):
        np.testing.assert_allclose(
            getattr(threaded, name), getattr(serial, name), 1e-12
        )


@settings(max_examples=40, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 59), max_size=4, unique=True),
    seed=st.integers(0, 2**16),
    offset=st.sampled_from([0.0, 1e3, -1e5]),
)
def test_merging_any_chunking_equals_the_whole(cuts, seed, offset):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 3)) + offset
    Y = rng.normal(size=(60, 2))
    labels = np.array(["a", "b", "c"])
    codes = rng.integers(0, 3, 60)
    w = rng.uniform(0.1, 2.0, 60)
    whole = TaskStatistics.from_data(X, Y, labels, codes, w)
    parts = np.split(np.arange(60), sorted(cuts))
    merged = None
    for rows in parts:
        present = np.unique(codes[rows])
        batch = TaskStatistics.from_data(
            X[rows],
            Y[rows],
            labels[present],
            np.searchsorted(present, codes[rows]),
            w[rows],
        )
        merged = batch if merged is None else merged.merge(batch)
    assert merged.labels.tolist() == whole.labels.tolist()
    for name in ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy"):
        scale = np.abs(getattr(whole, name)).max() + 1.0
        np.testing.assert_allclose(
            getattr(merged, name), getattr(whole, name), rtol=1e-9, atol=1e-9 * scale
        )


def test_pooled_statistics_equal_those_of_one_task():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(200, 4)) + 5.0, rng.normal(size=(200, 2))
    codes = rng.integers(0, 3, size=200)
    stats = TaskStatistics.from_data(X, Y, np.arange(3), codes)
    pooled = stats.pooled(7)
    one = TaskStatistics.from_data(X, Y, np.array([7]), np.zeros(200, dtype=int))
    assert pooled.labels.tolist() == [7]
    for name in ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy"):
        np.testing.assert_allclose(getattr(pooled, name), getattr(one, name))


@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("scale", [1e160, 1e300])
def test_overflowing_sums_of_squares_are_refused_clearly(where, scale):
    from mtlsynth import ProximalRegressor, SharedLeastSquares
    from mtlsynth.penalties import L21

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = X @ rng.normal(size=(4, 2))
    tasks = np.repeat(["a", "b"], 30)
    if where == "X":
        X = X * scale
    else:
        Y = Y * scale
    for model in (SharedLeastSquares(), ProximalRegressor(L21(0.1))):
        with pytest.raises(ValueError, match="overflow float64.*StandardScaler"):
            model.fit(X, Y, tasks=tasks)


def test_large_but_finite_sums_of_squares_fit_exactly():
    from mtlsynth import SharedLeastSquares

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = X @ rng.normal(size=(4, 2))
    tasks = np.repeat(["a", "b"], 30)
    model = SharedLeastSquares().fit(X * 1e150, Y, tasks=tasks)
    np.testing.assert_allclose(model.predict(X * 1e150, tasks=tasks), Y, atol=1e-9)


def test_adding_in_place_equals_merging():
    rng = np.random.default_rng(3)
    labels = np.array(["a", "b", "c"])
    total = TaskStatistics.zeros(labels, 4, 2)
    merged = None
    for size, tasks in ((30, ["a", "b"]), (20, ["c"]), (25, ["a", "b", "c"])):
        X = rng.normal(size=(size, 4)) + 5.0
        Y = rng.normal(size=(size, 2))
        t = rng.choice(tasks, size=size)
        names, codes = np.unique(t, return_inverse=True)
        batch = TaskStatistics.from_data(X, Y, names, codes)
        before = id(total.xx)
        assert total.add(batch) is total and id(total.xx) == before
        merged = batch if merged is None else merged.merge(batch)
    for name in ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy"):
        np.testing.assert_allclose(
            getattr(total, name), getattr(merged, name), rtol=1e-12, atol=1e-10
        )
    stranger = TaskStatistics.zeros(np.array(["d"]), 4, 2)
    with pytest.raises(ValueError, match=r"tasks \['d'\]"):
        total.add(stranger)
    with pytest.raises(ValueError, match="features"):
        total.add(TaskStatistics.zeros(labels, 3, 2))


@pytest.mark.parametrize("n_features, sparse_rows", [(0, False), (3, False), (3, True)])
def test_rows_added_in_batches_give_the_statistics_of_all_rows(n_features, sparse_rows):
    from scipy import sparse

    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, n_features)) * (rng.random((50, n_features)) < 0.4)
    X, Y = (
        X + 5.0 * (n_features > 0) * (np.arange(n_features) == 0),
        rng.normal(size=(50, 2)),
    )
    codes = np.repeat([0, 1], 25)
    rows = sparse.csr_matrix(X) if sparse_rows else X
    stats = TaskStatistics.zeros(np.array([0, 1]), n_features, 2)
    for part in (slice(0, 20), slice(20, 35), slice(35, 50)):
        stats.add_rows(rows[part], Y[part], codes[part])
    whole = TaskStatistics.from_data(X, Y, np.array([0, 1]), codes)
    for name in ("mean_x", "mean_y", "xx", "xy", "yy"):
        np.testing.assert_allclose(
            getattr(stats, name), getattr(whole, name), rtol=1e-10, atol=1e-10
        )
    assert list(stats.count) == [25, 25]
