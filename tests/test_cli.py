import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from voices import older_format

from mtlsynth import __version__
from mtlsynth.cli import main
from mtlsynth.cli.say import only_dialect
from mtlsynth.speech import (
    ParametricSynthesizer,
    build_corpus,
    read_wav,
    relabel_corpus,
)

UNSEEN = "phones the voice never saw"  # tiny voices lack some held-out phones


def _warnings(err):
    """Warning lines of stderr, but the note on phones the voice never saw."""
    return [
        line for line in err.splitlines() if "warning" in line and UNSEEN not in line
    ]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    out = tmp_path_factory.mktemp("demo")
    mp = pytest.MonkeyPatch()
    mp.setenv("MTLSYNTH_CACHE", str(cache))
    try:
        # nine training sentences per dialect: with five, the default penalties
        # (chosen on corpora of a hundred sentences and more) overfit the
        # ~2,600 frame features to a held-out MCD of about 20 dB
        status = main(
            ["demo", "--utterances", "10", "--dialects", "en-US", "en-GB-scotland"]
            + ["--out", str(out), "--jobs", "1"]
        )
    finally:
        mp.undo()
    return status, cache, out


def test_demo_writes_speech_and_metrics_per_dialect(demo_run, capsys):
    status, cache, out = demo_run
    assert status == 0
    assert (cache / "corpus" / "en-US" / "wav").is_dir()
    metrics = json.loads((out / "metrics.json").read_text())
    assert sorted(metrics) == ["en-GB-scotland", "en-US"]
    for values in metrics.values():
        assert set(values) == {
            "mcd_db",
            "f0_rmse_hz",
            "vuv_error_pct",
            "bap_db",
            "dur_rmse_ms",
        }
        assert all(np.isfinite(v) and v >= 0 for v in values.values())
        assert values["mcd_db"] < 20
    waves = {}
    for dialect in metrics:
        x, fs = read_wav(out / f"{dialect}.wav")
        assert fs == 22050 and len(x) > fs // 2
        assert np.sqrt(np.mean(x**2)) > 1e-3
        waves[dialect] = x
    a, b = waves.values()
    assert len(a) != len(b) or not np.allclose(a, b)


@pytest.fixture(scope="module")
def held_out_voice(demo_run, tmp_path_factory):
    """A voice trained on the demo corpus but its last sentence (utt0010)."""
    _, cache, _ = demo_run
    voice = tmp_path_factory.mktemp("voice") / "voice.npz"
    corpus = str(cache / "corpus")
    train = ["train", corpus, "-o", str(voice), "--holdout", "1"]
    assert main([*train, "--voicing-frames", "2000"]) == 0
    return voice, corpus


def test_train_say_evaluate_round_trip(held_out_voice, tmp_path, capsys):
    voice, corpus = held_out_voice
    wav = tmp_path / "hello.wav"
    args = ["say", "Hello there.", "--voice", str(voice), "--dialect", "en-US"]
    assert main([*args, "--accent-strength", "0.5", "-o", str(wav)]) == 0
    x, fs = read_wav(wav)
    assert len(x) > 0.2 * fs
    capsys.readouterr()
    report = tmp_path / "m.json"
    assert main(["evaluate", corpus, "--voice", str(voice), "--json", str(report)]) == 0
    out, err = capsys.readouterr()
    assert "en-GB-scotland" in out and "MCD dB" in out
    assert set(json.loads(report.read_text())) == {"en-US", "en-GB-scotland"}
    # the sentence held out in training, in both dialects, and nothing else
    assert "Measures on 2 utterances" in out and not _warnings(err)
    held = {d: ["utt0010"] for d in ("en-GB-scotland", "en-US")}
    assert ParametricSynthesizer.load(voice).held_out_ == held


def test_evaluate_scores_the_recorded_held_out_utterances_the_corpus_has(
    held_out_voice, tmp_path, capsys
):
    voice, corpus = held_out_voice
    args = ["evaluate", corpus, "--voice", str(voice)]
    assert main([*args, "--dialects", "en-US"]) == 0
    assert "Measures on 1 utterances" in capsys.readouterr().out
    shrunk = tmp_path / "corpus"
    shutil.copytree(corpus, shrunk)
    for part in ("wav/utt0010.wav", "lab/utt0010.lab"):
        (shrunk / "en-US" / part).unlink()
    assert main(["evaluate", str(shrunk), "--voice", str(voice)]) == 0
    out, err = capsys.readouterr()
    assert "Measures on 1 utterances" in out
    assert len(_warnings(err)) == 1
    assert "lacks 1 of the voice's 2 held-out utterances" in _warnings(err)[0]
    args = ["evaluate", str(shrunk), "--voice", str(voice), "--dialects", "en-US"]
    assert main(args) == 1
    assert "none of the voice's 1 held-out utterances" in capsys.readouterr().err


def test_evaluate_with_another_split_warns_of_training_utterances(
    held_out_voice, capsys
):
    voice, corpus = held_out_voice
    # --holdout 2 scores utt0005 and utt0010: utt0005 was trained on
    assert main(["evaluate", corpus, "--voice", str(voice), "--holdout", "2"]) == 0
    out, err = capsys.readouterr()
    assert "Measures on 4 utterances" in out
    assert _warnings(err) == [
        "mtlsynth: warning: 2 of the 4 utterances scored were used to train the "
        "voice: their measures are optimistic"
    ]


