"""Phone sequences: the phones of an utterance with their timing and words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mtlsynth.speech.labels import Label

__all__ = ["PhoneSequence"]

_NONE = "<none>"


_UNKNOWN = "<unknown>"


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
