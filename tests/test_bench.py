import json
import warnings

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPRegressor

from mtlsynth import FISTA, ProximalRegressor, TaskStatistics
from mtlsynth.bench import (
    PerTask,
    PerTaskRidge,
    PooledRidge,
    RidgeStartedRegressor,
    WithTaskCode,
    run_bench,
)
from mtlsynth.cli import main
from mtlsynth.penalties import L2, L21, SumPenalty
from mtlsynth.speech import LinguisticFeatures, build_corpus

REQUIRED = {
    "method",
    "dialect",
    "n_train_utts",
    "mcd_db",
    "f0_rmse_hz",
    "vuv_error_pct",
    "bap_db",
    "dur_rmse_ms",
    "fit_s",
}


def _data(seed=0, n=400, d=6, q=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    tasks = np.where(rng.random(n) < 0.3, "a", "b")
    Y = X @ rng.normal(size=(d, q)) + (tasks == "a")[:, None] + rng.normal(size=(n, q))
    return X, Y, tasks


def test_pooled_ridge_from_statistics_equals_ridge_on_the_pooled_rows():
    X, Y, tasks = _data()
    labels, codes = np.unique(tasks, return_inverse=True)
    stats = TaskStatistics.from_data(X, Y, labels, codes)
    ours = PooledRidge(alpha=3.0).fit_statistics(stats)
    ref = Ridge(alpha=3.0).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-10)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-10)


def test_per_task_equals_one_classifier_per_task():
    X, Y, tasks = _data(1)
    y = (Y[:, 0] > 0).astype(int)
    model = PerTask(LogisticRegression(C=0.5)).fit(X, y, tasks)
    for t in ("a", "b"):
        rows = tasks == t
        ref = LogisticRegression(C=0.5).fit(X[rows], y[rows])
        np.testing.assert_allclose(
            model.predict_proba(X[rows], tasks[rows]), ref.predict_proba(X[rows])
        )
        np.testing.assert_array_equal(
            model.predict(X[rows], tasks[rows]), ref.predict(X[rows])
        )


def test_task_code_is_a_one_hot_column_per_task():
    X, Y, tasks = _data(2)
    model = WithTaskCode(Ridge(alpha=1e-3)).fit(X, Y, tasks)
    coded = np.hstack([X, np.column_stack([tasks == "a", tasks == "b"])])
    ref = Ridge(alpha=1e-3).fit(coded, Y)
    np.testing.assert_allclose(model.predict(X, tasks), ref.predict(coded))


def test_ridge_start_converges_to_the_same_solution_in_fewer_iterations():
    rng = np.random.default_rng(3)
    n, d = 400, 20  # nearly collinear columns: a slowly converging problem
    X = rng.normal(size=(n, 3)) @ rng.normal(size=(3, d))
    X += 0.05 * rng.normal(size=(n, d))
    tasks = np.where(rng.random(n) < 0.3, "a", "b")
    Y = X @ rng.normal(size=(d, 2)) + rng.normal(size=(n, 2))
    labels, codes = np.unique(tasks, return_inverse=True)
    stats = TaskStatistics.from_data(X, Y, labels, codes)
    penalty = SumPenalty(L2(1e-3), L21(1e-4))
    solver = FISTA(max_iter=50000, tol=1e-12)
    cold = ProximalRegressor(penalty, solver=solver).fit_statistics(stats)
    warm = RidgeStartedRegressor(penalty, solver=solver).fit_statistics(stats)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-6)
    assert warm.n_iter_ < cold.n_iter_


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    dialects = ["en-US", "en-GB-scotland"]
    build_corpus(root, dialects=dialects, n_utterances=7, progress=False)
    return root


