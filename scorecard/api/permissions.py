"""The one permission class of the API. Every decision is asked of ``scorecard.access``.

Views declare what they need as attributes:
- ``read_action``: VIEW for most resources, ADMINISTER where even reading is for executives (memberships);
- ``write_action``: MANAGE for map content, initiatives, impacts, alignments; UPDATE for actuals; ADMINISTER
  for units and memberships;
- ``progress_fields``: the fields an UPDATE holder may change on an object whose ``write_action`` is higher
  (initiative progress, a milestone's done date). A write that names any other field needs ``write_action``.

Reads are scoped in the queryset (``access.scope``), so an object outside the reader's scope is a 404.
A write is checked twice: on the object's current unit (``has_object_permission``, before anything is read
from the body) and on the unit the object will belong to after the write (``check_target``, after
validation): that second check is what refuses creating an object in, or moving one to, a foreign unit.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from scorecard import access
from scorecard.access import Action

# Fields the API shows but never writes; naming them in a body is harmless and not "touching" a field.
READ_ONLY_FIELDS = frozenset({"id", "version", "unit_code"})


def required_write_action(request: Request, view: Any) -> Action:
    """The action this write needs on the object's unit."""
    custom = getattr(view, "action_requirements", {}).get(getattr(view, "action", None))
    if custom is not None:
        return custom
    write: Action = view.write_action
    progress = getattr(view, "progress_fields", frozenset())
    if progress and request.method in ("PATCH", "PUT"):
        data = request.data
        if isinstance(data, dict) and data and set(data) - READ_ONLY_FIELDS <= progress:
            return min(write, Action.UPDATE)
    return write


class UnitScopedPermission(BasePermission):
    message = "You may not do this in this unit."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if getattr(view, "read_action", Action.VIEW) == Action.ADMINISTER and not access.is_executive(user):
            self.message = "Only executives may see or change this resource."
            return False
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) == "create":
            action = required_write_action(request, view)
            if action == Action.ADMINISTER:
                return access.is_executive(user)
            # Early refusal for someone who may write this kind of object nowhere: a viewer gets a 403,
            # not a validation report about a body they could never have written.
            return access.units_where(user, action).exists()
        return True

    def has_object_permission(self, request: Request, view: Any, obj: models.Model) -> bool:
        if request.method in SAFE_METHODS:
            return True  # the queryset was scoped to what the user may view
        action = required_write_action(request, view)
        unit = access.unit_of(obj)
        if access.can(request.user, action, unit):
            return True
        self.message = f"You may not {_verb(request)} this object: it belongs to unit {unit.code}, outside your scope."
        return False

    def check_target(self, request: Request, view: Any, instance: models.Model) -> None:
        """Refuse a write whose result would sit in a unit the user may not write (create or move)."""
        action = required_write_action(request, view)
        unit = access.unit_of(instance)
        target = None if unit is None or unit.pk is None else unit
        if action == Action.ADMINISTER:
            allowed = access.can(request.user, Action.ADMINISTER, target)
        else:
            allowed = target is not None and access.can(request.user, action, target)
        if not allowed:
            where = f"unit {target.code}" if target is not None else "a new unit"
            raise PermissionDenied(f"You may not put this object in {where}: it is outside your scope.")


def _verb(request: Request) -> str:
    return {"DELETE": "delete", "PUT": "change", "PATCH": "change"}.get(request.method or "", "write")
