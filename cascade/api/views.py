"""Read endpoints that need roll-ups, analyses and renders: thin views over the engine's public functions.

- ``GET /api/units/{id}/scorecard/``  the scorecard JSON (``cascade.rollup.scorecard_json``, as ``manage.py
  scorecard --json``)
- ``GET /api/units/{id}/analysis/``   gaps, warnings, leverage, cycles (``cascade.analysis.analysis_json``, as
  ``manage.py analyse --json``)
- ``GET /api/units/{id}/graph/``      the unit subtree's strategy graph as nodes and edges, with scores
- ``GET /api/units/{id}/objectives/?status=red,amber`` and ``/api/units/{id}/initiatives/?health=at_risk``:
  the subtree's objectives by status and initiatives by health (the status filter needs the roll-up)
- ``GET /api/units/{id}/map/``, ``/api/units/{id}/cascade/``, ``/api/initiatives/{id}/impact/``,
  ``/api/objectives/{id}/drivers/``: renders (``cascade.render.api``) as SVG, PDF, PNG or DOT.

Query parameters: ``as_of`` (YYYY-MM-DD, default today), and for renders ``fmt`` (svg, pdf, png, dot; DRF
reserves ``format``), ``paper`` (a4, a3, letter), ``status`` (colour by status, default true), ``dpi`` (PNG);
for the map also ``structure_as_of`` (the map as it stood on that day, from the change history).
Each object is looked up in the reader's VIEW scope (``scorecard.access``): outside it, 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cascade.analysis import analysis_json
from cascade.graph import build_graph
from cascade.loader import load_snapshot
from cascade.render.api import Rendered, render_cascade, render_drivers, render_impact, render_map
from cascade.render.dot import PAPERS
from cascade.render.runner import FORMATS, RenderError
from cascade.rollup import compute_scores, scorecard_json
from scorecard import access
from scorecard.access import Action
from scorecard.api.permissions import UnitScopedPermission
from scorecard.models import Initiative, Objective, OrgUnit

# Dates the scoring arithmetic is meant for; beyond them a period calendar would overflow.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


class AsOfQuery(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Score as of this date (YYYY-MM-DD); default today.")

    def validate_as_of(self, value: dt.date) -> dt.date:
        if not EARLIEST <= value <= LATEST:
            raise ValidationError(f"Choose a date between {EARLIEST} and {LATEST}.")
        return value


class AnalysisQuery(AsOfQuery):
    top = serializers.IntegerField(required=False, default=10, min_value=0, max_value=100,
                                   help_text="How many objectives to rank by leverage.")


class RenderQuery(AsOfQuery):
    fmt = serializers.ChoiceField(choices=sorted(FORMATS), default="svg", help_text="svg, pdf, png or dot.")
    paper = serializers.ChoiceField(choices=sorted(PAPERS), default="a4", help_text="Page size for pdf and png.")
    status = serializers.BooleanField(default=True, help_text="Colour by status as of the date (false: draft).")
    dpi = serializers.IntegerField(required=False, min_value=36, max_value=600, help_text="PNG resolution.")


class MapQuery(RenderQuery):
    structure_as_of = serializers.DateField(
        required=False, help_text="Draw the map as it stood at the end of this day (YYYY-MM-DD), from the change "
                                  "history; statuses as of that day unless as_of is given.")

    def validate_structure_as_of(self, value: dt.date) -> dt.date:
        return self.validate_as_of(value)


class CascadeQuery(RenderQuery):
    depth = serializers.IntegerField(required=False, default=2, min_value=0, max_value=20,
                                     help_text="Levels below the unit.")
    aligned_only = serializers.BooleanField(default=False, help_text="Only objectives linked by alignment.")


def read_query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class RenderFailed(APIException):
    status_code = 503
    default_detail = "The diagram could not be drawn."
    default_code = "render_failed"


# RenderError codes -> HTTP status: the caller's mistake is a 4xx, Graphviz trouble a 5xx that says so.
RENDER_STATUS = {"bad_request": 400, "too_large": 422, "timeout": 503, "graphviz_missing": 503,
                 "graphviz_failed": 502}


class DiagramRenderer(BaseRenderer):
    """Lets clients ask for a diagram by Accept header; the bytes come from cascade.render."""

    media_type = "*/*"
    format = "diagram"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


ERRORS = {
    400: OpenApiResponse(description="Bad query parameter (field messages)."),
    401: OpenApiResponse(description="Not signed in."),
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="No such object, or not visible to you."),
}


class ScopedReadView(APIView):
    permission_classes = [UnitScopedPermission]
    model: type[Model] = OrgUnit

    def visible(self, pk: int) -> Any:
        queryset: QuerySet[Any] = access.scope(self.request.user, self.model.objects.all(), Action.VIEW)
        lookup = access.UNIT_LOOKUP[self.model]
        obj = queryset.select_related(*([lookup] if lookup else [])).filter(pk=pk).first()
        if obj is None:
            raise NotFound(f"No {self.model._meta.verbose_name} {pk}, or not visible to you.")
        return obj


class UnitScorecardView(ScopedReadView):
    @extend_schema(parameters=[AsOfQuery], responses={200: OpenApiTypes.OBJECT, **ERRORS},
                   description="The unit's scorecard: the same JSON as `manage.py scorecard UNIT --json`.")
    def get(self, request: Request, pk: int) -> Response:
        query = read_query(AsOfQuery, request)
        unit = self.visible(pk)
        as_of = query.get("as_of") or dt.date.today()
        snapshot = load_snapshot(unit, as_of=as_of, notes=False)
        return Response(scorecard_json(snapshot, compute_scores(snapshot, as_of), unit.pk))


class UnitAnalysisView(ScopedReadView):
    @extend_schema(parameters=[AnalysisQuery], responses={200: OpenApiTypes.OBJECT, **ERRORS},
                   description="Gaps, early warnings, leverage and cycles: the JSON of `manage.py analyse --json`.")
    def get(self, request: Request, pk: int) -> Response:
        query = read_query(AnalysisQuery, request)
        unit = self.visible(pk)
        as_of = query.get("as_of") or dt.date.today()
        # As the command: the whole enterprise of the unit (the subtree of its top unit), since gaps look up.
        top_unit = OrgUnit.objects.get(pk=int(unit.path.strip("/").split("/")[0]))
        snapshot = load_snapshot(top_unit, as_of=as_of, notes=False)
        scores = compute_scores(snapshot, as_of)
        return Response(analysis_json(build_graph(snapshot), scores, unit.pk, top=query["top"]))


class UnitGraphView(ScopedReadView):
    @extend_schema(parameters=[AsOfQuery], responses={200: OpenApiTypes.OBJECT, **ERRORS},
                   description=(
                       "The strategy graph of the unit's subtree (its ancestors as context): nodes "
                       '(`{"node": "o:12", "kind": "objective", "code", "name", "unit_id", "score", "status"}`) '
                       'and edges (`{"source", "target", "kind", "weight"}`; kinds contains, measures, causes, '
                       "supports, impacts)."))
    def get(self, request: Request, pk: int) -> Response:
        query = read_query(AsOfQuery, request)
        unit = self.visible(pk)
        as_of = query.get("as_of") or dt.date.today()
        snapshot = load_snapshot(unit, as_of=as_of, notes=False)
        scores = compute_scores(snapshot, as_of)
        graph = build_graph(snapshot)
        nodes = []
        for name, data in graph.nodes(data=True):
            node = {"node": name, **{k: v for k, v in data.items() if k != "id"}, "id": data.get("id")}
            kind, ident = data.get("kind"), data.get("id")
            score = {"objective": scores.objectives, "unit": scores.units, "measure": scores.measures}.get(kind, {})
            if ident in score:
                node["score"], node["status"] = score[ident].score, score[ident].status
            if kind == "initiative" and ident in scores.initiatives:
                node["health"] = scores.initiatives[ident].health
            nodes.append(node)
        edges = [{"source": a, "target": b, "kind": data.get("kind"), "weight": data.get("weight")}
                 for a, b, data in graph.edges(data=True)]
        return Response({"unit": unit.code, "as_of": as_of.isoformat(), "nodes": nodes, "edges": edges})


STATUSES = ("green", "amber", "red", "none")
HEALTHS = ("not_started", "on_track", "behind", "at_risk", "complete")


def _choices(value: str, allowed: tuple[str, ...], name: str) -> set[str]:
    wanted = {v.strip() for v in value.split(",") if v.strip()}
    unknown = sorted(wanted - set(allowed))
    if unknown:
        raise ValidationError(f"Unknown {name} {', '.join(unknown)}: choose from {', '.join(allowed)}.")
    return wanted


class StatusQuery(AsOfQuery):
    status = serializers.CharField(required=False, max_length=100,
                                   help_text="Comma-separated: green, amber, red, none (no data).")
    perspective = serializers.CharField(required=False, max_length=32, help_text="Perspective code.")
    owner = serializers.CharField(required=False, max_length=150, help_text="Owner's username.")

    def validate_status(self, value: str) -> set[str]:
        return _choices(value, STATUSES, "status")


class HealthQuery(AsOfQuery):
    health = serializers.CharField(required=False, max_length=100,
                                   help_text="Comma-separated: " + ", ".join(HEALTHS) + ".")
    owner = serializers.CharField(required=False, max_length=150, help_text="Owner's username.")

    def validate_health(self, value: str) -> set[str]:
        return _choices(value, HEALTHS, "health")


class UnitObjectivesByStatusView(ScopedReadView):
    """Objectives filtered by their status: the status filter of the objective list (status needs the
    roll-up, which lives here in cascade; scorecard/api cannot import it)."""

    @extend_schema(parameters=[StatusQuery], responses={200: OpenApiTypes.OBJECT, **ERRORS}, description=(
        "The objectives of the unit and its descendants with their score and status as of the date, filtered "
        "by status (e.g. ?status=red,amber), perspective code and owner. Ordered by unit code, then code."))
    def get(self, request: Request, pk: int) -> Response:
        query = read_query(StatusQuery, request)
        unit = self.visible(pk)
        as_of = query.get("as_of") or dt.date.today()
        snapshot = load_snapshot(unit, as_of=as_of, notes=False)
        scores = compute_scores(snapshot, as_of)
        rows = []
        for o in snapshot.objectives.values():
            if o.unit_id in snapshot.context_unit_ids:
                continue
            node = scores.objective(o.id)
            perspective = snapshot.perspectives.get(o.perspective_id)
            theme = snapshot.themes.get(o.theme_id) if o.theme_id else None
            if "status" in query and node.status not in query["status"]:
                continue
            if "perspective" in query and (perspective is None or perspective.code != query["perspective"]):
                continue
            if "owner" in query and o.owner != query["owner"]:
                continue
            rows.append({
                "id": o.id, "unit_code": snapshot.units[o.unit_id].code, "code": o.code, "name": o.name,
                "perspective": perspective.code if perspective else None, "theme": theme.code if theme else None,
                "owner": o.owner or None, "score": node.score, "status": node.status,
            })
        rows.sort(key=lambda r: (r["unit_code"], r["code"]))
        return Response({"unit": unit.code, "as_of": as_of.isoformat(), "objectives": rows})


class UnitInitiativesByHealthView(ScopedReadView):
    @extend_schema(parameters=[HealthQuery], responses={200: OpenApiTypes.OBJECT, **ERRORS}, description=(
        "The initiatives of the unit and its descendants with their health as of the date (schedule and cost "
        "indices), filtered by health (e.g. ?health=at_risk,behind) and owner."))
    def get(self, request: Request, pk: int) -> Response:
        query = read_query(HealthQuery, request)
        unit = self.visible(pk)
        as_of = query.get("as_of") or dt.date.today()
        snapshot = load_snapshot(unit, as_of=as_of, notes=False)
        scores = compute_scores(snapshot, as_of)
        rows = []
        for i in snapshot.initiatives.values():
            h = scores.initiatives.get(i.id)
            if i.unit_id in snapshot.context_unit_ids or h is None:
                continue
            if "health" in query and h.health not in query["health"]:
                continue
            if "owner" in query and i.owner != query["owner"]:
                continue
            rows.append({
                "id": i.id, "unit_code": snapshot.units[i.unit_id].code, "code": i.code, "name": i.name,
                "owner": i.owner or None, "percent_complete": h.percent_complete,
                "expected_percent": h.expected_percent, "schedule_index": h.schedule_index,
                "cost_index": h.cost_index, "health": h.health, "over_budget": h.over_budget,
            })
        rows.sort(key=lambda r: (r["unit_code"], r["code"]))
        return Response({"unit": unit.code, "as_of": as_of.isoformat(), "initiatives": rows})


RENDER_RESPONSES = {
    **{(200, media): OpenApiTypes.BINARY for media in sorted(set(FORMATS.values()))},
    **ERRORS,
    422: OpenApiResponse(description="The diagram is too large to draw."),
    502: OpenApiResponse(description="Graphviz failed."),
    503: OpenApiResponse(description="Graphviz timed out or is missing."),
}


class RenderView(ScopedReadView):
    renderer_classes = [JSONRenderer, DiagramRenderer]
    query_class: type[RenderQuery] = RenderQuery

    def draw(self, obj: Any, query: dict[str, Any]) -> Rendered:
        raise NotImplementedError

    def get(self, request: Request, pk: int) -> HttpResponse:
        query = read_query(self.query_class, request)
        obj = self.visible(pk)
        try:
            rendered = self.draw(obj, query)
        except RenderError as exc:
            error = RenderFailed(str(exc), code=exc.code)
            error.status_code = RENDER_STATUS.get(exc.code, 503)
            raise error from exc
        response = HttpResponse(rendered.data, content_type=rendered.content_type)
        response["Content-Disposition"] = f'inline; filename="{rendered.filename}"'
        return response


def render_args(query: dict[str, Any]) -> dict[str, Any]:
    return {"as_of": query.get("as_of"), "status": query["status"], "fmt": query["fmt"], "paper": query["paper"],
            "dpi": query.get("dpi")}


class UnitMapRender(RenderView):
    query_class = MapQuery

    @extend_schema(parameters=[MapQuery], responses=RENDER_RESPONSES,
                   description="The unit's strategy map, now or as it stood on structure_as_of.")
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)

    def draw(self, obj: OrgUnit, query: dict[str, Any]) -> Rendered:
        return render_map(obj, structure_as_of=query.get("structure_as_of"), **render_args(query))


class UnitCascadeRender(RenderView):
    query_class = CascadeQuery

    @extend_schema(parameters=[CascadeQuery], responses=RENDER_RESPONSES,
                   description="The unit and its descendants' maps, aligned objectives linked across units.")
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)

    def draw(self, obj: OrgUnit, query: dict[str, Any]) -> Rendered:
        return render_cascade(obj, depth=query["depth"], aligned_only=query["aligned_only"], **render_args(query))


class InitiativeImpactRender(RenderView):
    model = Initiative

    @extend_schema(parameters=[RenderQuery], responses=RENDER_RESPONSES,
                   description="Every path from the initiative to the objectives it moves.")
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)

    def draw(self, obj: Initiative, query: dict[str, Any]) -> Rendered:
        return render_impact(obj, **render_args(query))


class ObjectiveDriversRender(RenderView):
    model = Objective

    @extend_schema(parameters=[RenderQuery], responses=RENDER_RESPONSES,
                   description="What moves the objective: its causes, supporting objectives and initiatives.")
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)

    def draw(self, obj: Objective, query: dict[str, Any]) -> Rendered:
        return render_drivers(obj, **render_args(query))
