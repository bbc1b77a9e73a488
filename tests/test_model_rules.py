"""Every domain rule refuses bad input with a message naming the object and the rule, and writes nothing."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scorecard.models import Actual, Alignment, CauseEffectLink, Impact, Initiative, Objective, OrgUnit
from scorecard.services import map_create, save_validated
from tests.factories import (
    InitiativeFactory,
    MeasureFactory,
    ObjectiveFactory,
    OrgUnitFactory,
    PerspectiveFactory,
    StrategyMapFactory,
    ThemeFactory,
)


def objective(unit: OrgUnit, code: str) -> Objective:
    smap = StrategyMapFactory(unit=unit)
    return ObjectiveFactory(map=smap, perspective=PerspectiveFactory(map=smap, code="F"), code=code)


def test_a_new_map_gets_the_four_classic_perspectives(db):
    smap = map_create(unit=OrgUnitFactory(code="X"), title="X strategy")
    assert [(p.code, p.name, p.position) for p in smap.perspectives.all()] == [
        ("F", "Financial", 0), ("C", "Customer", 1), ("P", "Internal Process", 2), ("L", "Learning & Growth", 3)]


def test_unit_codes_are_restricted(db):
    with pytest.raises(ValidationError, match="only letters, digits"):
        save_validated(OrgUnit(code="has space", name="x"))
    assert not OrgUnit.objects.exists()


def test_a_unit_cannot_become_its_own_ancestor(tree):
    tree.nw.parent = tree.ret_ec
    with pytest.raises(ValidationError, match="NW would become its own ancestor"):
        save_validated(tree.nw)
    tree.nw.refresh_from_db()
    assert tree.nw.parent is None


def test_moving_a_unit_rewrites_the_subtree_paths(tree):
    tree.ret.parent = tree.whs
    save_validated(tree.ret)
    tree.ret_ec.refresh_from_db()
    assert tree.ret_ec.path == f"/{tree.nw.pk}/{tree.whs.pk}/{tree.ret.pk}/{tree.ret_ec.pk}/"
    assert tree.whs.is_ancestor_of(tree.ret_ec)


def test_a_cause_effect_cycle_is_refused_and_named(tree):
    smap = StrategyMapFactory(unit=tree.nw)
    l1 = ObjectiveFactory(map=smap, code="L1")
    p2 = ObjectiveFactory(map=smap, code="P2")
    c3 = ObjectiveFactory(map=smap, code="C3")
    save_validated(CauseEffectLink(cause=l1, effect=p2))
    save_validated(CauseEffectLink(cause=p2, effect=c3))
    with pytest.raises(ValidationError, match="L1 -> P2 -> C3 -> L1|C3 -> L1 -> P2 -> C3"):
        save_validated(CauseEffectLink(cause=c3, effect=l1))
    assert CauseEffectLink.objects.count() == 2


def test_a_link_to_itself_and_across_maps_is_refused(tree):
    a = objective(tree.nw, "A")
    b = objective(tree.ret, "B")
    with pytest.raises(ValidationError, match="cannot cause itself"):
        save_validated(CauseEffectLink(cause=a, effect=a))
    with pytest.raises(ValidationError, match="crosses maps"):
        save_validated(CauseEffectLink(cause=a, effect=b))
    assert not CauseEffectLink.objects.exists()


def test_a_duplicate_link_is_refused(tree):
    smap = StrategyMapFactory(unit=tree.nw)
    a, b = ObjectiveFactory(map=smap), ObjectiveFactory(map=smap)
    save_validated(CauseEffectLink(cause=a, effect=b))
    with pytest.raises(ValidationError, match="already exists"):
        save_validated(CauseEffectLink(cause=a, effect=b))


@pytest.mark.parametrize(
    ("own", "target", "message"),
    [("ret", "ret", "its own unit"), ("nw", "ret", "descendant"), ("ret", "whs", "cousin"),
     ("ret_ec", "whs", "cousin")],
)
def test_alignment_only_to_a_proper_ancestor(tree, own, target, message):
    a = objective(getattr(tree, own), "A")
    b = objective(getattr(tree, target), "B")
    with pytest.raises(ValidationError, match=message):
        save_validated(Alignment(objective=a, supports=b))
    assert not Alignment.objects.exists()


def test_alignment_to_a_grandparent_is_allowed(tree):
    a = objective(tree.ret_ec, "A")
    b = objective(tree.nw, "B")
    save_validated(Alignment(objective=a, supports=b, weight=2))
    assert Alignment.objects.get().weight == 2


def test_perspective_and_theme_of_another_map_are_refused(tree):
    own = StrategyMapFactory(unit=tree.nw)
    other = StrategyMapFactory(unit=tree.ret)
    foreign_p = PerspectiveFactory(map=other, code="C")
    with pytest.raises(ValidationError, match="perspective C belongs to another map"):
        save_validated(Objective(map=own, perspective=foreign_p, code="X", name="x"))
    own_p = PerspectiveFactory(map=own, code="F")
    foreign_t = ThemeFactory(map=other, code="T")
    with pytest.raises(ValidationError, match="theme T belongs to another map"):
        save_validated(Objective(map=own, perspective=own_p, theme=foreign_t, code="X", name="x"))
    assert not Objective.objects.filter(code="X").exists()


def test_duplicate_objective_codes_in_one_map_are_refused(tree):
    o = objective(tree.nw, "F1")
    with pytest.raises(ValidationError, match="already exists in this map"):
        save_validated(Objective(map=o.map, perspective=o.perspective, code="F1", name="again"))


def test_the_same_objective_code_in_two_maps_is_fine(tree):
    objective(tree.nw, "F1")
    objective(tree.ret, "F1")
    assert Objective.objects.filter(code="F1").count() == 2


def test_negative_weights_are_refused(tree):
    o = objective(tree.nw, "F1")
    o.weight = -1
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        save_validated(o)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("budget", -1, "greater than or equal to 0"), ("spent", -5, "greater than or equal to 0"),
     ("percent_complete", 100.5, "less than or equal to 100"), ("percent_complete", -1, "greater than")],
)
def test_initiative_ranges(tree, field, value, message):
    ini = InitiativeFactory(unit=tree.nw)
    setattr(ini, field, value)
    with pytest.raises(ValidationError, match=message):
        save_validated(ini)
    ini.refresh_from_db()
    assert getattr(ini, field) != value


def test_initiative_end_before_start_is_refused(tree):
    with pytest.raises(ValidationError, match="end 2026-01-01 is before the start 2026-06-01"):
        save_validated(Initiative(unit=tree.nw, code="X", name="x", start=dt.date(2026, 6, 1),
                                  end=dt.date(2026, 1, 1)))


def test_the_database_itself_refuses_what_validation_refuses(tree):
    ini = InitiativeFactory(unit=tree.nw)
    with pytest.raises(IntegrityError), transaction.atomic():
        Initiative.objects.filter(pk=ini.pk).update(percent_complete=101)
    m = MeasureFactory(objective=objective(tree.nw, "F1"))
    for bad in (math.inf, -math.inf):
        with pytest.raises(IntegrityError), transaction.atomic():
            Actual.objects.create(measure=m, period=dt.date(2026, 3, 31), value=bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_an_actual_must_be_finite(tree, bad):
    m = MeasureFactory(objective=objective(tree.nw, "F1"))
    with pytest.raises(ValidationError, match="not a finite number"):
        save_validated(Actual(measure=m, period=dt.date(2026, 3, 31), value=bad))
    assert not Actual.objects.exists()


def test_impact_only_on_own_or_ancestor_units(tree):
    ini = InitiativeFactory(unit=tree.ret)
    save_validated(Impact(initiative=ini, objective=objective(tree.nw, "F1")))
    save_validated(Impact(initiative=ini, objective=objective(tree.ret, "C1")))
    with pytest.raises(ValidationError, match="own unit \\(RET\\) or of an ancestor"):
        save_validated(Impact(initiative=ini, objective=objective(tree.whs, "W1")))
    with pytest.raises(ValidationError, match="own unit"):
        save_validated(Impact(initiative=ini, objective=objective(tree.ret_ec, "E1")))
    assert Impact.objects.count() == 2


def test_measure_codes_are_unique_across_the_map(tree):
    smap = StrategyMapFactory(unit=tree.nw)
    a, b = ObjectiveFactory(map=smap), ObjectiveFactory(map=smap)
    MeasureFactory(objective=a, code="M1")
    with pytest.raises(ValidationError, match="measure with this code already exists"):
        save_validated(MeasureFactory.build(objective=b, code="M1"))


def test_version_is_bumped_on_every_save(tree):
    v = tree.nw.version
    tree.nw.name = "Renamed"
    tree.nw.save()
    assert tree.nw.version == v + 1
