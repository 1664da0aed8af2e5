"""Word membership from labels: TextGrid words tiers and HTS full-context names."""

import numpy as np
import pytest

from mtlsynth.speech import CorpusError, LinguisticFeatures, PhoneSequence, write_wav
from mtlsynth.speech.corpus import read_corpus
from mtlsynth.speech.labels import (
    Label,
    parse_htk_label,
    read_htk_label,
    read_label,
    read_textgrid,
    write_textgrid,
)
from mtlsynth.speech.training import _corpus_words

FS = 16000


def _textgrid(tiers):
    """Long-format TextGrid text of ``[(name, [(xmin, xmax, text), ...]), ...]``."""
    xmax = max(items[-1][1] for _, items in tiers)
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0",
        f"xmax = {xmax}",
        "tiers? <exists>",
        f"size = {len(tiers)}",
        "item []:",
    ]
    for i, (name, items) in enumerate(tiers, start=1):
        lines += [
            f"    item [{i}]:",
            '        class = "IntervalTier"',
            f'        name = "{name}"',
            "        xmin = 0",
            f"        xmax = {xmax}",
            f"        intervals: size = {len(items)}",
        ]
        for j, (start, end, text) in enumerate(items, start=1):
            lines += [
                f"        intervals [{j}]:",
                f"            xmin = {start}",
                f"            xmax = {end}",
                f'            text = "{text}"',
            ]
    return "\n".join(lines) + "\n"


# "hello <unk>" as Montreal Forced Aligner writes it: silences are empty
# intervals, an unknown word is <unk> spoken as spn
MFA_WORDS = [
    (0, 0.1, ""),
    (0.1, 0.5, "hello"),
    (0.5, 0.6, ""),
    (0.6, 0.9, "<unk>"),
    (0.9, 1.0, ""),
]
MFA_PHONES = [
    (0, 0.1, ""),
    (0.1, 0.2, "HH"),
    (0.2, 0.3, "AH0"),
    (0.3, 0.4, "L"),
    (0.4, 0.5, "OW1"),
    (0.5, 0.6, ""),
    (0.6, 0.9, "spn"),
    (0.9, 1.0, ""),
]
MFA_WORD_INDEX = [-1, 0, 0, 0, 0, -1, 1, -1]


def test_label_word_index_is_optional_and_checked():
    lab = Label(np.array([0, 10]), np.array([10, 20]), ("pau", "a"))
    assert lab.word_index is None
    lab = Label.from_seconds([0, 0.1], [0.1, 0.2], ["pau", "a"], word_index=[-1, 0])
    assert lab.word_index.dtype == np.int64
    assert lab.word_index.tolist() == [-1, 0]
    assert Label(np.zeros(0), np.zeros(0), (), word_index=[]).word_index.size == 0
    for bad, match in [
        ([0], "shape"),
        ([[0, 0]], "shape"),
        ([0, 0.5], "integers"),
        (["a", "b"], "integers"),
        ([True, False], "integers"),
        ([0, -2], "-1"),
        ([1, 0], "decrease"),
    ]:
        with pytest.raises(ValueError, match=match):
            Label.from_seconds([0, 0.1], [0.1, 0.2], ["a", "b"], word_index=bad)


def test_labels_compare_and_hash_by_value():
    def make(words=None):
        return Label.from_seconds(
            [0, 0.1, 0.2], [0.1, 0.2, 0.3], ["pau", "a", "b"], word_index=words
        )

    assert make() == make() and hash(make()) == hash(make())
    assert make([-1, 0, 0]) == make([-1, 0, 0])
    assert hash(make([-1, 0, 0])) == hash(make([-1, 0, 0]))
    assert make([-1, 0, 0]) != make([-1, 0, 1])
    assert make([-1, 0, 0]) != make() and make() != make([-1, 0, 0])
    assert make() != Label.from_seconds([0, 0.1, 0.2], [0.1, 0.2, 0.4], "pab")
    assert len({make(), make(), make([-1, 0, 0])}) == 2
    assert make() != "label"


