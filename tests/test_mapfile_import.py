"""The scorecard/v1 importer: bad input is refused with line, code and rule and changes nothing; good input
is upserted by codes."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.mapfile import MapError, export_map, import_map
from scorecard.models import (
    EXECUTIVES_GROUP,
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

# NW (enterprise) -> RET, WHS (business units); RET -> RET-EC (department).
BASE = textwrap.dedent("""\
    format: scorecard/v1
    units:
      - code: NW
        name: Northwind
        kind: enterprise
        map:
          title: NW strategy
          themes:
            - {code: OPX, name: Operational excellence}
          objectives:
            - {code: F1, name: Grow revenue, perspective: F, theme: OPX}
            - {code: C1, name: Keep customers, perspective: C}
            - {code: P1, name: Fast processes, perspective: P}
            - {code: L1, name: Skills, perspective: L}
          links:
            - {cause: L1, effect: P1}
            - {cause: P1, effect: C1}
            - {cause: C1, effect: F1}
      - code: RET
        name: Retail
        parent: NW
        map:
          title: Retail strategy
          objectives:
            - code: C1
              name: Happy shoppers
              perspective: C
              supports: ["NW:C1"]
              measures:
                - code: C1.1
                  name: NPS
                  target: 40
                  actuals:
                    - {period: 2026-03-31, value: 35}
          initiatives:
            - code: CRM
              name: CRM rollout
              start: 2026-01-01
              end: 2026-12-31
              budget: 1000
              impacts: [C1, "NW:F1"]
      - code: WHS
        name: Wholesale
        parent: NW
        map:
          title: Wholesale strategy
          objectives:
            - {code: C1, name: Dealers, perspective: C, supports: ["NW:C1"]}
      - code: RET-EC
        name: E-commerce
        parent: RET
        map:
          title: E-commerce plan
          objectives:
            - {code: F1, name: Online sales, perspective: F, supports: ["RET:C1"]}
    people:
      - {username: alice, name: Alice Moreno, executive: true, roles: [{unit: RET, role: manager}]}
""")

MODELS = [OrgUnit, StrategyMap, Perspective, Theme, Objective, CauseEffectLink, Alignment, Measure, Actual,
          Initiative, Impact, Milestone, Membership]


def doc(body: str) -> str:
    return "format: scorecard/v1\n" + textwrap.dedent(body)


def line_of(text: str, marker: str) -> int:
    """1-based line of the first line containing ``marker``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in the text")


def state() -> tuple[object, ...]:
    """Everything an import could change: row counts, versions, users and the exported text."""
    users = tuple(get_user_model().objects.order_by("username").values_list("username", "first_name", "email"))
    versions = tuple(sum(m.objects.values_list("version", flat=True)) for m in MODELS)
    return (tuple(m.objects.count() for m in MODELS), versions, users, export_map())


@pytest.fixture
def base(db: object) -> None:
    result = import_map(BASE)
    assert result.errors == []


def refused(text: str) -> list[MapError]:
    """Import ``text``, assert that it fails and that the database is exactly as before."""
    before = state()
    result = import_map(text)
    assert result.errors, "the import should have failed"
    assert not result.written
    assert state() == before
    return result.errors


def one_error(errors: list[MapError], *, line: int, code: str, says: str) -> MapError:
    matching = [e for e in errors if e.line == line and e.code == code and says in e.message]
    assert matching, f"no error at line {line} for {code} saying {says!r} in: {[str(e) for e in errors]}"
    return matching[0]


# ------------------------------------------------------------------------------------------- bad input
def test_a_cause_effect_cycle_is_refused_with_the_cycle_named(base):
    text = doc("""\
        units:
          - code: NW
            name: Northwind
            map:
              title: NW strategy
              links:
                - {cause: F1, effect: L1}
        """)
    errors = refused(text)
    one_error(errors, line=line_of(text, "cause: F1"), code="NW:F1->L1", says="cycle F1 -> L1 -> P1 -> C1 -> F1")


def test_a_cycle_made_entirely_of_new_links_is_refused(db):
    text = doc("""\
        units:
          - code: X
            name: X
            map:
              title: X
              objectives:
                - {code: A, name: A, perspective: F}
                - {code: B, name: B, perspective: C}
              links:
                - {cause: A, effect: B}
                - {cause: B, effect: A}
        """)
    errors = refused(text)
    one_error(errors, line=line_of(text, "cause: B"), code="X:B->A", says="would close the cycle")
    assert not OrgUnit.objects.exists()


