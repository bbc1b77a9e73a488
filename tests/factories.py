"""factory_boy factories for the domain. Chained: unit -> map -> perspective/objective -> measure -> actual."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

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


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw")

    @factory.post_generation
    def executive(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            group, _ = Group.objects.get_or_create(name=EXECUTIVES_GROUP)
            self.groups.add(group)


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.LazyAttribute(lambda u: f"Unit {u.code}")
    kind = "business unit"
    parent = None


class StrategyMapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategyMap
        django_get_or_create = ("unit",)

    unit = factory.SubFactory(OrgUnitFactory)
    title = factory.LazyAttribute(lambda m: f"{m.unit.code} strategy")


class PerspectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Perspective
        django_get_or_create = ("map", "code")

    map = factory.SubFactory(StrategyMapFactory)
    code = "F"
    name = "Financial"
    position = 0


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("map", "code")

    map = factory.SubFactory(StrategyMapFactory)
    code = "OPX"
    name = "Operational excellence"


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    map = factory.SubFactory(StrategyMapFactory)
    perspective = factory.SubFactory(PerspectiveFactory, map=factory.SelfAttribute("..map"))
    code = factory.Sequence(lambda n: f"O{n}")
    name = factory.LazyAttribute(lambda o: f"Objective {o.code}")


class CauseEffectLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CauseEffectLink

    cause = factory.SubFactory(ObjectiveFactory)
    effect = factory.SubFactory(ObjectiveFactory, map=factory.SelfAttribute("..cause.map"))


class AlignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alignment

    objective = factory.SubFactory(ObjectiveFactory)
    supports = factory.SubFactory(ObjectiveFactory)
    weight = 1


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    objective = factory.SubFactory(ObjectiveFactory)
    code = factory.Sequence(lambda n: f"M{n}")
    name = factory.LazyAttribute(lambda m: f"Measure {m.code}")
    target = 100.0


class ActualFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actual

    measure = factory.SubFactory(MeasureFactory)
    period = dt.date(2026, 3, 31)
    value = 100.0


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    unit = factory.SubFactory(OrgUnitFactory)
    code = factory.Sequence(lambda n: f"I{n}")
    name = factory.LazyAttribute(lambda i: f"Initiative {i.code}")
    start = dt.date(2026, 1, 1)
    end = dt.date(2026, 12, 31)
    budget = 100000
    spent = 0
    percent_complete = 0


class ImpactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Impact

    initiative = factory.SubFactory(InitiativeFactory)
    objective = factory.SubFactory(ObjectiveFactory)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    initiative = factory.SubFactory(InitiativeFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    due = dt.date(2026, 6, 30)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(OrgUnitFactory)
    role = "manager"


def backdate_history(day: dt.date) -> None:
    """Pretend every change recorded so far was made at noon on ``day`` (the clock cannot be turned back)."""
    from django.utils import timezone

    from scorecard.history import tracked_models

    when = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
    for model in tracked_models():
        model.history.all().update(history_date=when)