def test_textgrid_round_trip(tmp_path):
    lab = Label.from_seconds(
        [0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.7],
        [0.1, 0.2, 0.3, 0.45, 0.6, 0.7, 0.8125],
        ["pau", "h", "aI", "D", "@", "pau", "j'u:"],
        word_index=[-1, 0, 0, 1, 1, -1, 2],
    )
    path = tmp_path / "x" / "a.TextGrid"
    write_textgrid(path, lab, words=["hi", 'the "big"', "you"])
    assert [p.name for p in path.parent.iterdir()] == ["a.TextGrid"]  # no temp
    back = read_textgrid(path)
    assert back == lab
    assert read_label(path) == lab
    words = read_textgrid(path, tier="words")
    assert words.names == ("pau", "hi", 'the "big"', "pau", "you")
    assert words.word_index is None  # a words tier has no words of its own
    # placeholder words; a label without words gets no words tier
    write_textgrid(path, lab)
    assert read_textgrid(path, tier="words").names[1:3] == ("w0", "w1")
    plain = Label(lab.start_times, lab.end_times, lab.names)
    write_textgrid(path, plain)
    assert read_textgrid(path) == plain
    assert "words" not in path.read_text()


def test_write_textgrid_fills_gaps_and_rejects_what_it_cannot_write(tmp_path):
    path = tmp_path / "a.TextGrid"
    gappy = Label.from_seconds([0.1, 0.3], [0.2, 0.4], ["a", "b"], word_index=[0, 1])
    write_textgrid(path, gappy, words=["x", "y"])
    back = read_textgrid(path)
    assert back.names == ("a", "pau", "b")  # Praat's tiers have no gaps
    assert back.word_index.tolist() == [0, -1, 1]
    np.testing.assert_allclose(back.starts, [0.1, 0.2, 0.3])
    lab = Label.from_seconds(
        [0, 0.1, 0.2], [0.1, 0.2, 0.3], "abc", word_index=[0, 0, 1]
    )
    with pytest.raises(ValueError, match="no text for word 1"):
        write_textgrid(path, lab, words=["one"])
    with pytest.raises(ValueError, match="reads as no word"):
        write_textgrid(path, lab, words=["one", "sil"])
    with pytest.raises(ValueError, match="without word_index"):
        write_textgrid(path, Label(lab.start_times, lab.end_times, lab.names), words=[])
    split = Label(lab.start_times, lab.end_times, lab.names, word_index=[0, -1, 0])
    with pytest.raises(ValueError, match="outside any word"):
        write_textgrid(path, split)


def test_mfa_words_and_phones(tmp_path):
    path = tmp_path / "mfa.TextGrid"
    path.write_text(_textgrid([("words", MFA_WORDS), ("phones", MFA_PHONES)]))
    lab = read_textgrid(path)
    assert lab.names == ("pau", "HH", "AH0", "L", "OW1", "pau", "spn", "pau")
    assert lab.word_index.tolist() == MFA_WORD_INDEX
    # any case, and "word" for "words"
    path.write_text(_textgrid([("Phones", MFA_PHONES), ("WORD", MFA_WORDS)]))
    assert read_textgrid(path).word_index.tolist() == MFA_WORD_INDEX
    # no words tier: no words
    path.write_text(_textgrid([("phones", MFA_PHONES)]))
    assert read_textgrid(path).word_index is None


def test_speaker_named_tiers(tmp_path):
    path = tmp_path / "mfa.TextGrid"
    other = [(0, 1.0, "")]
    tiers = [
        ("spk1 - words", MFA_WORDS),
        ("spk1 - phones", MFA_PHONES),
        ("words", other),  # not spk1's
    ]
    path.write_text(_textgrid(tiers))
    lab = read_textgrid(path)
    assert lab.names[1] == "HH"
    assert lab.word_index.tolist() == MFA_WORD_INDEX
    # two speakers: pick one by name; its own words tier is paired
    tiers = [
        ("a - phones", [(0, 1.0, "x")]),
        ("a - words", [(0, 1.0, "")]),
        ("spk2 - words", MFA_WORDS),
        ("spk2 - phones", MFA_PHONES),
    ]
    path.write_text(_textgrid(tiers))
    with pytest.raises(CorpusError, match="which tier"):
        read_textgrid(path)
    assert read_textgrid(path, tier="spk2 - phones").word_index.tolist() == (
        MFA_WORD_INDEX
    )
    assert read_textgrid(path, tier="a - phones").word_index.tolist() == [-1]


