"""CSV input and output: a streaming, dialect-sniffing reader and atomic writers."""

from crm_hygiene.csvio.read import CsvReader, Dialect, Row, sniff
from crm_hygiene.csvio.write import CsvWriter, atomic_text, encodable, write_jsonl_line

__all__ = [
    "CsvReader",
    "CsvWriter",
    "Dialect",
    "Row",
    "atomic_text",
    "encodable",
    "sniff",
    "write_jsonl_line",
]