def test_bench_records_every_method_level_and_dialect_and_resumes(
    corpus_root, tmp_path
):
    methods = ["independent", "pooled", "shared-least-squares", "graph"]
    kwargs = dict(
        corpus=corpus_root,
        quick=True,
        target="en-GB-scotland",
        dialects=["en-US", "en-GB-scotland"],
        levels=(2, 5),
        methods=methods,
        n_test=2,
        features=LinguisticFeatures(  # small, to keep the test fast
            context=0,
            interaction_context=0,
            n_bumps=2,
            n_identity_bumps=0,
            edge_kernels=(),
            diphone_kernels=(),
        ),
        progress=False,
    )
    lines = []
    records = run_bench(tmp_path, log=lines.append, **kwargs)
    assert len(records) == len(methods) * 2 * 2
    assert len(lines) == len(methods) * 2 + 1
    for r in records:
        assert REQUIRED <= set(r)
        assert all(np.isfinite(r[k]) for k in REQUIRED - {"method", "dialect"})
        expected = r["target_level"] if r["dialect"] == "en-GB-scotland" else 5
        assert r["n_train_utts"] == expected
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved == json.loads(json.dumps(records))
    report = (tmp_path / "results.md").read_text()
    assert all(m in report for m in methods)
    sim = json.loads((tmp_path / "dialect_similarity.json").read_text())
    assert np.allclose(np.diag(sim["cosine"]), 1.0)
    for plot in ("learning_curves.png", "dialect_similarity.png"):
        assert (tmp_path / plot).read_bytes()[:4] == b"\x89PNG"
    # a second run finds every (level, method) done and fits nothing
    again = []
    assert run_bench(tmp_path, log=again.append, **kwargs) == saved
    assert len(again) == 1  # only the corpus summary line


def test_bench_command_names_a_bad_target(corpus_root, tmp_path, capsys):
    status = main(
        [
            "bench",
            "--out",
            str(tmp_path),
            "--corpus",
            str(corpus_root),
            "--quick",
            "--target",
            "xx",
        ]
    )
    assert status == 1
    assert "target dialect 'xx'" in capsys.readouterr().err


def test_per_task_ridge_equals_one_ridge_per_task_with_its_own_alpha():
    X, Y, tasks = _data(4)
    labels, codes = np.unique(tasks, return_inverse=True)
    stats = TaskStatistics.from_data(X, Y, labels, codes)
    model = PerTaskRidge(alpha={"a": 0.5, "b": 30.0}).fit_statistics(stats)
    for t, alpha in (("a", 0.5), ("b", 30.0)):
        rows = tasks == t
        ref = Ridge(alpha=alpha).fit(X[rows], Y[rows])
        np.testing.assert_allclose(
            model.predict(X[rows], tasks[rows]), ref.predict(X[rows])
        )


def test_coordinate_search_gives_each_dialect_a_value_that_lowers_the_cv_error():
    from mtlsynth import SharedLeastSquares
    from mtlsynth.bench.selection import _dialect_mse, _select_regressor

    rng = np.random.default_rng(5)
    d, labels = 8, np.array(["big", "close", "far"])
    w0 = rng.normal(size=d)
    shift = {"big": 0.1, "close": 0.1, "far": 4.0}
    coef = {t: w0 + shift[t] * rng.normal(size=d) for t in labels}
    blocks = []
    for _k in range(2):
        parts = []
        for code, t in enumerate(labels):
            n = 300 if t == "big" else 16
            X = rng.normal(size=(n, d))
            y = X @ coef[t] + 2 * rng.normal(size=n)
            parts.append((X, y[:, None], np.full(n, code)))
        X, Y, codes = (np.concatenate(p) for p in zip(*parts, strict=True))
        blocks.append(TaskStatistics.from_data(X, Y, labels, codes))
    folds = [(blocks[1], blocks[0]), (blocks[0], blocks[1])]
    grid = [
        {"alpha_shared": a0, "alpha_task": a1}
        for a0 in (1.0, 1e12)
        for a1 in (0.1, 10.0, 1e3)
    ]

    def cv_error(params):  # mean over folds and dialects, fitted directly
        errors = [
            _dialect_mse(SharedLeastSquares(**params).fit_statistics(train), val)
            for train, val in folds
        ]
        return float(np.mean(errors))

    base = SharedLeastSquares()
    common, common_score = _select_regressor(base, grid, folds)
    chosen, score = _select_regressor(base, grid, folds, per_dialect="alpha_task")
    values = chosen["alpha_task"]
    assert set(values) == set(labels)
    assert set(values.values()) <= {0.1, 10.0, 1e3}
    assert chosen["alpha_shared"] == common["alpha_shared"]
    assert common_score == pytest.approx(cv_error(common))
    assert score == pytest.approx(cv_error(chosen))
    assert score < common_score
    assert values["far"] < values["close"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not a results file"),
        ('{"a": 1}', "not a results file"),
        ("[1]", "record 0: not an object"),
        ('[{"method": "pooled"}]', "record 0: field 'dialect'"),
        (
            json.dumps(
                [
                    {
                        "method": "pooled",
                        "dialect": "en",
                        "target": "en-US",
                        "target_level": 10,
                        "mcd_db": 5.0,
                        "f0_rmse_hz": 1.0,
                        "vuv_error_pct": 1.0,
                        "bap_db": 1.0,
                        "dur_rmse_ms": 1.0,
                    }
                ]
            ),
            "target dialect 'en-US', not 'en'",
        ),
    ],
)
def test_a_bad_results_file_is_refused_before_any_work(tmp_path, text, message):
    out = tmp_path / "bench"
    out.mkdir()
    (out / "results.json").write_text(text)
    with pytest.raises(ValueError, match=message) as error:
        run_bench(
            out, corpus=tmp_path / "missing", dialects=["en", "en-029"], target="en"
        )
    assert str(out / "results.json") in str(error.value)


