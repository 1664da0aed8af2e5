"""Checks of JSON values in place, one spec per kind of field.

A spec checks a value where it stands: ``spec.check(value, field)`` raises
a :class:`FieldError` naming ``field`` (dotted keys, ``[i]`` list items) if
it does not conform. :mod:`mtlsynth.speech.voicefile` describes a voice
file's metadata with them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mtlsynth.speech.errors import VoiceFileError

__all__ = [
    "ANY",
    "POSITIVE",
    "AnyValue",
    "FieldError",
    "Flag",
    "ListOf",
    "MapOf",
    "Nullable",
    "Number",
    "Record",
    "Text",
    "join_field",
    "show",
    "whole",
]


class FieldError(VoiceFileError):
    """A field of a voice file's metadata or arrays that breaks the schema."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")


def show(value: Any) -> str:
    """A short JSON rendering of a value, for messages."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def join_field(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


@dataclass(frozen=True)
class Number:
    """A finite number (``whole``: of integer value) in a range."""

    low: float = -math.inf
    high: float = math.inf
    whole: bool = False
    open_low: bool = False
    open_high: bool = False

    def _range(self) -> str:
        low = "-inf" if self.low == -math.inf else f"{self.low:g}"
        high = "inf" if self.high == math.inf else f"{self.high:g}"
        left = "(" if self.open_low or self.low == -math.inf else "["
        right = ")" if self.open_high or self.high == math.inf else "]"
        return f"in {left}{low}, {high}{right}"

    def _fits(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not math.isfinite(value) or (self.whole and not float(value).is_integer()):
            return False
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below

    def check(self, value: Any, field: str) -> None:
        if not self._fits(value):
            kind = "a whole number" if self.whole else "a number"
            raise FieldError(
                field, f"must be {kind} {self._range()}, got {show(value)}"
            )


@dataclass(frozen=True)
class Text:
    """A non-empty string, one of ``choices`` if given."""

    choices: tuple[str, ...] = ()

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, str) or not value:
            raise FieldError(field, f"must be a non-empty string, got {show(value)}")
        if self.choices and value not in self.choices:
            allowed = ", ".join(map(repr, self.choices))
            raise FieldError(field, f"must be one of {allowed}, got {show(value)}")


@dataclass(frozen=True)
class Flag:
    """A boolean."""

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, bool):
            raise FieldError(field, f"must be true or false, got {show(value)}")


@dataclass(frozen=True)
class AnyValue:
    """Any JSON value."""

    def check(self, value: Any, field: str) -> None:
        pass


@dataclass(frozen=True)
class Nullable:
    """``null`` or what ``inner`` accepts."""

    inner: Any

    def check(self, value: Any, field: str) -> None:
        if value is not None:
            self.inner.check(value, field)


@dataclass(frozen=True)
class ListOf:
    """A list of ``item``, of ``length`` items in a range, maybe unique."""

    item: Any
    min_len: int = 0
    max_len: int = 1_000_000
    unique: bool = False

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, list):
            raise FieldError(field, f"must be a list, got {show(value)}")
        if not self.min_len <= len(value) <= self.max_len:
            raise FieldError(
                field,
                f"must have {self.min_len} to {self.max_len} items, got {len(value)}",
            )
        for i, item in enumerate(value):
            self.item.check(item, f"{field}[{i}]")
        if self.unique and len({json.dumps(v) for v in value}) < len(value):
            raise FieldError(field, "must not repeat an item")


@dataclass(frozen=True)
class MapOf:
    """An object of any string keys to what ``value`` accepts."""

    value: Any

    def check(self, value: Any, field: str) -> None:
        if not isinstance(value, dict):
            raise FieldError(field, f"must be an object, got {show(value)}")
        for key, item in value.items():
            self.value.check(item, join_field(field, key))


@dataclass(frozen=True, eq=False)
class Record:
    """An object with these keys, each checked by its spec; no others."""

    fields: Mapping[str, Any]
    optional: frozenset = field(default_factory=frozenset)

    def check(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise FieldError(
                where or "metadata", f"must be an object, got {show(value)}"
            )
        for key, spec in self.fields.items():
            if key in value:
                spec.check(value[key], join_field(where, key))
            elif key not in self.optional:
                raise FieldError(
                    join_field(where, key), "missing (incomplete voice file)"
                )
        for key in value:
            if key not in self.fields:
                raise FieldError(join_field(where, key), "unknown field")


def whole(low: float, high: float) -> Number:
    return Number(low, high, whole=True)


POSITIVE = Number(0, math.inf, open_low=True)
ANY = AnyValue()
