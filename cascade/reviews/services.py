"""Writes to review meetings: named functions, keyword-only arguments, one transaction each (issue 7).

Pages, the API, the admin and the commands call these. Each write validates with ``full_clean()`` through
``scorecard.services.save_validated``; a ``version`` argument (the number the client read) guards against lost
updates: a stale one raises ``Stale`` (a ValidationError, so pages show it and the API maps it to a 412).

Agenda edits:
- ``meeting_plan`` creates a meeting and its generated agenda together;
- ``agenda_regenerate`` keeps items added by hand and items with notes, a decision or action items, drops the
  other generated items, adds the freshly generated ones that are not already there, and shares the time again;
- ``item_add`` and ``item_drop`` share the time again too (timeboxes always add up to the meeting's length);
  ``item_edit`` changes one item's minutes without touching the others (the page then shows the new total);
- a closed meeting (``meeting_close``) is the record: its agenda, notes and decisions no longer change; its action
  items still do (they are followed up at the next review).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cascade.graph import build_graph
from cascade.loader import load_snapshot
from cascade.models import ActionItem, AgendaItem, ItemKind, ReviewMeeting
from cascade.reviews import agenda as agenda_mod
from cascade.reviews import questions as q
from cascade.reviews.agenda import Agenda, Candidate, TimeSplit, share_minutes, time_split
from cascade.reviews.questions import Context, OpenAction
from cascade.rollup import compute_scores
from scorecard.models import Initiative, Measure, Objective, OrgUnit
from scorecard.services import save_validated

DEFAULT_MANUAL_PRIORITY = 50.0
ITEM_EDITABLE = ("title", "kind", "minutes", "status_questions", "strategic_questions", "notes", "decision")
ACTION_EDITABLE = ("description", "owner", "due", "done", "agenda_item")


class Stale(ValidationError):
    """The object changed since the client read it."""


def check_version(obj: Any, version: int | None) -> None:
    if version is not None and int(version) != obj.version:
        raise Stale(
            f"{type(obj)._meta.verbose_name.capitalize()} “{obj}” was changed by someone else since you opened it "
            f"(you read version {version}, it is now at version {obj.version}): reload and apply your change again."
        )


def _locked(obj: Any) -> Any:
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def require_open(meeting: ReviewMeeting) -> None:
    if meeting.closed_at is not None:
        raise ValidationError(
            f"Review “{meeting.title}” of {meeting.date} is closed: its agenda and minutes are final."
        )


# ------------------------------------------------------------------------------------------------ reading
def open_actions(unit: OrgUnit, *, before: dt.date, exclude_meeting_id: int | None = None) -> list[ActionItem]:
    """Action items of the unit's earlier reviews (meeting date before ``before``) that are not done."""
    qs = ActionItem.objects.filter(unit=unit, done__isnull=True, meeting__date__lt=before)
    if exclude_meeting_id is not None:
        qs = qs.exclude(meeting_id=exclude_meeting_id)
    return list(qs.select_related("owner", "meeting").order_by("due", "meeting__date", "id"))


def _open_action_data(actions: Iterable[ActionItem]) -> list[OpenAction]:
    return [OpenAction(a.pk, a.description, a.owner.get_username() if a.owner else "", a.due, a.meeting.date,
                       a.meeting.title) for a in actions]


def generated_agenda(meeting: ReviewMeeting) -> Agenda:
    """What the generator proposes for this meeting now (reads the whole enterprise as of the meeting's period:
    the strategic questions follow paths into ancestor units, whose statuses need their full roll-up)."""
    snapshot = load_snapshot(None, as_of=meeting.as_of)
    scores = compute_scores(snapshot, meeting.as_of)
    actions = open_actions(meeting.unit, before=meeting.date, exclude_meeting_id=meeting.pk)
    return agenda_mod.generate_agenda(
        snapshot, scores, meeting.unit_id, minutes=meeting.minutes_length, open_actions=_open_action_data(actions),
        meeting_date=meeting.date, graph=build_graph(snapshot),
    )


def meeting_split(meeting: ReviewMeeting, items: Sequence[AgendaItem] | None = None) -> TimeSplit:
    rows = list(items) if items is not None else list(meeting.items.all())
    split = time_split([(i.kind, i.minutes) for i in rows], meeting.minutes_length)
    planned = sum(i.minutes for i in rows)
    if planned != meeting.minutes_length:
        extra = (f"The timeboxes add up to {planned} minutes, the meeting lasts {meeting.minutes_length}: "
                 "share the time again or adjust an item.")
        return TimeSplit(split.total, split.status_minutes, split.strategic_minutes, (*split.warnings, extra))
    return split


# ------------------------------------------------------------------------------------------------ writing
def _item_from(meeting: ReviewMeeting, cand: Candidate, order: int) -> AgendaItem:
    item = AgendaItem(
        meeting=meeting, order=order, title=cand.title[:300], kind=cand.kind, minutes=cand.minutes,
        status_questions="\n".join(cand.status_questions), strategic_questions="\n".join(cand.strategic_questions),
        reason=cand.reason, score=cand.priority, rank=cand.rank,
    )
    if cand.subject == "objective":
        item.objective_id = cand.subject_id
    elif cand.subject == "measure":
        item.measure_id = cand.subject_id
    elif cand.subject == "initiative":
        item.initiative_id = cand.subject_id
    else:
        item.topic = cand.title[:300]
    return item


