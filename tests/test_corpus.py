import os
import shutil

import numpy as np
import pytest

from mtlsynth.speech import CorpusError, read_wav, write_wav
from mtlsynth.speech.audio import write_wav_stream
from mtlsynth.speech.corpus import (
    CachedFeatures,
    corpus_dialects,
    extract_features,
    read_corpus,
    split_corpus,
)
from mtlsynth.speech.evaluation import named_utterances, utterance_names
from mtlsynth.speech.labels import (
    Label,
    current_phone,
    parse_htk_label,
    read_htk_label,
    read_label,
    read_textgrid,
    write_htk_label,
)

FS = 16000

LONG_TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 0.5
tiers? <exists>
size = 2
item []:
    item [1]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 0.5
        intervals: size = 2
        intervals [1]:
            xmin = 0
            xmax = 0.1
            text = ""
        intervals [2]:
            xmin = 0.1
            xmax = 0.5
            text = "hi"
    item [2]:
        class = "IntervalTier"
        name = "phones"
        xmin = 0
        xmax = 0.5
        intervals: size = 3
        intervals [1]:
            xmin = 0
            xmax = 0.1
            text = ""
        intervals [2]:
            xmin = 0.1
            xmax = 0.25
            text = "h"
        intervals [3]:
            xmin = 0.25
            xmax = 0.5
            text = "aI"
"""

SHORT_TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"

0
0.3
<exists>
1
"IntervalTier"
"segments"
0
0.3
2
0
0.1
"s"
0.1
0.3
"a"
"""


def _tone(seconds=0.3, f0=150.0, fs=FS):
    t = np.arange(int(seconds * fs)) / fs
    return 0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))


def _make_corpus(root, dialects=("a", "b"), n=2, seconds=0.3):
    for d in dialects:
        for i in range(n):
            write_wav(root / d / "wav" / f"u{i}.wav", _tone(seconds, 120 + 30 * i), FS)
            write_htk_label(
                root / d / "lab" / f"u{i}.lab",
                Label.from_seconds(
                    [0, 0.1, 0.2], [0.1, 0.2, seconds], ["pau", "a", "pau"]
                ),
            )
    return root


def test_parse_htk_plain_and_full_context():
    text = (
        "0 500000 pau\n"
        "\n"
        "500000 1200000 x^pau-h+aI=t@1_2/A:0_0_0\n"
        "1200000 2500000 aI 12.5\n"
    )
    lab = parse_htk_label(text)
    assert len(lab) == 3
    assert lab.phones == ("pau", "h", "aI")
    np.testing.assert_allclose(lab.starts, [0, 0.05, 0.12])
    np.testing.assert_allclose(lab.durations, [0.05, 0.07, 0.13])
    assert lab.num_frames(5.0) == 50
    assert lab.segment_frames(5.0).tolist() == [10, 14, 26]
    assert lab.frame_index(5.0)[[0, 9, 10, 24, 49]].tolist() == [0, 0, 1, 2, 2]
    # names keep the full context; only .phones extracts the centre
    assert lab.names[1].startswith("x^pau-h+")


def test_current_phone():
    assert current_phone("a^b-c+d=e@1_2") == "c"
    assert current_phone("sil") == "sil"
    assert current_phone("@2") == "@2"


def test_htk_round_trip(tmp_path):
    lab = Label.from_seconds([0, 0.123], [0.123, 0.5], ["pau", "'aU"])
    path = tmp_path / "x" / "a.lab"
    write_htk_label(path, lab)
    back = read_htk_label(path)
    assert back.names == lab.names
    np.testing.assert_array_equal(back.end_times, lab.end_times)
    assert [p.name for p in path.parent.iterdir()] == ["a.lab"]  # no temp left


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("0 10 a\n10 20\n", 2, "expected 'start end name'"),
        ("0 10 a\n\n10 x b\n", 3, "integers"),
        ("0 10 a\n10 5 b\n", 2, "before start"),
        ("0 10 a\n5 20 b\n", 2, "previous segment"),
        ("-5 10 a\n", 1, "negative"),
    ],
)
def test_htk_errors_name_file_and_line(tmp_path, text, line, match):
    path = tmp_path / "bad.lab"
    path.write_text(text)
    with pytest.raises(CorpusError, match=match) as info:
        read_htk_label(path)
    assert f"{path}:{line}:" in str(info.value)


