import copy
import json
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from voices import older_format

from mtlsynth import SharedLeastSquares
from mtlsynth._stats import TaskStatistics
from mtlsynth.speech import (
    Corpus,
    CorpusWarning,
    LinguisticFeatures,
    ParametricSynthesizer,
    VoiceFileError,
    build_corpus,
    read_corpus,
    split_corpus,
    vocoder,
)
from mtlsynth.speech.audio import limit_peaks
from mtlsynth.speech.errors import PhoneSubstitutionWarning
from mtlsynth.speech.evaluation import utterance_names
from mtlsynth.speech.phonesets import _ESPEAK_FORMAT2
from mtlsynth.speech.training import size_scaled_penalties
from mtlsynth.speech.tuning import VALIDATION_SECONDS, validation_utterances
from mtlsynth.speech.voicefile import FORMAT_VERSION

DIALECTS = ["en-US", "en-GB-scotland"]
TEXT = "The old man sat by the river."


@pytest.fixture(scope="module")
def corpus_split(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    build_corpus(root, dialects=DIALECTS, n_utterances=8, progress=False)
    return split_corpus(read_corpus(root), test_size=1)


@pytest.fixture(scope="module")
def synth(corpus_split):
    train, _ = corpus_split
    # diphones seen 3 times get columns: the tiny corpus has few pairs
    features = LinguisticFeatures(diphone_min_count=3)
    return ParametricSynthesizer(features=features, progress=False).fit(train)


@pytest.fixture(scope="module")
def label(corpus_split):
    return corpus_split[1].by_dialect("en-US")[0].label


def test_split_corpus_holds_out_whole_sentences(corpus_split):
    train, test = corpus_split
    assert {u.name for u in train} & {u.name for u in test} == set()
    assert test.dialects == tuple(sorted(DIALECTS))
    assert len(train) == 14 and len(test) == 2
    with pytest.raises(ValueError, match="test_size"):
        split_corpus(train, test_size=1.5)


def test_speech_is_finite_loud_and_as_long_as_predicted(synth):
    wave, fs = synth.synthesize(TEXT, dialect="en-US")
    assert fs == 22050
    assert np.all(np.isfinite(wave))
    assert np.sqrt(np.mean(wave**2)) > 1e-3
    assert np.abs(wave).max() <= 0.99 + 1e-12
    frames = synth.predict_durations(TEXT, dialect="en-US")
    expected = np.round(np.cumsum(frames))[-1] * synth.frame_period * 1e-3 * fs
    assert abs(len(wave) - expected) <= 0.02 * expected + 3 * 0.005 * fs


def test_dialects_differ_on_the_same_text_and_label(synth, label):
    a, _ = synth.synthesize(TEXT, dialect="en-US")
    b, _ = synth.synthesize(TEXT, dialect="en-GB-scotland")
    assert len(a) != len(b) or not np.allclose(a, b)
    pa = synth.predict_parameters(label, dialect="en-US", durations="label")
    pb = synth.predict_parameters(label, dialect="en-GB-scotland", durations="label")
    assert pa.n_frames == pb.n_frames == label.num_frames(5.0)
    assert np.abs(pa.mcep - pb.mcep).max() > 1e-3


def test_accent_strength_zero_is_the_shared_model(synth, label):
    unseen = "en-029"  # an eSpeak dialect absent from training
    assert unseen not in synth.dialects_
    shared = synth.predict_parameters(label, dialect=unseen, durations="label")
    zero = synth.predict_parameters(
        label, dialect="en-US", accent_strength=0.0, durations="label"
    )
    np.testing.assert_allclose(zero.mcep, shared.mcep, atol=1e-8)
    np.testing.assert_allclose(zero.lf0, shared.lf0, atol=1e-8)
    np.testing.assert_array_equal(zero.vuv, shared.vuv)
    X = synth.features_.phone_features(synth._sequence(label, unseen))
    tasks = np.full(len(X), unseen)
    np.testing.assert_allclose(
        synth.predict_durations(label, dialect="en-US", accent_strength=0.0),
        np.exp(synth.duration_model_.predict(X, tasks=tasks)),
    )
    one = synth.predict_parameters(
        label, dialect="en-US", accent_strength=1.0, durations="label"
    )
    more = synth.predict_parameters(
        label, dialect="en-US", accent_strength=2.0, durations="label"
    )
    assert np.abs(one.mcep - zero.mcep).max() > 1e-3
    assert np.abs(more.mcep - one.mcep).max() > 1e-3
    # strength 1 through the blend equals the model's own prediction
    np.testing.assert_allclose(
        synth.predict_durations(label, dialect="en-US", accent_strength=1.0 + 1e-12),
        synth.predict_durations(label, dialect="en-US"),
        rtol=1e-9,
    )


def test_postfilter_keeps_the_envelope_energy(synth, label):
    plain = synth.predict_parameters(label, dialect="en-US", durations="label")
    sharp = synth.predict_parameters(
        label, dialect="en-US", durations="label", postfilter=True
    )
    np.testing.assert_allclose(sharp.mcep[:, 2:], synth.postfilter * plain.mcep[:, 2:])
    energy = [
        vocoder.envelope_from_mcep(p.mcep, alpha=p.alpha, fft_size=p.fft_size).sum(1)
        for p in (plain, sharp)
    ]
    np.testing.assert_allclose(energy[1], energy[0], rtol=1e-6)


def test_voice_file_round_trip(synth, tmp_path):
    path = tmp_path / "voice.npz"
    synth.save(path)
    loaded = ParametricSynthesizer.load(path)
    a, _ = synth.synthesize(TEXT, dialect="en-GB-scotland", accent_strength=0.7)
    b, _ = loaded.synthesize(TEXT, dialect="en-GB-scotland", accent_strength=0.7)
    np.testing.assert_array_equal(a, b)
    assert list(loaded.dialects_) == list(synth.dialects_)
    with zipfile.ZipFile(path) as z:
        assert all(name.endswith(".npy") for name in z.namelist())
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["__meta__"]))
    assert meta["version"] == FORMAT_VERSION
    assert meta["models"]["acoustic"]["class"] == "mtlsynth.SharedLeastSquares"
    # the penalties chosen on held-out utterances, and every pair's score
    assert [r["model"] for r in loaded.penalty_search_] == ["duration", "acoustic"]
    for kept, fitted in zip(loaded.penalty_search_, synth.penalty_search_, strict=True):
        assert kept.keys() == fitted.keys()
        for key, value in fitted.items():
            np.testing.assert_array_equal(kept[key], value)
    np.testing.assert_array_equal(loaded.features_.diphones_, synth.features_.diphones_)
    assert loaded.features_.max_diphones == synth.features_.max_diphones == 640
    assert loaded.features_.n_frame_features_ == synth.features_.n_frame_features_
    assert loaded.training_utterances_ == synth.training_utterances_
    assert loaded.held_out_ is None  # fitted without held_out: unknown


