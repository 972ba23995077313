"""Tests for the streaming CSV reader and the dialect sniffer."""

from __future__ import annotations

import codecs
import gzip
import tracemalloc
from pathlib import Path

import pytest

from crm_hygiene.csvio import CsvReader, Dialect, Row, sniff
from crm_hygiene.csvio.read import FIELD_SIZE_LIMIT, SAMPLE_SIZE
from crm_hygiene.errors import InputError


def _file(tmp_path: Path, data: bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(path: Path, dialect: Dialect | None = None) -> tuple[CsvReader, list[Row]]:
    with CsvReader(path, dialect) as reader:
        return reader, list(reader)


def _cells(rows: list[Row]) -> list[list[str]]:
    return [row.cells for row in rows]


# --- encodings --------------------------------------------------------------------------------

ACCENTED = "Name,City,Note\nJosé Müller,Zürich,Peña\nRenée,Köln,€ 1.250\nO’Brien,Dublin,ok\n"
ACCENTED_LATIN1 = "Name,City,Note\nJosé Müller,Zürich,Peña\nZoë,Genève,Nuñez\n"


@pytest.mark.parametrize(
    ("description", "data", "encoding"),
    [
        ("utf-8 with BOM", codecs.BOM_UTF8 + ACCENTED.encode(), "utf-8-sig"),
        ("utf-8", ACCENTED.encode(), "utf-8"),
        ("plain ASCII", b"Name,Email\nAda,ada@example.com\n", "utf-8"),
        ("cp1252 (euro sign, curly apostrophe)", ACCENTED.encode("cp1252"), "cp1252"),
        ("latin-1", ACCENTED_LATIN1.encode("latin-1"), "cp1252"),
        ("utf-16 with BOM (Excel 'Unicode text')", ACCENTED.encode("utf-16"), "utf-16"),
    ],
)
def test_sniff_detects_the_encoding(tmp_path: Path, description: str, data: bytes, encoding: str) -> None:
    # Given an export in some encoding
    path = _file(tmp_path, data)

    # When it is sniffed
    dialect = sniff(path)

    # Then the encoding is recognised
    assert dialect.encoding == encoding, description


@pytest.mark.parametrize(
    ("description", "text", "encoding"),
    [
        ("utf-8", ACCENTED, "utf-8"),
        ("utf-8 with BOM", ACCENTED, "utf-8-sig"),
        ("cp1252", ACCENTED, "cp1252"),
        ("latin-1", ACCENTED_LATIN1, "latin-1"),
        ("utf-16", ACCENTED, "utf-16"),
        ("utf-16 big-endian with BOM", "\ufeff" + ACCENTED, "utf-16-be"),
    ],
)
def test_accented_names_decode_correctly(tmp_path: Path, description: str, text: str, encoding: str) -> None:
    # Given accented names written in the encoding
    path = _file(tmp_path, text.encode(encoding))

    # When the file is read without a dialect
    reader, rows = _read(path)

    # Then the text comes back exactly, without fallbacks, and the BOM is not in the header
    expected = [line.split(",") for line in text.lstrip("\ufeff").splitlines()]
    assert reader.header == expected[0], description
    assert _cells(rows) == expected[1:], description
    assert reader.decode_fallbacks == 0, description


def test_utf8_file_with_one_cp1252_line_falls_back_for_that_line(tmp_path: Path) -> None:
    # Given a UTF-8 export with one line pasted in from a cp1252 source
    data = "Name,City\nJosé,Zürich\n".encode() + "Renée,Köln\n".encode("cp1252") + "Zoë,Genève\n".encode()
    path = _file(tmp_path, data)

    # When it is read
    reader, rows = _read(path)

    # Then it is read as UTF-8, the odd line is decoded as cp1252 and counted
    assert reader.dialect.encoding == "utf-8"
    assert _cells(rows) == [["José", "Zürich"], ["Renée", "Köln"], ["Zoë", "Genève"]]
    assert reader.decode_fallbacks == 1


def test_cp1252_line_after_an_ascii_sample_falls_back(tmp_path: Path) -> None:
    # Given a cp1252 export whose first 64 KiB are plain ASCII
    ascii_rows = b"".join(b"Ada %06d,London\n" % i for i in range(SAMPLE_SIZE // 16 + 10))
    path = _file(tmp_path, b"Name,City\n" + ascii_rows + "Renée,Besançon\n".encode("cp1252"))

    # When it is read
    reader, rows = _read(path)

    # Then the sniffer guessed UTF-8 and the late cp1252 line still decodes right
    assert reader.dialect.encoding == "utf-8"
    assert rows[-1].cells == ["Renée", "Besançon"]
    assert reader.decode_fallbacks == 1


def test_cp1252_undefined_bytes_decode_as_latin1(tmp_path: Path) -> None:
    # Given a cp1252 export with one of the five bytes cp1252 leaves undefined
    path = _file(tmp_path, b"Name,City\nRen\xe9e,A\x81B\n")

    # When it is read
    reader, rows = _read(path)

    # Then decoding does not crash: the byte becomes its latin-1 character and is counted
    assert reader.dialect.encoding == "cp1252"
    assert _cells(rows) == [["Renée", "A\x81B"]]
    assert reader.decode_fallbacks == 1


@pytest.mark.parametrize(
    ("description", "char"),
    [("2-byte é", "é"), ("3-byte €", "€"), ("4-byte emoji", "\U0001f600")],
)
def test_multibyte_character_straddling_the_sniff_boundary(
    tmp_path: Path, description: str, char: str
) -> None:
    # Given an ASCII file whose only non-ASCII character starts on the last byte of the sample
    header = b"Name,Note\n"
    filler = b"a" * (SAMPLE_SIZE - 1 - len(header) - len(b"x,"))
    path = _file(tmp_path, header + b"x," + filler + char.encode() + b"\n")

    # When it is sniffed and read
    reader, rows = _read(path)

    # Then the cut character does not make it look like cp1252
    assert reader.dialect.encoding == "utf-8", description
    assert rows[0].cells[1] == filler.decode() + char, description
    assert reader.decode_fallbacks == 0, description


# --- line endings and delimiters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "data", "terminator", "lines"),
    [
        ("LF", b"Name,Email\nAda,a@x.io\n\nBob,b@x.io\n", "\n", [2, 4]),
        ("CRLF", b"Name,Email\r\nAda,a@x.io\r\n\r\nBob,b@x.io\r\n", "\r\n", [2, 4]),
        ("CR (old Mac Excel)", b"Name,Email\rAda,a@x.io\r\rBob,b@x.io\r", "\r", [2, 4]),
        ("no final line ending", b"Name,Email\r\nAda,a@x.io\r\n\r\nBob,b@x.io", "\r\n", [2, 4]),
    ],
)
def test_line_endings(
    tmp_path: Path, description: str, data: bytes, terminator: str, lines: list[int]
) -> None:
    # Given an export with the given line endings
    path = _file(tmp_path, data)

    # When it is read
    reader, rows = _read(path)

    # Then the ending is detected and never leaks into cells
    assert reader.dialect.lineterminator == terminator, description
    assert _cells(rows) == [["Ada", "a@x.io"], ["Bob", "b@x.io"]], description
    assert [row.line for row in rows] == lines, description


@pytest.mark.parametrize(
    ("description", "text", "delimiter", "first_row"),
    [
        ("comma", "Name,Email\nAda,a@x.io\nBob,b@x.io\n", ",", ["Ada", "a@x.io"]),
        ("European semicolon", "Name;Amount\nAlice;1.234,50\nBob;99,00\n", ";", ["Alice", "1.234,50"]),
        ("tab", "Name\tEmail\nAda\ta@x.io\n", "\t", ["Ada", "a@x.io"]),
        ("pipe", "Name|Email|Phone\nAda|a@x.io|+44 20\n", "|", ["Ada", "a@x.io", "+44 20"]),
        (
            "tab with commas in values",
            "Name\tCity, State\nSmith\tBoston, MA\n",
            "\t",
            ["Smith", "Boston, MA"],
        ),
        ("semicolon with a comma in a header", "Name;Notes, misc\nAda;x\n", ";", ["Ada", "x"]),
        ("quoted delimiters", 'Name,Company\n"Smith; J",Acme\nDoe,"A;B"\n', ",", ["Smith; J", "Acme"]),
        ("single column", "Email\na@x.io\nb@x.io\n", ",", ["a@x.io"]),
        ("header only", "Name;Email\n", ";", None),
    ],
)
def test_delimiters(
    tmp_path: Path, description: str, text: str, delimiter: str, first_row: list[str] | None
) -> None:
    # Given an export with the given delimiter
    path = _file(tmp_path, text.encode())

    # When it is read
    reader, rows = _read(path)

    # Then the delimiter is detected and the cells split on it
    assert reader.dialect.delimiter == delimiter, description
    assert (rows[0].cells if rows else None) == first_row, description


# --- records ----------------------------------------------------------------------------------


def test_quoted_fields_with_newlines_delimiters_and_quotes(tmp_path: Path) -> None:
    # Given quoted fields holding newlines (LF, CRLF, CR), delimiters and doubled quotes
    data = (
        b"Name,Note,City\n"  # line 1
        b'"Smith, John","He said ""hi""\nthen left",Boston\n'  # lines 2-3
        b'Doe,"a\r\nb\r\nc",NYC\n'  # lines 4-6
        b'Roe,"x\ry",LA\n'  # line 7: a CR inside quotes is not a line break
        b"Last,z,SF\n"  # line 8
    )
    path = _file(tmp_path, data)

    # When it is read
    _, rows = _read(path)

    # Then the cells are exact and each row knows the line it starts on
    assert _cells(rows) == [
        ["Smith, John", 'He said "hi"\nthen left', "Boston"],
        ["Doe", "a\r\nb\r\nc", "NYC"],
        ["Roe", "x\ry", "LA"],
        ["Last", "z", "SF"],
    ]
    assert [row.line for row in rows] == [2, 4, 7, 8]
    assert [row.index for row in rows] == [0, 1, 2, 3]


def test_ragged_rows_keep_their_length(tmp_path: Path) -> None:
    # Given rows shorter and longer than the header
    path = _file(tmp_path, b"A,B,C\n1,2\n1,2,3,4\n\n1,2,3\n")

    # When it is read
    _, rows = _read(path)

    # Then the rows are not padded or cut: the caller decides
    assert _cells(rows) == [["1", "2"], ["1", "2", "3", "4"], ["1", "2", "3"]]
    assert [row.line for row in rows] == [2, 3, 5]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    # Given blank lines before the header, between rows, and rows of empty cells
    path = _file(tmp_path, b"\n\nName,Email\n\nAda,a@x.io\n,\n  \nBob,b@x.io\n\n")

    # When it is read
    reader, rows = _read(path)

    # Then only real rows come out, numbered by data row and by physical line
    assert reader.header == ["Name", "Email"]
    assert reader.header_line == 3
    assert [(row.index, row.line, row.cells) for row in rows] == [
        (0, 5, ["Ada", "a@x.io"]),
        (1, 8, ["Bob", "b@x.io"]),
    ]


@pytest.mark.parametrize(
    ("description", "header", "columns", "duplicates"),
    [
        (
            "duplicates",
            "Email,Name,Email,Email",
            ["Email", "Name", "Email (2)", "Email (3)"],
            ["Email"],
        ),
        ("a suffix already taken", "Email,Email,Email (2)", ["Email", "Email (3)", "Email (2)"], ["Email"]),
        ("blank cells", "Name,,Email, ", ["Name", "Column 2", "Email", "Column 4"], []),
        ("surrounding whitespace", " Name ,  Email ", ["Name", "Email"], []),
        ("unique", "Name,Email", ["Name", "Email"], []),
    ],
)
def test_header_names(
    tmp_path: Path, description: str, header: str, columns: list[str], duplicates: list[str]
) -> None:
    # Given a header
    path = _file(tmp_path, f"{header}\n".encode())

    # When the file is opened
    reader, _ = _read(path)

    # Then every column has a unique name and duplicates are reported
    assert reader.columns == columns, description
    assert reader.duplicate_columns == duplicates, description


def test_stray_bom_is_stripped_from_the_header(tmp_path: Path) -> None:
    # Given a BOM file read with an explicit plain UTF-8 dialect
    path = _file(tmp_path, codecs.BOM_UTF8 + b"Name,Email\nAda,a@x.io\n")

    # When it is read
    reader, rows = _read(path, Dialect("utf-8", ",", "\n"))

    # Then the BOM does not end up in the first column name
    assert reader.header == ["Name", "Email"]
    assert _cells(rows) == [["Ada", "a@x.io"]]


@pytest.mark.parametrize(
    ("description", "data"),
    [("with a line ending", b"Name,Email\r\n"), ("without a line ending", b"Name,Email")],
)
def test_header_only_file_yields_no_rows(tmp_path: Path, description: str, data: bytes) -> None:
    # Given a header and no data
    path = _file(tmp_path, data)

    # When it is read
    reader, rows = _read(path)

    # Then that is not an error
    assert reader.header == ["Name", "Email"], description
    assert rows == [], description
    assert reader.dialect.lineterminator == "\r\n", description


def test_explicit_dialect_is_used(tmp_path: Path) -> None:
    # Given a file that sniffs as comma-separated
    path = _file(tmp_path, b"a;b,c\n1;2,3\n")

    # When it is read with an explicit semicolon dialect
    reader, rows = _read(path, Dialect("utf-8", ";", "\n"))

    # Then the given dialect wins
    assert reader.header == ["a", "b,c"]
    assert _cells(rows) == [["1", "2,3"]]


@pytest.mark.parametrize(
    ("description", "kwargs"),
    [
        ("two-character delimiter", {"delimiter": ";;"}),
        ("delimiter equals quote", {"delimiter": '"'}),
        ("unknown line terminator", {"lineterminator": "\n\n"}),
    ],
)
def test_dialect_rejects_nonsense(description: str, kwargs: dict[str, str]) -> None:
    # Given / When a dialect is built with a bad setting / Then it is refused
    settings = {"encoding": "utf-8", "delimiter": ",", "lineterminator": "\n"} | kwargs
    with pytest.raises(ValueError):
        Dialect(**settings)


def test_reading_after_close_is_an_error(tmp_path: Path) -> None:
    # Given a closed reader
    reader, _ = _read(_file(tmp_path, b"a,b\n1,2\n"))

    # When / Then iterating it fails loudly instead of yielding nothing
    with pytest.raises(ValueError, match="closed"):
        list(reader)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "data"),
    [
        ("zero bytes", b""),
        ("whitespace only", b"  \r\n\t\n\n"),
        ("BOM only", codecs.BOM_UTF8),
        ("BOM and blank lines", codecs.BOM_UTF8 + b"\r\n\r\n"),
        ("UTF-16 BOM only", codecs.BOM_UTF16_LE),
        ("only empty cells", b",,,\n,,\n"),
    ],
)
def test_empty_files_are_refused(tmp_path: Path, description: str, data: bytes) -> None:
    # Given a file with nothing in it
    path = _file(tmp_path, data)

    # When / Then opening it says so
    with pytest.raises(InputError, match="empty file") as caught:
        CsvReader(path)
    assert caught.value.path == str(path), description


