"""The one access helper: what may this user do with this unit's objects?

Every view, serializer, admin class and command asks here; nothing else decides permissions.

- Executives (superusers, or members of the "Executives" group) may do everything.
- A role on a unit covers the unit and its whole subtree:
  manager: read, enter results, change map content and initiatives (``MANAGE``);
  updater: read, enter actuals and initiative progress (``UPDATE``);
  viewer: read (``VIEW``).
- Every signed-in user reads every unit unless ``SCORECARD_VIEWERS_SEE_ALL`` is off; then only the subtrees
  they hold a role on. Anonymous users get nothing.
"""

from __future__ import annotations

import enum
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from scorecard.models import (
    EXECUTIVES_GROUP,
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


class Action(enum.IntEnum):
    VIEW = 1
    UPDATE = 2  # actuals, initiative progress
    MANAGE = 3  # map content, initiatives, alignments
    ADMINISTER = 4  # units, memberships: executives only


ROLE_GRANTS = {Role.VIEWER: Action.VIEW, Role.UPDATER: Action.UPDATE, Role.MANAGER: Action.MANAGE}

_CACHE_ATTR = "_scorecard_access_cache"


def is_executive(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cache = _cache(user)
    if "executive" not in cache:
        cache["executive"] = user.groups.filter(name=EXECUTIVES_GROUP).exists()
    return bool(cache["executive"])


def _cache(user: Any) -> dict[str, Any]:
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    return cache


def forget(user: Any) -> None:
    """Drop what was cached on this user object (after roles change within one request or test)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _role_paths(user: Any) -> list[tuple[str, Action]]:
    """(unit path, granted action) for each membership of the user; one query, cached on the user."""
    cache = _cache(user)
    if "paths" not in cache:
        rows = Membership.objects.filter(user=user).values_list("unit__path", "role")
        cache["paths"] = [(path, ROLE_GRANTS[Role(role)]) for path, role in rows]
    return cache["paths"]


def granted(user: Any, unit_path: str) -> Action | None:
    """The strongest action the user holds on the unit with this materialised path (None: nothing)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if is_executive(user):
        return Action.ADMINISTER
    best: Action | None = None
    for path, action in _role_paths(user):
        if unit_path.startswith(path) and (best is None or action > best):
            best = action
    if best is None and settings.SCORECARD_VIEWERS_SEE_ALL:
        best = Action.VIEW
    return best


def can(user: Any, action: Action, unit: OrgUnit | None) -> bool:
    """May ``user`` do ``action`` on ``unit`` (and its objects)? ``unit=None`` asks about new top units."""
    if action == Action.ADMINISTER or unit is None:
        return is_executive(user)
    have = granted(user, unit.path)
    return have is not None and have >= action


def units_where(user: Any, action: Action) -> QuerySet[OrgUnit]:
    """Every unit on which the user may do ``action``, as one queryset (one query when evaluated)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return OrgUnit.objects.none()
    if (action == Action.VIEW and settings.SCORECARD_VIEWERS_SEE_ALL) or is_executive(user):
        return OrgUnit.objects.all()
    if action == Action.ADMINISTER:
        return OrgUnit.objects.none()
    cond = Q(pk__in=[])
    for path, have in _role_paths(user):
        if have >= action:
            cond |= Q(path__startswith=path)
    return OrgUnit.objects.filter(cond)


# How to reach the owning unit from each model: used to scope querysets and to find an object's unit.
UNIT_LOOKUP: dict[type, str] = {
    OrgUnit: "",
    StrategyMap: "unit",
    Perspective: "map__unit",
    Theme: "map__unit",
    Objective: "map__unit",
    CauseEffectLink: "cause__map__unit",
    Alignment: "objective__map__unit",
    Measure: "map__unit",
    Actual: "measure__map__unit",
    Initiative: "unit",
    Impact: "initiative__unit",
    Milestone: "initiative__unit",
    Membership: "unit",
}


def scope(user: Any, queryset: QuerySet[Any], action: Action = Action.VIEW) -> QuerySet[Any]:
    """Limit ``queryset`` to the objects whose unit allows ``action`` to ``user``."""
    model = queryset.model
    lookup = UNIT_LOOKUP[model]
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    # The setting first: when everybody reads everything, a read needs no question to the database.
    if (action == Action.VIEW and settings.SCORECARD_VIEWERS_SEE_ALL) or is_executive(user):
        return queryset
    path_field = f"{lookup}__path" if lookup else "path"
    cond = Q(pk__in=[])
    for path, have in _role_paths(user):
        if have >= action:
            cond |= Q(**{f"{path_field}__startswith": path})
    return queryset.filter(cond)


def unit_of(obj: Any) -> OrgUnit:
    """The unit that owns ``obj`` (follows the same lookups as ``scope``)."""
    lookup = UNIT_LOOKUP[type(obj)]
    current = obj
    for part in lookup.split("__") if lookup else []:
        current = getattr(current, part)
    return current
