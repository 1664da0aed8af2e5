import numpy as np
import pytest

from mtlsynth.speech import Label, LinguisticFeatures, frontend
from mtlsynth.speech.phones import PhoneSequence
from mtlsynth.speech.phonesets import PHONE_SETS, PhoneSet

PHONES = ["pau", "h", "@", "l", "'oU", "pau"]
FRAMES = np.array([4, 3, 2, 5, 9, 4])


@pytest.fixture(scope="module")
def fitted():
    return LinguisticFeatures().fit([PHONES, ["pau", "w", "'3:", "l", "d", "pau"]])


def column(names, name):
    matches = np.flatnonzero(names == name)
    assert len(matches) == 1, name
    return matches[0]


def test_the_phone_set_is_detected_and_gives_the_classes(fitted):
    assert fitted.phone_set_ is PHONE_SETS["espeak"]
    assert fitted.stressed_
    assert "vowel" in fitted.classes_ and "silence" in fitted.classes_
    arpabet = LinguisticFeatures(level="phone").fit([["sil", "HH", "AH0", "L", "OW1"]])
    assert arpabet.phone_set_ is PHONE_SETS["arpabet"]
    assert arpabet.inventory_.tolist() == ["AH", "HH", "L", "OW", "sil"]
    names = arpabet.get_feature_names_out()
    X = arpabet.phone_features(["sil", "HH", "AH0", "L", "OW1", "sil"])
    assert X[4, column(names, "stress=2")] == 1
    assert X[2, column(names, "stress=0")] == 1
    assert X[1, column(names, "class[+0]=glottal")] == 1


def test_phones_outside_the_set_are_refused():
    with pytest.raises(
        ValueError, match=r"phone set 'espeak' \(occurrences\): 'qq' \(2\)"
    ):
        LinguisticFeatures().fit([["pau", "qq", "a", "qq", "pau"]])
    with pytest.raises(ValueError, match="unknown phone set 'klingon'"):
        LinguisticFeatures(phone_set="klingon").fit([["pau", "a"]])


def test_identity_one_hot_with_unknown_and_edges(fitted):
    lf = LinguisticFeatures(level="phone").fit([PHONES])
    names = lf.get_feature_names_out()
    X = lf.phone_features(["pau", "h", "zz", "pau"])
    assert X.shape == (4, lf.n_phone_features_) == (4, len(names))
    for offset in range(-2, 3):
        block = np.array(
            [n.startswith(f"id[{offset:+d}]=") and "*" not in n for n in names]
        )
        assert np.all(X[:, block].sum(axis=1) == 1)
    assert X[1, column(names, "id[+0]=h")] == 1
    assert X[2, column(names, "id[+0]=<unknown>")] == 1
    assert X[0, column(names, "id[-1]=<none>")] == 1
    assert X[3, column(names, "id[+2]=<none>")] == 1
    assert X[2, column(names, "id[-1]=h")] == 1
    # stress is split from the identity
    Y = lf.phone_features(PHONES)
    assert Y[4, column(names, "id[+0]=oU")] == 1
    assert Y[4, column(names, "stress=2")] == 1
    assert Y[3, column(names, "class[+1]=vowel")] == 1
    assert Y[3, column(names, "class[+0]=lateral")] == 1


def test_frame_features_shapes_bumps_and_interactions(fitted):
    names = fitted.get_feature_names_out()
    X = fitted.frame_features(PHONES, frames=FRAMES)
    assert (
        X.shape
        == (FRAMES.sum(), fitted.n_frame_features_)
        == (
            FRAMES.sum(),
            len(names),
        )
    )
    assert np.all(np.isfinite(X))
    bumps = X[:, [column(names, f"bump{j}") for j in range(3)]]
    np.testing.assert_allclose(bumps.sum(axis=1), 1.0)
    first = np.cumsum(FRAMES) - FRAMES
    last = np.cumsum(FRAMES) - 1
    assert np.all(bumps[first[FRAMES > 2]].argmax(axis=1) == 0)
    assert np.all(bumps[last[FRAMES > 2]].argmax(axis=1) == 2)
    np.testing.assert_allclose(
        X[:, column(names, "log_dur")], np.log(np.repeat(FRAMES, FRAMES))
    )
    is_l = X[:, column(names, "id[+0]=l")]
    assert is_l.sum() == 5
    np.testing.assert_allclose(
        X[:, column(names, "id[+0]=l*bump1")], is_l * bumps[:, 1]
    )
    np.testing.assert_allclose(
        X[:, column(names, "class[-1]=vowel*bump0")],
        X[:, column(names, "class[-1]=vowel")] * bumps[:, 0],
    )
    # the phone-level block is repeated on every frame of the phone
    base = column(names, "bump0")
    P = fitted.phone_features(PHONES)[:, :base]
    np.testing.assert_array_equal(X[:, :base], np.repeat(P, FRAMES, axis=0))
    # absolute-time kernels at phone edges
    start = X[:, column(names, "1*start1.5")]
    np.testing.assert_allclose(start[first], 1.0)
    end = X[:, column(names, "id[+0]=oU*end4.0")]
    np.testing.assert_allclose(end[last[4]], 1.0)
    assert end[first[4]] == pytest.approx(np.exp(-8 / 4.0))


