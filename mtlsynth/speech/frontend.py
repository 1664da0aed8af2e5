"""eSpeak NG through ctypes: dialect voices, audio and exact phone alignments.

The shared library and its data come from the ``espeakng_loader`` package.
eSpeak keeps global state, so every process loads its own copy (on first
use) and a lock serialises calls between threads; parallel synthesis uses
processes. Some of that state carries over from one utterance to the next
and no API call resets it, so the library is unloaded and loaded again
before every synthesis after the first: the audio and phone timing of a
text depend only on the text and the dialect.

Phone names are eSpeak's phoneme mnemonics for the dialect (for example
``D``, ``@2``, ``'aU``, ``,oU``, ``dZ``), with the stress mark kept as a
prefix (``'`` primary, ``,`` secondary; see
:data:`mtlsynth.speech.phonesets.PHONE_SETS`, ``espeak``). Every pause phoneme (names
starting with ``_``) and the silence before the first and after the last
phone are labelled ``pau``.
"""

from __future__ import annotations

import _ctypes
import ctypes
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mtlsynth.speech.labels import HTK_UNITS_PER_SECOND, SILENCE, Label

__all__ = [
    "DIALECTS",
    "Pronunciation",
    "phonemes",
    "sample_rate",
    "synthesize_text",
    "text_to_phoneme_string",
    "voice_variants",
]

#: Dialect (folder) names and the eSpeak NG voice that speaks each.
DIALECTS: dict[str, str] = {
    "en-US": "en-us",
    "en-US-nyc": "en-us-nyc",
    "en": "en",
    "en-GB-x-rp": "en-gb-x-rp",
    "en-GB-scotland": "en-gb-scotland",
    "en-GB-x-gbclan": "en-gb-x-gbclan",
    "en-GB-x-gbcwmd": "en-gb-x-gbcwmd",
    "en-029": "en-029",
}


def voice_variants() -> list[str]:
    """Names of eSpeak NG's voice variants, the speakers it can render.

    A variant changes a voice's pitch, formants and voice quality, not its
    accent: ``m1`` ... ``m8`` and ``f1`` ... ``f5`` are the classic male
    and female ones.

    Returns
    -------
    list of str
        The variants shipped with eSpeak NG's data, sorted.
    """
    import espeakng_loader

    folder = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def _check_variant(variant: str | None) -> None:
    """Raise for a variant eSpeak NG does not have (it would ignore it)."""
    if variant is not None and variant not in voice_variants():
        raise ValueError(
            f"unknown eSpeak NG voice variant {variant!r}; choose from "
            f"{voice_variants()}"
        )


_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_STRESS_MARKS = "',"


class _EventId(ctypes.Union):
    _fields_ = [
        ("number", ctypes.c_int),
        ("name", ctypes.c_char_p),
        ("string", ctypes.c_char * 8),
    ]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


def _declare(lib: ctypes.CDLL) -> None:
    """Declare the argument and result types of the functions used."""
    lib.espeak_Initialize.argtypes = [
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
    ]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Terminate.argtypes = []
    lib.espeak_Terminate.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_GetCurrentVoice.argtypes = []
    lib.espeak_GetCurrentVoice.restype = ctypes.POINTER(_Voice)
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_TextToPhonemes.argtypes = [
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_int,
        ctypes.c_int,
    ]
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p


def _dlclose(handle: int) -> None:
    """Release a handle from ``ctypes.CDLL`` (POSIX ``dlclose`` or Windows)."""
    close = getattr(_ctypes, "dlclose", None) or _ctypes.FreeLibrary
    close(handle)


def _is_loaded(path: str) -> bool:
    """Whether a shared library is still mapped (always False on Windows)."""
    noload = getattr(os, "RTLD_NOLOAD", None)
    if noload is None:
        return False
    try:
        lib = ctypes.CDLL(path, mode=noload)
    except OSError:
        return False
    _dlclose(lib._handle)
    return True


