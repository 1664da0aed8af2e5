"""A corpus written again in another phone set, as a forced aligner would.

:func:`relabel_corpus` reads a corpus, writes every label's phones in
another phone set (through their IPA, see
:func:`~mtlsynth.speech.phonesets.translate`) with the same times, and
writes Praat TextGrids with ``words`` and ``phones`` tiers (the layout of
the Montreal Forced Aligner's output) or HTK labels; the audio is linked,
not copied, where the file system allows it. A voice trained on the
relabelled corpus speaks text through a front end
(:class:`~mtlsynth.speech.synthesizer.ParametricSynthesizer`'s
``frontend``) translated into the new set.
"""

from __future__ import annotations

import os
import string
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mtlsynth.speech.corpus import Corpus, read_corpus, read_prompts
from mtlsynth.speech.errors import CorpusError
from mtlsynth.speech.labels import (
    _SILENCE_WORDS,
    Label,
    write_htk_label,
    write_textgrid,
)
from mtlsynth.speech.phonesets import (
    PhoneSet,
    detect_phone_set,
    get_phone_set,
    translate,
)
from mtlsynth.speech.training import _corpus_words
from mtlsynth.utils.files import atomic_open, check_output_path, link_or_copy
from mtlsynth.utils.progress import Progress

__all__ = ["relabel_corpus"]

# stripped from either end of a prompt's words
_PUNCTUATION = string.punctuation + "“”‘’«»„‚–—…¿¡"


def _dialect_folders(
    dialects: tuple[str, ...], rename: Mapping[str, str] | None
) -> dict[str, str]:
    """The output folder of every dialect, checked."""
    rename = dict(rename or {})
    unknown = sorted(set(rename) - set(dialects))
    if unknown:
        raise ValueError(
            f"rename names dialects the corpus does not have: {unknown}; "
            f"it has {list(dialects)}"
        )
    folders = {d: rename.get(d, d) for d in dialects}
    for name in folders.values():
        if (
            not isinstance(name, str)
            or not name
            or name.startswith(".")
            or any(sep and sep in name for sep in ("/", os.sep, os.altsep))
        ):
            raise ValueError(
                f"dialect folder name {name!r} must be a non-empty name without "
                "path separators, not starting with '.'"
            )
    twice = [n for n, k in Counter(folders.values()).items() if k > 1]
    if twice:
        raise ValueError(f"rename gives several dialects the folder(s) {twice}")
    return folders


def _word_runs(word_index: np.ndarray, silence: np.ndarray) -> np.ndarray:
    """Words numbered 0, 1, ... by runs of segments, pauses outside words.

    A pause inside a word splits it in two, as the linguistic features read
    words, so a words tier can hold every word.
    """
    w = np.where(silence, -1, word_index)
    in_word = w >= 0
    new = in_word & np.r_[True, w[1:] != w[:-1]]
    return np.where(in_word, np.cumsum(new) - 1, -1)


def _word_texts(text: str | None, n_words: int) -> list[str] | None:
    """The prompt's words if it has ``n_words`` of them (None: placeholders)."""
    if text is None:
        return None
    words = [w.strip(_PUNCTUATION) for w in text.split()]
    words = [w for w in words if w]
    if len(words) != n_words or any(w.lower() in _SILENCE_WORDS for w in words):
        return None
    return words


def _relabelled(
    corpus: Corpus, source: PhoneSet, target: PhoneSet, textgrid: bool
) -> tuple[list[list[str]], dict[str, str]]:
    """Every label's phones in ``target``, and the substitutions made.

    Raises CorpusError naming every label with phones ``source`` lacks,
    before anything is written.
    """
    names, substitutions, errors = [], {}, []
    for utt in corpus.utterances:
        try:
            phones, subs = translate(utt.label.phones, source, target)
        except ValueError as error:
            errors.append(f"{utt.label_path}: {error}")
            continue
        substitutions.update(subs)
        if textgrid:  # pauses as empty intervals, as aligners write them
            phones = ["" if target.is_silence(p) else p for p in phones]
        names.append(phones)
    if errors:
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise CorpusError(
            f"{len(errors)} label(s) with phones outside the phone set "
            f"{source.name!r}:\n" + "\n".join(errors[:20]) + more
        )
    return names, substitutions