def test_label_durations_and_transform_stacking(fitted):
    label = Label.from_seconds([0, 0.1, 0.17], [0.1, 0.17, 0.3], ["pau", "'oU", "pau"])
    X = fitted.transform([label, label])
    assert X.shape == (2 * label.num_frames(5.0), fitted.n_frame_features_)
    phone_level = LinguisticFeatures(level="phone").fit([PHONES])
    P = phone_level.transform([PHONES, PHONES[:3]])
    np.testing.assert_array_equal(P[6:], phone_level.phone_features(PHONES[:3]))


def test_word_positions_from_a_pronunciation():
    pron = frontend.phonemes("Hello big world.", dialect="en-US")
    lf = LinguisticFeatures(level="phone").fit([pron])
    names = lf.get_feature_names_out()
    with_words = lf.phone_features(pron)
    without = lf.phone_features(pron.phones)
    known = with_words[:, column(names, "word_known")]
    speech = np.asarray(pron.phones) != "pau"
    np.testing.assert_array_equal(known, speech.astype(float))
    assert np.all(without[:, column(names, "word_known")] == 0)
    initial = with_words[:, column(names, "word_initial")]
    assert initial.sum() == len(pron.words)


def test_custom_phone_set():
    table = PhoneSet.from_dict(
        {"phones": {"a": {"ipa": "", "features": ["vowel", "open"]}, "b": "b"}}
    )
    lf = LinguisticFeatures(phone_set=table, level="phone").fit([["pau", "a", "b"]])
    assert lf.classes_ == (
        "bilabial",
        "consonant",
        "open",
        "silence",
        "stop",
        "voiced",
        "vowel",
    )
    names = lf.get_feature_names_out()
    X = lf.phone_features(["pau", "b", "a", "pau"])
    assert X[2, column(names, "class[+0]=open")] == 1
    assert X[1, column(names, "class[+0]=stop")] == 1


def test_bad_input_is_rejected(fitted):
    with pytest.raises(ValueError, match="frames"):
        fitted.frame_features(PHONES, frames=[1, 2])
    with pytest.raises(ValueError, match="durations"):
        fitted.frame_features(PHONES)
    with pytest.raises(ValueError, match="string"):
        fitted.phone_features("pau h @")
    with pytest.raises(ValueError, match="no phones"):
        fitted.phone_features([])
    with pytest.raises(ValueError, match="level"):
        LinguisticFeatures(level="word").fit([["a"]])
    with pytest.raises(ValueError, match="entries"):
        PhoneSequence(("a", "b"), frames=[1])


def test_question_flag_marks_the_last_phrase_only():
    phones = ["pau", "j", "'E", "s", "pau", "n", "'oU", "pau"]
    lf = LinguisticFeatures(level="phone").fit([phones])
    names = lf.get_feature_names_out()
    statement = lf.phone_features(PhoneSequence(phones))
    question = lf.phone_features(PhoneSequence(phones, question=True))
    flag = question[:, column(names, "question")]
    np.testing.assert_array_equal(flag, [0, 0, 0, 0, 0, 1, 1, 0])
    assert np.all(statement[:, column(names, "question")] == 0)
    counts = question[:, column(names, "vowels_after=0")]
    np.testing.assert_array_equal(counts, [0, 0, 1, 1, 0, 0, 1, 0])


def test_identity_bumps_follow_the_current_phone():
    lf = LinguisticFeatures(n_identity_bumps=4).fit([PHONES])
    names = lf.get_feature_names_out()
    X = lf.frame_features(PHONES, frames=FRAMES)
    fine = X[:, [column(names, f"id[+0]=oU*fine{j}") for j in range(4)]]
    in_oU = np.repeat(np.arange(len(PHONES)) == 4, FRAMES)
    np.testing.assert_allclose(fine.sum(axis=1), in_oU.astype(float))
    assert fine[in_oU][0].argmax() == 0 and fine[in_oU][-1].argmax() == 3
    with pytest.raises(ValueError, match="n_identity_bumps"):
        LinguisticFeatures(n_identity_bumps=1).fit([PHONES])


