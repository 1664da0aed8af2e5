"""What a voice is trained on: rows and statistics of a corpus."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from mtlsynth._factored import factored_system_width
from mtlsynth._stats import TaskStatistics
from mtlsynth.speech.corpus import Corpus, read_prompts
from mtlsynth.speech.features import LinguisticFeatures
from mtlsynth.speech.labels import Label
from mtlsynth.speech.paramgen import DELTA_WINDOWS, delta_features
from mtlsynth.speech.phones import PhoneSequence
from mtlsynth.speech.speakers import speaker_columns, task_name
from mtlsynth.utils.files import temporary_folder
from mtlsynth.utils.progress import Progress

__all__ = [
    "TrainingData",
    "check_statistics_memory",
    "normalized_statistics",
    "size_scaled_penalties",
    "target_normalization",
]

_MIN_LOG_FRAMES = np.log(0.25)

FIT_MEMORY = 1.75
"""Least peak memory of a voice's training, in multiples of its frame
statistics: 1.75 and 2.0 measured with 32 and 24 cells of the built-in
corpus (the fit works on copies of parts of them)."""


def _next_to_change(voiced: np.ndarray) -> np.ndarray:
    """Mask of the frames on either side of a change of voicing."""
    change = np.flatnonzero(np.diff(voiced.astype(np.int8)) != 0)
    mask = np.zeros(len(voiced), bool)
    mask[change] = mask[change + 1] = True
    return mask


def _split_rows(held: np.ndarray, *arrays: Any) -> tuple[tuple, tuple]:
    """The rows of ``arrays`` not ``held``, and those ``held``; the arrays
    themselves (no copies) and Nones when no row is held."""
    if not held.any():
        return arrays, (None,) * len(arrays)
    return tuple(a[~held] for a in arrays), tuple(a[held] for a in arrays)


def _add_rows(total: TaskStatistics | None, X: Any, Y: np.ndarray, tasks, labels):
    """``total`` (started on every dialect of ``labels``, so that no batch
    brings a new one) with the statistics of rows ``X, Y`` of dialects
    ``tasks`` added in place."""
    if total is None:
        total = TaskStatistics.zeros(labels, X.shape[1], Y.shape[1])
    if not len(tasks):
        return total
    codes = np.searchsorted(total.labels, tasks)
    if np.any(np.diff(codes) < 0):  # contiguous tasks: no row gathering later
        order = np.argsort(codes, kind="stable")
        X, Y, codes = X[order], Y[order], codes[order]
    return total.add_rows(X, Y, codes)


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
        Kept phone rows: ``(X, log_frames, dialect)`` per batch, ``X`` a
        sparse (CSR) matrix, the others arrays.
    frame_rows : list of tuple
        Kept frame rows: ``(X, targets, voiced, dialect, weight)`` per batch,
        ``X`` a sparse (CSR) matrix, the others arrays; a row's weight is
        the inverse of the rate at which rows like it were kept. Batches
        collected with ``spill`` are in files until :attr:`frames` reads
        them.
    validation_phones : list of tuple
        Phone rows of the validation utterances, left out of ``duration``:
        ``(X, log_frames, dialect, sentence, speech)`` per batch,
        ``sentence`` the name of each row's utterance (the dialects of a
        parallel corpus speak the sentence of a name) and ``speech`` False
        for pauses.
    validation_frames : list of tuple
        Frame rows of the validation utterances, left out of ``acoustic``:
        ``(X, targets, dialect, sentence, speech)`` per batch.
    spill_folders : tuple of tempfile.TemporaryDirectory
        Where spilled frame rows are; each folder is removed with the last
        data that hold it.
    """

    features: LinguisticFeatures
    analysis: dict
    duration: TaskStatistics | None = None
    acoustic: TaskStatistics | None = None
    phone_rows: list = field(default_factory=list)
    frame_rows: list = field(default_factory=list)
    validation_phones: list = field(default_factory=list)
    validation_frames: list = field(default_factory=list)
    spill_folders: tuple = ()

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
            self.validation_phones + other.validation_phones,
            self.validation_frames + other.validation_frames,
            self.spill_folders + other.spill_folders,
        )

    def absorb_validation(self, kind: str) -> None:
        """Add one kind of validation rows to their statistics (in place), as
        if they had been training rows all along, and drop them.

        Parameters
        ----------
        kind : {"phones", "frames"}
            Which rows: phones go into ``duration``, frames into ``acoustic``.
        """
        name = "duration" if kind == "phones" else "acoustic"
        stats, held = getattr(self, name), self.validation(kind)
        if stats is not None and held is not None:  # in one pass
            _add_rows(stats, *held[:3], stats.labels)
        setattr(self, f"validation_{kind}", [])

    def validation(self, kind: str) -> tuple[Any, ...] | None:
        """Validation rows stacked.

        Parameters
        ----------
        kind : {"phones", "frames"}
            Which rows.

        Returns
        -------
        tuple or None
            ``(X, targets, dialect, sentence, speech)``: ``X`` a CSR matrix,
            the others arrays, every row of speech before every pause (the
            first ``speech.sum()`` rows are those of speech); None if there
            are none. The rows are stacked once and kept so, each chunk
            released as it is copied.
        """
        name = f"validation_{kind}"
        rows = getattr(self, name)
        if not rows:
            return None
        X, *_, speech = rows[0]
        stacked = len(rows) == 1 and sparse.isspmatrix_csr(X)
        if not stacked or np.any(np.diff(speech.astype(np.int8)) > 0):
            setattr(self, name, [_speech_first(rows)])
        return getattr(self, name)[0]

    @property
    def phones(self) -> tuple[Any, ...] | None:
        """Kept phone rows stacked: ``(X, log_frames, dialect)``, ``X`` a
        sparse (CSR) matrix, stacked once as :attr:`frames` are."""
        if not self.phone_rows:
            return None
        if len(self.phone_rows) != 1:
            self.phone_rows = [_stacked_rows(self.phone_rows)]
        return self.phone_rows[0]

    @property
    def frames(self) -> tuple[Any, ...]:
        """Kept frame rows stacked: ``(X, targets, voiced, dialect, weight)``.

        ``X`` is a sparse (CSR) matrix. Every part is stacked into arrays
        made once, chunk by chunk, each chunk released once copied, so that
        stacking needs little more memory than the rows.
        """
        rows = self.frame_rows
        if len(rows) != 1 or isinstance(rows[0], _Spilled):
            self.frame_rows = [_stacked_rows(rows)]
            self.spill_folders = ()
        return self.frame_rows[0]

    def frame_sample(self, limit: int, *, keep_files: bool = False) -> tuple[Any, ...]:
        """Kept frame rows, at most ``limit`` of them, stacked.

        When there are more, every ``k``-th row is kept (``k`` the smallest
        step that keeps at most ``limit``), its weight multiplied by ``k``.
        Spilled chunks are read and thinned one at a time, so memory never
        holds more than ``limit`` rows and a chunk. :attr:`frames` then
        gives the rows kept.

        Parameters
        ----------
        limit : int
            Most rows to keep.
        keep_files : bool, default=False
            Leave spilled chunks on disk, for the batches of
            :meth:`frame_batches` to read again.

        Returns
        -------
        tuple
            ``(X, targets, voiced, dialect, weight)``, as :attr:`frames`.
        """
        step = int(np.ceil(self.n_frame_rows / int(limit)))
        if step > 1 or keep_files:
            thinned, offset = [], 0
            while self.frame_rows:
                chunk = self.frame_rows.pop(0)
                X, *parts, weight = _read(chunk, keep_files)
                keep = slice((-offset) % step, None, step)  # every step-th of all
                offset += X.shape[0]
                parts = (p[keep] for p in parts)
                thinned.append((X[keep], *parts, weight[keep] * step))
            self.frame_rows = thinned
        return self.frames

    @property
    def n_frame_rows(self) -> int:
        """Number of kept frame rows, in memory or spilled."""
        return sum(_shape(chunk)[0] for chunk in self.frame_rows)

    def frame_batches(self) -> list:
        """The kept frame rows as batches of the voicing model, read anew at
        every call, as :meth:`~mtlsynth.MaxEntClassifier.fit_batches` takes
        them.

        Returns
        -------
        list of callable
            One per chunk, returning ``(X, voiced, dialect, weight)``
            (``voiced`` 0 or 1); a spilled chunk is read from its file,
            whose folder the batch keeps until it is dropped.
        """
        return [
            partial(_voicing_batch, chunk, self.spill_folders)
            for chunk in self.frame_rows
        ]