def test_old_voice_files_evaluate_with_an_explicit_split(
    held_out_voice, tmp_path, capsys
):
    voice, corpus = held_out_voice
    old = older_format(Path(voice), 2)
    assert main(["evaluate", corpus, "--voice", str(old)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not record which utterances" in err
    assert "--holdout" in err and "--all" in err
    assert main(["evaluate", corpus, "--voice", str(old), "--holdout", "1"]) == 0
    out, err = capsys.readouterr()
    assert "Measures on 2 utterances" in out and not _warnings(err)


def test_a_voice_trained_on_everything_needs_a_split_or_all(tmp_path, capsys):
    root = build_corpus(
        tmp_path / "corpus", dialects=["en-US"], n_utterances=2, progress=False
    )
    voice = tmp_path / "voice.npz"
    train = ["train", str(root), "-o", str(voice), "--holdout", "0"]
    assert main([*train, "--voicing-frames", "500"]) == 0
    assert ParametricSynthesizer.load(voice).held_out_ == {}
    capsys.readouterr()
    assert main(["evaluate", str(root), "--voice", str(voice)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "trained on every utterance" in err
    assert "pass --holdout H" in err and "--all" in err
    assert main(["evaluate", str(root), "--voice", str(voice), "--all"]) == 0
    out, err = capsys.readouterr()
    assert "Measures on 2 utterances" in out
    assert "warning: 2 of the 2 utterances scored were used to train" in err


def test_say_rejects_a_bad_voice_file(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a voice")
    args = ["say", "Hi.", "--voice", str(bad), "--dialect", "en-US", "-o", "x.wav"]
    assert main(args) == 1
    assert "not a valid mtlsynth voice file" in capsys.readouterr().err


def test_console_script_version():
    result = subprocess.run(
        [sys.executable, "-m", "mtlsynth.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == __version__


def test_unknown_command_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["nonsense"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "c", "-o", "v.npz", "--holdout", "-1"], "--holdout: expected"),
        (["train", "c", "-o", "v.npz", "--holdout", "nan"], "--holdout: expected"),
        (["train", "c", "-o", "v.npz", "--holdout", "1.5"], "--holdout: expected"),
        (["train", "c", "-o", "v.npz", "--jobs", "0"], "--jobs: expected"),
        (["demo", "--jobs", "0"], "--jobs: expected"),
        (["demo", "--utterances", "0"], "--utterances: expected"),
        (["corpus", "build", "out", "--utterances", "-3"], "--utterances: expected"),
        (["evaluate", "c", "--voice", "v.npz", "--holdout", "x"], "--holdout"),
        (
            ["evaluate", "c", "--voice", "v.npz", "--holdout", "1", "--all"],
            "not allowed with argument",
        ),
        (["bench", "--out", "b", "--jobs", "-2"], "--jobs: expected"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_holdout_keeps_fractions_and_counts():
    from mtlsynth.cli._common import holdout, jobs

    assert holdout("0.1") == 0.1 and holdout("0") == 0.0 and holdout("3") == 3
    assert jobs("-1") == -1 and jobs("2") == 2


def test_an_interrupt_prints_one_line_and_exits_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("mtlsynth.cli.train.run", interrupted)
    assert main(["train", "c", "-o", "v.npz"]) == 130
    assert capsys.readouterr().err == "mtlsynth: interrupted\n"


def test_a_closed_pipe_ends_quietly(demo_run):
    _, cache, _ = demo_run
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mtlsynth.cli",
            "corpus",
            "check",
            str(cache / "corpus"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.stdout.close()  # as `| head` does before the help is written
    err = child.stderr.read().decode()
    assert child.wait() in (0, 141)
    assert "Broken pipe" not in err and "Traceback" not in err


def test_a_voice_of_another_phone_set_speaks_text_and_phones(tmp_path, capsys):
    source = build_corpus(
        tmp_path / "espeak", dialects=["en-US"], n_utterances=4, progress=False
    )
    corpus = tmp_path / "radio"
    relabel_corpus(source, corpus, "radio", rename={"en-US": "slt"})
    plain, fronted = tmp_path / "plain.npz", tmp_path / "fronted.npz"
    train = ["train", str(corpus), "--holdout", "0", "--jobs", "1"]
    assert main([*train, "-o", str(plain)]) == 0
    assert main([*train, "-o", str(fronted), "--frontend", "slt=en-US"]) == 0
    assert ParametricSynthesizer.load(fronted).frontend == {"slt": "en-US"}
    capsys.readouterr()
    say = ["say", "Hello there.", "--dialect", "slt", "-o", str(tmp_path / "a.wav")]
    assert main([*say, "--voice", str(plain)]) == 1
    assert "dialect 'slt' has no text front end" in capsys.readouterr().err
    assert main([*say, "--voice", str(plain), "--frontend", "en-US"]) == 0
    assert main([*say, "--voice", str(fronted)]) == 0
    phones = ["say", "--phones", "pau hh ax l ow pau", "--voice", str(plain)]
    out = str(tmp_path / "b.wav")
    assert main([*phones, "--dialect", "slt", "-o", out]) == 0
    assert read_wav(out)[0].size > 0
    capsys.readouterr()
    bad = ["say", "--phones", "pau hh ZZ pau", "--voice", str(plain)]
    assert main([*bad, "--dialect", "slt", "-o", out]) == 1
    assert "phone 'ZZ' is not in the phone set 'radio'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*train, "-o", str(plain), "--frontend", "slt=klingon"])
    assert "unknown text front end 'klingon'" in capsys.readouterr().err


def test_say_without_a_dialect_speaks_the_only_one_or_names_them(
    held_out_voice, tmp_path, capsys
):
    voice, _ = held_out_voice
    args = ["say", "Hi.", "--voice", str(voice), "-o", str(tmp_path / "x.wav")]
    assert main(args) == 1
    assert "2 dialects (en-GB-scotland, en-US): choose one" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()
    assert only_dialect(SimpleNamespace(dialects_=np.array(["kal"]))) == "kal"
