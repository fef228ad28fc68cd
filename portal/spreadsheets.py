"""A one-sheet Excel file and its download: for the staff pages' small exports."""

from io import BytesIO
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet(title: str, header, rows) -> bytes:
    """One sheet: a bold header row, then the rows."""
    book = Workbook()
    table = book.active
    table.title = title[:31]  # Excel's limit
    table.append(list(header))
    for cell in table[1]:
        cell.font = Font(bold=True)
    for row in rows:
        table.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_download(content: bytes, name: str) -> Response:
    """The file as an attachment named in Chinese (with an ASCII fallback)."""
    response = Response(content, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(name, safe='')}"
    )
    return response
