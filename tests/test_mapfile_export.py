"""The scorecard/v1 exporter: deterministic text that survives export -> import into an empty database ->
export unchanged."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from scorecard.mapfile import UnknownUnitError, export_map, import_map
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
from tests.factories import (
    ActualFactory,
    InitiativeFactory,
    MeasureFactory,
    ObjectiveFactory,
    PerspectiveFactory,
    StrategyMapFactory,
)

# Hand-written, in an order unlike the exporter's, with every key of the format used somewhere.
HAND_WRITTEN = textwrap.dedent("""\
    format: scorecard/v1
    units:
      - code: NW-RET
        name: Retail
        kind: business unit
        parent: NW
        display_order: 2
        map:
          title: Retail 2027
          rollup: worst_child
          objectives:
            - code: C10
              name: Tenth
              perspective: C
              supports: [{objective: "NW:F1", weight: 2.5}, "NW:C2"]
            - code: C2
              name: Second
              perspective: C
              description: |
                Two lines
                of description.
              measures:
                - code: C2.1
                  name: Days of supply
                  units: days
                  polarity: closer
                  target: 60
                  tolerance: 5
                  red_tolerance: 12.5
                  frequency: monthly
                  weight: 0.3
                  actuals:
                    - {period: "2026-02-28", value: 61.1}
                    - {period: 2026-01-31, value: 0.30000000000000004, note: "odd: but true"}
          links:
            - {cause: C2, effect: C10, note: "closer stock, happier shoppers"}
          initiatives:
            - code: CRM
              name: CRM rollout
              description: The new CRM.
              owner: bob
              start: 2026-01-01
              end: 2026-12-31
              budget: 250000.5
              spent: 120000
              percent_complete: 45.5
              status_note: On track.
              impacts: [{objective: "NW:F1", weight: 2, note: "retention drives revenue"}, C2]
              milestones:
                - {name: Go live, due: 2026-09-30}
                - {name: Vendor chosen, due: 2026-03-31, done: 2026-03-20}
            - {code: BARE, name: No dates}
      - code: NW
        name: Northwind Outfitters
        kind: enterprise
        map:
          title: "Northwind: strategy 2027"
          mission: Gear that lasts.
          vision: "2027"
          red_flag_percent: 12.5
          perspectives:
            - {code: M, name: Mission}
            - {code: F, name: Financial, weight: 2}
            - {code: C, name: Customer}
          themes:
            - {code: SUS, name: Sustainable growth}
            - {code: OPX, name: Operational excellence}
          objectives:
            - {code: C2, name: Keep customers, perspective: C, owner: alice, weight: 0}
            - code: F1
              name: Grow revenue
              perspective: F
              theme: SUS
              measures:
                - code: F1.1
                  name: Revenue growth
                  units: "%"
                  baseline: 3.0
                  target: 8.0
                  red_flag: 6
                  owner: bob
                  source: Sales ledger
                  actuals:
                    - {period: 2026-03-31, value: 4.1, note: "Q1 slower than planned"}
                    - {period: 2025-12-31, value: -1e-05}
                - {code: F1.2, name: ISO certified, scoring: yes_no, target: 1,
                   actuals: [{period: 2026-03-31, value: true}]}
                - {code: F1.3, name: Lean maturity, scoring: goal_only, polarity: decreasing}
          links:
            - {cause: C2, effect: F1}
    people:
      - {username: bob, name: Bob Stone, email: bob@example.org,
         roles: [{unit: NW-RET, role: manager}, {unit: NW, role: viewer}]}
      - {username: alice, name: Alice Moreno, executive: true}
      - {username: yes, name: "True", roles: [{unit: NW, role: viewer}]}
