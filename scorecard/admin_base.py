"""The machinery under ``scorecard.admin``: unit scoping through ``scorecard.access``, the stale-save guard, and
the safety net that turns an error raised while saving into a form error instead of a 500.

Permissions. The admin normally asks Django's per-model permissions (``scorecard.change_objective``...). Here
nobody needs any: every ``has_*_permission`` asks ``scorecard.access`` instead, so a unit manager only needs
``is_staff`` and a Membership, and what they may do follows their roles as everywhere else (API, pages).
Executives (superusers or the "Executives" group) may do everything; an admin class says which action a user
must hold on an object's unit to see it (``view_action``) and to change, add or delete it (``change_action``).
Lists are scoped with ``access.scope``; a direct URL to an object outside the scope is a 404.

Lost updates. ``StaleSaveGuardMixin`` (any ModelAdmin of Versioned models, e.g. cascade's review admins) with
``ScorecardForm`` (also the form of inlines) carries the version a form was opened at and refuses a stale save
with a form error; it also turns any error raised while saving into form errors instead of a 500.

Foreign keys. The choices of every foreign key to a unit-owned model (form fields, inline rows, autocomplete
results) are scoped the same way, by the action in ``FIELD_ACTIONS`` (default MANAGE), so a manager can neither
pick nor post another unit's map, perspective or objective.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import IntegrityError, models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from scorecard import access, services
from scorecard.access import Action
from scorecard.models import Actual, Alignment, Impact, Versioned

# What a user must hold on the unit of the object a foreign key points to, to be offered it. Objectives
# support (alignment) or are moved by (impact) objectives of ancestor units, which a manager only reads.
FIELD_ACTIONS: dict[tuple[type[models.Model], str], Action] = {
    (Alignment, "supports"): Action.VIEW,
    (Impact, "objective"): Action.VIEW,
    (Actual, "measure"): Action.UPDATE,
}

STALE_MESSAGE = (
    "%(what)s was changed by someone else since you opened it; reload the page and make your change again. "
    "Nothing was saved."
)
_SAVE_ERRORS = "_scorecard_admin_save_errors"
_HOLDS = "_scorecard_admin_holds"


def field_action(model: type[models.Model], field_name: str) -> Action:
    return FIELD_ACTIONS.get((model, field_name), Action.MANAGE)


def holds(request: HttpRequest, action: Action) -> bool:
    """Does the user hold ``action`` on at least one unit? Cached on the request (one query per action)."""
    cache: dict[Action, bool] = request.__dict__.setdefault(_HOLDS, {})
    if action not in cache:
        user = request.user
        cache[action] = access.is_executive(user) or (
            action != Action.ADMINISTER and access.units_where(user, action).exists()
        )
    return cache[action]


def may(request: HttpRequest, action: Action, obj: models.Model) -> bool:
    """``access.can`` on the object's unit; an object whose unit cannot be found is refused, not a 500."""
    try:
        unit = access.unit_of(obj)
    except ObjectDoesNotExist:
        return access.is_executive(request.user)
    return access.can(request.user, action, unit)


def valid_key(field: models.Field[Any, Any], value: Any) -> bool:
    """Is ``value`` a well-formed value of this key field (so that a lookup with it cannot fail)?"""
    try:
        field.run_validators(field.to_python(value))
    except (ValidationError, TypeError, ValueError):
        return False
    return True


def messages_of(exc: ValidationError, label: str = "") -> list[str]:
    """Flatten a ValidationError to readable sentences, prefixed by ``label`` where they do not name it."""
    out = []
    for message in exc.messages:
        out.append(message if not label or label in message else f"{label}: {message}")
    return out


def check_not_stale(obj: models.Model, seen: int | None) -> None:
    """Under a row lock, refuse the save when the row moved on since the form was opened (a race past clean())."""
    if not isinstance(obj, Versioned) or obj.pk is None or obj._state.adding:
        return
    current = (
        type(obj)._default_manager.select_for_update().filter(pk=obj.pk).values_list("version", flat=True).first()
    )
    what = f"{type(obj)._meta.verbose_name} {obj}"
    if current is None:
        raise ValidationError(f"{what} was deleted by someone else since you opened it. Nothing was saved.")
    if seen is None or current != seen:
        raise ValidationError(STALE_MESSAGE % {"what": what}, code="stale")


