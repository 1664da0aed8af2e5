"""The ``mtlsynth say`` command: speak text with a trained voice."""

from __future__ import annotations

import argparse

from mtlsynth.speech.synthesizer import ACCENT_STRENGTH_RANGE
from mtlsynth.utils.files import check_output_path

__all__ = ["add_parser", "run"]


def run(args: argparse.Namespace) -> int:
    """Speak text with a trained voice.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options: ``text``, ``voice``, ``dialect``, ``accent_strength``,
        ``output``.

    Returns
    -------
    status : int
        Exit status, 0 on success.
    """
    from mtlsynth.speech.audio import write_wav
    from mtlsynth.speech.synthesizer import ParametricSynthesizer

    check_output_path(args.output)
    synth = ParametricSynthesizer.load(args.voice)
    wave, fs = synth.synthesize(
        args.text, dialect=args.dialect, accent_strength=args.accent_strength
    )
    write_wav(args.output, wave, fs)
    print(f"Wrote {len(wave) / fs:.2f} s of {args.dialect} speech to {args.output}")
    return 0


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
    say.add_argument("text", help="text to speak")
    say.add_argument("--voice", required=True, help="voice file")
    say.add_argument("--dialect", required=True, help="dialect to speak")
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
