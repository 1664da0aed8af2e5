"""Plug another estimator into the acoustic model and compare on held-out data.

Any scikit-learn regressor can predict the acoustic parameters; one whose
``fit`` takes no ``tasks`` is trained on all dialects pooled. Here a
standardize-then-ridge Pipeline (one model for every dialect) is compared
with the default shared-parameter model on held-out sentences, scored with
reference durations.
"""

# %%
import tempfile
from pathlib import Path

from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mtlsynth.speech import (
    ParametricSynthesizer,
    build_corpus,
    read_corpus,
    split_corpus,
)

work = Path(tempfile.mkdtemp(prefix="mtlsynth-example-"))
build_corpus(
    work / "corpus",
    dialects=["en-US", "en-GB-scotland"],
    n_utterances=8,
    progress=False,
)
train, test = split_corpus(read_corpus(work / "corpus"), test_size=2)

# %%
models = {
    "shared (default)": None,
    "pooled pipeline": make_pipeline(StandardScaler(), Ridge(alpha=1000.0)),
}
print(f"{'acoustic model':18s} {'dialect':16s} MCD dB  F0 RMSE Hz  V/UV %")
for name, model in models.items():
    synth = ParametricSynthesizer(acoustic_model=model, progress=False).fit(train)
    for dialect, m in synth.evaluate(test).items():
        print(
            f"{name:18s} {dialect:16s} {m['mcd_db']:6.2f}  {m['f0_rmse_hz']:10.2f}"
            f"  {m['vuv_error_pct']:6.2f}"
        )
