import numpy as np
import pytest
from scipy.io import savemat

from mtlsynth import SharedLeastSquares
from mtlsynth.datasets import (
    load_school,
    make_clustered_tasks,
    make_low_rank_tasks,
    make_outlier_tasks,
    make_related_tasks,
    make_shared_support_tasks,
)


def refit_coef(X, y, tasks):
    """Per-task least squares (nearly unpenalized) on noise-free data."""
    model = SharedLeastSquares(alpha_shared=1e10, alpha_task=1e-8).fit(
        X, y, tasks=tasks
    )
    return model.coef_


def test_related_tasks_follow_their_coefficients():
    X, y, tasks, truth = make_related_tasks(
        [40, 30],
        n_features=5,
        n_targets=2,
        noise=0.0,
        labels=["a", "b"],
        random_state=0,
    )
    assert X.shape == (70, 5) and y.shape == (70, 2)
    assert tasks.tolist() == ["a"] * 40 + ["b"] * 30
    np.testing.assert_allclose(truth["coef"], truth["shared"] + truth["task"])
    coef = refit_coef(X, y, tasks)
    np.testing.assert_allclose(coef, truth["coef"].transpose(0, 2, 1), atol=1e-6)


def test_shared_support():
    X, y, tasks, truth = make_shared_support_tasks(
        60, n_tasks=3, n_features=20, n_informative=4, noise=0.0, random_state=1
    )
    support = truth["support"]
    assert len(support) == 4
    outside = np.setdiff1d(np.arange(20), support)
    assert np.all(truth["coef"][:, outside] == 0)
    assert np.all(truth["coef"][:, support] != 0)
    np.testing.assert_allclose(refit_coef(X, y, tasks)[:, outside], 0, atol=1e-6)
    with pytest.raises(ValueError, match="n_informative"):
        make_shared_support_tasks(n_features=3, n_informative=5)


def test_shared_support_plus_task_specific_entries():
    X, y, tasks, truth = make_shared_support_tasks(
        80,
        n_tasks=4,
        n_features=12,
        n_informative=3,
        n_task_specific=2,
        noise=0.0,
        random_state=5,
    )
    coef = truth["coef"][..., 0]
    support, specific = truth["support"], truth["specific"]
    assert specific.shape == (4, 2)
    for t in range(4):
        assert not set(specific[t]) & set(support)
        expected = np.zeros(12, bool)
        expected[support] = expected[specific[t]] = True
        np.testing.assert_array_equal(coef[t] != 0, expected)
        assert np.all(np.abs(coef[t][expected]) >= 1.0)
    # the tasks do not all pick the same own features
    assert len({tuple(row) for row in specific}) > 1
    # shared features keep one sign across tasks
    assert np.all(np.abs(np.sign(coef[:, support]).sum(axis=0)) == 4)
    np.testing.assert_allclose(refit_coef(X, y, tasks), coef, atol=1e-6)
    with pytest.raises(
        ValueError,
        match=r"n_task_specific must be in \[0, n_features - n_informative = 9\]",
    ):
        make_shared_support_tasks(n_features=12, n_informative=3, n_task_specific=10)


def test_shared_support_without_specific_entries_is_unchanged():
    *_, plain = make_shared_support_tasks(30, n_features=20, random_state=6)
    *_, zero = make_shared_support_tasks(
        30, n_features=20, n_task_specific=0, random_state=6
    )
    np.testing.assert_array_equal(plain["coef"], zero["coef"])
    assert plain["specific"].shape == (4, 0)


def test_outlier_tasks():
    X, y, tasks, truth = make_outlier_tasks(
        60, n_tasks=8, n_features=10, rank=2, n_outliers=3, noise=0.0, random_state=7
    )
    coef = truth["coef"][..., 0]
    outliers = truth["outliers"]
    assert len(outliers) == 3 and np.all(np.diff(outliers) > 0)
    regular = np.delete(coef, outliers, axis=0)
    assert np.linalg.matrix_rank(regular) == 2
    assert np.linalg.matrix_rank(coef) == 5  # every outlier adds a direction
    # outliers lie outside the regular tasks' subspace
    basis = np.linalg.svd(regular)[2][:2]
    residual = coef[outliers] - coef[outliers] @ basis.T @ basis
    assert np.all(np.linalg.norm(residual, axis=1) > 1.0)
    np.testing.assert_allclose(refit_coef(X, y, tasks), coef, atol=1e-6)
    with pytest.raises(ValueError, match="n_outliers must be in \\[0, 7\\]"):
        make_outlier_tasks(n_tasks=8, n_outliers=8)
    with pytest.raises(ValueError, match="rank must be in \\[1, 2\\]"):
        make_outlier_tasks(n_tasks=4, n_outliers=2, rank=3)


def test_low_rank():
    *_, truth = make_low_rank_tasks(
        20, n_tasks=8, n_features=15, rank=3, random_state=2
    )
    stacked = truth["coef"].transpose(1, 0, 2).reshape(15, -1)
    assert np.linalg.matrix_rank(stacked) == 3
    with pytest.raises(ValueError, match="rank"):
        make_low_rank_tasks(n_tasks=2, n_features=5, rank=3)


def test_clustered():
    *_, truth = make_clustered_tasks(
        10, n_tasks=6, n_clusters=2, cluster_spread=0.05, random_state=3
    )
    coef = truth["coef"][:, :, 0]
    same = np.linalg.norm(coef[0] - coef[2])
    other = np.linalg.norm(coef[0] - coef[1])
    assert same < 0.5 * other
    assert truth["adjacency"][0, 2] == 1 and truth["adjacency"][0, 1] == 0
    assert np.all(np.diag(truth["adjacency"]) == 0)


def test_load_school_reads_malsar_layout(tmp_path):
    rng = np.random.default_rng(4)
    sizes = [5, 3, 7]
    Xs = np.empty((1, 3), dtype=object)
    Ys = np.empty((1, 3), dtype=object)
    for t, n in enumerate(sizes):
        Xs[0, t] = np.hstack([rng.normal(size=(n, 27)), np.ones((n, 1))])
        Ys[0, t] = rng.normal(size=(n, 1))
    path = tmp_path / "school.mat"
    savemat(path, {"X": Xs, "Y": Ys})
    X, y, tasks = load_school(path)
    assert X.shape == (15, 28) and y.shape == (15,)
    assert tasks.tolist() == [0] * 5 + [1] * 3 + [2] * 7
    np.testing.assert_array_equal(X[5:8], Xs[0, 1])
    np.testing.assert_array_equal(y[8:], Ys[0, 2].ravel())


def test_load_school_errors(tmp_path):
    savemat(tmp_path / "other.mat", {"A": np.ones(3)})
    with pytest.raises(ValueError, match="missing \\['X', 'Y'\\]"):
        load_school(tmp_path / "other.mat")
    (tmp_path / "junk.mat").write_bytes(b"not a mat file")
    with pytest.raises(ValueError, match="junk.mat"):
        load_school(tmp_path / "junk.mat")
