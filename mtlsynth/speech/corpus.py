"""Multi-dialect speech corpora: labels, wav files, reading and feature caching.

Corpus layout
-------------
::

    ROOT/<dialect>/wav/<utt>.wav        mono PCM or float wav
    ROOT/<dialect>/lab/<utt>.lab        HTK label (or <utt>.TextGrid)

or, for a dialect recorded by several speakers, one folder per speaker::

    ROOT/<dialect>/<speaker>/wav/<utt>.wav
    ROOT/<dialect>/<speaker>/lab/<utt>.lab

A dialect folder holds either ``wav`` and ``lab`` or speaker folders, not
both. Speaker names are the folder names; the same speaker may appear in
several dialects, and utterances of different speakers may share names (the
same sentence), as in the built-in corpus built with speakers.

Every wav needs a label: ``lab/<utt>.lab``, ``lab/<utt>.TextGrid`` or
``wav/<utt>.TextGrid`` (searched in that order), and every label a wav.
Hidden files (``.name``) are not read; any other file in ``wav`` or ``lab``
is reported (:func:`read_corpus`). HTK label lines are
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
interrupted run resumes where it stopped, and a cache file that cannot be
read is analysed again. No file is ever pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mtlsynth.speech import vocoder
from mtlsynth.speech.audio import read_wav
from mtlsynth.speech.errors import CorpusError, CorpusWarning, where
from mtlsynth.speech.labels import Label, read_label
from mtlsynth.utils.files import atomic_open
from mtlsynth.utils.parallel import exit_with
from mtlsynth.utils.progress import Progress

__all__ = [
    "CachedFeatures",
    "Corpus",
    "Utterance",
    "cache_dir",
    "corpus_dialects",
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
    speaker : str, optional
        Speaker name, the folder within the dialect's; None where the
        dialect has no speaker folders.
    """

    dialect: str
    name: str
    wav_path: Path
    label_path: Path
    label: Label = field(repr=False)
    n_samples: int
    speaker: str | None = None

    @property
    def key(self) -> str:
        """The utterance's name within its dialect: ``<speaker>/<name>``, or
        ``name`` where the dialect has no speaker folders."""
        return self.name if self.speaker is None else f"{self.speaker}/{self.name}"

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
    speakers : tuple of str
        Speaker names, sorted; empty where no dialect has speaker folders.
    """

    root: Path
    fs: int
    utterances: tuple[Utterance, ...]

    @property
    def dialects(self) -> tuple[str, ...]:
        """Dialect names, sorted."""
        return tuple(sorted({u.dialect for u in self.utterances}))

    @property
    def speakers(self) -> tuple[str, ...]:
        """Speaker names, sorted."""
        return tuple(sorted({u.speaker for u in self.utterances} - {None}))

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


def _visible(folder: Path) -> list[Path]:
    """Entries of a folder, sorted, without hidden ones (``.name``)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _has_audio_folders(folder: Path) -> bool:
    return (folder / "wav").exists() or (folder / "lab").exists()


def _speaker_dirs(ddir: Path) -> list[Path]:
    """Speaker folders of a dialect folder: those with a ``wav`` or ``lab``."""
    return [p for p in _visible(ddir) if p.is_dir() and _has_audio_folders(p)]


def _utterance_dirs(
    root: Path, dialects: Sequence[str] | None, errors: list[str]
) -> list[tuple[Path, str | None]]:
    """Folders with a ``wav`` folder, each with its speaker (None for a
    dialect without speaker folders); the others go to ``errors``."""
    if dialects is not None:
        candidates = [root / d for d in dialects]
    else:
        candidates = [
            p
            for p in _visible(root)
            if p.is_dir() and (_has_audio_folders(p) or _speaker_dirs(p))
        ]
    found = []
    for ddir in candidates:
        speakers = _speaker_dirs(ddir) if ddir.is_dir() else []
        if speakers and _has_audio_folders(ddir):
            errors.append(
                f"{ddir}: holds both wav/lab folders and speaker folders "
                f"({', '.join(p.name for p in speakers[:5])}); dialect skipped"
            )
            continue
        for folder in speakers or [ddir]:
            wav_dir = folder / "wav"
            speaker = folder.name if speakers else None
            if wav_dir.is_dir():
                found.append((folder, speaker))
            elif wav_dir.exists():
                errors.append(
                    f"{wav_dir}: not a folder; {_kind(speaker)} {folder.name} skipped"
                )
            else:
                errors.append(f"{wav_dir}: {_kind(speaker)} folder has no wav folder")
    return found


