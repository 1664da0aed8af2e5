"""Speed and fidelity of the speech-data pipeline on the built-in corpus.

Prints:

* corpus build time per 100 utterances (eSpeak NG synthesis, alignment and
  atomic wav/label writes; one process);
* WORLD analysis real-time factor (analysis seconds per audio second) with
  Harvest and with DIO + StoneMask at 22.05 kHz, and their ratio;
* re-analysis mel-cepstral distortion: analysis -> synthesis -> analysis,
  MCD (dB) = (10 / ln 10) sqrt(2 sum_{d>=1} (c_d - c'_d)^2), c0 excluded,
  mean over non-silence frames (label not ``pau``), mel-cepstra of order 59
  with alpha 0.455.

Run: python benchmarks/bench_speech_data.py [--utterances 100] [--analyse 20]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from mtlsynth.speech import build_corpus, read_corpus, vocoder


def mcd_frames(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a[:, 1:] - b[:, 1:]
    return 10.0 / math.log(10.0) * np.sqrt(2.0 * np.sum(d * d, axis=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="corpus folder")
    parser.add_argument("--utterances", type=int, default=100)
    parser.add_argument("--analyse", type=int, default=20)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory() if args.out is None else None
    out = Path(tmp.name) if tmp is not None else args.out

    # 1. build: half the utterances in en-US, half in en-GB-scotland
    per = max(1, args.utterances // 2)
    t0 = time.perf_counter()
    build_corpus(out, dialects=["en-US", "en-GB-scotland"], n_utterances=per)
    build_s = time.perf_counter() - t0
    corpus = read_corpus(out)
    n_built = len(corpus)
    audio_s = sum(u.n_samples for u in corpus) / corpus.fs
    print(
        f"build: {n_built} utterances ({audio_s:.0f} s of audio) in {build_s:.2f} s "
        f"= {100 * build_s / n_built:.2f} s per 100 utterances"
    )

    utts = corpus.by_dialect("en-US")[: args.analyse]
    waves = [u.load_wav()[0] for u in utts]
    seconds = sum(len(x) for x in waves) / corpus.fs
    rtf = {}
    feats = {}
    for method in ("harvest", "dio"):
        t0 = time.perf_counter()
        feats[method] = [vocoder.analyze(x, corpus.fs, f0_method=method) for x in waves]
        rtf[method] = (time.perf_counter() - t0) / seconds
        print(f"analysis RTF {method}: {rtf[method]:.4f} ({seconds:.0f} s of audio)")
    print(f"harvest / dio time ratio: {rtf['harvest'] / rtf['dio']:.1f}")

    for method in ("harvest", "dio"):
        t_syn = 0.0
        dists = []
        for u, f in zip(utts, feats[method], strict=True):
            t0 = time.perf_counter()
            y = vocoder.synthesize(f)
            t_syn += time.perf_counter() - t0
            g = vocoder.analyze(y, corpus.fs, f0_method=method)
            idx = u.label.frame_index(f.frame_period)
            n = min(len(idx), f.n_frames, g.n_frames)
            speech = np.array([u.label.names[i] != "pau" for i in idx[:n]])
            dists.append(mcd_frames(f.mcep[:n], g.mcep[:n])[speech])
        d = np.concatenate(dists)
        print(
            f"re-analysis MCD {method}: {d.mean():.2f} dB over {d.size} speech frames "
            f"(order {feats[method][0].order}, alpha {feats[method][0].alpha}); "
            f"synthesis RTF {t_syn / seconds:.4f}"
        )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