def _voicing_batch(chunk, folders: tuple) -> tuple:
    """``(X, voiced, dialect, weight)`` of a chunk of frame rows, read from
    its file if spilled (``folders`` keeps that file's folder alive)."""
    X, _, voiced, dialect, weight = _read(chunk, keep_file=True)
    return X, voiced.astype(np.int64), dialect, weight


@dataclass(frozen=True)
class _Spilled:
    """A chunk of rows ``(X, *arrays)`` written to ``path`` by :func:`_spill`:
    ``empty`` holds its columns and types (no rows), ``n`` and ``nnz`` its
    rows and the nonzeros of ``X``."""

    path: Path
    empty: tuple
    n: int
    nnz: int

    def read(self) -> tuple:
        """The chunk, read back; its file stays."""
        with np.load(self.path, allow_pickle=False) as f:
            csr = (f["data"], f["indices"], f["indptr"])
            parts = [f[f"part{k}"] for k in range(len(self.empty) - 1)]
        return (sparse.csr_matrix(csr, shape=(self.n, self.empty[0].shape[1])), *parts)

    def load(self) -> tuple:
        """The chunk, read back; its file is removed."""
        chunk = self.read()
        self.path.unlink()
        return chunk


def _spill(chunk: tuple, folder: str) -> _Spilled:
    """Write a chunk ``(X, *arrays)`` (``X`` CSR) to a new file in ``folder``."""
    X, *parts = chunk
    fd, name = tempfile.mkstemp(suffix=".npz", dir=folder)
    with os.fdopen(fd, "wb") as f:
        arrays = {f"part{k}": part for k, part in enumerate(parts)}
        np.savez(f, data=X.data, indices=X.indices, indptr=X.indptr, **arrays)
    empty = (sparse.csr_matrix((0, X.shape[1]), dtype=X.dtype),) + tuple(
        np.empty((0, *a.shape[1:]), a.dtype)
        for a in parts  # a[:0] would pin a
    )
    return _Spilled(Path(name), empty, X.shape[0], X.nnz)


