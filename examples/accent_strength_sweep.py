"""Sweep the accent strength from the shared accent to an exaggerated dialect.

With shared-parameter models every dialect's weights are ``W_0 + V_t``.
Speaking with ``W_0 + s V_t`` moves continuously from the accent the
dialects share (``s = 0``) to the dialect (``s = 1``) and beyond (``s > 1``).
A dialect that was never trained is spoken with the shared part alone.
"""

# %%
import tempfile
from pathlib import Path

import numpy as np

from mtlsynth.speech import ParametricSynthesizer, build_corpus, read_corpus

work = Path(tempfile.mkdtemp(prefix="mtlsynth-example-"))
build_corpus(
    work / "corpus",
    dialects=["en-US", "en-GB-scotland"],
    n_utterances=8,
    progress=False,
)
synth = ParametricSynthesizer(progress=False).fit(read_corpus(work / "corpus"))

# %%
text = "The water in the harbour was very cold."
shared = synth.predict_parameters(text, dialect="en-GB-scotland", accent_strength=0)
print("strength  seconds  mean F0 (Hz)  mel-cepstral distance from shared (dB)")
for strength in [0.0, 0.5, 1.0, 1.5, 2.0]:
    params = synth.predict_parameters(
        text, dialect="en-GB-scotland", accent_strength=strength
    )
    n = min(params.n_frames, shared.n_frames)
    diff = params.mcep[:n, 1:] - shared.mcep[:n, 1:]
    distance = 10 / np.log(10) * np.mean(np.sqrt(2 * np.sum(diff**2, axis=1)))
    print(
        f"{strength:8.1f}  {params.n_frames * 0.005:7.2f}  "
        f"{np.mean(params.f0[params.f0 > 0]):12.1f}  {distance:10.2f}"
    )

# %%
# A dialect absent from training (Caribbean English) gets the shared model.
wave, fs = synth.synthesize(text, dialect="en-029")
print(f"en-029 (unseen, shared model): {len(wave) / fs:.2f} s")
