"""The results upload page, the results template and the export: real database, real CSV and XLSX files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from html import unescape
from typing import Any
from unittest import mock

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from cascade.web.forms import ResultsUploadForm
from cascade.web.pages import default_as_of
from scorecard import access, results_io
from scorecard.access import Action
from scorecard.models import Actual
from tests.factories import ActualFactory, MeasureFactory, MembershipFactory, UserFactory
from tests.test_web_support import build_enterprise

pytestmark = pytest.mark.django_db

URL = "/units/RET/results/upload/"
HEADER = "unit,measure,period,value,note"
Q3, Q4 = dt.date(2026, 9, 30), dt.date(2026, 12, 31)


@pytest.fixture
def ent(tree: Any, personas: Any) -> Any:
    """build_enterprise (RET: R1.1 and R2.1 with four quarters of actuals) plus a measure in RET-EC and in WHS."""
    ent = build_enterprise(tree)
    ent.extra["conv"] = MeasureFactory(objective__map=tree.ret_ec.strategy_map, code="CONV", name="Conversion")
    ent.extra["fill"] = MeasureFactory(objective__map=tree.whs.strategy_map, code="FILL", name="Fill rate")
    return ent


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_upload(lines: list[str], name: str = "results.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(user: Any, file: Any, *, dry_run: bool = False, url: str = URL, follow: bool = False) -> Any:
    data: dict[str, Any] = {"file": file}
    if dry_run:
        data["dry_run"] = "on"
    return signed_in(user).post(url, data, follow=follow)


def page_text(response: Any) -> str:
    return response.content.decode()


def error_rows(response: Any) -> list[tuple[str, str, str]]:
    """(row, column, reason) of the page's error table, read back from the HTML."""
    body = page_text(response).split('<table class="upload-errors', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><td class="num" data-label="Row">(.*?)</td><td data-label="Column">(.*?)</td>'
                      r'<td data-label="Problem">(.*?)</td></tr>', body)
    return [(unescape(r), unescape(c), unescape(p)) for r, c, p in rows]


def snapshot() -> tuple[int, int, list[tuple[int, dt.date, float, str]]]:
    """Everything an import could change: actuals, their history, their values."""
    return (Actual.objects.count(), Actual.history.count(),
            list(Actual.objects.order_by("pk").values_list("measure_id", "period", "value", "note")))


# ------------------------------------------------------------------------------------------- permissions
def test_an_anonymous_visitor_is_sent_to_sign_in(ent: Any) -> None:
    for response in (Client().get(URL), Client().post(URL, {"file": csv_upload([HEADER])})):
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={URL}"


@pytest.mark.parametrize("who", ["manager", "updater", "executive"])
def test_managers_updaters_and_executives_get_the_page_and_can_import(ent: Any, personas: Any, who: str) -> None:
    user = getattr(personas, who)
    page = signed_in(user).get(URL)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page_text(page) and "at most 50 MB" in page_text(page)
    response = upload(user, csv_upload([HEADER, "RET,R1.1,2026-12-31,120,Strong", "RET-EC,CONV,2026-12-31,3.5,"]))
    assert response.status_code == 302 and response["Location"] == URL
    saved = Actual.objects.get(measure=ent.ret_measures[0], period=Q4)
    assert (saved.value, saved.note, saved.entered_by) == (120, "Strong", user)
    assert Actual.objects.get(measure=ent.extra["conv"], period=Q4).value == 3.5


def test_a_viewer_gets_403_and_cannot_post(ent: Any, personas: Any) -> None:
    before = snapshot()
    assert signed_in(personas.viewer).get(URL).status_code == 403
    refused = upload(personas.viewer, csv_upload([HEADER, "RET,R1.1,2026-12-31,1,"]))
    assert refused.status_code == 403
    assert "Your role does not let you change RET." in page_text(refused)
    assert snapshot() == before


