"""Office formats for the 台账 people keep in Excel: xlsx (openpyxl) and CSV, from one table of headers and rows.

xlsx: a frozen, bold header row, column widths that fit the (Chinese) text, times as real date cells in the
deployment's time zone, codes (unit codes, references, receipt codes) as TEXT - Excel would turn 440402004005001 into
4.40402E+14 and drop the leading zeros of a receipt code - and any text a spreadsheet would run as a formula
(= + - @ at its start, full-width too: CSV/formula injection) stored as plain text. CSV: UTF-8 with a BOM (Excel's
way to know it is UTF-8), the same neutralising as an apostrophe in front, since CSV has no cell types."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# A cell a spreadsheet would read as a formula (OWASP "CSV Injection"): =, +, -, @, tab, carriage return - and the
# full-width forms a Chinese IME types - first, also after leading spaces. Codes and names can be a device's text
# (a report's category code such as "-2-3", valid on the wire, names its own row when grouped by category).
_FORMULA_START = frozenset("=+-@\t\r\n＝＋－＠")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
DATE_FORMAT = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    header: str
    text: bool = False  # a code: always stored as text, never as a number
    width: int | None = None  # characters; None: fitted to the content


def formula_like(text: str) -> bool:
    stripped = text.lstrip(" ")
    return bool(stripped) and stripped[0] in _FORMULA_START and not _NUMBER.fullmatch(text)


def spreadsheet_cell(value: object) -> object:
    """``value`` safe for a CSV cell: text that could start a formula gets a leading ``'`` (shown as text, the
    apostrophe itself hidden by Excel/WPS/LibreOffice); numbers - also ours as text, like ``-1.5`` - stay numbers."""
    return "'" + value if isinstance(value, str) and formula_like(value) else value


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters take two columns


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    return value.astimezone(zone).replace(tzinfo=None)  # xlsx has no time zones: local wall time


def xlsx_bytes(sheet: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]], zone: ZoneInfo) -> bytes:
    # Imported here: openpyxl (with numpy) is a quarter of a second of every hub process's start, for exports only.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=False)
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center")
    widths = [_display_width(c.header) for c in columns]
    for r, row in enumerate(rows, start=2):
        for i, (column, value) in enumerate(zip(columns, row, strict=True)):
            cell = ws.cell(row=r, column=i + 1)
            if isinstance(value, datetime):
                cell.value = _local(value, zone)
                cell.number_format = DATE_FORMAT
                widths[i] = max(widths[i], 16)
                continue
            if value is None:
                continue
            if column.text or isinstance(value, str):
                text = str(value)
                cell.value = text
                cell.data_type = "s"  # openpyxl would store "=..." as a formula, and Excel would read codes as numbers
                cell.number_format = "@"
                if formula_like(text):
                    cell.quotePrefix = True
            else:
                cell.value = value
            widths[i] = max(widths[i], _display_width(str(value)))
    for i, column in enumerate(columns):
        ws.column_dimensions[get_column_letter(i + 1)].width = min(MAX_WIDTH, (column.width or widths[i]) + 2)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(columns: Sequence[Column], rows: Sequence[Sequence[Any]], zone: ZoneInfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, datetime):
                cells.append(_local(value, zone).strftime("%Y-%m-%d %H:%M"))
            elif value is None:
                cells.append("")
            else:
                cells.append(str(spreadsheet_cell(value if isinstance(value, str) else str(value))))
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
