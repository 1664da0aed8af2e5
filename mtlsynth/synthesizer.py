"""A multi-dialect statistical parametric speech synthesizer.

:class:`ParametricSynthesizer` chains three models, each trained on every
dialect at once with the dialect as the task:

1. a **duration model**: phone-level linguistic features to the log
   duration of every phone in frames;
2. an **acoustic model**: frame-level linguistic features to mel-cepstra,
   continuous log-F0 and band aperiodicity with their deltas and
   delta-deltas, mean-variance normalized per dialect; MLPG with variances
   estimated from the training residuals turns the predictions into smooth
   trajectories;
3. a **voicing model**: frame-level features to the voiced/unvoiced flag
   (a classifier; the multi-task :class:`~mtlsynth.MaxEntClassifier` by
   default).

The defaults are the package's shared-parameter models, whose task weights
are ``W_t = W_0 + V_t``: ``accent_strength=s`` predicts with
``W_0 + s V_t`` (0 is the accent the dialects share, 1 the dialect, above 1
an exaggerated dialect), and a dialect not seen in training is spoken with
``W_0``. Any scikit-learn regressor or classifier can be plugged in
instead; one whose ``fit`` takes no ``tasks`` is trained on all dialects
pooled.

A trained voice is saved as one ``.npz`` file of arrays plus JSON metadata
(:meth:`ParametricSynthesizer.save`, :meth:`ParametricSynthesizer.load`);
loading it cannot run code.
"""

from __future__ import annotations

import inspect
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import has_fit_parameter

from mtlsynth import metrics, vocoder
from mtlsynth._stats import TaskStatistics
from mtlsynth._voicefile import (
    VoiceFileError,
    dump_estimator,
    load_estimator,
    read_voice,
    write_voice,
)
from mtlsynth.corpus import SILENCE, Corpus, Label, _Progress, extract_features
from mtlsynth.features import LinguisticFeatures, PhoneSequence
from mtlsynth.paramgen import DELTA_WINDOWS, delta_features, mlpg

__all__ = [
    "ParametricSynthesizer",
    "TrainingData",
    "VoiceFileError",
    "normalized_statistics",
    "residual_sse",
    "size_scaled_penalties",
    "split_corpus",
    "target_normalization",
]

_METRICS = ("mcd_db", "f0_rmse_hz", "vuv_error_pct", "bap_db", "dur_rmse_ms")
_MIN_LOG_FRAMES = np.log(0.25)


def split_corpus(
    corpus: Corpus, *, test_size: float | int = 0.1
) -> tuple[Corpus, Corpus]:
    """Split a corpus by utterance name into training and held-out parts.

    The built-in corpus is parallel (every dialect speaks the same
    sentences), so the split is by sentence: the held-out sentences are
    unseen in every dialect. The held-out names are evenly spaced through
    the sorted names (every k-th, ending with the last), so that they
    sample the whole sentence list.

    Parameters
    ----------
    corpus : Corpus
        The corpus.
    test_size : float or int, default=0.1
        Fraction (0 < f < 1) or number of utterance names to hold out; at
        least one name is held out and one kept.

    Returns
    -------
    train : Corpus
        Utterances whose names are kept.
    test : Corpus
        Held-out utterances.

    Raises
    ------
    ValueError
        If the corpus has fewer than two utterance names or ``test_size``
        is out of range.
    """
    names = sorted({u.name for u in corpus.utterances})
    if len(names) < 2:
        raise ValueError("splitting needs at least two distinct utterance names")
    if isinstance(test_size, float):
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must be in (0, 1), got {test_size}")
        n_test = int(np.ceil(test_size * len(names)))
    else:
        n_test = int(test_size)
    if not 1 <= n_test < len(names):
        raise ValueError(
            f"test_size must leave 1 to {len(names) - 1} names out, got {test_size}"
        )
    picks = np.round(np.linspace(len(names) - 1, 0, n_test, endpoint=False))
    held = {names[int(i)] for i in picks}
    train = tuple(u for u in corpus.utterances if u.name not in held)
    test = tuple(u for u in corpus.utterances if u.name in held)
    return (
        Corpus(corpus.root, corpus.fs, train),
        Corpus(corpus.root, corpus.fs, test),
    )


def _accepts_tasks(method: Any) -> bool:
    """Whether a bound method takes a ``tasks`` argument."""
    try:
        return "tasks" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _has_shared_part(model: Any) -> bool:
    return all(
        hasattr(model, a)
        for a in ("coef_shared_", "coef_task_", "intercept_", "intercept_shared_")
    ) and hasattr(model, "tasks_")