def test_a_manager_of_another_branch_gets_404_where_they_cannot_see_and_403_where_they_can(
    ent: Any, personas: Any
) -> None:
    before = snapshot()
    with override_settings(SCORECARD_VIEWERS_SEE_ALL=False):
        assert signed_in(personas.outsider_manager).get(URL).status_code == 404
        assert upload(personas.outsider_manager, csv_upload([HEADER, "RET,R1.1,2026-12-31,1,"])).status_code == 404
    assert signed_in(personas.outsider_manager).get(URL).status_code == 403  # everyone reads RET by default
    assert snapshot() == before


def test_the_form_needs_its_csrf_token_although_the_view_sets_up_the_upload_first(ent: Any, personas: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.manager)
    before = snapshot()
    response = client.post(URL, {"file": csv_upload([HEADER, "RET,R1.1,2026-12-31,1,"])})
    assert response.status_code == 403
    assert snapshot() == before


# ----------------------------------------------------------------------------------------------- success
def test_reimporting_updates_values_and_the_history_names_the_uploading_user(ent: Any, personas: Any) -> None:
    m1 = ent.ret_measures[0]
    existing = Actual.objects.get(measure=m1, period=Q3)
    assert existing.value == 110
    response = upload(personas.updater, csv_upload([HEADER, "RET,R1.1,2026-09-30,111,Revised",
                                                    "RET,R2.1,2026-09-30,110,Quarter 4 note"], name="q3.csv"),
                      follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(URL, 302)]
    assert "Imported q3.csv: 2 rows, 0 created, 1 updated, 1 unchanged." in page_text(response)
    existing.refresh_from_db()
    assert (existing.value, existing.note, existing.version, existing.entered_by) == (111, "Revised", 2,
                                                                                      personas.updater)
    latest = existing.history.order_by("-history_date", "-history_id").first()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~", personas.updater, "upload q3.csv")
    assert latest.value == 111


def test_new_values_are_recorded_in_history_as_created_by_the_uploading_user(ent: Any, personas: Any) -> None:
    upload(personas.manager, csv_upload([HEADER, "RET,R1.1,2026-12-31,1,", "RET-EC,CONV,2026-12-31,2,"]))
    records = Actual.history.filter(period=Q4)
    assert {(r.history_type, r.history_user.username) for r in records} == {("+", "ret_manager")}
    assert records.count() == 2


def test_a_dry_run_checks_everything_writes_nothing_and_says_so(ent: Any, personas: Any) -> None:
    before = snapshot()
    response = upload(personas.manager, csv_upload([HEADER, "RET,R1.1,2026-12-31,1,", "RET,R1.1,2026-09-30,5,"]),
                      dry_run=True, follow=True)
    assert snapshot() == before
    text = page_text(response)
    assert ("Checked results.csv (dry run): 2 rows, all valid; importing it would give 1 created, 1 updated, "
            "0 unchanged. Nothing was written.") in text
    assert 'class="message info"' in text


def test_an_xlsx_workbook_with_date_and_number_cells_imports(ent: Any, personas: Any) -> None:
    data = xlsx_bytes([HEADER.split(","), ["RET", "R1.1", dt.date(2026, 12, 31), 42.5, "from Excel"],
                       ["RET-EC", "CONV", dt.datetime(2026, 12, 31), 7, None]])
    response = upload(personas.manager, SimpleUploadedFile("q4.xlsx", data), follow=True)
    assert "Imported q4.xlsx: 2 rows, 2 created, 0 updated, 0 unchanged." in page_text(response)
    assert Actual.objects.get(measure=ent.ret_measures[0], period=Q4).note == "from Excel"


def test_a_file_larger_than_the_memory_limit_is_read_as_a_stream_from_its_temporary_file(
    ent: Any, personas: Any
) -> None:
    lines = [HEADER] + [f"RET,R1.1,{dt.date(2000, 1, 31) + dt.timedelta(days=i)},{i},padding note {i}"
                        for i in range(3000)]
    seen: list[Any] = []
    real = results_io.import_actuals

    def spy(source: Any, **kwargs: Any) -> Any:
        seen.append(source)
        return real(source, **kwargs)

    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=10_000), \
            mock.patch("cascade.web.results_files.results_io.import_actuals", spy):
        response = upload(personas.manager, csv_upload(lines), follow=True)
    assert "3000 rows, 3000 created" in page_text(response)
    # The importer got the temporary file on disk (a stream), not the content as bytes in memory.
    assert len(seen) == 1 and isinstance(seen[0], tempfile._TemporaryFileWrapper)
    assert seen[0].name.startswith(tempfile.gettempdir())