def test_textgrid_long_format(tmp_path):
    path = tmp_path / "a.TextGrid"
    path.write_text(LONG_TEXTGRID)
    lab = read_textgrid(path)
    assert lab.names == ("pau", "h", "aI")
    np.testing.assert_allclose(lab.ends, [0.1, 0.25, 0.5])
    words = read_textgrid(path, tier="words")
    assert words.names == ("pau", "hi")
    assert read_label(path).names == lab.names
    with pytest.raises(CorpusError, match="no interval tier named"):
        read_textgrid(path, tier="syllables")


def test_textgrid_short_format_and_utf16(tmp_path):
    path = tmp_path / "b.TextGrid"
    path.write_text(SHORT_TEXTGRID)
    assert read_textgrid(path).names == ("s", "a")
    path16 = tmp_path / "c.TextGrid"
    path16.write_bytes(SHORT_TEXTGRID.encode("utf-16"))
    np.testing.assert_allclose(read_textgrid(path16).ends, [0.1, 0.3])


def test_textgrid_errors(tmp_path):
    path = tmp_path / "bad.TextGrid"
    path.write_text(LONG_TEXTGRID.replace("xmax = 0.25", "xmax = 0.05"))
    with pytest.raises(CorpusError, match="before start") as info:
        read_textgrid(path)
    # the xmin line of interval [2] of the phones tier is line 34
    assert f"{path}:34:" in str(info.value)
    path.write_text(LONG_TEXTGRID.replace('name = "phones"', 'name = "other"'))
    with pytest.raises(CorpusError, match="which tier"):
        read_textgrid(path)
    path.write_text("hello")
    with pytest.raises(CorpusError, match="not a Praat TextGrid"):
        read_textgrid(path)


def test_wav_round_trip_and_errors(tmp_path):
    x = _tone()
    path = tmp_path / "a.wav"
    write_wav(path, x, FS)
    y, fs = read_wav(path)
    assert fs == FS and y.dtype == np.float64
    assert np.max(np.abs(x - y)) < 1.0 / 32768
    write_wav(path, np.array([2.0, -2.0]), FS)  # clipped
    y, _ = read_wav(path)
    assert y.max() < 1.0 and y.min() == -1.0
    (tmp_path / "junk.wav").write_bytes(b"not a wav file at all")
    with pytest.raises(CorpusError, match="junk.wav: cannot read wav"):
        read_wav(tmp_path / "junk.wav")
    with pytest.raises(ValueError, match="1-D"):
        write_wav(path, np.zeros((10, 2)), FS)


def test_wav_written_piece_by_piece_is_the_wav_of_the_whole(tmp_path):
    pieces = [_tone(0.3), np.zeros(0), _tone(0.2, 300.0)]
    assert write_wav_stream(tmp_path / "s.wav", iter(pieces), FS) == sum(
        map(len, pieces)
    )
    write_wav(tmp_path / "w.wav", np.concatenate(pieces), FS)
    assert (tmp_path / "s.wav").read_bytes() == (tmp_path / "w.wav").read_bytes()