def test_a_link_across_maps_is_refused(base):
    text = doc("""\
        units:
          - code: NW
            name: Northwind
            map:
              title: NW strategy
              links:
                - {cause: L1, effect: "RET:C1"}
        """)
    one_error(refused(text), line=line_of(text, "cause: L1"), code="NW:L1->C1", says="crosses maps")


@pytest.mark.parametrize(
    ("unit", "target", "says"),
    [
        ("RET", "RET:C1", "cannot support an objective of its own unit"),
        ("RET", "RET-EC:F1", "unit RET-EC is a descendant of RET"),
        ("WHS", "RET:C1", "unit RET is not an ancestor (a cousin) of WHS"),
    ],
    ids=["own unit", "descendant", "cousin"],
)
def test_an_alignment_to_anything_but_an_ancestor_is_refused(base, unit, target, says):
    text = doc(f"""\
        units:
          - code: {unit}
            name: Some unit
            parent: NW
            map:
              title: Some map
              objectives:
                - code: C9
                  name: New objective
                  perspective: C
                  supports: ["{target}"]
        """)
    errors = refused(text)
    error = one_error(errors, line=line_of(text, "supports:"), code=f"{unit}:C9->{target}", says=says)
    assert error.message.startswith("supports:")


def test_an_impact_on_a_cousin_units_objective_is_refused(base):
    text = doc("""\
        units:
          - code: WHS
            name: Wholesale
            parent: NW
            map:
              title: Wholesale strategy
              initiatives:
                - code: PORTAL
                  name: Dealer portal
                  impacts:
                    - {objective: "RET:C1", weight: 2}
        """)
    one_error(refused(text), line=line_of(text, 'objective: "RET:C1"'), code="WHS:PORTAL->RET:C1",
              says="an initiative impacts objectives of its own unit (WHS) or of an ancestor unit")


def test_a_perspective_of_another_map_is_refused(base):
    text = doc("""\
        units:
          - code: RET
            name: Retail
            parent: NW
            map:
              title: Retail strategy
              objectives:
                - {code: C1, name: Happy shoppers, perspective: "NW:C"}
        """)
    one_error(refused(text), line=line_of(text, "code: C1"), code="RET:C1",
              says="perspective: NW:C belongs to the map of unit NW")


def test_a_theme_that_only_another_map_has_is_refused(base):
    text = doc("""\
        units:
          - code: RET
            name: Retail
            parent: NW
            map:
              title: Retail strategy
              objectives:
                - code: C1
                  name: Happy shoppers
                  perspective: C
                  theme: OPX
        """)
    one_error(refused(text), line=line_of(text, "theme: OPX"), code="RET:C1",
              says="unknown theme OPX in the map of RET (only the map of NW has one)")


def test_duplicate_codes_are_refused_each_naming_the_first_definition(db):
    text = doc("""\
        units:
          - code: X
            name: X
            map:
              title: X
              objectives:
                - code: F1
                  name: One
                  perspective: F
                  measures:
                    - {code: M1, name: First}
                - code: F1
                  name: Two
                  perspective: F
                  measures:
                    - {code: M1, name: Second}
          - {code: X, name: X again}
        """)
    errors = refused(text)
    one_error(errors, line=line_of(text, "name: Two") - 1, code="X:F1",
              says=f"duplicate objective code in this map: already defined on line {line_of(text, 'name: One') - 1}")
    one_error(errors, line=line_of(text, "name: Second"), code="X:M1", says="duplicate measure code in this map")
    one_error(errors, line=line_of(text, "X again"), code="X", says="duplicate unit code")


def test_a_unit_that_would_become_its_own_ancestor_is_refused(base):
    text = doc("""\
        units:
          - {code: NW, name: Northwind, parent: RET-EC}
        """)
    one_error(refused(text), line=3, code="NW",
              says="unit NW would become its own ancestor (NW -> RET-EC -> RET -> NW)")


def test_units_naming_each_other_as_parents_are_refused(db):
    text = doc("""\
        units:
          - {code: A, name: A, parent: B}
          - {code: B, name: B, parent: A}
        """)
    one_error(refused(text), line=3, code="A", says="A -> B -> A")


