"""Helpers for the admin tests: a staff client per persona, form data read back from a rendered admin form,
and a fingerprint of the whole domain to prove that a refused save wrote nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum
from django.test import Client

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

MODELS = (OrgUnit, StrategyMap, Perspective, Theme, Objective, CauseEffectLink, Alignment, Measure, Actual,
          Initiative, Impact, Milestone, Membership)


def staff_client(user: Any) -> Client:
    """A client signed in as ``user``, made staff (the admin's own gate) and nothing more."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def fingerprint() -> dict[str, tuple[int, int]]:
    """(row count, sum of versions) per model: any insert, delete or save changes it."""
    return {m.__name__: (m.objects.count(), m.objects.aggregate(v=Sum("version"))["v"] or 0) for m in MODELS}


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return value


def form_data(response: Any) -> dict[str, Any]:
    """The POST body that re-submits a rendered admin change/add form unchanged (main form and inlines)."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[name] = _plain(form[name].value())
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = _plain(management[name].value())
        for row in formset.forms:
            for name in row.fields:
                data[row.add_prefix(name)] = _plain(row[name].value())
    return {k: v for k, v in data.items() if v != ""}


def add_inline_row(data: dict[str, Any], prefix: str, row: dict[str, Any]) -> None:
    """Append one new row to the inline formset ``prefix`` of a form_data() body."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in row.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = index + 1


def errors_of(response: Any) -> str:
    """Every error message on a re-rendered admin form (main form, its non-field errors, inline rows)."""
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    form = response.context["adminform"].form
    texts = [str(m) for errs in form.errors.values() for m in errs]
    for inline in response.context["inline_admin_formsets"]:
        texts += [str(m) for m in inline.formset.non_form_errors()]
        for row in inline.formset.errors:
            texts += [str(m) for errs in row.values() for m in errs]
    return " | ".join(texts)