def test_voice_files_record_the_utterances_trained_on_and_held_out(
    synth, corpus_split, tmp_path
):
    train, test = corpus_split
    names = {d: sorted(u.name for u in train.by_dialect(d)) for d in DIALECTS}
    assert synth.training_utterances_ == names
    voice = copy.copy(synth)
    voice.held_out_ = utterance_names(test)
    voice.save(tmp_path / "voice.npz")
    loaded = ParametricSynthesizer.load(tmp_path / "voice.npz")
    assert loaded.training_utterances_ == names
    assert loaded.held_out_ == {d: [test.by_dialect(d)[0].name] for d in DIALECTS}


def test_fit_refuses_held_out_utterances_it_trains_on(corpus_split):
    train, _ = corpus_split
    with pytest.raises(ValueError, match="held_out shares 14 utterances"):
        ParametricSynthesizer().fit(train, held_out=train)
    with pytest.raises(ValueError, match="held_out must be a Corpus"):
        ParametricSynthesizer().fit(train, held_out=["utt0001"])


def test_format_2_voice_files_load_without_utterance_names(synth, tmp_path):
    path = tmp_path / "voice.npz"
    synth.save(path)
    old = ParametricSynthesizer.load(older_format(path, 2))
    assert old.training_utterances_ is None and old.held_out_ is None
    # no limit recorded: every pair kept
    assert old.features_.max_diphones is None
    np.testing.assert_array_equal(old.features_.diphones_, synth.features_.diphones_)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"]))
    del meta["utterances"]
    arrays["__meta__"] = np.asarray(json.dumps(meta))
    np.savez(tmp_path / "new.npz", **arrays)
    with pytest.raises(VoiceFileError, match="utterances: missing"):
        ParametricSynthesizer.load(tmp_path / "new.npz")


def test_format_1_voice_files_load_without_diphone_columns(synth, tmp_path):
    path = tmp_path / "voice.npz"
    synth.save(path)
    lf = ParametricSynthesizer.load(older_format(path, 1)).features_
    assert lf.diphones_.shape == (0, 2) and not lf.diphone_kernels
    n_pairs = 2 * len(synth.features_.diphone_kernels) * len(synth.features_.diphones_)
    assert n_pairs > 0
    assert lf.n_frame_features_ == synth.features_.n_frame_features_ - n_pairs
    assert lf.classes_ == synth.features_.classes_


def test_format_2_voice_files_keep_their_classes(corpus_split, label, tmp_path):
    # formats 1 and 2 with no table had the classes of the eSpeak NG English
    # table of their time
    features = LinguisticFeatures(phone_set=_ESPEAK_FORMAT2)
    voice = ParametricSynthesizer(features=features, progress=False)
    voice.fit(corpus_split[0])
    path = tmp_path / "voice.npz"
    voice.save(path)
    old = ParametricSynthesizer.load(older_format(path, 2, None))
    assert old.features_.classes_ == voice.features_.classes_
    assert old.features_.phone_set_.classes_of == _ESPEAK_FORMAT2.classes_of
    a = voice.predict_parameters(label, dialect="en-US", durations="label")
    b = old.predict_parameters(label, dialect="en-US", durations="label")
    np.testing.assert_array_equal(a.mcep, b.mcep)


