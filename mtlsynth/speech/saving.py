"""A trained voice's state as voice-file metadata and arrays, and back.

The format and its checks are in :mod:`mtlsynth.speech.voicefile`; this
module knows which attributes of a
:class:`~mtlsynth.speech.synthesizer.ParametricSynthesizer` make a voice.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mtlsynth.speech.errors import VoiceFileError
from mtlsynth.speech.features import LinguisticFeatures
from mtlsynth.speech.phonesets import _ESPEAK_FORMAT2, PhoneSet
from mtlsynth.speech.voicefile import (
    check_model,
    check_voice,
    dump_estimator,
    load_estimator,
    read_voice,
)

__all__ = ["SETTINGS", "load_voice", "voice_contents"]

#: The synthesizer's settings a voice file keeps.
SETTINGS = (
    "postfilter",
    "normalize",
    "variance",
    "tasks",
    "frame_period",
    "f0_method",
    "mcep_order",
    "mcep_alpha",
    "use_words",
    "frontend",
    "max_voicing_frames",
    "chunk_utterances",
    "validation_fraction",
)


def voice_contents(voice: Any) -> tuple[dict, dict[str, np.ndarray]]:
    """Metadata and arrays of a trained voice, to write as a voice file.

    Parameters
    ----------
    voice : ParametricSynthesizer
        A trained voice.

    Returns
    -------
    meta : dict
        JSON-able metadata: settings, features, signal, dialects, models,
        the utterances trained on and held out.
    arrays : dict of str to ndarray
        The arrays of the models and normalization.

    Raises
    ------
    ValueError
        If a model is of a class voice files cannot store.
    """
    arrays: dict[str, np.ndarray] = {}
    lf = voice.features_
    meta = {
        "synthesizer": {k: getattr(voice, k) for k in SETTINGS},
        "features": {
            "context": int(lf.context),
            "n_bumps": int(lf.n_bumps),
            "interaction_context": int(lf.interaction_context),
            "edge_kernels": [float(t) for t in lf.edge_kernels],
            "diphone_kernels": [float(t) for t in lf.diphone_kernels],
            "diphone_min_count": int(lf.diphone_min_count),
            "max_diphones": None if lf.max_diphones is None else int(lf.max_diphones),
            "neighbour_identity": bool(lf.neighbour_identity),
            "n_identity_bumps": int(lf.n_identity_bumps),
            "phone_set": lf.phone_set_.to_dict(),
            "stressed": bool(lf.stressed_),
            "inventory": lf.inventory_.tolist(),
            "diphones": lf.diphones_.tolist(),
        },
        "signal": {
            "fs": voice.fs_,
            "alpha": voice.alpha_,
            "fft_size": voice.fft_size_,
            "order": voice.order_,
            "n_bap": voice.n_bap_,
            "voiced_default": voice.voiced_default_,
        },
        "dialects": voice.dialects_.tolist(),
        "speakers": np.asarray(getattr(voice, "speakers_", [])).tolist(),
        "models": {
            "duration": dump_estimator(voice.duration_model_, "duration/", arrays),
            "acoustic": dump_estimator(voice.acoustic_model_, "acoustic/", arrays),
            "voicing": dump_estimator(voice.voicing_model_, "voicing/", arrays),
        },
        "utterances": {
            "trained": _names(getattr(voice, "training_utterances_", None)),
            "held_out": _names(getattr(voice, "held_out_", None)),
        },
        "penalty_search": [
            {key: np.asarray(value).tolist() for key, value in record.items()}
            for record in getattr(voice, "penalty_search_", [])
        ],
    }
    arrays["target_mean"] = voice.target_mean_
    arrays["target_std"] = voice.target_std_
    arrays["variance"] = voice.variance_
    return meta, arrays


def load_voice(cls: type, path: str | os.PathLike) -> Any:
    """A trained voice from its file, checked field by field.

    Parameters
    ----------
    cls : type
        The synthesizer class
        (:class:`~mtlsynth.speech.synthesizer.ParametricSynthesizer`).
    path : str or path-like
        The voice file.

    Returns
    -------
    ParametricSynthesizer
        The trained synthesizer.

    Raises
    ------
    VoiceFileError
        If the file is unreadable or breaks the schema of its format; the
        one-line message names the file and the field at fault.
    """
    meta, arrays = read_voice(path)
    try:
        check_voice(meta, arrays)
        voice = cls(progress=False, **meta["synthesizer"])
        restore_voice(voice, meta, arrays)
    except VoiceFileError as error:
        raise VoiceFileError(f"{path}: {error}") from None
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
        message = " ".join(str(error).split())
        raise VoiceFileError(
            f"{path}: incomplete or inconsistent voice file: {message}"
        ) from None
    return voice


def restore_voice(voice: Any, meta: dict, arrays: dict) -> None:
    """Set a voice's trained state from checked metadata and arrays.

    Parameters
    ----------
    voice : ParametricSynthesizer
        A synthesizer made with the file's settings.
    meta : dict
        Metadata that passed :func:`~mtlsynth.speech.voicefile.check_voice`.
    arrays : dict of str to ndarray
        The file's arrays.
    """
    f = meta["features"]
    lf = LinguisticFeatures(
        context=f["context"],
        n_bumps=f["n_bumps"],
        interaction_context=f["interaction_context"],
        edge_kernels=tuple(f["edge_kernels"]),
        # voice files of format 1 have no diphone columns
        diphone_kernels=tuple(f.get("diphone_kernels", ())),
        diphone_min_count=int(f.get("diphone_min_count", 20)),
        max_diphones=f.get("max_diphones"),
        neighbour_identity=bool(f["neighbour_identity"]),
        n_identity_bumps=int(f["n_identity_bumps"]),
        frame_period=voice.frame_period,
    )
    voice.features_ = lf._set_inventory(
        _phone_set(f), f["inventory"], f.get("diphones", ()), f.get("stressed", True)
    )
    sig = meta["signal"]
    voice.fs_ = int(sig["fs"])
    voice.alpha_ = float(sig["alpha"])
    voice.fft_size_ = int(sig["fft_size"])
    voice.order_ = int(sig["order"])
    voice.n_bap_ = int(sig["n_bap"])
    voice.voiced_default_ = float(sig["voiced_default"])
    voice.dialects_ = np.asarray(meta["dialects"], dtype=str)
    voice.speakers_ = np.asarray(
        meta.get("speakers", []), dtype=str
    )  # older voices: none
    voice.target_mean_ = arrays["target_mean"]
    voice.target_std_ = arrays["target_std"]
    voice.variance_ = arrays["variance"]
    _restore_models(voice, meta["models"], arrays, meta["version"])
    # voice files of format 2 and older do not record their utterances
    utterances = meta.get("utterances", {})
    voice.training_utterances_ = utterances.get("trained")
    voice.held_out_ = utterances.get("held_out")
    voice.penalty_search_ = [
        {
            key: np.asarray(value) if isinstance(value, list) else value
            for key, value in record.items()
        }
        for record in meta.get("penalty_search", [])
    ]


def _names(names: Any) -> dict[str, list[str]] | None:
    """Utterance names per dialect as JSON (None: unknown)."""
    if names is None:
        return None
    return {str(d): sorted(str(n) for n in some) for d, some in names.items()}


def _phone_set(features: dict) -> PhoneSet:
    """The phone set of a voice file's features (older formats: a table of
    classes, or eSpeak NG's English)."""
    if "phone_set" in features:
        return PhoneSet.from_dict(features["phone_set"])
    table = features.get("phone_table")
    if table is None:
        return _ESPEAK_FORMAT2
    phones = {k: {"features": list(v)} for k, v in table.items() if v != ["silence"]}
    silences = [k for k, v in table.items() if v == ["silence"]]
    # those formats read stress as eSpeak NG's marks, whatever the table
    marks = {"'": 2, ",": 1}
    return PhoneSet.from_dict(
        {"name": "table", "phones": phones, "silences": silences, "stress_marks": marks}
    )


def _restore_models(voice: Any, meta: dict, arrays: dict, version: int) -> None:
    """Rebuild the three models and check that they fit the voice.

    Format 1 files predate the diphone columns: their models are checked
    against their own input width.
    """
    lf = voice.features_
    n_targets = voice.target_mean_.shape[1]
    needs = {
        "duration": (lf.n_phone_features_, 1),
        "acoustic": (lf.n_frame_features_, n_targets),
        "voicing": (lf.n_frame_features_, 1),
    }
    for which, (n_features, n_outputs) in needs.items():
        field = f"models.{which}"
        model = load_estimator(meta[which], arrays, field)
        setattr(voice, f"{which}_model_", model)
        if model is None:
            continue
        if version < 2:
            n_features = getattr(model, "n_features_in_", n_features)
        check_model(
            model,
            field,
            n_features=n_features,
            n_outputs=n_outputs,
            dialects=voice.dialects_.tolist(),
            voicing=which == "voicing",
        )
