"""Writes to the domain: named functions, keyword-only arguments, one transaction each.

Views, serializers, the admin and the commands call these, so no path can skip a rule. Each write runs
``full_clean()`` (the readable message) before ``save()`` (the database constraint behind it), and an
IntegrityError that slips through a race is turned into a ValidationError rather than a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from scorecard.models import (
    DEFAULT_PERSPECTIVES,
    Actual,
    Alignment,
    Measure,
    Objective,
    OrgUnit,
    Perspective,
    StrategyMap,
)

M = TypeVar("M", bound=models.Model)


def save_validated(obj: M, *, exclude: Iterable[str] | None = None) -> M:
    """Validate ``obj`` completely, then save it; constraint races surface as ValidationError."""
    with transaction.atomic():
        obj.full_clean(exclude=list(exclude) if exclude else None)
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as exc:
            raise ValidationError(f"{type(obj)._meta.verbose_name} {obj}: {exc}") from exc
    return obj


def delete_object(obj: models.Model) -> None:
    with transaction.atomic():
        try:
            obj.delete()
        except models.ProtectedError as exc:
            names = ", ".join(sorted({str(o) for o in exc.protected_objects})[:5])
            raise ValidationError(f"{obj} cannot be deleted while these refer to it: {names}") from exc


def map_create(
    *, unit: OrgUnit, title: str, perspectives: Sequence[tuple[str, str]] | None = None, **fields: Any
) -> StrategyMap:
    """Create a unit's strategy map; with no perspectives given it gets the four classic bands."""
    with transaction.atomic():
        strategy_map = save_validated(StrategyMap(unit=unit, title=title, **fields))
        bands = DEFAULT_PERSPECTIVES if perspectives is None else perspectives
        for position, (code, name) in enumerate(bands):
            save_validated(Perspective(map=strategy_map, code=code, name=name, position=position))
    return strategy_map


def actual_record(
    *, measure: Measure, period: dt.date, value: float, note: str = "", user: Any = None
) -> Actual:
    """Create or replace the value of ``measure`` for ``period``."""
    with transaction.atomic():
        actual = Actual.objects.select_for_update().filter(measure=measure, period=period).first()
        if actual is None:
            actual = Actual(measure=measure, period=period)
        actual.value = value
        actual.note = note
        actual.entered_by = user if getattr(user, "is_authenticated", False) else None
        if actual.entered_by is not None:
            # Outside a request (commands, API tests) simple_history has no user: name the one who entered it.
            actual._history_user = actual.entered_by  # type: ignore[attr-defined]
        return save_validated(actual)


def objectives_cascade(*, objectives: Iterable[Objective], child: OrgUnit) -> list[Objective]:
    """Copy ``objectives`` into ``child``'s map as its own objectives, each aligned to its original.

    The copy keeps code, name, description and the perspective of the same code (created in the child map
    when missing); the theme is carried over when the child map has a theme of the same code. Codes that
    already exist in the child map get a numeric suffix, so a second cascade of the same objective is safe.
    """
    with transaction.atomic():
        child_map = StrategyMap.objects.filter(unit=child).first()
        if child_map is None:
            child_map = map_create(unit=child, title=f"{child.name} strategy")
        copies = []
        for original in objectives:
            parent_unit = original.map.unit
            if not parent_unit.is_ancestor_of(child):
                raise ValidationError(
                    f"Cannot cascade {parent_unit.code}:{original.code} to {child.code}: "
                    f"{child.code} is not a descendant of {parent_unit.code}."
                )
            perspective = Perspective.objects.filter(map=child_map, code=original.perspective.code).first()
            if perspective is None:
                position = Perspective.objects.filter(map=child_map).count()
                perspective = save_validated(Perspective(
                    map=child_map, code=original.perspective.code, name=original.perspective.name,
                    position=position, weight=original.perspective.weight,
                ))
            theme = None
            if original.theme_id:
                theme = child_map.themes.filter(code=original.theme.code).first()
            code = original.code
            taken = set(Objective.objects.filter(map=child_map).values_list("code", flat=True))
            suffix = 2
            while code in taken:
                code = f"{original.code}.{suffix}"
                suffix += 1
            copy = save_validated(Objective(
                map=child_map, perspective=perspective, theme=theme, code=code, name=original.name,
                description=original.description, owner=original.owner, weight=original.weight,
            ))
            save_validated(Alignment(objective=copy, supports=original, weight=1))
            copies.append(copy)
        return copies
