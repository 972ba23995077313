"""Atomic output files and CSV/JSONL writers that keep the input's dialect."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from crm_hygiene.csvio.formula import neutralize
from crm_hygiene.csvio.read import Dialect, codec_errors


@contextmanager
def atomic_text(path: str | Path, *, encoding: str = "utf-8", newline: str = "") -> Iterator[TextIO]:
    """Opens a text file that appears at ``path`` only once the block completes.

    Writes go to ``.{name}.tmp-{pid}-{random}`` in the same directory (so the final rename stays
    on one filesystem), which is fsynced and renamed over ``path``. If the block raises, the
    temp file is removed and ``path`` keeps its previous content. With "utf-8-sig" or "utf-16"
    the BOM is written once, at the start. For cp1252 the five undefined bytes round-trip (see
    :data:`~crm_hygiene.csvio.read.CP1252_ERRORS`).

    Args:
        path: The final file; missing parent directories are created.
        encoding: The text encoding.
        newline: As for :func:`open`; "" leaves line endings exactly as written.

    Yields:
        The open temp file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    fh = temp.open("x", encoding=encoding, errors=codec_errors(encoding), newline=newline)
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.replace(temp, target)
    except BaseException:
        fh.close()
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), hence best effort.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def encodable(value: str, encoding: str) -> bool:
    """Tells whether ``value`` can be written in ``encoding`` (as :func:`atomic_text` writes it).

    Args:
        value: The text.
        encoding: The output encoding, usually the input dialect's.

    Returns:
        False when a character has no representation (e.g. "日本" in cp1252).
    """
    try:
        value.encode(encoding, errors=codec_errors(encoding))
    except UnicodeEncodeError:
        return False
    return True


class _RowWriter:
    """csv.writer for one row at a time, quoting every cell that holds CR or LF, whatever the line end.

    csv's QUOTE_MINIMAL quotes only the characters of the writer's own line terminator: with "\\n" a
    cell holding a lone CR went out bare, and every reader (a spreadsheet too) starts a new row there,
    so ``x\\r=HYPERLINK(...)`` put a formula at the start of a row. Each row is formatted with "\\r\\n"
    (both quoted) and written with the file's own terminator.
    """

    def __init__(self, fh: TextIO, lineterminator: str, **fmt: Any) -> None:
        self._fh = fh
        self._end = lineterminator
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n", **fmt)

    def writerow(self, cells: Iterable[str]) -> None:
        self._writer.writerow(cells)
        row = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        self._fh.write(row[:-2] + self._end)  # one write: a row the file cannot encode is not written


class ReportWriter:
    """Writes a CSV file we compose for people to open (queue, health, pairs, clusters).

    Comma-separated, "\\n" line ends, quoting where needed, and every cell that a spreadsheet would run
    as a formula written as text (:func:`~crm_hygiene.csvio.formula.neutralize`, OWASP's advice on
    CSV injection): these files carry values from the CRM and from providers, which anyone can set.
    """

    def __init__(self, fh: TextIO) -> None:
        self._writer = _RowWriter(fh, "\n")

    def writerow(self, cells: Iterable[object]) -> None:
        """Writes one row; ``None`` is an empty cell, anything else its ``str``."""
        self._writer.writerow([neutralize("" if cell is None else str(cell)) for cell in cells])


class CsvWriter:
    """Writes rows in a given dialect, quoting only where needed.

    It writes cells as given: cleaned.csv is the input file given back, byte for byte but for the
    changes applied, and those are never formulas
    (:func:`~crm_hygiene.csvio.formula.starts_formula`).

    Give it the input's dialect so cleaned output keeps the input's encoding, BOM, delimiter and
    line endings.

    Open ``fh`` with ``atomic_text(path, encoding=dialect.encoding)``: the encoding (and BOM) is
    the file's business; ``newline=""`` keeps the dialect's line terminator untranslated.
    """

    def __init__(self, fh: TextIO, dialect: Dialect) -> None:
        self._dialect = dialect
        self._writer = _RowWriter(
            fh,
            dialect.lineterminator,
            delimiter=dialect.delimiter,
            quotechar=dialect.quotechar,
            quoting=csv.QUOTE_MINIMAL,
        )

    def writerow(self, cells: Sequence[str]) -> None:
        """Writes one record.

        Raises:
            ValueError: A cell holds a character the encoding cannot represent; the row is not
                written. Check values with :func:`encodable` first.
        """
        try:
            self._writer.writerow(cells)
        except UnicodeEncodeError as exc:
            raise ValueError(self._unencodable(cells)) from exc

    def _unencodable(self, cells: Sequence[str]) -> str:
        encoding = self._dialect.encoding
        for position, cell in enumerate(cells, start=1):
            bad = [char for char in cell if not encodable(char, encoding)]
            if bad:
                return f"cell {position} holds {bad[0]!r}, which {encoding} cannot represent"
        return f"the row cannot be written in {encoding}"


def write_jsonl_line(fh: TextIO, obj: Mapping[str, object]) -> None:
    """Writes ``obj`` as one compact JSON line (non-ASCII kept as is)."""
    fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