@pytest.mark.parametrize(
    ("snippet", "code", "says"),
    [
        ("objectives: [{code: F9, name: X, perspective: F, weight: -1}]", "NW:F9",
         "weight: Ensure this value is greater than or equal to 0."),
        ("initiatives: [{code: I1, name: X, budget: -5}]", "NW:I1",
         "budget: Ensure this value is greater than or equal to 0."),
        ("initiatives: [{code: I1, name: X, spent: -0.01}]", "NW:I1",
         "spent: Ensure this value is greater than or equal to 0."),
        ("initiatives: [{code: I1, name: X, percent_complete: 100.5}]", "NW:I1",
         "percent_complete: Ensure this value is less than or equal to 100."),
        ("initiatives: [{code: I1, name: X, start: 2026-06-01, end: 2026-05-31}]", "NW:I1",
         "end: Initiative I1: the end 2026-05-31 is before the start 2026-06-01."),
        ("red_flag_percent: 150", "NW", "red_flag_percent: Ensure this value is less than or equal to 100."),
    ],
    ids=["negative weight", "negative budget", "negative spent", "percent over 100", "end before start",
         "red flag percent over 100"],
)
def test_values_out_of_range_are_refused_by_the_model_rules(base, snippet, code, says):
    text = doc(f"""\
        units:
          - code: NW
            name: Northwind
            map:
              title: NW strategy
              {snippet}
        """)
    one_error(refused(text), line=7, code=code, says=says)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (".nan", "value: nan is not a finite number"),
        (".inf", "value: inf is not a finite number"),
        ("-.inf", "value: -inf is not a finite number"),
        ('"abc"', "value: expected a finite number, not the text 'abc'"),
        ("abc", "value: expected a finite number, not the text 'abc'"),
        ('"35"', "value: expected a finite number, not the text '35'"),
        ("true", "value: expected a finite number, not the boolean true"),
        ("[1, 2]", "value: expected a finite number, not a list"),
    ],
)
def test_an_actual_that_is_not_a_finite_number_is_refused(base, value, says):
    text = doc(f"""\
        units:
          - code: RET
            name: Retail
            parent: NW
            map:
              title: Retail strategy
              objectives:
                - code: C1
                  name: Happy shoppers
                  perspective: C
                  measures:
                    - code: C1.1
                      name: NPS
                      actuals:
                        - {{period: 2026-06-30, value: {value}}}
        """)
    one_error(refused(text), line=line_of(text, "2026-06-30"), code="RET:C1.1@2026-06-30", says=says)


@pytest.mark.parametrize(
    ("period", "says"),
    [
        ("2026-02-30", "period: expected a date (YYYY-MM-DD), not '2026-02-30' (day is out of range for month)"),
        ('"2026-13-01"', "period: expected a date (YYYY-MM-DD), not the text '2026-13-01'"),
        ("last quarter", "period: expected a date (YYYY-MM-DD), not the text 'last quarter'"),
        ("2026-03-31 12:00:00", "period: expected a date (YYYY-MM-DD)"),
        ("20260331", "period: expected a date (YYYY-MM-DD), not 20260331"),
    ],
)
def test_a_period_that_is_not_a_date_is_refused(base, period, says):
    text = doc(f"""\
        actuals:
          - {{measure: "RET:C1.1", period: {period}, value: 1}}
        """)
    one_error(refused(text), line=3, code="RET:C1.1", says=says)


def test_an_actual_for_an_unknown_measure_is_refused(base):
    text = doc("""\
        actuals:
          - {measure: "RET:C1.1", period: 2026-06-30, value: 38}
          - {measure: "RET:NOPE", period: 2026-06-30, value: 1}
        """)
    one_error(refused(text), line=4, code="RET:NOPE@2026-06-30", says="measure: unknown measure RET:NOPE")
    assert Actual.objects.get().period == dt.date(2026, 3, 31)  # the good line was not written either


