"""Objective measures of a voice on held-out utterances, per dialect, and
which utterances a voice was trained on or held out from its training."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mtlsynth.speech import metrics
from mtlsynth.speech.corpus import Corpus
from mtlsynth.speech.errors import CorpusWarning, PhoneSubstitutionWarning
from mtlsynth.speech.phones import PhoneSequence
from mtlsynth.speech.speakers import cell_name
from mtlsynth.speech.training import _aligned_frames, _corpus_words
from mtlsynth.utils.progress import Progress

__all__ = [
    "METRICS",
    "evaluate_voice",
    "held_out_names",
    "named_utterances",
    "utterance_names",
    "warn_if_trained_on",
]

#: The measures of :func:`evaluate_voice`, per dialect.
METRICS = ("mcd_db", "f0_rmse_hz", "vuv_error_pct", "bap_db", "dur_rmse_ms")


def evaluate_voice(
    voice: Any, corpus: Corpus, analyze: Callable[[Corpus], Sequence]
) -> dict[str, dict[str, float]]:
    """Objective measures of a trained voice on utterances, per dialect, or
    per cell ``<dialect>/<speaker>`` of a corpus with speakers.

    Acoustics are predicted with the reference durations (from the labels)
    and compared frame by frame on non-silence frames; duration RMSE
    compares the duration model's predictions with the reference durations
    of non-silence phones. See :mod:`mtlsynth.speech.metrics`.

    Parameters
    ----------
    voice : ParametricSynthesizer
        A trained voice.
    corpus : Corpus
        Utterances to score, at the voice's sample rate.
    analyze : callable
        ``analyze(corpus)`` gives the WORLD analysis of the utterances with
        the voice's settings (a sequence of VocoderFeatures in the corpus's
        order); called once the corpus is checked.

    Returns
    -------
    dict of str to dict of str to float
        For every dialect (or cell): ``mcd_db`` (c_0 excluded),
        ``f0_rmse_hz``, ``vuv_error_pct``, ``bap_db`` and ``dur_rmse_ms``.
        A voice trained on speakers speaks each cell with its speaker; one
        without (speakers pooled) with its dialect.

    Raises
    ------
    ValueError
        If the corpus is empty or not at the voice's sample rate.
    """
    if not isinstance(corpus, Corpus) or len(corpus) == 0:
        raise ValueError("evaluate needs a non-empty Corpus")
    if int(corpus.fs) != voice.fs_:
        raise ValueError(
            f"{corpus.root}: the corpus is sampled at {corpus.fs} Hz but the "
            f"voice at {voice.fs_} Hz; evaluate it on speech at {voice.fs_} Hz"
        )
    warn_if_trained_on(corpus, getattr(voice, "training_utterances_", None))
    fp = float(voice.frame_period)
    feats = analyze(corpus)
    words = (
        _corpus_words(corpus, False)
        if voice.use_words
        else [(None, False)] * len(corpus)
    )
    acc: dict[str, dict[str, list]] = {}
    _warn_unseen(voice, corpus)
    bar = Progress(len(corpus), "evaluating", enabled=voice.progress)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PhoneSubstitutionWarning)  # said once
        for utt, ref, w in zip(corpus.utterances, feats, words, strict=True):
            _score(voice, utt, ref, w, fp, acc)
            bar.update()
    return {cell: _measures(a) for cell, a in sorted(acc.items())}


def _measures(a: dict) -> dict[str, float]:
    """The measures of one cell from what :func:`_score` kept of it."""
    ref_mc, ref_f0, ref_bap = (np.concatenate(x) for x in zip(*a["ref"], strict=True))
    pr_mc, pr_f0, pr_bap = (np.concatenate(x) for x in zip(*a["pred"], strict=True))
    mask = np.concatenate(a["m"])
    d_ref, d_pred = (np.concatenate(x) for x in zip(*a["d"], strict=True))
    return {
        "mcd_db": metrics.mel_cepstral_distortion(ref_mc, pr_mc, mask=mask),
        "f0_rmse_hz": metrics.f0_rmse(ref_f0, pr_f0, mask=mask),
        "vuv_error_pct": metrics.vuv_error(ref_f0, pr_f0, mask=mask),
        "bap_db": metrics.bap_distortion(ref_bap, pr_bap, mask=mask),
        "dur_rmse_ms": metrics.duration_rmse(d_ref, d_pred),
    }


def _score(voice: Any, utt: Any, ref: Any, words: Any, fp: float, acc: dict) -> None:
    """Predict one utterance with its reference timing; keep what the
    measures need in ``acc``, per dialect (per cell ``<dialect>/<speaker>``
    where the corpus has speakers)."""
    frames = _aligned_frames(utt.label, ref.n_frames, fp)
    n = int(frames.sum())
    seq = PhoneSequence(utt.label.phones, frames, *words)
    speakers = len(getattr(voice, "speakers_", ())) > 0  # else pooled, or none
    who = {"dialect": utt.dialect, "speaker": utt.speaker if speakers else None}
    pred = voice.predict_parameters(seq, **who, durations="label")
    phone_set = voice.features_.phone_set_
    speech = np.array(phone_set.is_speech(utt.label.phones), bool)
    mask = np.repeat(speech, frames)
    dur_pred = voice.predict_durations(seq, **who) * fp
    cell = cell_name(utt.dialect, utt.speaker)
    a = acc.setdefault(cell, {k: [] for k in ("ref", "pred", "m", "d")})
    a["ref"].append((ref.mcep[:n], ref.f0[:n], ref.bap[:n]))
    a["pred"].append((pred.mcep, pred.f0, pred.bap))
    a["m"].append(mask)
    a["d"].append((utt.label.durations[speech] * 1e3, dur_pred[speech]))


def _warn_unseen(voice: Any, corpus: Corpus) -> None:
    """One warning naming the phones of ``corpus`` the voice never saw."""
    phone_set = voice.features_.phone_set_
    seen = set(voice.features_.inventory_.tolist())
    bases = (phone_set.split(p)[0] for u in corpus.utterances for p in u.label.phones)
    unseen = Counter(b for b in bases if b not in seen)
    if unseen:
        listed = ", ".join(f"{b} ({n}x)" for b, n in unseen.most_common())
        warnings.warn(
            f"phones the voice never saw, scored as the nearest it saw: {listed}",
            PhoneSubstitutionWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------
# which utterances: trained on, held out, scored


def utterance_names(corpus: Corpus) -> dict[str, list[str]]:
    """The names of a corpus's utterances, per dialect.

    Parameters
    ----------
    corpus : Corpus
        The utterances.

    Returns
    -------
    dict of str to list of str
        The sorted names of every dialect of the corpus, dialects sorted;
        an utterance of a speaker folder is named ``<speaker>/<name>``
        (:attr:`~mtlsynth.speech.corpus.Utterance.key`).
    """
    names: dict[str, list[str]] = {}
    for utt in corpus.utterances:
        names.setdefault(utt.dialect, []).append(utt.key)
    return {dialect: sorted(names[dialect]) for dialect in sorted(names)}


def _pairs(names: dict[str, list[str]]) -> set[tuple[str, str]]:
    """``(dialect, name)`` of every utterance that ``names`` lists."""
    return {(dialect, name) for dialect, some in names.items() for name in some}


def named_utterances(corpus: Corpus, names: dict[str, list[str]]) -> tuple[Corpus, int]:
    """The utterances of a corpus that ``names`` lists, and how many it lacks.

    Parameters
    ----------
    corpus : Corpus
        The utterances to choose from.
    names : dict of str to list of str
        Utterance names per dialect, as a voice's ``held_out_`` records them.

    Returns
    -------
    chosen : Corpus
        The corpus's utterances that ``names`` lists, in the corpus's order.
    n_missing : int
        How many utterances that ``names`` lists the corpus does not have.
    """
    wanted = _pairs(names)
    chosen = tuple(u for u in corpus.utterances if (u.dialect, u.key) in wanted)
    n_missing = len(wanted - {(u.dialect, u.key) for u in chosen})
    return Corpus(corpus.root, corpus.fs, chosen), n_missing


def held_out_names(train: Corpus, held_out: Any) -> dict[str, list[str]] | None:
    """The names of the utterances held out from a voice's training, checked.

    Parameters
    ----------
    train : Corpus
        The training utterances.
    held_out : Corpus or None
        The utterances held out for evaluation; None when unknown.

    Returns
    -------
    dict of str to list of str or None
        Their names per dialect (:func:`utterance_names`), or None.

    Raises
    ------
    ValueError
        If ``held_out`` is not a Corpus or shares utterances with ``train``.
    """
    if held_out is None:
        return None
    if not isinstance(held_out, Corpus):
        raise ValueError(f"held_out must be a Corpus, got {type(held_out).__name__}")
    names = utterance_names(held_out)
    shared = _pairs(names) & _pairs(utterance_names(train))
    if shared:
        dialect, name = min(shared)
        raise ValueError(
            f"held_out shares {len(shared)} utterances with the training corpus "
            f"(the first: {name!r} of {dialect})"
        )
    return names


def warn_if_trained_on(corpus: Corpus, trained: dict[str, list[str]] | None) -> int:
    """Warn when utterances to score are among those a voice was trained on.

    Their measures are optimistic: a :class:`~mtlsynth.speech.CorpusWarning`
    says how many of the corpus's utterances the voice was trained on.

    Parameters
    ----------
    corpus : Corpus
        The utterances to score.
    trained : dict of str to list of str or None
        The voice's training utterances per dialect (its
        ``training_utterances_``); None when unknown, and nothing is checked.

    Returns
    -------
    int
        How many of the corpus's utterances the voice was trained on.
    """
    if trained is None:
        return 0
    n_trained = len(_pairs(utterance_names(corpus)) & _pairs(trained))
    if n_trained:
        warnings.warn(
            f"{n_trained} of the {len(corpus)} utterances scored were used to "
            "train the voice: their measures are optimistic",
            CorpusWarning,
            stacklevel=3,
        )
    return n_trained
