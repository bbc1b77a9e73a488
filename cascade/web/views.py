"""Thin views: find the object through ``scorecard.access`` (404 outside what the user may see, 403 for a
write out of scope), read page data from ``cascade.web.pages`` (which calls the engine and the renderer),
write through ``cascade.web.writes``. State changes are POST only, each form carries a CSRF token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cascade.render.runner import RenderError
from cascade.web import forms, pages, writes
from cascade.web.params import BadParameter, bad_request, date_param, reads_parameters
from scorecard import access
from scorecard.access import Action
from scorecard.models import Impact, Initiative, Measure, Objective, OrgUnit

PAPERS = ("a4", "a3")


def _unit(request: HttpRequest, code: str, action: Action = Action.VIEW) -> OrgUnit:
    unit = get_object_or_404(OrgUnit, code=code)
    if not access.can(request.user, Action.VIEW, unit):
        raise Http404(f"No unit {code}")  # out of sight: do not confirm it exists
    if action > Action.VIEW and not access.can(request.user, action, unit):
        raise PermissionDenied(f"Your role does not let you change {unit.code}.")
    return unit


def _initiative(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> Initiative:
    initiative = get_object_or_404(Initiative.objects.select_related("unit"), pk=pk)
    if not access.can(request.user, Action.VIEW, initiative.unit):
        raise Http404(f"No initiative {pk}")
    if action > Action.VIEW and not access.can(request.user, action, initiative.unit):
        raise PermissionDenied(
            f"Your role does not let you change initiatives of {initiative.unit.code}."
        )
    return initiative


def _as_of(request: HttpRequest) -> dt.date:
    return date_param(request, "as_of") or pages.default_as_of()


def _all_history(request: HttpRequest) -> bool:
    """``?history=all``: every change instead of the newest few (anything else: the newest few)."""
    return request.GET.get("history") == "all"


def _map_dates(request: HttpRequest) -> dict[str, Any]:
    """``as_of``, ``structure_as_of`` and ``changes_since`` of the map views. The status of a past structure is
    as of the structure's own date unless ``as_of`` says otherwise: the map a meeting on that day saw."""
    structure_as_of, changes_since = date_param(request, "structure_as_of"), date_param(request, "changes_since")
    as_of = date_param(request, "as_of") or structure_as_of or pages.default_as_of()
    if changes_since is not None and changes_since > (structure_as_of or dt.date.today()):
        raise BadParameter(f"changes_since: {changes_since.isoformat()} is after the version it is compared with; "
                           "choose an earlier date.")
    return {"as_of": as_of, "structure_as_of": structure_as_of, "changes_since": changes_since}


# ------------------------------------------------------------------------------------------------ reading
@login_required
@require_GET
@reads_parameters
def home(request: HttpRequest) -> HttpResponse:
    as_of = _as_of(request)
    return render(request, "web/home.html", pages.home(request.user, as_of))


@login_required
@require_GET
@reads_parameters
def unit_scorecard(request: HttpRequest, code: str) -> HttpResponse:
    if code.isdigit() and not OrgUnit.objects.filter(code=code).exists():
        # The renderer links unit clusters by id (/units/<id>/: no user text in its URLs); send those to the
        # readable address. A unit whose code is all digits keeps priority over an id.
        found = OrgUnit.objects.filter(pk=int(code)).first()
        if found is not None and access.can(request.user, Action.VIEW, found):
            query = f"?{request.GET.urlencode()}" if request.GET else ""
            return redirect(f"{reverse('web:scorecard', args=[found.code])}{query}")
    unit = _unit(request, code)
    as_of = _as_of(request)
    return render(request, "web/scorecard.html", pages.scorecard(request.user, unit, as_of))


