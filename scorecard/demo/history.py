"""A believable history for the demo, so that "the map as of a date", "changes since" and the history lists have
something to show on the day the demo is loaded.

The demo file holds the map as it is now. After the first load this module dates that load back to the start of
the strategy (``STARTED``, drafted by hannah), dates each actual two weeks after its period closed (entered by
the measure's or objective's owner), and replays a strategy refresh
through the ordinary services, each step dated and attributed to a demo person: objectives added and removed,
a link dropped, an objective renamed, a target raised, a value corrected, a budget raised. The current state
stays exactly the file (``export_map`` of the demo still equals it): the replayed steps either end at today's
values or create and then delete what is gone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from scorecard.history import acting_as, tracked_models
from scorecard.models import Actual, Alignment, CauseEffectLink, Initiative, Measure, Objective, OrgUnit
from scorecard.services import delete_object, save_validated

STARTED = dt.date(2024, 10, 1)  # the strategy was drafted before the first quarter with results
REFRESH = dt.date(2026, 4, 1)  # the 2026 strategy refresh
REFRESH_REASON = "Strategy refresh 2026"
ENTERED_AFTER = dt.timedelta(days=14)  # results are entered two weeks after the period closes


def _moment(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


@contextlib.contextmanager
def _dated(when: dt.datetime, username: str, reason: str = "") -> Iterator[None]:
    """Everything recorded inside the block is dated ``when`` and attributed to ``username``."""
    models = tracked_models()
    before = {m: m.history.aggregate(last=Max("history_id"))["last"] or 0 for m in models}
    user = get_user_model().objects.get(username=username)
    with acting_as(user):
        yield
    for model, last in before.items():
        model.history.filter(history_id__gt=last).update(history_date=when, history_user=user,
                                                         history_change_reason=reason or None)


def _objective(unit: str, code: str) -> Objective:
    return Objective.objects.get(map__unit__code=unit, code=code)


@transaction.atomic
def replay_demo_history() -> None:
    """Date the freshly loaded demo back and replay its history (run once, right after the first load)."""
    drafter = get_user_model().objects.get(username="hannah")
    for model in tracked_models():
        model.history.all().update(history_date=_moment(STARTED), history_user=drafter)
    for period in Actual.objects.values_list("period", flat=True).distinct():
        Actual.history.filter(period=period).update(history_date=_moment(period + ENTERED_AFTER))
    # Values are entered by the measure's owner, or else the objective's.
    owner = Measure.objects.filter(pk=OuterRef("measure_id"))
    Actual.history.update(history_user_id=Coalesce(Subquery(owner.values("owner_id")[:1]),
                                                   Subquery(owner.values("objective__owner_id")[:1])))

    refresh = _moment(REFRESH, 10)
    # Retail's omnichannel objective C3 came with the refresh: its creation (and its measures', links' and
    # alignments') moves to that day; its earlier quarters were back-filled then.
    c3 = _objective("NW-RET", "C3")
    Objective.history.filter(id=c3.pk).update(history_date=refresh)
    for model, field in ((Measure, "objective_id"), (CauseEffectLink, "cause_id"), (CauseEffectLink, "effect_id")):
        model.history.filter(**{field: c3.pk}).update(history_date=refresh)
    Alignment.history.filter(objective_id=c3.pk).update(history_date=refresh)
    Actual.history.filter(measure__objective=c3, history_date__lt=refresh).update(history_date=refresh)

    # Franchise income was an objective until the refresh dropped it, with its measure and link.
    with _dated(_moment(STARTED), "hannah"):
        f1 = _objective("NW-RET", "F1")
        franchise = save_validated(Objective(map=f1.map, perspective=f1.perspective, code="F4",
                                             name="Grow franchise income"))
        save_validated(Measure(objective=franchise, map=f1.map, code="F4.1", name="Franchise fees",
                               units="EUR m", target=2.0, red_flag=1.5))
        save_validated(CauseEffectLink(cause=_objective("NW-RET", "C2"), effect=franchise))
    with _dated(refresh, "mara", REFRESH_REASON):
        delete_object(franchise)

    # The refresh renamed F3 and raised the NPS target from 45 to 48.
    f3 = _objective("NW-RET", "F3")
    Objective.history.filter(id=f3.pk, history_type="+").update(name="Cut retail operating costs")
    nps = Measure.objects.get(map__unit__code="NW-RET", code="C1.1")
    Measure.history.filter(id=nps.pk, history_type="+").update(target=45)
    with _dated(refresh, "mara", REFRESH_REASON):
        save_validated(f3)
        save_validated(nps)

    # The enterprise dropped the link from learning to innovation when the refresh re-drew the map.
    with _dated(_moment(STARTED), "hannah"):
        link = save_validated(CauseEffectLink(cause=_objective("NW", "L1"), effect=_objective("NW", "P4"),
                                              note="Skills feed the innovation pipeline"))
    with _dated(refresh, "hannah", REFRESH_REASON):
        delete_object(link)

    # Retail's Q1 2026 NPS was first entered as 43, corrected to 45 a week later by its manager.
    q1 = Actual.objects.get(measure=nps, period=dt.date(2026, 3, 31))
    Actual.history.filter(id=q1.pk, history_type="+").update(value=43)
    with _dated(_moment(dt.date(2026, 4, 21), 15), "tomas", "Survey re-weighted by the agency"):
        save_validated(q1)

    # The loyalty programme's budget was raised from 380,000 to 450,000 in July.
    loyal = Initiative.objects.get(unit__code="NW-RET", code="LOYAL")
    Initiative.history.filter(id=loyal.pk, history_type="+").update(budget=380000)
    with _dated(_moment(dt.date(2026, 7, 6), 11), "mara", "Budget raised for the app relaunch"):
        save_validated(loyal)


def has_history() -> bool:
    """True once the demo's history has been replayed (its enterprise was created before the refresh)."""
    unit = OrgUnit.objects.filter(code="NW").first()
    return unit is not None and unit.history.filter(history_date__lt=_moment(REFRESH)).exists()
