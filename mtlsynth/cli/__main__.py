"""``python -m mtlsynth.cli``: the ``mtlsynth`` command."""

from mtlsynth.cli.main import run

if __name__ == "__main__":
    run()
