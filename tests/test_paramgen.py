import numpy as np
import pytest

from mtlsynth.speech.paramgen import DELTA_WINDOWS, delta_features, mlpg


def window_matrix(window, n):
    """Dense window matrix with edge frames repeated, built independently."""
    W = np.zeros((n, n))
    half = len(window) // 2
    for t in range(n):
        for k, coef in enumerate(window):
            W[t, min(max(t + k - half, 0), n - 1)] += coef
    return W


def test_delta_features_match_window_matrices():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3))
    feats = delta_features(x)
    for k, window in enumerate(DELTA_WINDOWS):
        np.testing.assert_allclose(
            feats[:, 3 * k : 3 * (k + 1)], window_matrix(window, 20) @ x
        )


def test_mlpg_equals_dense_weighted_least_squares():
    rng = np.random.default_rng(1)
    n, dims = 30, 2
    means = rng.normal(size=(n, dims * 3))
    variances = rng.uniform(0.1, 2.0, size=(n, dims * 3))
    static = mlpg(means, variances)
    for d in range(dims):
        W = np.vstack([window_matrix(w, n) for w in DELTA_WINDOWS])
        mu = np.concatenate([means[:, k * dims + d] for k in range(3)])
        p = 1 / np.concatenate([variances[:, k * dims + d] for k in range(3)])
        expected = np.linalg.solve(W.T @ (p[:, None] * W), W.T @ (p * mu))
        np.testing.assert_allclose(static[:, d], expected, rtol=1e-9, atol=1e-12)


def test_mlpg_recovers_trajectory_and_smooths_noise():
    t = np.linspace(0, 2 * np.pi, 200)
    c = np.stack([np.sin(t), np.cos(3 * t)], axis=1)
    feats = delta_features(c)
    np.testing.assert_allclose(mlpg(feats, np.ones(6)), c, atol=1e-9)
    noisy = feats.copy()
    noisy[:, :2] += np.random.default_rng(2).normal(0, 0.3, size=(200, 2))
    smoothed = mlpg(noisy, np.array([1.0, 1.0, 1e-3, 1e-3, 1e-3, 1e-3]))
    assert np.mean((smoothed - c) ** 2) < 0.2 * np.mean((noisy[:, :2] - c) ** 2)


def test_single_frame_and_static_only():
    np.testing.assert_allclose(mlpg(np.array([[2.0, 0.0, 0.0]]), np.ones(3)), [[2.0]])
    x = np.arange(5.0)[:, None]
    np.testing.assert_allclose(mlpg(x, np.ones(1), windows=[[1.0]]), x)


@pytest.mark.parametrize(
    ("means", "variances", "windows", "message"),
    [
        (np.zeros((4, 5)), np.ones(5), DELTA_WINDOWS, "n_dims \\* 3"),
        (np.zeros((4, 3)), np.zeros(3), DELTA_WINDOWS, "positive"),
        (np.full((4, 3), np.nan), np.ones(3), DELTA_WINDOWS, "NaN"),
        (np.zeros((4, 2)), np.ones(2), [[1.0], [0.5, 0.5]], "odd length"),
    ],
)
def test_mlpg_errors(means, variances, windows, message):
    with pytest.raises(ValueError, match=message):
        mlpg(means, variances, windows)
