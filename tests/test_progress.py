"""Progress on stderr: plain lines off a terminal, silent unless asked."""

import io

from mtlsynth.utils.progress import Progress, reporting


def test_plain_lines_off_a_terminal(capsys):
    bar = Progress(5, "steps", enabled=True, interval=0.0)
    for _ in range(5):
        bar.update()
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    assert len(lines) == 5
    assert lines[-1].startswith("steps: 5/5 [")
    assert err.endswith("\n")


def test_lines_are_spaced_by_the_interval(capsys):
    bar = Progress(100, "steps", enabled=True, interval=3600.0)
    for _ in range(100):
        bar.update()
    lines = capsys.readouterr().err.splitlines()
    assert lines == [lines[-1]] and lines[-1].startswith("steps: 100/100")


def test_silent_by_default_and_inside_reporting_only(capsys):
    Progress(2, "quiet", interval=0.0).update(2)
    assert capsys.readouterr().err == ""
    with reporting():
        Progress(2, "loud", interval=0.0).update(2)
        with reporting(False):
            Progress(2, "hushed", interval=0.0).update(2)
    err = capsys.readouterr().err
    assert "loud: 2/2" in err and "hushed" not in err


def test_a_bar_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    monkeypatch.setattr("sys.stderr", stream)
    bar = Progress(3, "bar", enabled=True)
    bar.update(3)
    text = stream.getvalue()
    assert "bar" in text and "3/3" in text and "\r" in text
    bar.update()  # after the end: nothing more
    assert stream.getvalue() == text