def test_unknown_keys_are_refused_at_every_level(base):
    text = doc("""\
        unitz: []
        units:
          - code: NW
            name: Northwind
            colour: blue
            map:
              title: NW strategy
              objectives:
                - {code: F1, name: Grow revenue, perspective: F, wieght: 2}
        people:
          - {username: alice, roles: [{unit: RET, role: manager, since: 2020}]}
        """)
    errors = refused(text)
    one_error(errors, line=2, code="file", says="unknown key 'unitz' in file")
    one_error(errors, line=line_of(text, "colour"), code="NW", says="unknown key 'colour' in unit (allowed: code,")
    one_error(errors, line=line_of(text, "wieght"), code="NW:F1", says="unknown key 'wieght' in objective")
    one_error(errors, line=line_of(text, "since"), code="alice@RET", says="unknown key 'since' in role")


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("format: scorecard/v1\nunits:\n  - code: NW\n    name: [Northwind\n", 5,
         "while parsing a flow sequence (started on line 4), expected ',' or ']'"),
        ("format: scorecard/v1\nunits:\n  - code: NW\n   name: Northwind\n", 4, "YAML syntax error"),
        ("format: scorecard/v1\nunits:\n\t- code: NW\n", 3, "YAML syntax error"),
        ("format: scorecard/v1\n---\nformat: scorecard/v1\n", 2, "YAML syntax error"),
    ],
    ids=["unclosed bracket", "bad indentation", "tab", "two documents"],
)
def test_a_yaml_syntax_error_is_reported_with_its_line(base, text, line, says):
    one_error(refused(text), line=line, code="YAML", says=says)


def test_a_file_without_the_format_line_or_empty_is_refused(db):
    one_error(refused(""), line=1, code="file", says="the file is empty")
    one_error(refused("units: []\n"), line=1, code="file", says="file needs 'format'")
    one_error(refused("format: scorecard/v2\n"), line=1, code="file", says="expected 'scorecard/v1'")
    one_error(refused("- 1\n"), line=1, code="file", says="must be a mapping")


def test_wrong_types_enums_and_references_are_named(base):
    text = doc("""\
        units:
          - code: NW
            name: Northwind
            display_order: first
            map:
              title: NW strategy
              rollup: average
              objectives:
                - code: F9
                  name: Bad things
                  perspective: X
                  owner: nobody
                  measures:
                    - {code: M1, name: M, polarity: up, frequency: weekly, target: 1e3x}
          - {code: "has space", name: Y}
          - {code: Z, name: Z, parent: MISSING}
        people:
          - {username: bob, executive: yes, roles: [{unit: NOWHERE, role: boss}]}
        """)
    errors = refused(text)
    one_error(errors, line=5, code="NW", says="display_order: expected a whole number, not the text 'first'")
    one_error(errors, line=8, code="NW", says="rollup: expected one of weighted_average, worst_child")
    one_error(errors, line=12, code="NW:F9", says="perspective: unknown perspective X in the map of NW")
    one_error(errors, line=13, code="NW:F9", says="owner: unknown user nobody")
    one_error(errors, line=15, code="NW:M1", says="polarity: expected one of increasing, decreasing, closer")
    one_error(errors, line=15, code="NW:M1", says="frequency: expected one of monthly")
    one_error(errors, line=15, code="NW:M1", says="target: expected a finite number, not the text '1e3x'")
    one_error(errors, line=16, code="unit", says="code: 'has space' is not a valid code")
    one_error(errors, line=17, code="Z", says="parent: unknown unit MISSING")
    one_error(errors, line=19, code="bob", says="executive: expected true or false, not the text 'yes'")
    one_error(errors, line=19, code="bob@NOWHERE", says="role: expected one of manager, updater, viewer")
    one_error(errors, line=19, code="bob@NOWHERE", says="role: unknown unit NOWHERE")


def test_every_error_of_a_file_is_reported_in_one_run_in_line_order(base):
    text = doc("""\
        units:
          - code: NW
            name: Northwind
            map:
              title: NW strategy
              objectives:
                - {code: F9, name: Heavy, perspective: F, weight: -2}
              links:
                - {cause: F1, effect: L1}
              initiatives:
                - {code: I1, name: Late, start: 2026-06-01, end: 2026-01-01}
        actuals:
          - {measure: "RET:C1.1", period: 2026-06-30, value: .nan}
        """)
    errors = refused(text)
    assert [e.line for e in errors] == [8, 10, 12, 14]
    assert [e.code for e in errors] == ["NW:F9", "NW:F1->L1", "NW:I1", "RET:C1.1@2026-06-30"]


