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
an exaggerated dialect, below 0 a move away from it; ``s`` lies in
:data:`ACCENT_STRENGTH_RANGE`), and a dialect not seen in training is spoken
with ``W_0``. Any scikit-learn regressor or classifier can be plugged in
instead; one whose ``fit`` takes no ``tasks`` is trained on all dialects
pooled.

Predictions stay physical whatever the models extrapolate to: every phone
lasts from one frame to :data:`MAX_PHONE_SECONDS`, log-F0 stays in the F0
range of the analysis (:data:`~mtlsynth.speech.vocoder.F0_FLOOR` to
:data:`~mtlsynth.speech.vocoder.F0_CEIL`) and every other parameter within
:data:`TRAINING_RANGE_STD` standard deviations of the mean of the training
data of some dialect.

A trained voice is saved as one ``.npz`` file of arrays plus JSON metadata
(:meth:`ParametricSynthesizer.save`, :meth:`ParametricSynthesizer.load`);
loading it cannot run code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from mtlsynth.speech import vocoder
from mtlsynth.speech.audio import limit_peaks
from mtlsynth.speech.corpus import Corpus, extract_features
from mtlsynth.speech.evaluation import evaluate_voice, held_out_names, utterance_names
from mtlsynth.speech.features import LinguisticFeatures
from mtlsynth.speech.fitting import fit_voice
from mtlsynth.speech.inputs import check_frontend, voice_sequence, voice_sequences
from mtlsynth.speech.inventory import check_corpus_phones
from mtlsynth.speech.models import (
    predict_dialect,
    voiced_probability,
)
from mtlsynth.speech.paramgen import DELTA_WINDOWS, mlpg
from mtlsynth.speech.phones import PhoneSequence
from mtlsynth.speech.phonesets import get_phone_set
from mtlsynth.speech.saving import load_voice, voice_contents
from mtlsynth.speech.speakers import (
    TASKS,
    split_cell,
    voice_task,
)
from mtlsynth.speech.training import (
    TrainingData,
    _corpus_words,
    check_statistics_memory,
    collect_training_data,
)
from mtlsynth.speech.tuning import (
    VALIDATION_SECONDS,
    validation_utterances,
    voice_models,
)
from mtlsynth.speech.voicefile import write_voice
from mtlsynth.utils.progress import Progress

__all__ = [
    "ACCENT_STRENGTH_RANGE",
    "MAX_PHONE_SECONDS",
    "TRAINING_RANGE_STD",
    "ParametricSynthesizer",
]

#: Accepted accent strengths ``s`` of ``W_0 + s V_t``: from the opposite of
#: the dialect's departure from the shared accent (-1) through the shared
#: accent (0) and the dialect (1) to three times its departure (3). Beyond,
#: linear models extrapolate far outside anything heard in training.
ACCENT_STRENGTH_RANGE = (-1.0, 3.0)

#: Longest predicted phone, in seconds (a long pause); the shortest is a frame.
MAX_PHONE_SECONDS = 2.0

#: Predicted vocoder parameters stay within this many standard deviations of
#: the mean of the training data of some dialect.
TRAINING_RANGE_STD = 5.0


