"""List filters (django-filter). Every list filters by its objects' unit: ``unit`` (id, that unit only),
``unit_code`` (code, that unit only) and ``subtree`` (id: that unit and all its descendants). Ids are
validated as whole numbers in the id range, so garbage is a 400 naming the parameter, never a 500.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from django.db.models import QuerySet, Subquery
from django_filters.rest_framework import DjangoFilterBackend

from scorecard.access import UNIT_LOOKUP
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
    Role,
    StrategyMap,
    Theme,
)

MAX_ID = 2**63 - 1


class IdFilter(df.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def _unit_prefix(model: type) -> str:
    lookup = UNIT_LOOKUP[model]
    return f"{lookup}__" if lookup else ""


class UnitFilterSet(df.FilterSet):
    """Adds unit, unit_code and subtree filters following ``access.UNIT_LOOKUP`` for the model."""

    unit = IdFilter(method="filter_unit", help_text="Objects of this unit (id) only.")
    unit_code = df.CharFilter(method="filter_unit_code", max_length=32, help_text="Objects of this unit (code).")
    subtree = IdFilter(method="filter_subtree", help_text="Objects of this unit (id) and all its descendants.")

    def filter_unit(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset.filter(**{f"{_unit_prefix(queryset.model)}id": value})

    def filter_unit_code(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(**{f"{_unit_prefix(queryset.model)}code": value})

    def filter_subtree(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        # The unit's path as a subquery: no extra round trip, and an unknown id simply matches nothing.
        path = Subquery(OrgUnit.objects.filter(pk=value).values("path")[:1])
        return queryset.filter(**{f"{_unit_prefix(queryset.model)}path__startswith": path})


class UnitListFilter(UnitFilterSet):
    parent = IdFilter(field_name="parent_id")
    code = df.CharFilter(max_length=32)

    class Meta:
        model = OrgUnit
        fields: list[str] = []


class MapFilter(UnitFilterSet):
    class Meta:
        model = StrategyMap
        fields: list[str] = []


class PerspectiveFilter(UnitFilterSet):
    map = IdFilter(field_name="map_id")
    code = df.CharFilter(max_length=32)

    class Meta:
        model = Perspective
        fields: list[str] = []


class ThemeFilter(PerspectiveFilter):
    class Meta:
        model = Theme
        fields: list[str] = []


class ObjectiveFilter(UnitFilterSet):
    map = IdFilter(field_name="map_id")
    perspective = IdFilter(field_name="perspective_id")
    perspective_code = df.CharFilter(field_name="perspective__code", max_length=32)
    theme = IdFilter(field_name="theme_id")
    theme_code = df.CharFilter(field_name="theme__code", max_length=32)
    owner = df.CharFilter(field_name="owner__username", max_length=150, help_text="Owner's username.")
    code = df.CharFilter(max_length=32)

    class Meta:
        model = Objective
        fields: list[str] = []


class LinkFilter(UnitFilterSet):
    map = IdFilter(field_name="cause__map_id")
    cause = IdFilter(field_name="cause_id")
    effect = IdFilter(field_name="effect_id")

    class Meta:
        model = CauseEffectLink
        fields: list[str] = []


class AlignmentFilter(UnitFilterSet):
    objective = IdFilter(field_name="objective_id")
    supports = IdFilter(field_name="supports_id")

    class Meta:
        model = Alignment
        fields: list[str] = []


class MeasureFilter(UnitFilterSet):
    map = IdFilter(field_name="map_id")
    objective = IdFilter(field_name="objective_id")
    perspective = IdFilter(field_name="objective__perspective_id")
    theme = IdFilter(field_name="objective__theme_id")
    owner = df.CharFilter(field_name="owner__username", max_length=150, help_text="Owner's username.")
    code = df.CharFilter(max_length=32)

    class Meta:
        model = Measure
        fields: list[str] = []


class ActualFilter(UnitFilterSet):
    measure = IdFilter(field_name="measure_id")
    objective = IdFilter(field_name="measure__objective_id")
    perspective = IdFilter(field_name="measure__objective__perspective_id")
    theme = IdFilter(field_name="measure__objective__theme_id")
    owner = df.CharFilter(field_name="measure__owner__username", max_length=150,
                          help_text="The measure owner's username.")
    period = df.DateFilter()
    period_from = df.DateFilter(field_name="period", lookup_expr="gte")
    period_to = df.DateFilter(field_name="period", lookup_expr="lte")

    class Meta:
        model = Actual
        fields: list[str] = []


class InitiativeFilter(UnitFilterSet):
    owner = df.CharFilter(field_name="owner__username", max_length=150, help_text="Owner's username.")
    code = df.CharFilter(max_length=32)
    objective = IdFilter(field_name="impacts__objective_id", distinct=True,
                         help_text="Initiatives that impact this objective.")

    class Meta:
        model = Initiative
        fields: list[str] = []


class ImpactFilter(UnitFilterSet):
    initiative = IdFilter(field_name="initiative_id")
    objective = IdFilter(field_name="objective_id")

    class Meta:
        model = Impact
        fields: list[str] = []


class MilestoneFilter(UnitFilterSet):
    initiative = IdFilter(field_name="initiative_id")
    done = df.BooleanFilter(field_name="done", lookup_expr="isnull", exclude=True,
                            help_text="true: milestones with a done date; false: open ones.")

    class Meta:
        model = Milestone
        fields: list[str] = []


class MembershipFilter(UnitFilterSet):
    user = df.CharFilter(field_name="user__username", max_length=150)
    role = df.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = Membership
        fields: list[str] = []


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the filters: building and validating the filter
    form costs about a millisecond per request, which an unfiltered list page need not pay."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None and not set(request.query_params) & set(filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)
