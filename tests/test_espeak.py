import argparse
import shutil

import numpy as np
import pytest
import scipy.sparse

from mtlsynth.cli import corpus as corpus_command
from mtlsynth.cli import main
from mtlsynth.speech import (
    CorpusError,
    build_corpus,
    frontend,
    read_corpus,
    read_wav,
    sentences,
)
from mtlsynth.utils.progress import Progress

DIALECTS = ["en-US", "en-GB-scotland"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    build_corpus(root, dialects=DIALECTS, n_utterances=3, progress=False)
    return root


def test_every_dialect_has_its_voice():
    for dialect in frontend.DIALECTS:
        audio, pron = frontend.synthesize_text("Hello there.", dialect=dialect)
        assert audio.dtype == np.int16 and len(audio) > 0.3 * frontend.sample_rate()
        assert pron.phones[0] == "pau" and pron.phones[-1] == "pau"
    with pytest.raises(ValueError, match="unknown dialect"):
        frontend.phonemes("Hello.", dialect="en-XX")
    with pytest.raises(ValueError, match="empty"):
        frontend.phonemes("  ")


def test_alignment_tiles_audio_and_marks_words():
    text = "The quick brown fox jumps over the lazy dog."
    audio, pron = frontend.synthesize_text(text, dialect="en-US")
    lab = pron.label
    assert lab.start_times[0] == 0
    np.testing.assert_array_equal(lab.start_times[1:], lab.end_times[:-1])
    assert np.all(lab.durations > 0)
    assert lab.ends[-1] == pytest.approx(len(audio) / frontend.sample_rate(), abs=1e-6)
    assert pron.words == tuple(text.rstrip(".").split())
    speech = np.array([p != "pau" for p in pron.phones])
    assert np.all(pron.word_index[~speech] == -1)
    assert np.all(np.diff(pron.word_index[speech]) >= 0)
    assert set(pron.word_index[speech]) == set(range(len(pron.words)))
    # the leading pause is silent, the speech is not
    fs = frontend.sample_rate()
    first = slice(0, int(lab.ends[0] * fs))
    assert np.abs(audio[first]).max() < 50
    assert np.abs(audio).max() > 3000


def test_sentence_selection_is_deterministic_and_covers_more():
    chosen = sentences.select_sentences(20, seed=3)
    assert chosen == sentences.select_sentences(20, seed=3)
    assert chosen[:5] == sentences.select_sentences(5, seed=3)
    assert chosen != sentences.select_sentences(20, seed=4)
    assert len(set(chosen)) == 20

    def coverage(texts):
        pairs = set()
        for s in texts:
            pairs |= sentences.diphones(frontend.text_to_phoneme_string(s))
        return len(pairs)

    # greedy selection beats the first 20 sentences of the same pool
    assert coverage(chosen) > 1.15 * coverage(sentences.generate_sentences(20, seed=3))


def _plain_greedy(pool, n):
    """The selection as it was first written: rescore every sentence each step."""
    vocab, rows, cols = {}, [], []
    for i, text in enumerate(pool):
        for d in sorted(sentences.diphones(frontend.text_to_phoneme_string(text))):
            rows.append(i)
            cols.append(vocab.setdefault(d, len(vocab)))
    m = scipy.sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(pool), len(vocab))
    )
    counts = np.zeros(len(vocab))
    chosen = np.zeros(len(pool), dtype=bool)
    order = []
    for _ in range(n):
        scores = m @ (1.0 / (1.0 + counts) ** 2)
        scores[chosen] = -np.inf
        best = int(np.argmax(scores))
        chosen[best] = True
        order.append(best)
        counts += m[best].toarray().ravel()
    return [pool[i] for i in order]


@pytest.mark.parametrize("seed", [0, 3])
def test_lazy_selection_chooses_as_full_rescoring(seed, capsys):
    pool = sentences.generate_sentences(300, seed=seed)
    expected = _plain_greedy(pool, 300)
    assert sentences.select_sentences(300, seed=seed, pool_size=300) == expected
    assert sentences.select_sentences(40, seed=seed, pool_size=300) == expected[:40]
    assert capsys.readouterr().err == ""
    sentences.select_sentences(5, seed=seed, pool_size=300, progress=True)
    err = capsys.readouterr().err
    assert "transcribing sentences: 300/300" in err
    assert "selecting sentences: 5/5" in err