# ------------------------------------------------------------------------------------------------ errors
def test_every_error_kind_is_listed_with_row_column_and_reason_and_nothing_is_written(
    ent: Any, personas: Any
) -> None:
    before = snapshot()
    response = upload(personas.updater, csv_upload([
        HEADER,
        "RET,R1.1,2026-12-31,10,fine",      # 2: valid
        "NOPE,R1.1,2026-12-31,10,",         # 3: unknown unit
        "RET,GHOST,2026-12-31,10,",         # 4: unknown measure
        "RET,R1.1,31/12/2026,10,",          # 5: bad period
        "RET,R2.1,2026-12-31,lots,",        # 6: bad value
        "WHS,FILL,2026-12-31,10,",          # 7: a unit outside RET (the updater may not enter WHS results)
        "RET,R1.1,2026-12-31,11,",          # 8: duplicate of row 2
    ], name="q4.csv"))
    assert response.status_code == 400
    assert error_rows(response) == [
        ("3", "unit", "Unknown unit 'NOPE'"),
        ("4", "measure", "Unknown measure 'GHOST' in the map of unit RET"),
        ("5", "period", "'31/12/2026' is not a date in the form YYYY-MM-DD"),
        ("6", "value", "'lots' is not a number"),
        ("7", "unit", "Unit WHS is not RET or a unit below it: this upload takes results for RET and its subtree "
                      "only"),
        ("8", "period", "RET:R1.1 for 2026-12-31 is already given in row 2; one value per measure and period"),
    ]
    text = page_text(response)
    assert "Nothing was written." in text and "q4.csv has 6 problems" in text
    assert snapshot() == before


def test_an_executive_on_the_ret_page_may_not_write_wholesale_rows_either(ent: Any, personas: Any) -> None:
    response = upload(personas.executive, csv_upload([HEADER, "WHS,FILL,2026-12-31,10,"]))
    assert response.status_code == 400
    assert error_rows(response)[0][:2] == ("2", "unit")
    # From the enterprise's page the same file is fine: the page's unit sets the scope, the role the limit.
    assert upload(personas.executive, csv_upload([HEADER, "WHS,FILL,2026-12-31,10,"]),
                  url="/units/NW/results/upload/").status_code == 302


def test_a_unit_where_the_user_may_not_enter_results_is_refused_row_by_row(ent: Any, personas: Any) -> None:
    # The page checks the role on the page's unit; the importer checks it again on every row's unit. A role
    # that covers RET but not RET-EC cannot be built today (roles cover subtrees), so the check is seen through
    # the importer the page calls, with a user who holds no role at all.
    nobody = UserFactory(username="nobody")
    result = results_io.import_actuals(io.BytesIO(f"{HEADER}\nRET-EC,CONV,2026-12-31,1,\n".encode()), user=nobody,
                                       within=ent.tree.ret)
    assert [str(e) for e in result.errors] == [
        "row 2, column unit: you may not enter results for unit RET-EC (it needs the updater or manager role on it "
        "or on a unit above it)"]


def test_a_bad_last_row_of_a_large_file_writes_nothing(ent: Any, personas: Any) -> None:
    lines = [HEADER] + [f"RET,R1.1,{dt.date(2000, 1, 31) + dt.timedelta(days=i)},{i}," for i in range(5000)]
    lines.append("RET,R2.1,2026-12-31,oops,")
    before = snapshot()
    response = upload(personas.manager, csv_upload(lines))
    assert response.status_code == 400
    assert error_rows(response) == [("5002", "value", "'oops' is not a number")]
    assert snapshot() == before


def test_very_many_errors_are_counted_and_the_first_ones_listed(ent: Any, personas: Any) -> None:
    lines = [HEADER] + [f"RET,R1.1,2026-12-{i % 28 + 1:02d},x{i}," for i in range(1200)]
    response = upload(personas.manager, csv_upload(lines))
    assert response.status_code == 400
    assert len(error_rows(response)) == 1000
    text = page_text(response)
    assert "has 1200 problems" in text and "The first 1000 are listed below and 200 more are not." in text
    assert "Problems\n    by column: value 1200." in text


