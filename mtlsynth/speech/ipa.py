"""Articulatory features of IPA segments.

A phone's features are read off its IPA transcription: a vowel's height
(``high``, ``mid``, ``low``), backness (``front``, ``central``, ``back``),
rounding, laxness, reduction, length and r-colouring; a diphthong's first
vowel with ``diphthong`` and the direction of its glide (``glide-front``,
``glide-back``, ``glide-central``); a consonant's places, manners, voicing,
sibilance, r-colouring, rounding, aspiration and syllabicity. Every class a
phone set needs comes from here, never from the spelling of its symbols.

Examples
--------
>>> from mtlsynth.speech.ipa import ipa_features
>>> sorted(ipa_features("aɪ"))
['diphthong', 'front', 'glide-front', 'low', 'voiced', 'vowel']
>>> sorted(ipa_features("t͡ʃ"))
['affricate', 'consonant', 'postalveolar', 'sibilant']
"""

from __future__ import annotations

import unicodedata

__all__ = ["CLASSES", "PLACES", "SILENCE_CLASS", "ipa_features"]

#: The class of silences and pauses.
SILENCE_CLASS = "silence"

_VOWELS = {
    "i": "high front",
    "y": "high front rounded",
    "ɨ": "high central reduced",
    "ᵻ": "high central reduced",
    "ʉ": "high central rounded",
    "ɯ": "high back",
    "u": "high back rounded",
    "ɪ": "high front lax",
    "ʏ": "high front rounded lax",
    "ʊ": "high back rounded lax",
    "e": "mid front",
    "ø": "mid front rounded",
    "ɘ": "mid central",
    "ɵ": "mid central rounded",
    "ɤ": "mid back",
    "o": "mid back rounded",
    "ə": "mid central reduced",
    "ɚ": "mid central reduced rhotic",
    "ɛ": "mid front lax",
    "œ": "mid front rounded lax",
    "ɜ": "mid central lax",
    "ɝ": "mid central rhotic",
    "ɞ": "mid central rounded lax",
    "ʌ": "mid central lax",
    "ɔ": "mid back rounded",
    "æ": "low front",
    "ɐ": "low central reduced",
    "a": "low front",
    "ɶ": "low front rounded",
    "ä": "low central",
    "ɑ": "low back",
    "ɒ": "low back rounded",
}

_CONSONANTS = {
    "p": "bilabial stop",
    "b": "bilabial stop voiced",
    "t": "alveolar stop",
    "d": "alveolar stop voiced",
    "ʈ": "retroflex stop",
    "ɖ": "retroflex stop voiced",
    "c": "palatal stop",
    "ɟ": "palatal stop voiced",
    "k": "velar stop",
    "ɡ": "velar stop voiced",
    "g": "velar stop voiced",
    "q": "uvular stop",
    "ɢ": "uvular stop voiced",
    "ʔ": "glottal stop",
    "m": "bilabial nasal voiced",
    "ɱ": "labiodental nasal voiced",
    "n": "alveolar nasal voiced",
    "ɳ": "retroflex nasal voiced",
    "ɲ": "palatal nasal voiced",
    "ŋ": "velar nasal voiced",
    "ɴ": "uvular nasal voiced",
    "ʙ": "bilabial trill voiced",
    "r": "alveolar trill voiced rhotic",
    "ʀ": "uvular trill voiced rhotic",
    "ɾ": "alveolar tap voiced",
    "ɽ": "retroflex tap voiced rhotic",
    "ⱱ": "labiodental tap voiced",
    "ɸ": "bilabial fricative",
    "β": "bilabial fricative voiced",
    "f": "labiodental fricative",
    "v": "labiodental fricative voiced",
    "θ": "dental fricative",
    "ð": "dental fricative voiced",
    "s": "alveolar fricative sibilant",
    "z": "alveolar fricative sibilant voiced",
    "ʃ": "postalveolar fricative sibilant",
    "ʒ": "postalveolar fricative sibilant voiced",
    "ʂ": "retroflex fricative sibilant",
    "ʐ": "retroflex fricative sibilant voiced",
    "ɕ": "palatal fricative sibilant",
    "ʑ": "palatal fricative sibilant voiced",
    "ç": "palatal fricative",
    "ʝ": "palatal fricative voiced",
    "x": "velar fricative",
    "ɣ": "velar fricative voiced",
    "χ": "uvular fricative",
    "ʁ": "uvular fricative voiced rhotic",
    "ħ": "pharyngeal fricative",
    "ʕ": "pharyngeal fricative voiced",
    "h": "glottal fricative",
    "ɦ": "glottal fricative voiced",
    "ɬ": "alveolar fricative lateral",
    "ɮ": "alveolar fricative lateral voiced",
    "ʋ": "labiodental approximant voiced",
    "ɹ": "alveolar approximant voiced rhotic",
    "ɻ": "retroflex approximant voiced rhotic",
    "j": "palatal approximant voiced",
    "ɰ": "velar approximant voiced",
    "w": "bilabial velar approximant voiced rounded",
    "ʍ": "bilabial velar approximant rounded",
    "ɥ": "palatal approximant voiced rounded",
    "l": "alveolar lateral approximant voiced",
    "ɫ": "alveolar velar lateral approximant voiced",
    "ɭ": "retroflex lateral approximant voiced",
    "ʎ": "palatal lateral approximant voiced",
    "ʟ": "velar lateral approximant voiced",
}

# single letters that stand for two segments
_LIGATURES = {"ʧ": "tʃ", "ʤ": "dʒ", "ʦ": "ts", "ʣ": "dz", "ʨ": "tɕ", "ʥ": "dʑ"}