def test_diphone_columns_decay_from_the_shared_boundary():
    other = ["pau", "h", "@", "t", "pau"]
    lf = LinguisticFeatures(diphone_kernels=(2.0,), diphone_min_count=2)
    lf.fit([PHONES, other])
    # pairs seen twice: pau-h, h-@ ; @-l, l-oU, oU-pau, @-t, t-pau only once
    assert lf.diphones_.tolist() == [["h", "@"], ["pau", "h"]]
    names = lf.get_feature_names_out()
    X = lf.frame_features(PHONES, frames=FRAMES)
    assert X.shape == (FRAMES.sum(), lf.n_frame_features_) == (FRAMES.sum(), len(names))
    into = X[:, column(names, "pair[-1,+0]=h-@*start2.0")]
    out_of = X[:, column(names, "pair[+0,+1]=h-@*end2.0")]
    starts = np.cumsum(FRAMES) - FRAMES
    schwa = np.arange(starts[2], starts[2] + FRAMES[2])
    aitch = np.arange(starts[1], starts[1] + FRAMES[1])
    np.testing.assert_allclose(into[schwa], np.exp(-np.arange(FRAMES[2]) / 2.0))
    np.testing.assert_allclose(out_of[aitch], np.exp(-np.arange(FRAMES[1])[::-1] / 2.0))
    assert np.count_nonzero(into) == FRAMES[2]
    assert np.count_nonzero(out_of) == FRAMES[1]
    # a pair outside the kept list, and no diphones at all
    Z = lf.frame_features(["pau", "l", "@", "pau"], frames=[2, 2, 2, 2])
    assert not Z[:, [n.startswith("pair[") for n in names]].any()
    plain = LinguisticFeatures(diphone_kernels=()).fit([PHONES, other])
    assert plain.diphones_.shape == (0, 2)
    assert plain.n_frame_features_ == lf.n_frame_features_ - 2 * 2
    for bad in (
        {"diphone_kernels": (0.0,)},
        {"diphone_min_count": 0},
        {"max_diphones": -1},
        {"max_diphones": 1.5},
    ):
        with pytest.raises(ValueError, match="diphone"):
            LinguisticFeatures(**bad).fit([PHONES])


def test_at_most_max_diphones_pairs_get_columns_the_most_frequent():
    utterances = [["pau", "h", "@", "t", "pau"]] * 3 + [["pau", "h", "i", "pau"]] * 2
    utterances += [["pau", "s", "i", "pau"]]
    counts = {"pau-h": 5, "h-@": 3, "@-t": 3, "t-pau": 3, "h-i": 2, "i-pau": 3}
    kept = {
        most: LinguisticFeatures(diphone_min_count=2, max_diphones=most)
        .fit(utterances)
        .diphones_.tolist()
        for most in (None, 0, 1, 3, 6)
    }
    frequent = {k for k, n in counts.items() if n >= 2}
    assert [{"-".join(p) for p in kept[m]} for m in (None, 6)] == [frequent] * 2
    assert kept[0] == [] and kept[1] == [["pau", "h"]]
    # ties broken by the pairs' names; the columns in the pairs' order
    assert kept[3] == [["@", "t"], ["h", "@"], ["pau", "h"]]
    narrow = LinguisticFeatures(diphone_min_count=2, max_diphones=3).fit(utterances)
    wide = LinguisticFeatures(diphone_min_count=2, max_diphones=None).fit(utterances)
    assert wide.n_frame_features_ - narrow.n_frame_features_ == 2 * (6 - 3)


@pytest.mark.parametrize(
    "params",
    [
        {"diphone_min_count": 1},
        # kernels that decay below the smallest float within a long phone
        {"diphone_min_count": 1, "diphone_kernels": (0.01,), "edge_kernels": (0.01,)},
        {"diphone_kernels": (), "edge_kernels": (), "n_identity_bumps": 0},
        {"neighbour_identity": False, "interaction_context": 0},
    ],
)
def test_sparse_frame_rows_hold_the_dense_rows_nonzeros(params):
    from scipy import sparse

    from mtlsynth._stats import csr_from_dense

    lf = LinguisticFeatures(**params).fit([PHONES, ["pau", "w", "'3:", "l", "pau"]])
    for phones, frames in (
        (PHONES, FRAMES),
        (PHONES, [0, 3, 0, 900, 1, 2]),  # phones without frames, one long one
        (["pau", "x", "pau"], [1, 1, 1]),  # a phone never seen in fit
    ):
        dense = lf.frame_features(phones, frames=frames)
        rows = lf.frame_features(phones, frames=frames, sparse_output=True)
        assert sparse.isspmatrix_csr(rows) and rows.has_canonical_format
        want = csr_from_dense(dense)
        assert rows.shape == dense.shape
        np.testing.assert_array_equal(rows.indptr, want.indptr)
        np.testing.assert_array_equal(rows.indices, want.indices)
        np.testing.assert_array_equal(rows.data, want.data)
