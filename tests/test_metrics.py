import numpy as np
import pytest

from mtlsynth.speech import metrics


def test_mcd_by_hand_and_c0_ignored():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(50, 25))
    pred = ref + rng.normal(0, 0.1, size=ref.shape)
    expected = np.mean(
        [
            10 / np.log(10) * np.sqrt(2 * np.sum((r[1:] - p[1:]) ** 2))
            for r, p in zip(ref, pred, strict=True)
        ]
    )
    assert metrics.mel_cepstral_distortion(ref, pred) == pytest.approx(expected)
    shifted = pred.copy()
    shifted[:, 0] += 10
    assert metrics.mel_cepstral_distortion(ref, shifted) == pytest.approx(expected)
    mask = np.arange(50) < 10
    assert metrics.mel_cepstral_distortion(ref, pred, mask=mask) == pytest.approx(
        metrics.mel_cepstral_distortion(ref[:10], pred[:10])
    )


def test_f0_measures_use_frames_voiced_in_both():
    ref = np.array([0, 100, 110, 120, 0, 130.0])
    pred = np.array([90, 102, 0, 126, 0, 128.0])
    # voiced in both: frames 1, 3, 5
    assert metrics.f0_rmse(ref, pred) == pytest.approx(np.sqrt((4 + 36 + 4) / 3))
    assert metrics.f0_correlation(ref, pred) == pytest.approx(
        np.corrcoef([100, 120, 130], [102, 126, 128])[0, 1]
    )
    assert metrics.vuv_error(ref, pred) == pytest.approx(100 * 2 / 6)
    assert metrics.vuv_error(ref, pred, mask=[False, True, True, True, True, True]) == (
        pytest.approx(20.0)
    )


def test_bap_and_duration():
    ref = np.zeros((4, 2))
    pred = np.array([[3.0, 4.0]] * 4)
    assert metrics.bap_distortion(ref, pred) == pytest.approx(0.5)
    assert metrics.duration_rmse([100, 50], [110, 40]) == pytest.approx(10.0)
    assert metrics.duration_correlation([1, 2, 3], [2, 4, 7]) > 0.98


@pytest.mark.parametrize(
    ("func", "ref", "pred", "message"),
    [
        (
            metrics.mel_cepstral_distortion,
            np.zeros((3, 4)),
            np.zeros((3, 5)),
            "same 2-D shape",
        ),
        (metrics.mel_cepstral_distortion, np.zeros(3), np.zeros(3), "same 2-D shape"),
        (metrics.f0_rmse, [0, 0, 100], [0, 100, 100], "fewer than two frames"),
        (metrics.vuv_error, [np.nan, 1], [1, 1], "NaN"),
        (metrics.duration_rmse, [], [], "no frames"),
    ],
)
def test_errors_name_the_measure(func, ref, pred, message):
    with pytest.raises(ValueError, match=message):
        func(ref, pred)


def test_mask_errors():
    with pytest.raises(ValueError, match="leaves no frame"):
        metrics.vuv_error([1, 0], [1, 1], mask=[False, False])
    with pytest.raises(ValueError, match="mask must have shape"):
        metrics.vuv_error([1, 0], [1, 1], mask=[True])
