"""Read, validate and write the firm and officer import files (CSV or XLSX), without a database.

The format is public and fixed:

- firms: ``uscc,name,district,industry,credit_class,tags,address`` (tags separated by ``;``);
- officers: ``certificate_no,name,department,valid_from,valid_to,districts`` (districts separated by ``;``).

A header row names the columns (in any order). Every row is validated and every problem is
collected, each naming the file, the line (the header is line 1) and the field, so that an
editor can fix the whole file in one pass; :func:`import_invalid` turns them into one error.
A district cell may hold the district's code or its name; districts are written as codes.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from core.errors import Problem

from ..errors import ImportFileInvalid
from ..models.org import CREDIT_CLASSES
from .calendar import city_limit
from .cells import as_text, csv_row, csv_value, formula_like
from .uscc import uscc_problem

FIRM_COLUMNS = ("uscc", "name", "district", "industry", "credit_class", "tags", "address")
OFFICER_COLUMNS = ("certificate_no", "name", "department", "valid_from", "valid_to", "districts")
FIRM_REQUIRED = ("uscc", "name", "district", "industry", "credit_class")
OFFICER_REQUIRED = ("certificate_no", "name", "department", "valid_from", "valid_to")
SUFFIXES = (".csv", ".xlsx")
MAX_REPORTED = 50            # problems written out in the error's message
MAX_KEPT = 1000              # problems kept, with their total count, for the page and the API
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a CSV's size, or an XLSX's members unpacked (a zip bomb is refused)


def max_rows() -> int:
    """The most data rows one import file may hold (``import_max_rows`` in the city file)."""
    return city_limit("import_max_rows", 200_000)

# Column widths of the tables the records go to: longer values are refused here, not by the database.
FIRM_LIMITS = {"name": 200, "industry": 32, "address": 300}
TAG_LIMIT = 32
OFFICER_LIMITS = {"certificate_no": 32, "name": 64}

FIELD_LABELS = {"uscc": "统一社会信用代码", "name": "名称", "district": "所属区县", "industry": "行业",
                "credit_class": "信用风险等级", "tags": "标签", "address": "地址", "certificate_no": "执法证号",
                "department": "所属部门", "valid_from": "有效期起", "valid_to": "有效期止", "districts": "执法区域"}
OFFICER_LABELS = {"name": "姓名"}

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SEPARATORS = re.compile(r"[;；]")

Progress = Callable[[str, int, int], None]
Row = tuple[int, list[str]]
PROGRESS_EVERY = 5000


@dataclasses.dataclass(slots=True, frozen=True)
class FirmRecord:
    """One valid row of a firms file; ``district`` is the district's code."""

    uscc: str
    name: str
    district: str
    industry: str
    credit_class: str
    tags: tuple[str, ...] = ()
    address: str = ""
    line: int | None = dataclasses.field(default=None, compare=False)


@dataclasses.dataclass(slots=True, frozen=True)
class OfficerRecord:
    """One valid row of an officers file; ``department`` and ``districts`` are codes."""

    certificate_no: str
    name: str
    department: str
    valid_from: dt.date
    valid_to: dt.date
    districts: tuple[str, ...] = ()
    line: int | None = dataclasses.field(default=None, compare=False)


# --------------------------------------------------------------------------- errors


def describe(problem: Problem) -> str:
    """``文件名:行 字段 X：说明`` for one problem."""
    where = f"{problem.path}:{problem.line}" if problem.line else problem.path
    return f"{where} 字段 {problem.field}：{problem.message}"


def import_invalid(label: str, problems: Sequence[Problem]) -> ImportFileInvalid:
    """The error for a file with ``problems``: its message lists the first 50, ``fields`` the first
    1,000 and their total count (``problem_count``)."""
    problems = list(problems)
    lines = "\n".join(describe(p) for p in problems[:MAX_REPORTED])
    more = f"\n……另有 {len(problems) - MAX_REPORTED} 处错误" if len(problems) > MAX_REPORTED else ""
    error = ImportFileInvalid(f"导入文件 {label} 有 {len(problems)} 处错误，未作任何更改：\n{lines}{more}",
                              fields={"problems": [p.as_dict() for p in problems[:MAX_KEPT]],
                                      "problem_count": len(problems)})
    error.path, error.problems = label, problems
    return error


