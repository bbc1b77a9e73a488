"""Review pages: a unit's reviews, the facilitator's meeting page, the minutes and the pack download.

Thin views: who may do what is asked of ``scorecard.access`` (through ``may_edit``), forms parse the input, the
writes are ``cascade.reviews.services``. Anyone who may view the unit reads its reviews (others get a 404); the
facilitator and the unit's managers (and executives) edit (others get a 403). State changes are POST only,
each form carries a CSRF token and the version it was drawn from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cascade.models import ActionItem, AgendaItem, ReviewMeeting
from cascade.render.runner import RenderError
from cascade.reviews import forms, services
from cascade.reviews.pack import build_pack
from cascade.web.params import bad_request
from scorecard import access
from scorecard.access import Action
from scorecard.models import OrgUnit


def may_edit(user: Any, meeting: ReviewMeeting) -> bool:
    """The facilitator, and whoever may manage the unit, edit a review."""
    if not access.can(user, Action.VIEW, meeting.unit):
        return False
    return (meeting.facilitator_id is not None and meeting.facilitator_id == getattr(user, "pk", None)) or \
        access.can(user, Action.MANAGE, meeting.unit)


def _meeting(request: HttpRequest, pk: int, *, edit: bool = False) -> ReviewMeeting:
    meeting = get_object_or_404(ReviewMeeting.objects.select_related("unit", "facilitator"), pk=pk)
    if not access.can(request.user, Action.VIEW, meeting.unit):
        raise Http404(f"No review {pk}")
    if edit and not may_edit(request.user, meeting):
        raise PermissionDenied(f"Only the facilitator and the managers of {meeting.unit.code} may change this review.")
    return meeting


def _errors(request: HttpRequest, exc: ValidationError | Any) -> None:
    for message in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, message)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label or field.replace("_", " ") if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


# ------------------------------------------------------------------------------------------------ reading
@login_required
@require_http_methods(["GET", "POST"])
def unit_reviews(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, code=code)
    if not access.can(request.user, Action.VIEW, unit):
        raise Http404(f"No unit {code}")
    can_plan = access.can(request.user, Action.MANAGE, unit)
    form = forms.PlanForm(request.POST or None, initial={"facilitator": request.user.pk})
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied(f"Only the managers of {unit.code} may plan its reviews.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting, agenda = services.meeting_plan(
                    unit=unit, date=data["date"], as_of=data["as_of"], minutes_length=data["minutes_length"],
                    title=data["title"], facilitator=data["facilitator"], attendees=data["attendees"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Review planned with {len(agenda.items)} agenda items.")
                return redirect("reviews:meeting", pk=meeting.pk)
    meetings = (ReviewMeeting.objects.filter(unit=unit).select_related("facilitator")
                .annotate(n_items=Count("items", distinct=True),
                          n_open=Count("actions", filter=Q(actions__done__isnull=True), distinct=True))
                .order_by("-date", "-id"))
    return render(request, "reviews/unit_reviews.html", {
        "unit": unit, "meetings": meetings, "form": form, "can_plan": can_plan,
        "open_actions": services.open_actions(unit, before=dt.date.max),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def meeting_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    items = list(meeting.items.select_related("objective", "measure", "initiative").order_by("order", "id"))
    actions = list(meeting.actions.select_related("owner", "agenda_item").order_by("id"))
    editable = may_edit(request.user, meeting) and not meeting.is_closed
    rows = []
    for item in items:
        rows.append({
            "item": item,
            "form": forms.ItemForm(prefix=f"i{item.pk}", initial={
                "version": item.version, "title": item.title, "kind": item.kind, "minutes": item.minutes,
                "status_questions": item.status_questions, "strategic_questions": item.strategic_questions,
                "notes": item.notes, "decision": item.decision}) if editable else None,
            "actions": [a for a in actions if a.agenda_item_id == item.pk],
        })
    split = services.meeting_split(meeting, items)
    return render(request, "reviews/meeting.html", {
        "meeting": meeting, "unit": meeting.unit, "rows": rows, "split": split,
        "status_pct": round(split.status_share * 100), "strategic_pct": round(split.strategic_share * 100),
        "editable": editable, "can_edit": may_edit(request.user, meeting),
        "add_form": forms.AddItemForm(unit=meeting.unit, initial={"version": meeting.version}) if editable else None,
        "action_form": forms.ActionForm() if may_edit(request.user, meeting) else None,
        "earlier_actions": services.open_actions(meeting.unit, before=meeting.date, exclude_meeting_id=meeting.pk),
        "meeting_actions": [a for a in actions if a.agenda_item_id is None],
        "today": dt.date.today(),
        "attendees": list(meeting.attendees.order_by("username")),
    })


@login_required
@require_GET
def minutes_page(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    items = list(meeting.items.select_related("objective", "measure", "initiative").order_by("order", "id"))
    actions = list(meeting.actions.select_related("owner", "agenda_item").order_by("id"))
    return render(request, "reviews/minutes.html", {
        "meeting": meeting, "unit": meeting.unit, "attendees": list(meeting.attendees.order_by("username")),
        "rows": [{"item": i, "actions": [a for a in actions if a.agenda_item_id == i.pk]} for i in items],
        "meeting_actions": [a for a in actions if a.agenda_item_id is None],
    })


@login_required
@require_GET
def pack_download(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    try:
        pack = build_pack(meeting)
    except RenderError as exc:
        return bad_request(request, f"The pack could not be drawn: {exc}", status=503)
    response = HttpResponse(pack.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
    return response


# ------------------------------------------------------------------------------------------------ writing
def _back(meeting: ReviewMeeting, anchor: str = "") -> HttpResponse:
    response = redirect("reviews:meeting", pk=meeting.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@login_required
@require_POST
def meeting_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, edit=True)
    try:
        services.agenda_regenerate(meeting=meeting, version=_version(request))
        messages.success(request, "Agenda generated again from the data; recorded and hand-added items were kept.")
    except ValidationError as exc:
        _errors(request, exc)
    return _back(meeting)


@login_required
@require_POST
def meeting_retime(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, edit=True)
    try:
        services.agenda_retime(meeting=meeting, version=_version(request))
        messages.success(request, f"The {meeting.minutes_length} minutes were shared out again by priority.")
    except ValidationError as exc:
        _errors(request, exc)
    return _back(meeting)


@login_required
@require_POST
def meeting_close(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, edit=True)
    try:
        services.meeting_close(meeting=meeting, version=_version(request))
        messages.success(request, "Review closed: the minutes are final.")
        return redirect("reviews:minutes", pk=meeting.pk)
    except ValidationError as exc:
        _errors(request, exc)
    return _back(meeting)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, edit=True)
    form = forms.AddItemForm(request.POST, unit=meeting.unit)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(meeting, "add-item")
    data = form.cleaned_data
    subject = {data["object_kind"]: data["object"]} if data.get("object") is not None else {}
    try:
        item = services.item_add(meeting=meeting, topic=data["topic"], kind=data["kind"], version=data["version"],
                                 **subject)
        messages.success(request, f"Added “{item.title}”; the time was shared again.")
    except ValidationError as exc:
        _errors(request, exc)
    return _back(meeting, "add-item")


def _item(request: HttpRequest, pk: int) -> AgendaItem:
    item = get_object_or_404(AgendaItem.objects.select_related("meeting__unit", "meeting__facilitator"), pk=pk)
    _meeting(request, item.meeting_id, edit=True)
    return item


@login_required
@require_POST
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = forms.ItemForm(request.POST, prefix=f"i{item.pk}")
    if not form.is_valid():
        _form_errors(request, form)
        return _back(item.meeting, f"item-{item.pk}")
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        services.item_edit(item=item, version=version, **data)
        messages.success(request, f"Saved “{data['title']}”.")
    except ValidationError as exc:
        _errors(request, exc)
    return _back(item.meeting, f"item-{item.pk}")


@login_required
@require_POST
def item_move(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "direction: use up or down.")
        return _back(item.meeting)
    try:
        services.item_move(item=item, offset=offset)
    except ValidationError as exc:
        _errors(request, exc)
    return _back(item.meeting, f"item-{item.pk}")


@login_required
@require_POST
def item_drop(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    try:
        services.item_drop(item=item, version=_version(request))
        messages.success(request, f"Dropped “{item.title}”; the time was shared again.")
    except ValidationError as exc:
        _errors(request, exc)
    return _back(item.meeting)


@login_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, edit=True)
    form = forms.ActionForm(request.POST)
    raw_item = request.POST.get("agenda_item", "")
    item = meeting.items.filter(pk=int(raw_item)).first() if raw_item.isdigit() else None
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.action_add(meeting=meeting, agenda_item=item, **form.cleaned_data)
            messages.success(request, "Action item recorded.")
        except ValidationError as exc:
            _errors(request, exc)
    return _back(meeting, f"item-{item.pk}" if item else "actions")


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(ActionItem.objects.select_related("meeting"), pk=pk)
    meeting = _meeting(request, action.meeting_id)
    # An action is followed up at the next review: its facilitator (or a manager) may close it.
    back = request.POST.get("next_meeting", "")
    target = ReviewMeeting.objects.filter(pk=int(back), unit=meeting.unit).first() if back.isdigit() else None
    if not (may_edit(request.user, meeting) or (target is not None and may_edit(request.user, target))):
        raise PermissionDenied("Only a facilitator or a manager of the unit may mark actions done.")
    form = forms.DoneForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.action_edit(action=action, version=form.cleaned_data["version"], done=form.cleaned_data["done"])
            messages.success(request, "Action marked done.")
        except ValidationError as exc:
            _errors(request, exc)
    return _back(target or meeting, "actions")
