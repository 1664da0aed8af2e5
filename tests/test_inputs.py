"""Text cut into sentences, and what a voice is asked to speak."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mtlsynth.speech.errors import PhoneSubstitutionWarning
from mtlsynth.speech.inputs import split_text, voice_sequence, voice_sequences
from mtlsynth.speech.phonesets import PHONE_SETS


@pytest.mark.parametrize(
    "text, pieces",
    [
        ("Hello there. Is it you?  Yes!", ["Hello there.", "Is it you?", "Yes!"]),
        (
            'He said "stop." Then he left…  Fine',
            ['He said "stop.', "Then he left…", "Fine"],
        ),
        ("First part\n\nSecond part", ["First part", "Second part"]),
        ("3.5 percent, e.g.this one", ["3.5 percent, e.g.this one"]),
        ("  \n ", []),
    ],
)
def test_split_text_at_sentence_ends(text, pieces):
    assert split_text(text) == pieces


def test_long_sentences_are_cut_after_their_last_comma_within_the_limit():
    assert split_text("a b, c d e, f g h i", max_words=4) == [
        "a b,",
        "c d e,",
        "f g h i",
    ]
    assert split_text("a b c d e f g", max_words=3) == ["a b c", "d e f", "g"]


@given(
    st.lists(
        st.sampled_from(["word", "two,", "end.", "ask?", "\n\n", "x;"]), max_size=80
    )
)
def test_split_text_keeps_every_word_in_order_and_within_the_limit(tokens):
    text = " ".join(tokens)
    pieces = split_text(text, max_words=7)
    assert " ".join(pieces).split() == text.split()
    assert all(1 <= len(p.split()) <= 7 for p in pieces)


def _features(inventory):
    return SimpleNamespace(
        phone_set_=PHONE_SETS["espeak"], inventory_=np.array(inventory), stressed_=True
    )


def test_a_text_warns_of_substitutions_once_for_all_its_sentences():
    text = "The cat sat. The cat ran. The cat hid."
    whole = voice_sequence(
        text,
        dialect="en-US",
        frontends=None,
        features=_features(sorted(PHONE_SETS["espeak"].classes_of)),
        frame_period=5.0,
    )
    espeak = PHONE_SETS["espeak"]
    bases = {espeak.split(p)[0] for p in whole.phones}
    seen = sorted(bases - {"k"} | {"g"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sentences = voice_sequences(
            text,
            dialect="en-US",
            frontends=None,
            features=_features(seen),
            frame_period=5.0,
        )
    assert len(sentences) == 3
    asked = voice_sequences(
        "It is. Is it? It is!",
        dialect="en-US",
        frontends=None,
        features=_features(sorted(espeak.classes_of)),
        frame_period=5.0,
    )
    assert [s.question for s in asked] == [False, True, False]
    assert all("k" not in s.phones and "g" in s.phones for s in sentences)
    messages = [
        str(w.message) for w in caught if w.category is PhoneSubstitutionWarning
    ]
    assert messages == [
        "phones the voice never saw, spoken as the nearest it saw: k -> g (3x)"
    ]
