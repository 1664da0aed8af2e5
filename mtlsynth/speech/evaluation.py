"""Objective measures of a voice on held-out utterances, per dialect."""

from __future__ import annotations

from typing import Any

import numpy as np

from mtlsynth.speech import metrics
from mtlsynth.speech.corpus import Corpus
from mtlsynth.speech.phones import PhoneSequence
from mtlsynth.speech.training import _aligned_frames, _corpus_words
from mtlsynth.utils.progress import Progress

__all__ = ["METRICS", "evaluate_voice"]

#: The measures of :func:`evaluate_voice`, per dialect.
METRICS = ("mcd_db", "f0_rmse_hz", "vuv_error_pct", "bap_db", "dur_rmse_ms")


def evaluate_voice(
    voice: Any, corpus: Corpus, vocoder_features: Any
) -> dict[str, dict[str, float]]:
    """Objective measures of a trained voice on utterances, per dialect.

    Acoustics are predicted with the reference durations (from the labels)
    and compared frame by frame on non-silence frames; duration RMSE
    compares the duration model's predictions with the reference durations
    of non-silence phones. See :mod:`mtlsynth.speech.metrics`.

    Parameters
    ----------
    voice : ParametricSynthesizer
        A trained voice.
    corpus : Corpus
        Utterances to score.
    vocoder_features : sequence of VocoderFeatures
        Their WORLD analysis with the voice's settings, in the corpus's order.

    Returns
    -------
    dict of str to dict of str to float
        For every dialect: ``mcd_db`` (c_0 excluded), ``f0_rmse_hz``,
        ``vuv_error_pct``, ``bap_db`` and ``dur_rmse_ms``.
    """
    fp = float(voice.frame_period)
    feats = vocoder_features
    words = (
        _corpus_words(corpus, False)
        if voice.use_words
        else [(None, False)] * len(corpus)
    )
    acc: dict[str, dict[str, list]] = {}
    bar = Progress(len(corpus), "evaluating", enabled=voice.progress)
    for utt, ref, w in zip(corpus.utterances, feats, words, strict=True):
        frames = _aligned_frames(utt.label, ref.n_frames, fp)
        n = int(frames.sum())
        seq = PhoneSequence(utt.label.phones, frames, *w)
        pred = voice.predict_parameters(seq, dialect=utt.dialect, durations="label")
        phone_set = voice.features_.phone_set_
        speech = np.array(
            [not phone_set.is_silence(phone_set.split(p)[0]) for p in utt.label.phones]
        )
        mask = np.repeat(speech, frames)
        dur_pred = voice.predict_durations(seq, dialect=utt.dialect) * fp
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
        pr_mc, pr_f0, pr_bap = (np.concatenate(x) for x in zip(*a["pred"], strict=True))
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