def test_lazy_selection_breaks_ties_as_argmax():
    # few distinct rows, many exact ties in score; any batch size
    rng = np.random.default_rng(1)
    patterns = rng.random((12, 30)) < 0.3
    rows = patterns[rng.integers(len(patterns), size=150)]
    m = scipy.sparse.csr_matrix(rows.astype(float))
    counts = np.zeros(m.shape[1])
    expected = []
    for _ in range(m.shape[0]):
        scores = m @ (1.0 / (1.0 + counts) ** 2)
        scores[expected] = -np.inf
        expected.append(int(np.argmax(scores)))
        counts += rows[expected[-1]]
    off = Progress(1, "", enabled=False)
    for first_batch in (1, 3, 16, 1000):
        order = sentences._greedy_order(m, m.shape[0], off, first_batch=first_batch)
        assert order == expected


def test_speech_does_not_depend_on_what_came_before():
    text = "Every farmer noticed a big blanket, but Sophie never did."
    renders = []
    for other in ["The quick brown fox jumps over the lazy dog.", "Hello!", "Yes?"]:
        renders.append(frontend.synthesize_text(text, dialect="en-029"))
        frontend.synthesize_text(other, dialect="en-US")
        frontend.text_to_phoneme_string(other, dialect="en-GB-scotland")
    audio, pron = renders[0]
    for again, pron_again in renders[1:]:
        np.testing.assert_array_equal(again, audio)
        assert pron_again.phones == pron.phones
        np.testing.assert_array_equal(
            pron_again.label.start_times, pron.label.start_times
        )
        np.testing.assert_array_equal(pron_again.label.end_times, pron.label.end_times)
        np.testing.assert_array_equal(pron_again.word_index, pron.word_index)


def _outputs(root, dialects):
    return {
        p.relative_to(root): p.read_bytes()
        for d in dialects
        for p in sorted((root / d).rglob("*"))
        if p.is_file()
    }


def test_builds_are_byte_identical(tmp_path):
    dialects = ["en-US", "en-029"]
    ref = build_corpus(
        tmp_path / "ref", dialects=dialects, n_utterances=3, n_jobs=2, progress=False
    )
    expected = _outputs(ref, dialects)
    assert len(expected) == 12
    serial = build_corpus(
        tmp_path / "serial", dialects=dialects, n_utterances=3, progress=False
    )
    assert _outputs(serial, dialects) == expected
    subset = build_corpus(
        tmp_path / "subset", dialects=["en-029"], n_utterances=3, progress=False
    )
    assert _outputs(subset, ["en-029"]) == _outputs(ref, ["en-029"])
    # an interrupted build, resumed
    resumed = shutil.copytree(ref, tmp_path / "resumed")
    for path in [
        "en-US/wav/utt0002.wav",
        "en-029/lab/utt0001.lab",
        "en-029/wav/utt0003.wav",
    ]:
        (resumed / path).unlink()
    build_corpus(resumed, dialects=dialects, n_utterances=3, progress=False)
    assert _outputs(resumed, dialects) == expected


def test_built_corpus_is_consistent(built):
    corpus = read_corpus(built, tolerance=0.0)
    assert corpus.fs == frontend.sample_rate() == 22050
    assert corpus.dialects == tuple(sorted(DIALECTS))
    prompts = dict(
        line.split(" ", 1) for line in (built / "prompts.txt").read_text().splitlines()
    )
    assert sorted(prompts) == ["utt0001", "utt0002", "utt0003"]
    for utt in corpus:
        lab = utt.label
        assert lab.names[0] == lab.names[-1] == "pau"
        assert np.all(lab.durations > 0)
        np.testing.assert_array_equal(lab.start_times[1:], lab.end_times[:-1])
        assert lab.ends[-1] == pytest.approx(utt.n_samples / corpus.fs, abs=1e-6)
        # the same text gives the same phones through the front end
        pron = frontend.phonemes(prompts[utt.name], dialect=utt.dialect)
        assert pron.phones == lab.names