def test_corrupted_and_newer_voice_files_fail_clearly(synth, tmp_path):
    path = tmp_path / "voice.npz"
    synth.save(path)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(VoiceFileError, match="not a valid mtlsynth voice file"):
        ParametricSynthesizer.load(truncated)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"]))
    meta["version"] = 99
    arrays["__meta__"] = np.asarray(json.dumps(meta))
    newer = tmp_path / "newer.npz"
    np.savez(newer, **arrays)
    with pytest.raises(VoiceFileError, match="newer"):
        ParametricSynthesizer.load(newer)
    del arrays["variance"]
    meta["version"] = 1
    arrays["__meta__"] = np.asarray(json.dumps(meta))
    partial = tmp_path / "partial.npz"
    np.savez(partial, **arrays)
    with pytest.raises(VoiceFileError, match="incomplete"):
        ParametricSynthesizer.load(partial)
    with pytest.raises(VoiceFileError, match="does not exist"):
        ParametricSynthesizer.load(tmp_path / "missing.npz")


def test_bad_requests_are_rejected(synth):
    with pytest.raises(ValueError, match="unknown dialect"):
        synth.synthesize(TEXT, dialect="xx-YY")
    with pytest.raises(ValueError, match="empty"):
        synth.synthesize("   ", dialect="en-US")
    with pytest.raises(ValueError, match="not trained"):
        ParametricSynthesizer().synthesize(TEXT, dialect="en-US")
    with pytest.raises(ValueError, match="Corpus"):
        ParametricSynthesizer().fit([])


def test_evaluate_scores_every_dialect(synth, corpus_split):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = synth.evaluate(corpus_split[1])
    # none was trained on; the tiny voice never saw some held-out phones,
    # which one warning lists
    assert [w.category for w in caught] == [PhoneSubstitutionWarning]
    assert str(caught[0].message).startswith("phones the voice never saw, scored")
    assert sorted(results) == sorted(DIALECTS)
    for values in results.values():
        assert set(values) == {
            "mcd_db",
            "f0_rmse_hz",
            "vuv_error_pct",
            "bap_db",
            "dur_rmse_ms",
        }
        assert all(np.isfinite(v) and v >= 0 for v in values.values())


def test_evaluate_warns_of_utterances_the_voice_was_trained_on(synth, corpus_split):
    train, test = corpus_split
    mixed = Corpus(train.root, train.fs, (train.utterances[0], test.utterances[0]))
    with pytest.warns(CorpusWarning, match="^1 of the 2 utterances scored were used"):
        synth.evaluate(mixed)


def test_any_scikit_learn_models_plug_in_pooled(corpus_split, tmp_path, label):
    train, _ = corpus_split
    synth = ParametricSynthesizer(
        duration_model=Ridge(alpha=10.0),
        acoustic_model=make_pipeline(StandardScaler(), Ridge(alpha=100.0)),
        voicing_model=LogisticRegression(max_iter=300),
        progress=False,
    ).fit(train)
    wave, _ = synth.synthesize(TEXT, dialect="en-US")
    assert np.all(np.isfinite(wave)) and np.sqrt(np.mean(wave**2)) > 1e-3
    with pytest.raises(ValueError, match="shared part"):
        synth.synthesize(TEXT, dialect="en-US", accent_strength=0.5)
    path = tmp_path / "pooled.npz"
    synth.save(path)
    again = ParametricSynthesizer.load(path)
    np.testing.assert_array_equal(again.synthesize(TEXT, dialect="en-US")[0], wave)
    odd = copy.copy(synth)
    odd.duration_model_ = KNeighborsRegressor()
    with pytest.raises(ValueError, match="cannot save a KNeighborsRegressor"):
        odd.save(tmp_path / "odd.npz")


class _StackedShared(RegressorMixin, BaseEstimator):
    """SharedLeastSquares without fit_statistics: fitted on stacked rows."""

    def __init__(
        self, alpha_shared=1.0, alpha_task=1.0, task_weight=None, alpha_task_refit=None
    ):
        self.alpha_shared = alpha_shared
        self.alpha_task = alpha_task
        self.task_weight = task_weight
        self.alpha_task_refit = alpha_task_refit

    @classmethod
    def like(cls, model):
        """The same penalties and weights as a fitted SharedLeastSquares."""
        return cls(
            model.alpha_shared,
            model.alpha_task,
            model.task_weight,
            model.alpha_task_refit,
        )

    def fit(self, X, y, tasks=None):
        self.model_ = SharedLeastSquares(
            self.alpha_shared,
            self.alpha_task,
            task_weight=self.task_weight,
            alpha_task_refit=self.alpha_task_refit,
        )
        self.model_.fit(X, y, tasks=tasks)
        return self

    def predict(self, X, tasks=None):
        return self.model_.predict(X, tasks=tasks)


def test_models_fitted_from_streamed_statistics_equal_stacked_fits(corpus_split, synth):
    train, _ = corpus_split
    stacked = ParametricSynthesizer(
        # the penalties the default models chose on held-out utterances
        duration_model=_StackedShared.like(synth.duration_model_),
        acoustic_model=_StackedShared.like(synth.acoustic_model_),
        features=synth.features,
        progress=False,
    ).fit(train)
    for dialect in DIALECTS:
        np.testing.assert_allclose(
            stacked.predict_durations(TEXT, dialect=dialect),
            synth.predict_durations(TEXT, dialect=dialect),
            rtol=1e-8,
        )
    np.testing.assert_allclose(stacked.variance_, synth.variance_, rtol=1e-6)


