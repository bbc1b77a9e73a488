"""The map as of a past date (from the change history) and the difference between two versions of a map."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cascade.diff import DiffSourceError, diff_structures, structure_from_yaml
from scorecard.history import end_of_day, structure_as_of
from tests.conftest import PAST

EXPECTED = [
    "+ perspective L: Learning",
    "~ objective C1: name Keep customers -> Keep customers coming back",
    "+ objective L1: Build data skills (perspective L)",
    "- link C1 -> F1",
    "- measure C1.1: Churn",
    "~ target F1.1: target 8 -> 9",
    "+ measure L1.1: Analysts trained (objective L1, target 20)",
]


def test_structure_as_of_a_past_date_is_the_map_as_it_was_then(evolved: Any) -> None:
    then = structure_as_of(evolved["unit"], end_of_day(PAST))
    assert then is not None
    assert sorted(then.objectives) == ["C1", "F1"]
    assert then.objectives["C1"]["name"] == "Keep customers"
    assert then.links == {("C1", "F1"): ""}
    assert sorted(then.measures) == ["C1.1", "F1.1"]
    assert then.measures["F1.1"]["target"] == 8
    now = structure_as_of(evolved["unit"])
    assert sorted(now.objectives) == ["C1", "F1", "L1"] and now.links == {}
    assert structure_as_of(evolved["unit"], end_of_day(PAST - dt.timedelta(days=1))) is None  # no map yet


def test_structure_as_of_takes_six_queries_however_big_the_map(evolved: Any, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(6):
        structure_as_of(evolved["unit"], end_of_day(PAST))


def test_the_difference_between_two_dates_lists_added_removed_and_changed_items(evolved: Any) -> None:
    old = structure_as_of(evolved["unit"], end_of_day(PAST))
    new = structure_as_of(evolved["unit"])
    assert [str(line) for line in diff_structures(old, new)] == EXPECTED
    assert diff_structures(new, new) == []


def test_diff_map_between_a_date_and_now_prints_the_changes(evolved: Any) -> None:
    out = io.StringIO()
    call_command("diff_map", "RET", "--from", PAST.isoformat(), stdout=out)
    assert out.getvalue().splitlines() == [f"Map of RET: {PAST} -> now", *EXPECTED, "3 added, 2 removed, 2 changed"]


def test_diff_map_between_two_yaml_exports_agrees_with_the_history(evolved: Any, tmp_path: Any) -> None:
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(evolved["yaml_before"])
    after.write_text(evolved["yaml_after"])
    out = io.StringIO()
    call_command("diff_map", "RET", "--from", str(before), "--to", str(after), stdout=out)
    assert out.getvalue().splitlines()[1:-1] == EXPECTED
    mixed = io.StringIO()
    call_command("diff_map", "RET", "--from", str(before), "--to", dt.date.today().isoformat(), stdout=mixed)
    assert mixed.getvalue().splitlines()[1:-1] == EXPECTED


def test_diff_map_from_before_the_map_existed_lists_the_whole_map_as_added(evolved: Any) -> None:
    out = io.StringIO()
    call_command("diff_map", "RET", "--from", "2025-01-01", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Unit RET had no strategy map on 2025-01-01 (--from): compared with an empty map."
    assert "+ objective F1: Grow revenue (perspective F)" in lines and not [x for x in lines if x.startswith("-")]


def test_diff_map_with_no_change_says_so(evolved: Any) -> None:
    out = io.StringIO()
    call_command("diff_map", "RET", "--from", dt.date.today().isoformat(), stdout=out)
    assert out.getvalue().strip() == f"No change in the map of RET from {dt.date.today()} to now."


@pytest.mark.parametrize(("args", "message"), [
    (["NOPE", "--from", "2026-01-01"], "No unit with the code 'NOPE'"),
    (["RET", "--from", "yesterday"], "--from 'yesterday' is neither a date"),
    (["RET", "--from", "2025-01-01", "--to", "2025-06-01"],
     r"Unit RET had no strategy map on 2025-01-01 \(--from\), nor on 2025-06-01 \(--to\): nothing to compare"),
    (["RET", "--from", "missing.yaml"], "missing.yaml: cannot read"),
])
def test_diff_map_explains_a_version_it_cannot_read(evolved: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("diff_map", *args, stdout=io.StringIO())


def test_a_yaml_version_with_bad_content_is_a_clear_error() -> None:
    with pytest.raises(DiffSourceError, match=r"a.yaml:3: YAML syntax error: .*started on line 2"):
        structure_from_yaml("units:\n  - {code: RET\n", "RET", name="a.yaml")
    with pytest.raises(DiffSourceError, match="no unit RET in the file"):
        structure_from_yaml("format: scorecard/v1\nunits: []\n", "RET", name="a.yaml")
    text = ("units:\n  - code: RET\n    name: R\n    map:\n      title: T\n      objectives:\n"
            "        - {code: F1, name: O, perspective: F, measures: [{code: M, name: M, target: lots}]}\n")
    with pytest.raises(DiffSourceError, match="measure M: target is not a number"):
        structure_from_yaml(text, "RET", name="a.yaml")
