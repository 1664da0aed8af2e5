import subprocess
import sys

import pytest

from mtlsynth import __version__
from mtlsynth.cli import main


def test_demo_prints_a_table_where_sharing_helps_the_scarce_dialect(capsys):
    assert main(["demo", "--scarce", "15"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    independent, pooled, shared = map(float, rows["en-029"])
    assert shared < independent and shared < pooled
    big_independent, _, big_shared = map(float, rows["en-US"])
    assert big_shared < 1.05 * big_independent


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