def _read(chunk, keep_file: bool = False) -> tuple:
    """A chunk of rows, read back if it was spilled (its file removed unless
    ``keep_file``)."""
    if not isinstance(chunk, _Spilled):
        return chunk
    return chunk.read() if keep_file else chunk.load()


def _shape(chunk) -> tuple[int, int, tuple]:
    """Rows, nonzeros and a template (columns and types) of a chunk."""
    if isinstance(chunk, _Spilled):
        return chunk.n, chunk.nnz, chunk.empty
    return chunk[0].shape[0], chunk[0].nnz, chunk


def _stacked_rows(rows: list) -> tuple[Any, ...]:
    """Chunks ``(X, *arrays)`` (``X`` CSR), some perhaps spilled, stacked,
    emptying ``rows`` as each chunk is copied."""
    sizes, counts, templates = zip(*map(_shape, rows), strict=True)
    n, nnz, first = sum(sizes), sum(counts), templates[0][0]
    index = np.int32 if max(nnz, first.shape[1]) < np.iinfo(np.int32).max else np.int64
    values, indices = np.empty(nnz, first.dtype), np.empty(nnz, index)
    indptr = np.zeros(n + 1, index)
    out = [
        np.empty((n, *parts[0].shape[1:]), np.result_type(*parts))
        for parts in list(zip(*templates, strict=True))[1:]
    ]
    start = pos = 0
    while rows:
        X, *parts = _read(rows.pop(0))
        X = sparse.csr_matrix(X)
        stop, end = start + X.shape[0], pos + X.nnz
        values[pos:end], indices[pos:end] = X.data, X.indices
        indptr[start + 1 : stop + 1] = X.indptr[1:] + pos
        for stacked, part in zip(out, parts, strict=True):
            stacked[start:stop] = part
        start, pos = stop, end
    X = sparse.csr_matrix((values, indices, indptr), shape=(n, first.shape[1]))
    return (X, *out)


