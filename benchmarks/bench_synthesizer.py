"""Real-time factor of synthesis from text, on one core.

Usage::

    python benchmarks/bench_synthesizer.py [--voice VOICE.npz] [--repeat 3]

Without ``--voice`` a small voice (two dialects, eight sentences each) is
trained first. BLAS and OpenMP are limited to one thread before NumPy loads.
The real-time factor is processing time divided by the duration of the
speech produced; the stages are timed separately (text front end, features
and models, MLPG, vocoder), and the WORLD vocoder alone is the baseline.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from mtlsynth.speech import (  # noqa: E402
    ParametricSynthesizer,  # noqa: E402
    build_corpus,  # noqa: E402
    frontend,
    read_corpus,  # noqa: E402
    vocoder,
)

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Are you going to the party tomorrow night, or staying at home?",
    "She sells sea shells by the sea shore, and the shells she sells are surely "
    "sea shells.",
    "Please call Stella and ask her to bring these things with her from the store.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.voice:
        synth = ParametricSynthesizer.load(args.voice)
    else:
        work = Path(tempfile.mkdtemp(prefix="mtlsynth-bench-"))
        build_corpus(work, dialects=["en-US", "en-GB-x-rp"], n_utterances=8)
        synth = ParametricSynthesizer(progress=False).fit(read_corpus(work))
    dialect = str(synth.dialects_[0])
    synth.synthesize(SENTENCES[0], dialect=dialect)  # warm up
    stages = {"front end": 0.0, "features+models+MLPG": 0.0, "vocoder": 0.0}
    total = audio = 0.0
    for _ in range(args.repeat):
        for text in SENTENCES:
            t0 = time.perf_counter()
            pron = frontend.phonemes(text, dialect=dialect)
            t1 = time.perf_counter()
            params = synth.predict_parameters(pron, dialect=dialect, postfilter=True)
            t2 = time.perf_counter()
            wave = vocoder.synthesize(params)
            t3 = time.perf_counter()
            stages["front end"] += t1 - t0
            stages["features+models+MLPG"] += t2 - t1
            stages["vocoder"] += t3 - t2
            start = time.perf_counter()
            wave, fs = synth.synthesize(text, dialect=dialect)
            total += time.perf_counter() - start
            audio += len(wave) / fs
    print(
        f"voice: {len(synth.dialects_)} dialects, fs {synth.fs_} Hz, "
        f"{synth.features_.n_frame_features_} frame features, one thread"
    )
    print(f"speech synthesized: {audio:.1f} s")
    print(f"synthesize(text) real-time factor: {total / audio:.4f}")
    staged = sum(stages.values())
    for name, seconds in stages.items():
        print(
            f"  {name:22s} RTF {seconds / audio:.4f} ({100 * seconds / staged:.0f} %)"
        )
    print(f"  vocoder-only baseline RTF {stages['vocoder'] / audio:.4f}")
    print(f"ratio to the vocoder alone: {total / stages['vocoder']:.2f}")


if __name__ == "__main__":
    main()