def test_an_objective_with_an_error_does_not_drag_its_measures_into_more_errors(base):
    text = doc("""\
        units:
          - code: NW
            name: Northwind
            map:
              title: NW strategy
              objectives:
                - code: F9
                  name: Heavy
                  perspective: F
                  weight: -2
                  measures:
                    - {code: F9.1, name: Fine measure, actuals: [{period: 2026-03-31, value: 1}]}
              links:
                - {cause: F9, effect: F1}
        """)
    errors = refused(text)
    assert [(e.line, e.code) for e in errors] == [(11, "NW:F9")]


# ------------------------------------------------------------------------------------------- upserts
def test_the_example_loads_and_the_same_file_again_changes_nothing(base):
    before = state()
    result = import_map(BASE)
    assert result.errors == []
    assert set(result.counts) >= {"units", "objectives", "measures", "actuals", "links", "alignments"}
    assert all(c["created"] == 0 and c["updated"] == 0 for c in result.counts.values())
    assert state() == before


def test_a_new_map_without_perspectives_gets_the_four_classic_ones_and_a_listed_set_replaces_them(db):
    text = doc("""\
        units:
          - {code: A, name: A, map: {title: A}}
          - code: B
            name: B
            map:
              title: B
              perspectives: [{code: M, name: Mission}, {code: F, name: Stewardship, weight: 0.5}]
        """)
    assert import_map(text).errors == []
    a = list(Perspective.objects.filter(map__unit__code="A").values_list("code", "name", "position"))
    assert a == [("F", "Financial", 0), ("C", "Customer", 1), ("P", "Internal Process", 2),
                 ("L", "Learning & Growth", 3)]
    b = list(Perspective.objects.filter(map__unit__code="B").values_list("code", "position", "weight"))
    assert b == [("M", 0, 1.0), ("F", 1, 0.5)]


def test_what_the_file_names_is_updated_and_what_it_leaves_out_stays(base):
    text = doc("""\
        units:
          - code: NW
            name: Northwind Outfitters
            map:
              title: NW strategy
              objectives:
                - {code: F1, name: Grow revenue profitably, perspective: F, theme: null}
                - {code: F2, name: New objective, perspective: F}
        """)
    result = import_map(text)
    assert result.errors == []
    nw = OrgUnit.objects.get(code="NW")
    assert (nw.name, nw.kind, nw.version) == ("Northwind Outfitters", "enterprise", 2)  # kind left as it was
    f1 = Objective.objects.get(map__unit=nw, code="F1")
    assert (f1.name, f1.theme, f1.version) == ("Grow revenue profitably", None, 2)
    assert Objective.objects.filter(map__unit=nw).count() == 5  # C1, P1, L1 untouched, F2 added
    assert CauseEffectLink.objects.count() == 3 and OrgUnit.objects.count() == 4
    assert result.counts["units"] == {"updated": 1}
    assert result.counts["objectives"] == {"created": 1, "updated": 1}


def test_actuals_are_keyed_by_period_and_a_changed_value_forgets_who_entered_it(base):
    user = get_user_model().objects.get(username="alice")
    Actual.objects.filter(period=dt.date(2026, 3, 31)).update(entered_by=user)
    text = doc("""\
        actuals:
          - {measure: "RET:C1.1", period: "2026-03-31", value: 36.5, note: restated}
          - {measure: "RET:C1.1", period: 2026-06-30, value: 38}
        """)
    assert import_map(text).errors == []
    rows = list(Actual.objects.order_by("period").values_list("period", "value", "note", "entered_by"))
    assert rows == [(dt.date(2026, 3, 31), 36.5, "restated", None), (dt.date(2026, 6, 30), 38.0, "", None)]


def test_references_may_point_forward_in_the_file(db):
    text = doc("""\
        units:
          - code: CHILD
            name: Child
            parent: TOP
            map:
              title: Child
              objectives:
                - {code: C1, name: Support, perspective: C, supports: ["TOP:C1", {objective: "TOP:F1", weight: 2}]}
                - {code: C2, name: Second, perspective: C}
              links:
                - {cause: C1, effect: C2}
              initiatives:
                - {code: I1, name: Thing, impacts: [C2, {objective: "TOP:F1", weight: 3, note: why}]}
          - code: TOP
            name: Top
            map:
              title: Top
              objectives:
                - {code: F1, name: Money, perspective: F}
                - {code: C1, name: Customers, perspective: C}
        """)
    assert import_map(text).errors == []
    child = OrgUnit.objects.get(code="CHILD")
    assert child.parent.code == "TOP" and OrgUnit.objects.get(code="TOP").is_ancestor_of(child)
    assert sorted(Alignment.objects.values_list("supports__code", "weight")) == [("C1", 1.0), ("F1", 2.0)]
    assert sorted(Impact.objects.values_list("objective__map__unit__code", "objective__code", "weight", "note")) == [
        ("CHILD", "C2", 1.0, ""), ("TOP", "F1", 3.0, "why")]