# --------------------------------------------------------------------------- reading


def cell_text(value) -> str:
    """A cell as stripped text: integer-valued numbers without ``.0``, datetimes as their date."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_rows(path: str | Path) -> tuple[list[str], list[Row]]:
    """The header (stripped, lower-case) and the data rows ``(line, cells)`` of a CSV or XLSX file.

    Cells are stripped text (see :func:`cell_text`); wholly empty rows are left out, so empty
    trailing rows do not count. Raises :class:`ImportFileInvalid` when the file cannot be read.
    """
    path = Path(path)
    label = path.name
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise import_invalid(label, [Problem(label, None, "file", f"只支持 CSV 或 XLSX 文件，收到 {path.suffix or '无扩展名'} 文件")])
    if not path.is_file():
        raise import_invalid(label, [Problem(label, None, "file", "文件不存在或无法读取")])
    _check_size(path, label, suffix)
    raw_rows = _read_csv(path, label) if suffix == ".csv" else _read_xlsx(path, label)
    header: list[str] | None = None
    rows: list[Row] = []
    limit = max_rows()
    for line, cells in raw_rows:
        if header is None:
            if not any(cells):
                raise import_invalid(label, [Problem(label, line, "header", "第一行应为表头（列名），此行为空")])
            header = [c.lower() for c in cells]
            continue
        if any(cells):
            rows.append((line, cells))
            if len(rows) > limit:
                raise import_invalid(label, [Problem(label, line, "file", f"文件超过 {limit} 行数据，请分批导入")])
    if header is None:
        raise import_invalid(label, [Problem(label, None, "file", "文件为空，缺少表头")])
    return header, rows


def _check_size(path: Path, label: str, suffix: str) -> None:
    """Refuse a CSV larger than the cap, or an XLSX whose members unpack to more (a zip bomb),
    before anything parses it."""
    too_big = Problem(label, None, "file", f"文件解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB，请分批导入")
    if suffix == ".csv":
        if path.stat().st_size > MAX_UNPACKED_BYTES:
            raise import_invalid(label, [too_big])
        return
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise import_invalid(label, [Problem(label, None, "file", f"无法读取 XLSX 文件（文件损坏或不是 Excel 工作簿）：{exc}")]) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise import_invalid(label, [too_big])


def _read_csv(path: Path, label: str):
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise import_invalid(label, [Problem(label, None, "file", "文件不是 UTF-8 编码（请在保存时选择 UTF-8 CSV）")]) from exc
    except OSError as exc:
        raise import_invalid(label, [Problem(label, None, "file", f"无法读取文件：{exc.strerror}")]) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    line = 1  # a row's first physical line: a quoted cell may span lines
    try:
        for row in reader:
            rows.append((line, [csv_value(c.strip()) for c in row]))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise import_invalid(label, [Problem(label, line, "file", f"CSV 格式错误：{exc}")]) from exc
    return rows


def _read_xlsx(path: Path, label: str):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # A damaged workbook fails on opening or only when its sheet is read (read-only mode parses lazily).
    # SyntaxError: the XML parsers' errors (ElementTree's ParseError, lxml's XMLSyntaxError).
    unreadable = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, SyntaxError)
    try:
        # Opened here, so that it is closed even when openpyxl fails half-way through opening it.
        with path.open("rb") as handle:
            with warnings.catch_warnings():
                # Files saved by other spreadsheet programs draw harmless style warnings.
                warnings.simplefilter("ignore")
                workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise import_invalid(label, [Problem(label, None, "file", "工作簿中没有工作表")])
                sheet = workbook.worksheets[0]
                # Do not trust the stored dimensions (some programs write "A1"): read every row there is.
                sheet.reset_dimensions()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return [(line, [cell_text(v) for v in values])
                            for line, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
            finally:
                workbook.close()
    except unreadable as exc:
        raise import_invalid(label, [Problem(label, None, "file", f"无法读取 XLSX 文件（文件损坏或不是 Excel 工作簿）：{exc}")]) from exc


# --------------------------------------------------------------------------- validating


def district_lookup(districts: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``{code: code, name: code}`` from ``(code, name)`` pairs, for the ``known_districts`` argument."""
    known: dict[str, str] = {}
    for code, name in districts:
        known[code] = code
        known.setdefault(name, code)
    return known


