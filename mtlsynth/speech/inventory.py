"""A corpus's phones: which phone set they belong to, and which they do not.

:func:`corpus_phones` counts the phones of a corpus's labels, finds (or
takes) their phone set and lists every phone outside it with its count and
the first file and line where it occurs; :func:`check_corpus_phones` turns
such phones into an error before any training.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mtlsynth.speech.corpus import Corpus
from mtlsynth.speech.errors import CorpusError, where
from mtlsynth.speech.phonesets import PhoneSet, detect_phone_set

__all__ = ["PhoneReport", "check_corpus_phones", "corpus_phones"]


@dataclass(frozen=True)
class PhoneReport:
    """The phones of a corpus against a phone set.

    Parameters
    ----------
    phone_set : PhoneSet
        The set given, or the shipped set that knows most phones.
    detected : bool
        Whether the set was detected rather than given.
    counts : Counter
        Occurrences of every phone as the labels write it.
    unknown : dict of str to tuple of (int, str)
        Every phone outside the set: its count and where it first occurs
        (``file:line``).
    """

    phone_set: PhoneSet
    detected: bool
    counts: Counter
    unknown: dict[str, tuple[int, str]]

    def summary(self) -> str:
        """One line per finding: the set, then every unknown phone.

        Returns
        -------
        str
            The report, for people.
        """
        bases = {self.phone_set.split(p)[0] for p in self.counts}
        how = "detected" if self.detected else "given"
        lines = [
            f"phone set: {self.phone_set.name} ({how}); {len(bases)} phones, "
            f"{len(self.unknown)} outside it"
        ]
        for phone, (n, first) in sorted(self.unknown.items(), key=lambda x: -x[1][0]):
            lines.append(f"{first}: phone {phone!r} ({n}x) is not in the set")
        return "\n".join(lines)


def _first_line(path: Path, index: int, phone: str) -> str:
    """``file:line`` of a label's ``index``-th segment, or of the first
    mention of ``phone`` in a TextGrid."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return str(path)
    if path.suffix.lower() == ".lab":
        segments = [i for i, line in enumerate(lines, 1) if line.split()]
        return where(path, segments[index]) if index < len(segments) else str(path)
    quoted = f'"{phone}"'
    line = next((i for i, text in enumerate(lines, 1) if quoted in text), None)
    return where(path, line) if line else str(path)


def corpus_phones(corpus: Corpus, phone_set: PhoneSet | None = None) -> PhoneReport:
    """Count a corpus's phones and check them against a phone set.

    Parameters
    ----------
    corpus : Corpus
        The corpus.
    phone_set : PhoneSet, optional
        The labels' set; by default the shipped set that knows most of them.

    Returns
    -------
    PhoneReport
        The set, the counts and the phones outside the set.
    """
    counts = Counter(p for u in corpus.utterances for p in u.label.phones)
    chosen = phone_set or detect_phone_set(counts)
    unknown: dict[str, tuple[int, str]] = {}
    for utt in corpus.utterances:
        for i, phone in enumerate(utt.label.phones):
            if phone not in unknown and chosen.split(phone)[0] not in chosen:
                first = _first_line(utt.label_path, i, phone)
                unknown[phone] = (counts[phone], first)
    return PhoneReport(chosen, phone_set is None, counts, unknown)


def check_corpus_phones(corpus: Corpus, phone_set: PhoneSet | None = None) -> None:
    """Refuse a corpus with phones outside its phone set.

    Parameters
    ----------
    corpus : Corpus
        The corpus.
    phone_set : PhoneSet, optional
        The labels' set; by default the shipped set that knows most of them.

    Raises
    ------
    CorpusError
        Naming the set and every phone outside it, with its count and the
        first file and line where it occurs.
    """
    report = corpus_phones(corpus, phone_set)
    if report.unknown:
        raise CorpusError(
            f"{corpus.root}: phones outside the phone set; give a table that "
            "has them (mtlsynth train ... --phone-set TABLE.tsv):\n" + report.summary()
        )
