"""Benchmark of multi-task methods on the multi-dialect speech corpus.

The question: with few utterances of a dialect, how much does sharing
across dialects help, and does it ever hurt the dialects with plenty of
data? One **target dialect** is trained on 10, 25, 50, 100 and 200
utterances while every other dialect keeps all of its own; the last level
is every dialect at full size. Every method trains the three models of a
:class:`~mtlsynth.speech.synthesizer.ParametricSynthesizer` (durations, acoustics,
voicing) and is scored on the same held-out sentences of every dialect with
:meth:`~mtlsynth.speech.synthesizer.ParametricSynthesizer.evaluate` (reference
durations; MCD on mel-cepstra of order 59, c0 excluded).

Methods (acoustic and duration models; voicing model):

* ``independent``: one ridge regression per dialect, each with its own
  cross-validated penalty (:class:`PerTaskRidge`); one
  ``LogisticRegression`` per dialect;
* ``pooled``: one ridge regression for all dialects together, with global
  target normalization (no dialect information at all); one pooled
  ``LogisticRegression``;
* ``shared-least-squares``: ``SharedLeastSquares`` (``W_t = W_0 + V_t``);
  ``MaxEntClassifier``;
* ``l21``, ``trace``, ``graph``: ``ProximalRegressor`` with ``L21``
  (features selected jointly by every dialect and output), ``TraceNorm``
  (dialects share a low-rank subspace) and ``TaskGraph`` (every dialect
  pulled towards the mean dialect), each plus a small ``L2`` term that
  keeps the rarely seen one-hot columns determined; ``MaxEntClassifier``;
* ``mlp-dialect-code``: scikit-learn ``MLPRegressor`` / ``MLPClassifier``
  whose input is the features plus a one-hot code of the dialect (the
  "speaker code" approach); trained on every ``frame_stride``-th frame.

Hyper-parameters are chosen by task-aware cross-validation inside the
training data only: utterances are assigned to folds whole, every dialect
has utterances in every fold, and the score is the mean over dialects of
the validation mean squared error of the normalized targets (log-loss for
voicing). Every grid reaches both ends: ``shared-least-squares`` includes
``alpha_shared = 1e12`` with small ``alpha_task`` (independent models), so
sharing can always fall back to what independent models do. Penalties per
dialect: ``independent`` takes each dialect's best ``alpha``;
``shared-least-squares`` is searched by
:class:`~mtlsynth.SharedLeastSquaresCV` on the folds' statistics (targets
normalized by those of all folds): from the best common pair, each dialect
in turn (the smallest first) tries every ``alpha_task`` of the grid with
the others fixed, keeping a change only when the mean validation error over
all dialects drops (the dialects are coupled through ``W_0``). The linear
methods are cross-validated and fitted from sufficient statistics, merged
from statistics computed once per block of utterances (the target dialect's
by data level and fold, every other dialect's by fold), so no frame is read
twice; the duration model's statistics are made from the blocks' sparse
phone rows when a training set is merged, and each fold's sets are made
when the search reaches them, so the run holds one fold's statistics at a
time.

``mtlsynth bench --out DIR`` writes ``DIR/results.json`` (one record per
method, data level and dialect), ``DIR/results.md`` (tables) and, with
matplotlib installed, ``DIR/learning_curves.png`` and
``DIR/dialect_similarity.png`` (the cosine similarity of the dialect parts
``V_t`` of ``shared-least-squares`` at full size, ordered by a hierarchical
clustering with its dendrogram:
:func:`~mtlsynth.plotting.plot_task_similarity`). Results are saved after
every method and level, so an interrupted run resumes where it stopped.
"""

from mtlsynth.bench.methods import (
    COMPACT_FEATURES,
    LEVELS,
    METHODS,
    PerTask,
    PerTaskRidge,
    PooledRidge,
    RidgeStartedRegressor,
    WithTaskCode,
)
from mtlsynth.bench.report import markdown_report
from mtlsynth.bench.run import run_bench

__all__ = [
    "COMPACT_FEATURES",
    "LEVELS",
    "METHODS",
    "PerTask",
    "PerTaskRidge",
    "PooledRidge",
    "RidgeStartedRegressor",
    "WithTaskCode",
    "markdown_report",
    "run_bench",
]
