"""Phone sets as data: symbols, their IPA, stress notation and silences.

A :class:`PhoneSet` names every phone of a labelling convention by its IPA
transcription; a phone's classes (the phonetic features of
:class:`~mtlsynth.speech.features.LinguisticFeatures`) are derived from the
IPA by :func:`~mtlsynth.speech.ipa.ipa_features`, or given by the table.
Shipped sets (:data:`PHONE_SETS`): ``espeak`` (eSpeak NG's English
mnemonics, the built-in corpus), ``arpabet`` (the CMU dictionary and the
Montreal Forced Aligner's ARPAbet, stress digits split off), ``mfa`` (the
aligner's IPA English phones), ``radio`` (Festival's set of CMU ARCTIC and
HTS labels) and ``xsampa``. A user's table is read by :func:`read_phone_set`
from TSV or JSON.

Every set treats :data:`SILENCES` as pauses, and may name more.

Examples
--------
>>> from mtlsynth.speech.phonesets import PHONE_SETS
>>> arpabet = PHONE_SETS["arpabet"]
>>> arpabet.split("AH0"), arpabet.split("AY1"), arpabet.join("AY", 2)
(('AH', 0), ('AY', 2), 'AY1')
>>> sorted(arpabet.classes("JH"))
['affricate', 'consonant', 'postalveolar', 'sibilant', 'voiced']
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mtlsynth.speech.errors import CorpusError, read_file_bytes, where
from mtlsynth.speech.ipa import PLACES, SILENCE_CLASS, ipa_features

__all__ = [
    "PHONE_SETS",
    "SILENCES",
    "PhoneSet",
    "detect_phone_set",
    "get_phone_set",
    "read_phone_set",
    "translate",
]

#: Symbols every phone set reads as silence: pauses of HTK, HTS and Festival
#: labels, the aligners' silence, noise and epsilon, and an empty interval.
SILENCES = frozenset({"pau", "sil", "sp", "spn", "ssil", "h#", "<eps>", ""})

_STRESS_DIGITS = {"0": 0, "1": 2, "2": 1}  # ARPAbet: 1 primary, 2 secondary


@dataclass(frozen=True)
class PhoneSet:
    """A phone set: every symbol's IPA and classes, stress and silences.

    Parameters
    ----------
    name : str
        Name of the set.
    ipa : mapping of str to str
        IPA transcription of every symbol ('' where only classes are known).
    classes_of : mapping of str to frozenset of str
        Classes of every symbol.
    silences : frozenset of str
        Symbols of silences and pauses (besides :data:`SILENCES`).
    stress_marks : mapping of str to int
        Prefixes that mark stress (level 2 primary, 1 secondary).
    stress_digits : bool
        Whether a trailing 0, 1 or 2 is a stress digit (ARPAbet).
    also : mapping of str to tuple of str
        More IPA a symbol stands for (ARPAbet ``AH`` is also ``ə``).
    """

    name: str
    ipa: Mapping[str, str]
    classes_of: Mapping[str, frozenset[str]]
    silences: frozenset[str] = frozenset()
    stress_marks: Mapping[str, int] = field(default_factory=dict)
    stress_digits: bool = False
    also: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "silences", frozenset(self.silences) | SILENCES)

    def is_silence(self, base: str) -> bool:
        """Whether a symbol is a silence or pause.

        Parameters
        ----------
        base : str
            A symbol without stress.

        Returns
        -------
        bool
            True for a pause.
        """
        return base in self.silences

    def is_speech(self, tokens: Iterable[str]) -> list[bool]:
        """Which phones of a label are speech: not silences or pauses.

        Parameters
        ----------
        tokens : iterable of str
            Phones as written in a label.

        Returns
        -------
        list of bool
            True for each phone that is not a pause (what the measures of
            :mod:`mtlsynth.speech.evaluation` score).
        """
        return [not self.is_silence(self.split(t)[0]) for t in tokens]

    def __contains__(self, base: object) -> bool:
        return base in self.classes_of or base in self.silences

    def split(self, token: str) -> tuple[str, int]:
        """A label's phone as its base symbol and stress level.

        Parameters
        ----------
        token : str
            A phone as written in a label (``'aU``, ``AH0``, ``ˈa``).

        Returns
        -------
        base : str
            The symbol without stress (the token itself if it is unknown).
        stress : int
            2 primary, 1 secondary, 0 none.
        """
        if token in self:
            return token, 0
        level = self.stress_marks.get(token[:1])
        if level is not None and token[1:] in self:
            return token[1:], level
        if self.stress_digits and token[-1:] in _STRESS_DIGITS and token[:-1] in self:
            return token[:-1], _STRESS_DIGITS[token[-1]]
        return token, 0

    def join(self, base: str, stress: int) -> str:
        """A base symbol with a stress level, in this set's notation.

        Parameters
        ----------
        base : str
            A symbol without stress.
        stress : int
            2 primary, 1 secondary, 0 none.

        Returns
        -------
        str
            The phone as a label of this set writes it (ARPAbet vowels
            always carry a digit; a set without stress notation drops it).
        """
        if stress == 0 and not (self.stress_digits and self.is_vowel(base)):
            return base
        if self.stress_digits:
            if not self.is_vowel(base):
                return base
            digit = {v: k for k, v in _STRESS_DIGITS.items()}[stress]
            return base + digit
        marks = {v: k for k, v in self.stress_marks.items()}
        return marks.get(stress, "") + base

    def classes(self, base: str) -> frozenset[str]:
        """Classes of a symbol.

        Parameters
        ----------
        base : str
            A symbol without stress.

        Returns
        -------
        frozenset of str
            Its classes (``{"silence"}`` for a pause, empty if unknown).
        """
        if base in self.silences:
            return frozenset({SILENCE_CLASS})
        return self.classes_of.get(base, frozenset())

    def is_vowel(self, base: str) -> bool:
        """Whether a symbol is a vowel.

        Parameters
        ----------
        base : str
            A symbol without stress.

        Returns
        -------
        bool
            True for a vowel or diphthong.
        """
        return "vowel" in self.classes(base)

    def all_classes(self) -> tuple[str, ...]:
        """Every class of the set's symbols, and ``silence``.

        Returns
        -------
        tuple of str
            The classes, sorted.
        """
        found = {c for v in self.classes_of.values() for c in v}
        return tuple(sorted(found | {SILENCE_CLASS}))

    def spellings(self, base: str) -> tuple[str, ...]:
        """Every IPA transcription a symbol stands for.

        Parameters
        ----------
        base : str
            A symbol without stress.

        Returns
        -------
        tuple of str
            Its IPA and its alternatives (empty if unknown).
        """
        own = self.ipa.get(base, "")
        return tuple(x for x in (own, *self.also.get(base, ())) if x)

    def to_dict(self) -> dict[str, Any]:
        """The set as JSON-able data.

        Returns
        -------
        dict
            The form of the shipped tables, which :meth:`from_dict` and
            :func:`read_phone_set` read.
        """
        phones: dict[str, Any] = {}
        for symbol, classes in self.classes_of.items():
            ipa = self.ipa.get(symbol, "")
            derived = _derived(ipa)
            entry: dict[str, Any] = {"ipa": ipa}
            if derived != classes:
                entry["features"] = sorted(classes)
            if self.also.get(symbol):
                entry["also"] = list(self.also[symbol])
            phones[symbol] = ipa if entry.keys() == {"ipa"} else entry
        return {
            "name": self.name,
            "stress_marks": dict(self.stress_marks),
            "stress_digits": self.stress_digits,
            "silences": sorted(self.silences - SILENCES),
            "phones": phones,
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "phone set") -> PhoneSet:
        """Build a set from :meth:`to_dict`'s data, checking every field.

        Parameters
        ----------
        data : dict
            ``name``, ``phones`` (symbol to IPA, or to ``{"ipa", "features",
            "also"}``), optional ``silences``, ``stress_marks``,
            ``stress_digits``.
        source : str, default="phone set"
            Where the data comes from, for error messages.

        Returns
        -------
        PhoneSet
            The set.

        Raises
        ------
        ValueError
            If a field is malformed or an IPA transcription is not one phone.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("phones"), Mapping):
            raise ValueError(f"{source}: expected an object with 'phones'")
        ipa, classes, also = {}, {}, {}
        for symbol, entry in data["phones"].items():
            ipa[symbol], classes[symbol], also[symbol] = _entry(symbol, entry, source)
        marks = data.get("stress_marks", {})
        if not isinstance(marks, Mapping) or not all(
            isinstance(k, str) and len(k) == 1 and v in (1, 2) for k, v in marks.items()
        ):
            raise ValueError(f"{source}: stress_marks must map characters to 1 or 2")
        silences = _strings(data.get("silences", []), f"{source}: silences")
        return cls(
            name=str(data.get("name", source)),
            ipa=ipa,
            classes_of=classes,
            silences=frozenset(silences),
            stress_marks=dict(marks),
            stress_digits=bool(data.get("stress_digits", False)),
            also={k: v for k, v in also.items() if v},
        )


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return value


