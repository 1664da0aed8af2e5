"""What a voice is asked to speak, in the phones it was trained on.

Text goes through a dialect's text front end (an eSpeak NG voice) and its
phones are translated into the voice's phone set through their IPA
(:func:`~mtlsynth.speech.phonesets.translate`); phones given directly are
read in the voice's own set. A phone the voice's set has no twin for
becomes the set's nearest phone, as it does in a corpus relabelled into
the set (:func:`~mtlsynth.speech.relabel.relabel_corpus`). A phone the
voice never saw becomes the seen phone nearest by articulatory classes,
reported once per call in a :class:`~mtlsynth.speech.errors.PhoneSubstitutionWarning`;
when more than :data:`MAX_SUBSTITUTED` of the phones would need that, the
voice refuses.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Mapping
from typing import Any

from mtlsynth.speech import frontend
from mtlsynth.speech.errors import PhoneSubstitutionWarning
from mtlsynth.speech.phones import PhoneSequence
from mtlsynth.speech.phonesets import PHONE_SETS, translate

__all__ = [
    "MAX_SUBSTITUTED",
    "MAX_WORDS",
    "check_frontend",
    "frontend_dialect",
    "split_text",
    "voice_sequence",
    "voice_sequences",
]

#: Largest share of an utterance's speech phones that may be replaced by
#: their nearest seen phones; beyond it a voice refuses to speak.
MAX_SUBSTITUTED = 1 / 3

#: Most words spoken as one utterance (see :func:`split_text`).
MAX_WORDS = 60

# after a sentence's final mark and any closing quotes or brackets, or a blank line
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n\s*\n")


def check_frontend(frontends: Any) -> dict[str, str] | str | None:
    """Check a voice's ``frontend`` setting.

    Parameters
    ----------
    frontends : None, str or mapping of str to str
        None (dialects named like eSpeak NG dialects are their own front
        end), one eSpeak NG dialect for every dialect, or one per dialect.

    Returns
    -------
    None, str or dict
        The setting, a mapping copied to a dict.

    Raises
    ------
    ValueError
        If a front end is not an eSpeak NG dialect.
    """
    if frontends is None:
        return None
    names = [frontends] if isinstance(frontends, str) else None
    if names is None:
        if not isinstance(frontends, Mapping):
            raise ValueError(
                "frontend must be an eSpeak NG dialect or a mapping of dialects "
                f"to eSpeak NG dialects, got {type(frontends).__name__}"
            )
        frontends = dict(frontends)
        names = list(frontends.values())
    for name in names:
        if name not in frontend.DIALECTS:
            raise ValueError(
                f"unknown text front end {name!r}; eSpeak NG dialects are "
                f"{list(frontend.DIALECTS)}"
            )
    return frontends


def frontend_dialect(dialect: str, frontends: Any) -> str:
    """The eSpeak NG dialect that transcribes a dialect's text.

    Parameters
    ----------
    dialect : str
        The voice's dialect.
    frontends : None, str or mapping of str to str
        The voice's ``frontend`` setting (see :func:`check_frontend`).

    Returns
    -------
    str
        A key of :data:`mtlsynth.speech.frontend.DIALECTS`.

    Raises
    ------
    ValueError
        If the dialect has no front end.
    """
    if isinstance(frontends, str):
        return frontends
    if isinstance(frontends, Mapping) and dialect in frontends:
        return frontends[dialect]
    if dialect in frontend.DIALECTS:
        return dialect
    raise ValueError(
        f"dialect {dialect!r} has no text front end: give the voice one "
        f"(mtlsynth train ... --frontend {dialect}=en-US, or "
        f"set_params(frontend={{{dialect!r}: 'en-US'}})), or speak phones"
    )


def split_text(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """The sentences of a text, each short enough to speak as one utterance.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (and any closing quotes
    or brackets) before white space, or at a blank line. A sentence longer
    than ``max_words`` words is cut after its last comma, semicolon or
    colon within the limit, or at the limit where it has none.

    Parameters
    ----------
    text : str
        Text of any length.
    max_words : int, default=MAX_WORDS
        Most words in one piece.

    Returns
    -------
    list of str
        The pieces, in order, without empty ones.

    Examples
    --------
    >>> split_text("Hello there. Is it you?  Yes!")
    ['Hello there.', 'Is it you?', 'Yes!']
    >>> split_text("one, two three, four five", max_words=3)
    ['one, two three,', 'four five']
    """
    pieces = []
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        while len(words) > max_words:
            cut = max(
                (i + 1 for i, w in enumerate(words[:max_words]) if w[-1] in ",;:"),
                default=max_words,
            )
            pieces.append(" ".join(words[:cut]))
            words = words[cut:]
        if words:
            pieces.append(" ".join(words))
    return pieces


def voice_sequence(
    utterance: Any, *, dialect: str, frontends: Any, features: Any, frame_period: float
) -> PhoneSequence:
    """The phones a voice speaks for text or for phones, as one utterance.

    Parameters
    ----------
    utterance : str, Label, Pronunciation, PhoneSequence or sequence of str
        Text, or phones in the voice's phone set.
    dialect : str
        Dialect to speak.
    frontends : None, str or mapping of str to str
        The voice's ``frontend`` setting.
    features : LinguisticFeatures
        The voice's fitted features (phone set, inventory, stress).
    frame_period : float
        Frame shift in milliseconds (durations of a Label).

    Returns
    -------
    PhoneSequence
        Phones the voice saw in training, with the input's timing and words.

    Raises
    ------
    ValueError
        If the text is empty, a phone is not in the voice's set, or too many
        phones are outside what the voice saw.
    """
    source, seq = _read(utterance, dialect, frontends, features, frame_period)
    translated, substitutions = _translate(seq, source, features)
    _report(seq.phones, source, substitutions)
    return translated


def voice_sequences(
    utterance: Any, *, dialect: str, frontends: Any, features: Any, frame_period: float
) -> list[PhoneSequence]:
    """The phones a voice speaks, one utterance per sentence of a text.

    Text is cut into sentences (:func:`split_text`), each transcribed on its
    own; substitutions are reported once for the whole text. Phones or a
    Label are one utterance.

    Parameters
    ----------
    utterance : str, Label, Pronunciation, PhoneSequence or sequence of str
        Text, or phones in the voice's phone set.
    dialect : str
        Dialect to speak.
    frontends : None, str or mapping of str to str
        The voice's ``frontend`` setting.
    features : LinguisticFeatures
        The voice's fitted features (phone set, inventory, stress).
    frame_period : float
        Frame shift in milliseconds (durations of a Label).

    Returns
    -------
    list of PhoneSequence
        One per sentence with words to speak, in order.

    Raises
    ------
    ValueError
        As :func:`voice_sequence`, for the text as a whole.
    """
    if not isinstance(utterance, str):
        utterance = [utterance]
    else:
        if not utterance.strip():
            raise ValueError("text is empty")
        # a piece of punctuation alone ("...") has nothing to say
        utterance = [s for s in split_text(utterance) if any(map(str.isalnum, s))]
        if not utterance:
            raise ValueError("no words to speak in the text")
    read = [_read(u, dialect, frontends, features, frame_period) for u in utterance]
    translated = [_translate(seq, source, features) for source, seq in read]
    source = read[0][0]
    phones = tuple(p for _, seq in read for p in seq.phones)
    substitutions = {b: p for _, subs in translated for b, p in subs.items()}
    _report(phones, source, substitutions)
    return [seq for seq, _ in translated]


def _read(utterance, dialect, frontends, features, frame_period):
    """The phone set an input is written in, and its phones (text transcribed)."""
    if isinstance(utterance, str):
        if not utterance.strip():
            raise ValueError("text is empty")
        pron = frontend.phonemes(
            utterance, dialect=frontend_dialect(dialect, frontends)
        )
        if all(p == "pau" for p in pron.phones):
            raise ValueError(f"no words to speak in {utterance!r}")
        question = utterance.strip().endswith("?")
        seq = PhoneSequence(pron.phones, None, pron.word_index, question)
        return PHONE_SETS["espeak"], seq
    seq = PhoneSequence.coerce(utterance, frame_period=frame_period)
    if not seq.phones:
        raise ValueError("the utterance has no phones")
    return features.phone_set_, seq


def _translate(seq: PhoneSequence, source: Any, features: Any) -> tuple:
    """Phones in the voice's set and the seen phones that stand in for others."""
    phone_set = features.phone_set_
    phones, substitutions = translate(
        seq.phones,
        source,
        phone_set,
        features.inventory_.tolist(),
        stress=features.stressed_,
    )
    if substitutions:
        # a phone the set itself has no twin for (eSpeak's ``A@`` in ARPAbet)
        # becomes what it became in a corpus relabelled into the set: the
        # voice saw that; only a phone spoken otherwise is news
        _, by_set = translate(list(substitutions), source, phone_set, stress=False)
        substitutions = {b: p for b, p in substitutions.items() if by_set.get(b) != p}
    translated = PhoneSequence(tuple(phones), seq.frames, seq.word_index, seq.question)
    return translated, substitutions


def _report(phones: tuple[str, ...], source: Any, substitutions: dict) -> None:
    """Warn of substitutions once; refuse when there are too many."""
    if not substitutions:
        return
    bases = [source.split(p)[0] for p in phones]
    speech = [b for b in bases if not source.is_silence(b)]
    counts = Counter(b for b in speech if b in substitutions)
    listed = ", ".join(f"{b} -> {substitutions[b]} ({n}x)" for b, n in counts.items())
    share = sum(counts.values()) / max(len(speech), 1)
    if share > MAX_SUBSTITUTED:
        raise ValueError(
            f"{share:.0%} of the phones are outside what the voice was trained "
            f"on ({listed}); its phone set or dialect does not fit this input"
        )
    warnings.warn(
        f"phones the voice never saw, spoken as the nearest it saw: {listed}",
        PhoneSubstitutionWarning,
        stacklevel=3,
    )
