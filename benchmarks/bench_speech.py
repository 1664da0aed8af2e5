"""Multi-task methods on the multi-dialect speech corpus: ``mtlsynth bench``.

Run ``python benchmarks/bench_speech.py --out DIR [--quick]``; the options
are those of ``mtlsynth bench`` (see ``mtlsynth bench --help`` and the
documentation of :mod:`mtlsynth.bench` for the protocol).
"""

import sys

from mtlsynth.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
