"""Public docstrings follow numpydoc and their examples run."""

import doctest
import importlib
import inspect
import os
import pathlib
import pkgutil
import re
import subprocess
import sys

import pytest
from numpydoc.validate import validate

import mtlsynth

# Checks left out: see-also and examples sections are optional for helpers,
# and summaries may run over one line.
IGNORED = {
    "ES01",
    "EX01",
    "SA01",
    "SS05",
    "SS06",
    "GL08",
    "RT02",
    "PR02",
    "GL01",
    "GL02",
}


def all_modules():
    names = [mtlsynth.__name__]
    names += [
        info.name
        for info in pkgutil.walk_packages(mtlsynth.__path__, prefix="mtlsynth.")
    ]
    return [importlib.import_module(name) for name in names]


def public_modules():
    return [
        module
        for module in all_modules()
        if not any(part.startswith("_") for part in module.__name__.split(".")[1:])
    ]


def public_objects():
    seen = {}
    for module in public_modules():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
                if inspect.isclass(obj):
                    for attr, member in vars(obj).items():
                        if not attr.startswith("_") and inspect.isfunction(member):
                            seen[f"{obj.__module__}.{obj.__qualname__}.{attr}"] = member
    return sorted(seen)


@pytest.mark.parametrize("name", public_objects())
def test_numpydoc(name):
    errors = [
        (code, msg) for code, msg in validate(name)["errors"] if code not in IGNORED
    ]
    assert not errors, f"{name}: {errors}"


@pytest.mark.parametrize("module", all_modules(), ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


README_BLOCKS = re.findall(
    r"```python\n(.*?)```",
    (pathlib.Path(__file__).parents[1] / "README.md").read_text(),
    flags=re.DOTALL,
)


@pytest.mark.parametrize("index", range(len(README_BLOCKS)))
def test_readme_code_runs_as_a_script(index, tmp_path):
    # each block is pasted into a file of its own and run as a user would
    script = tmp_path / f"block{index}.py"
    script.write_text(README_BLOCKS[index])
    env = {**os.environ, "MTLSYNTH_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, script.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_readme_has_exactly_two_setup_commands():
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```\w*\n(.*?)^```$", setup, flags=re.DOTALL | re.M)
    assert len(commands) == 2
    assert commands[0].strip().endswith("mtlsynth demo")
    assert "pytest" in commands[1]
