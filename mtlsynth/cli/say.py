"""The ``mtlsynth say`` command: speak text or phones with a trained voice."""

from __future__ import annotations

import argparse

from mtlsynth.cli._common import frontends
from mtlsynth.speech.synthesizer import ACCENT_STRENGTH_RANGE
from mtlsynth.utils.files import check_output_path

__all__ = ["add_parser", "only_dialect", "run"]


def run(args: argparse.Namespace) -> int:
    """Speak text, or phones in the voice's phone set, with a trained voice.

    Text is spoken and written sentence by sentence, so its length is not
    bounded by memory.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``text``, ``phones``, ``voice``, ``dialect``,
        ``speaker``, ``frontend``, ``accent_strength``, ``output``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    from mtlsynth.speech.audio import write_wav_stream
    from mtlsynth.speech.synthesizer import ParametricSynthesizer

    if (args.text is None) == (args.phones is None):
        raise ValueError("say needs either TEXT or --phones, not both")
    check_output_path(args.output)
    synth = ParametricSynthesizer.load(args.voice)
    synth.progress = True  # of a long text's sentences
    if args.frontend is not None:
        synth.frontend = args.frontend
    utterance = args.text if args.phones is None else args.phones.split()
    dialect = args.dialect if args.dialect is not None else only_dialect(synth)
    sentences = synth.synthesize_sentences(
        utterance,
        dialect=dialect,
        speaker=args.speaker,
        accent_strength=args.accent_strength,
    )
    n = write_wav_stream(args.output, sentences, synth.fs_)
    who = "" if args.speaker is None else f" by {args.speaker}"
    print(f"Wrote {n / synth.fs_:.2f} s of {dialect} speech{who} to {args.output}")
    return 0


def only_dialect(voice) -> str:
    """The dialect of a voice trained on one, for ``say`` without
    ``--dialect``.

    Parameters
    ----------
    voice : ParametricSynthesizer
        A fitted voice.

    Returns
    -------
    str
        Its only dialect.

    Raises
    ------
    ValueError
        If the voice has several dialects: they are named. (A voice of
        speakers in one dialect has one.)
    """
    from mtlsynth.speech.speakers import voice_dialects

    dialects = voice_dialects(voice)
    if len(dialects) != 1:
        raise ValueError(
            f"the voice speaks {len(dialects)} dialects ({', '.join(dialects)}): "
            "choose one with --dialect"
        )
    return dialects[0]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``say`` command.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The result of ``ArgumentParser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser.
    """
    low, high = ACCENT_STRENGTH_RANGE
    say = subparsers.add_parser("say", help="speak text with a trained voice")
    say.add_argument("text", nargs="?", help="text to speak")
    say.add_argument(
        "--phones",
        default=None,
        help="speak these phones of the voice's set instead, separated by "
        'spaces ("pau hh ax l ow pau")',
    )
    say.add_argument(
        "--frontend",
        type=frontends,
        default=None,
        help="the eSpeak NG dialect that transcribes the text, instead of the "
        "voice's (en-US, or DIALECT=ESPEAK pairs)",
    )
    say.add_argument("--voice", required=True, help="voice file")
    say.add_argument(
        "--dialect",
        default=None,
        help="dialect to speak (default: the voice's only dialect, if it has one)",
    )
    say.add_argument(
        "--speaker",
        default=None,
        help="speaker of a voice trained on speakers, in any dialect (default "
        "none: the dialect alone)",
    )
    say.add_argument(
        "--accent-strength",
        type=float,
        default=1.0,
        help=f"from {low:g} to {high:g}: 0 the accent the dialects share, 1 the "
        "dialect, above 1 exaggerated, below 0 away from it (default 1)",
    )
    say.add_argument("-o", "--output", required=True, help="wav file to write")
    say.set_defaults(func=run)
    return say