def _speech_first(rows: list) -> tuple[Any, ...]:
    """Validation chunks ``(X, targets, dialect, sentence, speech)`` stacked
    with every row of speech before every pause, emptying ``rows``."""
    speech, pauses = [], []
    while rows:
        X, targets, *arrays = rows.pop(0)
        X, targets = sparse.csr_matrix(X), np.reshape(targets, (X.shape[0], -1))
        spoken = np.asarray(arrays[-1], bool)
        for mask, out in ((spoken, speech), (~spoken, pauses)):
            out.append((X[mask], targets[mask], *(a[mask] for a in arrays)))
    return _stacked_rows(speech + pauses)


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


def size_scaled_penalties(
    alpha_task: float, stats: TaskStatistics
) -> tuple[dict, dict]:
    """Task penalties in inverse proportion to each dialect's share of the
    data, and weights in proportion to it.

    Every dialect's penalty is ``alpha_task * w_max / w_t`` and its weight
    (:class:`~mtlsynth.SharedLeastSquares`' ``task_weight``) ``w_t / w_max``,
    with ``w_t`` its total training weight (frames) and ``w_max`` the
    largest dialect's. A dialect with little data then leans harder on what
    the others share, and the shared part is learned from the dialects with
    data: the weights make every dialect's terms in the shared part's
    equations ``alpha_task`` times the same factor, where the penalties
    alone would let a small dialect's large penalty pull the shared part
    towards its own few sentences (measured in ``benchmarks/README.md``).
    Dialects of equal size keep ``alpha_task`` and weight 1.

    Parameters
    ----------
    alpha_task : float
        Penalty of the largest dialect.
    stats : TaskStatistics
        Training statistics, one task per dialect.

    Returns
    -------
    alpha_task, task_weight : dict of str to float
        Penalty and weight of every dialect of ``stats.labels``.
    """
    share = stats.weight / stats.weight.max()
    labels = [str(label) for label in np.asarray(stats.labels).tolist()]
    shares = dict(zip(labels, share.tolist(), strict=True))
    return {k: float(alpha_task) / s for k, s in shares.items()}, shares


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


def _aligned_frames(label: Label, n_frames: int, frame_period: float) -> np.ndarray:
    """Frames per phone, trimmed so that they add up to at most ``n_frames``."""
    counts = label.segment_frames(frame_period)
    bounds = np.minimum(np.cumsum(counts), n_frames)
    return np.diff(bounds, prepend=0)


def _prompt_words(text: str, utt: Any) -> Any:
    """Word indices of eSpeak's transcription of ``text``, if it matches."""
    from mtlsynth.speech import frontend

    if utt.dialect not in frontend.DIALECTS:
        return None
    try:
        pron = frontend.phonemes(text, dialect=utt.dialect)
    except (ValueError, OSError):
        return None
    return pron.word_index if pron.phones == utt.label.names else None


def _corpus_words(corpus: Corpus, progress: bool) -> list[tuple[Any, bool]]:
    """Word membership and question flag of every utterance.

    A label's own words (a TextGrid's words tier, HTS full-context names)
    are used as they are. Otherwise the prompt is transcribed again with
    the dialect's eSpeak voice; when the phones match the label exactly,
    its word indices are used. The question flag comes from the prompt
    (False without one).
    """
    out: list[tuple[Any, bool]] = [(None, False)] * len(corpus.utterances)
    prompts = read_prompts(corpus.root)
    if not prompts and all(u.label.word_index is None for u in corpus.utterances):
        return out
    bar = Progress(len(corpus.utterances), "transcribing", enabled=progress)
    for i, utt in enumerate(corpus.utterances):
        text = prompts.get(utt.name)
        question = text is not None and text.endswith("?")
        if utt.label.word_index is not None:
            out[i] = (utt.label.word_index, question)
        elif text is not None:
            out[i] = (_prompt_words(text, utt), question)
        bar.update()
    return out