def _item_key(item: AgendaItem) -> str:
    if item.objective_id:
        return f"objective:{item.objective_id}"
    if item.measure_id:
        return f"measure:{item.measure_id}"
    if item.initiative_id:
        return f"initiative:{item.initiative_id}"
    return "topic:" + item.topic.split(":")[0].strip().lower()


def _cand_key(cand: Candidate) -> str:
    return cand.key if cand.subject != "topic" else "topic:" + cand.title.split(":")[0].strip().lower()


def retime(meeting: ReviewMeeting) -> None:
    """Share the meeting's minutes over its items again (by priority), summing exactly to its length."""
    items = list(meeting.items.order_by("order", "id"))
    if not items:
        return
    try:
        shares = share_minutes([i.score if i.score is not None else DEFAULT_MANUAL_PRIORITY for i in items],
                               meeting.minutes_length)
    except ValueError:
        raise ValidationError(
            f"{len(items)} agenda items of at least {agenda_mod.MIN_ITEM_MINUTES} minutes do not fit in "
            f"{meeting.minutes_length} minutes: drop an item or make the meeting longer."
        ) from None
    for order, (item, minutes) in enumerate(zip(items, shares, strict=True), start=1):
        if item.minutes != minutes or item.order != order:
            item.minutes, item.order = minutes, order
            item.save(update_fields=["minutes", "order"])


def meeting_plan(
    *,
    unit: OrgUnit,
    date: dt.date,
    as_of: dt.date,
    minutes_length: int = 90,
    title: str = "",
    facilitator: Any = None,
    attendees: Iterable[Any] = (),
) -> tuple[ReviewMeeting, Agenda]:
    """Create a review meeting of ``unit`` with its generated agenda, all or nothing."""
    with transaction.atomic():
        meeting = save_validated(ReviewMeeting(
            unit=unit, date=date, as_of=as_of, minutes_length=minutes_length,
            title=title.strip() or f"{unit.name} strategy review",
            facilitator=facilitator if getattr(facilitator, "pk", None) else None,
        ))
        people = [a for a in attendees if getattr(a, "pk", None)]
        if people:
            meeting.attendees.set(people)
        agenda = generated_agenda(meeting)
        for order, cand in enumerate(agenda.items, start=1):
            save_validated(_item_from(meeting, cand, order))
    return meeting, agenda


