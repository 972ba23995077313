"""Spreadsheet formula injection (CSV injection), as OWASP describes it.

A spreadsheet opening a CSV file runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK(...)`` phones home, ``+cmd|' /C calc'!A0`` runs a program through DDE), and tab or CR
in front of one does not stop it. Two answers, for two kinds of file (docs/pipeline.md, "Outputs"):

* Files we compose for people to open (queue.csv, health.csv, pairs.csv, clusters.csv, the enrich
  queue.csv): every such cell is written with a leading single quote (:func:`neutralize`), which a
  spreadsheet shows as text; our readers take it off again (:func:`restore`).
* cleaned.csv is the input file given back with changes applied: its own cells stay byte for byte,
  and a value that would start a formula is never applied (:func:`starts_formula`, used by the policy
  and by the writer of cleaned.csv), so that no formula is ever *ours*.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's list)."""

# A sign followed by digits and number punctuation only: a phone in E.164 ("+14155550123", "+1 (415)
# 555-0123") or a negative number. A spreadsheet may read it as arithmetic, never as a call or a
# reference (those need letters, "|" or "!").
_SIGNED_NUMBER = re.compile(r"[+-][0-9][0-9 ().,/-]*")


def neutralize(cell: str) -> str:
    """The cell as a spreadsheet shows it as text: a leading single quote before a formula trigger.

    A cell already starting with quotes before a trigger gets one more, so :func:`restore` gives back
    exactly what was written.
    """
    if cell[:1] in FORMULA_TRIGGERS or (cell[:1] == "'" and cell.lstrip("'")[:1] in FORMULA_TRIGGERS):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The value :func:`neutralize` was given (a reviewed queue.csv read back)."""
    if cell[:1] == "'" and cell.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return cell[1:]
    return cell


def starts_formula(value: str) -> bool:
    """Whether ``value``, written into a cell as it is, would be run as a formula.

    A signed plain number (an E.164 phone, a negative amount) is not: it stays a value and is what the
    standard asks for. Anything else starting with a trigger is.
    """
    first = value[:1]
    if first not in FORMULA_TRIGGERS:
        return False
    return not (first in "+-" and _SIGNED_NUMBER.fullmatch(value))
