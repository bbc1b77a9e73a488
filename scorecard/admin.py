"""The admin where executives draft strategy maps, scoped for unit managers and updaters through ``access.py``.

Maps with their perspectives and themes; objectives with their measures and cause-effect links; units,
alignments, measures with their actuals, initiatives with impacts and milestones, memberships. Every foreign
key is an autocomplete; every list filters by unit (and perspective, theme, owner where they apply) and
searches by code and name; every object shows its history (django-simple-history).

How the rules hold here (see ``scorecard.admin_base``): saves run ``full_clean()`` through the services in the
admin's one transaction; an error raised while saving (a cross-row cycle, a race on a unique code, a stale
version) is rolled back and shown on the form; permissions, lists, objects and choices are asked of
``scorecard.access`` only, so unit managers need ``is_staff`` and a Membership, no Django permissions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import AllValuesFieldListFilter, RelatedOnlyFieldListFilter
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from scorecard import access, services
from scorecard.access import Action
from scorecard.admin_base import ScopedAdmin, ScopedInline, holds
from scorecard.history import alignment_history, impact_history, link_history, milestone_history
from scorecard.models import (
    DEFAULT_PERSPECTIVES,
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


def titled(base: type, title: str) -> type:
    """A list filter class whose heading is ``title`` (``perspective__code`` would read "code")."""

    class Titled(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    Titled.__name__ = f"{base.__name__}_{title.replace(' ', '_')}"
    return Titled


class CodeFilter(AllValuesFieldListFilter):
    """The distinct values of a related field (``perspective__code``) among the objects of the scoped list.

    Django's own version reads the values from the whole related table, which would show a manager the codes
    of every unit's perspectives; this one reads them through the list's queryset (still one query).
    """

    def __init__(self, field: Any, request: HttpRequest, params: Any, model: Any, model_admin: Any,
                 field_path: str) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = (
            model_admin.get_queryset(request).order_by(field_path).values_list(field_path, flat=True).distinct()
        )


# The filter choices come from the scoped list itself (RelatedOnly / AllValues: one query each), so a manager
# is never offered, say, another division's units, and the count of queries does not grow with the data.
UNIT_FILTER = titled(RelatedOnlyFieldListFilter, "unit")
OWNER_FILTER = titled(RelatedOnlyFieldListFilter, "owner")
PERSPECTIVE_FILTER = titled(CodeFilter, "perspective (code)")
THEME_FILTER = titled(CodeFilter, "theme (code)")


@admin.display(description="unit", ordering="map__unit__code")
def map_unit(obj: Any) -> str:
    return obj.map.unit.code


# --------------------------------------------------------------------------------------------------- units
@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdmin):
    # Managers see their subtree read-only; only executives create, move or delete units.
    view_action = Action.MANAGE
    change_action = Action.ADMINISTER
    list_display = ("code", "name", "kind", "parent", "display_order")
    list_select_related = ("parent",)
    list_filter = ("kind", ("parent", titled(RelatedOnlyFieldListFilter, "parent")))
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    fields = ("code", "name", "kind", "parent", "display_order", "seen_version")


# ---------------------------------------------------------------------------------------------------- maps
class PerspectiveInline(ScopedInline):
    model = Perspective
    fields = ("code", "name", "position", "weight", "seen_version")


class ThemeInline(ScopedInline):
    model = Theme
    fields = ("code", "name", "seen_version")


@admin.register(StrategyMap)
class StrategyMapAdmin(ScopedAdmin):
    list_display = ("unit", "title", "rollup", "red_flag_percent")
    list_select_related = ("unit",)
    list_filter = (("unit", UNIT_FILTER), "rollup")
    search_fields = ("unit__code", "unit__name", "title")
    autocomplete_fields = ("unit",)
    object_select_related = ("unit",)
    fields = ("unit", "title", "mission", "vision", "red_flag_percent", "rollup", "seen_version")
    inlines = (PerspectiveInline, ThemeInline)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        strategy_map = form.instance
        if not change and not strategy_map.perspectives.exists():
            # A new map gets the four classic bands unless the drafter entered its own, as with
            # services.map_create (the map itself was saved by save_model, with its inline rows).
            for position, (code, name) in enumerate(DEFAULT_PERSPECTIVES):
                services.save_validated(Perspective(map=strategy_map, code=code, name=name, position=position))


@admin.register(Perspective)
class PerspectiveAdmin(ScopedAdmin):
    list_display = ("code", "name", map_unit, "position", "weight")
    list_select_related = ("map__unit",)
    list_filter = (("map__unit", UNIT_FILTER), "code")
    search_fields = ("code", "name", "map__unit__code")
    autocomplete_fields = ("map",)
    fields = ("map", "code", "name", "position", "weight", "seen_version")


@admin.register(Theme)
class ThemeAdmin(ScopedAdmin):
    list_display = ("code", "name", map_unit)
    list_select_related = ("map__unit",)
    list_filter = (("map__unit", UNIT_FILTER), "code")
    search_fields = ("code", "name", "map__unit__code")
    autocomplete_fields = ("map",)
    fields = ("map", "code", "name", "seen_version")


# ---------------------------------------------------------------------------------------------- objectives
class MeasureInline(ScopedInline):
    model = Measure
    fields = ("code", "name", "units", "polarity", "scoring", "frequency", "baseline", "target", "red_flag",
              "tolerance", "red_tolerance", "weight", "owner", "source", "seen_version")
    autocomplete_fields = ("owner",)


class CauseEffectLinkInline(ScopedInline):
    model = CauseEffectLink
    fk_name = "cause"
    verbose_name = "effect (this objective causes)"
    verbose_name_plural = "effects (links where this objective is the cause)"
    fields = ("effect", "note", "seen_version")
    autocomplete_fields = ("effect",)


class CascadeForm(forms.Form):
    child = forms.ModelChoiceField(
        queryset=OrgUnit.objects.none(), label="Child unit",
        help_text="A unit below the objectives' unit that you may manage; its map gets the copies.",
    )


@admin.register(Objective)
class ObjectiveAdmin(ScopedAdmin):
    list_display = ("code", "name", map_unit, "perspective", "theme", "owner", "weight")
    list_select_related = ("map__unit", "perspective", "theme", "owner")
    list_filter = (("map__unit", UNIT_FILTER), ("perspective__code", PERSPECTIVE_FILTER),
                   ("theme__code", THEME_FILTER), ("owner", OWNER_FILTER))
    search_fields = ("code", "name", "map__unit__code")
    autocomplete_fields = ("map", "perspective", "theme", "owner")
    fields = ("map", "perspective", "theme", "code", "name", "description", "owner", "weight", "seen_version")
    inlines = (MeasureInline, CauseEffectLinkInline)
    actions = ("cascade_to_child_unit",)

    def related_history(self, pk: Any) -> list[tuple[str, list[Any]]]:
        objective = Objective(pk=pk)
        return [("Cause-effect links", link_history(objective)), ("Alignments", alignment_history(objective))]

    @admin.action(description="Cascade to a child unit", permissions=["change"])
    def cascade_to_child_unit(self, request: HttpRequest, queryset: QuerySet[Objective]) -> HttpResponse | None:
        """Copy the selected objectives into a child unit's map, each aligned to its original.

        The queryset is the scoped changelist's, so only objectives the user may manage arrive here; the
        child units offered are the proper descendants of every selected objective's unit that the user may
        manage, and the posted choice is validated against exactly those.
        """
        objectives = list(queryset.select_related("map__unit", "perspective", "theme"))
        children = access.units_where(request.user, Action.MANAGE)
        for unit in {o.map.unit.pk: o.map.unit for o in objectives}.values():
            children = children.filter(path__startswith=unit.path).exclude(pk=unit.pk)
        children = children.order_by("path", "code")
        if "apply" in request.POST:
            form = CascadeForm(request.POST)
            form.fields["child"].queryset = children
            if form.is_valid():
                child = form.cleaned_data["child"]
                try:
                    copies = services.objectives_cascade(objectives=objectives, child=child)
                except ValidationError as exc:
                    self.message_user(request, " ".join(exc.messages), messages.ERROR)
                else:
                    codes = ", ".join(c.code for c in copies)
                    self.message_user(
                        request, f"Cascaded {len(copies)} objective(s) to {child.code}: {codes}; each copy "
                                 "supports its original.", messages.SUCCESS,
                    )
                return None
        else:
            if not children.exists():
                self.message_user(request, "There is no unit below the selected objectives' unit that you may "
                                           "manage: nothing to cascade to.", messages.ERROR)
                return None
            form = CascadeForm()
            form.fields["child"].queryset = children
        context = {
            **self.admin_site.each_context(request),
            "title": "Cascade objectives to a child unit",
            "opts": self.opts,
            "objectives": objectives,
            "form": form,
            "action_name": "cascade_to_child_unit",
        }
        return TemplateResponse(request, "admin/scorecard/objective/cascade.html", context)


@admin.register(Alignment)
class AlignmentAdmin(ScopedAdmin):
    list_display = ("objective", "objective_unit", "supports", "supports_unit", "weight")
    list_select_related = ("objective__map__unit", "supports__map__unit")
    list_filter = (("objective__map__unit", UNIT_FILTER),)
    search_fields = ("objective__code", "objective__name", "supports__code", "supports__name")
    autocomplete_fields = ("objective", "supports")
    object_select_related = ("objective__map__unit", "supports__map__unit")
    fields = ("objective", "supports", "weight", "seen_version")

    @admin.display(description="unit", ordering="objective__map__unit__code")
    def objective_unit(self, obj: Alignment) -> str:
        return obj.objective.map.unit.code

    @admin.display(description="supported unit", ordering="supports__map__unit__code")
    def supports_unit(self, obj: Alignment) -> str:
        return obj.supports.map.unit.code


# ------------------------------------------------------------------------------------------------ measures
class ActualInline(ScopedInline):
    model = Actual
    view_action = Action.UPDATE
    change_action = Action.UPDATE
    fields = ("period", "value", "note", "entered_by", "seen_version")
    readonly_fields = ("entered_by",)


@admin.register(Measure)
class MeasureAdmin(ScopedAdmin):
    # Updaters see their measures (to enter actuals); changing the definition is for managers.
    view_action = Action.UPDATE
    list_display = ("code", "name", "objective", map_unit, "polarity", "scoring", "frequency", "target", "owner")
    list_select_related = ("objective", "map__unit", "owner")
    list_filter = (("map__unit", UNIT_FILTER), ("objective__perspective__code", PERSPECTIVE_FILTER),
                   ("objective__theme__code", THEME_FILTER), ("owner", OWNER_FILTER), "frequency")
    search_fields = ("code", "name", "map__unit__code")
    autocomplete_fields = ("objective", "owner")
    fields = ("objective", "code", "name", "units", "polarity", "scoring", "frequency", "baseline", "target",
              "red_flag", "tolerance", "red_tolerance", "weight", "owner", "source", "seen_version")
    inlines = (ActualInline,)
    history_list_display = ("target", "red_flag", "baseline")  # targets above all: a column each

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for row in formset.forms:
            if row.has_changed() and not row.cleaned_data.get("DELETE"):
                row.instance.entered_by = request.user
        super().save_formset(request, form, formset, change)


@admin.register(Actual)
class ActualAdmin(ScopedAdmin):
    view_action = Action.UPDATE
    change_action = Action.UPDATE
    list_display = ("measure", "unit_code", "period", "value", "entered_by", "entered_at")
    list_select_related = ("measure__map__unit", "entered_by")
    list_filter = (("measure__map__unit", UNIT_FILTER), "period")
    search_fields = ("measure__code", "measure__name")
    autocomplete_fields = ("measure",)
    object_select_related = ("measure__map__unit",)
    fields = ("measure", "period", "value", "note", "entered_by", "entered_at", "seen_version")
    readonly_fields = ("entered_by", "entered_at")

    @admin.display(description="unit", ordering="measure__map__unit__code")
    def unit_code(self, obj: Actual) -> str:
        return obj.measure.map.unit.code

    def write(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.entered_by = request.user
            services.save_validated(obj)
            return
        # A new value goes through the service that records results everywhere else (it stamps who
        # entered it); the form has already refused a second value for the same period.
        saved = services.actual_record(
            measure=obj.measure, period=obj.period, value=obj.value, note=obj.note, user=request.user
        )
        obj.__dict__.update(saved.__dict__)


# --------------------------------------------------------------------------------------------- initiatives
class ImpactInline(ScopedInline):
    model = Impact
    view_action = Action.UPDATE
    fields = ("objective", "weight", "note", "seen_version")
    autocomplete_fields = ("objective",)


class MilestoneInline(ScopedInline):
    model = Milestone
    view_action = Action.UPDATE
    progress_fields = frozenset({"done"})
    fields = ("name", "due", "done", "seen_version")


@admin.register(Initiative)
class InitiativeAdmin(ScopedAdmin):
    view_action = Action.UPDATE
    # Updaters change progress only; the other fields are read-only for them (get_readonly_fields).
    progress_fields = frozenset({"percent_complete", "spent", "status_note"})
    list_display = ("code", "name", "unit", "owner", "start", "end", "percent_complete", "budget", "spent")
    list_select_related = ("unit", "owner")
    list_filter = (("unit", UNIT_FILTER), ("owner", OWNER_FILTER))
    search_fields = ("code", "name", "unit__code")
    autocomplete_fields = ("unit", "owner")
    fields = ("unit", "code", "name", "description", "owner", "start", "end", "budget", "spent",
              "percent_complete", "status_note", "seen_version")
    inlines = (ImpactInline, MilestoneInline)

    def related_history(self, pk: Any) -> list[tuple[str, list[Any]]]:
        initiative = Initiative(pk=pk)
        return [("Links to objectives", impact_history(initiative)), ("Milestones", milestone_history(initiative))]


# -------------------------------------------------------------------------------------------- memberships
@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    # Roles are granted by executives only: nobody raises their own rights.
    view_action = Action.ADMINISTER
    change_action = Action.ADMINISTER
    list_display = ("user", "unit", "role")
    list_select_related = ("user", "unit")
    list_filter = ("role", ("unit", UNIT_FILTER))
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__code", "unit__name")
    autocomplete_fields = ("user", "unit")
    object_select_related = ("user", "unit")
    fields = ("user", "unit", "role", "seen_version")


# ------------------------------------------------------------------------------------------------- users
class ScorecardUserAdmin(UserAdmin):
    """Django's user admin, plus: a unit manager may look users up in the owner autocomplete (and nowhere
    else: the user list stays behind Django's own permissions)."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().has_view_permission(request, obj):
            return True
        match = getattr(request, "resolver_match", None)
        return obj is None and match is not None and match.url_name == "autocomplete" and holds(
            request, Action.MANAGE
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, ScorecardUserAdmin)