def test_words_tier_with_gaps_and_silence_words(tmp_path):
    words = [
        (0, 0.2, "sil"),
        (0.2, 0.4, "one"),
        (0.4, 0.5, "sp"),
        (0.5, 0.7, "<eps>"),
        (0.7, 0.9, "two"),
        (0.9, 1.0, "<SIL>"),
        (1.0, 1.2, ""),
        (1.2, 1.4, "three"),
    ]
    phones = [
        (0, 0.2, "sil"),
        (0.2, 0.3, "w"),
        (0.3, 0.4, "V"),
        (0.4, 0.7, "sp"),
        (0.7, 0.8, "t"),
        (0.8, 0.9, "u:"),
        (0.9, 1.2, ""),
        (1.2, 1.3, "T"),
        (1.3, 1.4, "ri:"),
    ]
    path = tmp_path / "a.TextGrid"
    path.write_text(_textgrid([("phones", phones), ("words", words)]))
    lab = read_textgrid(path)
    assert lab.word_index.tolist() == [-1, 0, 0, -1, 1, 1, -1, 2, 2]
    # a phone belongs to the word holding its midpoint; words without phones
    # are not counted
    words = [(0, 0.24, "early"), (0.24, 0.5, "late"), (0.5, 1.4, "none")]
    path.write_text(_textgrid([("phones", phones), ("words", words)]))
    assert read_textgrid(path).word_index.tolist() == [0, 1, 1, 2, 2, 2, 2, 2, 2]
    words = [(0, 0.09, "early"), (0.09, 0.3, ""), (0.3, 0.5, "late")]
    path.write_text(_textgrid([("phones", phones[:4]), ("words", words)]))
    assert read_textgrid(path).word_index.tolist() == [-1, -1, 0, -1]


def test_malformed_words_tier_names_file_and_line(tmp_path):
    path = tmp_path / "bad.TextGrid"
    bad = [(0, 0.1, ""), (0.1, 0.05, "hello"), (0.5, 1.0, "")]
    text = _textgrid([("phones", MFA_PHONES), ("words", bad)])
    path.write_text(text)
    with pytest.raises(CorpusError, match="before start") as info:
        read_textgrid(path)
    lines = text.splitlines()
    item2 = lines.index("    item [2]:")
    line = lines.index("            xmin = 0.1", item2) + 1
    assert f"{path}:{line}:" in str(info.value)
    overlap = [(0, 0.3, "a"), (0.2, 1.0, "b")]
    path.write_text(_textgrid([("phones", MFA_PHONES), ("words", overlap)]))
    with pytest.raises(CorpusError, match="previous segment"):
        read_textgrid(path)


def _hts(context, word=None, phrase=(1, 1)):
    """An HTS English full-context label (Festival/HTS-demo layout).

    ``word`` is the current word's position in its phrase (forward,
    backward), ``phrase`` the phrase's in the utterance; None for a pause.
    """
    if word is None:
        return (
            f"{context}@x_x/A:0_0_0/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:1+1+2"
            "/D:0_0/E:x+x@x+x&x+x#x+x/F:content_1/G:0_0/H:x=x@1=2|0/I:3=2/J:4+3-2"
        )
    (e3, e4), (h3, h4) = word, phrase
    return (
        f"{context}@1_2/A:0_0_0/B:1-1-2@1-1&1-3#1-2$1-1!0-2;0-1|ay/C:0+0+3"
        f"/D:0_0/E:content+1@{e3}+{e4}&{e3}+{e4}#x+1/F:content_1/G:0_0"
        f"/H:3=2@{h3}={h4}|L-L%/I:1=1/J:4+3-2"
    )


def _lab(names):
    return "".join(
        f"{i * 500000} {(i + 1) * 500000} {n}\n" for i, n in enumerate(names)
    )


# "hi there, you": two phrases, the second after a pause
HI_THERE_YOU = [
    _hts("x^x-pau+hh=ay"),
    _hts("x^pau-hh+ay=dh", (1, 2), (1, 2)),
    _hts("pau^hh-ay+dh=eh", (1, 2), (1, 2)),
    _hts("hh^ay-dh+eh=r", (2, 1), (1, 2)),
    _hts("ay^dh-eh+r=pau", (2, 1), (1, 2)),
    _hts("dh^eh-r+pau=y", (2, 1), (1, 2)),
    _hts("eh^r-pau+y=uw"),
    _hts("r^pau-y+uw=pau", (1, 1), (2, 1)),
    _hts("pau^y-uw+pau=x", (1, 1), (2, 1)),
    _hts("y^uw-pau+x=x"),
]


