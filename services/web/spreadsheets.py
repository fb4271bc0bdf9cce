"""CSV files that LibreOffice and Excel open as they are: UTF-8 with a BOM, no formula injection.

French Excel splits a file on semicolons (its decimal mark is the comma): `SEPARATORS` names the
two an export offers, as pretix does ("CSV (Excel)" and "CSV")."""

import csv
import io
from collections.abc import Iterable
from typing import Literal

Separator = Literal["comma", "semicolon"]
SEPARATORS: dict[Separator, str] = {"comma": ",", "semicolon": ";"}


def safe_cell(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_bytes(header: list[str], rows: Iterable[list[object]], separator: Separator = "comma") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel", delimiter=SEPARATORS[separator])
    writer.writerow([safe_cell(cell) for cell in header])  # headers hold question labels the organiser wrote
    for row in rows:
        writer.writerow([safe_cell(cell) if isinstance(cell, str) else cell for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