# modifier letters and combining marks: what each adds (+) or removes (-)
_MODIFIERS = {
    "ː": "+long",
    "ˑ": "+long",
    "\u0329": "+syllabic",
    "\u030d": "+syllabic",
    "ʰ": "+aspirated",
    "ʷ": "+rounded",
    "˞": "+rhotic",
    "\u0325": "-voiced",
    "\u030a": "-voiced",
    "\u032c": "+voiced",
    "\u032a": "@dental",
    "\u0306": "+reduced",
}
# marks that change no class: non-syllabic, palatalized, velarized,
# unreleased, nasalized, advanced, retracted, raised, lowered, centralized,
# more/less rounded, creaky, breathy, ejective, schwa offglide (the breve,
# extra-short, marks a reduced vowel)
_IGNORED = set(
    "\u032f\u0311ʲˠ\u031a\u0303\u031f\u0320\u031d\u031e\u0308\u0339\u031c"
    "\u0330\u0324ʼᵊ\u0334"
)
_REMOVED = set("ˈˌ.\u0361\u035c")  # stress, syllable break, tie bars

_GLIDES = {"j": "i", "w": "u", "ɥ": "y"}


def _segments(ipa: str) -> list[tuple[str, set[str]]]:
    """Base letters of an IPA string with the classes their marks add."""
    text = unicodedata.normalize("NFC", ipa)
    text = "".join(_LIGATURES.get(ch, ch) for ch in text if ch not in _REMOVED)
    segments: list[tuple[str, set[str]]] = []
    for ch in text:
        # a precomposed letter not in the tables (ẽ) is a letter and a mark
        known = ch in _VOWELS or ch in _CONSONANTS
        for part in ch if known else unicodedata.normalize("NFD", ch):
            if part in _VOWELS or part in _CONSONANTS:
                segments.append((part, set()))
            elif (part in _MODIFIERS or part in _IGNORED) and segments:
                segments[-1][1].add(_MODIFIERS.get(part, ""))
            else:
                raise ValueError(f"IPA {ipa!r} has a symbol outside the IPA: {ch!r}")
    if not segments:
        raise ValueError(f"IPA {ipa!r} has no segment")
    return segments


def _segment_classes(letter: str, marks: set[str]) -> set[str]:
    if letter in _VOWELS:
        classes = {"vowel", "voiced", *_VOWELS[letter].split()}
    else:
        classes = {"consonant", *_CONSONANTS[letter].split()}
    for mark in marks - {""}:
        if mark.startswith("+"):
            classes.add(mark[1:])
        elif mark.startswith("-"):
            classes.discard(mark[1:])
        else:  # a new place
            classes -= set(PLACES)
            classes.add(mark[1:])
    return classes


#: Places of articulation from the lips back.
PLACES: tuple[str, ...] = (
    "bilabial",
    "labiodental",
    "dental",
    "alveolar",
    "postalveolar",
    "retroflex",
    "palatal",
    "velar",
    "uvular",
    "pharyngeal",
    "glottal",
)


def _glide(classes: set[str]) -> str:
    if "front" in classes:
        return "glide-front"
    if "back" in classes:
        return "glide-back"
    return "glide-central"


def _diphthong(parts: list[set[str]]) -> set[str]:
    """A vowel sequence: the first vowel, gliding towards the last."""
    classes = set(parts[0]) | {"diphthong", _glide(parts[-1])}
    for extra in ("rounded", "rhotic", "long"):
        if any(extra in p for p in parts[1:]):
            classes.add(extra)
    classes.discard("reduced")
    return classes


def _affricate(parts: list[set[str]]) -> set[str] | None:
    """A stop released into a fricative, or None."""
    if len(parts) != 2 or "stop" not in parts[0] or "fricative" not in parts[1]:
        return None
    classes = (parts[1] - {"fricative"}) | {"affricate"}
    return classes if "voiced" in parts[0] or "voiced" not in parts[1] else None


def ipa_features(ipa: str) -> frozenset[str]:
    """Articulatory classes of one phone written in IPA.

    Parameters
    ----------
    ipa : str
        The phone: one segment with its diacritics (``tʰ``, ``iː``, ``n̩``),
        a diphthong (``aɪ``, ``aj``, ``oʊ``), or an affricate (``tʃ``,
        ``d͡ʒ``, ``ʤ``). Stress marks and tie bars are ignored.

    Returns
    -------
    frozenset of str
        The classes (see the module documentation).

    Raises
    ------
    ValueError
        If ``ipa`` is empty, has a symbol outside the IPA, or is not one
        phone (a consonant cluster, a consonant and a vowel).
    """
    segments = _segments(ipa)
    # a glide after a vowel is its offglide (aj, ow)
    if len(segments) > 1 and segments[0][0] in _VOWELS:
        segments = [(_GLIDES.get(s[0], s[0]), s[1]) for s in segments]
    parts = [_segment_classes(letter, marks) for letter, marks in segments]
    if len(parts) == 1:
        return frozenset(parts[0])
    if all("vowel" in p for p in parts):
        return frozenset(_diphthong(parts))
    affricate = _affricate(parts)
    if affricate is not None:
        return frozenset(affricate)
    raise ValueError(f"IPA {ipa!r} is not one phone")


#: Every class :func:`ipa_features` can give, and ``silence``, sorted.
CLASSES: tuple[str, ...] = tuple(
    sorted(
        {c for v in (*_VOWELS.values(), *_CONSONANTS.values()) for c in v.split()}
        | {"vowel", "consonant", "voiced", "affricate", "diphthong", SILENCE_CLASS}
        | {"glide-front", "glide-back", "glide-central"}
        | {m[1:] for m in _MODIFIERS.values()}
    )
)