def _derived(ipa: str) -> frozenset[str]:
    return ipa_features(ipa) if ipa else frozenset()


def _entry(symbol: str, entry: Any, source: str):
    """IPA, classes and alternative IPA of one phone of a table."""
    if isinstance(entry, str):
        entry = {"ipa": entry}
    if not isinstance(entry, Mapping) or not isinstance(entry.get("ipa", ""), str):
        raise ValueError(f"{source}: phone {symbol!r} needs an IPA string")
    ipa = entry.get("ipa", "")
    try:
        classes = _derived(ipa)
        also = tuple(_strings(entry.get("also", []), f"{source}: {symbol!r} also"))
        for other in also:
            ipa_features(other)
    except ValueError as error:
        raise ValueError(f"{source}: phone {symbol!r}: {error}") from None
    if "features" in entry:
        classes = frozenset(
            _strings(entry["features"], f"{source}: {symbol!r} features")
        )
    if not classes:
        raise ValueError(f"{source}: phone {symbol!r} has neither IPA nor features")
    return ipa, classes, also


def _shipped(name: str) -> PhoneSet:
    text = (
        resources.files("mtlsynth.speech")
        .joinpath(f"data/{name}.json")
        .read_text(encoding="utf-8")
    )
    return PhoneSet.from_dict(json.loads(text), f"{name}.json")