@login_required
@require_GET
@reads_parameters
def unit_map(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    dates = _map_dates(request)
    return render(request, "web/map.html", pages.map_page(request.user, unit, dates.pop("as_of"), **dates))


def _paper(request: HttpRequest) -> str:
    paper = request.GET.get("paper", "a4").lower()
    if paper not in PAPERS:
        raise BadParameter(f"paper: “{paper}” is not a paper size; use a4 or a3.")
    return paper


@login_required
@require_GET
@reads_parameters
def unit_map_print(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    dates, paper = _map_dates(request), _paper(request)
    as_of = dates.pop("as_of")
    if request.GET.get("download") == "pdf":
        return _pdf_response(request, unit, as_of, paper, **dates)
    return render(request, "web/map_print.html", pages.print_page(request.user, unit, as_of, paper, **dates))


@login_required
@require_GET
@reads_parameters
def unit_map_pdf(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    dates, paper = _map_dates(request), _paper(request)
    return _pdf_response(request, unit, dates.pop("as_of"), paper, **dates)


def _pdf_response(request: HttpRequest, unit: OrgUnit, as_of: dt.date, paper: str, *,
                  structure_as_of: dt.date | None = None, changes_since: dt.date | None = None) -> HttpResponse:
    try:
        rendered = pages.map_pdf(unit, as_of, paper, structure_as_of=structure_as_of, changes_since=changes_since)
    except RenderError as exc:
        return bad_request(request, str(exc), status=pages.RENDER_STATUS.get(exc.code, 500))
    response = HttpResponse(rendered.data, content_type=rendered.content_type)
    # The renderer's file name is built from codes through css_token (letters, digits, - and _ only).
    response["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    return response


@login_required
@require_GET
@reads_parameters
def unit_cascade(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    as_of = _as_of(request)
    try:
        depth = pages.parse_depth(request.GET.get("depth"))
    except ValueError as exc:
        raise BadParameter(str(exc)) from None
    aligned_only = request.GET.get("aligned") == "1"
    return render(request, "web/cascade.html",
                  pages.cascade_page(request.user, unit, as_of, depth=depth, aligned_only=aligned_only))


@login_required
@require_GET
@reads_parameters
def unit_gaps(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    as_of = _as_of(request)
    return render(request, "web/gaps.html", pages.gaps_page(request.user, unit, as_of))


@login_required
@require_GET
@reads_parameters
def objective_detail(request: HttpRequest, pk: int) -> HttpResponse:
    objective = get_object_or_404(Objective.objects.select_related("map__unit"), pk=pk)
    if not access.can(request.user, Action.VIEW, objective.map.unit):
        raise Http404(f"No objective {pk}")
    as_of = _as_of(request)
    return render(request, "web/objective.html", pages.objective_page(request.user, objective, as_of,
                                                                      all_history=_all_history(request)))


@login_required
@require_GET
@reads_parameters
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _initiative(request, pk)
    as_of = _as_of(request)
    context = pages.initiative_page(request.user, initiative, as_of, all_history=_all_history(request))
    if context["can_manage"]:
        context["link_form"] = forms.ImpactForm(objectives=context["linkable"])
    return render(request, "web/initiative.html", context)


# ------------------------------------------------------------------------------------------------ writing
@login_required
@require_http_methods(["GET", "POST"])
@reads_parameters
def unit_results(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Action.UPDATE)
    measures = list(Measure.objects.filter(map__unit=unit).select_related("objective__perspective")
                    .order_by("objective__perspective__position", "objective__code", "code"))
    if request.method == "POST":
        form = forms.ResultsForm(request.POST, measures=measures)
        if form.is_valid():
            cells = form.cells()
            if form.is_valid() and not cells:
                form.add_error(None, "Nothing to save: enter at least one value.")
            if form.is_valid():
                try:
                    saved = writes.results_enter(period=form.cleaned_data["period"], cells=cells,
                                                 user=request.user)
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, f"Saved {len(saved)} value(s) for "
                                              f"{form.cleaned_data['period'].isoformat()}.")
                    return redirect(f"{request.path}?period={form.cleaned_data['period'].isoformat()}")
    else:
        period = date_param(request, "period") or pages.default_as_of()
        form = forms.ResultsForm(initial=pages.results_initial(measures, period), measures=measures)
    return render(request, "web/results.html", {"unit": unit, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def initiative_new(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code, Action.MANAGE)
    form = forms.InitiativeForm(request.POST or None, instance=Initiative(unit=unit))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in forms.InitiativeForm.Meta.fields}
        try:
            initiative = writes.initiative_create(unit=unit, fields=fields)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Initiative {initiative.code} created. Link it to the objectives it moves.")
            return redirect("web:initiative", pk=initiative.pk)
    return render(request, "web/initiative_form.html", {"unit": unit, "form": form})


def _form_errors(form: Any, exc: ValidationError) -> None:
    """Put a model ValidationError on the form, field by field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_POST
def initiative_link(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _initiative(request, pk, Action.MANAGE)
    linkable = pages.linkable_objectives(initiative)
    form = forms.ImpactForm(request.POST, objectives=linkable)
    if form.is_valid():
        objective = form.cleaned_data["objective"]
        try:
            writes.impact_link(initiative=initiative, objective=objective,
                               weight=form.cleaned_data["weight"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{initiative.code} now moves {objective.map.unit.code}:{objective.code}.")
            return redirect("web:initiative", pk=initiative.pk)
    context = pages.initiative_page(request.user, initiative, pages.default_as_of())
    context["link_form"] = form
    return render(request, "web/initiative.html", context)


@login_required
@require_POST
def initiative_unlink(request: HttpRequest, pk: int, impact_pk: int) -> HttpResponse:
    initiative = _initiative(request, pk, Action.MANAGE)
    impact = get_object_or_404(Impact.objects.select_related("objective__map__unit"), pk=impact_pk,
                               initiative=initiative)
    writes.impact_unlink(impact=impact)
    messages.success(request, f"{initiative.code} no longer linked to "
                              f"{impact.objective.map.unit.code}:{impact.objective.code}.")
    return redirect("web:initiative", pk=initiative.pk)


@login_required
@require_http_methods(["GET", "POST"])
def initiative_progress(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _initiative(request, pk, Action.UPDATE)
    milestones = list(initiative.milestones.all())
    initial = {"percent_complete": initiative.percent_complete, "spent": initiative.spent,
               "status_note": initiative.status_note, "version": initiative.version,
               **{f"done_{m.pk}": m.done for m in milestones}}
    form = forms.ProgressForm(request.POST or None, initial=initial, milestones=milestones)
    if request.method == "POST" and form.is_valid():
        try:
            writes.initiative_progress_update(
                initiative=initiative, version=form.cleaned_data["version"],
                percent_complete=form.cleaned_data["percent_complete"],
                spent=form.cleaned_data["spent"], status_note=form.cleaned_data["status_note"],
                milestones_done=form.milestones_done(),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Progress of {initiative.code} saved.")
            return redirect("web:initiative", pk=initiative.pk)
    return render(request, "web/initiative_progress.html", {"initiative": initiative, "form": form})
