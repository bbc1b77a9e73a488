"""The Northwind demo enterprise: it loads through the importer, twice without harm, has the shape issue 2 §4
asks for, and exports back to its own text."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F

from scorecard import access
from scorecard.management.commands.load_demo import DEMO_FILE, demo_password
from scorecard.mapfile import export_map, import_map
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
    Role,
    StrategyMap,
    Theme,
)
from tests.test_mapfile_export import wipe

HISTORY_MODELS = [OrgUnit, StrategyMap, Perspective, Theme, Objective, CauseEffectLink, Alignment, Measure, Actual,
                  Initiative, Impact, Milestone, Membership]

LAST_QUARTER = dt.date(2026, 9, 30)
QUARTERS = [dt.date(2024, 12, 31), dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 9, 30),
            dt.date(2025, 12, 31), dt.date(2026, 3, 31), dt.date(2026, 6, 30), LAST_QUARTER]


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup, django_db_blocker):
    """Load the demo once for the module (it takes a couple of seconds); each test still runs in its own
    transaction, rolled back, so a test that changes or wipes the data leaves the next one the demo intact."""
    out = io.StringIO()
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=out)
    yield out.getvalue()
    with django_db_blocker.unblock():
        wipe()
        for model in HISTORY_MODELS:
            model.history.all().delete()


@pytest.fixture
def demo(loaded_demo, db):
    return loaded_demo


def demo_body() -> str:
    """The demo file without its leading comment block."""
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("#"))


def status(measure: Measure, value: float) -> str:
    """The colour by the goal / red-flag rule (goal scores 6.67, red flag 3.33; default red flag 10% of
    |target| on the bad side), stated independently of the scoring module as this test's oracle."""
    if measure.scoring == "yes_no":
        return "green" if value == measure.target else "red"
    if measure.polarity == "closer":
        off = abs(value - measure.target)
        return "green" if off <= measure.tolerance else "amber" if off <= measure.red_tolerance else "red"
    sign = 1 if measure.polarity == "increasing" else -1
    if measure.scoring == "goal_only":
        return "green" if sign * (value - measure.target) >= 0 else "red"
    red_flag = measure.red_flag if measure.red_flag is not None else measure.target - sign * abs(measure.target) / 10
    score = 3.33 + (value - red_flag) / (measure.target - red_flag) * (6.67 - 3.33)
    return "green" if score >= 6.67 else "amber" if score >= 3.33 else "red"


def test_the_demo_has_an_enterprise_three_business_units_and_two_departments(demo):
    nw = OrgUnit.objects.get(parent=None)
    assert (nw.code, nw.kind) == ("NW", "enterprise")
    units = list(OrgUnit.objects.exclude(pk=nw.pk))
    business_units = [u for u in units if u.kind == "business unit"]
    assert len(business_units) >= 3 and all(u.parent_id == nw.pk for u in business_units)
    departments = [u for u in units if u.kind == "department"]
    assert len(departments) >= 2 and len({d.parent_id for d in departments}) == 1
    assert departments[0].parent.kind == "business unit"


def test_the_enterprise_map_has_15_to_20_objectives_in_four_bands_themes_and_a_story(demo):
    nw = Objective.objects.filter(map__unit__code="NW")
    assert 15 <= nw.count() <= 20
    assert set(nw.values_list("perspective__code", flat=True)) == {"F", "C", "P", "L"}
    assert 2 <= Theme.objects.filter(map__unit__code="NW").count() <= 3
    assert all(len(name) <= 40 for name in Objective.objects.values_list("name", flat=True))
    # The links tell the classic story upward: learning -> process -> customer -> financial.
    links = Counter(CauseEffectLink.objects.filter(cause__map__unit__code="NW")
                    .values_list("cause__perspective__code", "effect__perspective__code"))
    assert links[("L", "P")] and links[("P", "C")] and links[("C", "F")]
    rank = {"L": 0, "P": 1, "C": 2, "F": 3}
    assert all(rank[effect] >= rank[cause] for cause, effect in links)