def _fit_model(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    tasks: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> Any:
    """Fit with the dialects if the model takes them, and the weights if they
    differ and the model takes them (otherwise every row counts once)."""
    kw = {}
    if _accepts_tasks(model.fit):
        kw["tasks"] = tasks
    uneven = sample_weight is not None and np.ptp(sample_weight) > 0
    if uneven and has_fit_parameter(model, "sample_weight"):
        kw["sample_weight"] = sample_weight
    return model.fit(X, y, **kw)


def _known_dialect(model: Any, dialect: str) -> bool:
    tasks = getattr(model, "tasks_", None)
    return tasks is not None and dialect in np.asarray(tasks).tolist()


def _linear_scores(model: Any, X: np.ndarray, dialect: str, strength: float):
    """``X (W_0 + s V_t)' + b_0 + s (b_t - b_0)``, or the shared part if unseen."""
    d = X.shape[1]
    W = np.reshape(model.coef_shared_, (-1, d))
    b = np.reshape(model.intercept_shared_, -1)
    if _known_dialect(model, dialect):
        t = np.asarray(model.tasks_).tolist().index(dialect)
        W = W + strength * np.reshape(model.coef_task_[t], (-1, d))
        b = b + strength * (np.reshape(model.intercept_[t], -1) - b)
    return X @ W.T + b


def _predict(model: Any, X: np.ndarray, dialect: str, strength: float) -> np.ndarray:
    """Regression prediction of shape (n, n_outputs) for one dialect."""
    if strength != 1.0 or (
        _has_shared_part(model) and not _known_dialect(model, dialect)
    ):
        if not _has_shared_part(model):
            raise ValueError(
                f"accent_strength={strength} needs models with a shared part "
                f"(coef_shared_ and coef_task_); {type(model).__name__} has none"
            )
        return _linear_scores(model, X, dialect, strength)
    if _accepts_tasks(model.predict):
        out = model.predict(X, tasks=np.full(len(X), dialect))
    else:
        out = model.predict(X)
    return np.reshape(out, (len(X), -1))


def _voiced_probability(
    model: Any, X: np.ndarray, dialect: str, strength: float
) -> np.ndarray:
    """Probability that each frame is voiced."""
    if strength != 1.0 or (
        _has_shared_part(model) and not _known_dialect(model, dialect)
    ):
        if not _has_shared_part(model) or len(model.classes_) != 2:
            raise ValueError(
                f"accent_strength={strength} needs a two-class voicing model with "
                f"a shared part; {type(model).__name__} has none"
            )
        z = _linear_scores(model, X, dialect, strength)[:, 0]
        p1 = 1.0 / (1.0 + np.exp(-z))
        return p1 if float(model.classes_[1]) > 0.5 else 1.0 - p1
    kw = {"tasks": np.full(len(X), dialect)}
    if hasattr(model, "predict_proba"):
        proba = (
            model.predict_proba(X, **kw)
            if _accepts_tasks(model.predict_proba)
            else model.predict_proba(X)
        )
        voiced = np.asarray(model.classes_).astype(float) > 0.5
        return proba[:, voiced].sum(axis=1)
    pred = model.predict(X, **kw) if _accepts_tasks(model.predict) else model.predict(X)
    return np.asarray(pred, dtype=float)


def _next_to_change(voiced: np.ndarray) -> np.ndarray:
    """Mask of the frames on either side of a change of voicing."""
    change = np.flatnonzero(np.diff(voiced.astype(np.int8)) != 0)
    mask = np.zeros(len(voiced), bool)
    mask[change] = mask[change + 1] = True
    return mask


def _statistics(X: np.ndarray, Y: np.ndarray, tasks: np.ndarray) -> TaskStatistics:
    """Per-dialect statistics of rows ``X, Y`` whose dialects are ``tasks``."""
    labels, codes = np.unique(tasks, return_inverse=True)
    order = np.argsort(codes, kind="stable")  # contiguous tasks: no row gathering
    return TaskStatistics.from_data(X[order], Y[order], labels, codes[order])


def _log_frames(label: Label, frame_period: float) -> np.ndarray:
    """Log duration of every phone in frames (floored at a quarter frame)."""
    frames = label.durations * 1e3 / frame_period
    return np.log(np.maximum(frames, np.exp(_MIN_LOG_FRAMES)))


def _targets(features: Any, seq: PhoneSequence) -> tuple[np.ndarray, np.ndarray]:
    """Static and dynamic acoustic targets and voicing of one utterance."""
    n = int(seq.frames.sum())
    f = features
    static = np.column_stack([f.mcep[:n], f.lf0[:n], f.bap[:n]])
    return delta_features(static, DELTA_WINDOWS), np.asarray(f.vuv[:n])


@dataclass
class TrainingData:
    """What the models of a voice are trained on, summarized.

    Training data of disjoint sets of utterances merge (:meth:`merge`), so a
    benchmark can summarize a corpus once in blocks and train on any union
    of blocks.

    Parameters
    ----------
    features : LinguisticFeatures
        Fitted feature extractor the rows were computed with.
    analysis : dict
        Vocoder settings of the corpus (sample rate, all-pass constant, FFT
        size, mel-cepstral order, band aperiodicity dimensions).
    duration : TaskStatistics, optional
        Per-dialect statistics of phone rows and their log durations in
        frames.
    acoustic : TaskStatistics, optional
        Per-dialect statistics of frame rows and their static, delta and
        delta-delta targets before normalization (inputs of width 0 when
        only the target moments are needed).
    phone_rows : list of tuple
        Kept phone rows: ``(X, log_frames, dialect)`` arrays per batch.
    frame_rows : list of tuple
        Kept frame rows: ``(X, targets, voiced, dialect, weight)`` arrays per
        batch; a row's weight is the inverse of the rate at which rows like
        it were kept.
    """

    features: LinguisticFeatures
    analysis: dict
    duration: TaskStatistics | None = None
    acoustic: TaskStatistics | None = None
    phone_rows: list = field(default_factory=list)
    frame_rows: list = field(default_factory=list)

    def merge(self, other: TrainingData) -> TrainingData:
        """Training data of the utterances of both.

        Parameters
        ----------
        other : TrainingData
            Data of other utterances, computed with the same features.

        Returns
        -------
        TrainingData
            The union.
        """

        def both(a, b):
            return b if a is None else a if b is None else a.merge(b)

        return TrainingData(
            self.features,
            self.analysis,
            both(self.duration, other.duration),
            both(self.acoustic, other.acoustic),
            self.phone_rows + other.phone_rows,
            self.frame_rows + other.frame_rows,
        )

    @property
    def phones(self) -> tuple[np.ndarray, ...] | None:
        """Kept phone rows stacked: ``(X, log_frames, dialect)``."""
        if not self.phone_rows:
            return None
        return tuple(np.concatenate(a) for a in zip(*self.phone_rows, strict=True))

    @property
    def frames(self) -> tuple[np.ndarray, ...]:
        """Kept frame rows stacked: ``(X, targets, voiced, dialect, weight)``.

        The rows are stacked in place, chunk by chunk, each chunk released
        once copied, so that stacking needs little more memory than the rows.
        """
        rows = self.frame_rows
        if len(rows) != 1:
            n = sum(len(chunk[0]) for chunk in rows)
            out = tuple(
                np.empty((n, *parts[0].shape[1:]), np.result_type(*parts))
                for parts in zip(*rows, strict=True)
            )
            start = 0
            while rows:
                chunk = rows.pop(0)
                stop = start + len(chunk[0])
                for stacked, part in zip(out, chunk, strict=True):
                    stacked[start:stop] = part
                start = stop
            self.frame_rows = [out]
        return self.frame_rows[0]


def target_normalization(
    stats: TaskStatistics, normalize: str = "dialect"
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the targets per dialect and overall.

    Parameters
    ----------
    stats : TaskStatistics
        Statistics of the raw targets.
    normalize : {"dialect", "global"}, default="dialect"
        Use each dialect's moments, or the pooled ones for every dialect.

    Returns
    -------
    mean, std : ndarray of shape (n_dialects + 1, n_targets)
        One row per dialect of ``stats.labels``; the last row pooled.
    """
    if np.any(stats.weight <= 0):
        raise ValueError("every dialect needs at least one frame")
    pooled = stats.pooled("all")
    w = np.concatenate([stats.weight, pooled.weight])[:, None]
    mean = np.vstack([stats.mean_y, pooled.mean_y])
    scatter = np.vstack(
        [
            np.diagonal(stats.yy, axis1=1, axis2=2),
            np.diagonal(pooled.yy, axis1=1, axis2=2),
        ]
    )
    std = np.sqrt(np.maximum(scatter / w, 1e-10))
    if normalize == "global":
        mean[:] = mean[-1]
        std[:] = std[-1]
    return mean, std


def size_scaled_penalties(alpha_task: float, stats: TaskStatistics) -> dict:
    """Task penalties in proportion to each dialect's share of the data.

    Every dialect's penalty is ``alpha_task * w_max / w_t``, with ``w_t`` its
    total training weight (frames) and ``w_max`` the largest dialect's, so
    that a dialect with little data leans harder on what the others share.
    Dialects of equal size keep ``alpha_task``; one with a tenth of the
    largest one's frames gets ten times it (measured on the built-in corpus
    in ``benchmarks/README.md``).

    Parameters
    ----------
    alpha_task : float
        Penalty of the largest dialect.
    stats : TaskStatistics
        Training statistics, one task per dialect.

    Returns
    -------
    dict of str to float
        Penalty of every dialect of ``stats.labels``.
    """
    ratio = stats.weight.max() / stats.weight
    labels = np.asarray(stats.labels).tolist()
    return {
        str(label): float(alpha_task) * float(r)
        for label, r in zip(labels, ratio, strict=True)
    }


def normalized_statistics(
    stats: TaskStatistics, mean: np.ndarray, std: np.ndarray
) -> TaskStatistics:
    """Statistics of the targets ``(y - mean_t) / std_t`` of every dialect.

    Parameters
    ----------
    stats : TaskStatistics
        Statistics of the raw targets.
    mean, std : ndarray of shape (n_dialects (+ 1), n_targets)
        Normalization; row t applies to task t of ``stats``.

    Returns
    -------
    TaskStatistics
        Statistics of the normalized targets.
    """
    T = stats.n_tasks
    m, s = mean[:T], std[:T]
    return replace(
        stats,
        mean_y=(stats.mean_y - m) / s,
        xy=stats.xy / s[:, None, :],
        yy=stats.yy / (s[:, :, None] * s[:, None, :]),
    )


def _dialect_coefficients(model: Any, dialect: str) -> tuple[np.ndarray, np.ndarray]:
    """``(W, b)`` with ``W`` of shape (n_features, n_targets) a linear model
    predicts with for a dialect."""
    coef = getattr(model, "coef_", None)
    tasks = getattr(model, "tasks_", None)
    if coef is not None and tasks is not None and _known_dialect(model, dialect):
        t = np.asarray(tasks).tolist().index(dialect)
        W, b = coef[t], model.intercept_[t]
    elif _has_shared_part(model):
        W, b = model.coef_shared_, model.intercept_shared_
    elif np.ndim(coef) in (1, 2) and tasks is None:
        W, b = coef, getattr(model, "intercept_", 0.0)
    else:
        raise ValueError(
            f"{type(model).__name__} has no linear coefficients for dialect {dialect!r}"
        )
    q = np.size(b) if np.ndim(b) else np.shape(np.atleast_2d(W))[0]
    W = np.reshape(W, (q, -1)).T
    return W, np.broadcast_to(np.reshape(b, -1), (q,))


def residual_sse(model: Any, stats: TaskStatistics) -> np.ndarray:
    """Sum of squared residuals of a linear model on the rows of statistics.

    Parameters
    ----------
    model : estimator
        Fitted linear model: per-task ``coef_`` of shape (n_tasks,
        n_targets, n_features) with ``tasks_``, a shared part for dialects
        it has not seen, or a single ``coef_`` (pooled).
    stats : TaskStatistics
        Statistics of the rows (of the same normalized targets).

    Returns
    -------
    ndarray of shape (n_tasks, n_targets)
        Per task of ``stats`` and target.
    """
    out = np.zeros(stats.mean_y.shape)
    for t, dialect in enumerate(np.asarray(stats.labels).tolist()):
        W, b = _dialect_coefficients(model, dialect)
        xx, xy = stats.xx[t], stats.xy[t]
        bias = stats.mean_y[t] - stats.mean_x[t] @ W - b
        out[t] = (
            np.diagonal(stats.yy[t])
            - 2.0 * np.einsum("dj,dj->j", W, xy)
            + np.einsum("dj,dj->j", xx @ W, W)
            + stats.weight[t] * bias**2
        )
    return np.maximum(out, 0.0)


def _aligned_frames(label: Label, n_frames: int, frame_period: float) -> np.ndarray:
    """Frames per phone, trimmed so that they add up to at most ``n_frames``."""
    counts = label.segment_frames(frame_period)
    bounds = np.minimum(np.cumsum(counts), n_frames)
    return np.diff(bounds, prepend=0)


def _frames_from_durations(log_frames: np.ndarray) -> np.ndarray:
    """Integer frames per phone from predicted log durations (at least 1)."""
    cont = np.exp(log_frames)
    bounds = np.round(np.cumsum(cont)).astype(np.int64)
    frames = np.diff(bounds, prepend=0)
    return np.maximum(frames, 1)


def _corpus_words(corpus: Corpus, progress: bool) -> list[tuple[Any, bool]]:
    """Word membership and question flag of every utterance, from the prompts.

    The prompts are transcribed again with the dialect's eSpeak voice; when
    the phones match the label exactly, its word indices are used.
    """
    prompts_path = Path(corpus.root) / "prompts.txt"
    out: list[tuple[Any, bool]] = [(None, False)] * len(corpus.utterances)
    if not prompts_path.is_file():
        return out
    prompts = {}
    for line in prompts_path.read_text(encoding="utf-8").splitlines():
        name, _, text = line.partition(" ")
        if text.strip():
            prompts[name] = text.strip()
    from mtlsynth import _espeak

    bar = _Progress(len(corpus.utterances), "transcribing", enabled=progress)
    for i, utt in enumerate(corpus.utterances):
        text = prompts.get(utt.name)
        if text is not None:
            out[i] = (None, text.endswith("?"))
        if text is not None and utt.dialect in _espeak.DIALECTS:
            try:
                pron = _espeak.phonemes(text, dialect=utt.dialect)
            except (ValueError, OSError):
                pron = None
            if pron is not None and pron.phones == utt.label.names:
                out[i] = (pron.word_index, text.endswith("?"))
        bar.update()
    return out


def _postfilter(mcep: np.ndarray, beta: float, alpha: float, fft_size: int):
    """Multiply ``c_2..`` by ``beta``, then restore each frame's energy via ``c_0``."""
    if beta == 1.0:
        return mcep
    out = mcep.copy()
    out[:, 2:] *= beta
    before = vocoder.envelope_from_mcep(mcep, alpha=alpha, fft_size=fft_size)
    after = vocoder.envelope_from_mcep(out, alpha=alpha, fft_size=fft_size)
    unit = np.zeros((1, mcep.shape[1]))
    unit[0, 0] = 1.0
    per_c0 = np.log(vocoder.envelope_from_mcep(unit, alpha=alpha, fft_size=fft_size))
    slope = float(per_c0[0, 0])
    out[:, 0] += np.log(before.sum(axis=1) / after.sum(axis=1)) / slope
    return out


class ParametricSynthesizer(BaseEstimator):
    """Multi-dialect statistical parametric speech synthesizer.

    Parameters
    ----------
    duration_model : regressor, optional
        Phone-level features to log duration in frames. Default
        ``SharedLeastSquares(alpha_shared=10, alpha_task=30,
        unseen_tasks="shared")``.
    acoustic_model : regressor, optional
        Frame-level features to normalized static, delta and delta-delta
        parameters. Default ``SharedLeastSquares(alpha_shared=0.01,
        alpha_task=1, unseen_tasks="shared")`` with each dialect's
        ``alpha_task`` scaled by :func:`size_scaled_penalties`, so that a
        dialect with few sentences leans on what the others share. Models
        with a ``fit_statistics`` method are fitted from sufficient
        statistics accumulated over chunks of utterances; others get all
        frames stacked in memory.
    voicing_model : classifier, optional
        Frame-level features to voiced (1) / unvoiced (0). Default
        ``MaxEntClassifier(alpha_shared=1, alpha_task=10, max_iter=300,
        unseen_tasks="shared")``.
    features : LinguisticFeatures, optional
        The feature extractor (cloned); default ``LinguisticFeatures()``.
    postfilter : float, default=1.2
        Factor applied to mel-cepstral coefficients ``c_2`` and above in
        :meth:`synthesize` (formant emphasis against the over-smoothing of
        averaged spectra); ``c_0`` is then adjusted so that each frame keeps
        the energy of its envelope. 1 disables it. Metrics are computed
        without it.
    normalize : {"dialect", "global"}, default="dialect"
        Mean-variance normalization of the acoustic targets: statistics per
        dialect, or over all dialects.
    variance : {"dialect", "global"}, default="dialect"
        MLPG variances: residual variances of each dialect, or pooled.
    frame_period : float, default=5.0
        Frame shift in milliseconds.
    f0_method : {"dio", "harvest"}, default="dio"
        F0 estimator of the WORLD analysis of the corpus.
    mcep_order : int, optional
        Mel-cepstral order; default 59.
    mcep_alpha : float, optional
        All-pass constant; default for the sample rate (0.455 at 22.05 kHz).
    cache_dir : str or path-like, optional
        Where the corpus analysis is cached (see
        :func:`mtlsynth.corpus.extract_features`).
    use_words : bool, default=True
        Recover word membership of corpus utterances by transcribing their
        prompts with eSpeak NG (built-in corpus layout).
    max_voicing_frames : int, default=250000
        The voicing model is trained on every k-th frame, k chosen to keep
        about this many frames, plus every frame next to a change of voicing
        (where it errs most), each row weighted by the inverse of the rate at
        which rows like it were kept. The kept frames are held in memory, 8
        bytes per frame feature: with the default features on the built-in
        corpus (about 4,300 of them) 250,000 frames take 9 GB; lower it on
        smaller machines, at some cost in V/UV error.
    chunk_utterances : int, default=64
        Utterances per chunk when accumulating statistics.
    n_jobs : int, default=1
        Parallel processes of the corpus analysis.
    progress : bool, default=True
        Show progress on stderr.

    Attributes
    ----------
    features_ : LinguisticFeatures
        Fitted feature extractor.
    duration_model_, acoustic_model_, voicing_model_ : estimator
        Fitted models (``voicing_model_`` is None if the training data had
        a single voicing class; ``voiced_default_`` is then used).
    dialects_ : ndarray of str
        Dialects seen in training, sorted.
    target_mean_, target_std_ : ndarray of shape (n_dialects + 1, n_targets)
        Normalization of the acoustic targets per dialect; the last row is
        global.
    variance_ : ndarray of shape (n_dialects + 1, n_targets)
        Residual variances of the normalized targets per dialect; the last
        row pooled.
    fs_ : int
        Sample rate.
    alpha_ : float
        All-pass constant of the mel-cepstra.
    fft_size_ : int
        FFT size of the WORLD envelope.
    order_ : int
        Mel-cepstral order.
    n_bap_ : int
        Band aperiodicity dimensions.

    Examples
    --------
    >>> from mtlsynth.synthesizer import ParametricSynthesizer
    >>> synth = ParametricSynthesizer(postfilter=1.3)
    >>> synth.postfilter
    1.3
    """

    def __init__(
        self,
        duration_model: Any = None,
        acoustic_model: Any = None,
        voicing_model: Any = None,
        *,
        features: LinguisticFeatures | None = None,
        postfilter: float = 1.2,
        normalize: str = "dialect",
        variance: str = "dialect",
        frame_period: float = 5.0,
        f0_method: str = "dio",
        mcep_order: int | None = None,
        mcep_alpha: float | None = None,
        cache_dir: str | os.PathLike | None = None,
        use_words: bool = True,
        max_voicing_frames: int = 250_000,
        chunk_utterances: int = 64,
        n_jobs: int = 1,
        progress: bool = True,
    ):
        self.duration_model = duration_model
        self.acoustic_model = acoustic_model
        self.voicing_model = voicing_model
        self.features = features
        self.postfilter = postfilter
        self.normalize = normalize
        self.variance = variance
        self.frame_period = frame_period
        self.f0_method = f0_method
        self.mcep_order = mcep_order
        self.mcep_alpha = mcep_alpha
        self.cache_dir = cache_dir
        self.use_words = use_words
        self.max_voicing_frames = max_voicing_frames
        self.chunk_utterances = chunk_utterances
        self.n_jobs = n_jobs
        self.progress = progress

    # ------------------------------------------------------------ defaults

    def _default_models(self, acoustic_stats=None) -> tuple[Any, Any, Any]:
        """The models to fit: those given, or the defaults; with the acoustic
        statistics, the default acoustic model's penalties are scaled to the
        dialects' sizes (:func:`size_scaled_penalties`)."""
        from mtlsynth._maxent import MaxEntClassifier
        from mtlsynth._shared import SharedLeastSquares

        dur = self.duration_model
        if dur is None:
            dur = SharedLeastSquares(
                alpha_shared=10.0, alpha_task=30.0, unseen_tasks="shared"
            )
        ac = self.acoustic_model
        if ac is None:
            # chosen on validation sentences of the built-in corpus: the
            # shared part sees every dialect's frames and needs little penalty
            ac = SharedLeastSquares(
                alpha_shared=0.01, alpha_task=1.0, unseen_tasks="shared"
            )
            if acoustic_stats is not None:
                ac.alpha_task = size_scaled_penalties(ac.alpha_task, acoustic_stats)
        vo = self.voicing_model
        if vo is None:
            vo = MaxEntClassifier(
                alpha_shared=1.0, alpha_task=10.0, max_iter=300, unseen_tasks="shared"
            )
        return clone(dur), clone(ac), clone(vo)

    def _check_params(self) -> None:
        if self.normalize not in ("dialect", "global"):
            raise ValueError(
                f"normalize must be 'dialect' or 'global', got {self.normalize!r}"
            )
        if self.variance not in ("dialect", "global"):
            raise ValueError(
                f"variance must be 'dialect' or 'global', got {self.variance!r}"
            )
        if not (np.isfinite(self.postfilter) and self.postfilter > 0):
            raise ValueError(f"postfilter must be positive, got {self.postfilter!r}")
        if int(self.chunk_utterances) < 1 or int(self.max_voicing_frames) < 2:
            raise ValueError("chunk_utterances and max_voicing_frames must be positive")

    # ----------------------------------------------------------------- fit

    def fit(self, corpus: Corpus, y: Any = None) -> ParametricSynthesizer:
        """Train the duration, acoustic and voicing models on a corpus.

        Parameters
        ----------
        corpus : Corpus
            Training utterances of one or more dialects (from
            :func:`mtlsynth.corpus.read_corpus`, possibly a subset).
        y : None
            Ignored.

        Returns
        -------
        self : ParametricSynthesizer
            The trained synthesizer.
        """
        self._check_params()
        if not isinstance(corpus, Corpus) or len(corpus) == 0:
            raise ValueError("fit needs a non-empty Corpus")
        dur, ac, _ = self._default_models()
        stride = 1
        if hasattr(ac, "fit_statistics"):
            seconds = sum(float(u.label.durations.sum()) for u in corpus.utterances)
            n_frames = seconds * 1e3 / float(self.frame_period)
            stride = max(1, int(np.ceil(n_frames / int(self.max_voicing_frames))))
        data = self._collect(
            corpus,
            frame_stride=stride,
            keep_transitions=stride > 1,
            duration_statistics=hasattr(dur, "fit_statistics"),
            acoustic_statistics=hasattr(ac, "fit_statistics"),
        )
        return self._fit_collected(data)

    def _collect(
        self,
        corpus: Corpus,
        *,
        features: LinguisticFeatures | None = None,
        frame_stride: int = 1,
        keep_transitions: bool = False,
        duration_statistics: bool = True,
        acoustic_statistics: bool = True,
        keep_phones: bool = False,
    ) -> TrainingData:
        """Summarize a corpus in one pass for training (see TrainingData).

        ``features`` is a fitted feature extractor to use (default: one
        fitted on the corpus). Frame and phone rows are computed chunk by
        chunk; vocoder features are read from the cache utterance by
        utterance, so memory grows only with the rows kept: every
        ``frame_stride``-th frame (weighted by ``frame_stride``), with
        ``keep_transitions`` also every frame next to a change of voicing
        (weight 1: the voicing model learns most there), and every phone
        unless the duration statistics are computed (or ``keep_phones``).
        """
        self._check_params()
        if not isinstance(corpus, Corpus) or len(corpus) == 0:
            raise ValueError("fit needs a non-empty Corpus")
        fp = float(self.frame_period)
        feats = self._vocoder_features(corpus, lazy=True)
        words = (
            _corpus_words(corpus, self.progress)
            if self.use_words
            else [(None, False)] * len(corpus)
        )
        seqs = [
            PhoneSequence(u.label.phones, _aligned_frames(u.label, f.n_frames, fp), *w)
            for u, f, w in zip(corpus.utterances, feats, words, strict=True)
        ]
        lf = features
        if lf is None:
            lf = LinguisticFeatures() if self.features is None else clone(self.features)
            lf.set_params(frame_period=fp, level="frame")
            lf.fit(seqs)
        first = feats[0]
        analysis = {
            "fs_": int(first.fs),
            "alpha_": float(first.alpha),
            "fft_size_": int(first.fft_size),
            "order_": int(first.order),
            "n_bap_": int(first.bap.shape[1]),
        }
        data = TrainingData(lf, analysis)
        chunk = int(self.chunk_utterances)
        stride = max(1, int(frame_stride))
        bar = _Progress(len(seqs), "frame features", enabled=self.progress)
        offset = 0
        for start in range(0, len(seqs), chunk):
            idx = range(start, min(start + chunk, len(seqs)))
            batch = TrainingData(lf, analysis)
            dialect = [corpus.utterances[i].dialect for i in idx]
            Xp = np.vstack([lf.phone_features(seqs[i]) for i in idx])
            yp = np.concatenate(
                [_log_frames(corpus.utterances[i].label, fp) for i in idx]
            )[:, None]
            tp = np.repeat(dialect, [len(seqs[i].phones) for i in idx])
            if duration_statistics:
                batch.duration = _statistics(Xp, yp, tp)
            if keep_phones or not duration_statistics:
                batch.phone_rows = [(Xp, yp[:, 0], tp)]
            X = np.vstack([lf.frame_features(seqs[i]) for i in idx])
            Y, voiced = zip(*(_targets(feats[i], seqs[i]) for i in idx), strict=True)
            tf = np.repeat(dialect, [len(v) for v in voiced])
            Y = np.vstack(Y)
            batch.acoustic = _statistics(X if acoustic_statistics else X[:, :0], Y, tf)
            weight = np.where((offset + np.arange(len(X))) % stride == 0, stride, 0.0)
            offset += len(X)
            if keep_transitions:
                weight[np.concatenate([_next_to_change(v) for v in voiced])] = 1.0
            voiced = np.concatenate(voiced)
            take = weight > 0
            rows = (X[take], Y[take], voiced[take], tf[take], weight[take])
            batch.frame_rows = [rows]
            data = data.merge(batch)
            bar.update(len(idx))
        return data

    def _fit_collected(self, data: TrainingData) -> ParametricSynthesizer:
        """Train every model on summarized training data (see ``_collect``)."""
        self._check_params()
        dur_model, ac_model, vo_model = self._default_models(data.acoustic)
        for name, value in data.analysis.items():
            setattr(self, name, value)
        self.features_ = data.features
        self.dialects_ = np.asarray(data.acoustic.labels, dtype=str)

        self._say("fitting the duration model")
        if data.duration is not None and hasattr(dur_model, "fit_statistics"):
            self.duration_model_ = dur_model.fit_statistics(data.duration)
        elif data.phones is not None:
            Xp, yp, tp = data.phones
            self.duration_model_ = _fit_model(dur_model, Xp, yp, tp)
        else:
            raise ValueError("the duration model needs phone rows or statistics")

        mean, std = target_normalization(data.acoustic, self.normalize)
        self.target_mean_, self.target_std_ = mean, std
        self._say("fitting the acoustic model")
        frames = data.frames  # stacked once: every frame for non-statistics models
        if data.acoustic.mean_x.shape[1] and hasattr(ac_model, "fit_statistics"):
            stats = normalized_statistics(data.acoustic, mean, std)
            self.acoustic_model_ = ac_model.fit_statistics(stats)
            sse, count = residual_sse(self.acoustic_model_, stats), stats.weight
        else:
            X, Y, _, tasks, _ = frames
            codes = np.searchsorted(self.dialects_, tasks)
            Z = (Y - mean[codes]) / std[codes]
            self.acoustic_model_ = _fit_model(ac_model, X, Z, tasks)
            dialects = self.dialects_.tolist()
            sse = np.zeros((len(dialects), Z.shape[1]))
            for t, dialect in enumerate(dialects):
                rows = codes == t
                if rows.any():
                    pred = _predict(self.acoustic_model_, X[rows], dialect, 1.0)
                    sse[t] = ((Z[rows] - pred) ** 2).sum(axis=0)
            count = np.bincount(codes, minlength=len(dialects)).astype(float)
        variance = np.vstack([sse / count[:, None], sse.sum(0) / count.sum()])
        variance = np.maximum(variance, 1e-6)
        if self.variance == "global":
            variance[:] = variance[-1]
        self.variance_ = variance

        X, _, voiced, tasks, weight = frames
        del frames
        step = max(1, int(np.ceil(len(voiced) / int(self.max_voicing_frames))))
        X, voiced, tasks = X[::step], voiced[::step].astype(np.int64), tasks[::step]
        weight = weight[::step] * step
        self.voiced_default_ = float(np.average(voiced, weights=weight))
        if len(np.unique(voiced)) < 2:
            self.voicing_model_ = None
        else:
            self._say(f"fitting the voicing model on {len(voiced)} frames")
            self.voicing_model_ = _fit_model(vo_model, X, voiced, tasks, weight)
        return self

    def _say(self, message: str) -> None:
        if self.progress:
            print(message, file=sys.stderr, flush=True)

    # ------------------------------------------------------------- predict

    def _check_fitted(self) -> None:
        if not hasattr(self, "variance_"):
            raise ValueError(
                "this ParametricSynthesizer is not trained yet: call fit(corpus) "
                "or load a voice"
            )

    def _check_dialect(self, dialect: str) -> None:
        from mtlsynth import _espeak

        if not isinstance(dialect, str) or (
            dialect not in self.dialects_.tolist() and dialect not in _espeak.DIALECTS
        ):
            raise ValueError(
                f"unknown dialect {dialect!r}; trained on "
                f"{self.dialects_.tolist()}, eSpeak NG dialects "
                f"{list(_espeak.DIALECTS)}"
            )

    def _sequence(self, utterance: Any, dialect: str) -> PhoneSequence:
        """Phones of text (through eSpeak NG) or of a label."""
        from mtlsynth import _espeak

        if isinstance(utterance, str):
            if not utterance.strip():
                raise ValueError("text is empty")
            if dialect not in _espeak.DIALECTS:
                raise ValueError(
                    f"dialect {dialect!r} has no eSpeak NG voice to transcribe "
                    "text; pass a Label instead"
                )
            pron = _espeak.phonemes(utterance, dialect=dialect)
            question = utterance.strip().endswith("?")
            return PhoneSequence(pron.phones, None, pron.word_index, question)
        seq = PhoneSequence.coerce(utterance, frame_period=self.frame_period)
        if not seq.phones:
            raise ValueError("the utterance has no phones")
        return seq

    def _strength(self, accent_strength: float) -> float:
        s = float(accent_strength)
        if not np.isfinite(s):
            raise ValueError(f"accent_strength must be finite, got {accent_strength}")
        return s

    def predict_durations(
        self, utterance: Any, *, dialect: str, accent_strength: float = 1.0
    ) -> np.ndarray:
        """Predicted duration of every phone, in frames (continuous).

        Parameters
        ----------
        utterance : str, Label, Pronunciation, PhoneSequence or sequence of str
            Text (transcribed with eSpeak NG in the dialect) or phones.
        dialect : str
            Dialect to speak.
        accent_strength : float, default=1.0
            Interpolation between the shared model (0) and the dialect (1).

        Returns
        -------
        ndarray of shape (n_phones,)
            Durations in frames.
        """
        self._check_fitted()
        self._check_dialect(dialect)
        seq = self._sequence(utterance, dialect)
        return np.exp(
            self._log_durations(seq, dialect, self._strength(accent_strength))
        )

    def _log_durations(self, seq: PhoneSequence, dialect: str, s: float):
        X = self.features_.phone_features(seq)
        return _predict(self.duration_model_, X, dialect, s)[:, 0]

    def _dialect_row(self, dialect: str, s: float) -> tuple[np.ndarray, ...]:
        """Normalization and variances for a dialect at accent strength ``s``."""
        g = -1
        if dialect in self.dialects_.tolist():
            t = self.dialects_.tolist().index(dialect)
        else:
            t, s = g, 0.0
        mean = self.target_mean_[g] + s * (self.target_mean_[t] - self.target_mean_[g])
        log_std = np.log(self.target_std_[g]) + s * (
            np.log(self.target_std_[t]) - np.log(self.target_std_[g])
        )
        log_var = np.log(self.variance_[g]) + s * (
            np.log(self.variance_[t]) - np.log(self.variance_[g])
        )
        return mean, np.exp(log_std), np.exp(log_var)

    def predict_parameters(
        self,
        utterance: Any,
        *,
        dialect: str,
        accent_strength: float = 1.0,
        durations: Any = None,
        postfilter: bool = False,
    ) -> vocoder.VocoderFeatures:
        """Predict the vocoder parameters of an utterance.

        Parameters
        ----------
        utterance : str, Label, Pronunciation, PhoneSequence or sequence of str
            Text (transcribed with eSpeak NG in the dialect) or phones.
        dialect : str
            Dialect to speak: one seen in training, or an eSpeak NG dialect
            spoken with the shared models.
        accent_strength : float, default=1.0
            0 gives the shared accent, 1 the dialect, above 1 an exaggerated
            dialect (shared-parameter models only, unless 1).
        durations : array-like of int or "label", optional
            Frames per phone; ``"label"`` takes them from a Label (reference
            timing); default predicted by the duration model.
        postfilter : bool, default=False
            Apply the mel-cepstral postfilter.

        Returns
        -------
        VocoderFeatures
            Mel-cepstra, continuous log-F0, voicing and band aperiodicity.
        """
        self._check_fitted()
        self._check_dialect(dialect)
        s = self._strength(accent_strength)
        seq = self._sequence(utterance, dialect)
        if isinstance(durations, str):
            if durations != "label" or seq.frames is None:
                raise ValueError(
                    "durations='label' needs a Label (or PhoneSequence with frames)"
                )
            frames = seq.frames
        elif durations is None:
            frames = _frames_from_durations(self._log_durations(seq, dialect, s))
        else:
            frames = np.asarray(durations, dtype=np.int64).reshape(-1)
        X = self.features_.frame_features(seq, frames=frames)
        if len(X) == 0:
            raise ValueError("the utterance has no frames")
        mean, std, var = self._dialect_row(dialect, s)
        Z = _predict(self.acoustic_model_, X, dialect, s)
        means = Z * std + mean
        static = mlpg(means, var * std**2, DELTA_WINDOWS)
        order = self.order_
        mcep = static[:, : order + 1]
        lf0 = static[:, order + 1]
        bap = np.minimum(static[:, order + 2 :], 0.0)
        if self.voicing_model_ is None:
            voiced = np.full(len(X), self.voiced_default_ > 0.5)
        else:
            voiced = _voiced_probability(self.voicing_model_, X, dialect, s) > 0.5
        if postfilter:
            mcep = _postfilter(
                mcep, float(self.postfilter), self.alpha_, self.fft_size_
            )
        return vocoder.VocoderFeatures(
            fs=self.fs_,
            frame_period=float(self.frame_period),
            fft_size=self.fft_size_,
            alpha=self.alpha_,
            lf0=lf0,
            vuv=voiced.astype(np.float64),
            mcep=mcep,
            bap=bap,
        )

    def synthesize(
        self,
        text_or_label: Any,
        *,
        dialect: str,
        accent_strength: float = 1.0,
        durations: Any = None,
    ) -> tuple[np.ndarray, int]:
        """Speak text or phones in a dialect.

        Parameters
        ----------
        text_or_label : str, Label, Pronunciation, PhoneSequence or sequence of str
            Text (transcribed with eSpeak NG in the dialect; its timing is
            ignored) or phones.
        dialect : str
            Dialect to speak: one seen in training, or an eSpeak NG dialect
            spoken with the shared models.
        accent_strength : float, default=1.0
            0 gives the shared accent, 1 the dialect, above 1 an exaggerated
            dialect.
        durations : array-like of int or "label", optional
            Frames per phone; default predicted.

        Returns
        -------
        waveform : ndarray of shape (n_samples,)
            Float64 samples; scaled down to a peak of 0.99 if the vocoder's
            output would exceed [-1, 1].
        fs : int
            Sample rate in Hz.
        """
        params = self.predict_parameters(
            text_or_label,
            dialect=dialect,
            accent_strength=accent_strength,
            durations=durations,
            postfilter=True,
        )
        wave = vocoder.synthesize(params)
        peak = float(np.max(np.abs(wave))) if len(wave) else 0.0
        if peak > 0.99:
            wave *= 0.99 / peak
        return wave, self.fs_

    # ------------------------------------------------------------ evaluate

    def _vocoder_features(self, corpus: Corpus, *, lazy: bool = False):
        """Cached WORLD analysis of every utterance, with this voice's settings."""
        return extract_features(
            corpus,
            cache_dir=self.cache_dir,
            frame_period=float(self.frame_period),
            f0_method=self.f0_method,
            mcep_order=self.mcep_order,
            mcep_alpha=self.mcep_alpha,
            n_jobs=self.n_jobs,
            progress=self.progress,
            lazy=lazy,
        )

    def evaluate(self, corpus: Corpus) -> dict[str, dict[str, float]]:
        """Objective measures on (held-out) utterances, per dialect.

        Acoustics are predicted with the reference durations (from the
        labels) and compared frame by frame on non-silence frames; duration
        RMSE compares the duration model's predictions with the reference
        durations of non-silence phones. See :mod:`mtlsynth.metrics`.

        Parameters
        ----------
        corpus : Corpus
            Utterances to score, analysed with the voice's settings.

        Returns
        -------
        dict of str to dict of str to float
            For every dialect: ``mcd_db`` (c_0 excluded), ``f0_rmse_hz``,
            ``vuv_error_pct``, ``bap_db`` and ``dur_rmse_ms``.
        """
        self._check_fitted()
        if not isinstance(corpus, Corpus) or len(corpus) == 0:
            raise ValueError("evaluate needs a non-empty Corpus")
        fp = float(self.frame_period)
        feats = self._vocoder_features(corpus, lazy=True)
        words = (
            _corpus_words(corpus, False)
            if self.use_words
            else [(None, False)] * len(corpus)
        )
        acc: dict[str, dict[str, list]] = {}
        bar = _Progress(len(corpus), "evaluating", enabled=self.progress)
        for utt, ref, w in zip(corpus.utterances, feats, words, strict=True):
            frames = _aligned_frames(utt.label, ref.n_frames, fp)
            n = int(frames.sum())
            seq = PhoneSequence(utt.label.phones, frames, *w)
            pred = self.predict_parameters(seq, dialect=utt.dialect, durations="label")
            phones = np.asarray(utt.label.phones)
            speech = phones != SILENCE
            mask = np.repeat(speech, frames)
            dur_pred = np.exp(self._log_durations(seq, utt.dialect, 1.0)) * fp
            a = acc.setdefault(utt.dialect, {k: [] for k in ("ref", "pred", "m", "d")})
            a["ref"].append((ref.mcep[:n], ref.f0[:n], ref.bap[:n]))
            a["pred"].append((pred.mcep, pred.f0, pred.bap))
            a["m"].append(mask)
            a["d"].append((utt.label.durations[speech] * 1e3, dur_pred[speech]))
            bar.update()
        out = {}
        for dialect, a in sorted(acc.items()):
            ref_mc, ref_f0, ref_bap = (
                np.concatenate(x) for x in zip(*a["ref"], strict=True)
            )
            pr_mc, pr_f0, pr_bap = (
                np.concatenate(x) for x in zip(*a["pred"], strict=True)
            )
            mask = np.concatenate(a["m"])
            d_ref, d_pred = (np.concatenate(x) for x in zip(*a["d"], strict=True))
            out[dialect] = {
                "mcd_db": metrics.mel_cepstral_distortion(ref_mc, pr_mc, mask=mask),
                "f0_rmse_hz": metrics.f0_rmse(ref_f0, pr_f0, mask=mask),
                "vuv_error_pct": metrics.vuv_error(ref_f0, pr_f0, mask=mask),
                "bap_db": metrics.bap_distortion(ref_bap, pr_bap, mask=mask),
                "dur_rmse_ms": metrics.duration_rmse(d_ref, d_pred),
            }
        return out

    # ----------------------------------------------------------- save/load

    _SETTINGS = (
        "postfilter",
        "normalize",
        "variance",
        "frame_period",
        "f0_method",
        "mcep_order",
        "mcep_alpha",
        "use_words",
        "max_voicing_frames",
        "chunk_utterances",
    )

    def save(self, path: str | os.PathLike) -> None:
        """Save the trained voice as one ``.npz`` file (no pickle).

        Parameters
        ----------
        path : str or path-like
            Destination; written atomically.

        Raises
        ------
        ValueError
            If a model is of a class voice files cannot store.
        """
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        lf = self.features_
        table = lf.phone_table
        meta = {
            "synthesizer": {k: getattr(self, k) for k in self._SETTINGS},
            "features": {
                "context": int(lf.context),
                "n_bumps": int(lf.n_bumps),
                "interaction_context": int(lf.interaction_context),
                "edge_kernels": [float(t) for t in lf.edge_kernels],
                "diphone_kernels": [float(t) for t in lf.diphone_kernels],
                "diphone_min_count": int(lf.diphone_min_count),
                "neighbour_identity": bool(lf.neighbour_identity),
                "n_identity_bumps": int(lf.n_identity_bumps),
                "phone_table": None
                if table is None
                else {str(k): [str(c) for c in v] for k, v in table.items()},
                "inventory": lf.inventory_.tolist(),
                "diphones": lf.diphones_.tolist(),
            },
            "signal": {
                "fs": self.fs_,
                "alpha": self.alpha_,
                "fft_size": self.fft_size_,
                "order": self.order_,
                "n_bap": self.n_bap_,
                "voiced_default": self.voiced_default_,
            },
            "dialects": self.dialects_.tolist(),
            "models": {
                "duration": dump_estimator(self.duration_model_, "duration/", arrays),
                "acoustic": dump_estimator(self.acoustic_model_, "acoustic/", arrays),
                "voicing": dump_estimator(self.voicing_model_, "voicing/", arrays),
            },
        }
        arrays["target_mean"] = self.target_mean_
        arrays["target_std"] = self.target_std_
        arrays["variance"] = self.variance_
        write_voice(path, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> ParametricSynthesizer:
        """Load a voice saved by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The voice file.

        Returns
        -------
        ParametricSynthesizer
            The trained synthesizer.

        Raises
        ------
        VoiceFileError
            If the file is corrupted, not a voice file, or of a newer format.
        """
        meta, arrays = read_voice(path)
        try:
            synth = cls(progress=False, **meta["synthesizer"])
            f = meta["features"]
            lf = LinguisticFeatures(
                context=f["context"],
                n_bumps=f["n_bumps"],
                interaction_context=f["interaction_context"],
                edge_kernels=tuple(f["edge_kernels"]),
                # voice files of format 1 have no diphone columns
                diphone_kernels=tuple(f.get("diphone_kernels", ())),
                diphone_min_count=int(f.get("diphone_min_count", 20)),
                neighbour_identity=bool(f["neighbour_identity"]),
                n_identity_bumps=int(f["n_identity_bumps"]),
                phone_table=f["phone_table"],
                frame_period=synth.frame_period,
            )
            synth.features_ = lf._set_inventory(f["inventory"], f.get("diphones", ()))
            sig = meta["signal"]
            synth.fs_ = int(sig["fs"])
            synth.alpha_ = float(sig["alpha"])
            synth.fft_size_ = int(sig["fft_size"])
            synth.order_ = int(sig["order"])
            synth.n_bap_ = int(sig["n_bap"])
            synth.voiced_default_ = float(sig["voiced_default"])
            synth.dialects_ = np.asarray(meta["dialects"], dtype=str)
            models = meta["models"]
            synth.duration_model_ = load_estimator(models["duration"], arrays)
            synth.acoustic_model_ = load_estimator(models["acoustic"], arrays)
            synth.voicing_model_ = load_estimator(models["voicing"], arrays)
            synth.target_mean_ = arrays["target_mean"]
            synth.target_std_ = arrays["target_std"]
            synth.variance_ = arrays["variance"]
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, VoiceFileError):
                raise
            raise VoiceFileError(
                f"{path}: incomplete or inconsistent voice file: {error!r}"
            ) from error
        q = (synth.order_ + 2 + synth.n_bap_) * len(DELTA_WINDOWS)
        n = len(synth.dialects_) + 1
        for name in ("target_mean_", "target_std_", "variance_"):
            if getattr(synth, name).shape != (n, q):
                raise VoiceFileError(f"{path}: {name[:-1]} has the wrong shape")
        return synth
