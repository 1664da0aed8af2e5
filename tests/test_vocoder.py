import math

import numpy as np
import pytest

from mtlsynth.speech import vocoder
from mtlsynth.speech.vocoder import (
    VocoderFeatures,
    analyze,
    default_alpha,
    envelope_from_mcep,
    mcep_from_envelope,
    synthesize,
)


def _f0_track(t):
    return 120.0 * (1.0 + 0.1 * np.sin(2 * np.pi * 1.5 * t))


def _harmonic_signal(fs, seconds=0.6):
    """Harmonics up to Nyquist with a smooth formant-like envelope."""
    t = np.arange(int(fs * seconds)) / fs
    f0 = _f0_track(t)
    phase = 2 * np.pi * np.cumsum(f0) / fs
    x = np.zeros_like(t)
    for k in range(1, int(fs / 2 / 100)):
        fk = k * f0
        amp = 0.02 + sum(
            a / np.sqrt(1 + ((fk - c) / bw) ** 2)
            for c, bw, a in [(500, 80, 1.0), (1500, 120, 0.5), (2500, 200, 0.3)]
        )
        x += np.where(fk < fs / 2 - 200, amp * np.sin(k * phase), 0.0)
    return 0.3 * x / np.abs(x).max()


def _mcd(a, b):
    d = a[:, 1:] - b[:, 1:]
    return 10.0 / math.log(10.0) * np.sqrt(2.0 * np.sum(d * d, axis=1))


def test_default_alpha_table_and_interpolation():
    assert default_alpha(16000) == pytest.approx(0.41)
    assert default_alpha(22050) == pytest.approx(0.455)
    assert default_alpha(44100) == pytest.approx(0.55)
    assert default_alpha(48000) == pytest.approx(0.55)
    a = default_alpha(20000)
    assert default_alpha(16000) < a < default_alpha(22050)
    assert default_alpha(1000) == default_alpha(8000)
    with pytest.raises(ValueError, match="positive"):
        default_alpha(0)


def test_freqt_identity_and_inverse():
    assert np.allclose(vocoder._freqt_matrix(0.0, 12, 6), np.eye(12)[:, :6])
    rng = np.random.default_rng(0)
    c = rng.normal(size=40) * np.exp(-np.arange(40) / 5.0)
    warped = c @ vocoder._freqt_matrix(0.42, 40, 300)
    back = warped @ vocoder._freqt_matrix(-0.42, 300, 40)
    np.testing.assert_allclose(back, c, atol=1e-10)