#: The shipped phone sets, in the order :func:`detect_phone_set` prefers them.
PHONE_SETS: dict[str, PhoneSet] = {
    name: _shipped(name) for name in ("espeak", "arpabet", "radio", "mfa", "xsampa")
}


# the classes of eSpeak NG's English phones in voice files of formats 1 and 2
_ESPEAK_FORMAT2 = _shipped("espeak_format2")


def get_phone_set(value: str | PhoneSet, what: str = "phone set") -> PhoneSet:
    """A phone set given by its name or as itself.

    Parameters
    ----------
    value : str or PhoneSet
        A name of :data:`PHONE_SETS`, or a set.
    what : str, default="phone set"
        What the set is, for the error message.

    Returns
    -------
    PhoneSet
        The set.

    Raises
    ------
    ValueError
        If ``value`` names no shipped set.
    """
    if isinstance(value, PhoneSet):
        return value
    if value not in PHONE_SETS:
        raise ValueError(
            f"unknown {what} {value!r}; shipped sets are {list(PHONE_SETS)}, "
            "or pass a PhoneSet"
        )
    return PHONE_SETS[value]


def read_phone_set(path: str | os.PathLike) -> PhoneSet:
    """Read a user's phone table (TSV or JSON).

    A TSV table has one phone a line: ``symbol<TAB>IPA[<TAB>features]``,
    features separated by commas or spaces (they replace the classes derived
    from the IPA; ``silence`` marks a pause symbol); ``#`` starts a comment.
    A JSON table has the shipped tables' form: ``{"phones": {symbol: IPA or
    {"ipa": ..., "features": [...]}}, "silences": [...], "stress_marks":
    {...}, "stress_digits": false}``. Stress is written ``ˈ``/``ˌ`` before a
    phone or, in a TSV table, 0/1/2 after it.

    Parameters
    ----------
    path : str or path-like
        The table.

    Returns
    -------
    PhoneSet
        The set, named after the file.

    Raises
    ------
    CorpusError
        If the file cannot be read or a line is malformed (file and line
        named).
    """
    path = Path(path)
    text = read_file_bytes(path, "phone table").decode("utf-8-sig", "replace")
    if path.suffix.lower() == ".json":
        try:
            return PhoneSet.from_dict(json.loads(text), str(path))
        except json.JSONDecodeError as error:
            raise CorpusError(f"{where(path, error.lineno)}: {error.msg}") from None
        except ValueError as error:
            raise CorpusError(str(error)) from None
    return _read_tsv(path, text)


