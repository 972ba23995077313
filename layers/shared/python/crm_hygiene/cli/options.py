"""Argument types the subcommands share."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime


def as_of(text: str) -> datetime:
    """``--as-of``: an ISO date or date-time, UTC when it names no zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