class _Engine:
    """The process-wide eSpeak NG instance.

    eSpeak NG's wave generator keeps state from one utterance to the next in
    C statics that no API call resets (the pitch flutter phase, automatic
    gain, waveform phase), so the same text would sound slightly different
    (and last a few samples more or less) depending on what was spoken
    before. Every synthesis therefore starts from a freshly loaded library.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._audio: list[np.ndarray] = []
        self._events: list[tuple[int, int, int, int, bytes]] = []
        self._callback = _CALLBACK(self._on_synth)  # keep a reference
        self._load()

    def _load(self) -> None:
        import espeakng_loader

        self._path = espeakng_loader.get_library_path()
        lib = ctypes.CDLL(self._path)
        _declare(lib)
        data_path = espeakng_loader.get_data_path().encode()
        fs = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, _INITIALIZE_PHONEME_EVENTS
        )
        if fs <= 0:
            raise RuntimeError(
                f"eSpeak NG failed to initialise with data at {data_path}"
            )
        lib.espeak_SetSynthCallback(self._callback)
        self.lib = lib
        self.fs = int(fs)
        self._voice: str | None = None
        self._used = False

    def _reload(self) -> None:
        """Unload the library and load it again, with all its state reset."""
        self.lib.espeak_Terminate()
        _dlclose(self.lib._handle)
        stuck = _is_loaded(self._path)
        self._load()
        if stuck:
            warnings.warn(
                f"{self._path} stays loaded (another user holds it), so eSpeak "
                "NG's audio may depend on what it spoke before",
                RuntimeWarning,
                stacklevel=5,
            )

    def _fresh(self) -> None:
        """Make the library pristine for a synthesis, reloading it if used."""
        if self._used:
            self._reload()
        self._used = True

    def _on_synth(self, wav, n, events) -> int:  # noqa: ANN001
        if wav and n > 0:
            self._audio.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            e = events[i]
            name = bytes(e.id.string) if e.type == _EVENT_PHONEME else b""
            self._events.append((e.type, e.sample, e.text_position, e.length, name))
            i += 1
        return 0

    def set_voice(self, dialect: str, variant: str | None = None) -> None:
        if dialect not in DIALECTS:
            raise ValueError(
                f"unknown dialect {dialect!r}; choose from {sorted(DIALECTS)}"
            )
        voice = DIALECTS[dialect] + ("" if variant is None else f"+{variant}")
        if self._voice == voice:
            return
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"eSpeak NG has no voice {voice!r} for {dialect!r}")
        # the identifier is '<family>/<file>', e.g. 'gmw/en-US'
        current = (
            self.lib.espeak_GetCurrentVoice().contents.identifier or b""
        ).decode()
        if current.split("/")[-1].lower() != voice.lower():
            raise RuntimeError(f"eSpeak NG picked voice {current!r} for {voice!r}")
        self._voice = voice

    def synthesize(self, text: str, dialect: str, variant: str | None = None):  # noqa: ANN201
        with self.lock:
            self._fresh()
            self.set_voice(dialect, variant)
            self._audio, self._events = [], []
            data = text.encode("utf-8")
            err = self.lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            if err != 0:
                raise RuntimeError(f"eSpeak NG synthesis failed with code {err}")
            audio = (
                np.concatenate(self._audio) if self._audio else np.zeros(0, np.int16)
            )
            events = self._events
            self._audio, self._events = [], []
        return audio.astype(np.int16, copy=False), events

    def text_to_phonemes(self, text: str, dialect: str) -> list[str]:
        with self.lock:
            self._used = True
            self.set_voice(dialect)
            buf = ctypes.c_char_p(text.encode("utf-8"))
            ptr = ctypes.pointer(buf)
            clauses = []
            # phoneme mode: eSpeak mnemonics separated by '_' (bits 8-23)
            while buf.value:
                out = self.lib.espeak_TextToPhonemes(ptr, _CHARS_UTF8, ord("_") << 8)
                if out:
                    clauses.append(out.decode("utf-8"))
        return clauses


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _Engine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
    return _ENGINE


def sample_rate() -> int:
    """Sample rate of eSpeak NG's audio.

    Returns
    -------
    int
        The rate in Hz (22050 for the shipped voices).
    """
    return _engine().fs


def text_to_phoneme_string(text: str, *, dialect: str = "en-US") -> list[str]:
    """Phoneme transcription of text by eSpeak NG, without audio.

    Parameters
    ----------
    text : str
        Text to transcribe.
    dialect : str, default="en-US"
        A key of :data:`DIALECTS`.

    Returns
    -------
    list of str
        One string per clause: words separated by spaces, the phonemes of a
        word separated by ``_`` (stress marks kept).
    """
    return _engine().text_to_phonemes(text, dialect)


@dataclass(frozen=True)
class Pronunciation:
    """Phones of a text as eSpeak NG speaks them, with its timing.

    Parameters
    ----------
    label : Label
        Phones with start and end times, silence as ``pau``.
    word_index : ndarray of int, shape (n_phones,)
        Index into ``words`` of every phone; -1 for pauses.
    words : tuple of str
        The words of the text, in order.
    fs : int
        Sample rate of the audio the timing refers to.
    """

    label: Label
    word_index: np.ndarray
    words: tuple[str, ...]
    fs: int

    @property
    def phones(self) -> tuple[str, ...]:
        """Phone names."""
        return self.label.names

    @property
    def durations(self) -> np.ndarray:
        """Phone durations in seconds."""
        return self.label.durations


def _align(text: str, audio: np.ndarray, events: list, fs: int) -> Pronunciation:
    """Phone segments from eSpeak's phoneme and word events."""
    n = len(audio)
    words: list[str] = []
    word_starts: list[int] = []
    starts: list[int] = []
    names: list[str] = []
    for etype, sample, text_pos, length, raw in events:
        sample = int(min(max(sample, 0), n))
        if etype == _EVENT_WORD:
            # text_position counts characters from 1
            chars = text[max(text_pos - 1, 0) : max(text_pos - 1, 0) + max(length, 0)]
            words.append(chars)
            word_starts.append(sample)
        elif etype == _EVENT_PHONEME:
            name = raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")
            if not name:
                continue
            starts.append(sample)
            names.append(SILENCE if name.startswith("_") else name)
    # segments: [start_i, start_{i+1}), a leading pause from 0
    bounds = [0, *starts, n]
    seg_names = [SILENCE, *names]
    seg_start = np.array(bounds[:-1], dtype=np.int64)
    seg_end = np.array(bounds[1:], dtype=np.int64)
    seg_end = np.maximum(seg_end, seg_start)
    keep_starts: list[int] = []
    keep_ends: list[int] = []
    keep_names: list[str] = []
    for s, e, name in zip(seg_start, seg_end, seg_names, strict=True):
        if e <= s:
            continue
        if name == SILENCE and keep_names and keep_names[-1] == SILENCE:
            keep_ends[-1] = int(e)
            continue
        keep_starts.append(int(s))
        keep_ends.append(int(e))
        keep_names.append(name)
    ws = np.asarray(word_starts, dtype=np.int64)
    st = np.asarray(keep_starts, dtype=np.int64)
    word_index = np.searchsorted(ws, st, side="right") - 1
    word_index[np.array([nm == SILENCE for nm in keep_names], dtype=bool)] = -1
    to_units = HTK_UNITS_PER_SECOND
    label = Label(
        st * to_units // fs,
        np.asarray(keep_ends, dtype=np.int64) * to_units // fs,
        tuple(keep_names),
    )
    return Pronunciation(label, word_index.astype(np.int64), tuple(words), fs)


