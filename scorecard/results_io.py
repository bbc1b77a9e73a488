"""Results (actuals) in bulk: read CSV and XLSX files of ``unit, measure, period, value, note``, and write them.

Import is two phases. The file is read as a stream and every row is checked (unit, measure of that unit's map,
period, value, duplicates, the user's scope); every problem is collected with its row number and column. Only
when the whole file is clean are the rows written, all of them in one transaction: new values with
``bulk_create``, changed ones with ``bulk_update`` (their ``version`` bumped, as ``save()`` would), each with its
simple_history record attributed to the importing user. Memory stays bounded: a row is kept as one small tuple,
and existing values are fetched and written one chunk of rows at a time.

File rules (also the help of ``manage.py import_actuals``):
- The first row is the header: unit, measure, period, value, note, in any order and any letter case. All five
  are required (a file without ``note`` would leave open whether existing notes are kept or cleared); any other
  column is an error, except columns whose header starts with ``#`` (comments, e.g. the template's measure
  names) and columns without a header that hold no data.
- Row numbers are those a spreadsheet shows: the header is row 1. An .xlsx workbook is read from its first
  worksheet (cell values; formulas count by the result Excel saved with them).
- period: an ISO date ``YYYY-MM-DD`` (or a date cell in Excel), the last day of the period.
- value: a finite number with a decimal point (no thousands separators); a yes/no measure takes 1/0, yes/no
  or true/false (any case), stored as 1/0.
- A row whose period and value are both blank is skipped (a template row left unfilled); a completely empty
  row is ignored. In a file made from the template (it has the ``# measure name`` column) a row whose value and
  note are blank is skipped even when its period is filled in: the template may come with the period prefilled.
- An .xlsx workbook's parts other than the worksheets (shared text, styles) are read whole by openpyxl: their
  unpacked size is limited (``XLSX_MAX_UNPACKED_PARTS``), so that a small zip cannot unpack into gigabytes.
- Text cells exported by us that begin with = + - @ carry a leading apostrophe so that spreadsheet programs do
  not run them as formulas; the importer removes that apostrophe again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.models import HistoricalRecords

from scorecard.access import Action, can
from scorecard.models import Actual, Measure, OrgUnit, ScoringType

COLUMNS = ("unit", "measure", "period", "value", "note")
FORMATS = ("csv", "xlsx")
# Rows fetched, compared and written together: bounds memory in the write phase.
CHUNK_ROWS = 5000
READ_PROGRESS_EVERY = 10000
# openpyxl streams the worksheets but loads the other parts of a workbook (shared strings, styles) whole.
XLSX_MAX_UNPACKED_PARTS = 100 * 1024 * 1024
# The comment column of the template (``template_rows``); its presence marks a file made from the template.
TEMPLATE_COMMENT = "# measure name"

Progress = Callable[[str, int, int | None], None]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YES = {"1", "yes", "true", "y"}
_NO = {"0", "no", "false", "n"}
# Spreadsheet programs run a cell beginning with these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of the file: ``row`` None means the file as a whole; ``column`` "" the whole row."""

    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        if not self.column:
            return f"row {self.row}: {self.reason}"
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class ImportResult:
    rows: int = 0  # data rows read (empty rows not counted)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # template rows left blank
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.skipped:
            text += f", {self.skipped} blank template row{'s' if self.skipped != 1 else ''} skipped"
        return text


class ImportConflict(Exception):
    """Another writer added a value for a (measure, period) of the file while it was being written."""


# ------------------------------------------------------------------------------------------------ reading
def detect_format(name: str, head: bytes) -> str:
    """xlsx files are zip archives; anything else is read as CSV text."""
    if head.startswith(b"PK\x03\x04") or name.lower().endswith(".xlsx"):
        return "xlsx"
    return "csv"