def _bounded(x: np.ndarray, low: Any, high: Any) -> np.ndarray:
    """``x`` clipped to ``[low, high]``; NaN becomes the middle of the range."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return np.clip(np.where(np.isnan(x), (low + high) / 2, x), low, high)


def _frames_from_durations(log_frames: np.ndarray) -> np.ndarray:
    """Integer frames per phone from predicted log durations (at least 1)."""
    cont = np.exp(log_frames)
    bounds = np.round(np.cumsum(cont)).astype(np.int64)
    frames = np.diff(bounds, prepend=0)
    return np.maximum(frames, 1)


class ParametricSynthesizer(BaseEstimator):
    """Multi-dialect statistical parametric speech synthesizer.

    Parameters
    ----------
    duration_model : regressor, optional
        Phone-level features to log duration in frames. Default
        ``SharedLeastSquares(unseen_tasks="shared")`` with its penalties
        chosen on held-out utterances (see ``validation_fraction``).
    acoustic_model : regressor, optional
        Frame-level features to normalized static, delta and delta-delta
        parameters. Default ``SharedLeastSquares(unseen_tasks="shared")``
        with its penalties chosen on held-out utterances. In both default
        models each dialect's ``alpha_task`` and ``task_weight`` are scaled
        by :func:`size_scaled_penalties`, so that a dialect with few
        sentences leans on what the others share without pulling it towards
        itself. Models with a ``fit_statistics``
        method are fitted from sufficient statistics accumulated over chunks
        of utterances; others get all frames stacked in memory.
    voicing_model : classifier, optional
        Frame-level features to voiced (1) / unvoiced (0). Default
        ``MaxEntClassifier(alpha_shared=1, alpha_task=10, max_iter=300,
        unseen_tasks="shared")``.
    features : LinguisticFeatures, optional
        The feature extractor (cloned); default ``LinguisticFeatures()``,
        which detects the labels' phone set (pass
        ``LinguisticFeatures(phone_set=...)`` for another).
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
    tasks : {"factors", "cells", "dialects"}, default="factors"
        The models' tasks where the corpus has speakers: dialect and speaker
        as factors, so that any speaker speaks any dialect; every (dialect,
        speaker) cell its own task; or the speakers of a dialect pooled
        (see :mod:`mtlsynth.speech.speakers`). With factors, the targets
        and variances are those of the whole corpus.
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
        :func:`mtlsynth.speech.corpus.extract_features`), and where training
        keeps the voicing model's rows until it fits them (a temporary
        folder, else in the system's temporary folder).
    frontend : str or dict of str to str, optional
        The eSpeak NG dialect that transcribes text: one for every dialect,
        or one per dialect (``{"kal": "en-US"}``); by default a dialect
        named like an eSpeak NG dialect (a key of
        :data:`mtlsynth.speech.frontend.DIALECTS`) is its own front end.
        Its phones are spoken in the voice's phone set, translated through
        their IPA.
    use_words : bool, default=True
        Give corpus utterances word membership: their labels' own words (a
        TextGrid's words tier, as forced aligners write it, or HTS
        full-context labels), else by transcribing their prompts
        (``prompts.txt``) with eSpeak NG when the phones match the label.
    max_voicing_frames : int, default=1000000
        Most frame rows the voicing model holds in memory: it trains on
        every frame of a corpus of at most this many. Of a larger one,
        ``fit`` writes every frame to disk (see ``cache_dir``; 2.2 kB a
        frame) and fits on an even sample of half as many, then on every
        frame, read back chunk by chunk at each L-BFGS step (``fit_batches``;
        a model without it keeps every k-th frame and those at voicing changes).
    chunk_utterances : int, default=64
        Utterances per chunk when accumulating statistics.
    validation_fraction : float, default=0.2
        Share of the sentences held out in every dialect to choose the default
        duration and acoustic models' penalties (see
        :mod:`mtlsynth.speech.tuning`), before they are trained on too. The
        search starts from fixed penalties (duration 10 and 30, acoustic
        0.01 and 1) and leaves them only for a pair the held-out utterances
        show better by more than their standard error; 0 keeps them.
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
        Tasks seen in training, sorted: the dialects, or the cells
        ``<dialect>/<speaker>`` of a voice trained on speakers.
    speakers_ : ndarray of str
        Speakers seen in training, sorted; empty for a voice without.
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
    training_utterances_ : dict of str to list of str or None
        Names of the utterances trained on, per dialect; None when unknown
        (trained by :meth:`fit_training_data`, or loaded from a voice file
        of format 2 or older).
    held_out_ : dict of str to list of str or None
        Names of the utterances held out for evaluation, per dialect (the
        ``held_out`` of :meth:`fit`); None when unknown.
    penalty_search_ : list of dict
        Per default model whose penalties were chosen: ``model``, the pair
        chosen (``alpha_shared``, ``alpha_task`` of the largest dialect),
        the values tried, the validation mean squared error of every pair and the
        number of validation rows (see
        :func:`~mtlsynth.speech.tuning.choose_penalties`).

    Examples
    --------
    >>> from mtlsynth.speech import ParametricSynthesizer
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
        tasks: str = "factors",
        frame_period: float = 5.0,
        f0_method: str = "dio",
        mcep_order: int | None = None,
        mcep_alpha: float | None = None,
        cache_dir: str | os.PathLike | None = None,
        frontend: str | dict[str, str] | None = None,
        use_words: bool = True,
        max_voicing_frames: int = 1_000_000,
        chunk_utterances: int = 64,
        validation_fraction: float = 0.2,
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
        self.tasks = tasks
        self.frame_period = frame_period
        self.f0_method = f0_method
        self.mcep_order = mcep_order
        self.mcep_alpha = mcep_alpha
        self.cache_dir = cache_dir
        self.frontend = frontend
        self.use_words = use_words
        self.max_voicing_frames = max_voicing_frames
        self.chunk_utterances = chunk_utterances
        self.validation_fraction = validation_fraction
        self.n_jobs = n_jobs
        self.progress = progress

    # ------------------------------------------------------------ defaults

    def _check_params(self) -> None:
        check_frontend(self.frontend)
        if self.normalize not in ("dialect", "global"):
            raise ValueError(
                f"normalize must be 'dialect' or 'global', got {self.normalize!r}"
            )
        if self.variance not in ("dialect", "global"):
            raise ValueError(
                f"variance must be 'dialect' or 'global', got {self.variance!r}"
            )
        if self.tasks not in TASKS:
            raise ValueError(f"tasks must be one of {TASKS}, got {self.tasks!r}")
        if not (np.isfinite(self.postfilter) and self.postfilter > 0):
            raise ValueError(f"postfilter must be positive, got {self.postfilter!r}")
        if int(self.chunk_utterances) < 1 or int(self.max_voicing_frames) < 2:
            raise ValueError("chunk_utterances and max_voicing_frames must be positive")
        share = self.validation_fraction
        if not 0 <= float(share) < 1:
            raise ValueError(f"validation_fraction must be in [0, 1), got {share!r}")

    # ----------------------------------------------------------------- fit

    def fit(
        self, corpus: Corpus, y: Any = None, *, held_out: Corpus | None = None
    ) -> ParametricSynthesizer:
        """Train the duration, acoustic and voicing models on a corpus.

        Records the names of the training utterances as
        ``training_utterances_``, and those of ``held_out`` as ``held_out_``;
        both are saved with the voice.

        Parameters
        ----------
        corpus : Corpus
            Training utterances of one or more dialects (from
            :func:`mtlsynth.speech.corpus.read_corpus`, possibly a subset).
        y : None
            Ignored.
        held_out : Corpus, optional
            The utterances kept out of training for evaluation (the test part
            of :func:`~mtlsynth.speech.corpus.split_corpus`; empty if none
            were); default unknown.

        Returns
        -------
        self : ParametricSynthesizer
            The trained synthesizer.

        Raises
        ------
        ValueError
            If ``held_out`` shares utterances with ``corpus``.
        CorpusError
            If the labels have phones outside the phone set of ``features``
            (by default the shipped set that knows most of them), naming
            each with the first file and line where it occurs.
        """
        self._check_params()
        if not isinstance(corpus, Corpus) or len(corpus) == 0:
            raise ValueError("fit needs a non-empty Corpus")
        held = held_out_names(corpus, held_out)
        given = None if self.features is None else self.features.phone_set
        check_corpus_phones(corpus, None if given is None else get_phone_set(given))
        dur, ac, vo = voice_models(self)
        words = _corpus_words(corpus, bool(self.progress)) if self.use_words else None
        stride, stream = 1, False
        if hasattr(ac, "fit_statistics"):
            seconds = sum(float(u.label.durations.sum()) for u in corpus.utterances)
            many = seconds * 1e3 / float(self.frame_period) / self.max_voicing_frames
            stream = many > 1 and hasattr(vo, "fit_batches")  # every frame, on disk
            stride = 1 if many <= 1 or stream else int(np.ceil(2 * many))  # half
        fraction = float(self.validation_fraction) * (  # 0: no search, none held
            (self.duration_model is None and hasattr(dur, "fit_statistics"))
            or (self.acoustic_model is None and hasattr(ac, "fit_statistics"))
        )
        options = {
            "validation": validation_utterances(corpus, fraction, VALIDATION_SECONDS),
            "frame_stride": stride,
            "keep_transitions": stride > 1,
            "spill": self.cache_dir or True,  # voicing rows wait on disk
            "duration_statistics": hasattr(dur, "fit_statistics"),
            "acoustic_statistics": hasattr(ac, "fit_statistics"),
            "words": words,  # both passes need them: the prompts transcribed once
            "tasks": self.tasks,
        }
        data = self.collect(corpus, frames=False, **options)  # the phones first
        if options["acoustic_statistics"]:
            factored = self.tasks == "factors" and self.acoustic_model is None
            factored &= any(u.speaker is not None for u in corpus.utterances)
            check_statistics_memory(corpus, data.features, self.tasks, factored)
        frames = partial(self.collect, corpus, phones=False, **options)
        self._fit_models(data, release=True, frames=frames, stream=stream)
        self.training_utterances_, self.held_out_ = utterance_names(corpus), held
        return self

    def collect(
        self,
        corpus: Corpus,
        *,
        features: LinguisticFeatures | None = None,
        **options: Any,
    ) -> TrainingData:
        """Summarize a corpus in one pass for training.

        See :func:`~mtlsynth.speech.training.collect_training_data`;
        :meth:`fit_training_data` trains on the result, so data collected
        once in blocks can train on any union of blocks
        (:meth:`TrainingData.merge`).

        Parameters
        ----------
        corpus : Corpus
            Training utterances, analysed with this voice's settings.
        features : LinguisticFeatures, optional
            Fitted feature extractor to use; default the voice's
            ``features`` (or the default extractor) fitted on the corpus.
        **options
            What to keep, as
            :func:`~mtlsynth.speech.training.collect_training_data` takes it:
            ``frame_stride``, ``keep_transitions``, ``duration_statistics``,
            ``acoustic_statistics``, ``keep_phones``, ``keep_frame_targets``,
            ``validation``, ``words``, ``phones`` and ``frames``.

        Returns
        -------
        TrainingData
            The summary.
        """
        self._check_params()
        if not isinstance(corpus, Corpus) or len(corpus) == 0:
            raise ValueError("fit needs a non-empty Corpus")
        fit_features = features is None
        if fit_features:
            features = (
                LinguisticFeatures() if self.features is None else clone(self.features)
            )
            features.set_params(frame_period=float(self.frame_period), level="frame")
        return collect_training_data(
            corpus,
            self._vocoder_features(corpus, lazy=True),
            features,
            fit_features=fit_features,
            frame_period=float(self.frame_period),
            use_words=self.use_words,
            chunk_utterances=int(self.chunk_utterances),
            progress=self.progress,
            **options,
        )

    def fit_training_data(self, data: TrainingData) -> ParametricSynthesizer:
        """Train every model on summarized training data.

        The data do not name their utterances: ``training_utterances_`` and
        ``held_out_`` are None.

        Parameters
        ----------
        data : TrainingData
            The summary of a corpus, from :meth:`collect`.

        Returns
        -------
        self : ParametricSynthesizer
            The trained synthesizer.
        """
        return self._fit_models(data, release=False)

    def _fit_models(self, data, release, frames=None, stream=False):
        """Train every model (:func:`~mtlsynth.speech.fitting.fit_voice`)."""
        self._check_params()
        return fit_voice(self, data, release, frames, stream)

    def _factored(self) -> bool:
        """Whether the models' tasks are dialect and speaker factors."""
        return self.tasks == "factors" and len(getattr(self, "speakers_", ())) > 0

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

    def _voicing_task(self, task: str) -> str:
        """The voicing model's task: a factored voice's is the dialect."""
        return split_cell(task)[0] if self._factored() else task

    def _sequence(self, utterance: Any, dialect: str, *, sentences: bool = False):
        """Phones of text (through the dialect's front end) or of phones, in
        the voice's phone set (see :mod:`mtlsynth.speech.inputs`); with
        ``sentences``, a list of one PhoneSequence per sentence of text."""
        return (voice_sequences if sentences else voice_sequence)(
            utterance,
            dialect=dialect,
            frontends=check_frontend(self.frontend),
            features=self.features_,
            frame_period=self.frame_period,
        )

    def _strength(self, accent_strength: float) -> float:
        """The accent strength as a float, checked against its range."""
        low, high = ACCENT_STRENGTH_RANGE
        s = float(accent_strength)
        if not low <= s <= high:
            raise ValueError(
                f"accent strength must be from {low:g} to {high:g} (0 the shared "
                f"accent, 1 the dialect, above 1 exaggerated), got {accent_strength}"
            )
        return s

    def predict_durations(
        self,
        utterance: Any,
        *,
        dialect: str,
        speaker: str | None = None,
        accent_strength: float = 1.0,
    ) -> np.ndarray:
        """Predicted duration of every phone, in frames (continuous).

        Parameters
        ----------
        utterance : str, Label, Pronunciation, PhoneSequence or sequence of str
            Text (transcribed with eSpeak NG in the dialect) or phones.
        dialect : str
            Dialect to speak.
        speaker : str, optional
            Speaker of a voice trained on speakers (``speakers_``), in any
            dialect; default none (a factored voice's dialect alone).
        accent_strength : float, default=1.0
            Interpolation between the shared model (0) and the dialect (1),
            in :data:`ACCENT_STRENGTH_RANGE`.

        Returns
        -------
        ndarray of shape (n_phones,)
            Durations in frames, each from one frame to
            :data:`MAX_PHONE_SECONDS`.
        """
        self._check_fitted()
        task = voice_task(self, dialect, speaker)
        s = self._strength(accent_strength)
        seq = self._sequence(utterance, dialect)
        return np.exp(self._log_durations(seq, task, s))

    def _log_durations(self, seq: PhoneSequence, dialect: str, s: float):
        """Predicted log frames per phone, from 1 frame to the longest phone."""
        X = self.features_.phone_features(seq)
        longest = MAX_PHONE_SECONDS * 1e3 / float(self.frame_period)
        log_frames = predict_dialect(self.duration_model_, X, dialect, s)[:, 0]
        return _bounded(log_frames, 0.0, np.log(longest))

    def _static_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of the static parameters (mel-cepstra, log-F0, band
        aperiodicity): the training data's range, and the F0 analysis range."""
        n = self.order_ + 2 + self.n_bap_
        mean, std = self.target_mean_[:, :n], self.target_std_[:, :n]
        low = np.min(mean - TRAINING_RANGE_STD * std, axis=0)
        high = np.max(mean + TRAINING_RANGE_STD * std, axis=0)
        f0 = self.order_ + 1
        low[f0], high[f0] = np.log(vocoder.F0_FLOOR), np.log(vocoder.F0_CEIL)
        high[f0 + 1 :] = np.minimum(high[f0 + 1 :], 0.0)  # aperiodicity <= 0 dB
        return low, np.maximum(high, low)

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
        speaker: str | None = None,
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
        speaker : str, optional
            Speaker of a voice trained on speakers, in any dialect (a
            factored voice adds the speaker's part and the dialect's).
        accent_strength : float, default=1.0
            0 gives the shared accent, 1 the dialect, above 1 an exaggerated
            dialect, below 0 a move away from it (shared-parameter models
            only, unless 1); in :data:`ACCENT_STRENGTH_RANGE`. It scales
            the dialect's part alone, not the speaker's.
        durations : array-like of int or "label", optional
            Frames per phone; ``"label"`` takes them from a Label (reference
            timing); default predicted by the duration model.
        postfilter : bool, default=False
            Apply the mel-cepstral postfilter.

        Returns
        -------
        VocoderFeatures
            Mel-cepstra, continuous log-F0, voicing and band aperiodicity,
            within the ranges of the training data (log-F0 within the F0
            range of the analysis).
        """
        self._check_fitted()
        task = voice_task(self, dialect, speaker)
        s = self._strength(accent_strength)
        seq = self._sequence(utterance, dialect)
        if isinstance(durations, str):
            if durations != "label" or seq.frames is None:
                raise ValueError(
                    "durations='label' needs a Label (or PhoneSequence with frames)"
                )
            frames = seq.frames
        elif durations is None:
            frames = _frames_from_durations(self._log_durations(seq, task, s))
        else:
            frames = np.asarray(durations, dtype=np.int64).reshape(-1)
        X = self.features_.frame_features(seq, frames=frames, sparse_output=True)
        if X.shape[0] == 0:
            raise ValueError("the utterance has no frames")
        mean, std, var = self._dialect_row(task, s)
        Z = predict_dialect(self.acoustic_model_, X, task, s)
        means = Z * std + mean
        static = _bounded(
            mlpg(means, var * std**2, DELTA_WINDOWS), *self._static_range()
        )
        order = self.order_
        mcep = static[:, : order + 1]
        lf0 = static[:, order + 1]
        bap = static[:, order + 2 :]
        if self.voicing_model_ is None:
            voiced = np.full(X.shape[0], self.voiced_default_ > 0.5)
        else:
            vo, v_task = self.voicing_model_, self._voicing_task(task)
            voiced = voiced_probability(vo, X, v_task, s) > 0.5
        if postfilter:
            mcep = vocoder.postfilter(
                mcep, float(self.postfilter), alpha=self.alpha_, fft_size=self.fft_size_
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
        speaker: str | None = None,
        accent_strength: float = 1.0,
        durations: Any = None,
    ) -> tuple[np.ndarray, int]:
        """Speak text or phones in a dialect.

        Parameters
        ----------
        text_or_label : str, Label, Pronunciation, PhoneSequence or sequence of str
            Text (transcribed with eSpeak NG in the dialect, sentence by
            sentence as :meth:`synthesize_sentences` does) or phones (a
            Label's timing is ignored unless ``durations="label"``).
        dialect : str
            Dialect to speak: one seen in training, or an eSpeak NG dialect
            spoken with the shared models.
        speaker : str, optional
            As in :meth:`predict_parameters`.
        accent_strength : float, default=1.0
            0 gives the shared accent, 1 the dialect, above 1 an exaggerated
            dialect, below 0 a move away from it; in
            :data:`ACCENT_STRENGTH_RANGE`.
        durations : array-like of int or "label", optional
            Frames per phone of the utterance, spoken as one; default
            predicted.

        Returns
        -------
        waveform : ndarray of shape (n_samples,)
            Float64 samples at the loudness the models predict (within the
            ranges of the training data); the peaks of the vocoder's pulses
            beyond 0.9 are compressed smoothly to stay within 0.99 (see
            :func:`~mtlsynth.speech.audio.limit_peaks`), rather than the
            whole file scaled to its peak.
        fs : int
            Sample rate in Hz.
        """
        voice = {"dialect": dialect, "speaker": speaker}
        if durations is None:
            pieces = self.synthesize_sentences(
                text_or_label, **voice, accent_strength=accent_strength
            )
            return np.concatenate(list(pieces)), self.fs_
        return self._wave(text_or_label, voice, accent_strength, durations), self.fs_

    def _wave(self, utterance, voice: dict, accent_strength, durations) -> np.ndarray:
        """The waveform of one utterance, postfiltered and peak-limited;
        ``voice`` the dialect and speaker."""
        params = self.predict_parameters(
            utterance,
            **voice,
            accent_strength=accent_strength,
            durations=durations,
            postfilter=True,
        )
        return limit_peaks(vocoder.synthesize(params))

    def synthesize_sentences(
        self,
        text_or_label: Any,
        *,
        dialect: str,
        speaker: str | None = None,
        accent_strength: float = 1.0,
    ) -> Iterator[np.ndarray]:
        """Speak text one sentence at a time, for texts of any length.

        The text is cut into sentences (see
        :func:`~mtlsynth.speech.inputs.split_text`) and transcribed at once,
        so that bad input is refused and substitutions are reported before
        anything is spoken; each sentence is then synthesized when asked
        for, so memory holds one sentence, and every sentence is as loud as
        it would be alone.

        Parameters
        ----------
        text_or_label : str, Label, Pronunciation, PhoneSequence or sequence of str
            Text, or phones (one utterance).
        dialect : str
            Dialect to speak.
        speaker : str, optional
            As in :meth:`predict_parameters`.
        accent_strength : float, default=1.0
            As in :meth:`synthesize`.

        Returns
        -------
        iterator of ndarray
            The waveform of each sentence in turn, at ``fs_``, as
            :meth:`synthesize` returns it.
        """
        self._check_fitted()
        voice = {"dialect": dialect, "speaker": speaker}
        voice_task(self, dialect, speaker)
        self._strength(accent_strength)
        sequences = self._sequence(text_or_label, dialect, sentences=True)

        def waves() -> Iterator[np.ndarray]:
            many = self.progress and len(sequences) > 1
            bar = Progress(len(sequences), "sentences", enabled=many)
            for seq in sequences:
                yield self._wave(seq, voice, accent_strength, None)
                bar.update()

        return waves()

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
        durations of non-silence phones. See :mod:`mtlsynth.speech.metrics`.
        A :class:`~mtlsynth.speech.CorpusWarning` says how many utterances
        the voice was trained on, if any (when ``training_utterances_`` is
        known): their measures are optimistic.

        Parameters
        ----------
        corpus : Corpus
            Utterances to score, analysed with the voice's settings.

        Returns
        -------
        dict of str to dict of str to float
            For every dialect: ``mcd_db`` (c_0 excluded), ``f0_rmse_hz``,
            ``vuv_error_pct``, ``bap_db`` and ``dur_rmse_ms``.

        Raises
        ------
        ValueError
            If the corpus's sample rate is not the voice's (checked before
            any analysis).
        """
        self._check_fitted()
        return evaluate_voice(
            self, corpus, lambda c: self._vocoder_features(c, lazy=True)
        )

    # ----------------------------------------------------------- save/load

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
        write_voice(path, *voice_contents(self))

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
            If the file is corrupted, not a voice file, of a newer format, or
            if its metadata breaks the schema of its format
            (:func:`~mtlsynth.speech.voicefile.check_voice`); the one-line
            message names the file and the field at fault.
        """
        return load_voice(cls, path)