@pytest.mark.parametrize(
    ("description", "data", "message"),
    [
        ("NUL bytes", b"Name,Email\nA\x00B,x\n", "binary file, not CSV text"),
        ("xlsx (ZIP)", b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "Excel workbook or ZIP archive"),
        ("xls (OLE2)", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(32), "old Excel workbook"),
        ("PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
        ("gzip", gzip.compress(b"Name,Email\n"), "gzip-compressed"),
        ("UTF-32", "Name,Email\n".encode("utf-32"), "UTF-32"),
        ("JSON object", b'{"contacts": []}', "JSON"),
        ("JSON array after whitespace", b'\n  [{"name": "Ada"}]', "JSON"),
        ("XML", b'<?xml version="1.0"?>\n<Workbook/>', "XML"),
        ("HTML", b"<HTML><body><table><tr><td>Name</td></tr></table>", "HTML"),
        ("HTML with doctype", codecs.BOM_UTF8 + b"<!DOCTYPE html>\n<html>", "HTML"),
    ],
)
def test_non_csv_files_are_refused(tmp_path: Path, description: str, data: bytes, message: str) -> None:
    # Given a file that is not CSV text
    path = _file(tmp_path, data)

    # When / Then sniffing it names what it looks like
    with pytest.raises(InputError) as caught:
        sniff(path)
    assert message in caught.value.detail, description
    assert caught.value.path == str(path), description


def test_unterminated_quote_at_eof_names_the_start_line(tmp_path: Path) -> None:
    # Given a quote opened on line 812 and never closed
    good = b"".join(b"Ada %d,a@x.io\n" % i for i in range(810))
    path = _file(tmp_path, b"Name,Email\n" + good + b'Bob,"b@x.io\nCy,c@x.io\nDee,d@x.io\n')
    rows: list[Row] = []

    # When it is read
    with pytest.raises(InputError) as caught, CsvReader(path) as reader:
        rows.extend(reader)

    # Then the rows before it stream out and the error names the line where the quote began
    assert len(rows) == 810
    assert caught.value.line == 812
    assert "unterminated quoted field starting at line 812" in str(caught.value)


@pytest.mark.parametrize(
    ("description", "data", "line"),
    [
        ("quote opened in the header", b'Name,"Email\nAda,a@x.io\n', 1),
        ("quote opened on the last line, no line ending", b'Name,Email\nAda,"a@x.io', 2),
    ],
)
def test_unterminated_quote_edge_cases(tmp_path: Path, description: str, data: bytes, line: int) -> None:
    # Given a quote that is never closed
    path = _file(tmp_path, data)

    # When / Then reading reports where it was opened
    with pytest.raises(InputError, match="unterminated quoted field") as caught, CsvReader(path) as reader:
        list(reader)
    assert caught.value.line == line, description


def test_quoted_last_field_without_line_ending_is_fine(tmp_path: Path) -> None:
    # Given a final quoted field that is closed but has no line ending after it
    path = _file(tmp_path, b'Name,Note\nAda,"two\nlines"')

    # When it is read
    _, rows = _read(path)

    # Then it is a normal row
    assert _cells(rows) == [["Ada", "two\nlines"]]


def test_unterminated_quote_in_a_big_file_stops_at_the_field_limit(tmp_path: Path) -> None:
    # Given a quote opened on line 3 followed by more text than any field may hold
    path = tmp_path / "big.csv"
    with path.open("wb") as fh:
        fh.write(b'Name,Note\nAda,ok\nBob,"open\n')
        filler = b"x" * 99 + b"\n"
        for _ in range(FIELD_SIZE_LIMIT // len(filler) + 1000):
            fh.write(filler)

    # When / Then reading stops at the field limit and points at the line where the quote began
    with pytest.raises(InputError, match="unterminated quoted field") as caught, CsvReader(path) as reader:
        list(reader)
    assert caught.value.line == 3


def test_malformed_record_names_its_line(tmp_path: Path) -> None:
    # Given a stray carriage return inside an unquoted field on line 3 of an LF file
    path = _file(tmp_path, b"Name,Email\nAda,a@x.io\nBo\rb,b@x.io\n")

    # When / Then reading it fails on line 3
    with pytest.raises(InputError, match="malformed record at line 3") as caught, CsvReader(path) as reader:
        list(reader)
    assert caught.value.line == 3


def test_nul_after_the_sniff_sample_names_its_line(tmp_path: Path) -> None:
    # Given a NUL byte well past the first 64 KiB
    good = b"".join(b"Ada %06d,London\n" % i for i in range(SAMPLE_SIZE // 16 + 10))
    path = _file(tmp_path, b"Name,City\n" + good + b"Bob,Lon\x00don\n")
    bad_line = 1 + good.count(b"\n") + 1

    # When / Then reading it fails on that line
    with pytest.raises(InputError, match="NUL") as caught, CsvReader(path) as reader:
        list(reader)
    assert caught.value.line == bad_line


def test_whitespace_only_first_64_kib_is_refused(tmp_path: Path) -> None:
    # Given a file whose first 64 KiB are blank lines
    path = _file(tmp_path, b"\n" * SAMPLE_SIZE + b"Name,Email\n")

    # When / Then the sniffer refuses rather than guess from nothing
    with pytest.raises(InputError, match="only blank lines"):
        sniff(path)


# --- streaming --------------------------------------------------------------------------------


def test_large_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    # Given a ~50 MB export
    path = tmp_path / "big.csv"
    notes = "x" * 900
    block = "".join(f'{i},José,"Acme, Inc.",{notes}\n' for i in range(1000))
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("Id,Name,Company,Notes\n")
        for _ in range(52):
            fh.write(block)
    assert path.stat().st_size > 48_000_000

    # When it is read while allocations are traced
    tracemalloc.start()
    try:
        with CsvReader(path) as reader:
            count = 0
            last: Row | None = None
            for row in reader:
                count += 1
                last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Then every row came out and memory stayed far below the file size
    assert count == 52_000
    assert last is not None
    assert last.line == 52_001
    assert last.cells[1:3] == ["José", "Acme, Inc."]
    assert peak < 20 * 1024 * 1024
