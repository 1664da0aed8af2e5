"""Voice files as older formats wrote them, for tests of backward reading."""

import json

import numpy as np

from mtlsynth.speech.phonesets import PhoneSet


def older_format(path, version, phone_table="same"):
    """A copy of a voice file in format 1 or 2.

    Those formats have a table of classes (``phone_table``; ``"same"``: the
    voice's own classes; None: eSpeak NG's English of their time) instead
    of a phone set, and no front end, no stress flag, no utterance names;
    format 1 has no diphone columns. Neither has a limit on the diphones.
    """
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"]))
    meta["version"] = version
    features = meta["features"]
    phone_set = PhoneSet.from_dict(features.pop("phone_set"))
    if phone_table == "same":
        phone_table = {k: sorted(v) for k, v in phone_set.classes_of.items()}
        phone_table.update({k: ["silence"] for k in phone_set.silences})
    features["phone_table"] = phone_table
    del features["stressed"], meta["synthesizer"]["frontend"], meta["utterances"]
    del features["max_diphones"]
    if version < 2:
        for key in ("diphone_kernels", "diphone_min_count", "diphones"):
            del features[key]
    arrays["__meta__"] = np.asarray(json.dumps(meta))
    old = path.with_name(f"format{version}.npz")
    np.savez(old, **arrays)
    return old
