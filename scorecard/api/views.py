"""Thin viewsets: scope the queryset, ask the one permission class, guard against lost updates, and let the
serializers validate and the services write. One transaction per write.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import F
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from scorecard import access, services
from scorecard.access import Action
from scorecard.api import etag, filters, serializers
from scorecard.api.exceptions import validation_messages
from scorecard.api.permissions import UnitScopedPermission
from scorecard.models import (
    Actual,
    Alignment,
    CauseEffectLink,
    Impact,
    Initiative,
    Measure,
    Membership,
    Milestone,
    Objective,
    OrgUnit,
    Perspective,
    StrategyMap,
    Theme,
)

WRITE_ACTIONS = ("update", "partial_update", "destroy")


class ScopedViewSet(viewsets.ModelViewSet):
    permission_classes = [UnitScopedPermission]
    filter_backends = [filters.FilterBackend, OrderingFilter]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    read_action = Action.VIEW
    write_action = Action.MANAGE
    progress_fields: frozenset[str] = frozenset()
    action_requirements: dict[str, Action] = {}
    ordering_fields: tuple[str, ...] = ("id", "code", "name")

    # Lists read the unit's code (and usernames) as annotations: one row per object, no related models built.
    # Single objects load their relations (select_related), which the permission check needs anyway.
    related: tuple[str, ...] = ()
    list_annotations: dict[str, str] = {}

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = access.scope(self.request.user, super().get_queryset(), Action.VIEW)
        if getattr(self, "action", None) == "list":
            lookup = access.UNIT_LOOKUP[queryset.model]
            annotations = {"api_unit_code": f"{lookup}__code" if lookup else "code", **self.list_annotations}
            queryset = queryset.annotate(**{name: F(path) for name, path in annotations.items()})
        else:
            lookup = access.UNIT_LOOKUP[queryset.model]
            queryset = queryset.select_related(*([lookup] if lookup else []), *self.related)
        if getattr(self, "action", None) in WRITE_ACTIONS:
            # Lock the row for the version compare-and-write; "of self" because outer joins (a nullable
            # owner) cannot be locked on PostgreSQL. SQLite ignores this: its IMMEDIATE transactions already
            # serialise writers.
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def extra_save_fields(self) -> dict[str, Any]:
        return {}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": etag.etag_of(instance)})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            UnitScopedPermission().check_target(request, self, serializer.built)
            obj = serializer.save(**self.extra_save_fields())
        return Response(serializer.data, status=status.HTTP_201_CREATED, headers={"ETag": etag.etag_of(obj)})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.get_object()  # 404 outside scope, 403 without rights on its current unit
            etag.check_fresh(instance, etag.required_version(request))
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            UnitScopedPermission().check_target(request, self, serializer.built)  # moving it elsewhere
            obj = serializer.save(**self.extra_save_fields())
        return Response(serializer.data, headers={"ETag": etag.etag_of(obj)})

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self.get_object()
            etag.check_fresh(instance, etag.required_version(request))
            services.delete_object(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UnitViewSet(ScopedViewSet):
    """Org units. Reading: everyone signed in (see SCORECARD_VIEWERS_SEE_ALL); writing: executives."""

    queryset = OrgUnit.objects.all()
    serializer_class = serializers.UnitSerializer
    filterset_class = filters.UnitListFilter
    write_action = Action.ADMINISTER
    action_requirements = {"results": Action.VIEW}  # each measure's unit is checked for UPDATE instead
    ordering_fields = ("id", "code", "name", "display_order")

    @extend_schema(
        request=serializers.ResultsSerializer,
        responses={200: serializers.ResultsResponseSerializer},
        description=(
            "Enter one period's results for measures of this unit and its descendants, all or nothing. "
            "Needs UPDATE (updater or manager) on every measure's unit. A value replaces an existing one for "
            "the same measure and period. Errors list each bad cell: "
            '{"values": [{"index": 2, "measure": 17, "errors": {"value": ["..."]}}]}.'
        ),
    )
    @action(detail=True, methods=["post"], url_path="results")
    def results(self, request: Request, pk: str | None = None) -> Response:
        unit = self.get_object()
        form = serializers.ResultsSerializer(data=request.data)
        if not form.is_valid():
            return results_errors(form.errors, request.data)
        period = form.validated_data["period"]
        cells = form.validated_data["values"]
        wanted = {cell["measure"] for cell in cells}
        measures = {
            m.pk: m for m in Measure.objects.filter(pk__in=wanted, map__unit__path__startswith=unit.path)
            .select_related("map__unit")
        }
        user = request.user
        forbidden = sorted(
            {m.code for m in measures.values() if not access.can(user, Action.UPDATE, m.map.unit)}
        )
        if forbidden:
            raise PermissionDenied(f"You may not enter results for measure(s) {', '.join(forbidden)}: "
                                   "their unit is outside your scope. Nothing was saved.")
        errors: list[dict[str, Any]] = []
        seen: set[int] = set()
        for index, cell in enumerate(cells):
            measure = measures.get(cell["measure"])
            cell_errors: dict[str, list[str]] = {}
            if measure is None or not access.can(user, Action.VIEW, measure.map.unit):
                cell_errors["measure"] = [f"No measure {cell['measure']} in unit {unit.code} or below it."]
            elif cell["measure"] in seen:
                cell_errors["measure"] = [f"Measure {measure.code} appears twice; give one value per measure."]
            else:
                try:
                    Actual(measure=measure, period=period, value=cell["value"], note=cell["note"]).full_clean(
                        validate_unique=False, validate_constraints=False
                    )
                except DjangoValidationError as exc:
                    cell_errors = validation_messages(exc)
            seen.add(cell["measure"])
            if cell_errors:
                errors.append({"index": index, "measure": cell["measure"], "errors": cell_errors})
        if errors:
            return Response({"values": errors}, status=status.HTTP_400_BAD_REQUEST)
        with transaction.atomic():
            saved = [
                services.actual_record(
                    measure=measures[cell["measure"]], period=period, value=cell["value"], note=cell["note"],
                    user=user,
                )
                for cell in cells
            ]
        return Response({"period": period, "actuals": serializers.ActualSerializer(saved, many=True).data})


def results_errors(errors: dict[str, Any], data: Any) -> Response:
    """Rephrase DRF's per-index cell errors as [{index, measure, errors}] (a 400)."""
    cells = errors.get("values")
    if isinstance(cells, list):
        cells = {str(i): e for i, e in enumerate(cells) if isinstance(e, dict) and e}
    if isinstance(cells, dict) and cells and all(str(k).isdigit() for k in cells):
        raw = data.get("values") if isinstance(data, dict) else None
        listed = []
        for key, cell_errors in sorted(cells.items(), key=lambda kv: int(str(kv[0]))):
            index = int(str(key))
            measure = None
            if isinstance(raw, list) and index < len(raw) and isinstance(raw[index], dict):
                measure = raw[index].get("measure")
            listed.append({"index": index, "measure": measure, "errors": cell_errors})
        errors = {**errors, "values": listed}
    return Response(errors, status=status.HTTP_400_BAD_REQUEST)


