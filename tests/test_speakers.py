"""Voices of corpora with speakers: dialect x speaker tasks."""

import json
import re

import numpy as np
import pytest

from mtlsynth import ProximalRegressor
from mtlsynth.cli import main
from mtlsynth.penalties import L2
from mtlsynth.speech import (
    LinguisticFeatures,
    ParametricSynthesizer,
    build_corpus,
    read_corpus,
    split_corpus,
    training,
    vocoder,
)
from mtlsynth.speech.corpus import Corpus
from mtlsynth.speech.speakers import TRANSFORM_PENALTY

DIALECTS = ["en-US", "en-GB-scotland"]
LEFT_OUT = ("en-GB-scotland", "f3")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("speakers")
    build_corpus(
        root, dialects=DIALECTS, speakers=["m3", "f3"], n_utterances=7, progress=False
    )
    return root


@pytest.fixture(scope="module")
def split(root):
    train, test = split_corpus(read_corpus(root), test_size=1)
    kept = tuple(u for u in train if (u.dialect, u.speaker) != LEFT_OUT)
    return Corpus(train.root, train.fs, kept), test


def _voice(split, tasks, **models):
    train, test = split
    features = LinguisticFeatures(diphone_min_count=3)
    voice = ParametricSynthesizer(
        features=features, tasks=tasks, progress=False, **models
    )
    return voice.fit(train, held_out=test)


@pytest.fixture(scope="module")
def factored(split):
    return _voice(split, "factors")


def _median_f0(features):
    f0 = features.f0
    return float(np.median(f0[f0 > 0]))


def _held_out(split, dialect, speaker):
    (utt,) = [u for u in split[1] if (u.dialect, u.speaker) == (dialect, speaker)]
    x, fs = utt.load_wav()
    return utt, _median_f0(vocoder.analyze(x, fs, f0_method="dio"))


def test_a_speaker_speaks_a_dialect_never_recorded(factored, split):
    assert factored.speakers_.tolist() == ["f3", "m3"]
    assert factored.dialects_.tolist() == [
        "en-GB-scotland/m3",
        "en-US/f3",
        "en-US/m3",
    ]
    # every speaker maps the acoustic model's outputs; durations are additive
    n_outputs = factored.acoustic_model_.coef_.shape[-2]  # (cells, q, d)
    maps = factored.acoustic_model_.coef_transform_
    assert maps.shape == (2, n_outputs, n_outputs)
    assert factored.acoustic_model_.factor_transform == {1: TRANSFORM_PENALTY}
    assert getattr(factored.duration_model_, "coef_transform_", None) is None
    utt, reference = _held_out(split, *LEFT_OUT)
    f0 = {
        s: _median_f0(
            factored.predict_parameters(
                utt.label, dialect=LEFT_OUT[0], speaker=s, durations="label"
            )
        )
        for s in ("f3", "m3")
    }
    assert f0["f3"] > 1.3 * f0["m3"]
    assert abs(f0["f3"] / reference - 1) < 0.15


def test_accent_strength_scales_the_dialect_part_alone(factored, split):
    label = _held_out(split, "en-US", "m3")[0].label
    kw = {"speaker": "f3", "accent_strength": 0.0, "durations": "label"}
    shared = [factored.predict_parameters(label, dialect=d, **kw) for d in DIALECTS]
    np.testing.assert_allclose(shared[0].mcep, shared[1].mcep, atol=1e-10)
    np.testing.assert_array_equal(shared[0].vuv, shared[1].vuv)
    full = [
        factored.predict_parameters(label, dialect=d, speaker="f3", durations="label")
        for d in DIALECTS
    ]
    assert np.abs(full[0].mcep - full[1].mcep).max() > 0.01
    with pytest.raises(ValueError, match="unknown speaker 'm9'.*knows"):
        factored.predict_durations(label, dialect="en-US", speaker="m9")


