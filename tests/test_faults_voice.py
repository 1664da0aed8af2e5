"""Bad input to voices and the commands that use them: edited, random and
truncated voice files, accent strengths, output paths, sample rates, text
with nothing to say. Each must fail with one clear line, before any work."""

import copy
import itertools
import json
import math
import os
import sys
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from mtlsynth.cli import main
from mtlsynth.speech import (
    Corpus,
    LinguisticFeatures,
    ParametricSynthesizer,
    VoiceFileError,
    build_corpus,
    read_corpus,
    vocoder,
)
from mtlsynth.speech.models import predict_dialect
from mtlsynth.speech.synthesizer import (
    ACCENT_STRENGTH_RANGE,
    MAX_PHONE_SECONDS,
    TRAINING_RANGE_STD,
)

DIALECTS = ["en-US", "en-GB-scotland"]
TEXT = "Are you coming tonight?"
FEW = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    build_corpus(root, dialects=DIALECTS, n_utterances=2, progress=False)
    return root


@pytest.fixture(scope="module")
def voice_path(corpus_root, tmp_path_factory):
    """A small voice: two sentences per dialect, narrow features."""
    features = LinguisticFeatures(
        context=1,
        interaction_context=0,
        n_bumps=2,
        n_identity_bumps=0,
        neighbour_identity=False,
        edge_kernels=(),
        diphone_kernels=(),
    )
    synth = ParametricSynthesizer(features=features, mcep_order=12, progress=False)
    with threadpool_limits(1):
        synth.fit(read_corpus(corpus_root))
    path = tmp_path_factory.mktemp("voice") / "voice.npz"
    synth.save(path)
    return path


@pytest.fixture(scope="module")
def voice(voice_path):
    return ParametricSynthesizer.load(voice_path)