""")


def wipe() -> None:
    """Empty the domain tables and users: the 'empty database' of the round trip, inside one test."""
    for model in (Membership, Impact, Milestone, Initiative, Actual, Alignment, CauseEffectLink, Measure, Objective,
                  Theme, Perspective, StrategyMap):
        model.objects.all().delete()
    for unit in sorted(OrgUnit.objects.all(), key=lambda u: -len(u.path)):
        unit.delete()
    get_user_model().objects.all().delete()
    Group.objects.all().delete()


def round_trip(text: str) -> tuple[str, str]:
    result = import_map(text)
    assert result.errors == []
    first = export_map()
    wipe()
    assert not OrgUnit.objects.exists()
    result = import_map(first)
    assert result.errors == []
    return first, export_map()


def test_export_import_into_an_empty_database_export_gives_identical_text(db):
    first, second = round_trip(HAND_WRITTEN)
    assert second == first
    # The second import found nothing to do, so the text is the database, not a lucky formatting.
    assert all(c["created"] == 0 and c["updated"] == 0 for c in import_map(second).counts.values())


def test_the_export_writes_numbers_without_noise_dates_plainly_and_defaults_not_at_all(db):
    first, _ = round_trip(HAND_WRITTEN)
    assert "- {period: 2026-03-31, value: 4.1, note: Q1 slower than planned}" in first
    assert "value: 0.30000000000000004, note: 'odd: but true'}" in first  # repr: exact, not 0.3
    assert "value: -1.0e-05" in first or "value: -1e-05" in first
    assert "baseline: 3\n" in first and "target: 8\n" in first
    assert "budget: 250000.5\n" in first and "spent: 120000\n" in first
    assert "- {period: 2026-03-31, value: 1}" in first  # yes/no stored as 1
    assert "title: 'Northwind: strategy 2027'" in first and "vision: '2027'" in first
    assert "description: |\n" in first
    assert "polarity: increasing" not in first and "weight: 1\n" not in first
    assert "- username: 'yes'\n    name: 'True'\n" in first  # text that looks like a boolean stays text
    assert get_user_model().objects.filter(username="yes", first_name="True").exists()
    assert Initiative.objects.get(code="CRM").budget == Decimal("250000.50")


def test_the_export_orders_by_codes_and_tree_not_by_insertion(db):
    first, _ = round_trip(HAND_WRITTEN)
    assert first.index("code: NW\n") < first.index("code: NW-RET\n")
    # Perspectives keep their band order; objectives follow the bands, codes naturally (C2 before C10).
    nw = first[first.index("code: NW\n"):first.index("code: NW-RET\n")]
    assert nw.index("{code: M, name: Mission}") < nw.index("{code: F, name: Financial, weight: 2}")
    assert nw.index("code: F1\n") < nw.index("code: C2\n")
    ret = first[first.index("code: NW-RET\n"):]
    assert ret.index("code: C2\n") < ret.index("code: C10\n")
    assert ret.index("period: 2026-01-31") < ret.index("period: 2026-02-28")
    assert ret.index("name: Vendor chosen") < ret.index("name: Go live")
    assert "impacts: [C2, {objective: 'NW:F1', weight: 2, note: retention drives revenue}]" in ret
    assert "supports: ['NW:C2', {objective: 'NW:F1', weight: 2.5}]" in ret
    assert first.index("username: alice") < first.index("username: bob")


def test_objects_made_outside_the_file_export_and_round_trip_too(db):
    smap = StrategyMapFactory(unit__code="U1")
    perspective = PerspectiveFactory(map=smap, code="F")
    objective = ObjectiveFactory(map=smap, perspective=perspective, code="O1", name="An objective")
    measure = MeasureFactory(objective=objective, code="M1", target=2 / 3)
    ActualFactory(measure=measure, period=dt.date(2026, 3, 31), value=0.1 + 0.2)
    InitiativeFactory(unit=smap.unit, code="I1", budget=Decimal("0.10"))
    first = export_map()
    assert "target: 0.6666666666666666" in first and "budget: 0.1\n" in first
    wipe()
    assert import_map(first).errors == []
    assert export_map() == first
    assert Measure.objects.get().target == 2 / 3


def test_naming_a_unit_exports_it_with_its_subtree_only(db):
    assert import_map(HAND_WRITTEN).errors == []
    text = export_map(["NW-RET"])
    assert "code: NW-RET\n" in text and "code: NW\n" not in text
    assert "parent: NW\n" in text  # the parent stays a reference: it must exist where this is imported
    assert "username: bob" in text and "{unit: NW, role: viewer}" not in text
    assert "username: alice" not in text  # not involved in NW-RET
    full = export_map(["NW"])
    assert full == export_map()


def test_an_unknown_unit_is_refused(db):
    with pytest.raises(UnknownUnitError, match="Unknown unit"):
        export_map(["NOPE"])
    with pytest.raises(CommandError, match="Unknown unit"):
        call_command("export_map", "NOPE")


def test_the_command_writes_to_a_file_or_standard_output(db, tmp_path, capsys):
    assert import_map(HAND_WRITTEN).errors == []
    target = tmp_path / "out.yaml"
    call_command("export_map", "-o", str(target))
    assert target.read_text(encoding="utf-8") == export_map()
    call_command("export_map", "NW-RET")
    assert capsys.readouterr().out == export_map(["NW-RET"])


@pytest.mark.parametrize("copies", [1, 4])
def test_the_export_takes_the_same_number_of_queries_whatever_the_size(db, django_assert_num_queries, copies):
    assert import_map(HAND_WRITTEN).errors == []
    retail_only = HAND_WRITTEN.split("  - code: NW\n")[0]
    for n in range(1, copies):
        assert import_map(retail_only.replace("NW-RET", f"NW-R{n}")).errors == []
    assert OrgUnit.objects.count() == copies + 1
    # units, maps, perspectives, themes, objectives, measures, actuals, links, alignments, initiatives,
    # impacts, milestones, memberships, people, executives.
    with django_assert_num_queries(15):
        export_map()
