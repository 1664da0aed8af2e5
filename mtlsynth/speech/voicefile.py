"""Voice files: fitted models as arrays plus JSON metadata, never pickle.

A voice file is a NumPy ``.npz`` archive. The entry ``__meta__`` holds a
JSON string (format name and version, class names and hyper-parameters of
the models, feature settings, normalization, signal settings, the names of
the utterances trained on and held out); every other
entry is a plain numeric or string array, read back with
``np.load(allow_pickle=False)``. Estimators are rebuilt only from a fixed
registry of classes, so loading a file cannot run code.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mtlsynth._factored import restore_factors
from mtlsynth.speech._fields import (
    ANY,
    POSITIVE,
    FieldError,
    Flag,
    ListOf,
    MapOf,
    Nullable,
    Number,
    Record,
    Text,
    show,
    whole,
)
from mtlsynth.speech.errors import VoiceFileError
from mtlsynth.speech.phonesets import PhoneSet
from mtlsynth.utils.files import atomic_open, remove_stale_temporaries

__all__ = [
    "VoiceFileError",
    "check_model",
    "check_voice",
    "dump_estimator",
    "load_estimator",
    "read_voice",
    "write_voice",
]

FORMAT_NAME = "mtlsynth-voice"
FORMAT_VERSION = 4


def _one_line(error: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(error).split())


@dataclass(frozen=True)
class _Frontend:
    """null, a dialect name, or an object of dialect names."""

    def check(self, value: Any, field: str) -> None:
        if value is not None and not isinstance(value, str):
            MapOf(Text()).check(value, field)


@dataclass(frozen=True)
class _PhoneSetData:
    """A phone set as :meth:`PhoneSet.to_dict` writes it: its layout, then
    what :meth:`PhoneSet.from_dict` checks (every phone's IPA)."""

    layout = Record(
        {
            "name": Text(),
            "stress_marks": MapOf(whole(1, 2)),
            "stress_digits": Flag(),
            "silences": ListOf(Text(), unique=True),
            "phones": MapOf(ANY),
        }
    )

    def check(self, value: Any, field: str) -> None:
        self.layout.check(value, field)
        try:
            PhoneSet.from_dict(value, field)
        except ValueError as error:
            raise VoiceFileError(str(error)) from None


#: Specs of the scalar fitted attributes stored as JSON values.
_SCALARS = {
    "n_features_in_": Number(1, 1e9, whole=True),
    "_single_output": Flag(),
}


class _ModelHead:
    """An object whose ``class`` is registered, a Pipeline, or null."""

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, dict):
            raise FieldError(field, f"must be an object, got {show(value)}")
        if "class" not in value:
            raise FieldError(f"{field}.class", "missing (incomplete voice file)")
        known = [*_registry(), "sklearn.pipeline.Pipeline"]
        if value["class"] is not None and value["class"] not in known:
            raise FieldError(
                f"{field}.class",
                f"unknown estimator class {show(value['class'])}; "
                f"known: {', '.join(known)}",
            )


_MODEL = _ModelHead()
_STEP = Record({"name": Text(), "estimator": MapOf(ANY)})
_PIPELINE = Record({"class": Text(), "steps": ListOf(_STEP, min_len=1, max_len=100)})
_ESTIMATOR = Record({"class": Text(), "params": MapOf(ANY), "attributes": MapOf(ANY)})
_GRID = ListOf(Number(0, math.inf, open_low=True), 1, 1000)
_SEARCH = Record(
    {
        "model": Text(("duration", "acoustic")),
        "alpha_shared": Number(0, math.inf, open_low=True),
        "alpha_task": Number(0, math.inf, open_low=True),
        "alphas_shared": _GRID,
        "alphas_task": _GRID,
        "validation_mse": ListOf(ListOf(Number(0, math.inf), 1, 1000), 1, 1000),
        "validation_rows": whole(1, 1e15),
        "dialects": ListOf(Text(), 1, 10_000, unique=True),
        "task_multipliers": _GRID,
        "task_multiplier": ListOf(Number(0, math.inf, open_low=True), 1, 10_000),
        "task_validation_mse": ListOf(ListOf(Number(0, math.inf), 1, 1000), 1, 10_000),
    },
    # voices of format 3 and older record no refit of the dialects' parts
    frozenset(
        {"dialects", "task_multipliers", "task_multiplier", "task_validation_mse"}
    ),
)
_NAMES = Nullable(MapOf(ListOf(Text(), unique=True)))  # per dialect; null: unknown