def _kind(speaker: str | None) -> str:
    return "dialect" if speaker is None else "speaker"


def corpus_dialects(root: str | os.PathLike) -> list[str]:
    """Dialects of a corpus: its folders with a ``wav`` folder, or with
    speaker folders that have one, without reading.

    Parameters
    ----------
    root : str or path-like
        Corpus folder.

    Returns
    -------
    list of str
        The dialects, sorted; :func:`read_corpus` checks them.
    """
    found = _utterance_dirs(Path(root), None, [])
    return sorted(
        {(folder if s is None else folder.parent).name for folder, s in found}
    )


def _folder_files(
    ddir: Path, speaker: str | None, errors: list[str], notes: list[str]
) -> list[tuple[Path, Path]]:
    """(wav, label) pairs of a dialect's (or speaker's) folder; every file
    left out is reported."""
    wavs = [p for p in _visible(ddir / "wav") if p.suffix == ".wav"]
    if not wavs:
        errors.append(
            f"{ddir / 'wav'}: no wav files; {_kind(speaker)} {ddir.name} skipped"
        )
    pairs = [(wav, _find_label(wav)) for wav in wavs]
    for wav, lab in pairs:
        if lab is None:
            errors.append(
                f"{wav}: no label ({ddir / 'lab' / (wav.stem + '.lab')} or .TextGrid)"
            )
    used = {*wavs, *(lab for _, lab in pairs)}
    labelled = {wav.stem: lab for wav, lab in pairs if lab is not None}
    for path in _visible(ddir / "wav") + _visible(ddir / "lab"):
        if path in used:
            continue
        if path.suffix not in (".lab", ".TextGrid"):
            notes.append(f"{path}: neither a wav in wav/ nor a label file; skipped")
        elif path.stem in labelled:
            notes.append(f"{path}: skipped; {labelled[path.stem]} is the label used")
        else:
            errors.append(f"{path}: label has no wav ({ddir / 'wav' / path.stem}.wav)")
    return [(wav, lab) for wav, lab in pairs if lab is not None]


def _read_utterance(
    ddir: Path, speaker: str | None, wav: Path, lab: Path, frame_period: float
) -> tuple[Utterance, int]:
    """An utterance and its sample rate, if WORLD analysis accepts its audio."""
    x, fs = read_wav(wav)
    try:
        vocoder._checked_input(x, fs, frame_period=frame_period)
    except ValueError as exc:
        raise CorpusError(f"{wav}: {exc}") from None
    label = read_label(lab)
    if len(label) == 0:
        raise CorpusError(f"{lab}: label file has no segments")
    dialect = (ddir if speaker is None else ddir.parent).name
    return Utterance(dialect, wav.stem, wav, lab, label, len(x), speaker), fs


def _check_rate(wav: Path, fs: int, fs_ref: tuple[int, Path] | None) -> None:
    """Raise if ``fs`` differs from the corpus's sample rate so far."""
    if fs_ref is not None and fs != fs_ref[0]:
        raise CorpusError(
            f"{wav}: sample rate {fs} Hz differs from {fs_ref[0]} Hz of {fs_ref[1]}"
        )


def _check_label_end(
    utt: Utterance, fs: int, tolerance: float, max_unlabelled: float
) -> str | None:
    """Raise if the label ends after the audio; a note if long before it."""
    lab, wav, end = utt.label_path, utt.wav_path, float(utt.label.ends[-1])
    duration = utt.n_samples / fs
    if duration - end > max_unlabelled:
        return (
            f"{lab}: label ends at {end:.3f} s, {duration - end:.3f} s before the "
            f"end of {wav.name} ({duration:.3f} s); the rest is not used"
        )
    if end > duration + tolerance:
        line = _label_line(lab, len(utt.label) - 1)
        raise CorpusError(
            f"{where(lab, line)}: label ends at {end:.3f} s, after the end of "
            f"{wav.name} ({duration:.3f} s)"
        )
    return None


def _report(root: Path, errors: list[str], notes: list[str]) -> None:
    """Warn of every note, then raise one error listing every problem."""
    for note in notes:
        warnings.warn(note, CorpusWarning, stacklevel=3)
    if errors:
        shown = errors[:20]
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise CorpusError(
            f"{len(errors)} problem(s) in corpus {root}:\n" + "\n".join(shown) + more
        )


