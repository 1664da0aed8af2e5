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

import warnings
from collections import Counter
from collections.abc import Mapping
from typing import Any

from mtlsynth.speech import frontend
from mtlsynth.speech.errors import PhoneSubstitutionWarning
from mtlsynth.speech.phones import PhoneSequence
from mtlsynth.speech.phonesets import PHONE_SETS, translate

__all__ = ["MAX_SUBSTITUTED", "check_frontend", "frontend_dialect", "voice_sequence"]

#: Largest share of an utterance's speech phones that may be replaced by
#: their nearest seen phones; beyond it a voice refuses to speak.
MAX_SUBSTITUTED = 1 / 3


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


def voice_sequence(
    utterance: Any, *, dialect: str, frontends: Any, features: Any, frame_period: float
) -> PhoneSequence:
    """The phones a voice speaks for text or for phones.

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
    phone_set = features.phone_set_
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
        source = PHONE_SETS["espeak"]
    else:
        seq = PhoneSequence.coerce(utterance, frame_period=frame_period)
        if not seq.phones:
            raise ValueError("the utterance has no phones")
        source = phone_set
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
    _report(seq.phones, source, substitutions)
    return PhoneSequence(tuple(phones), seq.frames, seq.word_index, seq.question)


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
