"""Which dialects a voice finds alike: the similarity of its acoustic models.

A voice is trained on the built-in corpus (every eSpeak NG English dialect,
a few sentences each, built and analysed once under the mtlsynth cache, as
``mtlsynth demo`` does). :func:`~mtlsynth.task_similarity` gives the cosine
similarity of the dialects' acoustic coefficients ``W_t = W_0 + V_t``, and
:func:`~mtlsynth.plotting.plot_task_similarity` draws it ordered by a
hierarchical clustering, with the dendrogram beside it. Usage::

    python examples/plot_dialect_similarity.py [--utterances 6] [--out FILE.png]

``benchmarks/figures/dialect_similarity.png`` was drawn with
``--utterances 40``.
"""

# %%
import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mtlsynth import task_similarity  # noqa: E402
from mtlsynth.plotting import plot_task_similarity  # noqa: E402
from mtlsynth.speech import (  # noqa: E402
    Corpus,
    ParametricSynthesizer,
    build_corpus,
    read_corpus,
)
from mtlsynth.speech.corpus import cache_dir  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--utterances", type=int, default=6, help="sentences per dialect")
parser.add_argument("--out", default="dialect_similarity.png")
args = parser.parse_args()

start = time.perf_counter()
root = cache_dir() / "corpus"
build_corpus(root, n_utterances=args.utterances, progress=False)
corpus = read_corpus(root)
names = {f"utt{i + 1:04d}" for i in range(args.utterances)}
corpus = Corpus(
    corpus.root, corpus.fs, tuple(u for u in corpus.utterances if u.name in names)
)
print(f"corpus: {len(corpus)} utterances, dialects {corpus.dialects}")

# %%
synth = ParametricSynthesizer(cache_dir=cache_dir() / "features", progress=False)
synth.fit(corpus)
labels, similarity = task_similarity(synth.acoustic_model_)
off = similarity[~np.eye(len(labels), dtype=bool)]
print(f"cosine similarity between dialects: {off.min():.3f} to {off.max():.3f}")
closest = np.unravel_index(
    np.argmax(similarity - 2 * np.eye(len(labels))), similarity.shape
)
print(f"closest pair: {labels[closest[0]]} and {labels[closest[1]]}")

# %%
ax = plot_task_similarity(
    synth.acoustic_model_,
    title="cosine similarity of the dialects' acoustic models",
)
ax.figure.savefig(args.out, dpi=80, bbox_inches="tight")
plt.close(ax.figure)
print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")