# ------------------------------------------------------------------------------------------------ forms
class VersionField(forms.IntegerField):
    """The version the user saw, carried through the form. Never "a change" by itself: an inline row whose
    only difference is a newer version elsewhere must not count as edited."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, min_value=0, **kwargs)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return False


class ScorecardForm(forms.ModelForm):
    """Base form of every admin form and inline row: the stale-save guard and errors raised while saving."""

    # Not "version": that is the model's own (non-editable) field, which a ModelForm may not declare.
    seen_version = VersionField(label="version")
    # Set by ScopedAdmin.get_form on the per-request form class (the main form only).
    admin_request: HttpRequest | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and isinstance(self.instance, Versioned):
            self.fields["seen_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        request = type(self).admin_request
        saved_errors = getattr(request, _SAVE_ERRORS, None) if request is not None else None
        if saved_errors:
            # The previous attempt of this very request failed while saving (and was rolled back): show why.
            for field, messages in saved_errors.items():
                self.add_error(field if field in self.fields else None, messages)
        if self.is_stale():
            raise ValidationError(
                STALE_MESSAGE % {"what": f"{self.instance._meta.verbose_name} {self.instance}"}, code="stale"
            )
        return cleaned

    def is_stale(self) -> bool:
        instance = self.instance
        if not isinstance(instance, Versioned) or instance.pk is None or instance._state.adding:
            return False
        if self.prefix and not (self.has_changed() or self.cleaned_data.get("DELETE")):
            return False  # an untouched inline row is not saved, so its version does not matter
        seen = self.cleaned_data.get("seen_version")
        return seen is None or seen != instance.version

    def _update_errors(self, errors: ValidationError) -> None:
        # A model's clean() may name a field this form does not show (read-only for this user, or set by the
        # admin): keep the message, on the form as a whole, rather than fail with "has no field named".
        if hasattr(errors, "error_dict"):
            remapped: dict[str, list[Any]] = {}
            for field, errs in errors.error_dict.items():
                key = field if field in self.fields else NON_FIELD_ERRORS
                remapped.setdefault(key, []).extend(errs)
            errors = ValidationError(remapped)
        super()._update_errors(errors)


# ------------------------------------------------------------------------------------------------ admins
class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, minus a 500: re-rendering a form whose posted id is garbage ("x", a
    40-digit number) made it query ``pk__in=["x"]`` and fail. Values that are no valid key are not shown (the
    field's own error, "Select a valid choice", says what was wrong)."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        remote = self.field.remote_field
        key = remote.model._meta.get_field(remote.field_name)
        return super().optgroups(name, [item for item in value if valid_key(key, item)], attr)


class ScopedFieldsMixin:
    """Foreign-key choices scoped to the user's units; shared by model admins and inlines."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if related in access.UNIT_LOOKUP and "queryset" not in kwargs:
            action = field_action(db_field.model, db_field.name)
            kwargs["queryset"] = access.scope(request.user, related._default_manager.all(), action)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))  # type: ignore[attr-defined]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class StaleSaveGuardMixin:
    """The admin's lost-update guard, for any ModelAdmin of ``Versioned`` models (mix in before ModelAdmin).

    - Every form and inline row (``form = ScorecardForm``; give inlines the same form) carries the version the
      user opened as a hidden field; a save from a form whose row has moved on since is refused with a form
      error ("changed by someone else since you opened it; reload"), checked in ``clean()`` and again under a
      row lock when saving (a race past ``clean()``).
    - An error raised while saving (ValidationError, IntegrityError: a stale row, a cross-row rule such as a
      cycle closed by two new links, a unique code taken meanwhile) ends as a form error, never a 500: the
      admin's transaction is rolled back and the same form is shown again with the reason.
    """

    form = ScorecardForm

    @admin.display(description="version")
    def seen_version(self, obj: Any) -> Any:
        """What a read-only form shows in place of the hidden version field."""
        return getattr(obj, "version", None)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        form.admin_request = request  # a fresh class per call: safe to set on the class
        return form

    def refuse_stale(self, obj: Any, form: Any, change: bool) -> None:
        if change:
            check_not_stale(obj, form.cleaned_data.get("seen_version"))

    def refuse_stale_rows(self, formset: Any) -> None:
        for row in formset.initial_forms:
            if row.instance.pk is not None and (row.has_changed() or row in formset.deleted_forms):
                check_not_stale(row.instance, row.cleaned_data.get("seen_version"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self.refuse_stale(obj, form, change)
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        self.refuse_stale_rows(formset)
        super().save_formset(request, form, formset, change)  # type: ignore[misc]

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        except (ValidationError, IntegrityError) as exc:
            # changeform_view runs in one transaction, rolled back by now: nothing of the attempt was written.
            # Render the same form again with the reason as form errors (never a 500).
            if isinstance(exc, ValidationError):
                errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
            else:
                errors = {NON_FIELD_ERRORS: [f"The database refused the change: {exc}"]}
            setattr(request, _SAVE_ERRORS, {
                (None if key == NON_FIELD_ERRORS else key): value for key, value in errors.items()
            })
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


class ScopedAdmin(ScopedFieldsMixin, StaleSaveGuardMixin, SimpleHistoryAdmin):
    """A model admin whose lists, objects, permissions and choices follow ``scorecard.access``, with the
    stale-save guard, and saves through the services."""

    view_action: Action = Action.MANAGE
    change_action: Action = Action.MANAGE
    # Fields a holder of UPDATE may change where change_action is higher (initiative progress).
    progress_fields: frozenset[str] = frozenset()
    # select_related for single objects and autocomplete results whose __str__ follows a foreign key.
    object_select_related: tuple[str, ...] = ()

    # -- permissions: access.py only (see the module docstring); no Django model permissions needed.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return holds(request, Action.UPDATE)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if obj is None:
            return holds(request, self.view_action)
        return may(request, self.view_action, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        weakest = Action.UPDATE if self.progress_fields else self.change_action
        if obj is None:
            return holds(request, weakest)
        return may(request, weakest, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return holds(request, self.change_action)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        if obj is None:
            return holds(request, self.change_action)
        return may(request, self.change_action, obj)

    # -- scoping of lists, objects and autocomplete results.
    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        qs = super().get_queryset(request)
        if self.object_select_related:
            qs = qs.select_related(*self.object_select_related)
        return access.scope(request.user, qs, self.view_action)

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        # A NUL byte in a filter value passes Django's checks and then fails in PostgreSQL ("text fields cannot
        # contain NUL"): refuse it the way the admin refuses any bad lookup (a redirect to "?e=1").
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            raise IncorrectLookupParameters("A NUL character in the query string.")
        return super().get_changelist_instance(request)

    def response_action(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        # Django filters pk__in=<posted ids> unchecked: a posted "x" was a 500. Say so instead.
        if not all(valid_key(self.opts.pk, v) for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            self.message_user(request, "The selection names objects that do not exist; nothing was done.",
                              messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Outside the user's scope or gone: the same 404 either way, so ids of other units reveal nothing.
            raise Http404(f"No {self.opts.verbose_name} with id {object_id!r} that you may see.")
        return obj

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> tuple[Any, bool]:
        source = _autocomplete_source(request)
        if source is not None:
            # An autocomplete for some form's foreign key: offer what that field may point to for this user
            # (e.g. ancestor objectives for an alignment), not merely what this list shows.
            action = field_action(*source)
            base = self.model._default_manager.all()
            if self.object_select_related:
                base = base.select_related(*self.object_select_related)
            queryset = access.scope(request.user, base, action)
        # PostgreSQL refuses NUL in text: a search for it finds nothing anyway (and must not be a 500).
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    # -- forms: read-only fields for progress-only users.
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.progress_fields and not may(request, self.change_action, obj):
            editable = [f.name for f in self.model._meta.fields if f.editable and not f.primary_key]
            readonly += [name for name in editable if name not in self.progress_fields and name not in readonly]
        return readonly

    # -- saving: through full_clean and the services, in the admin's one transaction.
    def required_action(self, request: HttpRequest, form: Any, change: bool) -> Action:
        if change and self.progress_fields and set(form.changed_data) <= self.progress_fields:
            return Action.UPDATE
        return self.change_action

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj._history_user = request.user
        self.refuse_stale(obj, form, change)
        self.write(request, obj, form, change)
        self.check_target(request, obj, self.required_action(request, form, change))

    def write(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The save itself; admins override it to call a named service."""
        services.save_validated(obj)

    def check_target(self, request: HttpRequest, obj: Any, action: Action) -> None:
        """Refuse a result that sits in a unit the user may not write (belt and braces behind the scoped
        choices: a forged post of another unit's id is already "not one of the available choices")."""
        if not may(request, action, obj):
            raise ValidationError(f"You may not put {obj._meta.verbose_name} {obj} in unit "
                                  f"{access.unit_of(obj).code}: it is outside your units.")

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        self.refuse_stale_rows(formset)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.delete_object(obj)
        for obj in instances:
            label = f"{obj._meta.verbose_name} {obj}"
            try:
                services.save_validated(obj)
            except ValidationError as exc:
                # Cross-row rules (a cycle closed by two new links, a code taken by another row) fail here,
                # in the order rows are saved: name the row, since the message lands on the whole form.
                raise ValidationError(messages_of(exc, label)) from exc
            # A row lives in its parent's unit; which rows this user may add, change or delete (and which
            # fields) the inline's own permissions decided. Here only: is it somewhere they may write at all.
            self.check_target(request, obj, Action.UPDATE)
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.delete_object(obj)

    # -- history: visible to whoever may see the object; revert is off, it would skip the guards above.
    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    # The history page lists, under the object's own records, the changes of what hangs off it (links,
    # milestones...) which have no admin page of their own: ``related_history`` names them.
    object_history_template = "admin/scorecard/object_history.html"

    def related_history(self, pk: Any) -> list[tuple[str, list[Any]]]:
        """(title, changes oldest first) for the related objects shown on the object's history page."""
        return []

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            self.get_object(request, unquote(object_id))  # 404 outside the scope
        except Http404:
            # Executives may read the history of a deleted object; a malformed id has none (and was a 500).
            if not access.is_executive(request.user) or not valid_key(self.opts.pk, unquote(object_id)):
                raise
        pk = self.opts.pk.to_python(unquote(object_id))
        related = [(title, list(reversed(rows))) for title, rows in self.related_history(pk) if rows]
        return super().history_view(request, object_id, {**(extra_context or {}), "related_history": related})

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied("Reverting from history is disabled; edit the object instead.")
        self.get_object(request, unquote(object_id))
        if not valid_key(self.model.history.model._meta.pk, version_id):  # type: ignore[attr-defined]
            raise Http404(f"No history record {version_id!r}.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ScopedInline(ScopedFieldsMixin, admin.TabularInline):
    """An inline whose rows follow the parent's unit (every inline child lives in its parent's unit)."""

    form = ScorecardForm
    extra = 0
    view_action: Action = Action.MANAGE
    change_action: Action = Action.MANAGE
    # Fields an UPDATE holder may change on existing rows (a milestone's done date); others are read-only.
    progress_fields: frozenset[str] = frozenset()

    @admin.display(description="version")
    def seen_version(self, obj: Any) -> Any:
        return getattr(obj, "version", None)

    def _may(self, request: HttpRequest, action: Action, parent: Any) -> bool:
        return holds(request, action) if parent is None else may(request, action, parent)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, self.view_action, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        weakest = Action.UPDATE if self.progress_fields else self.change_action
        return self._may(request, weakest, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, self.change_action, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, self.change_action, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.progress_fields and not may(request, self.change_action, obj):
            editable = [f.name for f in self.model._meta.fields if f.editable and not f.primary_key]
            readonly += [name for name in editable if name not in self.progress_fields and name not in readonly]
        return readonly


def _autocomplete_source(request: HttpRequest) -> tuple[type[models.Model], str] | None:
    """(source model, field name) when this request is the admin's autocomplete for a form's foreign key."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        model._meta.get_field(request.GET["field_name"])
    except (KeyError, LookupError, FieldDoesNotExist):
        return None  # malformed: the autocomplete view itself answers 403
    return model, request.GET["field_name"]