def test_people_are_created_without_passwords_with_roles_and_the_executive_flag(base):
    alice = get_user_model().objects.get(username="alice")
    assert (alice.first_name, alice.last_name) == ("Alice", "Moreno")
    assert not alice.has_usable_password()
    assert alice.groups.filter(name=EXECUTIVES_GROUP).exists()
    assert list(Membership.objects.values_list("user__username", "unit__code", "role")) == [
        ("alice", "RET", "manager")]
    text = doc("""\
        people:
          - {username: alice, name: Alice de la Cruz, email: alice@example.org, executive: false,
             roles: [{unit: RET, role: viewer}, {unit: WHS, role: updater}]}
          - {username: bob}
        """)
    result = import_map(text)
    assert result.errors == []
    assert result.counts["people"] == {"updated": 1, "created": 1}
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.email) == ("Alice", "de la Cruz", "alice@example.org")
    assert not alice.groups.filter(name=EXECUTIVES_GROUP).exists()
    assert sorted(Membership.objects.values_list("unit__code", "role")) == [("RET", "viewer"), ("WHS", "updater")]
    assert not get_user_model().objects.get(username="bob").has_usable_password()


def test_taking_someone_out_of_the_executives_counts_as_an_update(base):
    result = import_map(doc("""\
        people:
          - {username: alice, executive: false}
        """))
    assert result.errors == [] and result.counts["people"] == {"updated": 1}
    assert not get_user_model().objects.filter(groups__name=EXECUTIVES_GROUP).exists()


def test_a_bad_email_is_refused_on_its_line(base):
    text = doc("""\
        people:
          - username: carol
            email: not-an-address
        """)
    one_error(refused(text), line=4, code="carol", says="email: Enter a valid email address.")


def test_yes_no_actuals_take_true_and_false_and_store_one_and_zero(db):
    text = doc("""\
        units:
          - code: X
            name: X
            map:
              title: X
              objectives:
                - code: L1
                  name: Certified
                  perspective: L
                  measures:
                    - code: L1.1
                      name: ISO 27001 certified
                      scoring: yes_no
                      target: 1
                      actuals: [{period: 2026-03-31, value: false}, {period: 2026-06-30, value: true}]
        """)
    assert import_map(text).errors == []
    assert list(Actual.objects.order_by("period").values_list("value", flat=True)) == [0.0, 1.0]
    bad = text.replace("value: true", "value: 0.5")
    one_error(refused(bad), line=16, code="X:L1.1@2026-06-30", says="a yes/no measure takes true/false or 1/0")


def test_a_dry_run_reports_what_would_change_and_writes_nothing(base):
    before = state()
    text = BASE.replace("name: Retail", "name: Retail stores") + textwrap.dedent("""\
        actuals:
          - {measure: "RET:C1.1", period: 2026-06-30, value: 38}
        """)
    result = import_map(text, dry_run=True)
    assert result.errors == [] and not result.written
    assert result.counts["units"] == {"updated": 1, "unchanged": 3}
    assert result.counts["actuals"] == {"created": 1, "unchanged": 1}
    assert "units: 0 would be created, 1 would be updated, 3 unchanged" in result.summary()
    assert state() == before


# ------------------------------------------------------------------------------------------- command
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_command_lists_every_error_as_file_line_code_message_and_fails(base, tmp_path, capsys):
    path = write(tmp_path, doc("""\
        units:
          - code: NW
            name: Northwind
            map:
              title: NW strategy
              links:
                - {cause: F1, effect: L1}
                - {cause: L1, effect: "RET:C1"}
        """))
    before = state()
    with pytest.raises(CommandError, match="2 errors in .*map.yaml; nothing was written"):
        call_command("import_map", str(path))
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}:8: NW:F1->L1: effect: Link F1 -> L1 would close the cycle")
    assert err[1].startswith(f"{path}:9: NW:L1->C1: link NW:L1 -> RET:C1 crosses maps")
    assert state() == before


