"""Multi-dialect speech corpora: labels, wav files, reading and feature caching.

Corpus layout
-------------
::

    ROOT/<dialect>/wav/<utt>.wav        mono PCM or float wav
    ROOT/<dialect>/lab/<utt>.lab        HTK label (or <utt>.TextGrid)

Every wav needs a label: ``lab/<utt>.lab``, ``lab/<utt>.TextGrid`` or
``wav/<utt>.TextGrid`` (searched in that order). HTK label lines are
``start end name`` with times in 100 ns units; ``name`` is a phone or an HTS
full-context label ``p1^p2-p3+p4=p5@...`` whose current phone is ``p3``.
Praat TextGrids (long or short text format) contribute their phone tier: the
tier named ``phones`` (or ``phone``, ``phonemes``, ``segments``), else the
only interval tier; empty intervals become ``pau``.

The built-in corpus (:func:`build_corpus`) uses the same layout, so one
reader serves it and users' corpora. Silence is labelled ``pau``.

Feature extraction (:func:`extract_features`) runs in parallel over files
and caches one ``.npz`` per utterance, keyed by the analysis settings and the
wav's size and modification time; files are written atomically, so an
interrupted run resumes where it stopped. No file is ever pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mtlsynth.speech import vocoder
from mtlsynth.speech.audio import _open_wav, read_wav
from mtlsynth.speech.errors import CorpusError, where
from mtlsynth.speech.labels import Label, read_label
from mtlsynth.utils.files import atomic_open
from mtlsynth.utils.parallel import exit_with
from mtlsynth.utils.progress import Progress

__all__ = [
    "CachedFeatures",
    "Corpus",
    "Utterance",
    "cache_dir",
    "extract_features",
    "read_corpus",
    "read_prompts",
    "split_corpus",
]


# --------------------------------------------------------------------------
# atomic writes


# --------------------------------------------------------------------------
# labels


# --------------------------------------------------------------------------
# wav files


# --------------------------------------------------------------------------
# reading a corpus


@dataclass(frozen=True)
class Utterance:
    """One utterance of a corpus.

    Parameters
    ----------
    dialect : str
        Dialect (task) name, the first-level folder.
    name : str
        Utterance name, the wav file stem.
    wav_path : Path
        The wav file.
    label_path : Path
        The label file (``.lab`` or ``.TextGrid``).
    label : Label
        The parsed label.
    n_samples : int
        Length of the audio in samples.
    """

    dialect: str
    name: str
    wav_path: Path
    label_path: Path
    label: Label = field(repr=False)
    n_samples: int

    def load_wav(self) -> tuple[np.ndarray, int]:
        """Read the audio.

        Returns
        -------
        x : ndarray of shape (n_samples,)
            Float64 samples in [-1, 1).
        fs : int
            Sample rate in Hz.
        """
        return read_wav(self.wav_path)


@dataclass(frozen=True)
class Corpus:
    """A checked multi-dialect corpus.

    Parameters
    ----------
    root : Path
        Corpus root folder.
    fs : int
        Sample rate shared by every wav.
    utterances : tuple of Utterance
        Utterances sorted by dialect then name.

    Attributes
    ----------
    dialects : tuple of str
        Dialect names, sorted.
    """

    root: Path
    fs: int
    utterances: tuple[Utterance, ...]

    @property
    def dialects(self) -> tuple[str, ...]:
        """Dialect names, sorted."""
        return tuple(sorted({u.dialect for u in self.utterances}))

    def __len__(self) -> int:
        return len(self.utterances)

    def __iter__(self) -> Iterator[Utterance]:
        return iter(self.utterances)

    def by_dialect(self, dialect: str) -> tuple[Utterance, ...]:
        """Utterances of one dialect.

        Parameters
        ----------
        dialect : str
            Dialect name.

        Returns
        -------
        tuple of Utterance
            The dialect's utterances, sorted by name.
        """
        if dialect not in self.dialects:
            raise ValueError(f"unknown dialect {dialect!r}; have {self.dialects}")
        return tuple(u for u in self.utterances if u.dialect == dialect)


def _find_label(wav: Path) -> Path | None:
    lab_dir = wav.parent.parent / "lab"
    for candidate in (
        lab_dir / f"{wav.stem}.lab",
        lab_dir / f"{wav.stem}.TextGrid",
        wav.with_suffix(".TextGrid"),
    ):
        if candidate.is_file():
            return candidate
    return None


def _label_line(path: Path, index: int) -> int | None:
    """Line number of the ``index``-th segment of an HTK label file."""
    if path.suffix.lower() != ".lab":
        return None
    count = -1
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.split():
            count += 1
            if count == index:
                return lineno
    return None


def read_corpus(
    root: str | os.PathLike,
    *,
    dialects: Sequence[str] | None = None,
    tolerance: float = 0.025,
) -> Corpus:
    """Read and check a corpus laid out as ``ROOT/<dialect>/{wav,lab}/``.

    Parameters
    ----------
    root : str or path-like
        Corpus root folder.
    dialects : sequence of str, optional
        Dialects to read; default every folder with a ``wav`` subfolder.
    tolerance : float, default=0.025
        How far (seconds) the last label may end after the audio.

    Returns
    -------
    Corpus
        Utterances with parsed labels.

    Raises
    ------
    CorpusError
        Listing every problem found, each naming its file (and line for
        labels): a wav without a label, an unreadable wav or label, a
        malformed label, a label ending after the audio, a sample rate that
        differs from the rest of the corpus, or an empty corpus.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"{root}: corpus folder does not exist")
    if dialects is None:
        dialect_dirs = sorted(p for p in root.iterdir() if (p / "wav").is_dir())
    else:
        dialect_dirs = [root / d for d in dialects]
        for d in dialect_dirs:
            if not (d / "wav").is_dir():
                raise CorpusError(f"{d / 'wav'}: dialect folder has no wav folder")
    errors: list[str] = []
    utterances: list[Utterance] = []
    fs_ref: tuple[int, Path] | None = None
    for ddir in dialect_dirs:
        for wav in sorted((ddir / "wav").glob("*.wav")):
            lab = _find_label(wav)
            if lab is None:
                errors.append(
                    f"{wav}: no label ({ddir / 'lab' / (wav.stem + '.lab')} "
                    "or .TextGrid)"
                )
                continue
            try:
                fs, data = _open_wav(wav, mmap=True)
                n_samples = len(data)
                del data
                label = read_label(lab)
            except CorpusError as exc:
                errors.append(str(exc))
                continue
            if fs_ref is None:
                fs_ref = (fs, wav)
            elif fs != fs_ref[0]:
                errors.append(
                    f"{wav}: sample rate {fs} Hz differs from {fs_ref[0]} Hz of "
                    f"{fs_ref[1]}"
                )
                continue
            if len(label) == 0:
                errors.append(f"{lab}: label file has no segments")
                continue
            duration = n_samples / fs
            if label.ends[-1] > duration + tolerance:
                line = _label_line(lab, len(label) - 1)
                errors.append(
                    f"{where(lab, line)}: label ends at {label.ends[-1]:.3f} s, "
                    f"after the end of {wav.name} ({duration:.3f} s)"
                )
                continue
            utterances.append(
                Utterance(ddir.name, wav.stem, wav, lab, label, n_samples)
            )
    if errors:
        shown = errors[:20]
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise CorpusError(
            f"{len(errors)} problem(s) in corpus {root}:\n" + "\n".join(shown) + more
        )
    if not utterances:
        raise CorpusError(f"{root}: corpus has no wav files")
    assert fs_ref is not None
    return Corpus(root, fs_ref[0], tuple(utterances))