def test_size_scaled_penalties_grow_and_weights_shrink_with_the_size_ratio():
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1, 2], [20, 10, 4])
    stats = TaskStatistics.from_data(
        rng.normal(size=(34, 3)),
        rng.normal(size=(34, 2)),
        np.array(["a", "b", "c"]),
        codes,
    )
    penalties, weights = size_scaled_penalties(2.0, stats)
    assert penalties == pytest.approx({"a": 2.0, "b": 4.0, "c": 10.0})
    assert weights == pytest.approx({"a": 1.0, "b": 0.5, "c": 0.2})


def test_default_acoustic_model_pulls_a_small_dialect_harder(corpus_split, synth):
    train, _ = corpus_split
    frames = synth.collect(train, features=synth.features_).acoustic.weight
    (search,) = [r for r in synth.penalty_search_ if r["model"] == "acoustic"]
    base = search["alpha_task"]  # the largest dialect's, chosen on held-out rows
    got = [synth.acoustic_model_.alpha_task[d] for d in synth.dialects_]
    np.testing.assert_allclose(got, base * frames.max() / frames, rtol=1e-12)
    assert min(got) == base and max(got) < 1.2 * base  # balanced corpus: about 1
    weights = [synth.acoustic_model_.task_weight[d] for d in synth.dialects_]
    np.testing.assert_allclose(weights, frames / frames.max(), rtol=1e-12)
    keep = {train.by_dialect("en-US")[0].name}
    uneven = Corpus(
        train.root,
        train.fs,
        tuple(u for u in train if u.dialect != "en-US" or u.name in keep),
    )
    small = ParametricSynthesizer(features=synth.features, progress=False)
    model = small.fit(uneven).acoustic_model_
    alpha, weight = model.alpha_task, model.task_weight
    assert alpha["en-US"] > 4 * max(v for d, v in alpha.items() if d != "en-US")
    assert weight["en-US"] < min(v for d, v in weight.items() if d != "en-US") / 4
    # an explicit acoustic model is used as given
    given = SharedLeastSquares(alpha_shared=0.01, alpha_task=1.0)
    fitted = ParametricSynthesizer(
        acoustic_model=given, features=synth.features, progress=False
    ).fit(uneven)
    assert fitted.acoustic_model_.alpha_task == 1.0
    assert fitted.acoustic_model_.task_weight is None


def _round_trip(model, path, seed, speakers=False):
    """``model`` fitted on three tasks (each with one of two speakers), and
    its copy read back from a voice file at ``path``."""
    from mtlsynth.speech.voicefile import (
        dump_estimator,
        load_estimator,
        read_voice,
        write_voice,
    )

    rng = np.random.default_rng(seed)
    X, tasks = rng.normal(size=(90, 5)), np.repeat(["a", "b", "c"], 30)
    Y = X @ rng.normal(size=(5, 2)) + rng.normal(size=(90, 2))
    if speakers:  # c spoken by s1 only: (c, s2) predicted from its parts
        tasks = np.column_stack([tasks, np.where(np.arange(90) % 3, "s1", "s2")])
        tasks[60:, 1] = "s1"
    model.fit(X, Y, tasks=tasks)
    if speakers:
        tasks[-1, 1] = "s2"
    arrays = {}
    write_voice(path, {"model": dump_estimator(model, "model/", arrays)}, arrays)
    meta, arrays = read_voice(path)
    loaded = load_estimator(meta["model"], arrays)
    np.testing.assert_array_equal(
        loaded.predict(X, tasks=tasks), model.predict(X, tasks=tasks)
    )
    return loaded


def test_voice_files_store_proximal_models_with_their_penalties(tmp_path):
    from mtlsynth import FISTA, ProximalRegressor
    from mtlsynth.penalties import L1, TaskGraph

    graph = np.array([[0, 1, 0], [1, 0, 2.0], [0, 2.0, 0]])
    model = ProximalRegressor(
        TaskGraph(0.5, graph=graph) + L1(0.01), solver=FISTA(tol=1e-8)
    )
    loaded = _round_trip(model, tmp_path / "v.npz", seed=0)
    np.testing.assert_array_equal(loaded.penalty.smooth.graph, graph)
    assert loaded.penalty.nonsmooth.alpha == 0.01 and loaded.solver.tol == 1e-8


