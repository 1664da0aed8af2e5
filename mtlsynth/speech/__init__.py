"""Multi-dialect statistical parametric speech synthesis.

The speech pipeline's stages, one module each; higher stages import lower
ones, never the reverse:

* :mod:`~mtlsynth.speech.labels` (HTK/HTS labels, TextGrids) and
  :mod:`~mtlsynth.speech.audio` (wav files), with their errors in
  :mod:`~mtlsynth.speech.errors`;
* :mod:`~mtlsynth.speech.frontend` (eSpeak NG: text to phones, audio with
  alignments), :mod:`~mtlsynth.speech.sentences` (sentences chosen for
  diphone coverage) and :mod:`~mtlsynth.speech.builtin` (the built-in corpus);
* :mod:`~mtlsynth.speech.corpus` (reading a corpus, caching its analysis) and
  :mod:`~mtlsynth.speech.vocoder` (WORLD analysis and synthesis);
* :mod:`~mtlsynth.speech.ipa` (articulatory classes of IPA),
  :mod:`~mtlsynth.speech.phonesets` (phone sets as data: eSpeak NG,
  ARPAbet, MFA, radio, X-SAMPA, users' tables),
  :mod:`~mtlsynth.speech.inventory` (a corpus's phones against its set),
  :mod:`~mtlsynth.speech.phones` and :mod:`~mtlsynth.speech.features`
  (linguistic features), :mod:`~mtlsynth.speech.inputs` (what a voice is
  asked to speak, in its phones), :mod:`~mtlsynth.speech.paramgen` (deltas,
  MLPG);
* :mod:`~mtlsynth.speech.training` (what a voice is trained on),
  :mod:`~mtlsynth.speech.models` (how it fits and asks any model),
  :mod:`~mtlsynth.speech.evaluation` and :mod:`~mtlsynth.speech.metrics`
  (measures as Merlin computes them), :mod:`~mtlsynth.speech.relabel` (a
  corpus written again in another phone set), :mod:`~mtlsynth.speech.voicefile`
  (the voice file format, without pickle), :mod:`~mtlsynth.speech.saving`
  (a voice's state in that format) and :mod:`~mtlsynth.speech.synthesizer`
  (the voice).
"""

from mtlsynth.speech.audio import read_wav, write_wav
from mtlsynth.speech.builtin import build_corpus
from mtlsynth.speech.corpus import (
    Corpus,
    Utterance,
    extract_features,
    read_corpus,
    split_corpus,
)
from mtlsynth.speech.errors import CorpusError, CorpusWarning
from mtlsynth.speech.features import LinguisticFeatures
from mtlsynth.speech.labels import SILENCE, Label, read_label, write_textgrid
from mtlsynth.speech.phones import PhoneSequence
from mtlsynth.speech.phonesets import PHONE_SETS, PhoneSet, read_phone_set
from mtlsynth.speech.relabel import relabel_corpus
from mtlsynth.speech.synthesizer import ParametricSynthesizer
from mtlsynth.speech.training import TrainingData
from mtlsynth.speech.voicefile import VoiceFileError

__all__ = [
    "PHONE_SETS",
    "SILENCE",
    "Corpus",
    "CorpusError",
    "CorpusWarning",
    "Label",
    "LinguisticFeatures",
    "ParametricSynthesizer",
    "PhoneSequence",
    "PhoneSet",
    "TrainingData",
    "Utterance",
    "VoiceFileError",
    "build_corpus",
    "extract_features",
    "read_corpus",
    "read_label",
    "read_phone_set",
    "read_wav",
    "relabel_corpus",
    "split_corpus",
    "write_textgrid",
    "write_wav",
]
