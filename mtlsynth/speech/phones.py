"""Phones: phonetic classes, stress, and phone sequences."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mtlsynth.speech.labels import SILENCE, Label

__all__ = [
    "PHONE_CLASSES",
    "PHONE_TABLE",
    "PhoneSequence",
    "lookup_phone",
    "split_stress",
]

_V, _C = "vowel", "consonant"


def _vowel(*classes: str) -> tuple[str, ...]:
    return (_V, "voiced", *classes)


def _cons(place: str, manner: str, *extra: str) -> tuple[str, ...]:
    return (_C, place, manner, *extra)


#: Phonetic classes of the eSpeak NG English phones (stress marks removed).
PHONE_TABLE: dict[str, tuple[str, ...]] = {
    SILENCE: ("silence",),
    # monophthongs
    "i": _vowel("front", "high"),
    "i:": _vowel("front", "high", "long"),
    "I": _vowel("front", "high", "lax"),
    "I2": _vowel("front", "high", "lax", "reduced"),
    "I#": _vowel("central", "high", "lax", "reduced"),
    "e": _vowel("front", "mid"),
    "e:": _vowel("front", "mid", "long"),
    "E": _vowel("front", "mid", "lax"),
    "a": _vowel("front", "low"),
    "a:": _vowel("front", "low", "long"),
    "a#": _vowel("central", "low", "reduced"),
    "aa": _vowel("central", "low", "long"),
    "A": _vowel("back", "low"),
    "A:": _vowel("back", "low", "long"),
    "0": _vowel("back", "low", "rounded"),
    "O": _vowel("back", "mid", "rounded"),
    "O:": _vowel("back", "mid", "rounded", "long"),
    "O2": _vowel("back", "mid", "rounded"),
    "o": _vowel("back", "mid", "rounded"),
    "o:": _vowel("back", "mid", "rounded", "long"),
    "V": _vowel("central", "mid", "lax"),
    "U": _vowel("back", "high", "rounded", "lax"),
    "u": _vowel("back", "high", "rounded"),
    "u:": _vowel("back", "high", "rounded", "long"),
    "@": _vowel("central", "mid", "reduced"),
    "@2": _vowel("central", "mid", "reduced"),
    "@5": _vowel("central", "mid", "reduced"),
    "3": _vowel("central", "mid", "reduced", "rhotic"),
    "3:": _vowel("central", "mid", "long", "rhotic"),
    "r-": _vowel("central", "mid", "reduced", "rhotic", "syllabic"),
    "IR": _vowel("front", "high", "rhotic"),
    "VR": _vowel("central", "mid", "rhotic"),
    # diphthongs
    "eI": _vowel("front", "mid", "diphthong"),
    "aI": _vowel("front", "low", "diphthong"),
    "aI2": _vowel("front", "low", "diphthong"),
    "aI3": _vowel("front", "low", "diphthong"),
    "aI@": _vowel("front", "low", "diphthong", "long"),
    "aU": _vowel("front", "low", "diphthong", "rounded"),
    "oU": _vowel("back", "mid", "diphthong", "rounded"),
    "OI": _vowel("back", "mid", "diphthong", "rounded"),
    "i@": _vowel("front", "high", "diphthong"),
    "i@3": _vowel("front", "high", "diphthong", "rhotic"),
    "e@": _vowel("front", "mid", "diphthong"),
    "U@": _vowel("back", "high", "diphthong", "rounded"),
    "O@": _vowel("back", "mid", "diphthong", "rounded", "rhotic"),
    "o@": _vowel("back", "mid", "diphthong", "rounded", "rhotic"),
    "A@": _vowel("back", "low", "diphthong", "rhotic"),
    # stops
    "p": _cons("bilabial", "stop"),
    "b": _cons("bilabial", "stop", "voiced"),
    "t": _cons("alveolar", "stop"),
    "t2": _cons("alveolar", "stop"),
    "t[": _cons("dental", "stop"),
    "t#": _cons("alveolar", "tap", "voiced"),
    "d": _cons("alveolar", "stop", "voiced"),
    "k": _cons("velar", "stop"),
    "g": _cons("velar", "stop", "voiced"),
    "?": _cons("glottal", "stop"),
    # affricates and fricatives
    "tS": _cons("postalveolar", "affricate", "sibilant"),
    "dZ": _cons("postalveolar", "affricate", "sibilant", "voiced"),
    "f": _cons("labiodental", "fricative"),
    "v": _cons("labiodental", "fricative", "voiced"),
    "T": _cons("dental", "fricative"),
    "D": _cons("dental", "fricative", "voiced"),
    "s": _cons("alveolar", "fricative", "sibilant"),
    "z": _cons("alveolar", "fricative", "sibilant", "voiced"),
    "S": _cons("postalveolar", "fricative", "sibilant"),
    "Z": _cons("postalveolar", "fricative", "sibilant", "voiced"),
    "x": _cons("velar", "fricative"),
    "C": _cons("palatal", "fricative"),
    "h": _cons("glottal", "fricative"),
    # sonorants
    "m": _cons("bilabial", "nasal", "voiced"),
    "n": _cons("alveolar", "nasal", "voiced"),
    "n-": _cons("alveolar", "nasal", "voiced", "syllabic"),
    "N": _cons("velar", "nasal", "voiced"),
    "l": _cons("alveolar", "lateral", "voiced"),
    "@L": _cons("alveolar", "lateral", "voiced", "syllabic"),
    "r": _cons("alveolar", "approximant", "voiced", "rhotic"),
    "w": _cons("bilabial", "approximant", "voiced", "rounded"),
    "w#": _cons("bilabial", "approximant", "rounded"),
    "j": _cons("palatal", "approximant", "voiced"),
    ";": _cons("palatal", "approximant", "voiced"),
}


#: Every class named in :data:`PHONE_TABLE`, in a fixed order.
PHONE_CLASSES: tuple[str, ...] = tuple(
    sorted({c for classes in PHONE_TABLE.values() for c in classes})
)


_NONE = "<none>"


_UNKNOWN = "<unknown>"


_STRESS_MARKS = {"'": 2, ",": 1}


def split_stress(phone: str) -> tuple[str, int]:
    """Split a phone name into its base phone and stress level.

    Parameters
    ----------
    phone : str
        A phone name, optionally with an eSpeak stress prefix (``'aU``,
        ``,oU``).

    Returns
    -------
    base : str
        The phone without its stress mark.
    stress : int
        2 for primary (``'``), 1 for secondary (``,``), 0 otherwise.
    """
    level = _STRESS_MARKS.get(phone[:1], 0)
    return (phone[1:], level) if level else (phone, 0)


def lookup_phone(
    phone: str, table: Mapping[str, Iterable[str]] | None = None
) -> tuple[str, ...]:
    """Phonetic classes of a phone.

    The stress mark is removed first. A phone missing from the table is
    looked up without trailing digits or ``#``, then by its first two and its
    first character (so ``@5`` finds ``@``); a phone found nowhere has no
    class.

    Parameters
    ----------
    phone : str
        Phone name, e.g. ``'aU``.
    table : mapping of str to iterable of str, optional
        Phone table; default :data:`PHONE_TABLE`.

    Returns
    -------
    tuple of str
        The class names (empty for an unknown phone).

    Examples
    --------
    >>> from mtlsynth.speech.phones import lookup_phone
    >>> lookup_phone("'aU")
    ('vowel', 'voiced', 'front', 'low', 'diphthong', 'rounded')
    >>> lookup_phone("qq")
    ()
    """
    table = PHONE_TABLE if table is None else table
    base, _ = split_stress(phone)
    candidates = (base, base.rstrip("0123456789#"), base[:2], base[:1])
    for key in candidates:
        if key and key in table:
            return tuple(table[key])
    return ()


@dataclass(frozen=True)
class PhoneSequence:
    """Phones of one utterance with optional durations and word membership.

    Parameters
    ----------
    phones : tuple of str
        Phone names (``pau`` for silences).
    frames : ndarray of int, shape (n_phones,), optional
        Duration of every phone in frames (needed for frame features).
    word_index : ndarray of int, shape (n_phones,), optional
        Index of the word of every phone, -1 for pauses; ``None`` when
        unknown.
    question : bool, default=False
        Whether the utterance is a question (text ending in ``?``); its last
        phrase gets question intonation.
    """

    phones: tuple[str, ...]
    frames: np.ndarray | None = None
    word_index: np.ndarray | None = None
    question: bool = False

    def __post_init__(self) -> None:
        phones = tuple(str(p) for p in self.phones)
        object.__setattr__(self, "phones", phones)
        for name in ("frames", "word_index"):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value, dtype=np.int64).reshape(-1)
                if len(value) != len(phones):
                    raise ValueError(
                        f"{name} has {len(value)} entries for {len(phones)} phones"
                    )
                object.__setattr__(self, name, value)
        if self.frames is not None and np.any(self.frames < 0):
            raise ValueError("frames must be non-negative")

    @classmethod
    def coerce(
        cls, utterance: Any, *, frame_period: float = 5.0, word_index: Any = None
    ) -> PhoneSequence:
        """Build from a Label, a Pronunciation, a PhoneSequence or phone names.

        Parameters
        ----------
        utterance : Label, Pronunciation, PhoneSequence or sequence of str
            The phones; a Label gives frame durations (and word membership
            when it has it), a Pronunciation also gives word membership.
        frame_period : float, default=5.0
            Frame shift in milliseconds, for the durations of a Label.
        word_index : array-like of int, optional
            Word of every phone, overriding what ``utterance`` carries.

        Returns
        -------
        PhoneSequence
            The phones with whatever timing and word information was given.
        """
        if isinstance(utterance, PhoneSequence):
            seq = utterance
        elif isinstance(utterance, Label):
            frames = utterance.segment_frames(frame_period)
            seq = cls(utterance.phones, frames, utterance.word_index)
        elif hasattr(utterance, "label") and hasattr(utterance, "word_index"):
            label = utterance.label
            seq = cls(
                label.phones, label.segment_frames(frame_period), utterance.word_index
            )
        elif isinstance(utterance, str):
            raise ValueError(
                "expected a phone sequence, got a string; split it into phones"
            )
        elif isinstance(utterance, Sequence | np.ndarray):
            seq = cls(tuple(utterance))
        else:
            raise ValueError(
                "expected a Label, Pronunciation, PhoneSequence or sequence of "
                f"phone names, got {type(utterance).__name__}"
            )
        if word_index is not None:
            seq = cls(seq.phones, seq.frames, word_index, seq.question)
        return seq
