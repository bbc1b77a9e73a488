"""History on the pages: who changed what and when, as display rows built from ``scorecard.history``'s selectors.

Each selector reads many objects' records in one query (one per historical model), so a page's history costs
the same number of queries however long it is. Here the changes become events (one per saved record: a
creation with its first values, a set of field changes, a deletion) with their values as text, newest first,
cut to the newest ``HISTORY_LIMIT`` unless the page asks for all of them.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.formats import date_format
from django.utils.text import Truncator

from cascade.web.charts import fmt_number
from scorecard import history
from scorecard.history import Change
from scorecard.models import (
    Actual,
    Alignment,
    CauseEffectLink,
    Impact,
    Initiative,
    Measure,
    Milestone,
    Objective,
)

HISTORY_LIMIT = 20
TEXT_LIMIT = 200  # a changed description or status note: the start of it (the admin's history has it all)

# What a creation, a change and a deletion are called for each kind of object.
OBJECT_WORDS = {"created": "created", "changed": "changed", "deleted": "deleted"}
LINK_WORDS = {"created": "added", "changed": "changed", "deleted": "removed"}
VALUE_WORDS = {"created": "entered", "changed": "corrected", "deleted": "deleted"}


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str  # the field's name as people say it: "red flag", "percent complete"
    old: str | None  # None: a first value, set when the object was created (no arrow)
    new: str


@dataclass(frozen=True, slots=True)
class Event:
    """One saved record: who did what to which object, and when."""

    when: dt.datetime
    who: str  # a username, or "import" / "system" when nobody is known
    known: bool  # False for "import" / "system": shown as such, not as somebody's name
    subject: str  # "Objective R1", "Link R2 → R1", "Actual R1.1 · 31 Mar 2026"
    action: str  # created / changed / deleted, or the kind's own words (added, removed, entered, corrected)
    changes: tuple[FieldChange, ...]
    reason: str  # e.g. "import_actuals q1.csv"


@dataclass(frozen=True, slots=True)
class Listing:
    """The newest events of one section, and how many more there are."""

    events: list[Event]
    total: int
    hidden: int  # how many older events are left out: the page links to ?history=all
    limit: int = HISTORY_LIMIT


@dataclass(frozen=True, slots=True)
class ObjectiveHistory:
    timeline: Listing  # the objective, its links, alignments, measures and their values
    targets: dict[int, Listing]  # measure id -> its target history


def objective_history(objective: Objective, *, show_all: bool = False) -> ObjectiveHistory:
    """The objective page's history: five queries (objective, links, alignments, measures, actuals), plus one per
    kind of related object named in a changed foreign key (a new owner, perspective or theme)."""
    measures = history.measure_histories(objective)
    kinds: list[list[Event]] = [
        _events(history.changes_for(objective), Objective, lambda _label: f"Objective {objective.code}",
                OBJECT_WORDS),
        _events(history.link_history(objective), CauseEffectLink, lambda label: f"Link {label}", LINK_WORDS),
        _events(history.alignment_history(objective), Alignment, lambda label: f"Alignment {label}", LINK_WORDS),
    ]
    targets: dict[int, Listing] = {}
    for pk, measure in sorted(measures.items(), key=lambda item: item[1].code):
        kinds.append(_events(measure.changes, Measure, lambda label: f"Measure {label}", OBJECT_WORDS))
        kinds.append(_events(measure.actuals, Actual, _actual_subject(measure.code), VALUE_WORDS))
        # The card says which measure: its target history needs no subject.
        targets[pk] = _listing(_events(measure.targets, Measure, lambda _label: "", OBJECT_WORDS), show_all)
    return ObjectiveHistory(_listing(_merge(kinds), show_all), targets)


def initiative_history(initiative: Initiative, *, show_all: bool = False) -> Listing:
    """The initiative page's history: three queries (initiative, milestones, links to objectives), plus one per
    kind of related object named in a changed foreign key (a new owner)."""
    return _listing(_merge([
        _events(history.changes_for(initiative), Initiative, lambda _label: f"Initiative {initiative.code}",
                OBJECT_WORDS),
        _events(history.milestone_history(initiative), Milestone, lambda label: f"Milestone {label}", LINK_WORDS),
        _events(history.impact_history(initiative), Impact, lambda label: f"Link to {label}", LINK_WORDS),
    ]), show_all)


# --------------------------------------------------------------------------------------------- building
def _actual_subject(code: str) -> Callable[[str], str]:
    def subject(period: str) -> str:
        try:
            day = date_format(dt.date.fromisoformat(period), "j M Y")
        except ValueError:
            day = period
        return f"Actual {code} · {day}"
    return subject


def _events(changes: Sequence[Change], model: type[models.Model], subject: Callable[[str], str],
            words: dict[str, str]) -> list[Event]:
    """One event per saved record. The selectors give a record's changes one after the other, all with its time,
    label, author and reason; a creation or a deletion starts a record, a creation's first values follow it."""
    groups: list[list[Change]] = []
    for change in changes:
        last = groups[-1][-1] if groups else None
        if (last is not None and change.action == "changed" and last.action != "deleted"
                and (change.when, change.label, change.who, change.reason)
                == (last.when, last.label, last.who, last.reason)):
            groups[-1].append(change)
        else:
            groups.append([change])
    return [_event(group, model, subject, words) for group in groups]


def _event(group: list[Change], model: type[models.Model], subject: Callable[[str], str],
           words: dict[str, str]) -> Event:
    first = group[0]
    creating = first.action == "created"
    fields = tuple(
        FieldChange(_label(model, c.field), None if creating else _text(model, c.field, c.old),
                    _text(model, c.field, c.new))
        for c in group if c.field
    )
    who, known = _who(first)
    return Event(first.when, who, known, subject(first.label), words.get(first.action, first.action), fields,
                 first.reason)


def _merge(kinds: Iterable[list[Event]]) -> list[Event]:
    return [event for events in kinds for event in events]


def _listing(events: list[Event], show_all: bool) -> Listing:
    """Newest first (a stable sort: simultaneous events keep the order of their kinds), cut unless all are asked
    for."""
    newest = sorted(events, key=lambda e: e.when, reverse=True)
    shown = newest if show_all else newest[:HISTORY_LIMIT]
    return Listing(shown, len(newest), len(newest) - len(shown))


def _who(change: Change) -> tuple[str, bool]:
    """The author's username; otherwise "import" for a bulk import (it always gives its reason, the file) and
    "system" for everything else nobody is named for (the demo loader, YAML imports, scripts, migrations)."""
    if change.who:
        return change.who, True
    return ("import" if change.reason.startswith("import") else "system"), False


def _is_relation(model: type[models.Model], name: str) -> bool:
    try:
        return bool(model._meta.get_field(name).is_relation)
    except FieldDoesNotExist:
        return False


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_", " ")


def _text(model: type[models.Model], name: str, value: Any) -> str:
    """A value as people read it: numbers without trailing zeros, dates as 30 Jun 2026, choices by their label,
    long text cut short. Plain text: the template escapes it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int) and _is_relation(model, name):
        return f"#{value}"  # a related object that no longer exists: the selectors name the others
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | decimal.Decimal):
        return fmt_number(float(value))
    if isinstance(value, dt.date):
        return date_format(value, "j M Y")
    try:
        choices = dict(model._meta.get_field(name).flatchoices)  # type: ignore[union-attr]
    except (FieldDoesNotExist, AttributeError):
        choices = {}
    return Truncator(str(choices.get(value, value))).chars(TEXT_LIMIT)
