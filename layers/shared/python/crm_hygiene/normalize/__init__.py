"""Normalizers: one module per value kind.

Every normalizer takes a raw string and returns a :class:`~crm_hygiene.normalize.base.Normalized`:
the value in the standard's format with a confidence and a reason, or the reason it cannot be
normalized. Normalizers are pure, total (they never raise on bad input) and idempotent:
normalizing a normalized value returns it unchanged with status ``valid``.
"""

from crm_hygiene.normalize.base import Normalized, Status

__all__ = ["Normalized", "Status"]