def collect_training_data(
    corpus: Corpus,
    vocoder_features: Sequence,
    features: LinguisticFeatures,
    *,
    fit_features: bool = False,
    frame_period: float = 5.0,
    use_words: bool = True,
    words: Sequence | None = None,
    chunk_utterances: int = 64,
    frame_stride: int = 1,
    keep_transitions: bool = False,
    duration_statistics: bool = True,
    acoustic_statistics: bool = True,
    keep_phones: bool = False,
    keep_frame_targets: bool | None = None,
    validation: Sequence[bool] | None = None,
    phones: bool = True,
    frames: bool = True,
    spill: bool | str | os.PathLike = False,
    tasks: str = "dialects",
    progress: bool = False,
) -> TrainingData:
    """Summarize a corpus in one pass for training (see :class:`TrainingData`).

    Frame and phone rows are computed chunk by chunk; vocoder features are
    read utterance by utterance, so memory grows only with the rows kept:
    every ``frame_stride``-th frame (weighted by ``frame_stride``), with
    ``keep_transitions`` also every frame next to a change of voicing
    (weight 1: the voicing model learns most there), and every phone unless
    the duration statistics are computed (or ``keep_phones``).

    Parameters
    ----------
    corpus : Corpus
        Training utterances.
    vocoder_features : sequence of VocoderFeatures
        WORLD analysis of every utterance, in the corpus's order.
    features : LinguisticFeatures
        Feature extractor: fitted, or fitted here on the corpus's phone
        sequences when ``fit_features``.
    fit_features : bool, default=False
        Fit ``features`` first.
    frame_period : float, default=5.0
        Frame period in ms.
    use_words : bool, default=True
        Use word membership: the labels' own words (a TextGrid's words tier,
        HTS full-context names), else eSpeak NG's transcription of
        ``prompts.txt`` where its phones match the label; and question flags
        from ``prompts.txt``.
    words : sequence of (ndarray or None, bool), optional
        The word of every phone and the question flag of every utterance,
        as a pass over the same corpus found them with ``use_words``: a
        voice summarizes its corpus twice and transcribes the prompts once.
        Default: found here.
    chunk_utterances : int, default=64
        Utterances per chunk of rows.
    frame_stride : int, default=1
        Keep every ``frame_stride``-th frame row.
    keep_transitions : bool, default=False
        Also keep every frame next to a change of voicing.
    duration_statistics, acoustic_statistics : bool, default=True
        Summarize phone and frame rows as statistics.
    keep_phones : bool, default=False
        Keep the phone rows even with duration statistics.
    keep_frame_targets : bool, optional
        Keep the acoustic targets of the kept frame rows (else they have
        width 0: the voicing model needs only the rows and their voicing).
        Default: when the frame rows are not summarized as statistics.
    validation : sequence of bool, optional
        Which utterances are for validation: their phone and frame rows are
        kept apart from the statistics, in ``validation_phones`` and
        ``validation_frames`` (:meth:`TrainingData.absorb_validation` adds
        them later). Their frames are kept for the voicing model as any
        other's. Default none.
    phones, frames : bool, default=True
        Summarize the phone rows, the frame rows. A voice summarizes its
        corpus twice, the phones alone and then the frames alone, so that
        the duration model is fitted, and its statistics dropped, before
        the frames' statistics are made.
    spill : bool or path-like, default=False
        Write the kept frame rows to a temporary folder as each chunk is
        made, to be read back when :attr:`TrainingData.frames` stacks them:
        they take no memory while the statistics are made and used. The
        folder is made in the system's temporary folder, or in ``spill``
        when it is a path (where the system's is in memory, as a tmpfs
        ``/tmp`` is, the rows would take memory there). Folders that killed
        jobs left there are removed first
        (:func:`~mtlsynth.utils.files.temporary_folder`).
    tasks : {"dialects", "cells", "factors"}, default="dialects"
        The task of every row, in a corpus with speakers
        (:mod:`mtlsynth.speech.speakers`): its dialect, or its cell
        ``<dialect>/<speaker>`` (both "cells" and "factors"); the frame rows
        kept for the voicing model are labelled by cell for "cells" only.
    progress : bool, default=False
        Report progress on stderr.

    Returns
    -------
    TrainingData
        The summary.
    """
    fp = float(frame_period)
    keep_targets = (
        not acoustic_statistics if keep_frame_targets is None else keep_frame_targets
    )
    feats = vocoder_features
    if words is None:
        words = (
            _corpus_words(corpus, progress)
            if use_words
            else [(None, False)] * len(corpus)
        )
    elif len(words) != len(corpus):
        raise ValueError(f"words needs one entry per utterance ({len(corpus)})")
    seqs = [
        PhoneSequence(u.label.phones, _aligned_frames(u.label, f.n_frames, fp), *w)
        for u, f, w in zip(corpus.utterances, feats, words, strict=True)
    ]
    lf = features.fit(seqs) if fit_features else features
    first = feats[0]
    analysis = {
        "fs_": int(first.fs),
        "alpha_": float(first.alpha),
        "fft_size_": int(first.fft_size),
        "order_": int(first.order),
        "n_bap_": int(first.bap.shape[1]),
    }
    folder = None
    if spill is not False and frames:
        where = None if spill is True else Path(spill)
        if where is not None:
            where.mkdir(parents=True, exist_ok=True)
        folder = temporary_folder("mtlsynth-rows-", where)
    data = TrainingData(lf, analysis, spill_folders=() if folder is None else (folder,))
    task = [task_name(u, tasks) for u in corpus.utterances]
    voicing_task = task if tasks == "cells" else [u.dialect for u in corpus.utterances]
    labels = np.unique(task)
    chunk = int(chunk_utterances)
    stride = max(1, int(frame_stride))
    apart = np.zeros(len(seqs), bool) if validation is None else np.asarray(validation)
    if apart.shape != (len(seqs),):
        raise ValueError(f"validation needs one flag per utterance ({len(seqs)})")
    sentence = np.array([u.name for u in corpus.utterances])
    bar = Progress(
        len(seqs), "frame features" if frames else "phone features", enabled=progress
    )
    offset = 0
    for start in range(0, len(seqs), chunk):
        idx = range(start, min(start + chunk, len(seqs)))
        batch = TrainingData(lf, analysis)
        dialect = [task[i] for i in idx]
        # what the validation rows need, only in chunks that hold some out
        speech = (
            [lf.phone_set_.is_speech(seqs[i].phones) for i in idx]
            if apart[idx].any()
            else None
        )
        if phones:
            Xp = np.vstack([lf.phone_features(seqs[i]) for i in idx])
            yp = np.concatenate(
                [_log_frames(corpus.utterances[i].label, fp) for i in idx]
            )[:, None]
            n_phones = [len(seqs[i].phones) for i in idx]
            tp = np.repeat(dialect, n_phones)
            if duration_statistics:
                held = np.repeat(apart[idx], n_phones)
                kept, (Xh, yh, th) = _split_rows(held, Xp, yp, tp)
                data.duration = _add_rows(data.duration, *kept, labels)
                if speech is not None:
                    named = np.repeat(sentence[idx], n_phones)[held]
                    spoken = np.concatenate(speech)[held]
                    batch.validation_phones = [(Xh, yh[:, 0], th, named, spoken)]
            if keep_phones or not duration_statistics:
                batch.phone_rows = [(sparse.csr_matrix(Xp), yp[:, 0], tp)]
        if frames:
            # mostly zeros (identities, classes, transitions): kept sparse
            X = _stacked_rows(
                [(lf.frame_features(seqs[i], sparse_output=True),) for i in idx]
            )[0]
            Y, voiced = zip(*(_targets(feats[i], seqs[i]) for i in idx), strict=True)
            n_frames = [len(v) for v in voiced]
            tf = np.repeat(dialect, n_frames)
            tv = np.repeat([voicing_task[i] for i in idx], n_frames)
            Y = np.vstack(Y)
            held = acoustic_statistics & np.repeat(apart[idx], n_frames)
            (Xa, Ya, ta), (Xh, Yh, th) = _split_rows(
                held, X if acoustic_statistics else X[:, :0], Y, tf
            )
            if speech is not None and acoustic_statistics:
                named = np.repeat(sentence[idx], n_frames)[held]
                spoken = np.concatenate(
                    [
                        np.repeat(s, seqs[i].frames)
                        for s, i in zip(speech, idx, strict=True)
                    ]
                )[held]
                batch.validation_frames = [(Xh, Yh, th, named, spoken)]
            weight = np.where(
                (offset + np.arange(X.shape[0])) % stride == 0, stride, 0.0
            )
            offset += X.shape[0]
            if keep_transitions:
                weight[np.concatenate([_next_to_change(v) for v in voiced])] = 1.0
            voiced = np.concatenate(voiced)
            take = np.flatnonzero(weight > 0)
            kept_targets = Y[take] if keep_targets else np.empty((take.size, 0))
            rows = X if take.size == X.shape[0] else X[take]  # all: no copy
            kept = (rows, kept_targets, voiced[take], tv[take], weight[take])
            batch.frame_rows = [kept if folder is None else _spill(kept, folder.name)]
            del X, Y, rows, kept  # the statistics need only the rows kept for them
            data.acoustic = _add_rows(data.acoustic, Xa, Ya, ta, labels)
            del Xa, Ya, ta
        data = data.merge(batch)
        bar.update(len(idx))
    return data