@pytest.mark.parametrize(("name", "content", "message"), [
    ("report.pdf", b"%PDF-1.4\n%binary", "“report.pdf” is not a CSV or XLSX file: upload a .csv (CSV UTF-8) or an "
                                         ".xlsx file."),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "“old.xls” is a spreadsheet in the .xls format, which cannot be read: save it as an Excel workbook (.xlsx) or as "
     "CSV UTF-8 (.csv)."),
    ("empty.csv", b"", "The file is empty: its first row must be the header unit, measure, period, value, note."),
    ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "Row 1: the file is not UTF-8 text"),
    ("broken.xlsx", b"unit,measure,period,value,note\n", "The file is not a readable .xlsx workbook"),
    ("zip.xlsx", b"PK\x03\x04 not really a zip", "The file is not a readable .xlsx workbook"),
    ("blank.csv", b"\r\n\r\n", "The file is empty; the first row must be the header"),
    ("columns.csv", b"unit,measure,period,value\r\nRET,R1.1,2026-12-31,1\r\n",
     "Row 1 (the header), column note: missing column note (the header must name unit, measure, period, value, "
     "note)"),
])
def test_a_file_that_is_not_a_results_spreadsheet_gets_one_message_and_status_400(
    ent: Any, personas: Any, name: str, content: bytes, message: str
) -> None:
    before = snapshot()
    response = upload(personas.manager, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    text = page_text(response)
    assert text.count('class="error-summary"') == 1 and "upload-errors" not in text
    summary = text.split('id="error-summary">', 1)[1].split("</div>", 1)[0]
    assert "Nothing was written." in summary and message in summary.replace("&#x27;", "'").replace("&quot;", '"')
    assert snapshot() == before


def test_no_file_at_all_asks_for_one(ent: Any, personas: Any) -> None:
    response = signed_in(personas.manager).post(URL, {"dry_run": "on"})
    assert response.status_code == 400
    assert "Choose a CSV or XLSX file to upload." in page_text(response)


def test_a_file_over_the_size_limit_is_dropped_while_it_arrives_with_one_message(ent: Any, personas: Any) -> None:
    lines = [HEADER] + [f"RET,R1.1,{dt.date(2000, 1, 31) + dt.timedelta(days=i)},{i}," for i in range(400)]
    before = snapshot()
    with override_settings(RESULTS_UPLOAD_MAX_BYTES=4096, RESULTS_UPLOAD_MAX_MB=1):
        response = upload(personas.manager, csv_upload(lines, name="huge.csv"))
    assert response.status_code == 413
    summary = page_text(response).split('id="error-summary">', 1)[1].split("</div>", 1)[0]
    assert ("Nothing was written.</strong> “huge.csv” is larger than the 4 KB a results file may have: split it "
            "into several files (e.g. by unit or by year).") in summary
    assert snapshot() == before


def test_the_size_limit_holds_even_for_a_file_that_slips_past_the_streaming_check(ent: Any) -> None:
    form = ResultsUploadForm({}, {"file": SimpleUploadedFile("big.csv", b"x" * 2048)}, max_bytes=1024)
    assert not form.is_valid()
    assert form.errors["file"] == ["“big.csv” (2 KB) is larger than the 1 KB a results file may have: split it "
                                   "into several files (e.g. by unit or by year)."]


# ---------------------------------------------------------------------------------------------- template
def read_csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response: Any) -> list[tuple[Any, ...]]:
    body = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True))


