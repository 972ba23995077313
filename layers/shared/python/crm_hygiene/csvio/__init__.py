"""CSV input and output: a streaming, dialect-sniffing reader and atomic writers."""

from crm_hygiene.csvio.formula import neutralize, restore, starts_formula
from crm_hygiene.csvio.read import CsvReader, Dialect, Row, read_report, sniff
from crm_hygiene.csvio.write import CsvWriter, ReportWriter, atomic_text, encodable, write_jsonl_line

__all__ = [
    "CsvReader",
    "CsvWriter",
    "Dialect",
    "ReportWriter",
    "Row",
    "atomic_text",
    "encodable",
    "neutralize",
    "read_report",
    "restore",
    "sniff",
    "starts_formula",
    "write_jsonl_line",
]
