"""Phone sets as data: IPA features, stress, silences, detection, translation."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtlsynth.speech import CorpusError, LinguisticFeatures, frontend
from mtlsynth.speech.ipa import CLASSES, ipa_features
from mtlsynth.speech.phonesets import (
    PHONE_SETS,
    SILENCES,
    PhoneSet,
    detect_phone_set,
    read_phone_set,
    translate,
)

TEXT = "The quick brown fox jumps over the lazy dog, thank you, where is it?"
PLACES = {
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
}
MANNERS = {"stop", "nasal", "trill", "tap", "fricative", "affricate", "approximant"}


@pytest.mark.parametrize(
    "ipa, has, lacks",
    [
        ("aɪ", {"vowel", "diphthong", "low", "front", "glide-front"}, {"consonant"}),
        ("aj", {"diphthong", "glide-front"}, set()),
        ("oʊ", {"diphthong", "rounded", "glide-back"}, set()),
        ("t͡ʃ", {"affricate", "postalveolar", "sibilant"}, {"voiced", "stop"}),
        ("ʤ", {"affricate", "voiced"}, set()),
        ("n̩", {"nasal", "syllabic", "voiced"}, {"vowel"}),
        ("tʰ", {"stop", "aspirated"}, {"voiced"}),
        ("iː", {"high", "front", "long"}, set()),
        ("ɚ", {"rhotic", "reduced", "vowel"}, set()),
        ("t̪", {"dental", "stop"}, {"alveolar"}),
        ("ẽ", {"vowel", "mid", "front"}, set()),
        ("w", {"bilabial", "velar", "approximant", "rounded"}, set()),
    ],
)
def test_ipa_features(ipa, has, lacks):
    classes = ipa_features(ipa)
    assert has <= classes
    assert not lacks & classes
    assert classes <= set(CLASSES)


@pytest.mark.parametrize("bad", ["", "st", "ka", "Q", "ˈ"])
def test_what_is_not_one_phone_is_refused(bad):
    with pytest.raises(ValueError, match="IPA"):
        ipa_features(bad)


def _complete(classes):
    """A vowel has height and backness, a consonant place and manner."""
    if "silence" in classes:
        return classes == {"silence"}
    if "vowel" in classes:
        return bool(classes & {"high", "mid", "low"}) and bool(
            classes & {"front", "central", "back"}
        )
    return bool(classes & PLACES) and bool(classes & (MANNERS | {"lateral"}))


@pytest.mark.parametrize("name", list(PHONE_SETS))
def test_every_phone_of_a_shipped_set_has_complete_classes(name):
    phone_set = PHONE_SETS[name]
    assert len(phone_set.classes_of) >= 39
    for symbol in phone_set.classes_of:
        assert _complete(phone_set.classes(symbol)), (name, symbol)
    for symbol in SILENCES:
        assert phone_set.classes(symbol) == {"silence"}


def _phone_strings(phone_set):
    symbols = sorted(phone_set.classes_of) + sorted(phone_set.silences)
    return st.lists(
        st.tuples(st.sampled_from(symbols), st.sampled_from([0, 1, 2])),
        min_size=1,
        max_size=12,
    )


@pytest.mark.parametrize("name", list(PHONE_SETS))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_phone_string_of_a_set_maps_to_defined_features(name, data):
    phone_set = PHONE_SETS[name]
    pairs = data.draw(_phone_strings(phone_set))
    tokens = [phone_set.join(b, s) for b, s in pairs]
    for token, (base, stress) in zip(tokens, pairs, strict=True):
        got_base, got_stress = phone_set.split(token)
        assert got_base == base
        assert _complete(phone_set.classes(got_base))
        written = stress > 0 and (phone_set.stress_marks or phone_set.stress_digits)
        vowel = phone_set.is_vowel(base)
        if written and (vowel or not phone_set.stress_digits):
            assert got_stress == stress
    lf = LinguisticFeatures(phone_set=phone_set, level="phone").fit([tokens])
    X = lf.phone_features(tokens)
    assert X.shape == (len(tokens), lf.n_phone_features_)
    assert np.isfinite(X).all()
    names = lf.get_feature_names_out()
    kinds = [f"class[+0]={k}" for k in ("vowel", "consonant", "silence")]
    kind_columns = np.isin(names, kinds)
    np.testing.assert_array_equal(X[:, kind_columns].sum(axis=1), 1)


@pytest.mark.parametrize("name", list(PHONE_SETS))
def test_every_espeak_english_phone_maps_to_every_set(name):
    espeak, target = PHONE_SETS["espeak"], PHONE_SETS[name]
    phones = [
        p for d in frontend.DIALECTS for p in frontend.phonemes(TEXT, dialect=d).phones
    ]
    for phone in phones:
        assert espeak.split(phone)[0] in espeak, phone
    phones += sorted(espeak.classes_of)  # and every phone of the table
    out, substitutions = translate(phones, espeak, target)
    assert len(out) == len(phones)
    for phone, new in zip(phones, out, strict=True):
        base, _ = target.split(new)
        assert base in target
        assert espeak.is_vowel(espeak.split(phone)[0]) == target.is_vowel(base)
    for source_phone, new in substitutions.items():
        assert ipa_features(espeak.ipa[source_phone]) != target.classes(new) or (
            espeak.ipa[source_phone] not in target.spellings(new)
        )


def test_translation_keeps_the_same_phone_and_uses_only_the_inventory():
    espeak, arpabet = PHONE_SETS["espeak"], PHONE_SETS["arpabet"]
    out, subs = translate(["pau", "h", "@", "l", "'oU"], espeak, espeak)
    assert out == ["pau", "h", "@", "l", "'oU"] and subs == {}
    out, subs = translate(["pau", "h", "@", "l", "'oU"], espeak, arpabet)
    assert out == ["pau", "HH", "AH0", "L", "OW1"] and subs == {}
    out, subs = translate(
        ["pau", "D", "'i:"], espeak, arpabet, ["sil", "D", "T", "IY"], stress=False
    )
    assert out == ["sil", "D", "IY0"]
    assert subs == {"D": "D"}  # ð is nearest to d of d and t; ARPAbet has no length


def test_detection_prefers_the_set_that_knows_the_phones():
    assert detect_phone_set({"sil": 5, "HH": 1, "AH0": 2, "L": 1}).name == "arpabet"
    assert detect_phone_set({"pau": 5, "hh": 1, "ax": 2, "l": 1}).name == "radio"
    assert detect_phone_set({"sil": 5, "h": 1, "ə": 2, "ɫ": 1}).name == "mfa"
    assert detect_phone_set({"pau": 5, "h": 1, "@": 2, "'oU": 1}).name == "espeak"


def test_silences_are_a_set():
    for name, phone_set in PHONE_SETS.items():
        for symbol in ("pau", "sil", "sp", "spn", "h#", "<eps>", ""):
            assert phone_set.is_silence(phone_set.split(symbol)[0]), (name, symbol)


def test_a_user_table_in_tsv(tmp_path):
    path = tmp_path / "kal.tsv"
    path.write_text(
        "# symbol\tIPA\tfeatures\n"
        "a\tä\n"
        "tj\tc\n"
        "X\t\tconsonant, velar, fricative\n"
        "_\t\tsilence\n",
        encoding="utf-8",
    )
    kal = read_phone_set(path)
    assert kal.name == "kal"
    assert kal.split("ˈa") == ("a", 2) and kal.split("a1") == ("a", 2)
    assert kal.classes("X") == {"consonant", "velar", "fricative"}
    assert kal.is_silence("_")
    again = PhoneSet.from_dict(json.loads(json.dumps(kal.to_dict())))
    assert again.classes_of == kal.classes_of and again.silences == kal.silences


@pytest.mark.parametrize(
    "text, match",
    [
        ("a\tä\na\tɑ\n", r"kal.tsv:2: phone 'a' again"),
        ("a\tä\nb\tQ\n", r"kal.tsv:2: .*'Q'"),
        ("a\tä\nb\n", r"kal.tsv:2: .*neither IPA nor features"),
        ("a\tä\tx\ty\n", r"kal.tsv:1: .*4 columns"),
        ("# nothing\n", r"no phones"),
    ],
)
def test_a_malformed_table_names_file_and_line(tmp_path, text, match):
    path = tmp_path / "kal.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=match):
        read_phone_set(path)


def test_a_user_table_in_json(tmp_path):
    path = tmp_path / "kal.json"
    path.write_text(json.dumps({"phones": {"a": "ä", "k": "k"}, "silences": ["#"]}))
    kal = read_phone_set(path)
    assert kal.is_silence("#") and kal.is_vowel("a")
    path.write_text('{"phones": {"a": 3}}')
    with pytest.raises(CorpusError, match="kal.json: phone 'a' needs an IPA string"):
        read_phone_set(path)
    path.write_text('{"phones": ')
    with pytest.raises(CorpusError, match=r"kal.json:1:"):
        read_phone_set(path)
