"""Streaming reader for CRM export CSV files.

Exports come from HubSpot, Salesforce, Excel and hand-edited spreadsheets, so the reader guesses the
dialect (:func:`sniff`), survives mixed encodings line by line, and reports broken files as
:class:`~crm_hygiene.errors.InputError` with the line where the problem starts. Memory stays
proportional to one record: the file is never read whole.

Line numbers are physical lines of the file, 1-based, split on LF (so CRLF counts once and a CR
inside a quoted field does not count), or on CR for old Mac files whose only line ending is CR.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from crm_hygiene.csvio.formula import restore
from crm_hygiene.errors import InputError

SAMPLE_SIZE = 64 * 1024
"""How many bytes :func:`sniff` reads."""

FIELD_SIZE_LIMIT = 16 * 1024 * 1024
"""The csv module's field limit (characters) the reader ensures; its default (128 Ki) is too small."""

CP1252_ERRORS = "crm_hygiene.cp1252_undefined"
"""Codec error handler for cp1252: the five bytes cp1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D)
decode as their latin-1 code points and encode back to the same bytes, so nothing is lost."""

_CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})
_SNIFF_RECORDS = 50
_CHUNK = 1024 * 1024
# On a tie the character that is rarer in ordinary text wins: commas show up in names and
# addresses, tabs almost never do.
_DELIMITERS = ("\t", "|", ";", ",")
_LINE_TERMINATORS = ("\r\n", "\n", "\r")

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "looks like an Excel workbook or ZIP archive; export it as CSV"),
    (b"PK\x05\x06", "looks like an Excel workbook or ZIP archive; export it as CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "looks like an old Excel workbook (.xls); export it as CSV"),
    (b"%PDF", "looks like a PDF document, not CSV text"),
    (b"\x1f\x8b", "looks like a gzip-compressed file; decompress it first"),
    (codecs.BOM_UTF32_LE, "UTF-32 text is not supported; export it as UTF-8 CSV"),
    (codecs.BOM_UTF32_BE, "UTF-32 text is not supported; export it as UTF-8 CSV"),
)
_MARKUP: tuple[tuple[tuple[str, ...], str], ...] = (
    (("{", "["), "looks like JSON, not CSV; export it as CSV"),
    (("<?xml",), "looks like an XML document (an Excel XML spreadsheet?), not CSV; export it as CSV"),
    (
        ("<html", "<!doctype html"),
        "looks like an HTML page, not CSV (some CRM 'Excel' exports are HTML tables); export it as CSV",
    ),
)


def _cp1252_undefined(exc: UnicodeError) -> tuple[str | bytes, int]:
    if isinstance(exc, UnicodeDecodeError):
        return exc.object[exc.start : exc.end].decode("latin-1"), exc.end
    if isinstance(exc, UnicodeEncodeError):
        chunk = exc.object[exc.start : exc.end]
        if all(ord(char) in _CP1252_UNDEFINED for char in chunk):
            return chunk.encode("latin-1"), exc.end
    raise exc


codecs.register_error(CP1252_ERRORS, _cp1252_undefined)


def codec_errors(encoding: str) -> str:
    """The codec error handler to read or write ``encoding`` with (strict except for cp1252)."""
    return CP1252_ERRORS if codecs.lookup(encoding).name == "cp1252" else "strict"


