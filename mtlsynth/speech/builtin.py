"""The built-in parallel corpus of English accents, rendered with eSpeak NG."""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mtlsynth.speech.audio import write_wav
from mtlsynth.speech.corpus import read_prompts
from mtlsynth.speech.errors import CorpusError
from mtlsynth.speech.labels import HTK_UNITS_PER_SECOND, write_htk_label
from mtlsynth.utils.files import atomic_open
from mtlsynth.utils.parallel import exit_with
from mtlsynth.utils.progress import Progress

__all__ = [
    "build_corpus",
]


def _synthesize_chunk(
    out: Path, cell: tuple[str, str | None], items: list, seed: int, owner: int
) -> int:
    from mtlsynth.speech import frontend

    exit_with(owner)

    dialect, speaker = cell
    folder = _cell_folder(out, dialect, speaker)
    key = dialect if speaker is None else f"{dialect}/{speaker}"
    for name, text in items:
        audio, pron = frontend.synthesize_text(text, dialect=dialect, variant=speaker)
        # 1-LSB Gaussian dither gives digital silence a realistic noise floor
        rng = np.random.default_rng([seed, zlib.crc32(f"{key}/{name}".encode())])
        noisy = audio.astype(np.float64) + rng.normal(size=len(audio))
        audio = np.clip(np.round(noisy), -32768, 32767).astype(np.int16)
        label = pron.label
        duration_units = round(
            len(audio) * HTK_UNITS_PER_SECOND / frontend.sample_rate()
        )
        if (
            len(label) == 0
            or label.start_times[0] != 0
            or np.any(label.end_times <= label.start_times)
            or np.any(label.start_times[1:] != label.end_times[:-1])
            or abs(int(label.end_times[-1]) - duration_units) > 1
        ):
            raise RuntimeError(
                f"eSpeak NG alignment of {key}/{name} does not tile the audio"
            )
        write_htk_label(folder / "lab" / f"{name}.lab", label)
        write_wav(folder / "wav" / f"{name}.wav", audio, frontend.sample_rate())
    return len(items)


def _cell_folder(out: Path, dialect: str, speaker: str | None) -> Path:
    """Folder of a dialect's (or one of its speakers') wav and lab folders."""
    return out / dialect if speaker is None else out / dialect / speaker


def build_corpus(
    out: str | os.PathLike,
    *,
    dialects: Sequence[str] | None = None,
    speakers: Sequence[str] | None = None,
    n_utterances: int = 200,
    seed: int = 0,
    n_jobs: int = 1,
    progress: bool = True,
) -> Path:
    """Build the parallel multi-dialect corpus with eSpeak NG.

    Every dialect speaks the same sentences (see :mod:`mtlsynth.speech.sentences`),
    chosen for diphone coverage; phone labels come from eSpeak's phoneme
    events and are sample-exact; 0.1 s of silence pads each end, and every
    file starts and ends with a ``pau`` segment. The layout is the one
    :func:`read_corpus` reads, with ``OUT/prompts.txt`` holding
    ``<utt> <text>`` lines. Wav files are 16-bit PCM at 22.05 kHz with a
    deterministic 1-LSB Gaussian dither, so silences have a noise floor
    rather than digital zeros.

    The build resumes: utterances whose wav and label both exist are
    skipped, and every file is written atomically. Every file depends only
    on its text, dialect and ``seed``, so a build is byte-identical whatever
    ``n_jobs``, the other dialects built with it, or where it was resumed.

    Parameters
    ----------
    out : str or path-like
        Output folder (created if needed).
    dialects : sequence of str, optional
        Dialect names, keys of ``mtlsynth.speech.frontend.DIALECTS``; default all:
        en-US, en-US-nyc, en (British), en-GB-x-rp, en-GB-scotland,
        en-GB-x-gbclan (Lancaster), en-GB-x-gbcwmd (West Midlands), en-029
        (Caribbean). The names are the dialect folder names.
    speakers : sequence of str, optional
        Voice variants of eSpeak NG
        (:func:`~mtlsynth.speech.frontend.voice_variants`: ``m1`` ... ``m8``,
        ``f1`` ... ``f5``, ...), each a speaker who speaks
        every dialect into ``OUT/<dialect>/<speaker>/{wav,lab}``; default
        none: every dialect's own voice into ``OUT/<dialect>/{wav,lab}``.
        The dither of a speaker's files depends on the speaker's name too.
    n_utterances : int, default=200
        Utterances per dialect, named ``utt0001``, ``utt0002``, ...
    seed : int, default=0
        Seed of the sentence pool; a larger ``n_utterances`` with the same
        seed extends a smaller build.
    n_jobs : int, default=1
        Parallel worker processes (joblib; -1 for all cores).
    progress : bool, default=True
        Show progress lines on stderr (choosing the sentences, then
        synthesising them).

    Returns
    -------
    Path
        The corpus root.

    Raises
    ------
    ValueError
        For an unknown dialect or speaker, a speaker named twice, or a
        non-positive ``n_utterances``.
    CorpusError
        If ``out`` already holds a corpus built from other sentences.
    """
    from joblib import Parallel, delayed

    from mtlsynth.speech import frontend, sentences

    if dialects is None:
        dialects = list(frontend.DIALECTS)
    unknown = [d for d in dialects if d not in frontend.DIALECTS]
    if unknown:
        raise ValueError(
            f"unknown dialect(s) {unknown}; choose from {list(frontend.DIALECTS)}"
        )
    for speaker in speakers or []:
        frontend._check_variant(speaker)
    if speakers is not None and len(set(speakers)) != len(speakers):
        raise ValueError(f"speakers are named more than once: {list(speakers)}")
    if int(n_utterances) != n_utterances or n_utterances < 1:
        raise ValueError(
            f"n_utterances must be a positive integer, got {n_utterances!r}"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sentences = sentences.select_sentences(
        int(n_utterances), seed=seed, progress=progress
    )
    names = [f"utt{i + 1:04d}" for i in range(len(sentences))]
    prompts_path = out / "prompts.txt"
    prompts = read_prompts(out)
    for name, text in zip(names, sentences, strict=True):
        if prompts.get(name, text) != text:
            raise CorpusError(
                f"{prompts_path}: {name} was built from {prompts[name]!r}, not "
                f"{text!r}; build into another folder or use the same seed"
            )
        prompts[name] = text
    with atomic_open(prompts_path, "w") as f:
        f.writelines(f"{k} {prompts[k]}\n" for k in sorted(prompts))

    todo: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
    for cell in [(d, s) for d in dialects for s in speakers or [None]]:
        folder = _cell_folder(out, *cell)
        for name, text in zip(names, sentences, strict=True):
            wav = folder / "wav" / f"{name}.wav"
            lab = folder / "lab" / f"{name}.lab"
            if not (wav.is_file() and lab.is_file()):
                todo.setdefault(cell, []).append((name, text))
    total = sum(len(v) for v in todo.values())
    if total:
        chunk = 10
        jobs = [
            delayed(_synthesize_chunk)(
                out, cell, items[i : i + chunk], seed, os.getpid()
            )
            for cell, items in todo.items()
            for i in range(0, len(items), chunk)
        ]
        bar = Progress(total, "synthesising", enabled=progress)
        for done in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
            bar.update(done)
    return out