def relabel_corpus(
    source: str | os.PathLike,
    out: str | os.PathLike,
    phone_set: str | PhoneSet,
    *,
    rename: Mapping[str, str] | None = None,
    textgrid: bool = True,
    source_phone_set: str | PhoneSet | None = None,
    progress: bool = False,
) -> dict[str, str]:
    """Write a corpus again with its phones in another phone set.

    Every utterance of ``read_corpus(source)`` gets a label of the same
    segments, with the same times, whose phones are written in
    ``phone_set`` by :func:`~mtlsynth.speech.phonesets.translate` (stress
    carried over). The label is a Praat TextGrid with a ``phones`` tier
    (pauses as empty intervals) and, where the words are known, a ``words``
    tier: the label's own words, else those of eSpeak NG's transcription of
    the prompt where its phones match the label (as training finds them).
    A pause inside a word splits it, as the linguistic features read it.
    Words take their text from ``prompts.txt`` when the prompt has as many
    words, else are named ``w0``, ``w1``, ... The wav files are hard-linked
    (copied where links are refused) and ``prompts.txt`` is copied. Every
    file is written atomically::

        OUT/<folder>/wav/<utt>.wav
        OUT/<folder>/lab/<utt>.TextGrid    (or <utt>.lab)
        OUT/prompts.txt

    (``OUT/<folder>/<speaker>/...`` for a dialect with speaker folders).

    Parameters
    ----------
    source : str or path-like
        The corpus to relabel (see :func:`~mtlsynth.speech.read_corpus`).
    out : str or path-like
        Folder of the relabelled corpus; created if needed. A label of the
        other kind (``.lab`` beside a written ``.TextGrid``, or the reverse)
        of the same utterance is removed, since readers prefer ``.lab``.
    phone_set : str or PhoneSet
        The set to write in: a name of
        :data:`~mtlsynth.speech.phonesets.PHONE_SETS` (``"arpabet"``,
        ``"mfa"``, ``"radio"``, ...) or a
        :class:`~mtlsynth.speech.phonesets.PhoneSet`.
    rename : mapping of str to str, optional
        Folder of a dialect (a speaker's name, say) instead of its own name.
    textgrid : bool, default=True
        Write TextGrids; False writes HTK labels (``pau`` pauses), which
        cannot hold words.
    source_phone_set : str or PhoneSet, optional
        The set of the corpus's labels; by default the shipped set that
        knows its phones (:func:`~mtlsynth.speech.phonesets.detect_phone_set`).
    progress : bool, default=False
        Report progress on stderr.

    Returns
    -------
    dict of str to str
        Every source phone (without stress) that ``phone_set`` has no phone
        of the same IPA or the same classes for, and the nearest phone
        written instead (see :func:`~mtlsynth.speech.phonesets.translate`).

    Raises
    ------
    CorpusError
        If the corpus cannot be read, or labels have phones outside the
        source set (nothing is written then).
    ValueError
        If a phone set is unknown, ``rename`` names a dialect the corpus
        lacks, gives a folder name with a path separator or a leading ``.``,
        or the same folder to two dialects, or ``out`` is ``source``.
    OSError
        If ``out`` cannot be written.

    See Also
    --------
    mtlsynth.speech.phonesets.translate : The translation of phones.
    mtlsynth.speech.write_textgrid : The TextGrids written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from mtlsynth.speech import (
    ...     build_corpus, read_corpus, read_label, relabel_corpus)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> work = Path(tmp.name)
    >>> root = build_corpus(work / "espeak", dialects=["en-US"], n_utterances=1,
    ...                     progress=False)
    >>> _ = relabel_corpus(root, work / "arpabet", "arpabet", rename={"en-US": "kal"})
    >>> label = read_label(work / "arpabet" / "kal" / "lab" / "utt0001.TextGrid")
    >>> label.phones[:4], label.word_index[:4].tolist()
    (('pau', 'EH1', 'V', 'R'), [-1, 0, 0, 0])
    >>> tmp.cleanup()
    """
    source, out = Path(source), Path(out)
    target = get_phone_set(phone_set)
    if out.resolve() == source.resolve():
        raise ValueError(f"{out}: write the relabelled corpus to another folder")
    corpus = read_corpus(source)
    folders = _dialect_folders(corpus.dialects, rename)
    check_output_path(out, folder=True)
    counts = Counter(p for u in corpus.utterances for p in u.label.phones)
    from_set = (
        detect_phone_set(counts)
        if source_phone_set is None
        else get_phone_set(source_phone_set, "source phone set")
    )
    names, substitutions = _relabelled(corpus, from_set, target, textgrid)
    words = _corpus_words(corpus, progress)
    prompts = read_prompts(source)
    suffix, other = (".TextGrid", ".lab") if textgrid else (".lab", ".TextGrid")
    bar = Progress(len(corpus.utterances), "relabelling", enabled=progress)
    for utt, phones, (word_index, _) in zip(
        corpus.utterances, names, words, strict=True
    ):
        folder = out / folders[utt.dialect] / (utt.speaker or "")
        label = utt.label
        silence = np.array(
            [from_set.is_silence(from_set.split(p)[0]) for p in label.phones]
        )
        runs = None if word_index is None else _word_runs(word_index, silence)
        new = Label(label.start_times, label.end_times, phones, word_index=runs)
        path = folder / "lab" / f"{utt.name}{suffix}"
        if textgrid:
            n_words = 0 if runs is None else int(runs.max(initial=-1)) + 1
            texts = _word_texts(prompts.get(utt.name), n_words) if n_words else None
            write_textgrid(path, new, words=texts)
        else:
            write_htk_label(path, new)
        path.with_suffix(other).unlink(missing_ok=True)
        link_or_copy(utt.wav_path, folder / "wav" / f"{utt.name}.wav")
        bar.update()
    if (source / "prompts.txt").is_file():
        with atomic_open(out / "prompts.txt", "wb") as f:
            f.write((source / "prompts.txt").read_bytes())
    return substitutions
