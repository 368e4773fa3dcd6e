"""Any table of the pages as a CSV (UTF-8 with BOM, which Excel opens correctly) or an Excel file; a text
that a spreadsheet would run as a formula is written as text (``inspection.pure.cells``)."""
from __future__ import annotations

import csv
import io

import openpyxl
from flask import abort, send_file

from inspection.pure.cells import as_text, csv_row

FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def table_file(title: str, header: list[str], rows: list[list], fmt: str, filename: str):
    """Send ``header`` and ``rows`` as ``filename.fmt``; an unknown format is a 404."""
    if fmt not in FORMATS:
        abort(404)
    buffer = io.BytesIO()
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerows([csv_row(header), *(csv_row(row) for row in rows)])
        buffer.write(text.getvalue().encode("utf-8-sig"))
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = title[:31]
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        for sheet_row in sheet.iter_rows():
            for cell in sheet_row:
                as_text(cell)
        for column, name in zip(sheet.columns, header):
            width = max([len(str(name))] + [len(str(cell.value or "")) for cell in column[:200]])
            sheet.column_dimensions[column[0].column_letter].width = min(60, 4 + 1.6 * width)
        book.save(buffer)
    return send_file(io.BytesIO(buffer.getvalue()), mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=f"{filename}.{fmt}")