def _columns(header: Sequence[str], expected: Sequence[str], rows: Sequence[Row], label: str,
             problems: list[Problem]) -> dict[str, int]:
    """Where each expected column is; reports missing, unknown, duplicate and unnamed columns on line 1."""
    where: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            if any(index < len(cells) and cells[index] for _, cells in rows):
                problems.append(Problem(label, 1, f"第{index + 1}列", "此列有数据但没有列名"))
            continue
        if name not in expected:
            problems.append(Problem(label, 1, name, f"未知列 {name}（应为 {','.join(expected)}）"))
        elif name in where:
            problems.append(Problem(label, 1, name, f"列名重复：第 {where[name] + 1} 列与第 {index + 1} 列"))
        else:
            where[name] = index
    for name in expected:
        if name not in where:
            problems.append(Problem(label, 1, name, f"表头缺少列 {name}（{FIELD_LABELS[name]}）"))
    return where


def _picker(where: dict[str, int], expected: Sequence[str]):
    """A function giving a row's cells in ``expected`` order ('' for missing columns and short rows)."""
    positions = [where.get(name) for name in expected]

    def pick(cells: list[str]) -> list[str]:
        n = len(cells)
        return [cells[i] if i is not None and i < n else "" for i in positions]
    return pick


def _extra_cells(cells: list[str], width: int) -> bool:
    return len(cells) > width and any(cells[width:])


def _split(value: str) -> list[str]:
    """``a;b；c`` as distinct stripped parts, in order (half- or full-width semicolons)."""
    if not value:
        return []
    return list(dict.fromkeys(p.strip() for p in SEPARATORS.split(value) if p.strip()))


def _parse_date(value: str) -> dt.date | None:
    if not DATE_RE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _district_hint(known_districts: Mapping[str, str]) -> str:
    names = {code: key for key, code in known_districts.items() if key != code}
    return "、".join(f"{code} {names[code]}" if code in names else code
                    for code in sorted(set(known_districts.values())))


Bad = Callable[[str, str], None]