def test_blocks_merge_to_the_statistics_of_their_utterances(corpus_root):
    from mtlsynth.bench.selection import _collect_blocks, _Folds
    from mtlsynth.speech import ParametricSynthesizer, read_corpus

    corpus = read_corpus(corpus_root)
    features = LinguisticFeatures(context=0, interaction_context=0, n_bumps=2)
    features.set_params(frame_period=5.0, level="frame")
    features.fit([u.label for u in corpus.utterances])
    synth = ParametricSynthesizer(cache_dir=corpus_root / ".features", progress=False)
    target, n = "en-GB-scotland", len(corpus) // 2
    args = (synth, corpus, features, target)
    binned = _collect_blocks(*args, (2, 5), 2, 4, False)
    # the target in bins of the levels, the other dialect in one, both in folds
    assert sorted({(d, b) for d, b, _ in binned.data}) == [
        ("en-GB-scotland", 0),
        ("en-GB-scotland", 1),
        ("en-GB-scotland", 2),
        ("en-US", 0),
    ]
    blocks = _collect_blocks(*args, (n,), 2, 4, False)
    whole = synth.collect(corpus, features=features, frame_stride=4)
    merged = blocks.merged(blocks.select(target, n))
    folds = [
        pair
        for part in ("duration", "acoustic")
        for pair in _Folds(blocks, target, n, part)
    ]
    for stats, ref in (
        [(merged.duration, whole.duration), (merged.acoustic, whole.acoustic)]
        + [(TaskStatistics.union(f), whole.acoustic) for f in folds[2:]]
        + [(TaskStatistics.union(f), whole.duration) for f in folds[:2]]
    ):
        assert stats.labels.tolist() == ref.labels.tolist()
        for name in ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy"):
            a, b = getattr(stats, name), getattr(ref, name)
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10 * np.abs(b).max())
    kept = sum(b.frames[0].shape[0] for b in blocks.data.values())
    assert merged.frames[0].shape[0] == kept
    # the phone rows too, for a duration model without statistics
    X, log_frames, dialect = merged.phones
    assert X.shape[0] == log_frames.size == whole.duration.count.sum()
    np.testing.assert_allclose(
        X.sum(axis=0).A1, whole.duration.mean_x.T @ whole.duration.weight, rtol=1e-10
    )


def test_task_code_keeps_sparse_rows_sparse():
    from scipy import sparse

    from mtlsynth.speech.models import model_rows

    X, Y, tasks = _data(4)
    X[np.abs(X) < 1.0] = 0.0

    def model():
        return WithTaskCode(
            MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
        )

    rows = model_rows(model(), sparse.csr_matrix(X))
    assert sparse.issparse(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted, dense = model().fit(rows, Y, tasks), model().fit(X, Y, tasks)
    np.testing.assert_allclose(
        fitted.predict(rows, tasks), dense.predict(X, tasks), rtol=1e-10
    )
    # an estimator that does not take sparse rows gets them dense
    refuses = WithTaskCode(HistGradientBoostingRegressor())
    assert not sparse.issparse(model_rows(refuses, rows))
