"""Multi-task learning with a scikit-learn API, for multi-dialect speech synthesis.

The tasks are dialects of a language: estimators share what the dialects have
in common and keep what is specific to each. Every estimator takes a per-sample
``tasks`` array in ``fit``, ``predict`` and ``score``.

The package reads in floors, each importing only those below it:

* ``mtlsynth`` (this module) and ``mtlsynth.utils``: the multi-task
  estimators and their parts (datafits, penalties, solvers, prox operators),
  with no knowledge of speech;
* :mod:`mtlsynth.speech`: the speech pipeline (labels, audio, corpora, the
  WORLD vocoder, features, parameter generation, the voice, measures);
* :mod:`mtlsynth.bench` and :mod:`mtlsynth.cli`: the speech benchmark and the
  command line.
"""

from mtlsynth._maxent import MaxEntClassifier
from mtlsynth._maxent_cv import MaxEntClassifierCV
from mtlsynth._proximal import ProximalClassifier, ProximalRegressor
from mtlsynth._proximal_cv import ProximalRegressorCV, proximal_path
from mtlsynth._shared import SharedLeastSquares
from mtlsynth._shared_cv import SharedLeastSquaresCV
from mtlsynth._solvers import FISTA
from mtlsynth._stats import TaskStatistics, accumulate_statistics
from mtlsynth._task_relations import TaskRelationRegressor, task_similarity
from mtlsynth._tasks import MultiTaskMixin, stack_tasks, unstack_tasks
from mtlsynth.model_selection import TaskKFold

__version__ = "0.1.0.dev0"

__all__ = [
    "FISTA",
    "MaxEntClassifier",
    "MaxEntClassifierCV",
    "MultiTaskMixin",
    "ProximalClassifier",
    "ProximalRegressor",
    "ProximalRegressorCV",
    "SharedLeastSquares",
    "SharedLeastSquaresCV",
    "TaskKFold",
    "TaskRelationRegressor",
    "TaskStatistics",
    "__version__",
    "accumulate_statistics",
    "proximal_path",
    "stack_tasks",
    "task_similarity",
    "unstack_tasks",
]
