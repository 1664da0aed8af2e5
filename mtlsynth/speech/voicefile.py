"""Voice files: fitted models as arrays plus JSON metadata, never pickle.

A voice file is a NumPy ``.npz`` archive. The entry ``__meta__`` holds a
JSON string (format name and version, class names and hyper-parameters of
the models, feature settings, normalization, signal settings); every other
entry is a plain numeric or string array, read back with
``np.load(allow_pickle=False)``. Estimators are rebuilt only from a fixed
registry of classes, so loading a file cannot run code.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from mtlsynth.utils.files import atomic_open

__all__ = [
    "VoiceFileError",
]

FORMAT_NAME = "mtlsynth-voice"
FORMAT_VERSION = 2


class VoiceFileError(ValueError):
    """A voice file that cannot be read: corrupted, foreign or too new."""


def _registry() -> dict[str, tuple[type, tuple[str, ...]]]:
    """Savable estimator classes and the fitted attributes that restore them."""
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.preprocessing import StandardScaler

    from mtlsynth._maxent import MaxEntClassifier
    from mtlsynth._proximal import ProximalRegressor
    from mtlsynth._shared import SharedLeastSquares

    linear = ("coef_", "intercept_", "n_features_in_")
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
            ),
        ),
        "mtlsynth.ProximalRegressor": (
            ProximalRegressor,
            ("coef_", "intercept_", "tasks_", "n_features_in_", "n_iter_"),
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


#: Classes whose ``coef_`` is ``coef_shared_ + coef_task_``: not stored, rebuilt.
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

    Penalties and solvers become ``{"part": class, "params": {...}}`` and
    arrays ``{"ndarray": nested lists}``.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"ndarray": value.tolist()}
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
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biufU":
                raise ValueError(
                    f"cannot save {type(estimator).__name__}.{name} of dtype "
                    f"{value.dtype}"
                )
            arrays[prefix + name] = value
            attrs[name] = {"array": prefix + name}
        else:
            attrs[name] = {"value": _json_value(value, name)}
    return {"class": key, "params": params, "attributes": attrs}


def load_estimator(meta: dict, arrays: Any) -> Any:
    """Rebuild an estimator described by :func:`dump_estimator`.

    Parameters
    ----------
    meta : dict
        Its JSON metadata.
    arrays : mapping
        The archive's arrays.

    Returns
    -------
    estimator or None
        The fitted estimator.
    """
    from sklearn.pipeline import Pipeline

    cls_name = meta.get("class")
    if cls_name is None:
        return None
    if cls_name == "sklearn.pipeline.Pipeline":
        steps = []
        for step in meta["steps"]:
            inner = step["estimator"]
            est = "passthrough" if inner.get("class") == "passthrough" else None
            if est is None:
                est = load_estimator(inner, arrays)
            steps.append((str(step["name"]), est))
        return Pipeline(steps)
    registry = _registry()
    if cls_name not in registry:
        raise VoiceFileError(f"unknown estimator class {cls_name!r} in voice file")
    cls, names = registry[cls_name]
    estimator = cls(**{k: _from_json(v) for k, v in meta["params"].items()})
    for name, spec in meta["attributes"].items():
        if name not in names:
            raise VoiceFileError(f"unexpected attribute {name!r} for {cls_name}")
        value = arrays[spec["array"]] if "array" in spec else spec["value"]
        setattr(estimator, name, value)
    if cls_name in _SUMMED_COEF:
        estimator.coef_ = estimator.coef_shared_ + estimator.coef_task_
    return estimator


def _from_json(value: Any) -> Any:
    """Inverse of :func:`_json_value` for hyper-parameters."""
    if isinstance(value, dict) and set(value) == {"ndarray"}:
        return np.asarray(value["ndarray"], dtype=np.float64)
    if isinstance(value, dict) and set(value) == {"part", "params"}:
        parts = _parts()
        if value["part"] not in parts:
            raise VoiceFileError(f"unknown model part {value['part']!r} in voice file")
        params = {k: _from_json(v) for k, v in value["params"].items()}
        return parts[value["part"]](**params)
    return value


def write_voice(path: str | os.PathLike, meta: dict, arrays: dict) -> None:
    """Write metadata and arrays atomically as one ``.npz`` file.

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
    with atomic_open(Path(path), "wb") as f:
        np.savez(f, **payload)


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
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(str(arrays.pop("__meta__")))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as error:
        raise VoiceFileError(
            f"{path}: not a valid mtlsynth voice file (corrupted or another "
            f"format): {error}"
        ) from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise VoiceFileError(f"{path}: not an mtlsynth voice file")
    version = meta.get("version")
    if not isinstance(version, int):
        raise VoiceFileError(f"{path}: voice file has no valid format version")
    if version > FORMAT_VERSION:
        raise VoiceFileError(
            f"{path}: voice file format version {version} is newer than this "
            f"mtlsynth reads (up to {FORMAT_VERSION}); upgrade mtlsynth"
        )
    return meta, arrays
