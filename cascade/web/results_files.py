"""Results files on the pages: a unit's upload page, its results template and its results export.

Thin views over ``scorecard.results_io`` (the same code as ``manage.py import_actuals``, ``actuals_template`` and
``export_actuals``): they read the request, call it with the request's user, and render the outcome.

- Upload (UPDATE on the unit): the file may hold rows for the unit and for the units below it, nothing else,
  so that the page a file is uploaded on says where it can write. Every row is checked first (including the
  user's role on each row's unit); any problem and nothing is written, and every problem is listed by row and
  column with status 400. Otherwise all rows are written in one transaction and the page redirects
  (POST/redirect/GET) with the counts. The history records the uploading user.
- The upload streams: Django writes a file above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file and the
  importer reads that file as a stream, a row at a time. A file above RESULTS_UPLOAD_MAX_BYTES is dropped while
  it arrives (see ``_SizeLimit``).
- Template (UPDATE) and export (VIEW): CSV or XLSX, written to a spooled temporary file (memory up to
  ``SPOOL_BYTES``, then disk) and sent from there.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from cascade.render.escape import css_token
from cascade.web import forms, pages
from cascade.web.params import bad_request, date_param, flag_param, reads_parameters
from cascade.web.views import _unit
from scorecard import access, results_io
from scorecard.access import Action
from scorecard.models import OrgUnit

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A file with very many bad rows would make a page of megabytes: the first ones are listed, the rest counted.
MAX_ERRORS_SHOWN = 1000
SPOOL_BYTES = 4 * 1024 * 1024
# Excel opens a CSV without a byte order mark as the local code page and garbles accents; the importer skips it.
UTF8_BOM = b"\xef\xbb\xbf"


class _SizeLimit(FileUploadHandler):
    """Drops an uploaded file as soon as it grows past the limit.

    The rest of the file is still read off the connection, but thrown away as it arrives (Django's multipart
    parser skips it): nothing more is stored in memory or on disk, and the browser, which is still sending,
    gets the page that says why rather than a reset connection.
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.dropped: str | None = None  # the name of the file that was too large

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.dropped = self.file_name or "the file"
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers (memory or temporary file) keep the file


# ------------------------------------------------------------------------------------------------- upload
@csrf_exempt  # only so that the size limit is in place before anything reads the body; _upload checks CSRF
@login_required
@require_http_methods(["GET", "POST"])
def results_upload(request: HttpRequest, code: str) -> HttpResponse:
    # The role is checked before the body is read: an upload out of scope is refused without being received.
    unit = _unit(request, code, Action.UPDATE)
    limit = _SizeLimit(request, settings.RESULTS_UPLOAD_MAX_BYTES)
    request.upload_handlers.insert(0, limit)
    return _upload(request, unit, limit)


@csrf_protect
def _upload(request: HttpRequest, unit: OrgUnit, limit: _SizeLimit) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, unit, _form())
    form = _form(request.POST, request.FILES)
    if limit.dropped is not None:
        return _upload_page(request, unit, _form(), status=413,
                            problem=forms.too_large(limit.dropped, None, limit.limit))
    if not form.is_valid():
        return _upload_page(request, unit, form, status=400)
    upload = form.cleaned_data["file"]
    dry_run = form.cleaned_data["dry_run"]
    upload.seek(0)
    # The upload's own file object (a temporary file, or memory for a small one), read as a stream; its name
    # (a temporary path) says nothing, so the name the browser sent goes along for telling the format.
    result = results_io.import_actuals(upload.file, name=upload.name, user=request.user, dry_run=dry_run,
                                       within=unit, reason=f"upload {upload.name}"[:100])
    if result.errors:
        return _upload_page(request, unit, _form(initial={"dry_run": dry_run}), status=400, result=result,
                            filename=upload.name)
    rows = f"{result.rows} row{'s' if result.rows != 1 else ''}"
    if dry_run:
        messages.info(request, f"Checked {upload.name} (dry run): {rows}, all valid; importing it would give "
                               f"{result.summary()}. Nothing was written.")
    else:
        messages.success(request, f"Imported {upload.name}: {rows}, {result.summary()}.")
    return redirect("web:results-upload", code=unit.code)