# --------------------------------------------------------------------------
# progress and feature extraction


_FEATURE_FORMAT = 1


def _settings_key(settings: dict[str, Any]) -> str:
    blob = json.dumps({"format": _FEATURE_FORMAT, **settings}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def _wav_stamp(path: Path) -> np.ndarray:
    st = path.stat()
    return np.array([st.st_size, st.st_mtime_ns], dtype=np.int64)


def _load_cached(path: Path, stamp: np.ndarray) -> vocoder.VocoderFeatures | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            if not np.array_equal(z["wav_stamp"], stamp):
                return None
            return vocoder.VocoderFeatures(
                fs=int(z["fs"]),
                frame_period=float(z["frame_period"]),
                fft_size=int(z["fft_size"]),
                alpha=float(z["alpha"]),
                lf0=z["lf0"],
                vuv=z["vuv"],
                mcep=z["mcep"],
                bap=z["bap"],
            )
    except (OSError, ValueError, KeyError, EOFError):
        return None


def _save_features(
    path: Path, feats: vocoder.VocoderFeatures, stamp: np.ndarray
) -> None:
    with atomic_open(path, "wb") as f:
        np.savez(
            f,
            wav_stamp=stamp,
            fs=np.int64(feats.fs),
            frame_period=np.float64(feats.frame_period),
            fft_size=np.int64(feats.fft_size),
            alpha=np.float64(feats.alpha),
            lf0=feats.lf0,
            vuv=feats.vuv,
            mcep=feats.mcep,
            bap=feats.bap,
        )


def _analyze_to_cache(
    wav_path: Path, cache_path: Path, settings: dict[str, Any], owner: int
) -> str:
    exit_with(owner)
    stamp = _wav_stamp(wav_path)
    x, fs = read_wav(wav_path)
    try:
        feats = vocoder.analyze(x, fs, **settings)
    except ValueError as exc:
        raise CorpusError(f"{wav_path}: {exc}") from None
    _save_features(cache_path, feats, stamp)
    return str(cache_path)


class CachedFeatures(Sequence):
    """Vocoder features of a corpus, read from the cache one utterance at a time.

    What :func:`extract_features` returns with ``lazy=True``: memory stays at
    one utterance however large the corpus.

    Parameters
    ----------
    paths : sequence of Path
        Cache file of every utterance.
    wavs : sequence of Path
        The wav file each cache file was computed from.
    """

    def __init__(self, paths: Sequence[Path], wavs: Sequence[Path]):
        self._paths = list(paths)
        self._wavs = list(wavs)

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, index: int) -> vocoder.VocoderFeatures:
        if not -len(self) <= index < len(self):
            raise IndexError(f"utterance {index} of {len(self)}")
        path, wav = self._paths[index], self._wavs[index]
        feats = _load_cached(path, _wav_stamp(wav))
        if feats is None:
            raise CorpusError(
                f"{wav}: its cached features ({path}) are missing or stale; "
                "run extract_features again"
            )
        return feats