def iter_csv(stream: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    """Records of a UTF-8 CSV file (a BOM is allowed); the delimiter is , or ; or tab, taken from the header."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        yield from csv.reader(io.StringIO(first), delimiter=delimiter)
        yield from csv.reader(text, delimiter=delimiter)
    finally:
        text.detach()


def iter_xlsx(stream: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    """Rows of the first worksheet, as values (cached results of formulas), streamed by openpyxl."""
    import zipfile

    import openpyxl  # imported here: only the xlsx path pays for it

    # Sizes as the archive declares them: zipfile never unpacks a member beyond its declared size.
    with zipfile.ZipFile(stream) as archive:
        whole = sum(i.file_size for i in archive.infolist() if not i.filename.startswith("xl/worksheets/"))
    stream.seek(0)
    if whole > XLSX_MAX_UNPACKED_PARTS:
        raise FileProblem(f"the workbook's shared text and styles unpack to {whole // (1024 * 1024)} MB, more than "
                          f"the {XLSX_MAX_UNPACKED_PARTS // (1024 * 1024)} MB that can be read; save it as CSV")
    workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


class FileProblem(Exception):
    pass


def _records(stream: IO[bytes], fmt: str) -> Iterator[tuple[Any, ...]]:
    """The file's records; unreadable input raises FileProblem with a message for the user."""
    reader = iter_csv(stream) if fmt == "csv" else iter_xlsx(stream)
    count = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise FileProblem(f"row {count + 1}: the file is not UTF-8 text ({exc.reason}); "
                              "save it as 'CSV UTF-8' or as .xlsx") from None
        except csv.Error as exc:
            raise FileProblem(f"row {count + 1}: unreadable CSV ({exc})") from None
        except FileProblem:
            raise
        except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
            if fmt != "xlsx":
                raise
            raise FileProblem(f"the file is not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
        count += 1
        yield tuple(record)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: Any) -> str:
    """A text cell as written, minus the apostrophe our exports put before formula-like text."""
    if cell is None:
        return ""
    text = cell if isinstance(cell, str) else str(cell)
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def parse_period(cell: Any) -> dt.date | str:
    """The period as a date, or the reason it is not one."""
    if isinstance(cell, dt.datetime):
        if cell.time() != dt.time(0, 0):
            return f"{cell.isoformat(sep=' ')} has a time of day; give a date"
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if _blank(cell):
        return "a period is required (a date, YYYY-MM-DD)"
    text = str(cell).strip()
    if not _DATE_RE.match(text):
        return f"{text!r} is not a date in the form YYYY-MM-DD"
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return f"{text} is not a valid date"


def parse_value(cell: Any, *, yes_no: bool) -> float | str:
    """The value as a finite float, or the reason it is not one."""
    if type(cell) is str and not yes_no and "_" not in cell:
        # The common case first (a CSV number): one float() call.
        try:
            number = float(cell)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    if _blank(cell):
        return "a value is required"
    if isinstance(cell, bool):
        if yes_no:
            return 1.0 if cell else 0.0
        return f"{cell} is not a number (only yes/no measures take true/false)"
    if isinstance(cell, int | float):
        number = float(cell)
        shown = str(cell)
    else:
        text = str(cell).strip()
        shown = repr(text)
        lowered = text.lower()
        if yes_no and lowered in _YES:
            return 1.0
        if yes_no and lowered in _NO:
            return 0.0
        if "_" in text:
            return f"{shown} is not a number (write digits with a point for decimals)"
        try:
            number = float(text)
        except ValueError:
            hint = " (use a point for decimals and no thousands separators)" if "," in text else ""
            return f"{shown} is not a number{hint}"
        except OverflowError:  # pragma: no cover - float() of text gives inf rather than raising
            return f"{shown} is not a finite number"
    if not math.isfinite(number):
        return f"{shown} is not a finite number"
    if yes_no and number not in (0.0, 1.0):
        return f"{shown}: a yes/no measure takes 1/0, yes/no or true/false"
    return number


# ------------------------------------------------------------------------------------------- validation
class _Lookups:
    """Units, their measures and the user's scope, each fetched once per distinct code."""

    def __init__(self, user: Any, within: OrgUnit | None) -> None:
        self.user = user
        self.within = within
        self.units: dict[str, OrgUnit | None] = {}
        self.allowed: dict[str, bool] = {}
        self.measures: dict[str, dict[str, tuple[int, bool]]] = {}
        self.elsewhere: dict[str, list[str]] = {}

    def unit(self, code: str) -> OrgUnit | None:
        if code not in self.units:
            self.units[code] = OrgUnit.objects.filter(code=code).first()
        return self.units[code]

    def outside(self, unit: OrgUnit) -> bool:
        """Is the unit outside the subtree the import was limited to?"""
        return self.within is not None and not unit.path.startswith(self.within.path)

    def may_update(self, unit: OrgUnit) -> bool:
        if self.user is None:
            return True
        if unit.code not in self.allowed:
            self.allowed[unit.code] = can(self.user, Action.UPDATE, unit)
        return self.allowed[unit.code]

    def measures_of(self, unit: OrgUnit) -> dict[str, tuple[int, bool]]:
        """code -> (measure id, is yes/no) for the measures of the unit's map."""
        if unit.code not in self.measures:
            rows = Measure.objects.filter(map__unit=unit).values_list("code", "id", "scoring")
            self.measures[unit.code] = {c: (i, s == ScoringType.YES_NO) for c, i, s in rows}
        return self.measures[unit.code]

    def units_with_measure(self, code: str) -> list[str]:
        if code not in self.elsewhere:
            self.elsewhere[code] = sorted(
                Measure.objects.filter(code=code).values_list("map__unit__code", flat=True)
            )
        return self.elsewhere[code]


# A checked row: (row number, measure id, period, value, note). Kept as a plain tuple: 100,000 of them fit in
# a few megabytes, where model instances would take hundreds.
Row = tuple[int, int, dt.date, float, str]


def _check_header(header: tuple[Any, ...]) -> tuple[dict[str, int], list[int], list[RowError]]:
    """Column positions by name, the positions of unnamed columns, and the header's errors."""
    positions: dict[str, int] = {}
    unnamed: list[int] = []
    unknown: list[str] = []
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        name = "" if cell is None else str(cell).strip().lstrip("\ufeff").lower()
        if not name:
            unnamed.append(index)
        elif name.startswith("#"):
            continue
        elif name in COLUMNS:
            if name in positions:
                errors.append(RowError(1, name, f"the column {name} appears twice"))
            positions[name] = index
        else:
            unknown.append(str(cell).strip())
    missing = [c for c in COLUMNS if c not in positions]
    expected = ", ".join(COLUMNS)
    if missing:
        errors.append(RowError(1, ", ".join(missing), f"missing column{'s' if len(missing) > 1 else ''} "
                                                      f"{', '.join(missing)} (the header must name {expected})"))
    if unknown:
        errors.append(RowError(1, ", ".join(unknown), f"unknown column{'s' if len(unknown) > 1 else ''} "
                                                      f"{', '.join(unknown)} (expected {expected}; a column "
                                                      "whose header starts with # is ignored)"))
    return positions, unnamed, errors


def validate(
    records: Iterable[tuple[Any, ...]], *, user: Any = None, within: OrgUnit | None = None,
    progress: Progress | None = None,
) -> tuple[list[Row], int, int, list[RowError]]:
    """Check every record; return (rows sorted by measure and period, rows read, blank rows, errors).

    ``within`` limits the rows to that unit and the units below it (the upload page of a unit).
    """
    records = iter(records)
    header = next(records, None)
    if header is None or all(_blank(c) for c in header):
        return [], 0, 0, [RowError(1, "", f"the file is empty; the first row must be the header "
                                          f"{', '.join(COLUMNS)}")]
    positions, unnamed, errors = _check_header(header)
    if errors:
        return [], 0, 0, errors
    lookups = _Lookups(user, within)
    from_template = any(isinstance(c, str) and c.strip().lower() == TEMPLATE_COMMENT for c in header)
    rows: list[Row] = []
    labels: dict[int, str] = {}  # measure id -> "unit:measure", for the duplicate message
    read = skipped = 0
    width = max(positions.values()) + 1
    iu, im, ip, iv, inote = (positions[c] for c in COLUMNS)
    periods: dict[Any, dt.date | str] = {}  # a file repeats few periods many times: parse each text once
    valid_pairs: dict[tuple[Any, Any], tuple[int, bool]] = {}  # (unit cell, measure cell) found valid
    for number, record in enumerate(records, start=2):
        if len(record) < width:
            record = record + (None,) * (width - len(record))
        if not any(record) or (_blank(record[iu]) and all(_blank(c) for c in record)):
            continue
        read += 1
        if progress and read % READ_PROGRESS_EVERY == 0:
            progress("read", read, None)
        # Fast path for the common row: a (unit, measure) text pair already found valid, a period text already
        # parsed, a plain number. Anything else goes through the full checks below.
        known = valid_pairs.get((record[iu], record[im]))
        if known is not None and not unnamed:
            cell, text_value, note = record[ip], record[iv], record[inote]
            period = periods.get(cell) if type(cell) is str else None
            if type(period) is dt.date and type(text_value) is str and not known[1] and "_" not in text_value:
                try:
                    number_value = float(text_value)
                except ValueError:
                    number_value = math.nan
                if math.isfinite(number_value):
                    if type(note) is not str or note.startswith("'"):
                        note = _text(note)
                    rows.append((number, known[0], period, number_value, note))
                    continue
        row_errors: list[RowError] = []
        for index in unnamed:
            if index < len(record) and not _blank(record[index]):
                row_errors.append(RowError(number, f"#{index + 1}", "a value in a column that has no header"))
        unit_code = _text(record[iu]).strip()
        measure_code = _text(record[im]).strip()
        if (_blank(record[iv]) and _blank(record[inote]) and unit_code and measure_code
                and (from_template or _blank(record[ip]))):
            skipped += 1  # a template row nobody filled in (its period may be prefilled)
            continue
        measure: tuple[int, bool] | None = None
        if not unit_code:
            row_errors.append(RowError(number, "unit", "a unit code is required"))
        else:
            unit = lookups.unit(unit_code)
            if unit is None:
                row_errors.append(RowError(number, "unit", f"unknown unit {unit_code!r}"))
            elif lookups.outside(unit):
                assert within is not None
                row_errors.append(RowError(number, "unit", f"unit {unit_code} is not {within.code} or a unit below "
                                                           f"it: this upload takes results for {within.code} and "
                                                           "its subtree only"))
            elif not lookups.may_update(unit):
                row_errors.append(RowError(number, "unit", f"you may not enter results for unit {unit_code} "
                                                           "(it needs the updater or manager role on it or "
                                                           "on a unit above it)"))
            elif not measure_code:
                row_errors.append(RowError(number, "measure", "a measure code is required"))
            else:
                measure = lookups.measures_of(unit).get(measure_code)
                if measure is None:
                    others = [c for c in lookups.units_with_measure(measure_code) if c != unit_code]
                    if others:
                        reason = (f"measure {measure_code} belongs to the map of {', '.join(others)}, "
                                  f"not of {unit_code}")
                    else:
                        reason = f"unknown measure {measure_code!r} in the map of unit {unit_code}"
                    row_errors.append(RowError(number, "measure", reason))
        if unit_code and not measure_code and not any(e.column == "measure" for e in row_errors):
            row_errors.append(RowError(number, "measure", "a measure code is required"))
        cell = record[ip]
        if type(cell) is str:
            period = periods.get(cell) or periods.setdefault(cell, parse_period(cell))
        else:
            period = parse_period(cell)
        if isinstance(period, str):
            row_errors.append(RowError(number, "period", period))
        value = parse_value(record[iv], yes_no=measure[1] if measure else False)
        if isinstance(value, str):
            row_errors.append(RowError(number, "value", value))
        if row_errors:
            errors.extend(row_errors)
            continue
        assert measure is not None and isinstance(period, dt.date) and isinstance(value, float)
        if measure[0] not in labels:
            labels[measure[0]] = f"{unit_code}:{measure_code}"
            valid_pairs[(record[iu], record[im])] = measure
        rows.append((number, measure[0], period, value, _text(record[inote])))
    # Duplicates: sorted by (measure, period, row), equal neighbours are the same value given twice.
    rows.sort(key=lambda r: (r[1], r[2], r[0]))
    for before, after in itertools.pairwise(rows):
        if before[1] == after[1] and before[2] == after[2]:
            errors.append(RowError(after[0], "period", f"{labels[after[1]]} for {after[2].isoformat()} is "
                                                       f"already given in row {before[0]}; "
                                                       "one value per measure and period"))
    errors.sort(key=lambda e: (e.row or 0))
    return rows, read, skipped, errors


# ---------------------------------------------------------------------------------------------- writing
# The write phase goes straight to SQL: the ORM's bulk_create_with_history / bulk_update_with_history spent
# ~150 us per created row and ~840 us per updated row in Django's per-value compilation (measured on 10,000
# rows), three to ten times the benchmark's budget of 100 us per row. The rows written are exactly those the
# ORM and simple_history would write: an Actual with its version (1, or the old one + 1 as save() bumps it) and
# a historical record ("+" or "~") with history_date, history_user and history_change_reason.
# tests/test_results_import.py checks that these column lists still cover every field of both models.
ACTUAL_COLUMNS = ("version", "measure_id", "period", "value", "note", "entered_by_id", "entered_at")
HISTORY_COLUMNS = ("id", "version", "period", "value", "note", "entered_at", "measure_id", "entered_by_id",
                   "history_date", "history_change_reason", "history_type", "history_user_id")
UPDATE_COLUMNS = ("value", "note", "version", "entered_by_id", "entered_at")


class _SqlWriter:
    """Many-row INSERT and UPDATE on the default connection, inside the caller's transaction.

    SQLite: executemany (its loop runs in C). PostgreSQL: COPY, and updates through a temporary table joined in
    one UPDATE (psycopg re-parses any statement longer than 4 KB in Python, so long multi-row VALUES lose).
    """

    def __init__(self) -> None:
        self.quote = connection.ops.quote_name
        self.copy = connection.vendor == "postgresql"
        self.update_table = ""

    def _table(self, model: type[Any], attnames: Sequence[str]) -> tuple[str, list[str]]:
        columns = {f.attname: f.column for f in model._meta.concrete_fields}
        return self.quote(model._meta.db_table), [self.quote(columns[a]) for a in attnames]

    def insert(self, model: type[Any], attnames: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        table, columns = self._table(model, attnames)
        # Only identifiers from the models' _meta, quoted, go into the text; every value is a parameter.
        with connection.cursor() as cursor:
            if self.copy:
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608

    def update_versioned(self, model: type[Any], attnames: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
        """Update rows whose version is still the one read; return how many were updated.

        ``rows`` hold the values of ``attnames`` (which include the new ``version``), then the primary key, then
        the version read. Instead of locking every row read (SELECT ... FOR UPDATE dirties each one on
        PostgreSQL), the UPDATE itself checks the version: a row changed by someone else in between is not
        updated, and the caller sees the shortfall and rolls everything back.
        """
        if not rows:
            return 0
        table, columns = self._table(model, attnames)
        key, version = self.quote("id"), self.quote("version")
        with connection.cursor() as cursor:
            if not self.copy:
                sets = ", ".join(f"{c} = %s" for c in columns)
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE {key} = %s AND {version} = %s", rows)  # noqa: S608
                return cursor.rowcount
            scratch = self.quote("scorecard_import_update")
            listed = ", ".join([*columns, key])
            # Same column types as the table; dropped at commit; emptied for each chunk.
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "  # noqa: S608
                           f"SELECT {listed} FROM {table} WITH NO DATA")
            cursor.execute(f"TRUNCATE {scratch}")
            with cursor.cursor.copy(f"COPY {scratch} ({listed}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row[:-1])
            sets = ", ".join(f"{c} = s.{c}" for c in columns)
            cursor.execute(f"UPDATE {table} AS t SET {sets} FROM {scratch} AS s "  # noqa: S608
                           f"WHERE t.{key} = s.{key} AND t.{version} = s.{version} - 1")
            return cursor.rowcount


def _write(rows: list[Row], *, user: Any, dry_run: bool, reason: str, progress: Progress | None,
           result: ImportResult) -> None:
    """Compare with what is stored, chunk by chunk, and create or update (unless dry_run)."""
    writer = _SqlWriter()
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    user_id = user.pk if user is not None else None
    history_user_id = user_id if user is not None else _context_user_id()
    change_reason = reason or None
    history = Actual.history.model
    dates: dict[dt.date, Any] = {}  # adapted once per distinct period

    def day(period: dt.date) -> Any:
        if period not in dates:
            dates[period] = ops.adapt_datefield_value(period)
        return dates[period]

    total = len(rows)
    for start in range(0, total, CHUNK_ROWS):
        chunk = rows[start:start + CHUNK_ROWS]
        measure_ids = {r[1] for r in chunk}
        existing_qs = Actual.objects.filter(
            measure_id__in=measure_ids, period__gte=min(r[2] for r in chunk), period__lte=max(r[2] for r in chunk)
        )
        existing = {
            (m, p): (pk, v, n, ver)
            for pk, m, p, v, n, ver in existing_qs.values_list("id", "measure_id", "period", "value", "note",
                                                               "version")
        }
        creates: list[Row] = []
        updates: list[tuple[Any, ...]] = []
        update_history: list[tuple[Any, ...]] = []
        for row in chunk:
            _number, measure_id, period, value, note = row
            old = existing.get((measure_id, period))
            if old is None:
                creates.append(row)
            elif old[1] == value and old[2] == note:
                result.unchanged += 1
            else:
                version = old[3] + 1
                updates.append((value, note, version, user_id, now, old[0], old[3]))
                update_history.append((old[0], version, day(period), value, note, now, measure_id, user_id,
                                       now, change_reason, "~", history_user_id))
        result.created += len(creates)
        result.updated += len(updates)
        if dry_run:
            continue
        if creates:
            try:
                with transaction.atomic():
                    writer.insert(Actual, ACTUAL_COLUMNS,
                                  [(1, m, day(p), v, n, user_id, now) for _r, m, p, v, n in creates])
            except IntegrityError as exc:
                raise ImportConflict(str(exc)) from exc
            # The new ids, for the history records: one query for the chunk.
            created_keys = {(r[1], r[2]) for r in creates}
            ids = {
                (m, p): pk for pk, m, p in Actual.objects.filter(
                    measure_id__in={r[1] for r in creates},
                    period__gte=min(r[2] for r in creates), period__lte=max(r[2] for r in creates),
                ).values_list("id", "measure_id", "period")
                if (m, p) in created_keys
            }
            writer.insert(history, HISTORY_COLUMNS, [
                (ids[(m, p)], 1, day(p), v, n, now, m, user_id, now, change_reason, "+", history_user_id)
                for _r, m, p, v, n in creates
            ])
        if writer.update_versioned(Actual, UPDATE_COLUMNS, updates) != len(updates):
            raise ImportConflict("a value changed between reading and writing")
        writer.insert(history, HISTORY_COLUMNS, update_history)
        if progress:
            progress("write", min(start + CHUNK_ROWS, total), total)


def _context_user_id() -> int | None:
    """The user simple_history would attribute a save to here (a request's, or acting_as's), if any."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user.pk if getattr(user, "is_authenticated", False) else None


def import_actuals(
    source: str | Path | IO[bytes],
    *,
    fmt: str | None = None,
    user: Any = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    reason: str = "",
    name: str | None = None,
    within: OrgUnit | None = None,
) -> ImportResult:
    """Validate the whole file, then write all of its rows in one transaction, or nothing.

    ``user`` (optional) must hold UPDATE on every row's unit and is recorded as who entered the values and as
    the history user. ``reason`` becomes the history records' change reason (e.g. the file name). ``name`` is
    the file's name when ``source`` is an open stream whose own name says nothing (an upload's temporary file);
    it only helps to tell the format. ``within`` limits the rows to that unit's subtree.
    """
    result = ImportResult(dry_run=dry_run)
    if fmt is not None and fmt not in FORMATS:
        result.errors.append(RowError(None, "", f"unknown format {fmt!r}; use csv or xlsx"))
        return result
    if isinstance(source, str | Path):
        try:
            with open(source, "rb") as stream:
                return _import_stream(stream, str(source), fmt, user, dry_run, progress, reason, within, result)
        except OSError as exc:
            result.errors.append(RowError(None, "", f"{source}: cannot read ({exc.strerror})"))
            return result
    name = name if name is not None else getattr(source, "name", "") or ""
    return _import_stream(source, str(name), fmt, user, dry_run, progress, reason, within, result)


def _import_stream(stream: IO[bytes], name: str, fmt: str | None, user: Any, dry_run: bool,
                   progress: Progress | None, reason: str, within: OrgUnit | None,
                   result: ImportResult) -> ImportResult:
    if fmt is None:
        head = stream.read(4)
        stream.seek(0)
        fmt = detect_format(name, head)
    if user is not None and not (getattr(user, "is_authenticated", False) and user.is_active):
        result.errors.append(RowError(None, "", f"user {user} is inactive and may not enter results"))
        return result
    try:
        rows, result.rows, result.skipped, errors = validate(_records(stream, fmt), user=user, within=within,
                                                             progress=progress)
    except FileProblem as exc:
        result.errors.append(RowError(None, "", str(exc)))
        return result
    if errors:
        result.errors = errors
        return result
    if progress:
        progress("checked", result.rows, result.rows)
    try:
        with transaction.atomic():
            _write(rows, user=user, dry_run=dry_run, reason=reason, progress=progress, result=result)
    except ImportConflict:
        result.created = result.updated = result.unchanged = 0
        result.errors.append(RowError(None, "", "someone else entered or changed values for some of these "
                                                "measures and periods while the file was being written; nothing "
                                                "was written, import the file again"))
    return result


# ---------------------------------------------------------------------------------------------- export
def _guard(text: str) -> str:
    """Keep spreadsheet programs from running exported text as a formula (removed again on import)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def format_value(value: float) -> str:
    """The shortest text that reads back as exactly this float: 100 rather than 100.0."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


ExportRow = tuple[str, str, dt.date | None, float | None, str]


def _units(unit: OrgUnit, subtree: bool, within: QuerySet[OrgUnit] | None) -> QuerySet[OrgUnit]:
    units = OrgUnit.objects.subtree_of(unit) if subtree else OrgUnit.objects.filter(pk=unit.pk)
    return units if within is None else units.filter(pk__in=within.values("pk"))


def export_rows(
    unit: OrgUnit, *, subtree: bool = False, start: dt.date | None = None, end: dt.date | None = None,
    within: QuerySet[OrgUnit] | None = None,
) -> Iterator[ExportRow]:
    """The unit's actuals (with ``subtree`` its descendants' too) in the period range, in one streamed query.

    ``within`` (e.g. ``access.units_where(user, Action.VIEW)``) leaves out every unit not in it.
    """
    units = _units(unit, subtree, within)
    qs = Actual.objects.filter(measure__map__unit__in=units)
    if start is not None:
        qs = qs.filter(period__gte=start)
    if end is not None:
        qs = qs.filter(period__lte=end)
    rows = qs.order_by("measure__map__unit__code", "measure__code", "period").values_list(
        "measure__map__unit__code", "measure__code", "period", "value", "note"
    )
    yield from rows.iterator(chunk_size=2000)


def template_rows(
    unit: OrgUnit, *, subtree: bool = False, within: QuerySet[OrgUnit] | None = None
) -> Iterator[tuple[str, str, str]]:
    """(unit code, measure code, measure name) for every measure of the unit's map (with ``subtree`` also of the
    maps below it, limited to ``within``), in unit and code order."""
    measures = (Measure.objects.filter(map__unit__in=_units(unit, subtree, within))
                .order_by("map__unit__code", "code").values_list("map__unit__code", "code", "name"))
    yield from measures.iterator(chunk_size=2000)


def write_csv(rows: Iterable[ExportRow], out: IO[str], *, comments: Iterable[str] | None = None) -> int:
    """Write the header and rows as CSV to a text stream (opened with newline=''); return the row count."""
    writer = csv.writer(out, lineterminator="\r\n")
    comment_iter = iter(comments) if comments is not None else None
    writer.writerow([*COLUMNS, *([TEMPLATE_COMMENT] if comment_iter else [])])
    count = 0
    for unit, measure, period, value, note in rows:
        line = [_guard(unit), _guard(measure), period.isoformat() if period else "",
                format_value(value) if value is not None else "", _guard(note)]
        if comment_iter is not None:
            line.append(_guard(next(comment_iter, "")))
        writer.writerow(line)
        count += 1
    return count


def write_xlsx(rows: Iterable[ExportRow], out: IO[bytes], *, comments: Iterable[str] | None = None,
               title: str = "Results") -> int:
    """Write the header and rows as a one-sheet workbook (streamed, write-only); return the row count."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    comment_iter = iter(comments) if comments is not None else None

    def text(value: str) -> WriteOnlyCell:
        # Force the string type: openpyxl would otherwise store "=..." as a formula.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell

    def number(value: float | None) -> WriteOnlyCell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        # openpyxl writes floats with 16 significant digits, and some doubles need 17 (0.1 + 0.2): write the
        # shortest exact text ourselves so that the file re-imports as the very same number.
        cell._value = repr(float(value))
        return cell

    def date(value: dt.date | None) -> WriteOnlyCell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell

    sheet.append([*COLUMNS, *([TEMPLATE_COMMENT] if comment_iter else [])])
    count = 0
    for unit, measure, period, value, note in rows:
        line: list[Any] = [text(unit), text(measure), date(period), number(value), text(note) if note else None]
        if comment_iter is not None:
            line.append(text(next(comment_iter, "")))
        sheet.append(line)
        count += 1
    workbook.save(out)
    return count


def write_export(rows: Iterable[ExportRow], out: IO[bytes], fmt: str, *,
                 comments: Iterable[str] | None = None) -> int:
    if fmt == "xlsx":
        return write_xlsx(rows, out, comments=comments)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        return write_csv(rows, text, comments=comments)
    finally:
        text.flush()
        text.detach()
