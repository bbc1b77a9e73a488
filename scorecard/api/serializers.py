"""Serializers: explicit field lists named as in the scorecard/v1 YAML, references by id.

Validation is the model's own: ``validate`` builds the would-be object and calls ``full_clean()``, so the API
reports exactly the rules (and messages) the admin and the YAML importer report. Writes go through
``scorecard.services`` (one transaction each). ``id``, ``version`` and ``unit_code`` are read-only everywhere;
``entered_by`` of an actual is the signed-in user, never a field of the body.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from scorecard import access, services
from scorecard.access import Action
from scorecard.api.exceptions import validation_messages
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

User = get_user_model()
BASE_FIELDS = ("id", "version", "unit_code")


class AnnotatedCharField(serializers.CharField):
    """A read-only text that lists take from a query annotation (no related rows loaded per object) and single
    objects from the ``source`` path; see ``ScopedViewSet.get_queryset``."""

    def __init__(self, annotation: str, **kwargs: Any) -> None:
        self.annotation = annotation
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        if self.annotation in instance.__dict__:
            return instance.__dict__[self.annotation]
        return super().get_attribute(instance)


class UsernameField(serializers.SlugRelatedField):
    """A user by username, read from a list's annotation when there is one (see AnnotatedCharField)."""

    def __init__(self, annotation: str, **kwargs: Any) -> None:
        self.annotation = annotation
        super().__init__(slug_field="username", **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        if self.annotation in instance.__dict__:
            return instance.__dict__[self.annotation]
        return super().get_attribute(instance)

    def to_representation(self, obj: Any) -> Any:
        return obj if isinstance(obj, str) else super().to_representation(obj)


def owner_field() -> serializers.SlugRelatedField:
    return UsernameField(
        "api_owner", queryset=User.objects.filter(is_active=True), allow_null=True, required=False,
        help_text="Username of the owner, or null.",
    )


class DomainSerializer(serializers.ModelSerializer):
    """Builds the object, validates it with the model's ``full_clean()``, saves it through the services."""

    class Meta:
        model: type[models.Model]
        fields: tuple[str, ...]
        read_only_fields = BASE_FIELDS
        # The model's full_clean() checks uniqueness with its own readable messages.
        validators: list[Any] = []

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.method in SAFE_METHODS:
            return fields  # references are only resolved when written: a read needs no scoped querysets
        user = getattr(request, "user", None)
        # References resolve only to objects the user may see: an id from outside one's scope reads as
        # "does not exist", exactly like a wrong id (no probing of other units through write errors).
        for field in fields.values():
            queryset = getattr(field, "queryset", None)
            if isinstance(field, serializers.PrimaryKeyRelatedField) and queryset is not None \
                    and queryset.model in access.UNIT_LOOKUP:
                field.queryset = access.scope(user, field.queryset, Action.VIEW)
        return fields

    def build(self, attrs: dict[str, Any]) -> models.Model:
        # A copy: a refused write must leave the instance the view holds untouched.
        obj = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name in [n for n in obj.__dict__ if n.startswith("api_")]:
            del obj.__dict__[name]  # list annotations would be stale after a move
        for name, value in attrs.items():
            setattr(obj, name, value)
        return obj

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Unknown keys are errors, as in the YAML format: a misspelt field must not be silently dropped.
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        obj = self.build(attrs)
        try:
            obj.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_messages(exc)) from exc
        self.built = obj
        return attrs

    def create(self, validated_data: dict[str, Any]) -> models.Model:
        obj = self.built
        for name, value in validated_data.items():
            setattr(obj, name, value)
        return services.save_validated(obj)

    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        obj = self.built
        for name, value in validated_data.items():
            setattr(obj, name, value)
        return services.save_validated(obj)


class UnitSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="code")

    class Meta(DomainSerializer.Meta):
        model = OrgUnit
        fields = (*BASE_FIELDS, "code", "name", "kind", "parent", "display_order")


class MapSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="unit.code")

    class Meta(DomainSerializer.Meta):
        model = StrategyMap
        fields = (*BASE_FIELDS, "unit", "title", "mission", "vision", "red_flag_percent", "rollup")

    def create(self, validated_data: dict[str, Any]) -> StrategyMap:
        # A new map gets the four classic perspectives, as everywhere else.
        return services.map_create(**validated_data)


class PerspectiveSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="map.unit.code")

    class Meta(DomainSerializer.Meta):
        model = Perspective
        fields = (*BASE_FIELDS, "map", "code", "name", "position", "weight")


class ThemeSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="map.unit.code")

    class Meta(DomainSerializer.Meta):
        model = Theme
        fields = (*BASE_FIELDS, "map", "code", "name")


class ObjectiveSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="map.unit.code")
    owner = owner_field()

    class Meta(DomainSerializer.Meta):
        model = Objective
        fields = (*BASE_FIELDS, "map", "perspective", "theme", "code", "name", "description", "owner", "weight")


class LinkSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="cause.map.unit.code")

    class Meta(DomainSerializer.Meta):
        model = CauseEffectLink
        fields = (*BASE_FIELDS, "cause", "effect", "note")


class AlignmentSerializer(DomainSerializer):
    unit_code = AnnotatedCharField(
        "api_unit_code", source="objective.map.unit.code", help_text="The supporting objective's unit."
    )
    supports_unit_code = AnnotatedCharField("api_supports_unit_code", source="supports.map.unit.code")

    class Meta(DomainSerializer.Meta):
        model = Alignment
        fields = (*BASE_FIELDS, "objective", "supports", "supports_unit_code", "weight")
        read_only_fields = (*BASE_FIELDS, "supports_unit_code")


class MeasureSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="map.unit.code")
    owner = owner_field()

    class Meta(DomainSerializer.Meta):
        model = Measure
        fields = (
            *BASE_FIELDS, "objective", "code", "name", "units", "polarity", "scoring", "frequency", "baseline",
            "target", "red_flag", "tolerance", "red_tolerance", "weight", "owner", "source",
        )


class ActualSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="measure.map.unit.code")
    entered_by = UsernameField("api_entered_by", read_only=True, allow_null=True)

    class Meta(DomainSerializer.Meta):
        model = Actual
        fields = (*BASE_FIELDS, "measure", "period", "value", "note", "entered_by", "entered_at")
        read_only_fields = (*BASE_FIELDS, "entered_by", "entered_at")


class InitiativeSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="unit.code")
    owner = owner_field()

    class Meta(DomainSerializer.Meta):
        model = Initiative
        fields = (
            *BASE_FIELDS, "unit", "code", "name", "description", "owner", "start", "end", "budget", "spent",
            "percent_complete", "status_note",
        )


class ImpactSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="initiative.unit.code")

    class Meta(DomainSerializer.Meta):
        model = Impact
        fields = (*BASE_FIELDS, "initiative", "objective", "weight", "note")


class MilestoneSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="initiative.unit.code")

    class Meta(DomainSerializer.Meta):
        model = Milestone
        fields = (*BASE_FIELDS, "initiative", "name", "due", "done")


class MembershipSerializer(DomainSerializer):
    unit_code = AnnotatedCharField("api_unit_code", source="unit.code")
    user = UsernameField("api_user", queryset=User.objects.all())

    class Meta(DomainSerializer.Meta):
        model = Membership
        fields = (*BASE_FIELDS, "user", "unit", "role")


# ------------------------------------------------------------------------------------------ results entry
MAX_RESULT_VALUES = 1000


class ResultCellSerializer(serializers.Serializer):
    measure = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    value = serializers.FloatField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ResultsSerializer(serializers.Serializer):
    """One period's values for many measures of a unit's subtree; written all together or not at all."""

    period = serializers.DateField(help_text="The last day of the period, e.g. 2026-09-30.")
    values = ResultCellSerializer(many=True, allow_empty=False, max_length=MAX_RESULT_VALUES)


class ResultsResponseSerializer(serializers.Serializer):
    period = serializers.DateField()
    actuals = ActualSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