def _registry() -> dict[str, tuple[type, tuple[str, ...]]]:
    """Savable estimator classes and the fitted attributes that restore them."""
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.preprocessing import StandardScaler

    from mtlsynth._maxent import MaxEntClassifier
    from mtlsynth._proximal import ProximalRegressor
    from mtlsynth._shared import SharedLeastSquares

    linear = ("coef_", "intercept_", "n_features_in_")
    factored = (
        "factors_",
        "levels_",
        "coef_factors_",
        "coef_interaction_",
        "intercept_factors_",
    )
    return {
        "mtlsynth.SharedLeastSquares": (
            SharedLeastSquares,
            (
                "coef_",
                "coef_shared_",
                "coef_task_",
                "intercept_",
                "intercept_shared_",
                "tasks_",
                "n_features_in_",
                "_single_output",
                *factored,
                "coef_transform_",
            ),
        ),
        "mtlsynth.MaxEntClassifier": (
            MaxEntClassifier,
            (
                "classes_",
                "coef_",
                "coef_shared_",
                "coef_task_",
                "intercept_",
                "intercept_shared_",
                "tasks_",
                "n_features_in_",
                "n_iter_",
                *factored,
            ),
        ),
        "mtlsynth.ProximalRegressor": (
            ProximalRegressor,
            (
                "coef_",
                "coef_components_",
                "intercept_",
                "tasks_",
                "n_features_in_",
                "n_iter_",
            ),
        ),
        "sklearn.linear_model.Ridge": (Ridge, linear),
        "sklearn.linear_model.LinearRegression": (LinearRegression, linear),
        "sklearn.linear_model.LogisticRegression": (
            LogisticRegression,
            ("classes_", *linear, "n_iter_"),
        ),
        "sklearn.preprocessing.StandardScaler": (
            StandardScaler,
            ("mean_", "scale_", "var_", "n_samples_seen_", "n_features_in_"),
        ),
    }


#: Classes whose ``coef_`` is ``coef_shared_ + coef_task_``, or the sum of
#: the factors' parts: not stored, rebuilt.
_SUMMED_COEF = ("mtlsynth.SharedLeastSquares", "mtlsynth.MaxEntClassifier")


def _class_key(estimator: Any) -> str | None:
    for key, (cls, _) in _registry().items():
        if type(estimator) is cls:
            return key
    return None


def _parts() -> dict[str, type]:
    """Estimators that may stand as hyper-parameters: penalties and solvers."""
    from mtlsynth import penalties
    from mtlsynth._solvers import FISTA

    classes = [FISTA] + [getattr(penalties, name) for name in penalties.__all__]
    return {f"mtlsynth.{cls.__name__}": cls for cls in classes}


def _json_value(value: Any, what: str) -> Any:
    """A JSON-safe copy of a hyper-parameter or scalar attribute.

    Penalties and solvers become ``{"part": class, "params": {...}}`` (with
    ``"name"`` for a named ``(name, part)`` pair of a list of parts), arrays
    ``{"ndarray": nested lists}`` and lists lists of such values.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"ndarray": value.tolist()}
    if _is_named_part(value):
        return {"name": value[0], **_json_value(value[1], f"{what}.{value[0]}")}
    if isinstance(value, (list, tuple)):
        return [_json_value(v, f"{what}[{i}]") for i, v in enumerate(value)]
    key = next((k for k, cls in _parts().items() if type(value) is cls), None)
    if key is not None:
        params = value.get_params(deep=False).items()
        return {
            "part": key,
            "params": {k: _json_value(v, f"{what}.{k}") for k, v in params},
        }
    try:
        json.dumps(value)
    except TypeError as error:
        raise ValueError(
            f"cannot save {what}={value!r} in a voice file: only JSON values "
            "(numbers, strings, booleans, None, lists, dicts) are supported"
        ) from error
    return value


def _is_named_part(value: Any) -> bool:
    """Whether ``value`` is a ``(name, penalty or solver)`` pair."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and type(value[1]) in _parts().values()
    )