def _is_wide(encoding: str) -> bool:
    # UTF-16/32 cannot be split into lines as bytes (a LF is 0A 00), so they are read as text.
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a CSV file is written.

    Attributes:
        encoding: "utf-8", "utf-8-sig" (BOM present), "cp1252" or "utf-16" (BOM present) when sniffed.
        delimiter: One of "," ";" "\\t" "|" when sniffed.
        lineterminator: "\\r\\n", "\\n" or (old Mac exports) "\\r", as found in the file.
        quotechar: The quote character.
    """

    encoding: str
    delimiter: str
    lineterminator: str
    quotechar: str = '"'

    def __post_init__(self) -> None:
        codecs.lookup(self.encoding)  # LookupError for an unknown encoding
        if len(self.delimiter) != 1 or len(self.quotechar) != 1 or self.delimiter == self.quotechar:
            raise ValueError(f"bad delimiter/quotechar: {self.delimiter!r}, {self.quotechar!r}")
        if self.lineterminator not in _LINE_TERMINATORS:
            raise ValueError(f"bad lineterminator: {self.lineterminator!r}")


@dataclass(frozen=True, slots=True)
class Row:
    """One data record.

    Attributes:
        index: 0-based data row number (the header and skipped blank lines excluded).
        line: 1-based physical line where the record starts.
        cells: The cells as parsed; the count may differ from the header's.
    """

    index: int
    line: int
    cells: list[str]


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


# --- sniffing ---------------------------------------------------------------------------------


def sniff(path: str | Path) -> Dialect:
    """Guesses the dialect of a CSV export from its first 64 KiB.

    Args:
        path: The file.

    Returns:
        The encoding, delimiter and line terminator found.

    Raises:
        InputError: The file is empty, or is not CSV text (binary, a workbook, PDF, gzip, JSON,
            XML or HTML).
    """
    where = str(path)
    with Path(path).open("rb") as fh:
        sample = fh.read(SAMPLE_SIZE)
    complete = len(sample) < SAMPLE_SIZE
    _reject_binary(sample, where)
    encoding = _detect_encoding(sample, complete)
    text = _decode_sample(sample, encoding, complete, where)
    _reject_non_csv_text(text, complete, where)
    body = text if complete else _drop_partial_line(text)
    return Dialect(encoding, _detect_delimiter(body), _detect_lineterminator(text, complete))


def _reject_binary(sample: bytes, where: str) -> None:
    if not sample:
        raise InputError("empty file", path=where)
    for magic, message in _MAGIC:
        if sample.startswith(magic):
            raise InputError(message, path=where)
    wide = sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not wide and b"\x00" in sample:
        raise InputError("binary file, not CSV text (it contains NUL bytes)", path=where)


def _detect_encoding(sample: bytes, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # Judge line by line: a UTF-8 export with one pasted cp1252 line is still UTF-8 (that line
    # gets the per-line fallback); decoding the whole sample as cp1252 would garble every other line.
    lines = sample.replace(b"\r", b"\n").split(b"\n")
    utf8 = not_utf8 = 0
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        # The 64 KiB cut may split the last line's final character: not a reason to reject UTF-8.
        final = complete or number < len(lines)
        try:
            codecs.getincrementaldecoder("utf-8")().decode(line, final=final)
        except UnicodeDecodeError:
            not_utf8 += 1
        else:
            utf8 += 1
    return "utf-8" if utf8 >= not_utf8 else "cp1252"


def _decode_sample(sample: bytes, encoding: str, complete: bool, where: str) -> str:
    if not _is_wide(encoding):
        # Only used to look at the structure, so a replaced character does no harm here.
        return sample.decode(encoding, errors="replace")
    try:
        return codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid {encoding} text: {exc.reason}", path=where) from exc


def _reject_non_csv_text(text: str, complete: bool, where: str) -> None:
    start = text.lstrip()
    if not start:
        message = "empty file" if complete else "no data in the first 64 KiB (only blank lines)"
        raise InputError(message, path=where)
    if "\x00" in text:
        raise InputError("binary file, not CSV text (it contains NUL characters)", path=where)
    lowered = start[:16].lower()
    for prefixes, message in _MARKUP:
        if lowered.startswith(prefixes):
            raise InputError(message, path=where)


def _drop_partial_line(text: str) -> str:
    # The cut most likely ended mid-record; a half record would look ragged.
    head = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
    return head if head.strip() else text


def _detect_delimiter(body: str) -> str:
    best = ","
    best_key: tuple[float, float, int] | None = None
    for rank, delimiter in enumerate(_DELIMITERS):
        score = _delimiter_score(body, delimiter)
        if score is None:
            continue
        key = (*score, -rank)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    return best


def _delimiter_score(body: str, delimiter: str) -> tuple[float, float] | None:
    """(share of records as wide as the header, minus the share of cells starting with a space).

    None when the delimiter does not split the header at all. A cell starting with a space hints
    that the character is punctuation ("Boston, MA"), not the delimiter.
    """
    widths: list[int] = []
    spaced = 0
    try:
        for cells in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter):
            if _is_blank(cells):
                continue
            widths.append(len(cells))
            spaced += sum(1 for cell in cells[1:] if cell[:1] == " ")
            if len(widths) == _SNIFF_RECORDS:
                break
    except csv.Error:
        return None
    if not widths or widths[0] < 2:
        return None
    consistent = sum(1 for width in widths if width == widths[0]) / len(widths)
    return consistent, -spaced / sum(widths)


def _detect_lineterminator(text: str, complete: bool) -> str:
    ends = [i for i in (text.find("\n"), text.find("\r")) if i >= 0]
    if not ends:
        return "\r\n"  # no line ending at all: RFC 4180's
    first = min(ends)
    if text[first] == "\n":
        return "\n"
    after = text[first + 1 : first + 2]
    if after == "\n" or (not after and not complete):
        return "\r\n"
    return "\r"


# --- reading ----------------------------------------------------------------------------------


def _ensure_field_size_limit() -> None:
    # Notes and descriptions in CRM exports can hold megabytes; the csv default is 128 Ki characters.
    if csv.field_size_limit() < FIELD_SIZE_LIMIT:
        csv.field_size_limit(FIELD_SIZE_LIMIT)


def _split_lines(fh: BinaryIO, separator: bytes) -> Iterator[bytes]:
    if separator == b"\n":
        yield from fh
        return
    buffer = bytearray()
    while chunk := fh.read(_CHUNK):
        buffer += chunk
        start = 0
        while (end := buffer.find(separator, start)) >= 0:
            yield bytes(buffer[start : end + 1])
            start = end + 1
        del buffer[:start]
    if buffer:
        yield bytes(buffer)


def _unique_columns(header: list[str]) -> tuple[list[str], list[str]]:
    """Names every column uniquely: blanks become "Column 3", repeats "Email (2)", "Email (3)"."""
    names = [cell or f"Column {position}" for position, cell in enumerate(header, start=1)]
    taken = set(names)
    seen: set[str] = set()
    columns: list[str] = []
    duplicates: list[str] = []
    for raw, name in zip(header, names, strict=True):
        unique = name
        if name in seen:
            if raw and raw not in duplicates:
                duplicates.append(raw)
            copy = 2
            while (unique := f"{name} ({copy})") in taken:
                copy += 1
            taken.add(unique)
        seen.add(name)
        columns.append(unique)
    return columns, duplicates


class CsvReader:
    """Streams a CSV export. Use as a context manager; iterate once.

    Attributes:
        path: The file.
        dialect: The dialect used (sniffed when none was given).
        header: The header cells, stripped of surrounding whitespace and stray BOMs.
        header_line: The physical line of the header (1 unless blank lines precede it).
        columns: Unique column names, one per header cell.
        duplicate_columns: Header names that occur more than once.
        decode_fallbacks: Lines so far that were not valid in the dialect's encoding and were
            decoded as cp1252 (undefined cp1252 bytes as latin-1).
    """

    def __init__(self, path: str | Path, dialect: Dialect | None = None) -> None:
        """Opens the file, sniffing its dialect when none is given, and reads the header.

        Raises:
            InputError: The file is not CSV text, is empty or only blank lines, or the header is
                malformed.
        """
        self.path = Path(path)
        self.dialect = dialect if dialect is not None else sniff(self.path)
        self.decode_fallbacks = 0
        self._lines_read = 0
        self._at_eof = False
        self._index = 0
        self._closed = False
        _ensure_field_size_limit()
        self._fh: BinaryIO = self.path.open("rb")
        self._records = self._parse()
        try:
            self.header, self.header_line = self._read_header()
        except BaseException:
            self.close()
            raise
        self.columns, self.duplicate_columns = _unique_columns(self.header)

    def __enter__(self) -> CsvReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Releases the file; iterating afterwards is an error."""
        self._closed = True
        self._records.close()
        self._fh.close()

    def __iter__(self) -> Iterator[Row]:
        """Yields the data rows, skipping blank lines.

        Raises:
            InputError: A malformed record, an unterminated quoted field, or a NUL byte.
            ValueError: The reader is closed.
        """
        if self._closed:
            raise ValueError("I/O on a closed CsvReader")
        for line, cells in self._records:
            if _is_blank(cells):
                continue
            yield Row(self._index, line, cells)
            self._index += 1

    def _read_header(self) -> tuple[list[str], int]:
        for line, cells in self._records:
            if not _is_blank(cells):
                return [cell.replace("\ufeff", "").strip() for cell in cells], line
        raise InputError("empty file (no header row)", path=str(self.path))

    def _parse(self) -> Generator[tuple[int, list[str]], None, None]:
        """Yields (start line, cells) for every record, blank ones included."""
        reader = csv.reader(
            self._text_lines(), delimiter=self.dialect.delimiter, quotechar=self.dialect.quotechar
        )
        while True:
            # The csv reader pulls lines only as it needs them, so the next record starts on the
            # line after the last one pulled.
            start = self._lines_read + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._malformed(start, exc) from exc
            if self._at_eof:
                # A record completes at a line end unless a quote is still open; then the csv
                # module (non-strict) hands back the rest of the file as one field.
                raise self._error(f"unterminated quoted field starting at line {start}", start)
            yield start, cells

    def _text_lines(self) -> Iterator[str]:
        separator = "\r" if self.dialect.lineterminator == "\r" else "\n"
        lines = self._wide_lines if _is_wide(self.dialect.encoding) else self._byte_lines
        for text in lines(separator):
            self._lines_read += 1
            if "\x00" in text:
                raise self._error("NUL character: the file is corrupt or not CSV text", self._lines_read)
            yield text
        self._at_eof = True

    def _byte_lines(self, separator: str) -> Iterator[str]:
        encoding = self.dialect.encoding
        for raw in _split_lines(self._fh, separator.encode("ascii")):
            yield self._decode(raw, encoding)

    def _decode(self, raw: bytes, encoding: str) -> str:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            # Exports merged from several sources mix encodings line by line.
            self.decode_fallbacks += 1
            return raw.decode("cp1252", errors=CP1252_ERRORS)

    def _wide_lines(self, separator: str) -> Iterator[str]:
        text = io.TextIOWrapper(self._fh, encoding=self.dialect.encoding, newline=separator)
        try:
            yield from text
        except UnicodeDecodeError as exc:
            # The decoder works in chunks, so the error may sit a few lines further on.
            raise self._error(
                f"not valid {self.dialect.encoding} text: {exc.reason}", self._lines_read + 1
            ) from exc
        finally:
            # The reader owns the binary file: the wrapper must not close it when collected.
            if not self._fh.closed:
                text.detach()

    def _malformed(self, start: int, exc: csv.Error) -> InputError:
        if self._lines_read > start:
            message = (
                f"malformed record starting at line {start} and running to line {self._lines_read} "
                f"(an unterminated quoted field?): {exc}"
            )
        else:
            message = f"malformed record at line {start}: {exc}"
        return self._error(message, start)

    def _error(self, message: str, line: int) -> InputError:
        return InputError(message, path=str(self.path), line=line)


def read_report(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV file we wrote for people (queue.csv, pairs.csv, ...; see ``ReportWriter``), each
    cell as it was before a formula-like one was written as text (a BOM, if an editor added one, is
    skipped)."""
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        return [{k: restore(v or "") for k, v in row.items() if k is not None} for row in csv.DictReader(fh)]
