"""Voices of corpora whose dialects have speakers: dialect x speaker tasks.

A corpus with speaker folders (:mod:`mtlsynth.speech.corpus`) gives every
utterance a cell: its dialect and its speaker. A voice's ``tasks`` says
what its models' tasks are:

``"factors"`` (the default)
    The cells, fitted as factors: the duration and acoustic models'
    coefficients are ``W_0 + V_dialect + U_speaker`` (see
    :class:`~mtlsynth.SharedLeastSquares`), so that a speaker speaks a
    dialect it was never recorded in, with the speaker's part and the
    dialect's. In the acoustic model every speaker also maps the outputs
    of the shared and dialect parts through a matrix of its own
    (``factor_transform``: a speaker's transform of an average voice's
    spectra and pitch, which an additive part cannot carry into a dialect
    the speaker was never recorded in), pulled to the identity by
    :data:`TRANSFORM_PENALTY`. The duration model has none: its
    one output's map would be a speaker's scale of the shared and dialect
    parts, which mostly undoes their chosen shrinkage. The speaker parts
    act on the columns of the current phone and its neighbours
    (:func:`speaker_columns`: their identities and classes, and their
    course through the phone), where a speaker's pitch,
    formants and voice quality show (1,312 of the 4,475 columns on the
    built-in corpus, so that the fit costs far less than with parts on
    every column); the dialect parts act on every column. The voicing
    model's tasks are the dialects, and the targets are normalized over
    the whole corpus, so that a cell never recorded needs nothing of its
    own.
``"cells"``
    One task per cell, as a corpus without speakers has one per dialect;
    a cell never recorded is spoken with the shared part.
``"dialects"``
    The speakers of a dialect pooled.

A model given to a voice of factors fits them if it can
(:func:`fits_factors`: :class:`~mtlsynth.SharedLeastSquares`, with its own
penalties); another model fits the cells as its tasks, as with ``"cells"``,
and refuses a cell never recorded unless it has a shared part to speak it
with.

Inside a voice, a cell is named ``<dialect>/<speaker>`` (:func:`cell_name`):
folder names hold no ``/``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

import numpy as np

from mtlsynth._stats import TaskStatistics

__all__ = [
    "TASKS",
    "TRANSFORM_PENALTY",
    "cell_name",
    "factored_statistics",
    "fits_factors",
    "speaker_columns",
    "split_cell",
    "task_name",
    "use_factors",
    "voice_dialects",
    "voice_task",
]

#: What a voice's tasks are in a corpus with speakers.
TASKS = ("factors", "cells", "dialects")

TRANSFORM_PENALTY = 1000.0
"""Penalty of every speaker's transform's distance from the identity in a
factored voice's acoustic model. Its targets are normalized over the
corpus, so the penalty weighs about as much as 1,000 frames (5 s of speech)
that say the speaker's map is the identity: minutes of a speaker's speech
move the map freely, seconds little. A fixed prior, not the parts'
``alpha_task``: that penalty is chosen for the phone features' coefficients,
and the transform acts on the outputs. Measured against other values on
corpora of 3 to 50 sentences per speaker and cell in benchmarks/README.md."""

_TRIPHONE = re.compile(r"(id|class)\[[-+][01]\]=[^*]*(\*bump\d+)?|bump\d+|silence")


def cell_name(dialect: str, speaker: str | None) -> str:
    """A cell's name in a voice: ``<dialect>/<speaker>``, or the dialect.

    Parameters
    ----------
    dialect : str
        The dialect.
    speaker : str or None
        The speaker; None for a dialect without speakers.

    Returns
    -------
    str
        The name.
    """
    return dialect if speaker is None else f"{dialect}/{speaker}"


def split_cell(name: str) -> tuple[str, str | None]:
    """The dialect and speaker of a cell's name.

    Parameters
    ----------
    name : str
        ``<dialect>/<speaker>``, or a dialect.

    Returns
    -------
    dialect : str
        The dialect.
    speaker : str or None
        The speaker; None for a dialect's name.
    """
    dialect, _, speaker = str(name).partition("/")
    return dialect, speaker or None


def task_name(utterance: Any, tasks: str) -> str:
    """The task of an utterance in a voice.

    Parameters
    ----------
    utterance : Utterance
        The utterance.
    tasks : {"factors", "cells", "dialects"}
        The voice's ``tasks``.

    Returns
    -------
    str
        Its cell (:func:`cell_name`), or its dialect for ``"dialects"``.
    """
    if tasks == "dialects":
        return utterance.dialect
    return cell_name(utterance.dialect, utterance.speaker)


def factored_statistics(stats: TaskStatistics) -> TaskStatistics:
    """Statistics of cells labelled by their levels.

    Parameters
    ----------
    stats : TaskStatistics
        Statistics whose tasks are cells named ``<dialect>/<speaker>``.

    Returns
    -------
    TaskStatistics
        The same, labelled ``(n_cells, 2)``: the dialect and the speaker of
        every cell, as factored models fit them
        (:meth:`~mtlsynth.SharedLeastSquares.fit_statistics`).
    """
    labels = np.array([split_cell(name) for name in stats.labels], dtype=object)
    return replace(stats, labels=labels)


def fits_factors(model: Any) -> bool:
    """Whether a model fits dialect and speaker factors from statistics.

    Parameters
    ----------
    model : estimator
        A duration or acoustic model.

    Returns
    -------
    bool
        True for a model whose ``fit_statistics`` takes statistics labelled
        by several factors (:class:`~mtlsynth.SharedLeastSquares`); another
        fits the cells as its tasks.
    """
    return hasattr(model, "fit_statistics") and "factor_features" in model.get_params()


def speaker_columns(features: Any, level: str) -> np.ndarray:
    """The columns of linguistic features that describe the current phone
    and its neighbours.

    Their identities and classes (``id[+0]=...``, ``class[-1]=...``), their
    interactions with the position bumps (``...*bump1``), the bumps and the
    silence flag: where a speaker's pitch, formants and voice quality show.

    Parameters
    ----------
    features : LinguisticFeatures
        Fitted features.
    level : {"phone", "frame"}
        Which of its features.

    Returns
    -------
    ndarray of int
        Their indices.
    """
    names = copy.copy(features).set_params(level=level).get_feature_names_out()
    return np.flatnonzero([_TRIPHONE.fullmatch(n) is not None for n in names])


def use_factors(model: Any, speaker_features: np.ndarray, transform: bool) -> None:
    """Set a voice's default model to fit dialect and speaker factors.

    Both factors take the model's ``alpha_task`` (that of the largest cell
    where it is one per cell, as
    :func:`~mtlsynth.speech.tuning.choose_penalties` leaves it); every
    speaker's transform of the outputs (``factor_transform``), where there
    is one, takes :data:`TRANSFORM_PENALTY`; the speaker parts act on
    ``speaker_features``; no task weights or refits.

    Parameters
    ----------
    model : SharedLeastSquares
        The model, its penalties chosen.
    speaker_features : ndarray of int
        The columns of the speaker parts (:func:`speaker_columns`).
    transform : bool
        Whether every speaker maps the outputs of the shared and dialect
        parts (the acoustic model: yes; the duration model: no).
    """
    alpha = model.alpha_task
    alpha = min(alpha.values()) if isinstance(alpha, dict) else float(alpha)
    model.set_params(
        alpha_task={0: alpha, 1: alpha},
        task_weight=None,
        alpha_task_refit=None,
        factor_features={1: np.asarray(speaker_features).tolist()},
        factor_transform={1: TRANSFORM_PENALTY} if transform else None,
    )


def voice_dialects(voice: Any) -> list[str]:
    """The dialects a voice was trained on, sorted (a voice of cells names
    each dialect once).

    Parameters
    ----------
    voice : ParametricSynthesizer
        A trained voice.

    Returns
    -------
    list of str
        Its dialects.
    """
    return sorted({split_cell(task)[0] for task in voice.dialects_.tolist()})


def voice_task(voice: Any, dialect: str, speaker: str | None) -> str:
    """The task a voice speaks a dialect and speaker with, both checked.

    Parameters
    ----------
    voice : ParametricSynthesizer
        A trained voice.
    dialect : str
        One of its dialects, or an eSpeak NG dialect (spoken with the
        shared models).
    speaker : str or None
        One of its speakers (``speakers_``), or None for none.

    Returns
    -------
    str
        The dialect, or the cell ``<dialect>/<speaker>``.

    Raises
    ------
    ValueError
        For an unknown dialect or speaker.
    """
    from mtlsynth.speech import frontend

    dialects = voice_dialects(voice)
    if not isinstance(dialect, str) or (
        dialect not in dialects and dialect not in frontend.DIALECTS
    ):
        raise ValueError(
            f"unknown dialect {dialect!r}; trained on {dialects}, eSpeak NG "
            f"dialects {list(frontend.DIALECTS)}"
        )
    if speaker is None:
        return dialect
    speakers = np.asarray(getattr(voice, "speakers_", [])).tolist()
    if speaker not in speakers:
        known = f"it knows {speakers}" if speakers else "it has none"
        raise ValueError(f"unknown speaker {speaker!r} for this voice; {known}")
    return cell_name(dialect, speaker)