def _read_tsv(path: Path, text: str) -> PhoneSet:
    phones: dict[str, Any] = {}
    silences = []
    rows = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    for lineno, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        if not cells or not cells[0] or cells[0].startswith("#"):
            continue
        if len(cells) > 3:
            raise CorpusError(
                f"{where(path, lineno)}: expected symbol, IPA and optional "
                f"features separated by tabs, got {len(cells)} columns"
            )
        symbol, ipa, feats = (cells + ["", ""])[:3]
        features = feats.replace(",", " ").split()
        if features == [SILENCE_CLASS]:
            silences.append(symbol)
            continue
        entry = {"ipa": ipa, **({"features": features} if features else {})}
        try:
            _entry(symbol, entry, "table")
        except ValueError as error:
            raise CorpusError(f"{where(path, lineno)}: {error}") from None
        if symbol in phones:
            raise CorpusError(f"{where(path, lineno)}: phone {symbol!r} again")
        phones[symbol] = entry
    if not phones:
        raise CorpusError(f"{path}: no phones in the table")
    data = {
        "name": path.stem,
        "phones": phones,
        "silences": silences,
        "stress_marks": {"ˈ": 2, "ˌ": 1},
        "stress_digits": True,
    }
    return PhoneSet.from_dict(data, str(path))


def detect_phone_set(
    counts: Mapping[str, int], candidates: Iterable[PhoneSet] | None = None
) -> PhoneSet:
    """The phone set that knows most of the phones of a corpus.

    Parameters
    ----------
    counts : mapping of str to int
        How often every phone (as written in the labels) occurs.
    candidates : iterable of PhoneSet, optional
        Sets to choose from; default :data:`PHONE_SETS`, in their order
        (the first wins a tie).

    Returns
    -------
    PhoneSet
        The set under which the fewest phone occurrences are unknown.
    """
    sets = list(PHONE_SETS.values() if candidates is None else candidates)

    def unknown(phone_set: PhoneSet) -> int:
        known = (phone_set.split(p)[0] in phone_set for p in counts)
        return sum(n for n, k in zip(counts.values(), known, strict=True) if not k)

    return min(sets, key=unknown)


_KINDS = frozenset({"vowel", "consonant", SILENCE_CLASS})
_MANNERS = frozenset(
    {"stop", "nasal", "trill", "tap", "fricative", "affricate", "approximant"}
)
# places from the lips back, heights from close to open (a step counts
# twice), front to back, and where a diphthong glides: a difference along one
# of them costs its distance in steps
_SCALES = (
    PLACES,
    ("high", "", "mid", "", "low"),
    ("front", "central", "back"),
    ("glide-front", "glide-central", "glide-back"),
)