def _cache_is_valid(path: Path, stamp: np.ndarray) -> bool:
    """Whether ``path`` holds features of the wav with this size and time."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return bool(np.array_equal(z["wav_stamp"], stamp))
    except (OSError, ValueError, KeyError, EOFError):
        return False


def extract_features(
    corpus: Corpus,
    *,
    cache_dir: str | os.PathLike | None = None,
    frame_period: float = 5.0,
    f0_method: str = "harvest",
    f0_floor: float = 71.0,
    f0_ceil: float = 800.0,
    mcep_order: int | None = None,
    mcep_alpha: float | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    lazy: bool = False,
) -> list[vocoder.VocoderFeatures] | CachedFeatures:
    """Vocoder features of every utterance, computed in parallel and cached.

    Parameters
    ----------
    corpus : Corpus
        The corpus from :func:`read_corpus`.
    cache_dir : str or path-like, optional
        Cache folder; default ``<corpus root>/.features``. Features live in
        ``<cache_dir>/<settings key>/<dialect>/<utt>.npz`` and are reused
        while the wav's size and modification time are unchanged.
    frame_period : float, default=5.0
        Frame shift in ms.
    f0_method : {"harvest", "dio"}, default="harvest"
        F0 estimator.
    f0_floor : float, default=71.0
        Lowest F0 searched, in Hz.
    f0_ceil : float, default=800.0
        Highest F0 searched, in Hz.
    mcep_order : int, optional
        Mel-cepstral order; chosen from the sample rate by default.
    mcep_alpha : float, optional
        All-pass constant; chosen from the sample rate by default.
    n_jobs : int, default=1
        Parallel worker processes (joblib; -1 for all cores).
    progress : bool, default=True
        Show a progress line on stderr while analysing.
    lazy : bool, default=False
        Return a :class:`CachedFeatures` that reads each utterance from the
        cache when indexed, instead of a list holding them all in memory.

    Returns
    -------
    list of VocoderFeatures or CachedFeatures
        One per utterance, in the order of ``corpus.utterances``.

    Raises
    ------
    CorpusError
        If a wav cannot be read or analysed (the message names the file).
    """
    from joblib import Parallel, delayed

    settings = {
        "frame_period": float(frame_period),
        "f0_method": f0_method,
        "f0_floor": float(f0_floor),
        "f0_ceil": float(f0_ceil),
        "mcep_order": None if mcep_order is None else int(mcep_order),
        "mcep_alpha": None if mcep_alpha is None else float(mcep_alpha),
    }
    base = Path(cache_dir) if cache_dir is not None else corpus.root / ".features"
    folder = base / _settings_key(settings)
    folder.mkdir(parents=True, exist_ok=True)
    settings_file = folder / "settings.json"
    if not settings_file.exists():
        with atomic_open(settings_file, "w") as f:
            json.dump(settings, f, indent=1, sort_keys=True)

    paths = [folder / u.dialect / f"{u.name}.npz" for u in corpus.utterances]
    wavs = [u.wav_path for u in corpus.utterances]
    results: list[vocoder.VocoderFeatures | None] = []
    todo: list[int] = []
    for i, (path, wav) in enumerate(zip(paths, wavs, strict=True)):
        if lazy:
            feats = None
            if not (path.exists() and _cache_is_valid(path, _wav_stamp(wav))):
                todo.append(i)
            continue
        feats = _load_cached(path, _wav_stamp(wav)) if path.exists() else None
        results.append(feats)
        if feats is None:
            todo.append(i)
    if todo:
        bar = Progress(len(todo), "analysing", enabled=progress)
        jobs = (
            delayed(_analyze_to_cache)(
                corpus.utterances[i].wav_path,
                folder
                / corpus.utterances[i].dialect
                / f"{corpus.utterances[i].name}.npz",
                settings,
                os.getpid(),
            )
            for i in todo
        )
        for _ in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
            bar.update()
    if lazy:
        return CachedFeatures(paths, wavs)
    if todo:
        for i in todo:
            utt = corpus.utterances[i]
            path = folder / utt.dialect / f"{utt.name}.npz"
            results[i] = _load_cached(path, _wav_stamp(utt.wav_path))
            if results[i] is None:
                raise CorpusError(f"{utt.wav_path}: wav changed during analysis")
    return results  # type: ignore[return-value]


# --------------------------------------------------------------------------
# the built-in corpus


# --------------------------------------------------------------------------
# command line


def split_corpus(
    corpus: Corpus, *, test_size: float | int = 0.1
) -> tuple[Corpus, Corpus]:
    """Split a corpus by utterance name into training and held-out parts.

    The built-in corpus is parallel (every dialect speaks the same
    sentences), so the split is by sentence: the held-out sentences are
    unseen in every dialect. The held-out names are evenly spaced through
    the sorted names (every k-th, ending with the last), so that they
    sample the whole sentence list.

    Parameters
    ----------
    corpus : Corpus
        The corpus.
    test_size : float or int, default=0.1
        Fraction (0 < f < 1) or number of utterance names to hold out; at
        least one name is held out and one kept.

    Returns
    -------
    train : Corpus
        Utterances whose names are kept.
    test : Corpus
        Held-out utterances.

    Raises
    ------
    ValueError
        If the corpus has fewer than two utterance names or ``test_size``
        is out of range.
    """
    names = sorted({u.name for u in corpus.utterances})
    if len(names) < 2:
        raise ValueError("splitting needs at least two distinct utterance names")
    if isinstance(test_size, float):
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must be in (0, 1), got {test_size}")
        n_test = int(np.ceil(test_size * len(names)))
    else:
        n_test = int(test_size)
    if not 1 <= n_test < len(names):
        raise ValueError(
            f"test_size must leave 1 to {len(names) - 1} names out, got {test_size}"
        )
    picks = np.round(np.linspace(len(names) - 1, 0, n_test, endpoint=False))
    held = {names[int(i)] for i in picks}
    train = tuple(u for u in corpus.utterances if u.name not in held)
    test = tuple(u for u in corpus.utterances if u.name in held)
    return (
        Corpus(corpus.root, corpus.fs, train),
        Corpus(corpus.root, corpus.fs, test),
    )


def cache_dir() -> Path:
    """Folder of the demo corpus and analysis cache.

    Returns
    -------
    Path
        ``$MTLSYNTH_CACHE`` if set, else ``~/.cache/mtlsynth``.
    """
    env = os.environ.get("MTLSYNTH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "mtlsynth"


def read_prompts(root: str | os.PathLike) -> dict[str, str]:
    """The text of every utterance, from the corpus's ``prompts.txt``.

    Each line is ``<utt> <text>``; the file is optional.

    Parameters
    ----------
    root : str or path-like
        Corpus folder.

    Returns
    -------
    dict of str to str
        Text of every utterance named in the file (empty without one).

    Raises
    ------
    CorpusError
        If a line has no text (the message names the file and line).
    """
    path = Path(root) / "prompts.txt"
    prompts: dict[str, str] = {}
    if not path.is_file():
        return prompts
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        name, sep, text = line.partition(" ")
        if not sep or not text.strip():
            raise CorpusError(
                f"{where(path, lineno)}: expected '<utt> <text>', got {line!r}"
            )
        prompts[name] = text.strip()
    return prompts
