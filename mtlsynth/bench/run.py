"""Run the speech benchmark: data levels, methods, resumable results."""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from mtlsynth.bench.methods import (
    _QUICK_DIALECTS,
    COMPACT_FEATURES,
    LEVELS,
    METHODS,
    _methods,
)
from mtlsynth.bench.report import markdown_report, write_plots
from mtlsynth.bench.selection import _choose, _collect_blocks, _train
from mtlsynth.speech.corpus import Corpus, corpus_dialects, split_corpus
from mtlsynth.speech.evaluation import METRICS
from mtlsynth.speech.features import LinguisticFeatures
from mtlsynth.speech.synthesizer import ParametricSynthesizer
from mtlsynth.utils.files import atomic_open

__all__ = [
    "run_bench",
]


# ------------------------------------------------------------------- run


_RECORD_FIELDS = {
    "method": str,
    "dialect": str,
    "target": str,
    "target_level": int,
    **dict.fromkeys(METRICS, (int, float)),
}


def _load_records(path: Path, target: str) -> list[dict]:
    """Records of an earlier run in ``path`` (none if it does not exist)."""
    if not path.is_file():
        return []
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise ValueError(
            f"{path}: not a results file of mtlsynth bench ({error})"
        ) from None
    if not isinstance(records, list):
        raise ValueError(f"{path}: not a results file of mtlsynth bench (no list)")
    for i, record in enumerate(records):
        problem = _record_problem(record, target)
        if problem:
            raise ValueError(f"{path}: record {i}: {problem}")
    return records


def _record_problem(record: Any, target: str) -> str | None:
    """What is wrong with one record of results.json, or None."""
    if not isinstance(record, dict):
        return "not an object"
    for field, kind in _RECORD_FIELDS.items():
        value = record.get(field)
        if isinstance(value, bool) or not isinstance(value, kind):
            return f"field {field!r} is missing or not of the expected type"
    if record["target"] != target:
        return (
            f"made with target dialect {record['target']!r}, not {target!r}: "
            "write this run to another folder"
        )
    return None


def _write_text(path: Path, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def _dialect_similarity(model: Any) -> dict[str, Any]:
    """Cosine similarity of the dialects' task-specific parts ``V_t``."""
    V = np.reshape(model.coef_task_, (len(model.tasks_), -1))
    V = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-300)
    return {"dialects": np.asarray(model.tasks_).tolist(), "cosine": (V @ V.T).tolist()}


def _corpus(root: Path | None, dialects, n_utts: int, jobs: int, progress: bool):
    from mtlsynth.speech.builtin import build_corpus
    from mtlsynth.speech.corpus import cache_dir, read_corpus

    if root is None:
        root = cache_dir() / "corpus"
        if progress:
            print(
                f"corpus: {len(dialects)} dialects x {n_utts} in {root}",
                file=sys.stderr,
            )
        build_corpus(root, dialects=dialects, n_utterances=n_utts, n_jobs=jobs)
    corpus = read_corpus(root, dialects=dialects)
    names = sorted({u.name for u in corpus.utterances})[:n_utts]
    keep = set(names)
    return Corpus(
        corpus.root, corpus.fs, tuple(u for u in corpus.utterances if u.name in keep)
    )


