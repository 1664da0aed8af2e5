"""Train a multi-dialect voice and speak one sentence in every dialect.

A tiny corpus (three eSpeak NG English dialects, six sentences each) is
built in a temporary folder, analysed with WORLD, and a
:class:`~mtlsynth.speech.synthesizer.ParametricSynthesizer` learns durations,
spectra, F0 and voicing of all dialects at once: the shared-parameter models
keep what the dialects have in common and learn what each does differently.
"""

# %%
import tempfile
from pathlib import Path

import numpy as np

from mtlsynth.speech import ParametricSynthesizer, build_corpus, read_corpus, write_wav

work = Path(tempfile.mkdtemp(prefix="mtlsynth-example-"))
dialects = ["en-US", "en-GB-x-rp", "en-GB-scotland"]
build_corpus(work / "corpus", dialects=dialects, n_utterances=6, progress=False)
corpus = read_corpus(work / "corpus")
print(f"corpus: {len(corpus)} utterances, dialects {corpus.dialects}")

# %%
synth = ParametricSynthesizer(progress=False).fit(corpus)
print(f"frame features: {synth.features_.n_frame_features_} columns")

# %%
text = "Are you going to the party tomorrow night?"
for dialect in dialects:
    wave, fs = synth.synthesize(text, dialect=dialect)
    write_wav(work / f"{dialect}.wav", wave, fs)
    params = synth.predict_parameters(text, dialect=dialect)
    print(
        f"{dialect:16s} {len(wave) / fs:.2f} s, mean F0 "
        f"{np.mean(params.f0[params.f0 > 0]):.0f} Hz, "
        f"{100 * params.vuv.mean():.0f} % voiced"
    )
print(f"wav files in {work}")
