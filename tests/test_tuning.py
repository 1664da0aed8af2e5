"""Penalties chosen on held-out rows: the scores, the split, the choice."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone

from mtlsynth import SharedLeastSquares
from mtlsynth._holdout import holdout_losses, shared_solutions, task_part_losses
from mtlsynth._stats import TaskStatistics
from mtlsynth.speech.corpus import Corpus, Utterance
from mtlsynth.speech.training import TrainingData
from mtlsynth.speech.tuning import (
    _nearest_significant,
    _task_parts,
    choose_penalties,
    scoring_problem,
    validation_utterances,
)

LABELS = np.array(["a", "b", "c", "d"])


def _rows(seed=0, n=400, d=12, q=3, shift=0.0):
    """Rows of four tasks sharing a model, each task shifted by ``shift``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    tasks = rng.choice(LABELS, n)
    W = rng.normal(size=(d, q))
    own = {t: shift * rng.normal(size=(d, q)) for t in LABELS}
    Y = np.einsum("nd,ndq->nq", X, np.stack([W + own[t] for t in tasks]))
    return X, Y + 0.5 * rng.normal(size=(n, q)), tasks


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("as_sparse", [False, True])
@pytest.mark.parametrize("distance", [False, True])
def test_holdout_losses_equal_fitting_every_pair(fit_intercept, as_sparse, distance):
    X, Y, tasks = _rows()
    Y += 3.0  # intercepts matter
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(tasks))
    train, test = slice(0, 300), slice(300, None)
    stats = TaskStatistics.from_data(
        X[train], Y[train], LABELS, np.searchsorted(LABELS, tasks[train]), w[train]
    )
    shared, task, scale = [0.1, 1.0, 10.0], [0.5, 5.0], np.array([1.0, 2, 3, 4])
    task_weight = np.array([1.0, 0.5, 0.1, 2.0])
    units = np.random.default_rng(2).uniform(0.5, 2.0, (4, Y.shape[1]))
    Xt = sparse.csr_matrix(X[test]) if as_sparse else X[test]
    got = holdout_losses(
        stats,
        Xt,
        Y[test],
        tasks[test],
        shared,
        task,
        task_scale=scale,
        task_weight=task_weight,
        sample_weight=w[test],
        output_scale=units,
        fit_intercept=fit_intercept,
        distance=distance,
    )
    expected = np.empty((3, 2))
    for i, a0 in enumerate(shared):
        for j, a1 in enumerate(task):
            model = SharedLeastSquares(
                a0,
                dict(zip(LABELS, a1 * scale, strict=True)),
                task_weight=dict(zip(LABELS, task_weight, strict=True)),
                fit_intercept=fit_intercept,
            ).fit(X[train], Y[train], tasks[train], sample_weight=w[train])
            residual = model.predict(X[test], tasks[test]) - Y[test]
            residual *= units[np.searchsorted(LABELS, tasks[test])]
            error = np.sum(residual**2, axis=1)
            error = np.sqrt(error) if distance else error / Y.shape[1]
            expected[i, j] = np.sum(w[test] * error) / w[test].sum()
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("as_sparse", [False, True])
@pytest.mark.parametrize("distance", [False, True])
def test_task_part_losses_equal_scoring_every_refit_model(as_sparse, distance):
    X, Y, tasks = _rows(shift=0.5)
    codes = np.searchsorted(LABELS, tasks)
    stats = TaskStatistics.from_data(X[:300], Y[:300], LABELS, codes[:300])
    Xv = sparse.csr_matrix(X[300:]) if as_sparse else X[300:]
    alpha_task = np.array([1.0, 3.0, 0.3, 2.0])
    weight = np.array([1.0, 0.5, 1.0, 0.8])
    units = np.linspace(0.5, 2.0, 4 * Y.shape[1]).reshape(4, -1)
    multipliers = [0.1, 1.0, 10.0]
    sentence = np.arange(100) // 10
    losses, group_losses = task_part_losses(
        stats, Xv, Y[300:], tasks[300:], 0.7, alpha_task, multipliers,
        task_weight=weight, output_scale=units, groups=sentence, distance=distance,
    )  # fmt: skip
    for k, m in enumerate(multipliers):
        model = SharedLeastSquares(
            0.7,
            dict(zip(LABELS, alpha_task, strict=True)),
            task_weight=dict(zip(LABELS, weight, strict=True)),
            alpha_task_refit=dict(zip(LABELS, m * alpha_task, strict=True)),
        ).fit(X[:300], Y[:300], tasks=tasks[:300])
        error = (model.predict(X[300:], tasks=tasks[300:]) - Y[300:]) ** 2
        error = np.sum(error * units[codes[300:]] ** 2, axis=1)
        error = np.sqrt(error) if distance else error / Y.shape[1]
        for t, label in enumerate(LABELS):
            rows = tasks[300:] == label
            np.testing.assert_allclose(losses[t, k], error[rows].mean(), rtol=1e-9)
            g = sentence[rows][0]
            in_group = rows & (sentence == g)
            np.testing.assert_allclose(
                group_losses[g, t, k], error[in_group].mean(), rtol=1e-9
            )