def dump_estimator(estimator: Any, prefix: str, arrays: dict[str, np.ndarray]) -> dict:
    """Describe a fitted estimator; add its arrays to ``arrays``.

    Parameters
    ----------
    estimator : estimator
        A fitted estimator of a registered class, or a Pipeline of them.
    prefix : str
        Prefix of its array names in the archive.
    arrays : dict
        Arrays to save; filled in place.

    Returns
    -------
    dict
        JSON metadata of the estimator.
    """
    from sklearn.pipeline import Pipeline

    if estimator is None:
        return {"class": None}
    if type(estimator) is Pipeline:
        steps = []
        for i, (name, step) in enumerate(estimator.steps):
            if step is None or step == "passthrough":
                steps.append({"name": name, "estimator": {"class": "passthrough"}})
                continue
            steps.append(
                {
                    "name": name,
                    "estimator": dump_estimator(step, f"{prefix}{i}/", arrays),
                }
            )
        return {"class": "sklearn.pipeline.Pipeline", "steps": steps}
    key = _class_key(estimator)
    if key is None:
        supported = ", ".join([*sorted(_registry()), "sklearn.pipeline.Pipeline"])
        raise ValueError(
            f"cannot save a {type(estimator).__name__} in a voice file; "
            f"supported estimators: {supported}"
        )
    _, names = _registry()[key]
    params = {
        k: _json_value(v, f"{type(estimator).__name__}.{k}")
        for k, v in estimator.get_params(deep=False).items()
    }
    attrs: dict[str, Any] = {}
    for name in names:
        if not hasattr(estimator, name) or (name == "coef_" and key in _SUMMED_COEF):
            continue
        value = getattr(estimator, name)
        what = f"{type(estimator).__name__}.{name}"
        if isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            stored = [f"{prefix}{name}/{i}" for i in range(len(value))]
            for array_name, part in zip(stored, value, strict=True):
                arrays[array_name] = _savable(part, what)
            attrs[name] = {"arrays": stored}  # a factor's levels or parts each
        elif isinstance(value, np.ndarray):
            arrays[prefix + name] = _savable(value, what)
            attrs[name] = {"array": prefix + name}
        else:
            attrs[name] = {"value": _json_value(value, name)}
    return {"class": key, "params": params, "attributes": attrs}


def _savable(value: np.ndarray, what: str) -> np.ndarray:
    """An array as a voice file stores it: numbers, or labels as text."""
    if value.dtype.kind == "O" and all(isinstance(v, str) for v in value.flat):
        value = value.astype(str)  # the levels of factored tasks
    if value.dtype.kind not in "biufU":
        raise ValueError(
            f"cannot save {what} of dtype {value.dtype}: only numbers or text"
        )
    return value


def load_estimator(meta: Any, arrays: Any, field: str = "model") -> Any:
    """Rebuild an estimator described by :func:`dump_estimator`.

    The metadata is checked as it is read: known class, known parameters
    with valid values, known attributes whose arrays exist and are finite.

    Parameters
    ----------
    meta : dict
        Its JSON metadata.
    arrays : mapping
        The archive's arrays.
    field : str, default="model"
        Where ``meta`` lies in the voice file's metadata, for messages.

    Returns
    -------
    estimator or None
        The fitted estimator.

    Raises
    ------
    VoiceFileError
        If the metadata does not describe a savable estimator; the message
        begins with the field at fault.
    """
    from sklearn.pipeline import Pipeline

    _MODEL.check(meta, field)
    cls_name = meta["class"]
    if cls_name is None:
        return None
    if cls_name == "sklearn.pipeline.Pipeline":
        _PIPELINE.check(meta, field)
        steps = []
        for i, step in enumerate(meta["steps"]):
            inner = step["estimator"]
            where = f"{field}.steps[{i}].estimator"
            if isinstance(inner, dict) and inner.get("class") == "passthrough":
                est = "passthrough"
            else:
                est = load_estimator(inner, arrays, where)
            if est is None:
                raise FieldError(f"{where}.class", "a step cannot be null")
            steps.append((step["name"], est))
        return Pipeline(steps)
    _ESTIMATOR.check(meta, field)
    cls, names = _registry()[cls_name]
    estimator = _build(cls, meta["params"], f"{field}.params")
    for name, spec in meta["attributes"].items():
        where = f"{field}.attributes.{name}"
        if name not in names:
            raise FieldError(where, f"not an attribute of {cls.__name__}")
        setattr(estimator, name, _attribute(name, spec, arrays, where))
    if cls_name in _SUMMED_COEF:
        try:
            if hasattr(estimator, "factors_"):
                restore_factors(estimator)
            else:
                estimator.coef_ = estimator.coef_shared_ + estimator.coef_task_
        except (AttributeError, TypeError, ValueError, IndexError) as error:
            raise FieldError(
                f"{field}.attributes",
                f"the shared and task parts do not add up ({_one_line(error)})",
            ) from None
    return estimator


