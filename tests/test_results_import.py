"""Results in bulk: CSV/XLSX import (every error kind, all or nothing, re-import), export, template, commands."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from scorecard import results_io
from scorecard.models import Actual, Measure, OrgUnit
from scorecard.results_io import RowError, import_actuals
from tests.factories import ActualFactory, MeasureFactory

Q1, Q2, Q3 = dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30)


@pytest.fixture
def measures(tree: Any) -> dict[str, Measure]:
    """RET: SALES (goal/red flag), LAUNCH (yes/no); RET-EC: CONV; WHS: FILL (and a SALES of its own)."""
    return {
        "SALES": MeasureFactory(objective__map=tree.ret.strategy_map, code="SALES"),
        "LAUNCH": MeasureFactory(objective__map=tree.ret.strategy_map, code="LAUNCH", scoring="yes_no"),
        "CONV": MeasureFactory(objective__map=tree.ret_ec.strategy_map, code="CONV"),
        "FILL": MeasureFactory(objective__map=tree.whs.strategy_map, code="FILL"),
        "WHS-SALES": MeasureFactory(objective__map=tree.whs.strategy_map, code="SALES"),
    }


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def xlsx_file(rows: list[list[Any]]) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def stored() -> list[tuple[str, str, dt.date, float, str]]:
    return list(Actual.objects.order_by("measure__map__unit__code", "measure__code", "period").values_list(
        "measure__map__unit__code", "measure__code", "period", "value", "note"))


# ----------------------------------------------------------------------------------------------- success
def test_a_valid_csv_creates_every_row_and_records_the_importer_in_history(measures: Any, personas: Any) -> None:
    text = ("Unit,MEASURE,period,value,note\r\n"
            "RET,SALES,2026-03-31,101.5,Easter came early\r\n"
            "RET,SALES,2026-06-30,99,\r\n"
            "RET-EC,CONV,2026-03-31,-2.25,\r\n"
            "RET,LAUNCH,2026-03-31,yes,\r\n")
    result = import_actuals(csv_file(text), user=personas.updater, reason="import q1.csv")
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    assert stored() == [
        ("RET", "LAUNCH", Q1, 1.0, ""),
        ("RET", "SALES", Q1, 101.5, "Easter came early"),
        ("RET", "SALES", Q2, 99.0, ""),
        ("RET-EC", "CONV", Q1, -2.25, ""),
    ]
    assert set(Actual.objects.values_list("entered_by__username", "version")) == {("ret_updater", 1)}
    records = Actual.history.all()
    assert records.count() == 4
    assert {(r.history_type, r.history_user.username, r.history_change_reason) for r in records} == {
        ("+", "ret_updater", "import q1.csv")}


def test_columns_may_come_in_any_order_with_a_bom_semicolons_and_comment_columns(measures: Any) -> None:
    text = "\ufeffnote;# measure name;value;period;measure;unit\nfine;Sales;7;2026-03-31;SALES;RET\n"
    result = import_actuals(csv_file(text))
    assert result.errors == []
    assert stored() == [("RET", "SALES", Q1, 7.0, "fine")]


def test_an_xlsx_file_with_date_cells_and_number_cells_imports_like_csv(measures: Any) -> None:
    book = xlsx_file([
        ["unit", "measure", "period", "value", "note"],
        ["RET", "SALES", dt.datetime(2026, 3, 31), 12, "from Excel"],
        ["RET", "SALES", "2026-06-30", "12.5", None],
        [None, None, None, None, None],
        ["RET", "LAUNCH", dt.date(2026, 3, 31), True, None],
    ])
    result = import_actuals(book)
    assert result.errors == []
    assert result.created == 3
    assert stored() == [("RET", "LAUNCH", Q1, 1.0, ""), ("RET", "SALES", Q1, 12.0, "from Excel"),
                        ("RET", "SALES", Q2, 12.5, "")]


@pytest.mark.parametrize(("cell", "stored_value"), [
    ("1", 1.0), ("0", 0.0), ("Yes", 1.0), ("no", 0.0), ("TRUE", 1.0), ("false", 0.0), ("1.0", 1.0),
])
def test_a_yes_no_measure_takes_one_zero_yes_no_or_true_false(measures: Any, cell: str, stored_value: float) -> None:
    result = import_actuals(csv_file(f"unit,measure,period,value,note\nRET,LAUNCH,2026-03-31,{cell},\n"))
    assert result.errors == []
    assert Actual.objects.get().value == stored_value


def test_reimport_updates_changed_values_keeps_unchanged_ones_and_records_history(
    measures: Any, personas: Any
) -> None:
    first = ("unit,measure,period,value,note\nRET,SALES,2026-03-31,1,\nRET,SALES,2026-06-30,2,\n"
             "RET,SALES,2026-09-30,3,\n")
    import_actuals(csv_file(first), user=personas.updater)
    q2 = Actual.objects.get(period=Q2)
    second = ("unit,measure,period,value,note\nRET,SALES,2026-03-31,1,\nRET,SALES,2026-06-30,2.5,corrected\n"
              "RET,SALES,2026-09-30,3,late\n")
    result = import_actuals(csv_file(second), user=personas.manager)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert Actual.objects.count() == 3
    q2_after = Actual.objects.get(period=Q2)
    assert q2_after.pk == q2.pk  # updated in place, so its history stays one line
    assert (q2_after.value, q2_after.note, q2_after.version) == (2.5, "corrected", 2)
    assert q2_after.entered_by == personas.manager
    assert q2_after.entered_at > q2.entered_at
    assert Actual.objects.get(period=Q1).version == 1
    history = list(q2_after.history.order_by("history_date").values_list("history_type", "value",
                                                                          "history_user__username"))
    assert history == [("+", 2.0, "ret_updater"), ("~", 2.5, "ret_manager")]


def test_a_dry_run_counts_what_would_change_and_writes_nothing(measures: Any) -> None:
    ActualFactory(measure=measures["SALES"], period=Q1, value=5)
    text = "unit,measure,period,value,note\nRET,SALES,2026-03-31,6,\nRET,SALES,2026-06-30,7,\n"
    result = import_actuals(csv_file(text), dry_run=True)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert stored() == [("RET", "SALES", Q1, 5.0, "")]
    assert Actual.history.count() == 1


def test_template_rows_left_blank_are_skipped_and_empty_rows_ignored(measures: Any) -> None:
    text = "unit,measure,period,value,note\nRET,SALES,,,\n,,,,\nRET,LAUNCH,2026-03-31,no,\n"
    result = import_actuals(csv_file(text))
    assert result.errors == []
    assert (result.rows, result.skipped, result.created) == (2, 1, 1)


def test_validating_and_writing_sixty_rows_takes_a_fixed_number_of_queries_not_one_per_row(
    measures: Any, django_assert_num_queries: Any
) -> None:
    lines = ["unit,measure,period,value,note"]
    lines += [f"RET,SALES,{dt.date(2000, 1, 1) + dt.timedelta(days=i)},{i},n" for i in range(30)]
    lines += [f"RET-EC,CONV,{dt.date(2000, 1, 1) + dt.timedelta(days=i)},{i}," for i in range(30)]
    # Queries: unit and measure list of RET and of RET-EC (4); the import's savepoint; existing values; the
    # insert's savepoint; insert actuals; release it; the new ids; insert their history; release (12). On
    # PostgreSQL the two inserts are COPY statements, which Django's query log does not see (10).
    with django_assert_num_queries(12 if connection.vendor == "sqlite" else 10):
        result = import_actuals(csv_file("\n".join(lines)))
    assert result.created == 60


def test_the_sql_writer_covers_every_column_of_actual_and_of_its_history() -> None:
    # The importer writes rows itself for speed: a field added to Actual must be added to its column lists.
    actual = {f.attname for f in Actual._meta.concrete_fields}
    history = {f.attname for f in Actual.history.model._meta.concrete_fields}
    assert {"id", *results_io.ACTUAL_COLUMNS} == actual
    assert {"history_id", *results_io.HISTORY_COLUMNS} == history


def test_imported_rows_read_back_through_the_orm_like_saved_ones(measures: Any, personas: Any) -> None:
    import_actuals(csv_file("unit,measure,period,value,note\nRET,SALES,2026-03-31,1.25,ok\n"), user=personas.manager)
    actual = Actual.objects.get()
    assert actual.entered_at is not None and actual.entered_at.tzinfo is not None
    record = actual.history.get()
    assert (record.history_type, record.period, record.value, record.note, record.entered_at, record.version) == (
        "+", Q1, 1.25, "ok", actual.entered_at, 1)
    assert record.history_date == actual.entered_at
    actual.value = 2
    actual.save()  # a later ordinary save continues the same history and version
    assert list(actual.history.order_by("history_date").values_list("version", flat=True)) == [1, 2]


# ------------------------------------------------------------------------------------------------ errors
def test_every_error_kind_is_reported_together_with_row_and_column_and_nothing_is_written(
    measures: Any, personas: Any
) -> None:
    ActualFactory(measure=measures["SALES"], period=Q1, value=5)
    text = "\n".join([
        "unit,measure,period,value,note",
        "RET,SALES,2026-06-30,10,fine",          # 2: valid
        "NOPE,SALES,2026-06-30,10,",             # 3: unknown unit
        "RET,GHOST,2026-06-30,10,",              # 4: unknown measure
        "RET,FILL,2026-06-30,10,",               # 5: measure of another unit's map
        "RET,SALES,30/06/2026,10,",              # 6: not ISO
        "RET,SALES,2026-02-30,10,",              # 7: no such day
        "RET,SALES,2026-07-31,NaN,",             # 8: NaN
        "RET,SALES,2026-08-31,inf,",             # 9: infinity
        "RET,SALES,2026-09-30,lots,",            # 10: text
        "RET,SALES,2026-06-30,11,",              # 11: duplicate of row 2
        "RET,LAUNCH,2026-06-30,2,",              # 12: yes/no measure takes 1/0
        "RET,SALES,2026-10-31,\"1,5\",",         # 13: comma decimal
        ",SALES,2026-10-31,1,",                  # 14: no unit
        "RET,SALES,,1,",                         # 15: no period
        "RET,SALES,2026-11-30,,",                # 16: no value
        "RET,SALES,2026-12-31,1e999,",           # 17: overflows to infinity
    ])
    result = import_actuals(csv_file(text))
    assert [str(e) for e in result.errors] == [
        "row 3, column unit: unknown unit 'NOPE'",
        "row 4, column measure: unknown measure 'GHOST' in the map of unit RET",
        "row 5, column measure: measure FILL belongs to the map of WHS, not of RET",
        "row 6, column period: '30/06/2026' is not a date in the form YYYY-MM-DD",
        "row 7, column period: 2026-02-30 is not a valid date",
        "row 8, column value: 'NaN' is not a finite number",
        "row 9, column value: 'inf' is not a finite number",
        "row 10, column value: 'lots' is not a number",
        "row 11, column period: RET:SALES for 2026-06-30 is already given in row 2; one value per measure and period",
        "row 12, column value: '2': a yes/no measure takes 1/0, yes/no or true/false",
        "row 13, column value: '1,5' is not a number (use a point for decimals and no thousands separators)",
        "row 14, column unit: a unit code is required",
        "row 15, column period: a period is required (a date, YYYY-MM-DD)",
        "row 16, column value: a value is required",
        "row 17, column value: '1e999' is not a finite number",
    ]
    assert stored() == [("RET", "SALES", Q1, 5.0, "")]
    assert Actual.history.count() == 1


def test_missing_and_unknown_columns_are_named_before_any_row_is_read(measures: Any) -> None:
    result = import_actuals(csv_file("unit,measure,when,value,comment\nRET,SALES,2026-03-31,1,x\n"))
    assert [str(e) for e in result.errors] == [
        "row 1, column period, note: missing columns period, note (the header must name unit, measure, period, "
        "value, note)",
        "row 1, column when, comment: unknown columns when, comment (expected unit, measure, period, value, note; "
        "a column whose header starts with # is ignored)",
    ]
    assert Actual.objects.count() == 0


def test_an_empty_file_and_a_header_only_file_are_told_apart(measures: Any) -> None:
    assert [str(e) for e in import_actuals(csv_file("")).errors] == [
        "row 1: the file is empty; the first row must be the header unit, measure, period, value, note"]
    header_only = import_actuals(csv_file("unit,measure,period,value,note\n"))
    assert header_only.errors == [] and header_only.created == 0


def test_a_file_that_is_not_utf8_or_not_a_workbook_is_a_clear_error(measures: Any) -> None:
    latin = import_actuals(io.BytesIO("unit,measure,period,value,note\nRET,SALES,2026-03-31,1,caf\xe9\n"
                                      .encode("latin-1")))
    assert len(latin.errors) == 1 and "not UTF-8 text" in str(latin.errors[0])
    broken = import_actuals(io.BytesIO(b"PK\x03\x04 this is no workbook"))
    assert len(broken.errors) == 1 and "not a readable .xlsx workbook" in str(broken.errors[0])
    assert Actual.objects.count() == 0


def test_a_user_may_import_only_into_units_where_they_may_enter_results(measures: Any, personas: Any) -> None:
    text = ("unit,measure,period,value,note\nRET,SALES,2026-03-31,1,\nRET-EC,CONV,2026-03-31,1,\n"
            "WHS,FILL,2026-03-31,1,\n")
    updater = import_actuals(csv_file(text), user=personas.updater)
    assert [str(e) for e in updater.errors] == [
        "row 4, column unit: you may not enter results for unit WHS (it needs the updater or manager role on it "
        "or on a unit above it)"]
    viewer = import_actuals(csv_file(text), user=personas.viewer)
    assert [e.row for e in viewer.errors] == [2, 3, 4]
    assert Actual.objects.count() == 0
    assert import_actuals(csv_file(text), user=personas.executive).created == 3


def test_a_bad_last_row_of_a_large_file_leaves_the_database_unchanged(measures: Any) -> None:
    ActualFactory(measure=measures["SALES"], period=dt.date(2000, 1, 1), value=-1)
    lines = ["unit,measure,period,value,note"]
    lines += [f"RET,SALES,{dt.date(2000, 1, 1) + dt.timedelta(days=i)},{i}," for i in range(12000)]
    lines.append("RET,SALES,2099-01-01,oops,")
    result = import_actuals(csv_file("\n".join(lines)))
    assert [str(e) for e in result.errors] == ["row 12002, column value: 'oops' is not a number"]
    assert stored() == [("RET", "SALES", dt.date(2000, 1, 1), -1.0, "")]
    assert Actual.history.count() == 1


# ----------------------------------------------------------------------------------- export and template
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reimports_unchanged_and_restores_deleted_values_exactly(
    measures: Any, tmp_path: Any, fmt: str
) -> None:
    ActualFactory(measure=measures["SALES"], period=Q1, value=0.1 + 0.2, note="=SUM(A1:A9) is not a formula")
    ActualFactory(measure=measures["SALES"], period=Q2, value=1e-7, note="line one\nline two, \"quoted\"")
    ActualFactory(measure=measures["LAUNCH"], period=Q1, value=1)
    ActualFactory(measure=measures["CONV"], period=Q1, value=-3)
    ActualFactory(measure=measures["FILL"], period=Q1, value=9)  # another subtree: not exported
    before = stored()
    path = tmp_path / f"ret.{fmt}"
    call_command("export_actuals", "RET", "--subtree", "-o", str(path), stderr=io.StringIO())
    again = import_actuals(str(path))
    assert again.errors == [] and (again.created, again.updated, again.unchanged) == (0, 0, 4)
    Actual.objects.exclude(measure=measures["FILL"]).delete()
    restored = import_actuals(str(path))
    assert restored.errors == [] and restored.created == 4
    assert stored() == before


def test_an_export_is_limited_to_the_unit_and_the_period_range(measures: Any) -> None:
    for period in (Q1, Q2, Q3):
        ActualFactory(measure=measures["SALES"], period=period, value=1)
    ActualFactory(measure=measures["CONV"], period=Q2, value=2)
    out = io.StringIO()
    call_command("export_actuals", "RET", "--from", "2026-04-01", "--to", "2026-09-30", stdout=out)
    assert out.getvalue() == ("unit,measure,period,value,note\r\n"
                              "RET,SALES,2026-06-30,1,\r\nRET,SALES,2026-09-30,1,\r\n")


def test_csv_export_neutralises_formulas_and_xlsx_export_keeps_them_as_text(measures: Any, tmp_path: Any) -> None:
    ActualFactory(measure=measures["SALES"], period=Q1, value=1, note="=HYPERLINK(\"http://x\")")
    out = io.StringIO()
    call_command("export_actuals", "RET", stdout=out)
    assert "'=HYPERLINK" in out.getvalue()
    path = tmp_path / "ret.xlsx"
    call_command("export_actuals", "RET", "-o", str(path), stderr=io.StringIO())
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet["E2"].data_type == "s" and sheet["E2"].value == "=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_lists_every_measure_and_imports_once_filled_in(measures: Any, tmp_path: Any, fmt: str) -> None:
    path = tmp_path / f"template.{fmt}"
    call_command("actuals_template", "RET", "-o", str(path), stderr=io.StringIO())
    blank = import_actuals(str(path))
    assert blank.errors == [] and (blank.skipped, blank.created) == (2, 0)
    if fmt == "csv":
        lines = path.read_text().splitlines()
        assert lines == ["unit,measure,period,value,note,# measure name",
                         f"RET,LAUNCH,,,,{measures['LAUNCH'].name}", f"RET,SALES,,,,{measures['SALES'].name}"]
        lines[2] = f"RET,SALES,2026-03-31,42,,{measures['SALES'].name}"
        path.write_text("\n".join(lines))
    else:
        book = openpyxl.load_workbook(path)
        book.worksheets[0]["C3"], book.worksheets[0]["D3"] = dt.date(2026, 3, 31), 42
        book.save(path)
    filled = import_actuals(str(path))
    assert filled.errors == [] and (filled.skipped, filled.created) == (1, 1)
    assert stored() == [("RET", "SALES", Q1, 42.0, "")]


def test_the_template_of_a_subtree_comes_with_the_period_filled_in(measures: Any, tmp_path: Any) -> None:
    path = tmp_path / "nw.csv"
    call_command("actuals_template", "NW", "--subtree", "--period", "2026-03-31", "-o", str(path),
                 stderr=io.StringIO())
    lines = path.read_text().splitlines()
    assert lines[1:3] == [f"RET,LAUNCH,2026-03-31,,,{measures['LAUNCH'].name}",
                          f"RET,SALES,2026-03-31,,,{measures['SALES'].name}"]
    assert {line.split(",")[0] for line in lines[1:]} == {"RET", "RET-EC", "WHS"}  # the units below NW
    assert import_actuals(str(path)).skipped == len(lines) - 1  # a row without a value is left alone
    lines[2] = f"RET,SALES,2026-03-31,42,,{measures['SALES'].name}"
    path.write_text("\n".join(lines))
    assert import_actuals(str(path)).created == 1 and stored() == [("RET", "SALES", Q1, 42.0, "")]


# ---------------------------------------------------------------------------------------------- commands
def test_the_import_command_lists_every_error_and_exits_non_zero(measures: Any, tmp_path: Any) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("unit,measure,period,value,note\nRET,SALES,2026-03-31,x,\nWHS,SALES,2026-13-01,1,\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 errors in .*bad.csv; nothing was written"):
        call_command("import_actuals", str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        "row 2, column value: 'x' is not a number",
        "row 3, column period: 2026-13-01 is not a valid date",
    ]
    assert Actual.objects.count() == 0


def test_the_import_command_prints_a_summary_and_attributes_the_user(
    measures: Any, personas: Any, tmp_path: Any
) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("unit,measure,period,value,note\nRET,SALES,2026-03-31,1,\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_actuals", str(path), "--user", "ret_manager", stdout=out, stderr=err)
    assert "1 rows: 1 created, 0 updated, 0 unchanged" in out.getvalue()
    assert "written 1/1 rows (100%)" in err.getvalue()
    assert Actual.history.get().history_user == personas.manager
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("import_actuals", str(path), "--user", "nobody")
    dry = io.StringIO()
    call_command("import_actuals", str(path), "--dry-run", stdout=dry, stderr=io.StringIO())
    assert "0 created, 0 updated, 1 unchanged" in dry.getvalue() and "Dry run" in dry.getvalue()


def test_row_errors_format_as_row_and_column() -> None:
    assert str(RowError(7, "value", "bad")) == "row 7, column value: bad"
    assert str(RowError(7, "", "bad")) == "row 7: bad"
    assert str(RowError(None, "", "bad file")) == "bad file"


def test_a_repeated_column_and_data_under_a_column_without_header_are_errors(measures: Any) -> None:
    twice = import_actuals(csv_file("unit,measure,period,value,note,Value\nRET,SALES,2026-03-31,1,,2\n"))
    assert [str(e) for e in twice.errors] == ["row 1, column value: the column value appears twice"]
    unnamed = import_actuals(csv_file("unit,measure,period,value,note,\nRET,SALES,2026-03-31,1,,stray\n"
                                      "RET,SALES,2026-06-30,1,,\n"))
    assert [str(e) for e in unnamed.errors] == ["row 2, column #6: a value in a column that has no header"]
    assert Actual.objects.count() == 0


def test_an_excel_period_with_a_time_of_day_and_a_text_number_cell_are_checked_like_text(measures: Any) -> None:
    book = xlsx_file([["unit", "measure", "period", "value", "note"],
                      ["RET", "SALES", dt.datetime(2026, 3, 31, 14, 30), 1, None],
                      ["RET", "SALES", dt.date(2026, 6, 30), "n/a", None],
                      ["RET", "SALES", dt.date(2026, 9, 30), False, None]])
    assert [str(e) for e in import_actuals(book).errors] == [
        "row 2, column period: 2026-03-31 14:30:00 has a time of day; give a date",
        "row 3, column value: 'n/a' is not a number",
        "row 4, column value: False is not a number (only yes/no measures take true/false)",
    ]


@pytest.mark.parametrize(("args", "message"), [
    (["export_actuals", "NOPE"], "No unit with the code 'NOPE'"),
    (["export_actuals", "RET", "--from", "31/03/2026"], "--from '31/03/2026' is not a date in the form YYYY-MM-DD"),
    (["export_actuals", "RET", "--from", "2026-06-30", "--to", "2026-03-31"], "--to 2026-03-31 is before --from"),
    (["export_actuals", "RET", "--format", "xlsx"], "An .xlsx workbook needs -o FILE"),
    (["actuals_template", "NW"], "Unit NW has no measures"),
    (["actuals_template", "RET", "--period", "March"], "--period 'March' is not a date"),
    (["import_actuals", "/nonexistent/file.csv"], "cannot read"),
])
def test_the_results_commands_explain_what_they_cannot_do(measures: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())


def test_an_update_written_over_a_value_changed_since_it_was_read_is_refused(measures: Any) -> None:
    actual = ActualFactory(measure=measures["SALES"], period=Q1, value=1)  # version 1
    writer = results_io._SqlWriter()
    now = connection.ops.adapt_datetimefield_value(actual.entered_at)
    stale = [(2.0, "", 2, None, now, actual.pk, 1)]
    actual.value = 5
    actual.save()  # someone else: version 2
    assert writer.update_versioned(Actual, results_io.UPDATE_COLUMNS, stale) == 0
    assert Actual.objects.get().value == 5
    fresh = [(2.0, "", 3, None, now, actual.pk, 2)]
    assert writer.update_versioned(Actual, results_io.UPDATE_COLUMNS, fresh) == 1
    assert (Actual.objects.get().value, Actual.objects.get().version) == (2.0, 3)


# ------------------------------------------------------------------------- for the upload page (web side)
def test_a_template_with_its_period_prefilled_skips_rows_left_without_value_and_note(measures: Any) -> None:
    template = (f"unit,measure,period,value,note,{results_io.TEMPLATE_COMMENT}\n"
                "RET,LAUNCH,2026-03-31,,,Launch\nRET,SALES,2026-03-31,42,,Sales\n")
    result = import_actuals(csv_file(template))
    assert result.errors == [] and (result.rows, result.skipped, result.created) == (2, 1, 1)
    # Outside a template a period without a value is still a forgotten value.
    plain = import_actuals(csv_file("unit,measure,period,value,note\nRET,LAUNCH,2026-06-30,,\n"))
    assert [str(e) for e in plain.errors] == ["row 2, column value: a value is required"]


def test_an_import_limited_to_a_subtree_refuses_rows_of_other_units(measures: Any, tree: Any) -> None:
    text = "unit,measure,period,value,note\nRET-EC,CONV,2026-03-31,1,\nWHS,FILL,2026-03-31,1,\nNW,X,2026-03-31,1,\n"
    result = import_actuals(csv_file(text), within=tree.ret)
    assert [str(e) for e in result.errors] == [
        "row 3, column unit: unit WHS is not RET or a unit below it: this upload takes results for RET and its "
        "subtree only",
        "row 4, column unit: unit NW is not RET or a unit below it: this upload takes results for RET and its "
        "subtree only",
    ]
    assert Actual.objects.count() == 0
    assert import_actuals(csv_file(text), within=tree.nw).errors[0].column == "measure"  # only NW:X is unknown


def test_an_open_stream_takes_its_format_from_the_name_given(measures: Any) -> None:
    stream = xlsx_file([["unit", "measure", "period", "value", "note"], ["RET", "SALES", Q1, 3, None]])
    assert import_actuals(stream, name="upload.xlsx").created == 1


def test_a_workbook_whose_shared_parts_unpack_too_large_is_refused_before_it_is_read(
    measures: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(results_io, "XLSX_MAX_UNPACKED_PARTS", 1024)
    result = import_actuals(xlsx_file([["unit", "measure", "period", "value", "note"]]))
    assert len(result.errors) == 1
    assert "shared text and styles unpack to 0 MB, more than the 0 MB that can be read; save it as CSV" in str(
        result.errors[0])


def test_the_template_and_the_export_of_a_subtree_can_be_limited_to_the_units_a_user_may_see(
    measures: Any, tree: Any
) -> None:
    ActualFactory(measure=measures["CONV"], period=Q1, value=1)
    ActualFactory(measure=measures["FILL"], period=Q1, value=2)
    assert list(results_io.template_rows(tree.ret, subtree=True)) == [
        ("RET", "LAUNCH", measures["LAUNCH"].name), ("RET", "SALES", measures["SALES"].name),
        ("RET-EC", "CONV", measures["CONV"].name)]
    ret_ec_only = OrgUnit.objects.filter(pk=tree.ret_ec.pk)
    assert [r[:2] for r in results_io.template_rows(tree.nw, subtree=True, within=ret_ec_only)] == [
        ("RET-EC", "CONV")]
    assert [r[:2] for r in results_io.export_rows(tree.nw, subtree=True, within=ret_ec_only)] == [
        ("RET-EC", "CONV")]