def _steps(a: frozenset[str], b: frozenset[str], scale: tuple[str, ...]) -> int:
    """Fewest steps along ``scale`` between a class of ``a`` and one of ``b``
    (0 if either has none)."""
    ia = [scale.index(c) for c in a if c in scale]
    ib = [scale.index(c) for c in b if c in scale]
    return min((abs(i - j) for i in ia for j in ib), default=0)


def _distance(a: frozenset[str], b: frozenset[str]) -> int:
    """How far two phones are apart: steps along the scales, one for every
    other class that differs, two for a manner or for being a diphthong, and
    far for a vowel against a consonant or a pause."""
    scaled = {c for scale in _SCALES for c in scale if c}
    differ = (a ^ b) - scaled
    weighted = differ & (_MANNERS | {"diphthong"})
    far = 100 * bool(differ & _KINDS)
    return len(differ) + len(weighted) + far + sum(_steps(a, b, s) for s in _SCALES)


def translate(
    phones: Iterable[str],
    source: PhoneSet,
    target: PhoneSet,
    inventory: Iterable[str] | None = None,
    *,
    stress: bool = True,
) -> tuple[list[str], dict[str, str]]:
    """Phones of one set written in another, through their IPA.

    A phone becomes the target's symbol with the same IPA; where there is
    none (or only ones outside ``inventory``), the symbol nearest by
    articulatory classes. Pauses become the target's first pause of
    ``inventory`` (``pau`` if none); stress is carried over.

    Parameters
    ----------
    phones : iterable of str
        Phones as written in ``source`` (with stress).
    source, target : PhoneSet
        The sets to translate from and into.
    inventory : iterable of str, optional
        Base symbols of ``target`` that may be used (a voice's phones);
        default every symbol of ``target``.
    stress : bool, default=True
        Write stress in ``target``'s notation (False: drop it).

    Returns
    -------
    phones : list of str
        The phones in ``target``'s notation.
    substitutions : dict of str to str
        Every source phone (without stress) that had no counterpart of the
        same IPA, and the symbol it became.

    Raises
    ------
    ValueError
        If a phone is not in ``source``, or ``inventory`` has no phone of
        ``target``.
    """
    allowed = sorted(target.classes_of if inventory is None else inventory)
    pauses = [p for p in allowed if target.is_silence(p)] or ["pau"]
    speech = [p for p in allowed if p in target.classes_of]
    if not speech:
        raise ValueError(f"no phone of the set {target.name!r} to translate into")
    out, substitutions = [], {}
    for phone in phones:
        base, level = source.split(phone)
        if base not in source:
            raise ValueError(f"phone {phone!r} is not in the phone set {source.name!r}")
        if source.is_silence(base):
            out.append(pauses[0])
            continue
        match, distance = _counterpart(base, source, target, speech)
        if distance:
            substitutions[base] = match
        out.append(target.join(match, level if stress else 0))
    return out, substitutions


def _counterpart(
    base: str, source: PhoneSet, target: PhoneSet, speech: list[str]
) -> tuple[str, int]:
    """The symbol of ``speech`` nearest to a source phone, and its distance:
    the same symbol of the same IPA, else one of the same IPA, else the
    nearest by the classes the target set tells apart (over every IPA a
    target symbol stands for)."""
    spellings = source.spellings(base)
    if base in speech and target.spellings(base) == spellings:
        return base, 0
    for p in speech:
        if set(spellings) & set(target.spellings(p)):
            return p, 0
    wanted = source.classes(base) & frozenset(target.all_classes())

    def distance(p: str) -> int:
        others = (ipa_features(x) for x in target.also.get(p, ()))
        return min(_distance(wanted, c) for c in (target.classes(p), *others))

    best = min(speech, key=distance)
    return best, distance(best)
