"""Tests for atomic output files and the dialect-preserving writers."""

from __future__ import annotations

import codecs
import io
import json
import os
from pathlib import Path

import pytest

from crm_hygiene.csvio import CsvReader, CsvWriter, Dialect, atomic_text, encodable, write_jsonl_line


class Boom(Exception):
    """Raised inside a block to simulate a failed run."""


def _leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if ".tmp-" in path.name)


# --- atomic_text ------------------------------------------------------------------------------


def test_atomic_text_writes_the_file_and_creates_parents(tmp_path: Path) -> None:
    # Given a target in directories that do not exist yet
    target = tmp_path / "out" / "run-1" / "clean.csv"

    # When a block writes to it
    with atomic_text(target) as fh:
        fh.write("Name\r\nAda\r\n")

    # Then the file holds exactly what was written and no temp file is left
    assert target.read_bytes() == b"Name\r\nAda\r\n"
    assert _leftovers(target.parent) == []


def test_atomic_text_writes_to_a_hidden_temp_file_in_the_same_directory(tmp_path: Path) -> None:
    # Given a previous complete output
    target = tmp_path / "clean.csv"
    target.write_text("old\n")

    # When a block is still writing
    with atomic_text(target) as fh:
        fh.write("new\n")
        during = _leftovers(tmp_path)
        before = target.read_text()

    # Then the new content lives in ".clean.csv.tmp-<pid>-<random>" until the block completes
    assert len(during) == 1
    assert during[0].startswith(f".clean.csv.tmp-{os.getpid()}-")
    assert before == "old\n"
    assert target.read_text() == "new\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("description", "previous"),
    [("a previous output exists", "Name\nold\n"), ("no previous output", None)],
)
def test_atomic_text_keeps_the_old_file_when_the_block_raises(
    tmp_path: Path, description: str, previous: str | None
) -> None:
    # Given a target that may hold a previous complete output
    target = tmp_path / "clean.csv"
    if previous is not None:
        target.write_text(previous)

    # When the block fails halfway
    with pytest.raises(Boom), atomic_text(target) as fh:
        fh.write("Name\nhalf")
        raise Boom

    # Then the target is as it was and the temp file is gone
    assert (target.read_text() if target.exists() else None) == previous, description
    assert _leftovers(tmp_path) == [], description


# --- CsvWriter --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "data"),
    [
        (
            "utf-8 BOM, comma, CRLF",
            codecs.BOM_UTF8 + 'Name,City\r\nJosé,"Zürich, CH"\r\n'.encode(),
        ),
        ("cp1252, semicolon, LF", "Name;Amount\nRenée;1.234,50\nO’Brien;€ 5\n".encode("cp1252")),
        ("cp1252 undefined byte", b"Name;Code\nRen\xe9e;A\x81B\n"),
        ("utf-8, tab, LF", 'Name\tNote\nZoë\t"says ""hi"""\n'.encode()),
        (
            "utf-8, pipe, CRLF, quoted newline and quotes",
            b'Name|Note\r\nAda|"line one\r\nline ""two"""\r\n',
        ),
        ("utf-16, tab, CRLF (Excel 'Unicode text')", "Name\tCity\r\nJosé\tKöln\r\n".encode("utf-16")),
        ("CR line endings", b"Name,Email\rAda,a@x.io\r"),
    ],
)
def test_round_trip_preserves_the_dialect_byte_for_byte(
    tmp_path: Path, description: str, data: bytes
) -> None:
    # Given an export in some dialect
    source = tmp_path / "in.csv"
    source.write_bytes(data)
    target = tmp_path / "out.csv"

    # When it is read and written back unchanged in its own dialect
    with CsvReader(source) as reader, atomic_text(target, encoding=reader.dialect.encoding) as fh:
        writer = CsvWriter(fh, reader.dialect)
        writer.writerow(reader.header)
        for row in reader:
            writer.writerow(row.cells)

    # Then the bytes are identical: encoding, BOM, delimiter, line endings
    assert target.read_bytes() == data, description