def test_shared_solutions_are_the_shared_part_the_scores_use():
    X, Y, tasks = _rows(shift=0.5)
    codes = np.searchsorted(LABELS, tasks)
    stats = TaskStatistics.from_data(X[:300], Y[:300], LABELS, codes[:300])
    scale = np.array([1.0, 3.0, 0.3, 2.0])
    weight = np.array([1.0, 0.5, 1.0, 0.8])
    alphas_shared, alphas_task = [0.1, 10.0], [0.5, 5.0]
    shared = np.stack(
        [
            shared_solutions(stats, alphas_shared, a * scale, task_weight=weight)
            for a in alphas_task
        ]
    )
    model = SharedLeastSquares(
        10.0,
        dict(zip(LABELS, 5.0 * scale, strict=True)),
        task_weight=dict(zip(LABELS, weight, strict=True)),
    ).fit(X[:300], Y[:300], tasks=tasks[:300])
    np.testing.assert_allclose(shared[1][:, 1], model.coef_shared_.T, rtol=1e-9)
    held = (X[300:], Y[300:], tasks[300:])
    options = {"task_scale": scale, "task_weight": weight, "groups": codes[300:]}
    given = holdout_losses(
        stats, *held, alphas_shared, alphas_task, shared=shared, **options
    )
    solved = holdout_losses(stats, *held, alphas_shared, alphas_task, **options)
    for a, b in zip(given, solved, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    parts = [
        task_part_losses(
            stats, *held, 10.0, 0.5 * scale, [0.1, 1.0], task_weight=weight, shared=W0
        )
        for W0 in (shared[0][:, 1], None)
    ]
    np.testing.assert_allclose(*parts, rtol=1e-12)


def test_holdout_losses_name_unknown_tasks():
    X, Y, tasks = _rows()
    stats = TaskStatistics.from_data(
        X[:300], Y[:300], LABELS, np.searchsorted(LABELS, tasks[:300])
    )
    bad = tasks[300:].astype("<U2")
    bad[0] = "zz"
    with pytest.raises(ValueError, match="zz"):
        holdout_losses(stats, X[300:], Y[300:], bad, [1.0], [1.0])


def _corpus(sizes):
    """A corpus of ``sizes[dialect]`` utterances per dialect, names shared."""
    utts = tuple(
        Utterance(dialect, f"utt{i:03d}", None, None, None, 0)
        for dialect, n in sorted(sizes.items())
        for i in range(n)
    )
    return Corpus(None, 16000, utts)


def test_validation_utterances_hold_out_whole_utterances_of_every_dialect():
    corpus = _corpus({"x": 10, "y": 10, "z": 3, "w": 1})
    held = validation_utterances(corpus, 0.2)
    by = {}
    for u, h in zip(corpus.utterances, held, strict=True):
        by.setdefault(u.dialect, []).append((u.name, bool(h)))
    names = {d: [n for n, h in rows if h] for d, rows in by.items()}
    assert len(names["x"]) == 2 and names["x"] == names["y"]  # same sentences
    assert len(names["z"]) == 1  # ceil(0.6)
    assert names["w"] == []  # a dialect's only utterance stays in training
    assert not validation_utterances(corpus, 0.0).any()
    assert validation_utterances(_corpus({"x": 4}), 0.99).sum() == 3  # keep one
    with pytest.raises(ValueError, match="validation_fraction"):
        validation_utterances(corpus, 1.0)


def test_validation_utterances_keep_to_a_length():
    utts = tuple(
        SimpleNamespace(
            dialect=dialect,
            name=f"u{i:02d}",
            label=SimpleNamespace(durations=np.array([seconds])),
        )
        for dialect, seconds in (("x", 1.0), ("y", 3.0))  # y speaks slower
        for i in range(20)
    )
    corpus = SimpleNamespace(utterances=utts)
    assert validation_utterances(corpus, 0.5).sum() == 20
    assert validation_utterances(corpus, 0.5, max_seconds=12.0).sum() == 6  # 3 each
    held = validation_utterances(corpus, 0.5, max_seconds=0.1)
    assert held.sum() == 2  # one each
    # the same sentences, whatever each dialect's speaking rate: no dialect
    # trains on a sentence another is scored on
    held = validation_utterances(corpus, 0.5, max_seconds=30.0)
    names = [
        {u.name for u, h in zip(utts, held, strict=True) if h and u.dialect == d}
        for d in "xy"
    ]
    assert names[0] == names[1] and len(names[0]) == 7


@pytest.mark.parametrize("shift, pooled", [(0.0, True), (3.0, False)])
def test_the_choice_follows_how_related_the_tasks_are(shift, pooled):
    # each search starts on the wrong side: separate models (small
    # penalties) for identical tasks, one pooled model for unrelated ones
    X, Y, tasks = _rows(n=800, shift=shift)
    codes = np.searchsorted(LABELS, tasks)
    stats = TaskStatistics.from_data(X[:600], Y[:600, :1], LABELS, codes[:600])
    utterance = np.arange(200) // 5  # 40 held-out "utterances" of 5 rows
    speech = np.ones(200, bool)
    data = TrainingData(
        None,
        {},
        duration=stats,
        validation_phones=[(X[600:], Y[600:, 0], tasks[600:], utterance, speech)],
    )
    voice = SimpleNamespace(
        duration_model=None, acoustic_model=object(), normalize="dialect"
    )
    start = (1.0, 1.0) if pooled else (1e-2, 1e4)
    model = SharedLeastSquares(*start)
    record = choose_penalties(data, voice, "duration", model)
    losses = record["validation_mse"]
    i = list(record["alphas_shared"]).index(record["alpha_shared"])
    j = list(record["alphas_task"]).index(record["alpha_task"])
    # within a standard error of the least loss: a few %
    assert losses.min() <= losses[i, j] <= 1.1 * losses.min()
    # alpha_task moved by decades, one past the least loss (or to a bound)
    np.testing.assert_allclose(np.diff(np.log10(record["alphas_task"])), 1.0)
    assert losses.shape == (len(record["alphas_shared"]), len(record["alphas_task"]))
    assert model.alpha_shared == record["alpha_shared"]
    # the validation rows are now training rows; every task's penalty is
    # the one chosen, scaled by the task's size, and its weight its share
    assert data.duration.weight.sum() == 800 and not data.validation_phones
    share = data.duration.weight / data.duration.weight.max()
    np.testing.assert_allclose(
        [model.alpha_task[t] for t in LABELS], record["alpha_task"] / share
    )
    np.testing.assert_allclose([model.task_weight[t] for t in LABELS], share)
    # both move towards the truth: identical tasks towards pooling (a larger
    # alpha_task), unrelated ones towards a model each (a smaller one), and
    # the start scores worse than the choice
    moved = record["alpha_task"] / start[1]
    assert moved >= 100 if pooled else moved <= 1e-2
    first = list(record["alphas_task"]).index(start[1])
    assert losses[list(record["alphas_shared"]).index(start[0]), first] > losses[i, j]


def test_validation_rows_stack_once_with_speech_first():
    X, Y, tasks = _rows()
    speech = np.arange(100) % 4 > 0
    chunks = [
        (X[300 + k : 350 + k], Y[300 + k : 350 + k, 0], tasks[300 + k : 350 + k])
        for k in (0, 50)
    ]
    data = TrainingData(
        None,
        {},
        validation_phones=[
            (*c, np.arange(50) + k, speech[k : k + 50])
            for c, k in zip(chunks, (0, 50), strict=True)
        ],
    )
    Xv, yv, tv, uv, sv = data.validation("phones")
    order = np.concatenate([np.flatnonzero(speech), np.flatnonzero(~speech)])
    assert sparse.isspmatrix_csr(Xv) and yv.shape == (100, 1)
    np.testing.assert_array_equal(Xv.toarray(), X[300:][order])
    np.testing.assert_array_equal(yv[:, 0], Y[300:, 0][order])
    np.testing.assert_array_equal(uv, order)
    np.testing.assert_array_equal(sv, speech[order])
    assert data.validation("phones")[0] is Xv  # stacked once, kept


def test_pauses_are_not_scored():
    X, Y, tasks = _rows()
    codes = np.searchsorted(LABELS, tasks)
    stats = TaskStatistics.from_data(X[:300], Y[:300, :1], LABELS, codes[:300])
    speech = np.arange(100) % 4 > 0
    data = TrainingData(
        None,
        {},
        duration=stats,
        validation_phones=[(X[300:], Y[300:, 0], tasks[300:], np.arange(100), speech)],
    )
    _, (Xv, yv, tv, uv), _ = scoring_problem(data, "duration", "dialect")
    np.testing.assert_array_equal(uv, np.flatnonzero(speech))
    np.testing.assert_array_equal(yv[:, 0], Y[300:, 0][speech])
    pauses = np.zeros(100, bool)
    data.validation_phones = [
        (X[300:], Y[300:, 0], tasks[300:], np.arange(100), pauses)
    ]
    assert scoring_problem(data, "duration", "dialect") is None


def test_every_dialect_counts_the_same_in_the_score():
    # one task has most of the validation rows: the score is still the mean
    # over tasks of each task's mean squared error, as a voice's measures
    X, Y, tasks = _rows(n=900, shift=1.0)
    tasks[600:] = np.where(np.arange(300) < 240, "a", tasks[600:])
    codes = np.searchsorted(LABELS, tasks)
    stats = TaskStatistics.from_data(X[:600], Y[:600, :1], LABELS, codes[:600])
    share = stats.weight / stats.weight.max()
    Xv, yv, tv = X[600:], Y[600:, 0], tasks[600:]
    data = TrainingData(
        None,
        {},
        duration=stats,
        validation_phones=[(Xv, yv, tv, np.arange(300) // 5, np.ones(300, bool))],
    )
    voice = SimpleNamespace(
        duration_model=None, acoustic_model=object(), normalize="dialect"
    )
    record = choose_penalties(data, voice, "duration", SharedLeastSquares(1.0, 1.0))
    for i, a0 in enumerate(record["alphas_shared"][::3]):
        for j, a1 in enumerate(record["alphas_task"]):
            penalties = dict(zip(LABELS, a1 / share, strict=True))
            weights = dict(zip(LABELS, share, strict=True))
            fitted = SharedLeastSquares(a0, penalties, task_weight=weights).fit(
                X[:600], Y[:600, 0], tasks=tasks[:600]
            )
            error = (fitted.predict(Xv, tasks=tv) - yv) ** 2
            per_task = [error[tv == t].mean() for t in LABELS]
            np.testing.assert_allclose(
                record["validation_mse"][3 * i, j], np.mean(per_task), rtol=1e-8
            )
            assert not np.isclose(np.mean(per_task), error.mean(), rtol=1e-3)


def _one_unlike(seed, n=2400, train=400):
    """Statistics of ``train`` rows and the held-out rest (sentences of 20
    rows): tasks a, b and c share a model, d adds its own, noise is large."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 12))
    tasks = np.tile(LABELS, n // 4)
    y = X @ rng.normal(size=(12, 1)) + 3.0 * rng.normal(size=(n, 1))
    y[tasks == "d"] += X[tasks == "d"] @ rng.normal(size=(12, 1))
    codes = np.searchsorted(LABELS, tasks)
    stats = TaskStatistics.from_data(X[:train], y[:train], LABELS, codes[:train])
    sentence = np.arange(n - train) // 20
    return stats, (X[train:], y[train:], tasks[train:], sentence)


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_a_dialect_unlike_the_others_gets_its_own_part_refit(seed):
    # with a pair that pools the tasks, d's validation rows ask for a
    # smaller penalty of its own part
    stats, rows = _one_unlike(seed)
    pooled = {"alpha_shared": 1.0, "alpha_task": 1e3}
    record = _task_parts(stats, rows, None, pooled)
    multiplier = dict(zip(record["dialects"], record["task_multiplier"], strict=True))
    assert multiplier["d"] < 1
    losses = record["task_validation_mse"]
    tried = list(record["task_multipliers"])
    assert losses[3, tried.index(multiplier["d"])] < 0.9 * losses[3, tried.index(1)]


def test_a_dialect_moves_only_when_its_sentences_agree():
    decades = np.arange(-3, 4.0)
    rng = np.random.default_rng(0)
    sentence = rng.uniform(0.5, 1.5, size=(20, 1))  # sentences differ a lot
    shape = 1 + 0.02 * (decades + 1) ** 2  # least at 0.1, 2 % below 1
    agree = sentence * shape
    noisy = agree + rng.normal(scale=0.2, size=agree.shape)
    for group_losses, expected in ((agree, -1.0), (noisy, 0.0)):
        losses = group_losses.mean(axis=0)
        at = _nearest_significant(losses, group_losses, np.ones(20), decades)
        assert decades[at] == expected


@pytest.mark.parametrize("seed", [3, 4])
def test_the_refit_multipliers_reach_the_model(seed):
    stats, (X, y, tasks, sentence) = _one_unlike(seed)
    speech = np.ones(len(y), bool)
    data = TrainingData(
        None,
        {},
        duration=stats,
        validation_phones=[(X, y[:, 0], tasks, sentence, speech)],
    )
    voice = SimpleNamespace(
        duration_model=None, acoustic_model=object(), normalize="dialect"
    )
    model = SharedLeastSquares(1.0, 1.0)
    record = choose_penalties(data, voice, "duration", model)
    multiplier = dict(zip(record["dialects"], record["task_multiplier"], strict=True))
    if all(m == 1 for m in multiplier.values()):
        assert model.alpha_task_refit is None  # the joint model
        return
    # every dialect's part is refit with its multiplier of its scaled
    # penalty, given the shared part of the joint fit
    assert model.alpha_task_refit == pytest.approx(
        {t: multiplier[t] * model.alpha_task[t] for t in LABELS}
    )
    fitted = clone(model).fit(X, y[:, 0], tasks=tasks)
    joint = clone(model).set_params(alpha_task_refit=None).fit(X, y[:, 0], tasks)
    np.testing.assert_allclose(fitted.coef_shared_, joint.coef_shared_)
    moved = [t for t, label in enumerate(LABELS) if multiplier[label] != 1]
    assert not np.allclose(fitted.coef_task_[moved], joint.coef_task_[moved])