def agenda_regenerate(*, meeting: ReviewMeeting, version: int | None = None) -> Agenda:
    with transaction.atomic():
        meeting = _locked(meeting)
        check_version(meeting, version)
        require_open(meeting)
        agenda = generated_agenda(meeting)
        kept: list[AgendaItem] = []
        for item in meeting.items.order_by("order", "id"):
            if item.manual or item.notes.strip() or item.decision.strip() or item.actions.exists():
                kept.append(item)
            else:
                item.delete()
        for position, item in enumerate(kept, start=1):  # kept items lead, in their order
            if item.order != position:
                item.order = position
                item.save(update_fields=["order"])
        taken = {_item_key(i) for i in kept}
        room = max(meeting.minutes_length // agenda_mod.AVERAGE_ITEM_MINUTES, 1) - len(kept)
        order = len(kept)
        for cand in agenda.items:
            if room <= 0:
                break
            if _cand_key(cand) in taken:
                continue
            order += 1
            room -= 1
            save_validated(_item_from(meeting, cand, order))
        retime(meeting)
        meeting.save(update_fields=["version"])
    return agenda


def agenda_retime(*, meeting: ReviewMeeting, version: int | None = None) -> None:
    """Share the meeting's minutes over its items again, by priority (after timeboxes were changed by hand)."""
    with transaction.atomic():
        meeting = _locked(meeting)
        check_version(meeting, version)
        require_open(meeting)
        retime(meeting)
        meeting.save(update_fields=["version"])


def items_reorder(*, meeting: ReviewMeeting, item_ids: Sequence[int], version: int | None = None) -> None:
    """Put the agenda in the order of ``item_ids`` (every item of the meeting, each once)."""
    with transaction.atomic():
        meeting = _locked(meeting)
        check_version(meeting, version)
        require_open(meeting)
        items = {i.pk: i for i in meeting.items.all()}
        wanted = [int(x) for x in item_ids]
        if sorted(wanted) != sorted(items):
            raise ValidationError({"order": "Give every item of this agenda exactly once (ids of its items)."})
        for order, pk in enumerate(wanted, start=1):
            item = items[pk]
            if item.order != order:
                item.order = order
                item.save(update_fields=["order"])
        meeting.save(update_fields=["version"])


def item_move(*, item: AgendaItem, offset: int) -> None:
    """Move one item up (offset -1) or down (+1)."""
    ids = list(item.meeting.items.order_by("order", "id").values_list("pk", flat=True))
    index = ids.index(item.pk)
    target = min(max(index + offset, 0), len(ids) - 1)
    ids.insert(target, ids.pop(index))
    items_reorder(meeting=item.meeting, item_ids=ids)


def item_drop(*, item: AgendaItem, version: int | None = None) -> None:
    with transaction.atomic():
        item = AgendaItem.objects.select_for_update().select_related("meeting").get(pk=item.pk)
        check_version(item, version)
        require_open(item.meeting)
        meeting = item.meeting
        item.delete()
        retime(meeting)


def _subject_questions(meeting: ReviewMeeting, item: AgendaItem) -> None:
    """Fill an added item's questions (and reason) from the data, as the generator would."""
    snapshot = load_snapshot(None, as_of=meeting.as_of)
    scores = compute_scores(snapshot, meeting.as_of)
    ctx = Context(snapshot, scores, build_graph(snapshot), meeting.unit_id)
    status: list[str] = []
    strategic: list[str] = []
    if item.objective_id and item.objective_id in snapshot.objectives:
        obj = snapshot.objectives[item.objective_id]
        status, strategic = q.objective_status_questions(ctx, obj), q.objective_strategic_questions(ctx, obj)
    elif item.measure_id and item.measure_id in snapshot.measures:
        line = q.measure_status_question(ctx, snapshot.measures[item.measure_id])
        status = [line] if line else []
    elif item.initiative_id and item.initiative_id in snapshot.initiatives:
        ini = snapshot.initiatives[item.initiative_id]
        health = scores.initiatives.get(item.initiative_id)
        status = q.initiative_status_questions(ctx, ini, health) if health is not None else []
        strategic = q.initiative_strategic_questions(ctx, ini)
    if not item.status_questions and item.kind != ItemKind.STRATEGIC:
        item.status_questions = "\n".join(status)
    if not item.strategic_questions and item.kind != ItemKind.STATUS:
        item.strategic_questions = "\n".join(strategic)


def item_add(
    *,
    meeting: ReviewMeeting,
    objective: Objective | None = None,
    measure: Measure | None = None,
    initiative: Initiative | None = None,
    topic: str = "",
    kind: str = ItemKind.BOTH,
    title: str = "",
    status_questions: str = "",
    strategic_questions: str = "",
    version: int | None = None,
) -> AgendaItem:
    """Add an item by hand at the end of the agenda; questions left empty are written from the data."""
    with transaction.atomic():
        meeting = _locked(meeting)
        check_version(meeting, version)
        require_open(meeting)
        subject = objective or measure or initiative
        heading = title.strip() or (f"{subject.code} {subject.name}" if subject is not None else topic.strip())
        item = AgendaItem(
            meeting=meeting, order=meeting.items.count() + 1, objective=objective, measure=measure,
            initiative=initiative, topic=topic.strip(), title=heading[:300] or "(untitled)", kind=kind,
            minutes=agenda_mod.MIN_ITEM_MINUTES, status_questions=status_questions.strip(),
            strategic_questions=strategic_questions.strip(), reason="added by hand", manual=True,
            score=DEFAULT_MANUAL_PRIORITY,
        )
        item.full_clean()
        if subject is not None:
            _subject_questions(meeting, item)
        save_validated(item)
        retime(meeting)
        meeting.save(update_fields=["version"])
        item.refresh_from_db()
    return item


def item_edit(*, item: AgendaItem, version: int | None = None, **fields: Any) -> AgendaItem:
    """Change an item's title, kind, minutes, questions, notes or decision."""
    unknown = set(fields) - set(ITEM_EDITABLE)
    if unknown:
        raise ValidationError(f"These fields of an agenda item cannot be changed here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        item = AgendaItem.objects.select_for_update().select_related("meeting").get(pk=item.pk)
        check_version(item, version)
        require_open(item.meeting)
        for name, value in fields.items():
            setattr(item, name, value.strip() if isinstance(value, str) and name != "minutes" else value)
        return save_validated(item)


def action_add(
    *,
    meeting: ReviewMeeting,
    description: str,
    owner: Any = None,
    due: dt.date | None = None,
    agenda_item: AgendaItem | None = None,
) -> ActionItem:
    with transaction.atomic():
        return save_validated(ActionItem(
            meeting=meeting, unit_id=meeting.unit_id, agenda_item=agenda_item, description=description.strip(),
            owner=owner if getattr(owner, "pk", None) else None, due=due,
        ))


def action_edit(*, action: ActionItem, version: int | None = None, **fields: Any) -> ActionItem:
    unknown = set(fields) - set(ACTION_EDITABLE)
    if unknown:
        raise ValidationError(f"These fields of an action item cannot be changed here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        action = ActionItem.objects.select_for_update().get(pk=action.pk)
        check_version(action, version)
        for name, value in fields.items():
            setattr(action, name, value.strip() if isinstance(value, str) else value)
        return save_validated(action)


def meeting_close(*, meeting: ReviewMeeting, version: int | None = None) -> ReviewMeeting:
    with transaction.atomic():
        meeting = _locked(meeting)
        check_version(meeting, version)
        require_open(meeting)
        meeting.closed_at = timezone.now()
        return save_validated(meeting)