def test_evaluation_is_per_cell_and_marks_cells_never_trained_on(
    factored, split, root, tmp_path, capsys
):
    path = tmp_path / "voice.npz"
    factored.save(path)
    loaded = ParametricSynthesizer.load(path)
    assert loaded.speakers_.tolist() == ["f3", "m3"] and loaded.tasks == "factors"
    label = split[1].utterances[0].label
    a, b = (
        v.predict_parameters(label, dialect="en-GB-scotland", speaker="f3")
        for v in (factored, loaded)
    )
    np.testing.assert_array_equal(a.mcep, b.mcep)
    main(["evaluate", str(root), "--voice", str(path), "--json", str(tmp_path / "m")])
    out = capsys.readouterr().out
    assert "Never trained on (left out): en-GB-scotland/f3" in out
    scores = json.loads((tmp_path / "m").read_text())
    assert sorted(scores) == sorted(f"{d}/{s}" for d in DIALECTS for s in ("f3", "m3"))
    wav = tmp_path / "f3.wav"
    main(
        ["say", "Good morning.", "--voice", str(path)]
        + ["--dialect", "en-US"]
        + ["--speaker", "f3", "-o", str(wav)]
    )
    assert "by f3" in capsys.readouterr().out and wav.is_file()


def test_factors_speak_a_cell_never_recorded_better_than_cells(factored, split):
    cells = _voice(split, "cells")
    assert cells.dialects_.tolist() == factored.dialects_.tolist()
    utt, reference = _held_out(split, *LEFT_OUT)
    errors = {}
    for name, voice in (("factors", factored), ("cells", cells)):
        pred = voice.predict_parameters(
            utt.label, dialect=LEFT_OUT[0], speaker=LEFT_OUT[1], durations="label"
        )
        errors[name] = abs(np.log(_median_f0(pred) / reference))
    assert errors["factors"] < errors["cells"]


def test_pooled_speakers_and_bad_cells(split, root, tmp_path, capsys):
    pooled = _voice(split, "dialects")
    assert pooled.dialects_.tolist() == sorted(DIALECTS)
    assert pooled.speakers_.tolist() == []
    with pytest.raises(ValueError, match="it has none"):
        pooled.predict_durations("Hi.", dialect="en-US", speaker="f3")
    out = str(tmp_path / "v.npz")
    for cell in ("en-US/f9", "en-US:f9"):
        assert main(["train", str(root), "-o", out, "--leave-out", cell]) == 1
        assert "does not have: en-US/f9" in capsys.readouterr().err
    for bad in ("en", "en/f3/x"):
        with pytest.raises(SystemExit):
            main(["train", str(root), "-o", out, "--leave-out", bad])
        assert "expected DIALECT/SPEAKER" in capsys.readouterr().err


def test_a_model_without_factors_fits_the_cells(split):
    voice = _voice(split, "factors", duration_model=ProximalRegressor(L2(1.0)))
    assert voice.duration_model_.tasks_.tolist() == voice.dialects_.tolist()
    assert sorted(voice.acoustic_model_.alpha_task) == [0, 1]  # factors
    durations = voice.predict_durations("Hi.", dialect="en-US", speaker="f3")
    assert np.all(np.isfinite(durations)) and np.all(durations > 0)
    with pytest.raises(ValueError, match="Unknown task.*'en-GB-scotland/f3'"):
        voice.predict_durations("Hi.", dialect=LEFT_OUT[0], speaker=LEFT_OUT[1])


def test_statistics_too_large_for_memory_are_refused_before_training(
    root, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "v.npz"
    argv = ["train", str(root), "-o", str(out), "--holdout", "0"]
    monkeypatch.setattr(training, "physical_memory", lambda: 10**6)
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert "--tasks dialects: 2 tasks" in error and "needs at least" in error
    assert not out.exists()
    found = re.search(r"statistics of 4 tasks x ([\d,]+) features", error)
    d = int(found[1].replace(",", ""))
    # a machine that holds the statistics of the two dialects pooled, but
    # not those of the four cells
    memory = int(training.FIT_MEMORY * 3 * 8 * d**2)
    monkeypatch.setattr(training, "physical_memory", lambda: memory)
    assert main(argv) == 1 and "statistics of 4 tasks" in capsys.readouterr().err
    assert main([*argv, "--tasks", "dialects", "--validation-fraction", "0"]) == 0
    assert out.is_file()