@pytest.fixture(scope="module")
def pristine(voice_path):
    with np.load(voice_path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(str(arrays.pop("__meta__"))), arrays


@pytest.fixture(scope="module")
def edits(tmp_path_factory):
    return tmp_path_factory.mktemp("edits")


_names = itertools.count()


def _write(folder, meta, arrays):
    path = folder / f"edited{next(_names)}.npz"
    np.savez(path, **arrays, __meta__=np.asarray(json.dumps(meta)))
    return path


def _load_error(path):
    with pytest.raises(VoiceFileError) as info:
        ParametricSynthesizer.load(path)
    return str(info.value)


def _assert_one_clear_line(message, path, *words):
    assert "\n" not in message and "Traceback" not in message
    assert "allow_pickle" not in message
    assert message.startswith(f"{path}: "), message
    for word in words:
        assert word in message, message


def _edited(pristine, keys, value=None, *, delete=False):
    meta, arrays = copy.deepcopy(pristine[0]), pristine[1]
    node = meta
    for key in keys[:-1]:
        node = node[key]
    if delete:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return meta, arrays


# ------------------------------------------------------ edited voice files

_KINDS = {
    bool: "bool",
    int: "number",
    float: "number",
    str: "str",
    list: "list",
    dict: "dict",
}
_VALUES = {
    "bool": st.booleans(),
    "number": st.one_of(st.integers(-5, 5), st.floats(-5, 5)),
    "str": st.text(min_size=1, max_size=4),
    "list": st.lists(st.integers(0, 3), max_size=2),
    "dict": st.dictionaries(st.text(max_size=3), st.integers(0, 3), max_size=2),
    "null": st.none(),
}


_NULLABLE = {"mcep_order", "mcep_alpha", "phone_table", "max_diphones"}


def _typed_leaves(meta):
    """(keys, kind) of the settings whose JSON type is fixed."""
    leaves = [(("dialects",), "list")]
    for section in ("synthesizer", "features", "signal"):
        for key, value in meta[section].items():
            if value is not None:
                leaves.append(((section, key), _KINDS[type(value)]))
    leaves += [(("models", m), "dict") for m in ("duration", "acoustic", "voicing")]
    return leaves


@FEW
@given(data=st.data())
def test_values_of_the_wrong_type_name_the_file_and_field(pristine, edits, data):
    keys, kind = data.draw(st.sampled_from(_typed_leaves(pristine[0])))
    wrong = [
        v
        for k, v in _VALUES.items()
        if k != kind and not (k == "null" and keys[-1] in _NULLABLE)
    ]
    value = data.draw(st.one_of(*wrong))
    path = _write(edits, *_edited(pristine, keys, value))
    _assert_one_clear_line(_load_error(path), path, ".".join(keys))


_REQUIRED = [
    ("synthesizer",),
    ("features",),
    ("signal",),
    ("dialects",),
    ("models",),
    ("synthesizer", "frame_period"),
    ("synthesizer", "postfilter"),
    ("features", "inventory"),
    ("features", "context"),
    ("features", "diphones"),
    ("signal", "fs"),
    ("signal", "n_bap"),
    ("models", "voicing"),
    ("models", "duration", "class"),
    ("models", "voicing", "class"),
    ("models", "acoustic", "params"),
    ("models", "acoustic", "attributes"),
    ("utterances",),
    ("utterances", "trained"),
    ("utterances", "held_out"),
    ("features", "phone_set"),
    ("features", "phone_set", "phones"),
    ("features", "stressed"),
    ("synthesizer", "frontend"),
]


@FEW
@given(keys=st.sampled_from(_REQUIRED))
def test_missing_keys_name_the_file_and_field(pristine, edits, keys):
    path = _write(edits, *_edited(pristine, keys, delete=True))
    _assert_one_clear_line(_load_error(path), path, ".".join(keys), "missing")


def _outside(low, high, *, whole=False):
    """Numbers outside [low, high], infinities and NaN (and fractions)."""
    values = [
        st.floats(max_value=low, exclude_max=True),
        st.floats(min_value=high, exclude_min=True),
        st.sampled_from([math.nan, math.inf, -math.inf, 1e12, -1e12]),
    ]
    if whole:
        values.append(st.floats(low, high).filter(lambda x: not x.is_integer()))
    return st.one_of(*values)


_OUT_OF_RANGE = {
    ("synthesizer", "frame_period"): _outside(1, 50),
    ("synthesizer", "postfilter"): _outside(0, 4),
    ("signal", "fs"): _outside(8000, 192000, whole=True),
    ("signal", "alpha"): _outside(-1, 1),
    ("signal", "voiced_default"): _outside(0, 1),
    ("features", "context"): _outside(0, 10, whole=True),
    ("features", "n_bumps"): _outside(2, 64, whole=True),
    ("models", "acoustic", "params", "alpha_shared"): st.one_of(
        st.floats(max_value=0), st.sampled_from([math.nan, math.inf, "1", None])
    ),
}


@FEW
@given(data=st.data())
def test_numbers_out_of_range_name_the_file_and_field(pristine, edits, data):
    keys = data.draw(st.sampled_from(sorted(_OUT_OF_RANGE)))
    value = data.draw(_OUT_OF_RANGE[keys])
    path = _write(edits, *_edited(pristine, keys, value))
    _assert_one_clear_line(_load_error(path), path, ".".join(keys))


def _with_array(pristine, key, value):
    arrays = dict(pristine[1])
    arrays[key] = value
    return copy.deepcopy(pristine[0]), arrays


@pytest.mark.parametrize(
    "edit, field",
    [
        # the edits
        (lambda m, a: m["models"]["duration"].pop("class"), "models.duration.class"),
        (lambda m, a: a.update({"voicing/classes_": np.arange(3)}), "classes_"),
        (lambda m, a: m.update(dialects=5), "dialects"),
        (lambda m, a: m["synthesizer"].update(frame_period=0), "frame_period"),
        (lambda m, a: m["signal"].update(fs=1e12), "signal.fs"),
        # absurd model parameters and arrays
        (
            lambda m, a: m["models"]["duration"]["params"].update(alpha_shared=-5),
            "models.duration.params.alpha_shared",
        ),
        (
            lambda m, a: m["models"]["duration"]["params"].update(colour=1),
            "models.duration.params.colour",
        ),
        (lambda m, a: m["models"]["acoustic"].update({"class": "os.system"}), "class"),
        (lambda m, a: m["signal"].update(n_bap=3), "signal.n_bap"),
        (lambda m, a: m["signal"].update(fft_size=1000), "signal.fft_size"),
        (lambda m, a: m["features"]["inventory"].append("zz"), "n_features_in_"),
        (lambda m, a: a.pop("variance"), "'variance'"),
        (lambda m, a: a.update(variance=a["variance"][:, :3]), "'variance'"),
        (lambda m, a: a.update(target_std=-a["target_std"]), "'target_std'"),
        (
            lambda m, a: a.update(
                {"duration/coef_task_": a["duration/coef_task_"][:1]}
            ),
            "models.duration",
        ),
    ],
)
def test_edited_voice_files_name_the_file_and_field(pristine, edits, edit, field):
    meta, arrays = copy.deepcopy(pristine[0]), dict(pristine[1])
    edit(meta, arrays)
    path = _write(edits, meta, arrays)
    _assert_one_clear_line(_load_error(path), path, field)


@pytest.mark.parametrize(
    "keys, value",
    [
        (("utterances", "trained"), ["utt0001"]),
        (("utterances", "trained"), {"en-US": "utt0001"}),
        (("utterances", "trained", "en-US"), [1]),
        (("utterances", "trained", "en-US"), None),
        (("utterances", "held_out"), "utt0002"),
        (("utterances", "held_out"), {"en-US": [""]}),
        (("utterances", "held_out"), {"en-US": ["utt0002", "utt0002"]}),
        (("utterances", "held_out"), {"en-US": [["utt0002"]]}),
        (("utterances",), ["utt0001"]),
        (("utterances", "tested"), {}),
    ],
)
def test_utterance_names_that_are_not_lists_of_names_are_refused(
    pristine, edits, keys, value
):
    path = _write(edits, *_edited(pristine, keys, value))
    message = _load_error(path)
    _assert_one_clear_line(message, path, ".".join(keys[:2]))


@pytest.mark.parametrize(
    "keys, value",
    [
        (("features", "phone_set"), "espeak"),
        (("features", "phone_set", "phones"), ["a"]),
        (("features", "phone_set", "phones", "a"), 3),
        (("features", "phone_set", "phones", "a"), "Q"),
        (("features", "phone_set", "phones", "a"), "st"),
        (("features", "phone_set", "phones", "a"), {"ipa": "", "features": "x"}),
        (("features", "phone_set", "silences"), "pau"),
        (("features", "phone_set", "stress_marks"), {"''": 3}),
        (("features", "stressed"), "yes"),
        (("synthesizer", "frontend"), ["en-US"]),
        (("synthesizer", "frontend"), {"en-US": 1}),
    ],
)
def test_malformed_phone_sets_and_front_ends_are_refused(pristine, edits, keys, value):
    path = _write(edits, *_edited(pristine, keys, value))
    message = _load_error(path)
    _assert_one_clear_line(message, path, ".".join(keys[:2]))


def test_nan_in_a_stored_array_names_it(pristine, edits):
    mean = pristine[1]["target_mean"].copy()
    mean[0, 0] = np.nan
    path = _write(edits, *_with_array(pristine, "target_mean", mean))
    _assert_one_clear_line(_load_error(path), path, "'target_mean'", "NaN")


@FEW
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_not_a_voice_file(edits, data):
    path = edits / f"random{next(_names)}.npz"
    path.write_bytes(data)
    _assert_one_clear_line(_load_error(path), path, "not a voice file")


@FEW
@given(fraction=st.floats(0, 1, exclude_max=True))
def test_truncated_voice_files_are_not_voice_files(voice_path, edits, fraction):
    whole = voice_path.read_bytes()
    path = edits / f"truncated{next(_names)}.npz"
    path.write_bytes(whole[: int(fraction * len(whole))])
    _assert_one_clear_line(_load_error(path), path, "not a voice file")


def test_pickled_entries_are_refused_without_numpy_advice(edits):
    entry = edits / "object.npy"
    np.save(entry, np.array([{"run": "code"}], dtype=object), allow_pickle=True)
    path = edits / "pickled.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(entry, "__meta__.npy")
    _assert_one_clear_line(_load_error(path), path, "'__meta__'", "Python objects")


def test_the_command_line_prints_one_line_for_an_edited_voice(
    pristine, edits, tmp_path, capsys
):
    path = _write(edits, *_edited(pristine, ("signal", "fs"), 1e12))
    wav = tmp_path / "x.wav"
    args = ["say", "Hi.", "--voice", str(path), "--dialect", "en-US", "-o", str(wav)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"mtlsynth: error: {path}: ")
    assert "signal.fs" in err and not wav.exists()


# -------------------------------------------------------- accent strengths


def _wild(voice):
    """The voice with its dialect departures scaled up a thousandfold."""
    wild = copy.deepcopy(voice)
    for model in (wild.duration_model_, wild.acoustic_model_):
        model.coef_task_ = model.coef_task_ * 1e3
        model.coef_ = model.coef_shared_ + model.coef_task_
    return wild


_OUTSIDE_RANGE = st.one_of(
    st.floats(max_value=ACCENT_STRENGTH_RANGE[0], exclude_max=True),
    st.floats(min_value=ACCENT_STRENGTH_RANGE[1], exclude_min=True),
    st.just(math.nan),
)


@FEW
@given(strength=_OUTSIDE_RANGE)
def test_accent_strengths_outside_the_range_are_rejected(voice, strength):
    with pytest.raises(ValueError, match="accent strength must be from -1 to 3"):
        voice.predict_durations(TEXT, dialect="en-US", accent_strength=strength)
    with pytest.raises(ValueError, match="accent strength must be from -1 to 3"):
        voice.predict_parameters(TEXT, dialect="en-US", accent_strength=strength)


@pytest.mark.parametrize("strength", ["100", "-20", "-100", "3.01"])
def test_say_rejects_accent_strengths_outside_the_range(
    voice_path, tmp_path, capsys, strength
):
    wav = tmp_path / "x.wav"
    args = ["say", TEXT, "--voice", str(voice_path), "--dialect", "en-GB-scotland"]
    assert main([*args, "--accent-strength", strength, "-o", str(wav)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "accent strength must be from -1 to 3" in err
    assert not wav.exists()


def test_extreme_models_are_bounded_at_the_ends_of_the_range(voice):
    wild = _wild(voice)
    longest = MAX_PHONE_SECONDS * 1e3 / voice.frame_period
    X = wild.features_.phone_features(wild._sequence(TEXT, "en-GB-scotland"))
    raw = np.exp(predict_dialect(wild.duration_model_, X, "en-GB-scotland", 3.0))
    assert raw.max() > longest or raw.min() < 1  # unbounded, they would run away
    for strength in ACCENT_STRENGTH_RANGE:
        _assert_bounded(wild, strength)


@settings(max_examples=5, deadline=None)
@given(strength=st.floats(*ACCENT_STRENGTH_RANGE))
def test_any_accepted_strength_gives_bounded_parameters(voice, strength):
    _assert_bounded(_wild(voice), strength)


def _assert_bounded(voice, strength):
    longest = MAX_PHONE_SECONDS * 1e3 / voice.frame_period
    kw = {"dialect": "en-GB-scotland", "accent_strength": strength}
    frames = voice.predict_durations(TEXT, **kw)
    assert np.all(np.isfinite(frames))
    assert frames.min() >= 1 - 1e-9 and frames.max() <= longest * (1 + 1e-9)
    params = voice.predict_parameters(TEXT, **kw)
    assert params.n_frames <= len(frames) * longest + 1
    lf0 = params.lf0
    assert np.log(vocoder.F0_FLOOR) - 1e-9 <= lf0.min()
    assert lf0.max() <= np.log(vocoder.F0_CEIL) + 1e-9
    assert np.all(np.isfinite(params.mcep)) and np.all(np.isfinite(params.bap))
    low = voice.target_mean_ - TRAINING_RANGE_STD * voice.target_std_
    high = voice.target_mean_ + TRAINING_RANGE_STD * voice.target_std_
    order = voice.order_
    assert np.all(params.mcep >= low[:, : order + 1].min(0) - 1e-9)
    assert np.all(params.mcep <= high[:, : order + 1].max(0) + 1e-9)
    assert params.bap.max() <= 0


# -------------------------------------------------------------- outputs


@pytest.fixture
def no_training(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(ParametricSynthesizer, "fit", fail)


def _output_cases(tmp_path):
    folder = tmp_path / "existing_folder"
    folder.mkdir()
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    cases = [(folder, "is a folder"), (a_file / "voice.npz", "which is a file")]
    if sys.platform.startswith("linux"):
        cases.append(("/proc/voice.npz", "cannot write in /proc"))
    return cases


def test_train_checks_its_output_before_training(
    corpus_root, tmp_path, capsys, no_training
):
    for output, problem in _output_cases(tmp_path):
        assert main(["train", str(corpus_root), "-o", str(output)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{output}: " in err and problem in err
        assert ".tmp" not in err


def test_say_evaluate_and_demo_check_their_outputs_first(
    corpus_root, tmp_path, capsys, monkeypatch
):
    import mtlsynth.speech.builtin

    def fail(*args, **kwargs):
        raise AssertionError("the corpus was built")

    monkeypatch.setattr(mtlsynth.speech.builtin, "build_corpus", fail)
    missing = tmp_path / "no-voice.npz"  # read only after the output check
    commands = [
        ["say", "Hi.", "--voice", str(missing), "--dialect", "en-US", "-o"],
        ["evaluate", str(corpus_root), "--voice", str(missing), "--json"],
    ]
    for output, problem in _output_cases(tmp_path)[:2]:
        for command in commands:
            assert main([*command, str(output)]) == 1
            err = capsys.readouterr().err
            assert f"{output}: " in err and problem in err and "no-voice" not in err
    a_file = tmp_path / "a_file"
    assert main(["demo", "--out", str(a_file)]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err


def test_save_removes_only_stale_temporaries_of_its_file(voice, tmp_path):
    target = tmp_path / "voice.npz"
    stale = tmp_path / ".voice.npz.abcd1234.tmp"
    fresh = tmp_path / ".voice.npz.efgh5678.tmp"  # a concurrent save
    other = tmp_path / ".other.npz.abcd1234.tmp"
    for path in (stale, fresh, other):
        path.write_bytes(b"partial")
    hours_ago = time.time() - 2 * 3600
    for path in (stale, other):
        os.utime(path, (hours_ago, hours_ago))
    voice.save(target)
    assert not stale.exists()
    assert fresh.exists() and other.exists()
    assert ParametricSynthesizer.load(target).fs_ == voice.fs_


# ------------------------------------------------------- corpora and text


def test_evaluate_checks_the_sample_rate_before_any_analysis(
    voice, corpus_root, monkeypatch
):
    import mtlsynth.speech.synthesizer

    def fail(*args, **kwargs):
        raise AssertionError("the corpus was analysed")

    monkeypatch.setattr(mtlsynth.speech.synthesizer, "extract_features", fail)
    corpus = read_corpus(corpus_root)
    narrow = Corpus(corpus.root, 8000, corpus.utterances)
    with pytest.raises(ValueError, match="sampled at 8000 Hz but the voice at 22050"):
        voice.evaluate(narrow)


@pytest.mark.parametrize("text", ["?!...", "...", " ... ? "])
def test_text_without_words_is_an_error(voice, voice_path, tmp_path, capsys, text):
    with pytest.raises(ValueError, match="no words to speak"):
        voice.synthesize(text, dialect="en-US")
    wav = tmp_path / "x.wav"
    args = ["say", text, "--voice", str(voice_path), "--dialect", "en-US"]
    assert main([*args, "-o", str(wav)]) == 1
    assert "no words to speak" in capsys.readouterr().err
    assert not wav.exists()