def test_bom_is_written_once(tmp_path: Path) -> None:
    # Given a utf-8-sig dialect
    dialect = Dialect("utf-8-sig", ",", "\r\n")
    target = tmp_path / "out.csv"

    # When several rows are written
    with atomic_text(target, encoding=dialect.encoding) as fh:
        writer = CsvWriter(fh, dialect)
        for cells in (["Name"], ["Ada"], ["Bob"]):
            writer.writerow(cells)

    # Then the file starts with exactly one BOM
    data = target.read_bytes()
    assert data == codecs.BOM_UTF8 + b"Name\r\nAda\r\nBob\r\n"
    assert data.count(codecs.BOM_UTF8) == 1


def test_writer_quotes_what_needs_quoting(tmp_path: Path) -> None:
    # Given cells holding the delimiter, quotes, newlines and spaces
    dialect = Dialect("utf-8", ";", "\n")
    target = tmp_path / "out.csv"
    cells = ["a;b", 'say "hi"', "two\nlines", " padded ", ""]

    # When they are written and read back
    with atomic_text(target) as fh:
        writer = CsvWriter(fh, dialect)
        writer.writerow(["A", "B", "C", "D", "E"])
        writer.writerow(cells)
    with CsvReader(target, dialect) as reader:
        rows = list(reader)

    # Then they come back unchanged
    assert [row.cells for row in rows] == [cells]


@pytest.mark.parametrize(
    ("description", "value", "encoding", "expected"),
    [
        ("accents in cp1252", "José Müller", "cp1252", True),
        ("euro and curly apostrophe in cp1252", "O’Brien € 5", "cp1252", True),
        ("cp1252 undefined byte read back as latin-1", "A\x81B", "cp1252", True),
        ("CJK in cp1252", "日本", "cp1252", False),
        ("emoji in cp1252", "\U0001f600", "cp1252", False),
        ("euro in latin-1", "€", "latin-1", False),
        ("CJK in utf-8", "日本", "utf-8", True),
        ("lone surrogate in utf-8", "\ud800", "utf-8", False),
        ("empty", "", "cp1252", True),
    ],
)
def test_encodable(description: str, value: str, encoding: str, expected: bool) -> None:
    # Given / When a value is checked against an encoding / Then the answer is right
    assert encodable(value, encoding) is expected, description


def test_unencodable_cell_raises_and_leaves_no_half_written_file(tmp_path: Path) -> None:
    # Given a previous output and a cp1252 dialect
    target = tmp_path / "out.csv"
    target.write_bytes(b"old\n")
    dialect = Dialect("cp1252", ",", "\n")

    # When a row holds a character cp1252 cannot represent
    with pytest.raises(ValueError, match="cell 2 holds '日'") as caught:
        with atomic_text(target, encoding=dialect.encoding) as fh:
            writer = CsvWriter(fh, dialect)
            writer.writerow(["Name", "City"])
            writer.writerow(["Ada", "日本"])

    # Then the error is a plain ValueError (a bug in the caller, not bad input) and nothing changed
    assert type(caught.value) is ValueError
    assert target.read_bytes() == b"old\n"
    assert _leftovers(tmp_path) == []


def test_unencodable_row_is_not_written(tmp_path: Path) -> None:
    # Given a cp1252 output
    target = tmp_path / "out.csv"
    dialect = Dialect("cp1252", ",", "\n")

    # When the caller catches the error and goes on
    with atomic_text(target, encoding=dialect.encoding) as fh:
        writer = CsvWriter(fh, dialect)
        writer.writerow(["Name"])
        with pytest.raises(ValueError):
            writer.writerow(["日本"])
        writer.writerow(["Renée"])

    # Then no part of the refused row reached the file
    assert target.read_bytes() == "Name\nRenée\n".encode("cp1252")


# --- JSON lines -------------------------------------------------------------------------------


def test_write_jsonl_line_is_compact_and_keeps_non_ascii() -> None:
    # Given a record with non-ASCII text
    fh = io.StringIO()

    # When two lines are written
    write_jsonl_line(fh, {"name": "José", "line": 12, "flags": ["a", "b"]})
    write_jsonl_line(fh, {"ok": True})

    # Then each is one compact line, readable back
    text = fh.getvalue()
    assert text == '{"name":"José","line":12,"flags":["a","b"]}\n{"ok":true}\n'
    assert [json.loads(line) for line in text.splitlines()][1] == {"ok": True}