def test_voice_files_store_models_of_factored_tasks(tmp_path):
    from mtlsynth import MaxEntClassifier, SharedLeastSquares

    alpha = {0: 2.0, 1: {"s1": 1.0, "s2": 5.0}}
    model = SharedLeastSquares(
        0.5, alpha, alpha_interaction=3.0, factor_features={1: [0, 3]}
    )
    loaded = _round_trip(model, tmp_path / "v.npz", seed=2, speakers=True)
    assert loaded.levels_[1].tolist() == ["s1", "s2"]
    np.testing.assert_array_equal(loaded.coef_, model.coef_)
    classifier = MaxEntClassifier(alpha_shared=0.5, alpha_task=1.0)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 4))
    tasks = np.column_stack([np.repeat(["a", "b", "c"], 30), np.tile(["x", "y"], 45)])
    y = (X[:, 0] + rng.normal(size=90) > 0).astype(int)
    classifier.fit(X, y, tasks=tasks)
    from mtlsynth.speech.voicefile import (
        dump_estimator,
        load_estimator,
        read_voice,
        write_voice,
    )

    arrays = {}
    meta = {"model": dump_estimator(classifier, "m/", arrays)}
    write_voice(tmp_path / "c.npz", meta, arrays)
    meta, arrays = read_voice(tmp_path / "c.npz")
    back = load_estimator(meta["model"], arrays)
    np.testing.assert_allclose(  # coef_ rebuilt: summed in another order
        back.predict_proba(X, tasks=tasks),
        classifier.predict_proba(X, tasks=tasks),
        rtol=1e-12,
    )


def test_voice_files_store_refit_task_parts(tmp_path):
    from mtlsynth import SharedLeastSquares

    refit = {"a": 0.1, "b": 10.0, "c": 1.0}
    model = SharedLeastSquares(1.0, 3.0, alpha_task_refit=refit)
    loaded = _round_trip(model, tmp_path / "v.npz", seed=1)
    assert loaded.alpha_task_refit == refit


@pytest.mark.parametrize(
    "penalty",
    [
        "sum of non-smooth terms",
        "decomposed with named parts",
        "clustered tasks in a sum",
    ],
)
def test_voice_files_store_penalties_made_of_listed_parts(tmp_path, penalty):
    from mtlsynth import ProximalRegressor
    from mtlsynth.penalties import (
        L1,
        L21,
        ClusteredTasks,
        Decomposed,
        L1Inf,
        SumPenalty,
        TraceNorm,
    )
    from mtlsynth.speech.voicefile import (
        dump_estimator,
        load_estimator,
        read_voice,
        write_voice,
    )

    penalty = {
        "sum of non-smooth terms": SumPenalty(nonsmooth=[L1(0.05), TraceNorm(0.5)]),
        "decomposed with named parts": Decomposed(
            [("shared", L1Inf(0.5)), L21(0.8, group="task"), L1(0.2)]
        ),
        "clustered tasks in a sum": ClusteredTasks(0.5, 0.1, n_clusters=2) + L1(0.05),
    }[penalty]
    rng = np.random.default_rng(1)
    X, tasks = rng.normal(size=(60, 4)), np.repeat(["a", "b", "c"], 20)
    Y = X @ rng.normal(size=(4, 2)) + rng.normal(size=(60, 2))
    model = ProximalRegressor(penalty).fit(X, Y, tasks=tasks)
    arrays = {}
    meta = {"model": dump_estimator(model, "model/", arrays)}
    write_voice(tmp_path / "v.npz", meta, arrays)
    meta, arrays = read_voice(tmp_path / "v.npz")
    loaded = load_estimator(meta["model"], arrays)
    assert repr(loaded.penalty) == repr(penalty)
    assert loaded.penalty.get_params().keys() == penalty.get_params().keys()
    np.testing.assert_array_equal(
        loaded.predict(X, tasks=tasks), model.predict(X, tasks=tasks)
    )
    if isinstance(penalty, Decomposed):
        np.testing.assert_array_equal(loaded.coef_components_, model.coef_components_)


def test_training_data_of_parts_merge_into_the_whole(corpus_split):
    from mtlsynth.speech import Corpus

    train, _ = corpus_split
    whole = ParametricSynthesizer(progress=False).fit(train)
    half = len(train.utterances) // 2
    parts = [
        Corpus(train.root, train.fs, train.utterances[:half]),
        Corpus(train.root, train.fs, train.utterances[half:]),
    ]
    # the same utterances held out to choose the penalties as fit holds out
    held = validation_utterances(train, whole.validation_fraction, VALIDATION_SECONDS)
    assert 0 < held.sum() < len(held)
    maker = ParametricSynthesizer(progress=False)
    a, b = (
        maker.collect(p, features=whole.features_, validation=h)
        for p, h in zip(parts, (held[:half], held[half:]), strict=True)
    )
    data = a.merge(b)
    merged = ParametricSynthesizer(progress=False).fit_training_data(data)
    assert not data.validation_frames and not data.validation_phones  # absorbed
    for searched, again in zip(
        whole.penalty_search_, merged.penalty_search_, strict=True
    ):
        assert searched["alpha_shared"] == again["alpha_shared"]
        np.testing.assert_allclose(
            searched["validation_mse"], again["validation_mse"], rtol=1e-8
        )
    assert data.acoustic is not None  # kept for other fits (fit drops its own)
    assert not hasattr(whole.acoustic_model_, "statistics_")
    np.testing.assert_allclose(
        merged.acoustic_model_.coef_, whole.acoustic_model_.coef_, atol=1e-8
    )
    np.testing.assert_allclose(
        merged.duration_model_.coef_, whole.duration_model_.coef_, atol=1e-8
    )
    np.testing.assert_allclose(merged.target_std_, whole.target_std_, rtol=1e-10)
    np.testing.assert_allclose(merged.variance_, whole.variance_, rtol=1e-6)
    # summaries do not name their utterances
    assert whole.training_utterances_ == utterance_names(train)
    assert merged.training_utterances_ is None and merged.held_out_ is None


