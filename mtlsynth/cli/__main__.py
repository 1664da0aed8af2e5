"""``python -m mtlsynth.cli``: the ``mtlsynth`` command."""

import sys

from mtlsynth.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