def test_envelope_matches_warped_definition():
    """0.5 log P(w) = sum_m c(m) cos(m b(w)) with the all-pass warped b(w)."""
    rng = np.random.default_rng(1)
    alpha, fft_size = 0.455, 1024
    mc = rng.normal(size=(3, 25)) * np.exp(-np.arange(25) / 6.0)
    sp = envelope_from_mcep(mc, alpha=alpha, fft_size=fft_size)
    w = np.linspace(0, np.pi, fft_size // 2 + 1)
    b = w + 2 * np.arctan(alpha * np.sin(w) / (1 - alpha * np.cos(w)))
    direct = mc @ np.cos(np.outer(np.arange(25), b))
    np.testing.assert_allclose(0.5 * np.log(sp), direct, atol=1e-9)


@pytest.mark.parametrize("alpha", [0.0, 0.41, 0.55])
def test_mcep_envelope_round_trip(alpha):
    rng = np.random.default_rng(2)
    mc = rng.normal(size=(7, 60)) * np.exp(-np.arange(60) / 8.0)
    sp = envelope_from_mcep(mc, alpha=alpha, fft_size=1024)
    assert sp.shape == (7, 513)
    assert sp.flags.c_contiguous
    np.testing.assert_allclose(
        mcep_from_envelope(sp, alpha=alpha, order=59), mc, atol=1e-9
    )
    # 1-D input keeps 1-D output
    assert mcep_from_envelope(sp[0], alpha=alpha, order=59).shape == (60,)


def test_mcep_from_envelope_rejects_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        mcep_from_envelope(-np.ones((2, 513)), alpha=0.4, order=10)
    with pytest.raises(ValueError, match="alpha"):
        mcep_from_envelope(np.ones((2, 513)), alpha=1.2, order=10)
    with pytest.raises(ValueError, match="order"):
        mcep_from_envelope(np.ones((2, 513)), alpha=0.4, order=600)
    with pytest.raises(ValueError, match="fft_size"):
        envelope_from_mcep(np.zeros((2, 5)), alpha=0.4, fft_size=1023)
    with pytest.raises(ValueError, match="NaN"):
        envelope_from_mcep(np.full((2, 5), np.nan), alpha=0.4, fft_size=1024)


@pytest.mark.parametrize("method", ["harvest", "dio"])
def test_f0_of_harmonic_signal(method):
    fs = 16000
    x = _harmonic_signal(fs)
    feats = analyze(x, fs, f0_method=method)
    times = np.arange(feats.n_frames) * feats.frame_period / 1000.0
    inner = slice(6, feats.n_frames - 6)
    voiced = feats.vuv[inner] > 0.5
    assert voiced.mean() > 0.95
    rel = np.abs(feats.f0[inner][voiced] / _f0_track(times[inner][voiced]) - 1.0)
    assert rel.max() < 0.02
    # lf0 is continuous and consistent with f0 on voiced frames
    assert np.all(np.isfinite(feats.lf0))
    v = feats.vuv > 0.5
    np.testing.assert_allclose(np.exp(feats.lf0[v]), feats.f0[v])


def test_f0_of_steady_tone():
    fs = 22050
    t = np.arange(int(0.5 * fs)) / fs
    # Harvest needs a few harmonics to call a frame voiced
    x = sum(0.5 / k * np.sin(2 * np.pi * 220.0 * k * t) for k in range(1, 6))
    for method in ("harvest", "dio"):
        f0 = analyze(x, fs, f0_method=method).f0[6:-6]
        assert np.mean(f0 > 0) > 0.95
        assert np.max(np.abs(f0[f0 > 0] / 220.0 - 1)) < 0.02


def test_lf0_interpolates_and_holds_ends():
    f0 = np.array([0, 0, 100.0, 0, 0, 400.0, 0])
    lf0 = vocoder._interpolate_lf0(f0, 71.0)
    step = (np.log(400) - np.log(100)) / 3
    expected = np.log([100, 100, 100, 100, 100, 400, 400])
    expected[3:5] += [step, 2 * step]
    np.testing.assert_allclose(lf0, expected)
    np.testing.assert_allclose(vocoder._interpolate_lf0(np.zeros(3), 71.0), np.log(71))


@pytest.mark.parametrize("method", ["harvest", "dio"])
def test_analysis_synthesis_analysis_distortion(method):
    fs = 22050
    x = _harmonic_signal(fs)
    feats = analyze(x, fs, f0_method=method)
    assert feats.mcep.shape == (feats.n_frames, 60)
    assert feats.bap.shape == (feats.n_frames, 2)
    assert feats.alpha == pytest.approx(0.455)
    y = synthesize(feats)
    assert y.ndim == 1 and abs(len(y) - len(x)) < fs * 0.01
    again = analyze(y, fs, f0_method=method)
    n = min(feats.n_frames, again.n_frames)
    mcd = _mcd(feats.mcep[4 : n - 4], again.mcep[4 : n - 4])
    assert np.mean(mcd) < 2.5
    both = (feats.vuv[:n] > 0) & (again.vuv[:n] > 0)
    assert np.mean(np.abs(feats.f0[:n][both] / again.f0[:n][both] - 1)) < 0.01


@pytest.mark.parametrize("fs, bands", [(8000, 1), (16000, 1), (44100, 5), (48000, 5)])
def test_sample_rates(fs, bands):
    x = _harmonic_signal(fs, seconds=0.25)
    feats = analyze(x, fs, f0_method="dio")
    assert feats.bap.shape[1] == bands
    assert feats.alpha == pytest.approx(default_alpha(fs))
    y = synthesize(feats)
    assert np.all(np.isfinite(y)) and len(y) > 0.2 * fs


def test_int16_input_is_scaled():
    fs = 16000
    x = _harmonic_signal(fs, seconds=0.25)
    pcm = np.round(x * 32767).astype(np.int16)
    a = analyze(pcm, fs, f0_method="dio")
    b = analyze(pcm.astype(np.float64) / 32768.0, fs, f0_method="dio")
    np.testing.assert_allclose(a.mcep, b.mcep)
    # single-channel 2-D input is accepted
    c = analyze(pcm[:, None], fs, f0_method="dio")
    np.testing.assert_allclose(a.mcep, c.mcep)


def test_stack_unstack_round_trip():
    fs = 16000
    feats = analyze(_harmonic_signal(fs, seconds=0.25), fs, f0_method="dio")
    m = feats.stack()
    assert m.shape == (feats.n_frames, 60 + 2 + 1)
    back = VocoderFeatures.unstack(
        m,
        fs=fs,
        frame_period=feats.frame_period,
        fft_size=feats.fft_size,
        alpha=feats.alpha,
        order=feats.order,
    )
    np.testing.assert_allclose(back.f0, feats.f0)
    np.testing.assert_allclose(back.bap, feats.bap)
    with pytest.raises(ValueError, match="columns"):
        VocoderFeatures.unstack(
            m[:, :10], fs=fs, frame_period=5.0, fft_size=1024, alpha=0.41, order=59
        )


@pytest.mark.parametrize(
    "x, match",
    [
        (np.zeros((1600, 2)), "mono"),
        (np.array([], dtype=float), "empty"),
        (np.full(1600, np.nan), "NaN or infinite"),
        (np.r_[np.ones(1599), np.inf], "NaN or infinite"),
        (np.ones(100), "too short"),
        (np.zeros(1600), "silent"),
        (np.ones(1600, dtype=np.uint8), "dtype"),
        (np.ones(1600, dtype=complex), "dtype"),
    ],
)
def test_bad_waveforms(x, match):
    with pytest.raises(ValueError, match=match):
        analyze(x, 16000)


def test_bad_options():
    x = _harmonic_signal(16000, seconds=0.1)
    with pytest.raises(ValueError, match="f0_method"):
        analyze(x, 16000, f0_method="yin")
    with pytest.raises(ValueError, match="sample rate"):
        analyze(x, -5)
    with pytest.raises(ValueError, match="f0_ceil"):
        analyze(x, 1000)
    with pytest.raises(ValueError, match="f0_floor"):
        analyze(x, 16000, f0_floor=500.0, f0_ceil=100.0)
    with pytest.raises(ValueError, match="frame_period"):
        analyze(x, 16000, frame_period=0.0)
    with pytest.raises(ValueError, match="mcep_order"):
        analyze(x, 16000, mcep_order=5000)


def test_synthesize_rejects_bad_features():
    feats = analyze(_harmonic_signal(16000, seconds=0.2), 16000, f0_method="dio")
    bad = VocoderFeatures(
        fs=feats.fs,
        frame_period=feats.frame_period,
        fft_size=feats.fft_size,
        alpha=feats.alpha,
        lf0=feats.lf0,
        vuv=feats.vuv,
        mcep=np.full_like(feats.mcep, np.nan),
        bap=feats.bap,
    )
    with pytest.raises(ValueError, match="mcep"):
        synthesize(bad)
    with pytest.raises(ValueError, match="frames"):
        VocoderFeatures(
            fs=16000,
            frame_period=5.0,
            fft_size=1024,
            alpha=0.41,
            lf0=np.zeros(3),
            vuv=np.zeros(4),
            mcep=np.zeros((3, 2)),
            bap=np.zeros((3, 1)),
        )