def test_a_failing_piece_leaves_no_wav_behind(tmp_path):
    def pieces():
        yield _tone(0.3)
        raise ValueError("no words to speak")

    (tmp_path / "old.wav").write_bytes(b"old")
    with pytest.raises(ValueError, match="no words"):
        write_wav_stream(tmp_path / "old.wav", pieces(), FS)
    with pytest.raises(ValueError, match="NaN"):
        write_wav_stream(tmp_path / "new.wav", [_tone(0.1), np.array([np.nan])], FS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.wav"]
    assert (tmp_path / "old.wav").read_bytes() == b"old"


def test_read_corpus(tmp_path):
    root = _make_corpus(tmp_path)
    corpus = read_corpus(root)
    assert corpus.fs == FS
    assert corpus.dialects == ("a", "b")
    assert len(corpus) == 4
    assert [u.name for u in corpus.by_dialect("b")] == ["u0", "u1"]
    x, fs = corpus.utterances[0].load_wav()
    assert len(x) == corpus.utterances[0].n_samples and fs == FS


def test_read_corpus_with_speaker_folders(tmp_path, capsys):
    _make_corpus(tmp_path / "a", dialects=("s1", "s2"))  # a/s1/wav, a/s2/wav
    _make_corpus(tmp_path / "b", dialects=("s1",))
    corpus = read_corpus(tmp_path)
    assert corpus.dialects == ("a", "b") and corpus.speakers == ("s1", "s2")
    assert [(u.dialect, u.speaker, u.key) for u in corpus] == [
        ("a", "s1", "s1/u0"),
        ("a", "s1", "s1/u1"),
        ("a", "s2", "s2/u0"),
        ("a", "s2", "s2/u1"),
        ("b", "s1", "s1/u0"),
        ("b", "s1", "s1/u1"),
    ]
    assert corpus_dialects(tmp_path) == ["a", "b"]
    # the cache keeps the speakers apart; the held-out records name them
    extract_features(corpus, cache_dir=tmp_path / ".cache", f0_method="dio")
    assert "analysing: 6/6" in capsys.readouterr().err
    assert len(list((tmp_path / ".cache").rglob("a/s2/u1.npz"))) == 1
    names = utterance_names(corpus)
    assert names["a"] == ["s1/u0", "s1/u1", "s2/u0", "s2/u1"]
    chosen, missing = named_utterances(corpus, {"a": ["s2/u0", "s3/u0"]})
    assert [u.key for u in chosen] == ["s2/u0"] and missing == 1
    # the split is by sentence: a held-out sentence is out for every speaker
    train, test = split_corpus(corpus, test_size=1)
    assert {u.name for u in test} == {"u1"} and len(test) == 3
    # a dialect folder with both layouts is a problem, named
    _make_corpus(tmp_path, dialects=("b",), n=1)
    with pytest.raises(CorpusError, match="holds both wav/lab folders and speaker"):
        read_corpus(tmp_path)
    shutil.rmtree(tmp_path / "b" / "wav")
    shutil.rmtree(tmp_path / "b" / "lab")
    shutil.rmtree(tmp_path / "b" / "s1" / "wav")
    with pytest.raises(CorpusError, match="speaker folder has no wav folder"):
        read_corpus(tmp_path)


def test_read_corpus_textgrid_instead_of_lab(tmp_path):
    root = _make_corpus(tmp_path, dialects=("a",), n=1, seconds=0.5)
    os.remove(root / "a" / "lab" / "u0.lab")
    (root / "a" / "wav" / "u0.TextGrid").write_text(LONG_TEXTGRID)
    corpus = read_corpus(root)
    assert corpus.utterances[0].label.names == ("pau", "h", "aI")


def test_read_corpus_reports_every_problem(tmp_path):
    root = _make_corpus(tmp_path, n=3)
    os.remove(root / "a" / "lab" / "u0.lab")  # missing label
    (root / "a" / "lab" / "u1.lab").write_text("0 1000000 a\n1000000 90000000 b\n")
    write_wav(root / "b" / "wav" / "u0.wav", _tone(fs=8000), 8000)  # other rate
    (root / "b" / "wav" / "u1.wav").write_bytes(b"RIFF garbage")
    (root / "b" / "lab" / "u2.lab").write_text("0 10 a\noops\n")
    with pytest.raises(CorpusError) as info:
        read_corpus(root)
    msg = str(info.value)
    assert "5 problem(s)" in msg
    assert f"{root / 'a' / 'wav' / 'u0.wav'}: no label" in msg
    assert f"{root / 'a' / 'lab' / 'u1.lab'}:2: label ends at 9.000 s" in msg
    assert f"{root / 'b' / 'wav' / 'u0.wav'}: sample rate 8000 Hz" in msg
    assert f"{root / 'b' / 'wav' / 'u1.wav'}: cannot read wav" in msg
    assert f"{root / 'b' / 'lab' / 'u2.lab'}:2: expected 'start end name'" in msg


def test_read_corpus_missing_and_empty(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        read_corpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match="no wav files"):
        read_corpus(tmp_path)
    with pytest.raises(CorpusError, match="no wav folder"):
        read_corpus(tmp_path, dialects=["zz"])


def test_extract_features_caches(tmp_path, capsys):
    root = _make_corpus(tmp_path / "c")
    corpus = read_corpus(root)
    cache = tmp_path / "cache"
    first = extract_features(corpus, cache_dir=cache, f0_method="dio")
    assert "analysing: 4/4" in capsys.readouterr().err
    files = sorted(cache.rglob("*.npz"))
    assert len(files) == 4
    for f in files:  # no pickled objects inside
        np.load(f, allow_pickle=False)["mcep"]
    mtimes = [f.stat().st_mtime_ns for f in files]
    second = extract_features(corpus, cache_dir=cache, f0_method="dio")
    assert capsys.readouterr().err == ""  # nothing analysed
    assert [f.stat().st_mtime_ns for f in files] == mtimes
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.mcep, b.mcep)
        np.testing.assert_array_equal(a.f0, b.f0)
    # a changed wav is analysed again; the rest come from the cache
    write_wav(corpus.utterances[0].wav_path, _tone(0.4, 200.0), FS)
    corpus = read_corpus(root)
    third = extract_features(corpus, cache_dir=cache, f0_method="dio")
    assert "analysing: 1/1" in capsys.readouterr().err
    assert third[0].n_frames > first[0].n_frames
    # other settings use their own cache entries
    extract_features(corpus, cache_dir=cache, f0_method="dio", mcep_order=24)
    assert "analysing: 4/4" in capsys.readouterr().err
    # an interrupted run (a missing entry) resumes with that entry only
    os.remove(files[1])
    extract_features(corpus, cache_dir=cache, f0_method="dio")
    assert "analysing: 1/1" in capsys.readouterr().err