def _attribute(name: str, spec: Any, arrays: Any, field: str) -> Any:
    """The value of a fitted attribute: a stored array, a list of them or a
    JSON value."""
    if (
        not isinstance(spec, dict)
        or len(spec) != 1
        or set(spec) - {"array", "arrays", "value"}
    ):
        raise FieldError(
            field, 'must be {"array": name}, {"arrays": [names]} or {"value": value}'
        )
    if "arrays" in spec:
        ListOf(Text(), max_len=1000).check(spec["arrays"], f"{field}.arrays")
        return [_stored_array(arrays, key) for key in spec["arrays"]]
    if "value" in spec:
        _SCALARS.get(name, ANY).check(spec["value"], f"{field}.value")
        return spec["value"]
    key = spec["array"]
    Text().check(key, f"{field}.array")
    return _stored_array(arrays, key)


def _stored_array(arrays: Any, key: str) -> np.ndarray:
    """An array of the archive: present and, if numeric, finite."""
    field = f"array {key!r}"
    if key not in arrays:
        raise FieldError(field, "missing (incomplete voice file)")
    value = arrays[key]
    if value.dtype.kind not in "biufU":
        raise FieldError(field, f"has dtype {value.dtype}, not numbers or text")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise FieldError(field, "holds NaN or infinite values")
    return value


def _build(cls: type, params: dict, field: str) -> Any:
    """An estimator, penalty or solver from JSON parameters, validated."""
    known = cls().get_params(deep=False)
    values = {}
    for key, value in params.items():
        if key not in known:
            raise FieldError(f"{field}.{key}", f"not a parameter of {cls.__name__}")
        values[key] = _from_json(value, f"{field}.{key}")
    estimator = cls(**values)
    validate = getattr(estimator, "_validate_params", None)
    if validate is not None:
        try:
            validate()
        except (TypeError, ValueError) as error:
            # scikit-learn names the parameter: "The 'alpha' parameter of ..."
            name = re.match(r"The '(\w+)' parameter", str(error))
            where = f"{field}.{name.group(1)}" if name else field
            raise FieldError(where, _one_line(error)) from None
    return estimator


