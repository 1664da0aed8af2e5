"""Make a speaker speak a dialect she was never recorded in.

A corpus of two dialects with speakers: US English spoken by a male and a
female eSpeak NG voice variant (``m3``, ``f3``), Scottish English by the
male one only. A voice whose tasks are dialect and speaker factors
(``tasks="factors"``, the default for a corpus with speakers) learns
``(W_0 + V_dialect) A_speaker + U_speaker``: the female speaker's map and
part come from her US recordings, the Scottish part from the male
speaker's, and together they speak a cell nobody recorded.
"""

# %%
import tempfile
from pathlib import Path

import numpy as np

from mtlsynth.speech import ParametricSynthesizer, build_corpus, read_corpus, write_wav

work = Path(tempfile.mkdtemp(prefix="mtlsynth-example-"))
build_corpus(
    work / "corpus",
    dialects=["en-US"],
    speakers=["m3", "f3"],
    n_utterances=6,
    progress=False,
)
build_corpus(
    work / "corpus",
    dialects=["en-GB-scotland"],
    speakers=["m3"],
    n_utterances=6,
    progress=False,
)
corpus = read_corpus(work / "corpus")
recorded = sorted({f"{u.dialect}/{u.speaker}" for u in corpus})
print(f"corpus: {len(corpus)} utterances; recorded cells {recorded}")

# %%
voice = ParametricSynthesizer(progress=False).fit(corpus)
print(f"speakers {voice.speakers_.tolist()}, tasks {voice.tasks}")

# %%
text = "Are you going to the party tomorrow night?"
for dialect, speaker in [
    ("en-US", "f3"),
    ("en-GB-scotland", "m3"),
    ("en-GB-scotland", "f3"),  # never recorded
]:
    wave, fs = voice.synthesize(text, dialect=dialect, speaker=speaker)
    write_wav(work / f"{dialect}-{speaker}.wav", wave, fs)
    params = voice.predict_parameters(text, dialect=dialect, speaker=speaker)
    print(
        f"{dialect:15s} {speaker}: {len(wave) / fs:.2f} s, median F0 "
        f"{np.median(params.f0[params.f0 > 0]):.0f} Hz"
    )
print(f"wav files in {work}")