def read_corpus(
    root: str | os.PathLike,
    *,
    dialects: Sequence[str] | None = None,
    tolerance: float = 0.025,
    max_unlabelled: float = 0.5,
    frame_period: float = 5.0,
) -> Corpus:
    """Read and check a corpus laid out as ``ROOT/<dialect>/{wav,lab}/`` or
    ``ROOT/<dialect>/<speaker>/{wav,lab}/``.

    Everything that training would reject is found here, before any
    analysis: every file is read, and the audio is checked as WORLD
    analysis checks it.

    Parameters
    ----------
    root : str or path-like
        Corpus root folder.
    dialects : sequence of str, optional
        Dialects to read; default every folder with a ``wav`` or ``lab``
        subfolder, or with speaker folders that have one. Hidden files and
        folders (``.name``) are not read.
    tolerance : float, default=0.025
        How far (seconds) the last label may end after the audio.
    max_unlabelled : float, default=0.5
        How long (seconds) the audio may go on after the last label before
        a warning: training uses only the labelled part.
    frame_period : float, default=5.0
        Frame shift (ms) of the analysis the corpus is for: audio shorter
        than the 4 frames that analysis needs is a problem.

    Returns
    -------
    Corpus
        Utterances with parsed labels.

    Raises
    ------
    CorpusError
        Listing every problem found, each on a line that names its file (and
        line for labels): a dialect (or speaker) without a ``wav`` folder
        (or whose ``wav`` is a file) or without wav files, a dialect with
        both ``wav``/``lab`` and speaker folders, a wav without a label or a
        label without a wav, an unreadable or truncated wav or label, a
        malformed label, audio that analysis rejects (empty, too short, all
        zero, NaN or infinite samples, a sample rate too low), a label
        ending after the audio, a sample rate that differs from the rest of
        the corpus, or an empty corpus. The files of a problem are skipped,
        so none is left out silently.

    Warns
    -----
    CorpusWarning
        For a label ending more than ``max_unlabelled`` before its audio, a
        file in a ``wav`` or ``lab`` folder that is neither a wav nor a
        label, or a label skipped for another label of the same wav (``.lab``
        is used before ``.TextGrid``).
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"{root}: corpus folder does not exist")
    errors: list[str] = []
    notes: list[str] = []
    utterances: list[Utterance] = []
    fs_ref: tuple[int, Path] | None = None
    for ddir, speaker in _utterance_dirs(root, dialects, errors):
        for wav, lab in _folder_files(ddir, speaker, errors, notes):
            try:
                utt, fs = _read_utterance(ddir, speaker, wav, lab, frame_period)
                _check_rate(wav, fs, fs_ref)
                note = _check_label_end(utt, fs, tolerance, max_unlabelled)
            except CorpusError as exc:
                errors.append(str(exc))
                continue
            fs_ref = fs_ref or (fs, wav)
            notes.extend([note] if note else [])
            utterances.append(utt)
    _report(root, errors, notes)
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
    """Features cached for the wav of this stamp; None if stale or unreadable."""
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
    except Exception:
        # a truncated or corrupt file (BadZipFile, a bad CRC, a bad header,
        # arrays of the wrong shape...) is analysed again
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
                f"{wav}: its cached features ({path}) are missing, stale or "
                "unreadable; run extract_features again"
            )
        return feats


def extract_features(
    corpus: Corpus,
    *,
    cache_dir: str | os.PathLike | None = None,
    frame_period: float = 5.0,
    f0_method: str = "harvest",
    f0_floor: float = vocoder.F0_FLOOR,
    f0_ceil: float = vocoder.F0_CEIL,
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
        ``<cache_dir>/<settings key>/<dialect>/<utt>.npz`` (or
        ``.../<dialect>/<speaker>/<utt>.npz``) and are reused
        while the wav's size and modification time are unchanged; a cache
        file that cannot be read (truncated, corrupt) is analysed again.
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

    paths = [folder / u.dialect / f"{u.key}.npz" for u in corpus.utterances]
    wavs = [u.wav_path for u in corpus.utterances]
    results: list[vocoder.VocoderFeatures | None] = []
    todo: list[int] = []
    for i, (path, wav) in enumerate(zip(paths, wavs, strict=True)):
        feats = _load_cached(path, _wav_stamp(wav)) if path.exists() else None
        results.append(None if lazy else feats)
        if feats is None:
            todo.append(i)
    if todo:
        bar = Progress(len(todo), "analysing", enabled=progress)
        jobs = (
            delayed(_analyze_to_cache)(
                corpus.utterances[i].wav_path, paths[i], settings, os.getpid()
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
            results[i] = _load_cached(paths[i], _wav_stamp(utt.wav_path))
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