def _from_json(value: Any, field: str = "params") -> Any:
    """Inverse of :func:`_json_value` for hyper-parameters, checked."""
    _finite(value, field)
    if isinstance(value, dict) and set(value) == {"ndarray"}:
        try:
            return np.asarray(value["ndarray"], dtype=np.float64)
        except (TypeError, ValueError):
            raise FieldError(field, "must be a numeric array") from None
    if isinstance(value, list):
        return [_from_json(v, f"{field}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and set(value) == {"name", "part", "params"}:
        if not isinstance(value["name"], str):
            raise FieldError(f"{field}.name", "must be a string")
        part = {k: v for k, v in value.items() if k != "name"}
        return value["name"], _from_json(part, f"{field}.{value['name']}")
    if isinstance(value, dict) and set(value) == {"part", "params"}:
        parts = _parts()
        if not isinstance(value["part"], str) or value["part"] not in parts:
            raise FieldError(
                f"{field}.part", f"unknown model part {show(value['part'])}"
            )
        if not isinstance(value["params"], dict):
            raise FieldError(f"{field}.params", "must be an object")
        return _build(parts[value["part"]], value["params"], f"{field}.params")
    if isinstance(value, dict):  # per-dialect penalties, class weights
        for key, item in value.items():
            _check_entry(item, f"{field}.{key}")
    return value


def _check_entry(item: Any, field: str) -> None:
    """An entry of a dict hyper-parameter: a positive number, a dict of them
    (a factor's penalty per level) or column indices (a factor's features)."""
    if isinstance(item, dict):
        for key, inner in item.items():
            POSITIVE.check(inner, f"{field}.{key}")
    elif isinstance(item, list):
        ListOf(whole(0, 1e9)).check(item, field)
    else:
        POSITIVE.check(item, field)


def _finite(value: Any, field: str) -> None:
    """Reject NaN and infinities anywhere in a JSON value."""
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(field, f"must be finite, got {value}")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _finite(item, f"{field}[{i}]")
    if isinstance(value, dict):
        for key, item in value.items():
            _finite(item, f"{field}.{key}")


def write_voice(path: str | os.PathLike, meta: dict, arrays: dict) -> None:
    """Write metadata and arrays atomically as one ``.npz`` file.

    Temporary files that earlier writes of ``path`` left behind when they
    were killed are removed first, once they are an hour old
    (:func:`~mtlsynth.utils.files.remove_stale_temporaries`).

    Parameters
    ----------
    path : str or path-like
        Destination.
    meta : dict
        JSON metadata; format name and version are added.
    arrays : dict of str to ndarray
        Arrays to store.
    """
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **meta}
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    for key, value in payload.items():
        if value.dtype.kind not in "biufU":
            raise ValueError(f"cannot save array {key!r} of dtype {value.dtype}")
    payload["__meta__"] = np.asarray(json.dumps(meta))
    remove_stale_temporaries(path)
    with atomic_open(Path(path), "wb") as f:
        np.savez(f, **payload)


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of a ``.npz`` archive, refusing pickled objects."""
    if not zipfile.is_zipfile(path):
        raise VoiceFileError(
            f"{path}: not a voice file: not a valid mtlsynth voice file "
            "(corrupted or another format; voice files are .npz archives)"
        )
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                try:
                    arrays[key] = data[key]
                except ValueError:  # object arrays: numpy would need pickle
                    raise VoiceFileError(
                        f"{path}: array {key!r}: holds Python objects, which voice "
                        "files never do: not a valid mtlsynth voice file"
                    ) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if isinstance(error, VoiceFileError):
            raise
        raise VoiceFileError(
            f"{path}: not a valid mtlsynth voice file (corrupted or another "
            f"format): {_one_line(error)}"
        ) from None
    return arrays


def read_voice(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a voice file, checking its format and version.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    meta : dict
        JSON metadata.
    arrays : dict of str to ndarray
        Every stored array.

    Raises
    ------
    VoiceFileError
        If the file is not a readable voice file or its version is newer
        than this package reads.
    """
    path = Path(path)
    if not path.is_file():
        raise VoiceFileError(f"{path}: voice file does not exist")
    arrays = _read_arrays(path)
    raw = arrays.pop("__meta__", None)
    if raw is None or raw.dtype.kind != "U" or raw.ndim != 0:
        raise VoiceFileError(f"{path}: not an mtlsynth voice file (no metadata)")
    try:
        meta = json.loads(str(raw))
    except ValueError as error:
        raise VoiceFileError(
            f"{path}: metadata: not valid JSON ({_one_line(error)})"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise VoiceFileError(f"{path}: not an mtlsynth voice file")
    version = meta.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise VoiceFileError(f"{path}: version: voice file has no valid format version")
    if version > FORMAT_VERSION:
        raise VoiceFileError(
            f"{path}: voice file format version {version} is newer than this "
            f"mtlsynth reads (up to {FORMAT_VERSION}); upgrade mtlsynth"
        )
    return meta, arrays


# ----------------------------------------------------- the voice's layout


def _phone_fields(version: int) -> dict[str, Any]:
    """Format 3 keeps the phone set and whether stress was seen; older
    formats have a table of classes (null: eSpeak NG's English)."""
    if version < 3:
        return {"phone_table": Nullable(MapOf(ListOf(Text(), max_len=1000)))}
    return {"phone_set": _PhoneSetData(), "stressed": Flag()}


def _voice_schema(version: int) -> Record:
    """Schema of a ParametricSynthesizer's metadata in a voice file."""
    kernels = ListOf(Number(0, 1e4, open_low=True), max_len=16)
    modes = Text(("dialect", "global"))
    model = _MODEL
    return Record(
        {
            "format": Text((FORMAT_NAME,)),
            "version": whole(1, FORMAT_VERSION),
            "synthesizer": Record(
                {
                    "postfilter": Number(0, 4, open_low=True),
                    "normalize": modes,
                    "variance": modes,
                    "tasks": Text(("factors", "cells", "dialects")),
                    "frame_period": Number(1, 50),
                    "f0_method": Text(("dio", "harvest")),
                    "mcep_order": Nullable(whole(0, 1024)),
                    "mcep_alpha": Nullable(
                        Number(-1, 1, open_low=True, open_high=True)
                    ),
                    "use_words": Flag(),
                    "frontend": _Frontend(),
                    "max_voicing_frames": whole(2, 1e12),
                    "chunk_utterances": whole(1, 1e9),
                    "validation_fraction": Number(0, 1, open_high=True),
                },
                # older voices have no validation_fraction, nor tasks
                frozenset(
                    {"validation_fraction", "tasks"}
                    | ({"frontend"} if version < 3 else set())
                ),
            ),
            "features": Record(
                {
                    "context": whole(0, 10),
                    "n_bumps": whole(2, 64),
                    "interaction_context": whole(0, 10),
                    "edge_kernels": kernels,
                    "diphone_kernels": kernels,
                    "diphone_min_count": whole(1, 1e12),
                    "max_diphones": Nullable(whole(0, 1e12)),
                    "neighbour_identity": Flag(),
                    "n_identity_bumps": whole(0, 64),
                    **_phone_fields(version),
                    "inventory": ListOf(Text(), 1, 100_000, unique=True),
                    "diphones": ListOf(ListOf(Text(), 2, 2), unique=True),
                },
                # format 1 has no diphone columns
                frozenset(
                    {"diphone_kernels", "diphone_min_count", "diphones"}
                    if version < 2
                    else ()
                )
                | {"max_diphones"},  # older voices kept every common pair
            ),
            "signal": Record(
                {
                    "fs": whole(8000, 192000),
                    "alpha": Number(-1, 1, open_low=True, open_high=True),
                    "fft_size": whole(64, 65536),
                    "order": whole(0, 1024),
                    "n_bap": whole(1, 64),
                    "voiced_default": Number(0, 1),
                }
            ),
            "dialects": ListOf(Text(), 1, 10_000, unique=True),
            "speakers": ListOf(Text(), 0, 10_000, unique=True),
            "models": Record({"duration": model, "acoustic": model, "voicing": model}),
            "utterances": Record({"trained": _NAMES, "held_out": _NAMES}),
            "penalty_search": ListOf(_SEARCH, max_len=2),
        },
        # formats 1 and 2 do not record the utterances trained on and held
        # out; voices of fixed penalties and older files have no search
        frozenset(
            {"penalty_search", "speakers"} | ({"utterances"} if version < 3 else set())
        ),
    )


def _check_relations(meta: dict) -> None:
    """Relations between fields that each fit the schema alone."""
    from mtlsynth.speech import vocoder

    f, sig, syn = meta["features"], meta["signal"], meta["synthesizer"]
    if f["interaction_context"] > f["context"]:
        raise FieldError(
            "features.interaction_context",
            f"must not exceed features.context ({f['context']}), "
            f"got {f['interaction_context']}",
        )
    if f["n_identity_bumps"] == 1:
        raise FieldError("features.n_identity_bumps", "must be 0 or at least 2, got 1")
    inventory = set(f["inventory"])
    for i, pair in enumerate(f.get("diphones", ())):
        if not set(pair) <= inventory:
            raise FieldError(
                f"features.diphones[{i}]",
                f"{show(pair)} has a phone outside inventory",
            )
    fft = int(sig["fft_size"])
    if fft & (fft - 1):
        raise FieldError("signal.fft_size", f"must be a power of 2, got {fft}")
    if sig["order"] > fft // 2:
        raise FieldError(
            "signal.order",
            f"must be at most fft_size / 2 = {fft // 2}, got {sig['order']}",
        )
    bands = vocoder.aperiodicity_bands(int(sig["fs"]))
    if sig["n_bap"] != bands:
        raise FieldError(
            "signal.n_bap",
            f"must be {bands} at signal.fs = {sig['fs']} Hz, got {sig['n_bap']}",
        )
    for setting, name in (("mcep_order", "order"), ("mcep_alpha", "alpha")):
        if syn[setting] is not None and syn[setting] != sig[name]:
            raise FieldError(
                f"signal.{name}",
                f"differs from synthesizer.{setting} ({syn[setting]}): {sig[name]}",
            )
    for which in ("duration", "acoustic"):
        if meta["models"][which]["class"] is None:
            raise FieldError(f"models.{which}.class", "must name a model, got null")


def _check_statistics(meta: dict, arrays: Any) -> None:
    """The normalization and variance arrays: shapes and signs."""
    sig = meta["signal"]
    shape = (len(meta["dialects"]) + 1, (sig["order"] + 2 + sig["n_bap"]) * 3)
    for key in ("target_mean", "target_std", "variance"):
        value = _stored_array(arrays, key)
        if value.shape != shape or value.dtype.kind != "f":
            raise FieldError(
                f"array {key!r}",
                f"must be floats of shape {shape} (dialects + 1, parameters with "
                f"deltas), got {value.dtype} of shape {value.shape}",
            )
        if key != "target_mean" and not np.all(value > 0):
            raise FieldError(f"array {key!r}", "must be positive")


def check_voice(meta: Any, arrays: Any) -> None:
    """Check a voice's metadata against the schema of its format.

    Types, ranges and required keys of every field, relations between
    fields (``n_bap`` of the sample rate, diphones within the inventory) and
    the shapes of the normalization arrays. Models are checked when they are
    rebuilt (:func:`load_estimator`, :func:`check_model`).

    Parameters
    ----------
    meta : dict
        The metadata, as :func:`read_voice` returns it.
    arrays : mapping of str to ndarray
        The archive's arrays.

    Raises
    ------
    VoiceFileError
        If a field breaks the schema; the message begins with the field.
    """
    if not isinstance(meta, dict):
        raise FieldError("metadata", f"must be an object, got {show(meta)}")
    version = meta.get("version")
    _voice_schema(version if isinstance(version, int) else FORMAT_VERSION).check(
        meta, ""
    )
    _check_relations(meta)
    _check_statistics(meta, arrays)


def check_model(
    model: Any,
    field: str,
    *,
    n_features: int,
    n_outputs: int,
    dialects: Any,
    voicing: bool = False,
) -> None:
    """Check that a rebuilt model predicts what the voice needs.

    Each dialect is predicted on one row of zeros, at accent strength 1 and,
    for a model with a shared part, 0: the model must read ``n_features``
    columns and return ``n_outputs`` finite values (a voicing model:
    classes 0 and 1 and a probability).

    Parameters
    ----------
    model : estimator
        The model rebuilt by :func:`load_estimator`.
    field : str
        Where it lies in the metadata (``models.acoustic``), for messages.
    n_features : int
        Columns of its input.
    n_outputs : int
        Values it predicts per row (ignored for a voicing model).
    dialects : sequence of str
        The voice's dialects.
    voicing : bool, default=False
        Whether it is the voicing classifier.

    Raises
    ------
    VoiceFileError
        If it does not; the message begins with ``field``.
    """
    from mtlsynth.speech.models import (
        _has_shared_part,
        predict_dialect,
        voiced_probability,
    )

    n_in = getattr(model, "n_features_in_", n_features)
    if n_in != n_features:
        raise FieldError(
            f"{field}.attributes.n_features_in_",
            f"the model reads {n_in} features but the voice's features have "
            f"{n_features}",
        )
    classes = np.asarray(getattr(model, "classes_", [])).tolist()
    if voicing and sorted(classes) != [0, 1]:
        raise FieldError(
            f"{field}.attributes.classes_",
            f"must be [0, 1] for a voicing model, got {show(classes)}",
        )
    predict = voiced_probability if voicing else predict_dialect
    X = np.zeros((1, n_features))
    for dialect in dialects:
        for strength in (1.0, 0.0) if _has_shared_part(model) else (1.0,):
            try:
                out = np.asarray(predict(model, X, dialect, strength), dtype=float)
            except (AttributeError, IndexError, KeyError, TypeError, ValueError) as e:
                raise FieldError(field, f"cannot predict ({_one_line(e)})") from None
            width = 1 if voicing else n_outputs
            if out.size != width or not np.all(np.isfinite(out)):
                raise FieldError(
                    field,
                    f"predicts {out.size} values per row, not {width} finite ones",
                )