def test_dialects_differ(built):
    us = read_corpus(built, dialects=["en-US"]).utterances
    sc = read_corpus(built, dialects=["en-GB-scotland"]).utterances
    differ_phones = any(
        a.label.names != b.label.names for a, b in zip(us, sc, strict=True)
    )
    differ_length = any(a.n_samples != b.n_samples for a, b in zip(us, sc, strict=True))
    assert differ_phones and differ_length
    x, _ = read_wav(us[0].wav_path)
    y, _ = read_wav(sc[0].wav_path)
    assert len(x) != len(y) or not np.allclose(x, y)


def test_build_resumes(built, capsys):
    files = sorted(p for p in built.rglob("*") if p.is_file())
    stamps = [p.stat().st_mtime_ns for p in files if p.suffix in (".wav", ".lab")]
    build_corpus(built, dialects=DIALECTS, n_utterances=3)
    assert "synthesising" not in capsys.readouterr().err
    after = sorted(p for p in built.rglob("*") if p.is_file())
    assert after == files
    assert [
        p.stat().st_mtime_ns for p in after if p.suffix in (".wav", ".lab")
    ] == stamps
    # a missing wav is rebuilt, and only that one
    (built / "en-US" / "wav" / "utt0002.wav").unlink()
    build_corpus(built, dialects=DIALECTS, n_utterances=3)
    assert "synthesising: 1/1" in capsys.readouterr().err
    assert (built / "en-US" / "wav" / "utt0002.wav").is_file()


def test_build_refuses_other_sentences(built):
    with pytest.raises(CorpusError, match="use the same seed"):
        build_corpus(built, dialects=DIALECTS, n_utterances=3, seed=1, progress=False)
    with pytest.raises(ValueError, match="unknown dialect"):
        build_corpus(built, dialects=["xx"], n_utterances=3)


def test_cli_command(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="mtlsynth")
    corpus_command.add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "cli"
    args = parser.parse_args(
        ["corpus", "build", str(out), "--dialects", "en-029", "--utterances", "2"]
    )
    assert args.func(args) == 0
    assert "2 utterances in 1 dialects at 22050 Hz" in capsys.readouterr().out
    args = parser.parse_args(["corpus", "check", str(out)])
    assert args.func(args) == 0
    assert "en-029: 2 utterances" in capsys.readouterr().out
    (out / "en-029" / "lab" / "utt0001.lab").write_text("garbage\n")
    assert main(["corpus", "check", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mtlsynth: error:") and "utt0001.lab:1:" in err


def _median_f0(utt):
    from mtlsynth.speech import vocoder

    x, fs = read_wav(utt.wav_path)
    f0 = vocoder.analyze(x, fs, f0_method="dio").f0
    return float(np.median(f0[f0 > 0]))


def test_speakers_are_voice_variants_in_every_dialect(tmp_path, capsys):
    root = tmp_path / "c"
    main(
        ["corpus", "build", str(root), "--dialects", *DIALECTS]
        + ["--speakers", "m3", "f3", "--utterances", "2"]
    )
    assert "4 dialects" not in capsys.readouterr().out
    corpus = read_corpus(root)
    assert corpus.dialects == tuple(sorted(DIALECTS))
    assert corpus.speakers == ("f3", "m3")
    assert len(corpus) == 8
    assert {(u.dialect, u.speaker, u.key) for u in corpus if u.name == "utt0001"} == {
        (d, s, f"{s}/utt0001") for d in DIALECTS for s in ("m3", "f3")
    }
    # the same phones for both speakers of a dialect; a higher voice for f3
    by = {(u.dialect, u.speaker, u.name): u for u in corpus}
    for d in DIALECTS:
        male, female = by[d, "m3", "utt0001"], by[d, "f3", "utt0001"]
        assert male.label.names == female.label.names
        assert _median_f0(female) > 1.4 * _median_f0(male)
    main(["corpus", "check", str(root)])
    out = capsys.readouterr().out
    assert "en-US/f3: 2 utterances" in out
    assert "4 of 4 (dialect, speaker) cells recorded" in out
    with pytest.raises(ValueError, match="unknown eSpeak NG voice variant 'zz'"):
        build_corpus(tmp_path / "d", speakers=["zz"], n_utterances=1)
    with pytest.raises(ValueError, match="more than once"):
        build_corpus(tmp_path / "d", speakers=["m3", "m3"], n_utterances=1)