def physical_memory() -> int | None:
    """This machine's memory in bytes; None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_statistics_memory(
    corpus: Corpus, features: LinguisticFeatures, tasks: str, factored: bool
) -> None:
    """Refuse a voice whose frame statistics cannot fit in this machine's
    memory, before it is trained.

    The acoustic model keeps an ``n_features x n_features`` matrix of
    doubles for every task, and training needs at least :data:`FIT_MEMORY`
    times that; a model of dialect and speaker factors also solves a
    system as wide as the shared part and every level of the factor it
    does not eliminate (:func:`~mtlsynth._factored.factored_system_width`),
    twice its square at once. A corpus of a hundred speakers, each its own
    cell, would otherwise be killed for memory after its phones are fitted.

    Parameters
    ----------
    corpus : Corpus
        The training corpus.
    features : LinguisticFeatures
        The fitted frame features.
    tasks : {"dialects", "cells", "factors"}
        The voice's ``tasks``.
    factored : bool
        Whether the acoustic model is the voice's default fitted on factors.

    Raises
    ------
    MemoryError
        If the least memory that training needs exceeds this machine's,
        naming the sizes and what would fit.
    """
    total = physical_memory()
    d = features.n_frame_features_
    n_tasks = len({task_name(u, tasks) for u in corpus.utterances})
    size = n_tasks * 8.0 * d**2
    needed = FIT_MEMORY * size
    dialects = {u.dialect for u in corpus.utterances}
    if factored:
        speakers = {u.speaker for u in corpus.utterances}
        widths = [d, len(speaker_columns(features, "frame"))]
        width = factored_system_width(d, [len(dialects), len(speakers)], widths)
        needed = max(needed, size + 2 * 8.0 * width**2)
    if total is None or needed <= total:
        return
    pooled = len(dialects) * 8.0 * d**2
    advice = (
        f"pool each dialect's speakers (--tasks dialects: {len(dialects)} tasks, "
        f"{pooled / 1e9:.1f} GB), train on fewer of them, or"
        if len(dialects) < n_tasks or factored
        else "train on fewer dialects, or"
    )
    raise MemoryError(
        f"the acoustic model's statistics of {n_tasks} tasks x {d:,} features "
        f"take {size / 1e9:.1f} GB, and training needs at least "
        f"{needed / 1e9:.1f} GB: more than this machine's {total / 1e9:.1f} GB "
        f"of memory; {advice} use a machine with more"
    )