class MapViewSet(ScopedViewSet):
    queryset = StrategyMap.objects.all()
    serializer_class = serializers.MapSerializer
    filterset_class = filters.MapFilter
    ordering_fields = ("id", "title")


class PerspectiveViewSet(ScopedViewSet):
    queryset = Perspective.objects.all()
    serializer_class = serializers.PerspectiveSerializer
    filterset_class = filters.PerspectiveFilter
    ordering_fields = ("id", "code", "name", "position")


class ThemeViewSet(ScopedViewSet):
    queryset = Theme.objects.all()
    serializer_class = serializers.ThemeSerializer
    filterset_class = filters.ThemeFilter


class ObjectiveViewSet(ScopedViewSet):
    queryset = Objective.objects.all()
    related = ("owner",)
    list_annotations = {"api_owner": "owner__username"}
    serializer_class = serializers.ObjectiveSerializer
    filterset_class = filters.ObjectiveFilter
    ordering_fields = ("id", "code", "name", "weight")


class LinkViewSet(ScopedViewSet):
    queryset = CauseEffectLink.objects.all()
    serializer_class = serializers.LinkSerializer
    filterset_class = filters.LinkFilter
    ordering_fields = ("id",)


class AlignmentViewSet(ScopedViewSet):
    queryset = Alignment.objects.all()
    related = ("supports__map__unit",)
    list_annotations = {"api_supports_unit_code": "supports__map__unit__code"}
    serializer_class = serializers.AlignmentSerializer
    filterset_class = filters.AlignmentFilter
    ordering_fields = ("id", "weight")


class MeasureViewSet(ScopedViewSet):
    queryset = Measure.objects.all()
    related = ("owner",)
    list_annotations = {"api_owner": "owner__username"}
    serializer_class = serializers.MeasureSerializer
    filterset_class = filters.MeasureFilter
    ordering_fields = ("id", "code", "name", "weight")


class ActualViewSet(ScopedViewSet):
    queryset = Actual.objects.all()
    related = ("entered_by",)
    list_annotations = {"api_entered_by": "entered_by__username"}
    serializer_class = serializers.ActualSerializer
    filterset_class = filters.ActualFilter
    write_action = Action.UPDATE
    ordering_fields = ("id", "period", "value")

    def extra_save_fields(self) -> dict[str, Any]:
        return {"entered_by": self.request.user}


class InitiativeViewSet(ScopedViewSet):
    queryset = Initiative.objects.all()
    related = ("owner",)
    list_annotations = {"api_owner": "owner__username"}
    serializer_class = serializers.InitiativeSerializer
    filterset_class = filters.InitiativeFilter
    progress_fields = frozenset({"percent_complete", "spent", "status_note"})
    ordering_fields = ("id", "code", "name", "start", "end", "percent_complete")


class ImpactViewSet(ScopedViewSet):
    queryset = Impact.objects.all()
    serializer_class = serializers.ImpactSerializer
    filterset_class = filters.ImpactFilter
    ordering_fields = ("id", "weight")


class MilestoneViewSet(ScopedViewSet):
    queryset = Milestone.objects.all()
    serializer_class = serializers.MilestoneSerializer
    filterset_class = filters.MilestoneFilter
    progress_fields = frozenset({"done"})
    ordering_fields = ("id", "name", "due", "done")


class MembershipViewSet(ScopedViewSet):
    """Who holds which role where: executives only, reading included."""

    queryset = Membership.objects.all()
    related = ("user",)
    list_annotations = {"api_user": "user__username"}
    serializer_class = serializers.MembershipSerializer
    filterset_class = filters.MembershipFilter
    read_action = Action.ADMINISTER
    write_action = Action.ADMINISTER
    ordering_fields = ("id", "role")


