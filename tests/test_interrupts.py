"""Commands interrupted at random points (Ctrl-C or kill -9) leave no partial
file, and a rerun finishes with the same result as an uninterrupted run."""

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from mtlsynth.speech.voicefile import read_voice
from mtlsynth.utils.files import temporary_folder

CLI = [sys.executable, "-m", "mtlsynth.cli"]
SIGNALS = [signal.SIGINT, signal.SIGKILL]


def _run(args, env):
    start = time.monotonic()
    done = subprocess.run(CLI + args, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return time.monotonic() - start


def _interrupt(args, env, sig, delay):
    """Run, send ``sig`` after ``delay`` seconds; the exit status and stderr."""
    with tempfile.TemporaryFile() as log:  # not a pipe that workers hold open
        child = subprocess.Popen(CLI + args, env=env, stdout=log, stderr=log)
        time.sleep(delay)
        child.send_signal(sig)
        status = child.wait(timeout=120)
        log.seek(0)
        return status, log.read().decode()


def _check_interrupted(status, err, sig):
    if sig == signal.SIGINT:
        assert "Traceback" not in err
    if sig == signal.SIGINT and status != 0:  # (0: it had finished)
        assert status == 130
        assert err.rstrip("\n").splitlines()[-1] == "mtlsynth: interrupted"


def _files(root):
    """Visible files under ``root`` (temporary files are hidden)."""
    root = Path(root)
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.parts)
    }


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    spill = tmp_path_factory.mktemp("tmp")  # where the voicing rows wait
    return {**os.environ, "MTLSYNTH_CACHE": str(cache), "TMPDIR": str(spill)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, env):
    """An uninterrupted build, its time, and the files it wrote."""
    root = tmp_path_factory.mktemp("reference") / "corpus"
    seconds = _run(_build_args(root), env)
    return root, seconds, _files(root)


def _build_args(root):
    return ["corpus", "build", str(root), "--dialects", "en-US", "en-029"] + [
        "--utterances",
        "6",
        "--jobs",
        "2",
    ]


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGKILL"])
def test_corpus_build(reference, env, tmp_path, sig):
    _, seconds, expected = reference
    root = tmp_path / "corpus"
    delay = random.Random(int(sig)).uniform(0.3, 0.9) * seconds
    _check_interrupted(*_interrupt(_build_args(root), env, sig, delay), sig)
    for name, data in _files(root).items():  # whole files only, never partial
        assert expected[name] == data, name
    _run(_build_args(root), env)
    assert _files(root) == expected


def test_ctrl_c_while_exiting_is_not_a_traceback(reference, env, tmp_path):
    # Once the summary is out, the command is done; joblib's workers are
    # still stopping, and a Ctrl-C then must not turn into a traceback.
    _, _, expected = reference
    root = tmp_path / "corpus"
    child = subprocess.Popen(
        CLI + _build_args(root), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    summary = child.stdout.readline()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert summary.startswith(str(root).encode())
    # 0 once main has returned; 130 if the signal beat it by a few lines
    _check_interrupted(child.returncode, err.decode(), signal.SIGINT)
    assert child.returncode in (0, 130)
    assert _files(root) == expected


def _voice(path):
    meta, arrays = read_voice(path)
    return meta, {k: np.asarray(v) for k, v in arrays.items()}


def _train_args(corpus, voice):
    return ["train", str(corpus), "-o", str(voice), "--holdout", "0", "--jobs", "1"]


@pytest.fixture(scope="module")
def trained(reference, env, tmp_path_factory):
    voice = tmp_path_factory.mktemp("voice") / "voice.npz"
    seconds = _run(_train_args(reference[0], voice), env)
    return seconds, _voice(voice)


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGKILL"])
def test_train(reference, trained, env, tmp_path, sig):
    seconds, (meta, arrays) = trained
    voice = tmp_path / "voice.npz"
    delay = random.Random(10 + int(sig)).uniform(0.2, 0.9) * seconds
    _check_interrupted(
        *_interrupt(_train_args(reference[0], voice), env, sig, delay), sig
    )
    left = sorted(p.name for p in tmp_path.iterdir())
    # kill -9 cannot be caught: a write it cuts short leaves its hidden
    # temporary file (removed once stale), never a partial voice.npz
    hidden = [n for n in left if re.fullmatch(r"\.voice\.npz\.\w{8}\.tmp", n)]
    assert sig == signal.SIGKILL or not hidden
    assert [n for n in left if n not in hidden] in ([], ["voice.npz"])
    _run(_train_args(reference[0], voice), env)
    # the rerun removed the rows a killed run left waiting on disk
    assert not list(Path(env["TMPDIR"]).glob("mtlsynth-rows-*"))
    again_meta, again = _voice(voice)
    assert again_meta == meta
    assert again.keys() == arrays.keys()
    for name in arrays:
        np.testing.assert_array_equal(again[name], arrays[name], err_msg=name)


def test_temporary_folder_removes_what_killed_jobs_of_this_machine_left(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
    )
    host = socket.gethostname()
    names = {
        "dead": f"mtlsynth-rows-{host}-{dead.stdout.strip()}-abcd1234",
        "alive": f"mtlsynth-rows-{host}-{os.getpid()}-abcd1234",
        "other machine": f"mtlsynth-rows-elsewhere-{dead.stdout.strip()}-abcd1234",
        "other prefix": f"mtlsynth-other-{host}-{dead.stdout.strip()}-abcd1234",
    }
    for name in names.values():
        (tmp_path / name).mkdir()
        (tmp_path / name / "rows.npz").write_bytes(b"rows")
    folder = temporary_folder("mtlsynth-rows-", tmp_path)
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {*names.values(), Path(folder.name).name} - {names["dead"]}
    assert Path(folder.name).name.startswith(f"mtlsynth-rows-{host}-{os.getpid()}-")
    folder.cleanup()
    assert not Path(folder.name).exists()


TIMES = ("fit_s", "cv_s")


def _bench_args(corpus, out):
    return ["bench", "--corpus", str(corpus), "--out", str(out)] + [
        "--target",
        "en-029",
        "--levels",
        "2",
        "4",
        "--methods",
        "pooled",
        "independent",
        "--held-out",
        "2",
        "--folds",
        "2",
        "--jobs",
        "1",
    ]


def _records(out):
    path = Path(out) / "results.json"
    if not path.exists():
        return []
    records = json.loads(path.read_text())
    return [{k: v for k, v in r.items() if k not in TIMES} for r in records]


@pytest.fixture(scope="module")
def benched(reference, env, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    seconds = _run(_bench_args(reference[0], out), env)
    return seconds, _records(out)


@pytest.mark.parametrize("sig", SIGNALS, ids=["SIGINT", "SIGKILL"])
def test_bench(reference, benched, env, tmp_path, sig):
    seconds, expected = benched
    out = tmp_path / "bench"
    delay = random.Random(20 + int(sig)).uniform(0.3, 0.9) * seconds
    _check_interrupted(
        *_interrupt(_bench_args(reference[0], out), env, sig, delay), sig
    )
    partial = _records(out)
    assert partial == expected[: len(partial)]  # whole records, in order
    _run(_bench_args(reference[0], out), env)
    assert _records(out) == expected