def test_every_lower_unit_has_8_to_15_objectives_each_supporting_one_above(demo):
    for unit in OrgUnit.objects.exclude(parent=None):
        objectives = Objective.objects.filter(map__unit=unit)
        assert 8 <= objectives.count() <= 15, unit.code
        for objective in objectives:
            targets = Alignment.objects.filter(objective=objective).select_related("supports__map__unit")
            assert targets, f"{unit.code}:{objective.code} supports nothing"
            assert all(a.supports.map.unit.is_ancestor_of(unit) for a in targets)


def test_measures_have_eight_quarters_ending_2026_09_30_and_a_mix_of_colours(demo):
    colours: Counter[str] = Counter()
    for measure in Measure.objects.prefetch_related("actuals"):
        actuals = sorted(measure.actuals.all(), key=lambda a: a.period)
        if measure.frequency == "quarterly" and len(actuals) == 8:
            assert [a.period for a in actuals] == QUARTERS, measure.code
        if measure.target is not None and actuals and actuals[-1].period == LAST_QUARTER:
            colours[status(measure, actuals[-1].value)] += 1
    assert colours["green"] >= 10 and colours["amber"] >= 10 and colours["red"] >= 5, colours
    assert Actual.objects.filter(period__gt=LAST_QUARTER).count() == 0


def test_the_demo_has_a_tbd_a_stale_and_a_measure_without_data(demo):
    tbd = Measure.objects.filter(target=None)
    assert [m.code for m in tbd] == ["L4.2"] and not tbd[0].actuals.exists()
    latest = {m: max((a.period for a in m.actuals.all()), default=None)
              for m in Measure.objects.exclude(target=None).prefetch_related("actuals")}
    stale = [m for m, last in latest.items() if last is not None and last <= dt.date(2025, 9, 30)]
    assert [m.code for m in stale] == ["L1.1"] and stale[0].map.unit.code == "NW-RET"
    assert [m.code for m, last in latest.items() if last is None] == ["C3.1"]
    gaps = [m for m, last in latest.items() if last is not None and dt.date(2025, 9, 30) < last < LAST_QUARTER]
    assert gaps, "a measure whose latest quarter is missing"


def test_polarities_and_scoring_types_are_mixed(demo):
    assert set(Measure.objects.values_list("polarity", flat=True)) == {"increasing", "decreasing", "closer"}
    assert set(Measure.objects.values_list("scoring", flat=True)) == {"goal_red_flag", "goal_only", "yes_no"}
    assert set(Measure.objects.values_list("frequency", flat=True)) >= {"quarterly", "annual"}
    assert Measure.objects.exclude(units="").count() >= Measure.objects.count() - 1


def test_initiatives_have_budgets_milestones_and_links_across_levels(demo):
    initiatives = Initiative.objects.prefetch_related("milestones", "impacts__objective__map")
    assert initiatives.count() >= 8
    assert all(i.budget > 0 and i.milestones.exists() for i in initiatives)
    unlinked = [i.code for i in initiatives if not i.impacts.exists()]
    assert unlinked == ["REFIT"]
    across = Impact.objects.exclude(objective__map__unit=F("initiative__unit"))
    assert across.count() >= 5


def test_the_people_cover_every_role_and_their_printed_passwords_work(demo):
    users = {u.username: u for u in get_user_model().objects.all()}
    assert any(access.is_executive(u) for u in users.values())
    for unit in OrgUnit.objects.filter(kind="business unit"):
        assert Membership.objects.filter(unit=unit, role=Role.MANAGER).exists(), unit.code
    assert Membership.objects.filter(role=Role.UPDATER).exists()
    assert Membership.objects.filter(role=Role.VIEWER).exists()
    for username, user in users.items():
        assert user.check_password(demo_password(username))
        assert f"{username}  " in demo and demo_password(username) in demo