def _validate_rows(rows: Sequence[Row], header: Sequence[str], columns: Sequence[str], required_fields,
                   limits: Mapping[str, int], labels: Mapping[str, str], label: str, progress: Progress | None,
                   check_row: Callable[[list[str], int, Bad], object | None],
                   key_problem: Callable[[str], str | None] = lambda key: None) -> tuple[list, list[Problem]]:
    """The loop every import file shares: columns found by their headers, each row checked for extra
    cells, missing required cells, over-long cells and a repeated key (the first column), then by
    ``check_row(values, line, bad)``, which reports its own problems through ``bad`` and returns the
    row's record. A row with any problem gives no record; every problem is returned."""
    problems: list[Problem] = []
    where = _columns(header, columns, rows, label, problems)
    pick = _picker(where, columns)
    width = len(header)
    required = [(i, name) for i, name in enumerate(columns) if name in required_fields and name in where]
    long = [(columns.index(name), name, limit) for name, limit in limits.items()]
    records: list = []
    first_line: dict[str, int] = {}
    total = len(rows)
    for done, (line, cells) in enumerate(rows, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress("校验", done, total)
        values = pick(cells)
        key = values[0]
        before = len(problems)

        def bad(field: str, message: str, line=line, key=key) -> None:
            problems.append(Problem(label, line, field, message, key or None))

        if _extra_cells(cells, width):
            bad("file", f"本行有 {len(cells)} 列，多于表头的 {width} 列")
        for index, field in required:
            if not values[index]:
                bad(field, f"缺少{labels[field]}")
        if key:
            why = key_problem(key)
            if why:
                bad(columns[0], why)
            elif key in first_line:
                bad(columns[0], f"{labels[columns[0]]} {key} 重复，与第 {first_line[key]} 行相同")
            else:
                first_line[key] = line
        for index, field, limit in long:
            if len(values[index]) > limit:
                bad(field, f"{labels[field]}过长：{len(values[index])} 个字，最多 {limit} 个")
        record = check_row(values, line, bad)
        if len(problems) == before:
            records.append(record)
    if progress is not None:
        progress("校验", total, total)
    return records, problems


class _DistrictNames:
    """District cells read as codes or names; the hint listing them is made once, on the first unknown."""

    def __init__(self, known: Mapping[str, str]):
        self.known, self._hint = known, None

    def code(self, cell: str, field: str, bad: Bad) -> str | None:
        code = self.known.get(cell)
        if code is None:
            self._hint = self._hint or _district_hint(self.known)
            bad(field, f"未知区县 {cell}（可填区县代码或名称：{self._hint}）")
        return code


def validate_firms(rows: Sequence[Row], known_districts: Mapping[str, str], *,
                   header: Sequence[str] = FIRM_COLUMNS, label: str = "",
                   progress: Progress | None = None) -> tuple[list[FirmRecord], list[Problem]]:
    """Validate firm rows (as from :func:`read_rows`); returns the valid records and every problem.

    ``known_districts`` maps district codes and names to codes (see :func:`district_lookup`).
    ``tags`` and ``address`` may be empty, every other column is required.
    """
    districts = _DistrictNames(known_districts)

    def check_row(values: list[str], line: int, bad: Bad) -> FirmRecord:
        uscc, name, district_cell, industry, credit_class, tags_cell, address = values
        district = districts.code(district_cell, "district", bad) if district_cell else None
        if credit_class and credit_class not in CREDIT_CLASSES:
            bad("credit_class", f"信用风险等级应为 A、B、C、D 之一，收到 {credit_class!r}")
        tags = _split(tags_cell)
        for tag in tags:
            if len(tag) > TAG_LIMIT:
                bad("tags", f"标签 {tag} 过长：{len(tag)} 个字，最多 {TAG_LIMIT} 个")
        return FirmRecord(uscc, name, district, industry, credit_class, tuple(tags), address, line)

    return _validate_rows(rows, header, FIRM_COLUMNS, FIRM_REQUIRED, FIRM_LIMITS, FIELD_LABELS, label, progress,
                          check_row, key_problem=uscc_problem)


def validate_officers(rows: Sequence[Row], known_departments: set[str], known_districts: Mapping[str, str], *,
                      header: Sequence[str] = OFFICER_COLUMNS, label: str = "",
                      progress: Progress | None = None) -> tuple[list[OfficerRecord], list[Problem]]:
    """Validate officer rows (as from :func:`read_rows`); returns the valid records and every problem.

    ``known_departments`` holds department codes; ``known_districts`` maps district codes and names
    to codes. ``districts`` may be empty (no jurisdiction assigned), every other column is required.
    """
    districts = _DistrictNames(known_districts)

    def check_row(values: list[str], line: int, bad: Bad) -> OfficerRecord:
        number, name, department, from_cell, to_cell, districts_cell = values
        if department and department not in known_departments:
            bad("department", f"未知部门 {department}（已知：{'、'.join(sorted(known_departments))}）")
        valid_from = _parse_date(from_cell) if from_cell else None
        if from_cell and valid_from is None:
            bad("valid_from", f"日期格式应为 YYYY-MM-DD，收到 {from_cell!r}")
        valid_to = _parse_date(to_cell) if to_cell else None
        if to_cell and valid_to is None:
            bad("valid_to", f"日期格式应为 YYYY-MM-DD，收到 {to_cell!r}")
        if valid_from and valid_to and valid_to < valid_from:
            bad("valid_to", f"有效期止 {valid_to} 早于有效期起 {valid_from}")
        codes: list[str] = []
        for part in _split(districts_cell):
            code = districts.code(part, "districts", bad)
            if code is not None and code not in codes:
                codes.append(code)
        return OfficerRecord(number, name, department, valid_from, valid_to, tuple(codes), line)

    return _validate_rows(rows, header, OFFICER_COLUMNS, OFFICER_REQUIRED, OFFICER_LIMITS,
                          {**FIELD_LABELS, **OFFICER_LABELS}, label, progress, check_row)


@dataclasses.dataclass
class ParsedFile:
    """A valid import file: its name, its SHA-256 and its records in file order."""

    path: str
    sha256: str
    records: list


def parse_firms(path: str | Path, known_districts: Mapping[str, str],
                progress: Progress | None = None) -> ParsedFile:
    """Read and validate a firms file; raise :class:`ImportFileInvalid` listing every problem."""
    label = Path(path).name
    header, rows = read_rows(path)
    records, problems = validate_firms(rows, known_districts, header=header, label=label, progress=progress)
    if not problems and not records:
        problems.append(Problem(label, None, "file", "文件只有表头，没有任何企业"))
    if problems:
        raise import_invalid(label, problems)
    return ParsedFile(label, file_sha256(path), records)


def parse_officers(path: str | Path, known_departments: set[str], known_districts: Mapping[str, str],
                   progress: Progress | None = None) -> ParsedFile:
    """Read and validate an officers file; raise :class:`ImportFileInvalid` listing every problem."""
    label = Path(path).name
    header, rows = read_rows(path)
    records, problems = validate_officers(rows, known_departments, known_districts, header=header, label=label,
                                          progress=progress)
    if not problems and not records:
        problems.append(Problem(label, None, "file", "文件只有表头，没有任何执法人员"))
    if problems:
        raise import_invalid(label, problems)
    return ParsedFile(label, file_sha256(path), records)


# --------------------------------------------------------------------------- writing


def _firm_cells(record: FirmRecord) -> list:
    return [record.uscc, record.name, record.district, record.industry, record.credit_class,
            ";".join(record.tags), record.address]


def _officer_cells(record: OfficerRecord, as_text: bool) -> list:
    return [record.certificate_no, record.name, record.department,
            record.valid_from.isoformat() if as_text else record.valid_from,
            record.valid_to.isoformat() if as_text else record.valid_to, ";".join(record.districts)]


def _write(path: str | Path, columns: Sequence[str], rows: Iterable[list], sheet_title: str,
           date_columns: Sequence[int] = ()) -> int:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise import_invalid(path.name, [Problem(path.name, None, "file", f"只支持 CSV 或 XLSX 文件，收到 {path.suffix or '无扩展名'} 文件")])
    count = 0
    if suffix == ".csv":
        # With a BOM, so that spreadsheet programs open the Chinese text as UTF-8.
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(csv_row(list(columns)))
            for row in rows:
                writer.writerow(csv_row(row))
                count += 1
        return count
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(list(columns))
    for row in rows:
        row = list(row)
        for index in date_columns:
            cell = WriteOnlyCell(sheet, value=row[index])
            cell.number_format = "yyyy-mm-dd"
            row[index] = cell
        for index, value in enumerate(row):
            if formula_like(value):
                row[index] = cell = WriteOnlyCell(sheet, value=value)
                as_text(cell)
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count


def write_firms(path: str | Path, records: Iterable[FirmRecord]) -> int:
    """Write ``records`` in the import format, CSV or XLSX by the extension; returns the row count."""
    return _write(path, FIRM_COLUMNS, (_firm_cells(r) for r in records), "企业")


def write_officers(path: str | Path, records: Iterable[OfficerRecord]) -> int:
    """Write ``records`` in the import format, CSV or XLSX by the extension (XLSX dates as date cells)."""
    if Path(path).suffix.lower() == ".xlsx":
        return _write(path, OFFICER_COLUMNS, (_officer_cells(r, False) for r in records), "执法人员", (3, 4))
    return _write(path, OFFICER_COLUMNS, (_officer_cells(r, True) for r in records), "执法人员")
