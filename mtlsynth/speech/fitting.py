"""How a voice trains its models on a summarized corpus."""

from __future__ import annotations

import numpy as np

from mtlsynth.speech.models import (
    fit_frame_model,
    fit_model,
    fit_voicing_model,
    residual_sse,
)
from mtlsynth.speech.speakers import (
    factored_statistics,
    fits_factors,
    speaker_columns,
    split_cell,
    use_factors,
)
from mtlsynth.speech.training import (
    TrainingData,
    normalized_statistics,
    target_normalization,
)
from mtlsynth.speech.tuning import choose_penalties, describe_choice, voice_models
from mtlsynth.utils.progress import reporting

__all__ = ["fit_voice"]


def fit_voice(voice, data, release, frames=None, stream=False):
    """Train a voice's duration, acoustic and voicing models.

    Parameters
    ----------
    voice : ParametricSynthesizer
        The voice; its fitted attributes are set.
    data : TrainingData
        The corpus summarized (its phones, or all of it).
    release : bool
        Drop ``data``'s statistics once used.
    frames : callable, optional
        ``frames(features=...)`` collects the frames once the durations are
        fitted.
    stream : bool, default=False
        As :func:`~mtlsynth.speech.models.fit_voicing_model` takes it.

    Returns
    -------
    ParametricSynthesizer
        The voice.
    """
    voice.training_utterances_ = voice.held_out_ = None
    limit = int(voice.max_voicing_frames)
    with reporting(bool(voice.progress)):  # the long fits show their progress
        model, data = _fit_each(voice, data, release, frames)
        voice.voiced_default_, voice.voicing_model_ = fit_voicing_model(
            model, data, limit, stream=stream, say=voice._say
        )
    return voice


def _fit_each(voice, data, release: bool, frames) -> tuple:
    """Fit the duration and acoustic models; ``release`` drops each one's
    statistics once used. Returns the voicing model to fit and its data."""
    dur_model, ac_model, vo_model = voice_models(voice)
    for name, value in data.analysis.items():
        setattr(voice, name, value)
    voice.features_ = data.features
    voice.penalty_search_ = []
    labels = data.duration.labels if data.duration is not None else data.phones[2]
    speakers = {split_cell(task)[1] for task in labels} - {None}
    voice.speakers_ = np.asarray(sorted(speakers), dtype=str)
    factored = voice._factored()
    _choose_penalties(voice, data, "duration", dur_model, factored)
    voice._say("fitting the duration model")
    if data.duration is not None and hasattr(dur_model, "fit_statistics"):
        stats = _model_statistics(data.duration, dur_model, factored)
        voice.duration_model_ = dur_model.fit_statistics(stats)
        del stats  # else held while the frames are collected
    elif data.phones is not None:
        Xp, yp, tp = data.phones
        voice.duration_model_ = fit_model(dur_model, Xp, yp, tp)
    else:
        raise ValueError("the duration model needs phone rows or statistics")
    if release:  # the voice needs neither the statistics nor its model's copy
        data.duration = None
        vars(voice.duration_model_).pop("statistics_", None)
    if frames is not None:
        data = data.merge(frames(features=data.features))
    voice.dialects_ = np.asarray(data.acoustic.labels, dtype=str)
    _choose_penalties(voice, data, "acoustic", ac_model, factored)
    normalize = "global" if factored else voice.normalize
    mean, std = target_normalization(data.acoustic, normalize)
    voice.target_mean_, voice.target_std_ = mean, std
    voice._say("fitting the acoustic model")
    if data.acoustic.mean_x.shape[1] and hasattr(ac_model, "fit_statistics"):
        stats = normalized_statistics(data.acoustic, mean, std)
        stats = _model_statistics(stats, ac_model, factored)
        voice.acoustic_model_ = ac_model.fit_statistics(stats)
        sse, count = residual_sse(voice.acoustic_model_, stats), stats.weight
        del stats
        if release:
            data.acoustic = None
            vars(voice.acoustic_model_).pop("statistics_", None)
    else:  # every frame, for a model without statistics
        voice.acoustic_model_, sse, count = fit_frame_model(
            ac_model, data.frames, mean, std, voice.dialects_
        )
    variance = np.vstack([sse / count[:, None], sse.sum(0) / count.sum()])
    variance = np.maximum(variance, 1e-6)
    if voice.variance == "global" or factored:
        variance[:] = variance[-1]
    voice.variance_ = variance
    return vo_model, data


def _model_statistics(stats, model, factored: bool):
    """``stats`` labelled by dialect and speaker for a voice of factors and a
    model that fits them (:func:`fits_factors`); else labelled by cell."""
    return factored_statistics(stats) if factored and fits_factors(model) else stats


def _choose_penalties(
    voice, data: TrainingData, name: str, model, factored: bool
) -> None:
    """Choose (``choose_penalties``), record and report one model's penalties."""
    record = choose_penalties(data, voice, name, model, refit_tasks=not factored)
    voice.penalty_search_ += [] if record is None else [record]
    if getattr(voice, f"{name}_model") is None:  # a given model keeps its own
        if factored:
            level = "phone" if name == "duration" else "frame"
            columns = speaker_columns(voice.features_, level)
            use_factors(model, columns, transform=name == "acoustic")
        voice._say(describe_choice(record, name))