def test_hts_full_context_words(tmp_path):
    path = tmp_path / "a.lab"
    path.write_text(_lab(HI_THERE_YOU))
    lab = read_htk_label(path)
    assert lab.phones == ("pau", "hh", "ay", "dh", "eh", "r", "pau", "y", "uw", "pau")
    assert lab.word_index.tolist() == [-1, 0, 0, 1, 1, 1, -1, 2, 2, -1]
    # "yes no" as two one-word phrases without a pause: only the phrase's
    # position tells the words apart
    names = [
        _hts("x^x-pau+y=eh"),
        _hts("x^pau-y+eh=s", (1, 1), (1, 2)),
        _hts("pau^y-eh+s=n", (1, 1), (1, 2)),
        _hts("y^eh-s+n=ow", (1, 1), (1, 2)),
        _hts("eh^s-n+ow=pau", (1, 1), (2, 1)),
        _hts("s^n-ow+pau=x", (1, 1), (2, 1)),
        _hts("n^ow-pau+x=x"),
    ]
    assert parse_htk_label(_lab(names)).word_index.tolist() == [
        -1,
        0,
        0,
        0,
        1,
        1,
        -1,
    ]
    # the phrase field written h1=h2^h3=h4, as some question sets have it
    caret = [n.replace("@1=2|L-L%", "^1=2").replace("@2=1|L-L%", "^2=1") for n in names]
    assert parse_htk_label(_lab(caret)).word_index.tolist() == [-1, 0, 0, 0, 1, 1, -1]


def test_hts_without_word_fields_has_no_words():
    # plain phones
    assert parse_htk_label(_lab(["pau", "h", "aI", "pau"])).word_index is None
    assert parse_htk_label(_lab(["pau", "sil"])).word_index is None
    assert parse_htk_label("").word_index is None
    # full context without the /E: word field, or another language's layout
    short = ["x^x-pau+h=aI@x_x/A:0_0_0", "x^pau-h+aI=pau@1_2/A:0_0_0"]
    assert parse_htk_label(_lab(short)).word_index is None
    japanese = [
        "xx^xx-sil+k=o/A:xx+xx+xx/B:xx-xx_xx/C:xx_xx+xx/D:04+xx_xx/E:xx_xx!xx_xx-xx",
        "xx^sil-k+o=N/A:-2+1+4/B:xx-xx_xx/C:04_xx+xx/D:xx+xx_xx/E:xx_xx!xx_xx-xx",
    ]
    assert parse_htk_label(_lab(japanese)).word_index is None
    # a plain pause among full-context labels is outside words
    mixed = ["pau", *HI_THERE_YOU[1:6], "pau"]
    assert parse_htk_label(_lab(mixed)).word_index.tolist() == [
        -1,
        0,
        0,
        1,
        1,
        1,
        -1,
    ]
    # one segment without word information: no words at all
    broken = [*HI_THERE_YOU[:3], "x^hh-ay+dh=eh@1_2/A:0_0_0", *HI_THERE_YOU[4:]]
    assert parse_htk_label(_lab(broken)).word_index is None


def _tone(seconds, f0=150.0):
    t = np.arange(int(seconds * FS)) / FS
    return 0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))


def test_corpus_words_come_from_the_labels(tmp_path, monkeypatch):
    root = tmp_path / "corpus"
    for d in ("aa", "bb"):
        write_wav(root / d / "wav" / "u0.wav", _tone(1.0), FS)
        text = _textgrid([("words", MFA_WORDS), ("phones", MFA_PHONES)])
        (root / d / "lab").mkdir()
        (root / d / "lab" / "u0.TextGrid").write_text(text)
    corpus = read_corpus(root)
    assert not (root / "prompts.txt").exists()

    def no_espeak(*args, **kwargs):
        raise AssertionError("eSpeak is not needed for labels with words")

    monkeypatch.setattr("mtlsynth.speech.frontend.phonemes", no_espeak)
    words = _corpus_words(corpus, False)
    assert [(w.tolist(), q) for w, q in words] == [(MFA_WORD_INDEX, False)] * 2
    # a prompt still gives the question flag
    (root / "prompts.txt").write_text("u0 hello there?\n")
    assert [q for _, q in _corpus_words(corpus, False)] == [True, True]


def test_words_change_the_features():
    lab = Label.from_seconds(
        np.arange(8) * 0.1,
        np.arange(1, 9) * 0.1,
        ["pau", "h", "@", "l", "oU", "pau", "j", "u:"],
        word_index=[-1, 0, 0, 0, 0, -1, 1, 1],
    )
    plain = Label(lab.start_times, lab.end_times, lab.names)
    lf = LinguisticFeatures().fit([lab])
    with_words = lf.phone_features(PhoneSequence(lab.phones, None, lab.word_index))
    without = lf.phone_features(PhoneSequence(lab.phones))
    assert with_words.shape == without.shape
    assert not np.allclose(with_words, without)
    # a label's own words reach the features
    np.testing.assert_array_equal(lf.phone_features(lab), with_words)
    np.testing.assert_array_equal(lf.phone_features(plain), without)