def test_the_csv_template_lists_the_measures_of_the_unit_and_its_subtree_for_the_period(
    ent: Any, personas: Any
) -> None:
    response = signed_in(personas.updater).get("/units/RET/results/template.csv", {"period": "2026-12-31",
                                                                                    "subtree": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="results-template-ret-subtree-2026-12-31.csv"'
    assert read_csv(response) == [
        [*HEADER.split(","), "# measure name"],
        ["RET", "R1.1", "2026-12-31", "", "", "Sales 1"],
        ["RET", "R2.1", "2026-12-31", "", "", "Sales 2"],
        ["RET-EC", "CONV", "2026-12-31", "", "", "Conversion"],
    ]


def test_the_template_defaults_to_the_unit_alone_and_the_current_period(ent: Any, personas: Any) -> None:
    response = signed_in(personas.manager).get("/units/RET/results/template.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    period = default_as_of()
    assert response["Content-Disposition"] == f'attachment; filename="results-template-ret-{period}.xlsx"'
    rows = read_xlsx(response)
    assert rows[0] == (*HEADER.split(","), "# measure name")
    assert [(r[0], r[1], r[2].date()) for r in rows[1:]] == [("RET", "R1.1", period), ("RET", "R2.1", period)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_filled_in_template_uploads_and_rows_left_blank_are_skipped(ent: Any, personas: Any, fmt: str) -> None:
    client = signed_in(personas.manager)
    response = client.get(f"/units/RET/results/template.{fmt}", {"period": "2026-12-31", "subtree": "1"})
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        lines = body.decode("utf-8-sig").splitlines()
        lines[1] = lines[1].replace("2026-12-31,,", "2026-12-31,95,")  # R1.1; R2.1 and CONV left blank
        file = SimpleUploadedFile("filled.csv", "\n".join(lines).encode("utf-8-sig"))
    else:
        book = openpyxl.load_workbook(io.BytesIO(body))
        book.worksheets[0]["D2"] = 95
        out = io.BytesIO()
        book.save(out)
        file = SimpleUploadedFile("filled.xlsx", out.getvalue())
    done = client.post(URL, {"file": file}, follow=True)
    assert (f"Imported filled.{fmt}: 3 rows, 1 created, 0 updated, 0 unchanged, 2 blank template rows skipped."
            in page_text(done))
    assert Actual.objects.get(measure=ent.ret_measures[0], period=Q4).value == 95


def test_the_template_needs_the_right_to_enter_results(ent: Any, personas: Any) -> None:
    assert signed_in(personas.viewer).get("/units/RET/results/template.csv").status_code == 403
    with override_settings(SCORECARD_VIEWERS_SEE_ALL=False):
        assert signed_in(personas.outsider_manager).get("/units/RET/results/template.csv").status_code == 404
    assert Client().get("/units/RET/results/template.csv").status_code == 302


@pytest.mark.parametrize(("query", "message"), [
    ({"period": "30/09/2026"}, "period: “30/09/2026” is not a date; use YYYY-MM-DD"),
    ({"period": "2026-W39-3"}, "period: “2026-W39-3” is not a date"),
    ({"period": "2026-09-15"}, "period: 2026-09-15 is not the last day of a month"),
    ({"subtree": "maybe"}, "subtree: “maybe” is neither yes nor no"),
])
def test_a_bad_template_parameter_is_a_400_naming_it(ent: Any, personas: Any, query: dict[str, str],
                                                      message: str) -> None:
    response = signed_in(personas.manager).get("/units/RET/results/template.csv", query)
    assert response.status_code == 400
    assert message in page_text(response)


def test_a_unit_without_measures_gets_a_message_instead_of_an_empty_template(ent: Any, personas: Any) -> None:
    response = signed_in(personas.executive).get("/units/NW/results/template.csv", follow=True)
    assert response.redirect_chain == [("/units/NW/results/upload/", 302)]
    assert "NW has no measures yet, so a template would be empty." in page_text(response)


# ------------------------------------------------------------------------------------------------ export
def test_the_csv_export_holds_the_units_values_in_the_period_range(ent: Any, personas: Any) -> None:
    response = signed_in(personas.viewer).get("/units/RET/results/export.csv",
                                              {"from": "2026-04-01", "to": "2026-09-30"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (response["Content-Disposition"]
            == 'attachment; filename="results-ret-from-2026-04-01-to-2026-09-30.csv"')
    assert read_csv(response) == [
        HEADER.split(","),
        ["RET", "R1.1", "2026-06-30", "100", "Quarter 3 note"],
        ["RET", "R1.1", "2026-09-30", "110", "Quarter 4 note"],
        ["RET", "R2.1", "2026-06-30", "100", "Quarter 3 note"],
        ["RET", "R2.1", "2026-09-30", "110", "Quarter 4 note"],
    ]


def test_the_xlsx_export_and_open_ended_ranges(ent: Any, personas: Any) -> None:
    ActualFactory(measure=ent.extra["conv"], period=Q3, value=4)
    response = signed_in(personas.viewer).get("/units/RET/results/export.xlsx", {"to": "2026-03-31",
                                                                                  "subtree": "1"})
    assert response["Content-Disposition"] == 'attachment; filename="results-ret-subtree-to-2026-03-31.xlsx"'
    rows = read_xlsx(response)
    assert rows[0] == tuple(HEADER.split(","))
    assert [(r[0], r[1], r[2].date(), r[3]) for r in rows[1:]] == [
        ("RET", "R1.1", dt.date(2025, 12, 31), 80), ("RET", "R1.1", dt.date(2026, 3, 31), 90),
        ("RET", "R2.1", dt.date(2025, 12, 31), 80), ("RET", "R2.1", dt.date(2026, 3, 31), 90)]
    everything = read_xlsx(signed_in(personas.viewer).get("/units/RET/results/export.xlsx", {"subtree": "1"}))
    assert ("RET-EC", "CONV") in {(r[0], r[1]) for r in everything}
    assert "WHS" not in {r[0] for r in everything}


@override_settings(SCORECARD_VIEWERS_SEE_ALL=False)
def test_the_export_holds_only_units_the_reader_may_see(ent: Any, personas: Any) -> None:
    ActualFactory(measure=ent.extra["conv"], period=Q3, value=4)
    ActualFactory(measure=ent.extra["fill"], period=Q3, value=5)
    ec_viewer = UserFactory(username="ec_viewer")
    MembershipFactory(user=ec_viewer, unit=ent.tree.ret_ec, role="viewer")
    assert signed_in(ec_viewer).get("/units/RET/results/export.csv").status_code == 404
    assert signed_in(ec_viewer).get("/units/NW/results/export.csv", {"subtree": "1"}).status_code == 404
    own = read_csv(signed_in(ec_viewer).get("/units/RET-EC/results/export.csv", {"subtree": "1"}))
    assert [r[:2] for r in own[1:]] == [["RET-EC", "CONV"]]
    # The scope is applied to the rows themselves, not only to the page's unit: the enterprise's subtree read
    # through the RET viewer's scope holds RET and RET-EC, never WHS.
    rows = results_io.export_rows(ent.tree.nw, subtree=True,
                                  within=access.units_where(personas.viewer, Action.VIEW))
    assert {r[0] for r in rows} == {"RET", "RET-EC"}
    executive = read_csv(signed_in(personas.executive).get("/units/NW/results/export.csv", {"subtree": "1"}))
    assert {r[0] for r in executive[1:]} == {"RET", "RET-EC", "WHS"}


def test_the_csv_export_guards_against_formulas_and_the_xlsx_export_keeps_them_as_text(
    ent: Any, personas: Any
) -> None:
    ActualFactory(measure=ent.ret_measures[0], period=Q4, value=1, note='=HYPERLINK("http://evil.example","x")')
    rows = read_csv(signed_in(personas.viewer).get("/units/RET/results/export.csv", {"from": "2026-12-31"}))
    assert rows[1][4] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    body = b"".join(signed_in(personas.viewer).get("/units/RET/results/export.xlsx",
                                                   {"from": "2026-12-31"}).streaming_content)
    cell = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]["E2"]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://evil.example","x")')


@pytest.mark.parametrize(("query", "message"), [
    ({"from": "yesterday"}, "from: “yesterday” is not a date; use YYYY-MM-DD"),
    ({"to": "2026-02-30"}, "to: “2026-02-30” is not a date"),
    ({"from": "2026-09-30", "to": "2026-01-01"}, "to: 2026-01-01 is before from: 2026-09-30."),
])
def test_a_bad_export_date_is_a_400_naming_the_parameter(ent: Any, personas: Any, query: dict[str, str],
                                                         message: str) -> None:
    response = signed_in(personas.viewer).get("/units/RET/results/export.csv", query)
    assert response.status_code == 400
    assert message in page_text(response)


def test_the_export_needs_a_signed_in_user_who_sees_the_unit(ent: Any, personas: Any) -> None:
    assert Client().get("/units/RET/results/export.csv").status_code == 302
    assert signed_in(personas.viewer).get("/units/NOPE/results/export.csv").status_code == 404
    assert signed_in(personas.viewer).get("/units/RET/results/export.pdf").status_code == 404


# ------------------------------------------------------------------------------------------ links, cost
def test_the_results_page_and_the_unit_navigation_link_the_upload_page_for_those_who_may_update(
    ent: Any, personas: Any
) -> None:
    results = page_text(signed_in(personas.updater).get("/units/RET/results/", {"period": "2026-09-30"}))
    assert f'href="{URL}"' in results
    assert 'href="/units/RET/results/template.csv?period=2026-09-30"' in results
    assert 'href="/units/RET/results/export.xlsx"' in results
    for user, shown in ((personas.updater, True), (personas.manager, True), (personas.viewer, False)):
        scorecard = page_text(signed_in(user).get("/units/RET/", {"as_of": "2026-09-30"}))
        assert (f'href="{URL}"' in scorecard) is shown


def test_the_upload_page_links_the_template_and_the_export_and_states_the_limit(ent: Any, personas: Any) -> None:
    text = page_text(signed_in(personas.manager).get(URL))
    assert 'action="/units/RET/results/template.csv"' in text
    assert 'formaction="/units/RET/results/export.xlsx"' in text
    assert '<script src="/static/js/upload.js" defer></script>' in text
    assert 'data-max-bytes="52428800"' in text and "at most 50 MB" in text


@pytest.mark.parametrize("extra_measures", [0, 30], ids=["small", "large"])
def test_the_upload_page_costs_a_fixed_number_of_queries(
    ent: Any, personas: Any, django_assert_num_queries: Any, extra_measures: int
) -> None:
    for i in range(extra_measures):
        MeasureFactory(objective=ent.ret_objectives[0], code=f"X{i}")
    client = signed_in(personas.manager)
    # session and user 2 + unit by code 1 + access (executive group, memberships) 2
    with django_assert_num_queries(5):
        assert client.get(URL).status_code == 200


def test_an_upload_costs_the_same_queries_for_ten_rows_as_for_a_thousand(ent: Any, personas: Any) -> None:
    counts = []
    for offset, size in ((0, 10), (100, 1000)):
        lines = [HEADER] + [f"RET,R1.1,{dt.date(1990, 1, 31) + dt.timedelta(days=offset + i)},{i},"
                            for i in range(size)]
        with CaptureQueriesContext(connection) as queries:
            assert upload(personas.manager, csv_upload(lines)).status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_hostile_file_name_is_shown_as_text(ent: Any, personas: Any) -> None:
    name = '<img src=x onerror="alert(1)">.csv'  # no slash: Django keeps only what follows the last one
    bad = upload(personas.manager, csv_upload([HEADER, "RET,R1.1,2026-12-31,lots,"], name=name))
    assert bad.status_code == 400
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.csv"
    assert "<img" not in page_text(bad) and f"Problems in {escaped}" in page_text(bad)
    good = upload(personas.manager, csv_upload([HEADER, "RET,R1.1,2026-12-31,1,"], name=name), follow=True)
    assert "<img" not in page_text(good) and f"Imported {escaped}: 1 row" in page_text(good)


def test_viewers_find_the_export_in_the_unit_navigation_and_updaters_the_upload(ent: Any, personas: Any) -> None:
    viewer_page = signed_in(personas.viewer).get("/units/RET/").content.decode()
    assert 'href="/units/RET/results/export.xlsx?subtree=1"' in viewer_page and "/results/upload/" not in viewer_page
    updater_page = signed_in(personas.updater).get("/units/RET/").content.decode()
    assert 'href="/units/RET/results/upload/"' in updater_page