def _form(*args: Any, **kwargs: Any) -> forms.ResultsUploadForm:
    return forms.ResultsUploadForm(*args, max_bytes=settings.RESULTS_UPLOAD_MAX_BYTES, **kwargs)


def _upload_page(request: HttpRequest, unit: OrgUnit, form: forms.ResultsUploadForm, *, status: int = 200,
                 problem: str = "", result: results_io.ImportResult | None = None,
                 filename: str = "") -> HttpResponse:
    errors = result.errors if result is not None else []
    problems = [problem] if problem else []
    if any(e.row is None or e.row == 1 for e in errors):
        # The file as a whole cannot be read, or its header is wrong (then no data row was checked): a message
        # rather than a table. Header problems still name their row and columns.
        problems = [e.reason if e.row is None or not e.column else f"Row {e.row} (the header), column {e.column}: "
                    f"{e.reason}" for e in errors]
        errors = []
    by_column = Counter(e.column or "(whole row)" for e in errors)
    context = {
        "unit": unit, "form": form, "problems": problems, "filename": filename,
        "errors": errors[:MAX_ERRORS_SHOWN], "error_count": len(errors),
        "errors_hidden": max(0, len(errors) - MAX_ERRORS_SHOWN),
        "errors_by_column": by_column.most_common() if len(errors) > MAX_ERRORS_SHOWN else [],
        "max_mb": settings.RESULTS_UPLOAD_MAX_MB, "max_bytes": settings.RESULTS_UPLOAD_MAX_BYTES,
        "period": pages.default_as_of(), "columns": results_io.COLUMNS,
    }
    return render(request, "web/results_upload.html", context, status=status)


# ------------------------------------------------------------------------------------------ downloads
@login_required
@require_GET
@reads_parameters
def results_template(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    unit = _unit(request, code, Action.UPDATE)
    period = date_param(request, "period") or pages.default_as_of()
    subtree = flag_param(request, "subtree")
    if not forms.is_period_end(period):
        return bad_request(request, f"period: {period.isoformat()} is not the last day of a month; a period is "
                                    "named by its last day (e.g. 2026-09-30).")
    measures = list(results_io.template_rows(unit, subtree=subtree,
                                             within=access.units_where(request.user, Action.UPDATE)))
    if not measures:
        where = f"{unit.code} and the units below it have" if subtree else f"{unit.code} has"
        messages.error(request, f"{where} no measures yet, so a template would be empty.")
        return redirect("web:results-upload", code=unit.code)
    rows = [(u, m, period, None, "") for u, m, _name in measures]
    filename = f"results-template-{css_token(unit.code)}{'-subtree' if subtree else ''}-{period.isoformat()}"
    return _file(rows, fmt, filename, comments=[name for _u, _m, name in measures])


@login_required
@require_GET
@reads_parameters
def results_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    unit = _unit(request, code)
    start, end = date_param(request, "from"), date_param(request, "to")
    subtree = flag_param(request, "subtree")
    if start and end and end < start:
        return bad_request(request, f"to: {end.isoformat()} is before from: {start.isoformat()}.")
    # Only units the reader may see, whatever the subtree holds.
    rows = results_io.export_rows(unit, subtree=subtree, start=start, end=end,
                                  within=access.units_where(request.user, Action.VIEW))
    span = (f"-from-{start.isoformat()}" if start else "") + (f"-to-{end.isoformat()}" if end else "")
    return _file(rows, fmt, f"results-{css_token(unit.code)}{'-subtree' if subtree else ''}{span}")


def _file(rows: Iterable[results_io.ExportRow], fmt: str, stem: str,
          comments: Iterable[str] | None = None) -> FileResponse:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - FileResponse closes it
    if fmt == "csv":
        out.write(UTF8_BOM)
    results_io.write_export(rows, out, fmt, comments=comments)
    out.seek(0)
    # The stem is built from css_token(code) and ISO dates only: letters, digits, - and _.
    return FileResponse(out, as_attachment=True, filename=f"{stem}.{fmt}", content_type=CONTENT_TYPES[fmt])
