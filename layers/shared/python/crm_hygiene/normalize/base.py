"""The result type shared by all normalizers."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, NamedTuple

Status = Literal["valid", "fixed", "invalid", "placeholder", "empty"]
"""What a normalizer found.

* ``valid``: the value already has the standard's format (``value`` equals the input).
* ``fixed``: the value was recognised and ``value`` holds it in the standard's format.
* ``invalid``: the value cannot be recognised; ``value`` is None and ``reason`` says why.
* ``placeholder``: a stand-in such as "TBD" or "test@test.com"; it counts as missing.
* ``empty``: nothing there (blank or whitespace only).
"""

_EMPTY: Mapping[str, str] = MappingProxyType({})


class Normalized(NamedTuple):
    """One normalizer's verdict on one raw value (immutable; a named tuple because one is built for
    every field of every record, and a frozen dataclass costs several times more to create).

    Attributes:
        status: See :data:`Status`.
        value: The value in the standard's format, or None when there is none.
        confidence: Probability in [0, 1] that ``value`` is right (1.0 for ``valid``).
        reason: Human-readable: what was done, or why it could not be done.
        flags: Facts worth knowing about the value ("role", "free_mail", "junk", ...).
        extra: Derived parts (a phone's region, a full name's first and last name, ...).
    """

    status: Status
    value: str | None
    confidence: float
    reason: str
    flags: frozenset[str] = frozenset()
    extra: Mapping[str, str] = _EMPTY

    @property
    def changed(self) -> bool:
        return self.status == "fixed"

    @property
    def missing(self) -> bool:
        return self.status in ("empty", "placeholder")


EMPTY = Normalized("empty", None, 1.0, "empty")
_NO_FLAGS: frozenset[str] = frozenset()


def valid(
    value: str,
    reason: str = "already in the standard format",
    flags: frozenset[str] = _NO_FLAGS,
    extra: Mapping[str, str] = _EMPTY,
) -> Normalized:
    return Normalized("valid", value, 1.0, reason, flags, extra)


def fixed(
    value: str,
    confidence: float,
    reason: str,
    flags: frozenset[str] = _NO_FLAGS,
    extra: Mapping[str, str] = _EMPTY,
) -> Normalized:
    return Normalized("fixed", value, confidence, reason, flags, extra)


def invalid(reason: str, flags: frozenset[str] = _NO_FLAGS, extra: Mapping[str, str] = _EMPTY) -> Normalized:
    return Normalized("invalid", None, 1.0, reason, flags, extra)


def placeholder(reason: str, flags: frozenset[str] = _NO_FLAGS) -> Normalized:
    return Normalized("placeholder", None, 1.0, reason, flags)


def result(
    raw: str,
    value: str,
    confidence: float,
    reason: str,
    flags: frozenset[str] = _NO_FLAGS,
    extra: Mapping[str, str] = _EMPTY,
) -> Normalized:
    """``valid`` when ``value`` equals ``raw``, else ``fixed``."""
    if value == raw:
        return valid(value, flags=flags, extra=extra)
    return fixed(value, confidence, reason, flags, extra)