def test_label_rejects_inconsistent_lengths():
    with pytest.raises(ValueError, match="start times"):
        Label(np.array([0, 1]), np.array([1]), ("a",))


def test_atomic_writes_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_wav(tmp_path / "a.wav", np.zeros(100), 16000)
    finally:
        os.umask(old)
    assert (tmp_path / "a.wav").stat().st_mode & 0o777 == 0o640
    assert not list(tmp_path.glob(".*.tmp"))


def test_lazy_features_read_the_cache_on_demand(tmp_path, capsys):
    root = _make_corpus(tmp_path / "c")
    corpus = read_corpus(root)
    cache = tmp_path / "cache"
    lazy = extract_features(corpus, cache_dir=cache, f0_method="dio", lazy=True)
    assert "analysing: 4/4" in capsys.readouterr().err
    assert isinstance(lazy, CachedFeatures) and len(lazy) == 4
    eager = extract_features(corpus, cache_dir=cache, f0_method="dio")
    assert capsys.readouterr().err == ""
    for i, expected in enumerate(eager):
        np.testing.assert_array_equal(lazy[i].mcep, expected.mcep)
    np.testing.assert_array_equal(lazy[-1].lf0, eager[-1].lf0)
    with pytest.raises(IndexError):
        lazy[4]
    # a second lazy call analyses nothing; a stale entry is reported by name
    again = extract_features(corpus, cache_dir=cache, f0_method="dio", lazy=True)
    assert capsys.readouterr().err == ""
    write_wav(corpus.utterances[1].wav_path, _tone(0.4, 200.0), FS)
    with pytest.raises(CorpusError, match="stale"):
        again[1]
