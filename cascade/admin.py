"""Admin for review meetings: scoped to the units the user may see, edited by the unit's managers.

Django's per-model permissions are not used: like ``scorecard.admin``, every decision is asked of
``scorecard.access`` (the review models are not in its ``UNIT_LOOKUP``, which belongs to the scorecard app, so
the unit is reached here through the meeting). Saves go through ``full_clean()``; the agenda generator and the
pack are on the meeting page (/reviews/<id>/), the admin is for corrections.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from cascade.models import ActionItem, AgendaItem, ReviewMeeting
from scorecard import access
from scorecard.access import Action
from scorecard.admin_base import holds
from scorecard.models import OrgUnit


def _unit(obj: Any) -> OrgUnit:
    return obj.unit if isinstance(obj, (ReviewMeeting, ActionItem)) else obj.meeting.unit


class ReviewScopedAdmin(SimpleHistoryAdmin):
    unit_path = "unit"

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        visible = access.units_where(request.user, Action.VIEW)
        return super().get_queryset(request).filter(**{f"{self.unit_path}__in": visible})

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (obj is None or access.can(request.user, Action.VIEW,
                                                                                   _unit(obj)))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self.has_module_permission(request):
            return False
        if obj is None:
            return holds(request, Action.MANAGE)  # cached on the request: asked once per model on every admin page
        return access.can(request.user, Action.MANAGE, _unit(obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "unit":
            kwargs["queryset"] = access.units_where(request.user, Action.MANAGE)
        elif db_field.name == "meeting":
            kwargs["queryset"] = ReviewMeeting.objects.filter(
                unit__in=access.units_where(request.user, Action.MANAGE))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AgendaItemInline(admin.StackedInline):
    model = AgendaItem
    extra = 0
    fields = ("order", "title", "kind", "minutes", "objective", "measure", "initiative", "topic",
              "status_questions", "strategic_questions", "notes", "decision", "reason", "rank", "score", "manual")
    readonly_fields = ("reason", "rank", "score", "manual")
    raw_id_fields = ("objective", "measure", "initiative")


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(ReviewScopedAdmin):
    list_display = ("title", "unit", "date", "as_of", "facilitator", "minutes_length", "closed_at")
    list_filter = ("date",)
    search_fields = ("title", "unit__code")
    list_select_related = ("unit", "facilitator")
    filter_horizontal = ("attendees",)
    readonly_fields = ("version", "closed_at", "created_at")
    inlines = [AgendaItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReviewScopedAdmin):
    list_display = ("description", "unit", "owner", "due", "done", "meeting")
    list_filter = ("done",)
    search_fields = ("description", "unit__code")
    list_select_related = ("unit", "owner", "meeting")
    readonly_fields = ("version", "unit")
    raw_id_fields = ("agenda_item",)
