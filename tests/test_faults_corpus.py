"""Fault injection: corrupt, truncated and edited corpus files.

Every kind of corpus file (wav, HTK label, TextGrid, feature cache) is cut
short or edited; each problem must come back as a :class:`CorpusError` whose
line names the file (and label line), never as an exception of numpy,
struct or pyworld, and nothing may be left half-written.
"""

import contextlib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io.wavfile
from hypothesis import given, settings
from hypothesis import strategies as st
from test_corpus import FS, LONG_TEXTGRID, _make_corpus, _tone

from mtlsynth.cli import main
from mtlsynth.speech import (
    CorpusError,
    CorpusWarning,
    Label,
    read_wav,
    vocoder,
    write_wav,
)
from mtlsynth.speech.corpus import extract_features, read_corpus
from mtlsynth.speech.labels import write_htk_label

FAST = settings(max_examples=25, deadline=None)


def _files(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def _problems(root):
    """Problem lines of the CorpusError that read_corpus raises on ``root``."""
    before = _files(root)
    with pytest.raises(CorpusError) as info:
        read_corpus(root)
    assert _files(root) == before  # reading writes nothing
    head, *lines = str(info.value).splitlines()
    assert head == f"{len(lines)} problem(s) in corpus {root}:"
    assert "Traceback" not in str(info.value)
    return lines


def _reads_or_names(root, path):
    """read_corpus accepts ``root``, or every problem it reports names ``path``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)
        try:
            read_corpus(root)
        except CorpusError:
            lines = _problems(root)
            assert all(line.startswith(f"{path}:") for line in lines), lines


def _one_utterance(root, seconds=0.3):
    _make_corpus(root, dialects=("a",), n=1, seconds=seconds)
    return root / "a" / "wav" / "u0.wav", root / "a" / "lab" / "u0.lab"


@contextlib.contextmanager
def _holding(path, data):
    """``path`` holds ``data`` inside the block, then its old contents."""
    old = path.read_bytes()
    path.write_bytes(data)
    try:
        yield path
    finally:
        path.write_bytes(old)


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    """Root, wav and label of a corpus of one utterance, shared by examples."""
    root = tmp_path_factory.mktemp("one")
    return (root, *_one_utterance(root))


# --------------------------------------------------------------------------
# wav files


@FAST
@given(data=st.data())
def test_truncated_wav_is_one_problem_naming_it(one, data):
    root, wav, _ = one
    raw = wav.read_bytes()
    length = data.draw(st.integers(0, 60) | st.integers(0, len(raw) - 1), "length")
    with _holding(wav, raw[:length]):
        [line] = _problems(root)
    assert line.startswith(f"{wav}: ")
    assert "truncated" in line or "cannot read wav file" in line


@FAST
@given(at=st.integers(0, 43), byte=st.integers(0, 255))
def test_wav_header_edits_read_or_name_the_file(one, at, byte):
    root, wav, _ = one
    raw = bytearray(wav.read_bytes())
    raw[at] = byte
    with _holding(wav, bytes(raw)):
        _reads_or_names(root, wav)


def test_wav_cut_to_30_bytes_fails_check_and_train_in_one_line(tmp_path, capsys):
    wav, _ = _one_utterance(tmp_path / "c")
    wav.write_bytes(wav.read_bytes()[:30])
    voice = tmp_path / "voice.npz"
    assert main(["corpus", "check", str(tmp_path / "c")]) == 1
    assert main(["train", str(tmp_path / "c"), "-o", str(voice)]) == 1
    err = capsys.readouterr().err
    assert err.count(f"{wav}: wav file is truncated in its header\n") == 2
    assert "Traceback" not in err and "struct" not in err
    assert not voice.exists()


def _float_wav(path, x):
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.wavfile.write(path, FS, np.asarray(x, dtype=np.float32))


@pytest.mark.parametrize(
    "samples, message",
    [
        (np.full(4800, np.nan), "waveform contains NaN or infinite samples"),
        (np.zeros(4800), "waveform is all silent (every sample is zero)"),
        (
            _tone()[:50],
            "waveform is too short: 50 samples, need at least 320 "
            "(4 frames of 5.0 ms at 16000 Hz)",
        ),
        (np.zeros(0), "waveform is empty"),
    ],
)
def test_audio_that_training_rejects_fails_the_check(tmp_path, samples, message):
    _make_corpus(tmp_path, dialects=("a",), n=2)
    wav = tmp_path / "a" / "wav" / "u0.wav"
    _float_wav(wav, samples)
    write_htk_label(wav.parent.parent / "lab" / "u0.lab", Label([0], [0], ["pau"]))
    assert _problems(tmp_path) == [f"{wav}: {message}"]
    with pytest.raises(ValueError, match="waveform"):
        vocoder.analyze(samples, FS, f0_method="dio")


@FAST
@given(n=st.integers(0, 400), silent=st.booleans())
def test_check_accepts_exactly_what_analysis_accepts(tmp_path_factory, n, silent):
    wav, lab = _one_utterance(tmp_path_factory.mktemp("c"))
    write_wav(wav, np.zeros(n) if silent else _tone(n / FS + 1e-9)[:n], FS)
    write_htk_label(lab, Label.from_seconds([0], [n / FS], ["a"]))
    try:
        read_corpus(wav.parents[2])
        accepted = True
    except CorpusError:
        accepted = False
    try:
        vocoder.analyze(read_wav(wav)[0], FS, f0_method="dio")
        analysable = True
    except ValueError:
        analysable = False
    assert accepted == analysable


# --------------------------------------------------------------------------
# labels


def test_label_time_past_int64_is_named_with_its_line(tmp_path, capsys):
    _, lab = _one_utterance(tmp_path)
    lab.write_text("0 1000000 pau\n1000000 100000000000000000000000 a\n")
    assert _problems(tmp_path) == [
        f"{lab}:2: time 100000000000000000000000 is out of range "
        "(at most 9223372036854775807 units of 100 ns)"
    ]
    assert main(["corpus", "check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{lab}:2: time 100000000000000000000000" in err
    assert "OverflowError" not in err


LINE_EDITS = st.sampled_from(
    [b"9" * 30, b"e", b"-", b"1e23", b" ", b"\t", b"x", b"\xff", b"\x00", b""]
)


@FAST
@given(line=st.integers(0, 2), at=st.integers(0, 20), edit=LINE_EDITS)
def test_label_line_edits_read_or_name_the_file(one, line, at, edit):
    root, _, lab = one
    lines = lab.read_bytes().splitlines(keepends=True)
    text = lines[line]
    at = min(at, len(text))
    lines[line] = text[:at] + edit + text[at + 1 :]
    with _holding(lab, b"".join(lines)):
        _reads_or_names(root, lab)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """A TextGrid, the label of the only utterance of its corpus."""
    wav, lab = _one_utterance(tmp_path_factory.mktemp("grid"), seconds=0.5)
    lab.unlink()
    grid = wav.with_suffix(".TextGrid")
    grid.write_text(LONG_TEXTGRID)
    return grid


@FAST
@given(data=st.data())
def test_truncated_textgrid_reads_or_names_the_file(grid, data):
    raw = grid.read_bytes()
    with _holding(grid, raw[: data.draw(st.integers(0, len(raw) - 1), "length")]):
        _reads_or_names(grid.parents[2], grid)


@FAST
@given(
    at=st.integers(0, len(LONG_TEXTGRID) - 1),
    edit=LINE_EDITS | st.sampled_from([b"1e400", b"nan", b'"', b"\n", b"<exists>"]),
)
def test_textgrid_edits_read_or_name_the_file(grid, at, edit):
    raw = grid.read_bytes()
    with _holding(grid, raw[:at] + edit + raw[at + 1 :]):
        _reads_or_names(grid.parents[2], grid)


@pytest.mark.parametrize(
    "edit, message",
    [
        ("xmax = 1e400", "35: expected a number for interval xmax, got '1e400'"),
        # the times of an interval are reported on its xmin line
        ("xmax = 1e300", "34: time 1e+300 s is out of range (at most"),
    ],
)
def test_textgrid_numbers_out_of_range_name_the_line(grid, edit, message):
    text = LONG_TEXTGRID.replace("xmax = 0.25", edit).encode()
    with _holding(grid, text):
        [line] = _problems(grid.parents[2])
    assert line.startswith(f"{grid}:{message}")


def test_textgrid_fractional_count_names_the_line(grid):
    text = LONG_TEXTGRID.replace("intervals: size = 3", "intervals: size = 2.5")
    with _holding(grid, text.encode()):
        assert _problems(grid.parents[2]) == [
            f"{grid}:28: expected a count for number of intervals, got 2.5"
        ]


def test_odd_length_utf16_textgrid_names_the_file(grid):
    with _holding(grid, LONG_TEXTGRID.encode("utf-16")[:-1]):
        assert _problems(grid.parents[2]) == [
            f"{grid}: TextGrid is not UTF-8 or UTF-16"
        ]


# --------------------------------------------------------------------------
# files that would be skipped


def test_every_skipped_file_or_dialect_is_a_problem(tmp_path):
    _make_corpus(tmp_path, dialects=("a", "b", "c", "d"), n=1)
    (tmp_path / "a" / "lab" / "u9.lab").write_text("0 10 pau\n")
    for p in (tmp_path / "b" / "wav").iterdir():
        p.unlink()
    (tmp_path / "b" / "wav").rmdir()
    (tmp_path / "b" / "wav").write_text("not a folder")
    (tmp_path / "c" / "wav" / "u0.wav").unlink()
    (tmp_path / "c" / "lab" / "u0.lab").unlink()
    (tmp_path / "d" / "wav" / "u0.wav").unlink()
    (tmp_path / "d" / "wav").rmdir()
    assert _problems(tmp_path) == [
        f"{tmp_path / 'b' / 'wav'}: not a folder; dialect b skipped",
        f"{tmp_path / 'd' / 'wav'}: dialect folder has no wav folder",
        f"{tmp_path / 'a' / 'lab' / 'u9.lab'}: label has no wav "
        f"({tmp_path / 'a' / 'wav' / 'u9.wav'})",
        f"{tmp_path / 'c' / 'wav'}: no wav files; dialect c skipped",
    ]


def test_unused_audio_and_stray_files_are_warned_of(tmp_path, capsys):
    _make_corpus(tmp_path, dialects=("a",), n=2)
    wav = tmp_path / "a" / "wav" / "u0.wav"
    write_wav(wav, _tone(3.0), FS)  # the label still ends at 0.3 s
    (tmp_path / "a" / "wav" / "notes.txt").write_text("x")
    (tmp_path / "a" / "lab" / "u1.TextGrid").write_text(LONG_TEXTGRID)
    (tmp_path / "a" / "wav" / ".DS_Store").write_text("x")  # hidden: not read
    with pytest.warns(CorpusWarning) as record:
        corpus = read_corpus(tmp_path)
    assert len(corpus) == 2
    lab = tmp_path / "a" / "lab"
    assert sorted(str(w.message) for w in record) == [
        f"{lab / 'u0.lab'}: label ends at 0.300 s, 2.700 s before the end of "
        "u0.wav (3.000 s); the rest is not used",
        f"{lab / 'u1.TextGrid'}: skipped; {lab / 'u1.lab'} is the label used",
        f"{tmp_path / 'a' / 'wav' / 'notes.txt'}: neither a wav in wav/ nor a "
        "label file; skipped",
    ]
    assert main(["corpus", "check", str(tmp_path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    assert all(line.startswith(f"mtlsynth: warning: {tmp_path}") for line in err)


# --------------------------------------------------------------------------
# the feature cache


def _cached_corpus(root):
    _one_utterance(root)
    corpus = read_corpus(root)
    feats = extract_features(corpus, f0_method="dio", progress=False)
    [npz] = (root / ".features").rglob("*.npz")
    return corpus, feats[0], npz


def _same(a, b):
    for name in ("lf0", "vuv", "mcep", "bap"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    """A corpus of one utterance, its features and their cache file."""
    return _cached_corpus(tmp_path_factory.mktemp("cached"))


@settings(FAST, max_examples=15)
@given(data=st.data(), lazy=st.booleans())
def test_truncated_or_edited_cache_is_analysed_again(cached, data, lazy):
    corpus, expected, npz = cached
    raw = bytearray(npz.read_bytes())
    if data.draw(st.booleans(), "truncate"):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1), "length")]
    else:
        raw[data.draw(st.integers(0, len(raw) - 1), "at")] ^= 0xFF
    with _holding(npz, bytes(raw)):
        again = extract_features(corpus, f0_method="dio", progress=False, lazy=lazy)
        _same(again[0], expected)
        assert not list(corpus.root.rglob("*.tmp"))


def test_cache_with_corrupt_arrays_but_readable_stamp_is_redone(tmp_path):
    corpus, expected, npz = _cached_corpus(tmp_path)
    with zipfile.ZipFile(npz) as z:
        info = z.getinfo("mcep.npy")
    raw = bytearray(npz.read_bytes())
    raw[info.header_offset + 30 + len(info.filename) + info.file_size // 2] ^= 0xFF
    npz.write_bytes(bytes(raw))
    lazy = extract_features(corpus, f0_method="dio", progress=False, lazy=True)
    _same(lazy[0], expected)


def test_unreadable_cache_entry_is_named_when_indexed(tmp_path):
    corpus, _, npz = _cached_corpus(tmp_path)
    lazy = extract_features(corpus, f0_method="dio", progress=False, lazy=True)
    npz.write_bytes(npz.read_bytes()[:100])
    with pytest.raises(CorpusError) as info:
        lazy[0]
    assert str(info.value).startswith(f"{corpus.utterances[0].wav_path}: ")
    assert "unreadable" in str(info.value) and "\n" not in str(info.value)


def test_wav_truncated_after_the_check_leaves_no_cache_entry(tmp_path):
    _make_corpus(tmp_path, dialects=("a",), n=2)
    corpus = read_corpus(tmp_path)
    wav = corpus.utterances[1].wav_path
    wav.write_bytes(wav.read_bytes()[:1000])
    with pytest.raises(CorpusError) as info:
        extract_features(corpus, f0_method="dio", progress=False)
    assert str(info.value).startswith(f"{wav}: wav file is truncated")
    assert "\n" not in str(info.value)
    assert not list(tmp_path.rglob("*.tmp"))
    assert not list(tmp_path.rglob("u1.npz"))


def test_phones_outside_the_set_are_named_by_check_and_refused_by_train(
    tmp_path, capsys
):
    root = _make_corpus(tmp_path / "c", seconds=0.6)  # "pau a pau": eSpeak's
    lab = root / "b" / "lab" / "u1.lab"
    lines = lab.read_text().splitlines()
    lines[1] = lines[1].rsplit(" ", 1)[0] + " qq"
    lab.write_text("\n".join(lines) + "\n")
    grid = root / "a" / "lab" / "u0.TextGrid"
    grid.write_text(LONG_TEXTGRID.replace('"aI"', '"xx"'))
    (root / "a" / "lab" / "u0.lab").unlink()
    assert main(["corpus", "check", str(root)]) == 1
    out = capsys.readouterr().out
    assert "phone set: espeak (detected);" in out and ", 2 outside it" in out
    assert f"{lab}:2: phone 'qq' (1x) is not in the set" in out
    assert f"{grid}:" in out and "phone 'xx'" in out
    voice = tmp_path / "voice.npz"
    assert main(["train", str(root), "-o", str(voice), "--holdout", "0"]) == 1
    err = capsys.readouterr().err
    assert "phones outside the phone set" in err and f"{lab}:2:" in err
    assert not voice.exists()
    table = tmp_path / "extra.tsv"
    table.write_text("a\tä\nh\th\nqq\tq\nxx\t\tconsonant, velar, fricative\n")
    args = ["corpus", "check", str(root), "--phone-set", str(table)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "phone set: extra (given);" in out and ", 0 outside it" in out
