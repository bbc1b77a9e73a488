"""Who changed what and when: attribution of imports, service writes and admin edits; the history selectors."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from simple_history.models import HistoricalRecords

from scorecard.history import acting_as, actual_history, changes_for, target_history
from scorecard.models import Actual, Measure
from scorecard.services import actual_record, save_validated
from tests.factories import ActualFactory, MeasureFactory, ObjectiveFactory, PerspectiveFactory
from tests.test_admin_support import form_data, staff_client

Q1, Q2 = dt.date(2026, 3, 31), dt.date(2026, 6, 30)


@pytest.fixture
def measure(tree: Any) -> Measure:
    return MeasureFactory(objective__map=tree.ret.strategy_map, code="SALES", target=100.0, red_flag=90.0)


def as_tuples(changes: list[Any]) -> list[tuple[Any, ...]]:
    return [(c.who, c.action, c.field, c.old, c.new) for c in changes]


def test_an_import_records_the_importing_user_and_the_file_in_every_history_record(
    measure: Measure, personas: Any, tmp_path: Any
) -> None:
    path = tmp_path / "q1.csv"
    path.write_text("unit,measure,period,value,note\nRET,SALES,2026-03-31,95,\n")
    call_command("import_actuals", str(path), "--user", "ret_updater", stdout=io.StringIO(), stderr=io.StringIO())
    path.write_text("unit,measure,period,value,note\nRET,SALES,2026-03-31,97,recount\n")
    call_command("import_actuals", str(path), "--user", "ret_manager", stdout=io.StringIO(), stderr=io.StringIO())
    changes = changes_for(Actual.objects.get())
    assert as_tuples(changes) == [
        ("ret_updater", "created", "", None, None),
        ("ret_manager", "changed", "value", 95.0, 97.0),
        ("ret_manager", "changed", "note", "", "recount"),
        ("ret_manager", "changed", "entered_by", "ret_updater", "ret_manager"),
    ]
    assert {c.reason for c in changes} == {f"import_actuals {path}"}


def test_import_map_records_the_user_and_the_file_as_the_reason(tree: Any, personas: Any, tmp_path: Any) -> None:
    from scorecard.models import Objective

    path = tmp_path / "retail.yaml"
    path.write_text("format: scorecard/v1\nunits:\n  - code: RET\n    name: Retail\n    parent: NW\n    map:\n"
                    "      title: Retail plan\n      perspectives: [{code: F, name: Financial}]\n      objectives:\n"
                    "        - {code: F1, name: Grow revenue, perspective: F}\n")
    call_command("import_map", str(path), "--user", personas.executive.username, stdout=io.StringIO())
    objective = Objective.objects.get(map__unit=tree.ret, code="F1")
    [created] = changes_for(objective)
    assert (created.action, created.who, created.reason) == ("created", "exec", "import_map retail.yaml")
    objective.name = "Grow revenue faster"
    save_validated(objective)  # outside the block: no reason is left behind in the thread
    assert changes_for(objective)[-1].reason == ""
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("import_map", str(path), "--user", "nobody", stdout=io.StringIO())


def test_a_service_write_outside_any_request_is_attributed_through_acting_as(measure: Measure, personas: Any) -> None:
    with acting_as(personas.manager):
        actual_record(measure=measure, period=Q1, value=88, user=personas.manager)
        measure.name = "Sales growth"
        save_validated(measure)
    record = Actual.history.get()
    assert record.history_user == personas.manager
    assert changes_for(measure)[-1].who == "ret_manager"
    assert changes_for(measure)[-1].field == "name"


def test_a_write_with_nobody_to_attribute_it_to_says_so_instead_of_guessing(measure: Measure) -> None:
    measure.target = 110
    save_validated(measure)
    assert changes_for(measure)[-1].who == ""


def test_acting_as_puts_back_the_request_it_found() -> None:
    outer = SimpleNamespace(user="someone")
    HistoricalRecords.context.request = outer
    try:
        with acting_as(SimpleNamespace(pk=1)):
            assert HistoricalRecords.context.request is not outer
        assert HistoricalRecords.context.request is outer
    finally:
        del HistoricalRecords.context.request
    with acting_as(SimpleNamespace(pk=1)):
        pass
    assert not hasattr(HistoricalRecords.context, "request")


def test_target_history_shows_who_moved_the_target_and_red_flag_and_ignores_other_fields(
    measure: Measure, personas: Any
) -> None:
    with acting_as(personas.manager):
        measure.target = 120
        save_validated(measure)
    with acting_as(personas.executive):
        measure.name = "Renamed"  # not a target change
        save_validated(measure)
        measure.red_flag = 100
        measure.target = 125
        save_validated(measure)
    rows = as_tuples(target_history(measure))
    assert rows[0] == ("", "created", "", None, None)
    initial = {r[2]: r[4] for r in rows if r[1] == "changed" and r[3] is None}
    assert initial["target"] == 100.0 and initial["red_flag"] == 90.0
    assert [r for r in rows if r[3] is not None] == [
        ("ret_manager", "changed", "target", 100.0, 120.0),
        ("exec", "changed", "target", 120.0, 125.0),
        ("exec", "changed", "red_flag", 90.0, 100.0),
    ]
    times = [c.when for c in target_history(measure)]
    assert times == sorted(times)


def test_actual_history_labels_each_entry_with_its_period_and_includes_deletions(
    measure: Measure, personas: Any
) -> None:
    with acting_as(personas.updater):
        first = actual_record(measure=measure, period=Q1, value=1)
        actual_record(measure=measure, period=Q2, value=2)
        actual_record(measure=measure, period=Q1, value=1.5)
        first.delete()
    rows = [(c.label, c.who, c.action, c.field, c.old, c.new) for c in actual_history(measure)]
    assert rows == [
        ("2026-03-31", "ret_updater", "created", "", None, None),
        ("2026-06-30", "ret_updater", "created", "", None, None),
        ("2026-03-31", "ret_updater", "changed", "value", 1.0, 1.5),
        ("2026-03-31", "ret_updater", "deleted", "", None, None),
    ]


def test_a_changed_foreign_key_is_shown_as_the_related_object(tree: Any, personas: Any) -> None:
    objective = ObjectiveFactory(map=tree.ret.strategy_map, code="C1")
    other = PerspectiveFactory(map=tree.ret.strategy_map, code="C", name="Customer", position=1)
    with acting_as(personas.manager):
        objective.owner = personas.viewer
        objective.perspective = other
        save_validated(objective)
    changed = {c.field: (c.old, c.new) for c in changes_for(objective) if c.action == "changed"}
    assert changed == {"perspective": ("F Financial", "C Customer"), "owner": (None, "ret_viewer")}


def test_changes_for_reads_an_objects_history_in_one_query_plus_one_per_changed_relation(
    measure: Measure, personas: Any, django_assert_num_queries: Any
) -> None:
    with acting_as(personas.manager):
        for target in (101, 102, 103):
            measure.target = target
            save_validated(measure)
    with django_assert_num_queries(1):
        changes = changes_for(measure)
    assert len(changes) == 4
    measure.owner = personas.manager
    save_validated(measure)
    with django_assert_num_queries(2):  # the records, then the users named in the owner change
        assert changes_for(measure)[-1].new == "ret_manager"


def test_an_admin_edit_of_a_target_is_attributed_to_the_signed_in_executive(measure: Measure, personas: Any) -> None:
    ActualFactory(measure=measure, period=Q1, value=1)
    client = staff_client(personas.executive)
    url = f"/admin/scorecard/measure/{measure.pk}/change/"
    data = form_data(client.get(url))
    data["target"] = "130"
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    last = target_history(measure)[-1]
    assert (last.who, last.field, last.old, last.new) == ("exec", "target", 100.0, 130.0)


def test_a_value_recorded_through_the_service_names_its_author_in_history(db):
    import datetime as dt

    from scorecard.services import actual_record
    from tests.factories import MeasureFactory, UserFactory

    user = UserFactory(username="recorder")
    actual = actual_record(measure=MeasureFactory(), period=dt.date(2026, 9, 30), value=3.0, user=user)
    assert actual.history.latest().history_user == user


# ------------------------------------------------------------------------------- many objects, one query each
def test_link_history_keeps_a_removed_link_and_names_an_objective_deleted_since(tree: Any, personas: Any) -> None:
    from scorecard.history import link_history
    from tests.factories import CauseEffectLinkFactory

    effect = ObjectiveFactory(map=tree.ret.strategy_map, code="R1")
    cause = ObjectiveFactory(map=tree.ret.strategy_map, perspective=effect.perspective, code="R2")
    CauseEffectLinkFactory(cause=cause, effect=effect, note="drives")
    with acting_as(personas.executive):
        cause.delete()  # the link goes with it
    rows = [(c.label, c.who, c.action) for c in link_history(effect)]
    assert rows == [("R2 → R1", "", "created"), ("R2 → R1", "exec", "deleted")]


def test_alignment_and_impact_histories_name_objectives_with_their_unit(tree: Any, personas: Any) -> None:
    from scorecard.history import alignment_history, impact_history
    from tests.factories import AlignmentFactory, ImpactFactory, InitiativeFactory

    upper = ObjectiveFactory(map=tree.nw.strategy_map, code="F1")
    lower = ObjectiveFactory(map=tree.ret.strategy_map, code="R1")
    alignment = AlignmentFactory(objective=lower, supports=upper)
    initiative = InitiativeFactory(unit=tree.ret, code="LOYAL")
    impact = ImpactFactory(initiative=initiative, objective=upper)
    with acting_as(personas.manager):
        alignment.weight = 2
        save_validated(alignment)
        impact.delete()
    assert [(c.label, c.who, c.action, c.field, c.old, c.new) for c in alignment_history(upper)] == [
        ("RET R1 → NW F1", "", "created", "", None, None),
        ("RET R1 → NW F1", "ret_manager", "changed", "weight", 1.0, 2.0),
    ]
    assert [(c.label, c.action) for c in impact_history(initiative)] == [("NW F1", "created"), ("NW F1", "deleted")]


def test_measure_histories_read_every_measure_of_an_objective_in_two_queries(
    tree: Any, personas: Any, django_assert_num_queries: Any
) -> None:
    from scorecard.history import measure_histories

    objective = ObjectiveFactory(map=tree.ret.strategy_map, code="R1")
    measures = [MeasureFactory(objective=objective, code=f"M{i}", target=100.0) for i in range(5)]
    deleted_pk = measures[0].pk
    with acting_as(personas.manager):
        for i, measure in enumerate(measures):
            measure.target = 110 + i
            save_validated(measure)
            actual_record(measure=measure, period=Q1, value=1)
            actual_record(measure=measure, period=Q1, value=2)
        measures[0].delete()  # a deleted measure keeps its history (and its actuals' deletions)
    with django_assert_num_queries(2):
        histories = measure_histories(objective)
    assert sorted(h.code for h in histories.values()) == ["M0", "M1", "M2", "M3", "M4"]
    m3 = histories[measures[3].pk]
    assert [(c.field, c.old, c.new) for c in m3.targets if c.old is not None] == [("target", 100.0, 113.0)]
    assert [(c.label, c.action, c.field, c.old, c.new) for c in m3.actuals] == [
        ("2026-03-31", "created", "", None, None),
        ("2026-03-31", "changed", "value", None, 1.0),
        ("2026-03-31", "changed", "value", 1.0, 2.0),
    ]
    m0 = histories[deleted_pk]
    assert m0.changes[-1].action == "deleted" and m0.actuals[-1].action == "deleted"


def test_milestone_history_shows_a_new_milestones_due_date(tree: Any, personas: Any) -> None:
    from scorecard.history import milestone_history
    from tests.factories import InitiativeFactory, MilestoneFactory

    initiative = InitiativeFactory(unit=tree.ret)
    milestone = MilestoneFactory(initiative=initiative, name="Pilot", due=Q2)
    with acting_as(personas.updater):
        milestone.done = Q1
        save_validated(milestone)
    assert [(c.label, c.who, c.action, c.field, c.old, c.new) for c in milestone_history(initiative)] == [
        ("Pilot", "", "created", "", None, None),
        ("Pilot", "", "changed", "due", None, Q2),
        ("Pilot", "ret_updater", "changed", "done", None, Q1),
    ]