def test_loading_the_demo_twice_changes_nothing(demo):
    versions = sorted(Objective.objects.values_list("code", "version"))
    actuals = Actual.objects.count()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    out = out.getvalue()
    assert "objectives: 0 created, 0 updated, 63 unchanged" in out
    assert sorted(Objective.objects.values_list("code", "version")) == versions
    assert Actual.objects.count() == actuals
    assert "History replayed" not in out  # the history is replayed on the first load only


def test_the_demo_exports_to_exactly_its_own_text(demo):
    assert export_map() == demo_body()


def test_the_demo_dry_run_writes_nothing_and_sets_no_password(db, capsys):
    wipe()  # this test's transaction starts from an empty database whether or not the demo is loaded
    call_command("load_demo", "--dry-run")
    assert "units: 6 would be created" in capsys.readouterr().out
    assert not OrgUnit.objects.exists() and not get_user_model().objects.exists()


def test_the_demo_file_is_valid_on_its_own(db):
    wipe()
    result = import_map(DEMO_FILE.read_text(encoding="utf-8"), dry_run=True)
    assert result.errors == []
    assert result.counts["objectives"]["created"] == 63


# ------------------------------------------------------------------------------------------ the demo's history
REFRESH_CHANGES = [
    "+ objective C3: Seamless omnichannel experience (perspective C)",
    "~ objective F3: name Cut retail operating costs -> Lower retail operating costs",
    "- objective F4: Grow franchise income",
    "- link C2 -> F4",
    "+ link C3 -> F1",
    "~ target C1.1: target 45 -> 48",
    "+ measure C3.1: Customers buying in 2+ channels (objective C3, target 25)",
    "- measure F4.1: Franchise fees",
]


def test_the_demo_comes_with_a_strategy_refresh_in_its_history(demo):
    from cascade.diff import diff_structures
    from scorecard.history import end_of_day, structure_as_of

    assert "History replayed" in demo
    retail = OrgUnit.objects.get(code="NW-RET")
    before = structure_as_of(retail, end_of_day(dt.date(2026, 3, 31)))
    assert [str(line) for line in diff_structures(before, structure_as_of(retail))] == REFRESH_CHANGES
    enterprise = OrgUnit.objects.get(code="NW")
    changes = diff_structures(structure_as_of(enterprise, end_of_day(dt.date(2026, 3, 31))),
                              structure_as_of(enterprise))
    assert [str(line) for line in changes] == ["- link L1 -> P4"]
    assert structure_as_of(enterprise, end_of_day(dt.date(2024, 9, 30))) is None  # drafted on 2024-10-01


def test_the_demo_history_names_who_changed_targets_values_and_budgets(demo):
    from scorecard.history import actual_history, changes_for, target_history

    nps = Measure.objects.get(map__unit__code="NW-RET", code="C1.1")
    [raised] = [c for c in target_history(nps) if c.old is not None]
    assert (raised.who, raised.field, raised.old, raised.new, raised.reason) == (
        "mara", "target", 45, 48, "Strategy refresh 2026")
    assert raised.when.date() == dt.date(2026, 4, 1)
    [corrected] = [c for c in actual_history(nps) if c.action == "changed" and c.field == "value"]
    assert (corrected.who, corrected.label, corrected.old, corrected.new) == ("tomas", "2026-03-31", 43, 45)
    entered = [c for c in actual_history(nps) if c.action == "created"]
    assert sorted(c.when.date() - dt.date.fromisoformat(c.label) for c in entered) == [dt.timedelta(days=14)] * 8
    assert {c.who for c in entered} == {"tomas"}  # the objective's owner (the measure has none)
    assert {c.who for c in changes_for(nps) if c.action == "created"} == {"hannah"}  # who drafted the maps
    loyal = Initiative.objects.get(unit__code="NW-RET", code="LOYAL")
    assert [(c.who, c.old, c.new) for c in changes_for(loyal) if c.field == "budget"] == [("mara", 380000, 450000)]
