"""Multi-task learning with a scikit-learn API, for multi-dialect speech synthesis.

The tasks are dialects of a language: estimators share what the dialects have
in common and keep what is specific to each. Every estimator takes a per-sample
``tasks`` array in ``fit``, ``predict`` and ``score``. The speech side lives in
:mod:`mtlsynth.vocoder`, :mod:`mtlsynth.corpus`, :mod:`mtlsynth.features`,
:mod:`mtlsynth.synthesizer`, :mod:`mtlsynth.paramgen` and
:mod:`mtlsynth.metrics`.
"""

from mtlsynth._maxent import MaxEntClassifier
from mtlsynth._proximal import (
    ProximalClassifier,
    ProximalRegressor,
    ProximalRegressorCV,
    proximal_path,
)
from mtlsynth._shared import SharedLeastSquares
from mtlsynth._solvers import FISTA
from mtlsynth._stats import TaskStatistics, accumulate_statistics
from mtlsynth._tasks import MultiTaskMixin, stack_tasks, unstack_tasks
from mtlsynth.model_selection import TaskKFold

__version__ = "0.1.0.dev0"

# The speech side loads pyworld and the feature tables: import it on first use.
_LAZY = {
    "LinguisticFeatures": "mtlsynth.features",
    "ParametricSynthesizer": "mtlsynth.synthesizer",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mtlsynth' has no attribute {name!r}")


__all__ = [
    "FISTA",
    "LinguisticFeatures",
    "MaxEntClassifier",
    "MultiTaskMixin",
    "ParametricSynthesizer",
    "ProximalClassifier",
    "ProximalRegressor",
    "ProximalRegressorCV",
    "SharedLeastSquares",
    "TaskKFold",
    "TaskStatistics",
    "__version__",
    "accumulate_statistics",
    "proximal_path",
    "stack_tasks",
    "unstack_tasks",
]