def synthesize_text(
    text: str, *, dialect: str = "en-US", pad: float = 0.1, variant: str | None = None
) -> tuple[np.ndarray, Pronunciation]:
    """Speak text in a dialect and align its phones exactly.

    Parameters
    ----------
    text : str
        Text to speak (UTF-8; a single sentence is best).
    dialect : str, default="en-US"
        A key of :data:`DIALECTS`.
    pad : float, default=0.1
        Seconds of silence added before and after the speech (labelled
        ``pau`` with the pauses eSpeak leaves at the edges).
    variant : str, optional
        Voice variant, a speaker (see :func:`voice_variants`); default the
        dialect's own voice.

    Returns
    -------
    audio : ndarray of int16, shape (n_samples,)
        The speech at :func:`sample_rate`.
    pronunciation : Pronunciation
        Phones with the sample-exact boundaries of eSpeak's phoneme events,
        covering the whole audio.

    Raises
    ------
    ValueError
        If the text is empty, or the dialect or variant unknown.
    """
    if not text or not text.strip():
        raise ValueError("text is empty")
    if not np.isfinite(pad) or pad < 0:
        raise ValueError(f"pad must be a non-negative number of seconds, got {pad!r}")
    _check_variant(variant)
    eng = _engine()
    audio, events = eng.synthesize(text, dialect, variant)
    if len(audio) == 0:
        raise ValueError(f"eSpeak NG produced no audio for {text!r}")
    n_pad = int(round(pad * eng.fs))
    if n_pad:
        audio = np.concatenate(
            [np.zeros(n_pad, np.int16), audio, np.zeros(n_pad, np.int16)]
        )
        events = [(t, s + n_pad, *rest) for t, s, *rest in events]
    return audio, _align(text, audio, events, eng.fs)


def phonemes(text: str, *, dialect: str = "en-US", pad: float = 0.1) -> Pronunciation:
    """Text front end: the phones of a text in a dialect, with eSpeak's timing.

    The phones come from the same analysis that labels the built-in corpus,
    so they share its inventory.

    Parameters
    ----------
    text : str
        Text to transcribe.
    dialect : str, default="en-US"
        A key of :data:`DIALECTS`.
    pad : float, default=0.1
        Seconds of leading and trailing silence, as in the built-in corpus.

    Returns
    -------
    Pronunciation
        Phone names (``pau`` for silences), durations, and the word of
        every phone.

    Raises
    ------
    ValueError
        If the text is empty or the dialect unknown.
    """
    return synthesize_text(text, dialect=dialect, pad=pad)[1]