def test_the_command_prints_a_summary_and_its_dry_run_writes_nothing(db, tmp_path, capsys):
    path = write(tmp_path, BASE)
    call_command("import_map", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "units: 4 would be created, 0 would be updated, 0 unchanged" in out
    assert "Dry run" in out
    assert not OrgUnit.objects.exists() and not get_user_model().objects.exists()
    call_command("import_map", str(path))
    out = capsys.readouterr().out
    assert "objectives: 7 created, 0 updated, 0 unchanged" in out
    assert OrgUnit.objects.count() == 4


def test_the_command_refuses_a_missing_file_clearly(db, tmp_path):
    with pytest.raises(CommandError, match="nope.yaml: no such file"):
        call_command("import_map", str(tmp_path / "nope.yaml"))



def test_a_perspective_with_an_error_is_reported_once_not_again_by_its_objectives(db):
    text = doc("""\
        units:
          - code: X
            name: X
            map:
              title: X
              perspectives: [{code: M, name: Mission, weight: heavy}]
              themes: [{code: T, name: [not text]}]
              objectives:
                - {code: M1, name: One, perspective: M}
                - {code: M2, name: Two, perspective: M, theme: T}
        """)
    errors = refused(text)
    assert [(e.line, e.code) for e in errors] == [(7, "X:M"), (8, "X:T")]


# A mangled file never raises and never writes part of itself: delete, duplicate or garble any line.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_mangling_of_a_good_file_raises_or_writes_half(base, data):
    lines = BASE.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["delete", "duplicate", "garble", "retype"]))
    line = lines[index]
    if action == "delete":
        del lines[index]
    elif action == "duplicate":
        lines.insert(index, line)
    elif action == "garble":
        position = data.draw(st.integers(0, max(len(line) - 1, 0)))
        char = data.draw(st.sampled_from([*":-{}[],\"' #&*!|>%@`\t", "x", "-1", ".nan", "2026-02-30"]))
        lines[index] = line[:position] + char + line[position + 1:]
    else:
        junk = data.draw(st.sampled_from(["-1", ".inf", "[]", "{}", "null", "true", "2026-13-01", "'x y'", "1e400"]))
        lines[index] = re.sub(r":\s.*$", f": {junk}", line, count=1) if ": " in line else line
    text = "\n".join(lines) + "\n"
    before = state()
    result = import_map(text)
    if result.errors:
        assert state() == before
        assert all(e.line >= 1 and e.code and e.message for e in result.errors)


def test_the_example_in_the_format_documentation_imports_cleanly(db):
    text = (Path(__file__).resolve().parents[1] / "docs" / "format.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    result = import_map(example)
    assert result.errors == []
    assert Alignment.objects.count() == 2 and Impact.objects.count() == 2 and Actual.objects.count() == 2
    assert Perspective.objects.filter(map__unit__code="NW-RET").count() == 4


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("format: scorecard/v1\nunits: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nested too deeply"),
        ("format: scorecard/v1\na: &a [1, 2]\nb: &b [*a, *a]\nunits: [*b, *b]\n", 2, "aliases of lists or mappings"),
    ],
    ids=["deep nesting", "billion laughs"],
)
def test_hostile_yaml_is_refused_without_a_traceback(db, text, line, says):
    one_error(refused(text), line=line, code="YAML", says=says)


def test_moving_a_unit_carries_its_subtree_and_keeps_alignment_rules(base):
    text = doc("""\
        units:
          - {code: RET, name: Retail, parent: WHS}
        """)
    assert import_map(text).errors == []
    ret_ec = OrgUnit.objects.get(code="RET-EC")
    assert [u.code for u in ret_ec.ancestors()] == ["RET", "WHS", "NW"]
    # WHS is now an ancestor of RET-EC, so RET-EC may support WHS's objectives; RET's may not support RET-EC's.
    ok = doc("""\
        units:
          - code: RET-EC
            name: E-commerce
            parent: RET
            map:
              title: E-commerce plan
              objectives:
                - {code: F1, name: Online sales, perspective: F, supports: ["WHS:C1"]}
        """)
    assert import_map(ok).errors == []
    assert Alignment.objects.filter(objective__code="F1", supports__map__unit__code="WHS").exists()
