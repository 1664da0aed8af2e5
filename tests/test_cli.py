import json
import subprocess
import sys

import numpy as np
import pytest

from mtlsynth import __version__
from mtlsynth.cli import main
from mtlsynth.speech import read_wav


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


def test_train_say_evaluate_round_trip(demo_run, tmp_path, capsys):
    _, cache, _ = demo_run
    voice = tmp_path / "voice.npz"
    corpus = str(cache / "corpus")
    train = ["train", corpus, "-o", str(voice), "--holdout", "1"]
    assert main([*train, "--voicing-frames", "2000"]) == 0
    wav = tmp_path / "hello.wav"
    args = ["say", "Hello there.", "--voice", str(voice), "--dialect", "en-US"]
    assert main([*args, "--accent-strength", "0.5", "-o", str(wav)]) == 0
    x, fs = read_wav(wav)
    assert len(x) > 0.2 * fs
    capsys.readouterr()
    report = tmp_path / "m.json"
    assert main(["evaluate", corpus, "--voice", str(voice), "--json", str(report)]) == 0
    table = capsys.readouterr().out
    assert "en-GB-scotland" in table and "MCD dB" in table
    assert set(json.loads(report.read_text())) == {"en-US", "en-GB-scotland"}


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
