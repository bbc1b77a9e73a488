"""The pages' writes, as named functions with keyword-only arguments and one transaction each.

They are built from ``scorecard.services`` (``save_validated``, ``actual_record``, ``delete_object``), so the
model rules run exactly as for the API and the admin. Permission checks stay in the views (through
``scorecard.access``); these functions assume the caller was allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from scorecard import services
from scorecard.models import Actual, Impact, Initiative, Measure, Milestone, Objective, OrgUnit


def results_enter(
    *, period: dt.date, cells: Sequence[tuple[Measure, float, str]], user: Any
) -> list[Actual]:
    """Record one period's values for several measures: all of them or, on any error, none."""
    with transaction.atomic():
        return [
            services.actual_record(measure=measure, period=period, value=value, note=note, user=user)
            for measure, value, note in cells
        ]


def initiative_create(*, unit: OrgUnit, fields: Mapping[str, Any]) -> Initiative:
    return services.save_validated(Initiative(unit=unit, **fields))


def impact_link(
    *, initiative: Initiative, objective: Objective, weight: float = 1.0, note: str = ""
) -> Impact:
    # Impact.clean() refuses objectives outside the initiative's unit and its ancestors.
    return services.save_validated(Impact(initiative=initiative, objective=objective, weight=weight, note=note))


def impact_unlink(*, impact: Impact) -> None:
    services.delete_object(impact)


def initiative_progress_update(
    *,
    initiative: Initiative,
    version: int | None,
    percent_complete: float,
    spent: Decimal,
    status_note: str,
    milestones_done: Mapping[int, dt.date | None],
) -> Initiative:
    """Update the progress fields and the milestones' done dates together (all or nothing).

    ``version`` is the initiative's version when the form was opened: if someone saved it since, nothing is
    written (the row is locked first, so two updaters cannot both pass the check and overwrite each other).
    """
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        if version is not None and initiative.version != version:
            raise ValidationError(
                f"Initiative {initiative.code} was changed by someone else after you opened this form "
                f"(now at {initiative.percent_complete:g}% complete). Nothing was saved: reload and enter it again."
            )
        initiative.percent_complete = percent_complete
        initiative.spent = spent
        initiative.status_note = status_note
        services.save_validated(initiative)
        if milestones_done:
            for milestone in Milestone.objects.select_for_update().filter(
                initiative=initiative, pk__in=list(milestones_done)
            ):
                done = milestones_done[milestone.pk]
                if milestone.done != done:
                    milestone.done = done
                    services.save_validated(milestone)
        return initiative