def run_bench(
    out: str | Path,
    *,
    corpus: str | Path | None = None,
    quick: bool = False,
    target: str = "en-GB-scotland",
    dialects: Sequence[str] | None = None,
    levels: Sequence[int] | None = None,
    methods: Sequence[str] | None = None,
    n_folds: int = 3,
    n_test: int | None = None,
    features: str | LinguisticFeatures = "compact",
    frame_stride: int | None = None,
    cache_dir: str | Path | None = None,
    jobs: int = 2,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> list[dict]:
    """Run the speech benchmark and write its results.

    Parameters
    ----------
    out : str or path-like
        Output folder (created); results already there are kept and their
        (level, method) pairs are not run again.
    corpus : str or path-like, optional
        Corpus root (``ROOT/<dialect>/{wav,lab}``); default the built-in
        corpus in the cache folder, built if missing (220 utterances per
        dialect, 60 with ``quick``).
    quick : bool, default=False
        Four dialects, 50 training and 10 test utterances each, levels
        10, 25 and 50, two folds and smaller networks.
    target : str, default="en-GB-scotland"
        The dialect whose training data are reduced.
    dialects : sequence of str, optional
        Dialects to use: default every dialect of ``corpus``, else all eight
        of the built-in corpus (four with ``quick``).
    levels : sequence of int, optional
        Training utterances of the target; the largest is also "every
        dialect at full size". Default :data:`LEVELS`.
    methods : sequence of str, optional
        Subset of :data:`METHODS`.
    n_folds : int, default=3
        Folds of the cross-validation inside the training data.
    n_test : int, optional
        Held-out sentences (20; 10 with ``quick``).
    features : {"compact", "full"} or LinguisticFeatures, default="compact"
        :data:`COMPACT_FEATURES`, the synthesizer's default features, or a
        feature extractor to clone.
    frame_stride : int, optional
        Every k-th frame is kept for the network and the voicing models
        (default 8; 4 with ``quick``).
    cache_dir : str or path-like, optional
        Cache of the corpus analysis (default next to the corpus).
    jobs : int, default=2
        Parallel processes of the corpus analysis.
    progress : bool, default=True
        Report progress on stderr.
    log : callable, optional
        Receives one line per finished (level, method).

    Returns
    -------
    list of dict
        Every record written to ``results.json``.
    """
    from mtlsynth.speech import frontend
    from mtlsynth.speech.corpus import cache_dir as default_cache

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if not dialects and corpus is not None:
        dialects = corpus_dialects(corpus)
    dialects = list(dialects or (_QUICK_DIALECTS if quick else frontend.DIALECTS))
    if target not in dialects:
        raise ValueError(f"target dialect {target!r} is not among {dialects}")
    path = out / "results.json"
    records = _load_records(path, target)  # checked before any work
    levels = sorted(int(n) for n in (levels or ((10, 25, 50) if quick else LEVELS)))
    methods = list(methods or METHODS)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown methods {unknown}; known: {list(METHODS)}")
    if isinstance(features, LinguisticFeatures):
        lf = clone(features)
    elif features in ("compact", "full"):
        lf = LinguisticFeatures(**(COMPACT_FEATURES if features == "compact" else {}))
    else:
        raise ValueError(
            "features must be 'compact', 'full' or a LinguisticFeatures, got "
            f"{features!r}"
        )
    n_folds = 2 if quick else int(n_folds)
    n_test = int(n_test or (10 if quick else 20))
    stride = int(frame_stride or (4 if quick else 8))
    voicing_limit = 10_000 if quick else 50_000
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))

    root = None if corpus is None else Path(corpus)
    whole = _corpus(root, dialects, n_test + levels[-1], jobs, progress)
    train, test = split_corpus(whole, test_size=n_test)
    cache = (
        Path(cache_dir)
        if cache_dir
        else (default_cache() / "features" if root is None else root / ".features")
    )
    settings = {
        "cache_dir": cache,
        "f0_method": "dio",
        "progress": False,
        "max_voicing_frames": voicing_limit,
        "n_jobs": jobs,
    }
    lf.set_params(frame_period=5.0, level="frame")
    lf.fit([u.label for u in train.utterances])
    log(
        f"{len(train)} training and {len(test)} held-out utterances of "
        f"{len(dialects)} dialects; {lf.n_frame_features_} frame features"
    )
    done = {(r["target_level"], r["method"]) for r in records}
    if all((level, m) in done for level in levels for m in methods):
        write_plots(records, target, out)
        return records
    blocks = _collect_blocks(
        ParametricSynthesizer(**settings),
        train,
        lf,
        target,
        levels,
        n_folds,
        stride,
        progress,
    )
    specs = _methods(quick)
    for level in levels:
        todo = [m for m in methods if (level, m) not in done]
        if not todo:
            continue
        keys = blocks.select(target, level)
        n_utts = {}
        for key in keys:
            n_utts[key[0]] = n_utts.get(key[0], 0) + blocks.counts[key]
        memo: dict = {}
        for name in todo:
            method = specs[name]
            with warnings.catch_warnings():
                # iterative solvers stop at their budget; their iterations and
                # certificates are recorded instead
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                chosen = _choose(method, blocks, target, level, voicing_limit, memo)
                cv_s = time.perf_counter() - start
                start = time.perf_counter()
                synth = _train(method, chosen, blocks.merged(keys), settings)
                fit_s = time.perf_counter() - start
            model = synth.acoustic_model_
            solver = (
                {
                    "n_iter": int(model.n_iter_),
                    getattr(model, "certificate_", "certificate"): float(model.gap_),
                }
                if hasattr(model, "gap_")
                else {}
            )
            scores = synth.evaluate(test)
            for dialect, values in scores.items():
                records.append(
                    {
                        "method": name,
                        "dialect": dialect,
                        "n_train_utts": n_utts[dialect],
                        **{k: float(values[k]) for k in METRICS},
                        "fit_s": fit_s,
                        "cv_s": cv_s,
                        "target": target,
                        "target_level": level,
                        "hyper_parameters": {
                            k: chosen[k] for k in ("duration", "acoustic", "voicing")
                        },
                        "acoustic_solver": solver,
                    }
                )
            if name == "shared-least-squares" and level == levels[-1]:
                sim = _dialect_similarity(synth.acoustic_model_)
                _write_text(out / "dialect_similarity.json", json.dumps(sim, indent=1))
            _write_text(path, json.dumps(records, indent=1) + "\n")
            _write_text(out / "results.md", markdown_report(records, target))
            log(
                f"{name:22s} target {level:4d} utts: MCD "
                f"{scores[target]['mcd_db']:.2f} dB (mean over dialects "
                f"{np.mean([v['mcd_db'] for v in scores.values()]):.2f}); "
                f"cv {cv_s:.0f} s, fit {fit_s:.1f} s"
            )
    write_plots(records, target, out)
    return records