def test_fit_summarizes_the_frames_once_the_duration_model_is_fitted(
    corpus_split, monkeypatch
):
    train, _ = corpus_split
    calls, collect = [], ParametricSynthesizer.collect

    def spy(self, corpus, **options):
        flags = options.get("phones", True), options.get("frames", True)
        calls.append((*flags, hasattr(self, "duration_model_")))
        return collect(self, corpus, **options)

    monkeypatch.setattr(ParametricSynthesizer, "collect", spy)
    ParametricSynthesizer(progress=False).fit(train)
    assert calls == [(True, False, False), (False, True, True)]


def test_fit_says_when_it_keeps_fixed_penalties(corpus_split, capsys):
    train, _ = corpus_split
    ParametricSynthesizer(progress=True, validation_fraction=0).fit(train)
    said = capsys.readouterr().err
    for name in ("duration", "acoustic"):
        assert f"{name} model: fixed penalties (no validation sentences)" in said
        assert f"{name} model: alpha_shared=" not in said


def _rows(seed=0, n=300, d=5, q=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    tasks = np.where(rng.random(n) < 0.4, "a", "b")
    Y = X @ rng.normal(size=(d, q)) + 3.0 + (tasks == "a")[:, None] * 2.0
    Y += rng.normal(size=Y.shape) * np.array([1.0, 5.0, 0.1])
    return X, Y, tasks


def test_target_normalization_and_normalized_statistics_match_the_rows():
    from mtlsynth import TaskStatistics
    from mtlsynth.speech.training import normalized_statistics, target_normalization

    X, Y, tasks = _rows()
    labels, codes = np.unique(tasks, return_inverse=True)
    stats = TaskStatistics.from_data(X, Y, labels, codes)
    mean, std = target_normalization(stats)
    for t, label in enumerate(labels):
        np.testing.assert_allclose(mean[t], Y[tasks == label].mean(0))
        np.testing.assert_allclose(std[t], Y[tasks == label].std(0))
    np.testing.assert_allclose(mean[-1], Y.mean(0))
    np.testing.assert_allclose(std[-1], Y.std(0))
    Z = (Y - mean[codes]) / std[codes]
    direct = TaskStatistics.from_data(X, Z, labels, codes)
    derived = normalized_statistics(stats, mean, std)
    for name in ("mean_y", "xy", "yy"):
        np.testing.assert_allclose(
            getattr(derived, name), getattr(direct, name), atol=1e-9
        )
    glob_mean, glob_std = target_normalization(stats, "global")
    assert np.all(glob_mean == mean[-1]) and np.all(glob_std == std[-1])


def test_fit_model_fits_a_maxent_on_every_kth_row_first():
    from mtlsynth import MaxEntClassifier
    from mtlsynth.speech.models import fit_model

    class Recorded(MaxEntClassifier):
        def fit(self, X, y, tasks=None, sample_weight=None):
            self.rows_ = [*getattr(self, "rows_", []), (len(y), self.warm_start)]
            return super().fit(X, y, tasks, sample_weight)

    rng = np.random.default_rng(3)
    X = rng.normal(size=(2000, 6))
    tasks = rng.integers(0, 3, size=2000)
    y = (X[:, 0] + 0.5 * (tasks == 1) * X[:, 1] + rng.normal(size=2000) > 0) * 1
    weight = rng.uniform(0.5, 2.0, size=2000)
    kw = {"alpha_shared": 0.3, "alpha_task": 2.0, "tol": 1e-9, "max_iter": 5000}
    cold = MaxEntClassifier(**kw).fit(X, y, tasks, weight)
    model = fit_model(Recorded(**kw), X, y, tasks, weight, prefit_stride=4)
    assert model.rows_ == [(500, False), (2000, True)]
    assert model.warm_start is False  # as it was given
    np.testing.assert_allclose(model.coef_, cold.coef_, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, cold.intercept_, atol=1e-6)
    # every 4th row has one class only: a single fit
    alone = fit_model(Recorded(**kw), X, np.arange(2000) % 4 == 1, tasks, weight)
    assert alone.rows_ == [(2000, False)]


def test_residual_sse_equals_the_squared_residuals_of_the_rows():
    from mtlsynth import TaskStatistics
    from mtlsynth.speech.models import residual_sse

    X, Y, tasks = _rows(1)
    labels, codes = np.unique(tasks, return_inverse=True)
    stats = TaskStatistics.from_data(X, Y, labels, codes)
    shared = SharedLeastSquares(alpha_shared=3.0, alpha_task=2.0).fit(
        X[:200], Y[:200], tasks=tasks[:200]
    )
    pooled = Ridge(alpha=2.0).fit(X[:200], Y[:200])
    for model, predict in (
        (shared, lambda rows: shared.predict(X[rows], tasks=tasks[rows])),
        (pooled, lambda rows: pooled.predict(X[rows])),
    ):
        for t, label in enumerate(labels):
            rows = tasks == label
            direct = ((Y[rows] - predict(rows)) ** 2).sum(0)
            np.testing.assert_allclose(residual_sse(model, stats)[t], direct)
    unseen = SharedLeastSquares(unseen_tasks="shared").fit(
        X[tasks == "a"], Y[tasks == "a"], tasks=tasks[tasks == "a"]
    )
    rows = tasks == "b"
    direct = ((Y[rows] - unseen.predict(X[rows], tasks=tasks[rows])) ** 2).sum(0)
    np.testing.assert_allclose(residual_sse(unseen, stats)[1], direct)


def test_voicing_samples_keep_every_change_of_voicing_with_honest_weights(
    corpus_split, synth
):
    from mtlsynth.speech.training import _next_to_change

    np.testing.assert_array_equal(
        _next_to_change(np.array([0, 0, 1, 1, 1, 0, 0])),
        [False, True, True, False, True, True, False],
    )
    train, _ = corpus_split
    plain = synth.collect(train, features=synth.features_, frame_stride=3)
    _, _, voiced, _, weight = plain.frames
    assert np.all(weight == 3)
    data = synth.collect(
        train, features=synth.features_, frame_stride=3, keep_transitions=True
    )
    _, _, kept_voiced, _, kept_weight = data.frames
    n_frames = int(plain.acoustic.weight.sum())
    assert len(voiced) < len(kept_voiced) < n_frames
    assert set(np.unique(kept_weight)) == {1.0, 3.0}
    # every row stands for as many frames as were skipped like it
    assert abs(kept_weight.sum() - n_frames) < 0.02 * n_frames
    assert abs(np.average(kept_voiced, weights=kept_weight) - voiced.mean()) < 0.02


def test_frame_rows_stack_as_vstack_does_and_release_their_chunks():
    from scipy import sparse

    from mtlsynth.speech.training import TrainingData

    rng = np.random.default_rng(0)
    chunks = [
        (
            sparse.random(n, 7, density=0.3, format="csr", random_state=k),
            rng.normal(size=(n, 2)),
            rng.integers(0, 2, n),
            np.array(["a", "bb"])[rng.integers(0, 2, n)],
            np.full(n, float(k + 1)),
        )
        for k, n in enumerate((5, 0, 3, 8))
    ]
    expected = [sparse.vstack([c[0] for c in chunks], format="csr")]
    expected += [np.concatenate(parts) for parts in list(zip(*chunks, strict=True))[1:]]
    data = TrainingData(None, {}, frame_rows=list(chunks))
    stacked = data.frames
    assert sparse.isspmatrix_csr(stacked[0]) and stacked[0].shape == (16, 7)
    assert (stacked[0] != expected[0]).nnz == 0
    for got, want in zip(stacked[1:], expected[1:], strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(data.frame_rows) == 1 and data.frames is stacked


def test_spilled_frame_rows_read_back_as_kept_and_leave_no_files(
    corpus_split, synth, tmp_path
):
    from pathlib import Path

    train, _ = corpus_split
    maker = clone(synth).set_params(chunk_utterances=4)
    options = {"features": synth.features_, "frame_stride": 3, "keep_transitions": True}
    kept = maker.collect(train, **options).frames
    data = maker.collect(train, spill=True, **options)
    (folder,) = data.spill_folders
    files = list(Path(folder.name).iterdir())
    assert len(files) == len(data.frame_rows) > 1  # one file a chunk, rows not held
    assert not any(isinstance(chunk, tuple) for chunk in data.frame_rows)
    spilled = data.frames
    assert (spilled[0] != kept[0]).nnz == 0 and spilled[0].shape == kept[0].shape
    for got, want in zip(spilled[1:], kept[1:], strict=True):
        np.testing.assert_array_equal(got, want)
    assert data.spill_folders == () and not any(Path(folder.name).iterdir())
    dropped = maker.collect(train, spill=tmp_path / "rows", **options)
    path = Path(dropped.spill_folders[0].name)
    assert path.parent == tmp_path / "rows" and any(path.iterdir())
    del dropped  # never read: the folder goes with the data
    assert not path.exists()


def test_a_frame_sample_thins_all_rows_evenly_chunk_by_chunk(corpus_split, synth):
    train, _ = corpus_split
    maker = clone(synth).set_params(chunk_utterances=4)
    options = {"features": synth.features_, "frame_stride": 2, "keep_transitions": True}
    X, *arrays, weight = maker.collect(train, **options).frames
    data = maker.collect(train, spill=True, **options)
    limit = X.shape[0] // 3 - 1
    step = -(-X.shape[0] // limit)
    sample = data.frame_sample(limit)
    assert step == 4 and sample[0].shape[0] <= limit and data.spill_folders == ()
    assert (sample[0] != X[::step]).nnz == 0 and sample[0].shape == X[::step].shape
    for got, want in zip(sample[1:-1], arrays, strict=True):
        np.testing.assert_array_equal(got, want[::step])
    np.testing.assert_array_equal(sample[-1], weight[::step] * step)
    assert data.frames is sample and data.frame_sample(limit) is sample  # kept
    whole = maker.collect(train, **options)
    assert whole.frame_sample(X.shape[0])[0].shape == X.shape  # all when they fit


def test_frame_targets_are_kept_only_for_models_that_need_them(corpus_split, synth):
    from sklearn.linear_model import Ridge

    train, _ = corpus_split
    data = synth.collect(train, features=synth.features_, frame_stride=3)
    X, targets, voiced, _, _ = data.frames
    assert targets.shape == (X.shape[0], 0) and len(voiced) == X.shape[0]
    rows = ParametricSynthesizer(acoustic_model=Ridge(), progress=False)
    with pytest.raises(ValueError, match="keep_frame_targets=True"):
        rows.fit_training_data(data)
    kept = synth.collect(
        train, features=synth.features_, frame_stride=3, keep_frame_targets=True
    )
    assert kept.frames[1].shape == (X.shape[0], data.acoustic.mean_y.shape[1])
    fitted = rows.fit_training_data(kept).acoustic_model_
    assert fitted.coef_.shape[0] == kept.frames[1].shape[1]


def test_a_loud_burst_is_limited_without_quieting_the_rest():
    t = np.arange(22050) / 22050
    wave = 0.2 * np.sin(2 * np.pi * 220 * t)
    wave[1000:1100] *= 20  # a 5 ms burst far beyond full scale
    out = limit_peaks(wave)
    quiet = np.abs(wave) <= 0.9
    np.testing.assert_array_equal(out[quiet], wave[quiet])
    assert np.abs(out).max() <= 0.99
    order = np.argsort(wave)
    assert np.all(np.diff(out[order]) >= 0)  # monotone: no folding


LONG_TEXT = "The old man sat by the river. Was it cold? " * 3 + "Yes!"


def test_text_is_spoken_sentence_by_sentence_each_as_loud_as_alone(synth):
    pieces = list(synth.synthesize_sentences(LONG_TEXT, dialect="en-GB-scotland"))
    assert len(pieces) == 7
    alone = [
        synth.synthesize(s, dialect="en-GB-scotland")[0]
        for s in ("The old man sat by the river.", "Was it cold?", "Yes!")
    ]
    for i, piece in enumerate(pieces):
        np.testing.assert_array_equal(piece, alone[2 if i == 6 else i % 2])
    whole, _ = synth.synthesize(LONG_TEXT, dialect="en-GB-scotland")
    np.testing.assert_array_equal(whole, np.concatenate(pieces))


def test_sentences_are_checked_before_any_is_spoken(synth):
    with pytest.raises(ValueError, match="unknown dialect"):
        synth.synthesize_sentences(LONG_TEXT, dialect="xx-YY")
    with pytest.raises(ValueError, match="no words to speak"):
        synth.synthesize_sentences("... !? --", dialect="en-US")
    with pytest.raises(ValueError, match="accent strength"):
        synth.synthesize_sentences(LONG_TEXT, dialect="en-US", accent_strength=9)


def test_the_prompts_are_transcribed_once_for_both_passes(
    corpus_split, synth, monkeypatch
):
    import mtlsynth.speech.synthesizer as synthesizer
    import mtlsynth.speech.training as training

    train, _ = corpus_split
    options = {"features": synth.features_, "phones": False}
    want = synth.collect(train, **options).acoustic
    words = training._corpus_words(train, False)
    calls = []

    def counted(corpus, progress):
        calls.append(len(corpus))
        return words

    def refused(corpus, progress):
        raise AssertionError("transcribed again")

    monkeypatch.setattr(synthesizer, "_corpus_words", counted)
    monkeypatch.setattr(training, "_corpus_words", refused)
    got = synth.collect(train, words=words, **options).acoustic
    for name in ("count", "xx", "xy", "yy"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    with pytest.raises(ValueError, match=rf"one entry per utterance \({len(train)}\)"):
        synth.collect(train, words=words[:-1], **options)
    again = clone(synth).fit(train)
    assert calls == [len(train)]  # the phones' pass and the frames' share them
    np.testing.assert_allclose(
        again.acoustic_model_.coef_, synth.acoustic_model_.coef_, rtol=1e-10
    )


def test_above_max_voicing_frames_voicing_trains_on_every_frame_from_disk(
    corpus_split, tmp_path
):
    from mtlsynth import MaxEntClassifier
    from mtlsynth.speech.models import fit_voicing_model

    train, _ = corpus_split
    seconds = sum(float(u.label.durations.sum()) for u in train.utterances)
    limit = int(seconds * 200 / 3)  # a third of the frames
    model = MaxEntClassifier(1.0, 10.0, tol=1e-5, max_iter=3000, unseen_tasks="shared")
    voice = ParametricSynthesizer(
        features=LinguisticFeatures(diphone_min_count=3),
        voicing_model=model,
        max_voicing_frames=limit,
        chunk_utterances=4,
        cache_dir=tmp_path,
        progress=False,
    ).fit(train)
    streamed = voice.voicing_model_
    assert not streamed.warm_start and streamed.tasks_.tolist() == sorted(DIALECTS)
    assert not list(tmp_path.rglob("mtlsynth-rows-*/*"))  # the frames' files gone

    def fitted_on(limit):
        data = voice.collect(train, features=voice.features_)
        return fit_voicing_model(clone(model), data, limit)[1].coef_

    every, sample = fitted_on(10 * limit), fitted_on(limit // 2)
    off = np.abs(streamed.coef_ - every).max()
    assert off < 0.15 * np.abs(sample - every).max()  # far nearer than its start
