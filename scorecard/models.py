"""The scorecard domain: units, their strategy maps, objectives, measures, actuals and initiatives.

Every rule is held twice: as a database constraint where the database can hold it (uniqueness, ranges,
finiteness) and as a validation error in ``clean()`` whose message names the object and the rule, so that
forms, the API and the YAML importer report it instead of failing with an IntegrityError. Rules that span rows
(no cycles, same map, ancestor units) live in ``clean()`` only and are enforced by the services, which call
``full_clean()`` inside one transaction per write.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

CODE_RE = r"^[A-Za-z0-9_.-]+$"
code_validator = RegexValidator(
    CODE_RE, "A code may contain only letters, digits and the characters - _ . (no spaces).", "invalid_code"
)
non_negative = MinValueValidator(0)


def validate_finite(value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValidationError("%(value)s is not a finite number.", code="not_finite", params={"value": value})


# A finite float: NaN fails every comparison in PostgreSQL's sense (NaN sorts above all numbers), and
# SQLite stores NaN as NULL, so a range check rejects NaN and +-Infinity on both.
_FLOAT_MAX = 1.7976931348623157e308


def finite_check(field: str, name: str, nullable: bool = True) -> models.CheckConstraint:
    cond = Q(**{f"{field}__gte": -_FLOAT_MAX}) & Q(**{f"{field}__lte": _FLOAT_MAX})
    if nullable:
        cond = Q(**{f"{field}__isnull": True}) | cond
    return models.CheckConstraint(condition=cond, name=name, violation_error_message=f"{field} must be finite")


class Versioned(models.Model):
    """An integer version, bumped on every save: the API's ETag and the admin's stale-save guard."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not kwargs.get("force_insert"):
            self.version = (self.version or 0) + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version"}
        super().save(*args, **kwargs)


# --------------------------------------------------------------------------------------------------- units
class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def subtree_of(self, unit: OrgUnit) -> OrgUnitQuerySet:
        """The unit and all its descendants, in one query through the materialised path."""
        return self.filter(path__startswith=unit.path)

    def subtrees_of(self, units: Iterable[OrgUnit]) -> OrgUnitQuerySet:
        cond = Q(pk__in=[])
        for unit in units:
            cond |= Q(path__startswith=unit.path)
        return self.filter(cond)


class OrgUnit(Versioned):
    """A node of the organisation tree: the enterprise, a business unit, a department..."""

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=60, blank=True, help_text="Free label: enterprise, business unit...")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    display_order = models.IntegerField(default=0)
    # Materialised path of primary keys, "/1/4/9/": subtree queries are one indexed prefix match.
    # Maintained by save(); never edited by hand.
    path = models.CharField(max_length=1000, editable=False, db_index=True, default="")
    history = HistoricalRecords()

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name = "org unit"
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="orgunit_not_own_parent",
                violation_error_message="A unit cannot be its own parent.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def ancestors(self) -> list[OrgUnit]:
        """Proper ancestors, nearest first."""
        ids = [int(x) for x in self.path.strip("/").split("/") if x][:-1]
        by_id = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
        return [by_id[i] for i in reversed(ids) if i in by_id]

    def ancestor_ids(self) -> list[int]:
        return [int(x) for x in self.path.strip("/").split("/") if x][:-1]

    def is_ancestor_of(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path) and other.pk != self.pk

    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    def clean(self) -> None:
        super().clean()
        if self.parent_id is not None and self.pk is not None:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": f"Unit {self.code} cannot be its own parent."})
            parent = OrgUnit.objects.filter(pk=self.parent_id).only("path", "code").first()
            if parent is not None and f"/{self.pk}/" in parent.path:
                raise ValidationError(
                    {"parent": f"Unit {self.code} cannot move under {parent.code}: "
                     f"{parent.code} is one of its descendants, so {self.code} would become its own ancestor."}
                )

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        old_path = self.path
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        new_path = f"{parent_path}{self.pk}/"
        if new_path != old_path:
            OrgUnit.objects.filter(pk=self.pk).update(path=new_path)
            self.path = new_path
            if old_path:
                # A move: rewrite the descendants' paths (one query per descendant level is fine: rare).
                for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                    child.path = new_path + child.path[len(old_path):]
                    OrgUnit.objects.filter(pk=child.pk).update(path=child.path)


# --------------------------------------------------------------------------------------------------- maps
class Rollup(models.TextChoices):
    WEIGHTED_AVERAGE = "weighted_average", "Weighted average"
    WORST_CHILD = "worst_child", "Worst child"


DEFAULT_PERSPECTIVES = [
    ("F", "Financial"),
    ("C", "Customer"),
    ("P", "Internal Process"),
    ("L", "Learning & Growth"),
]


class StrategyMap(Versioned):
    unit = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="strategy_map")
    title = models.CharField(max_length=200)
    mission = models.TextField(blank=True)
    vision = models.TextField(blank=True)
    red_flag_percent = models.FloatField(
        default=10, validators=[MinValueValidator(0), MaxValueValidator(100), validate_finite],
        help_text="Where no red flag is set, it lies this percentage of |target| away on the bad side.",
    )
    rollup = models.CharField(max_length=20, choices=Rollup.choices, default=Rollup.WEIGHTED_AVERAGE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["unit__display_order", "unit__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(red_flag_percent__gte=0) & Q(red_flag_percent__lte=100),
                name="map_red_flag_percent_range",
                violation_error_message="The red-flag percentage must lie between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(rollup__in=Rollup.values), name="map_rollup_valid",
                violation_error_message="Unknown roll-up rule.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code}: {self.title}"


class Perspective(Versioned):
    map = models.ForeignKey(StrategyMap, on_delete=models.CASCADE, related_name="perspectives")
    code = models.CharField(max_length=32, validators=[code_validator])
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0, help_text="0 is the top band.")
    weight = models.FloatField(default=1, validators=[non_negative, validate_finite])
    history = HistoricalRecords()

    class Meta:
        ordering = ["map", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["map", "code"], name="perspective_code_unique_in_map",
                violation_error_message="A perspective with this code already exists in this map.",
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="perspective_weight_non_negative",
                                   violation_error_message="Weight must not be negative."),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Theme(Versioned):
    map = models.ForeignKey(StrategyMap, on_delete=models.CASCADE, related_name="themes")
    code = models.CharField(max_length=32, validators=[code_validator])
    name = models.CharField(max_length=200)
    history = HistoricalRecords()

    class Meta:
        ordering = ["map", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["map", "code"], name="theme_code_unique_in_map",
                violation_error_message="A theme with this code already exists in this map.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Objective(Versioned):
    map = models.ForeignKey(StrategyMap, on_delete=models.CASCADE, related_name="objectives")
    perspective = models.ForeignKey(Perspective, on_delete=models.PROTECT, related_name="objectives")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="objectives")
    code = models.CharField(max_length=32, validators=[code_validator])
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="objectives"
    )
    weight = models.FloatField(default=1, validators=[non_negative, validate_finite])
    history = HistoricalRecords()

    class Meta:
        ordering = ["map", "perspective__position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["map", "code"], name="objective_code_unique_in_map",
                violation_error_message="An objective with this code already exists in this map.",
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="objective_weight_non_negative",
                                   violation_error_message="Weight must not be negative."),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def unit(self) -> OrgUnit:
        return self.map.unit

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.map_id and self.perspective_id:
            p = Perspective.objects.filter(pk=self.perspective_id).values_list("map_id", "code").first()
            if p and p[0] != self.map_id:
                errors["perspective"] = (
                    f"Objective {self.code}: perspective {p[1]} belongs to another map; "
                    "choose a perspective of this objective's own map."
                )
        if self.map_id and self.theme_id:
            t = Theme.objects.filter(pk=self.theme_id).values_list("map_id", "code").first()
            if t and t[0] != self.map_id:
                errors["theme"] = (
                    f"Objective {self.code}: theme {t[1]} belongs to another map; "
                    "choose a theme of this objective's own map."
                )
        if errors:
            raise ValidationError(errors)


def find_cause_effect_cycle(edges: Iterable[tuple[int, int]], new: tuple[int, int]) -> list[int] | None:
    """Return the cycle (as a list of node ids, first repeated last) that adding ``new`` would close."""
    succ: dict[int, list[int]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    cause, effect = new
    # A path effect -> ... -> cause plus the new edge cause -> effect is a cycle.
    stack: list[tuple[int, list[int]]] = [(effect, [effect])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node == cause:
            return [cause, *path]
        if node in seen:
            continue
        seen.add(node)
        for nxt in succ.get(node, []):
            stack.append((nxt, [*path, nxt]))
    return None


class CauseEffectLink(Versioned):
    """cause -> effect between two objectives of one map. The links of a map form a DAG."""

    cause = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="effect_links")
    effect = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="cause_links")
    note = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["cause__code", "effect__code"]
        verbose_name = "cause-effect link"
        constraints = [
            models.UniqueConstraint(
                fields=["cause", "effect"], name="link_unique",
                violation_error_message="This cause-effect link already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(cause=models.F("effect")), name="link_not_to_itself",
                violation_error_message="An objective cannot cause itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cause.code} -> {self.effect.code}"

    def clean(self) -> None:
        super().clean()
        if not (self.cause_id and self.effect_id):
            return
        if self.cause_id == self.effect_id:
            raise ValidationError({"effect": f"Objective {self.cause.code} cannot cause itself."})
        if self.cause.map_id != self.effect.map_id:
            raise ValidationError({"effect": (
                f"Link {self.cause.code} -> {self.effect.code} crosses maps: cause-effect links join objectives "
                "of one map (use an alignment to support another unit's objective)."
            )})
        edges = (
            CauseEffectLink.objects.filter(cause__map_id=self.cause.map_id)
            .exclude(pk=self.pk)
            .values_list("cause_id", "effect_id")
        )
        cycle = find_cause_effect_cycle(list(edges), (self.cause_id, self.effect_id))
        if cycle:
            codes = dict(Objective.objects.filter(pk__in=cycle).values_list("pk", "code"))
            text = " -> ".join(codes[i] for i in cycle)
            raise ValidationError({"effect": f"Link {self.cause.code} -> {self.effect.code} would close the "
                                             f"cycle {text}: a strategy map must not loop back on itself."})


class Alignment(Versioned):
    """``objective`` (of a lower unit) supports ``supports`` (an objective of a proper ancestor unit)."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="alignments")
    supports = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="supported_by")
    weight = models.FloatField(default=1, validators=[non_negative, validate_finite])
    history = HistoricalRecords()

    class Meta:
        ordering = ["objective__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "supports"], name="alignment_unique",
                violation_error_message="This alignment already exists.",
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="alignment_weight_non_negative",
                                   violation_error_message="Weight must not be negative."),
            models.CheckConstraint(
                condition=~Q(objective=models.F("supports")), name="alignment_not_to_itself",
                violation_error_message="An objective cannot support itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.objective} supports {self.supports}"

    def clean(self) -> None:
        super().clean()
        if not (self.objective_id and self.supports_id):
            return
        own = self.objective.map.unit
        target = self.supports.map.unit
        label = f"{own.code}:{self.objective.code} -> {target.code}:{self.supports.code}"
        if own.pk == target.pk:
            raise ValidationError({"supports": f"Alignment {label}: an objective cannot support an objective of "
                                               "its own unit; use a cause-effect link inside the map."})
        if not target.is_ancestor_of(own):
            relation = "a descendant" if own.is_ancestor_of(target) else "not an ancestor (a cousin)"
            raise ValidationError({"supports": f"Alignment {label}: unit {target.code} is {relation} of "
                                               f"{own.code}; objectives support objectives of ancestor units only."})


# ----------------------------------------------------------------------------------------------- measures
class Polarity(models.TextChoices):
    INCREASING = "increasing", "Increasing is better"
    DECREASING = "decreasing", "Decreasing is better"
    CLOSER = "closer", "Closer to target is better"


class ScoringType(models.TextChoices):
    GOAL_RED_FLAG = "goal_red_flag", "Goal / red flag"
    GOAL_ONLY = "goal_only", "Goal only"
    YES_NO = "yes_no", "Yes / no"


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMIANNUAL = "semiannual", "Semiannual"
    ANNUAL = "annual", "Annual"
    BIENNIAL = "biennial", "Biennial"


FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12, "biennial": 24}


class Measure(Versioned):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="measures")
    # Denormalised from objective.map so that "code unique in the map" is a database constraint.
    map = models.ForeignKey(StrategyMap, on_delete=models.CASCADE, related_name="measures", editable=False)
    code = models.CharField(max_length=32, validators=[code_validator])
    name = models.CharField(max_length=300)
    units = models.CharField(max_length=40, blank=True)
    polarity = models.CharField(max_length=12, choices=Polarity.choices, default=Polarity.INCREASING)
    scoring = models.CharField(max_length=16, choices=ScoringType.choices, default=ScoringType.GOAL_RED_FLAG)
    frequency = models.CharField(max_length=12, choices=Frequency.choices, default=Frequency.QUARTERLY)
    baseline = models.FloatField(null=True, blank=True, validators=[validate_finite])
    target = models.FloatField(null=True, blank=True, validators=[validate_finite])
    red_flag = models.FloatField(null=True, blank=True, validators=[validate_finite])
    tolerance = models.FloatField(null=True, blank=True, validators=[non_negative, validate_finite])
    red_tolerance = models.FloatField(null=True, blank=True, validators=[non_negative, validate_finite])
    weight = models.FloatField(default=1, validators=[non_negative, validate_finite])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="measures"
    )
    source = models.CharField(max_length=200, blank=True, help_text="Where the data comes from.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["map", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["map", "code"], name="measure_code_unique_in_map",
                violation_error_message="A measure with this code already exists in this map.",
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="measure_weight_non_negative",
                                   violation_error_message="Weight must not be negative."),
            models.CheckConstraint(condition=Q(polarity__in=Polarity.values), name="measure_polarity_valid",
                                   violation_error_message="Unknown polarity."),
            models.CheckConstraint(condition=Q(scoring__in=ScoringType.values), name="measure_scoring_valid",
                                   violation_error_message="Unknown scoring type."),
            models.CheckConstraint(condition=Q(frequency__in=Frequency.values), name="measure_frequency_valid",
                                   violation_error_message="Unknown frequency."),
            models.CheckConstraint(
                condition=Q(tolerance__isnull=True) | Q(tolerance__gte=0), name="measure_tolerance_non_negative",
                violation_error_message="Tolerance must not be negative."),
            models.CheckConstraint(
                condition=Q(red_tolerance__isnull=True) | Q(red_tolerance__gte=0),
                name="measure_red_tolerance_non_negative",
                violation_error_message="Red tolerance must not be negative."),
            finite_check("baseline", "measure_baseline_finite"),
            finite_check("target", "measure_target_finite"),
            finite_check("red_flag", "measure_red_flag_finite"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.objective_id:
            self.map_id = Objective.objects.values_list("map_id", flat=True).get(pk=self.objective_id)
        super().clean()
        if (
            self.polarity == Polarity.CLOSER
            and self.tolerance is not None
            and self.red_tolerance is not None
            and self.red_tolerance < self.tolerance
        ):
            raise ValidationError({"red_tolerance": f"Measure {self.code}: the red tolerance "
                                                    f"({self.red_tolerance}) must not be below the tolerance "
                                                    f"({self.tolerance})."})

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.objective_id and not self.map_id:
            self.map_id = Objective.objects.values_list("map_id", flat=True).get(pk=self.objective_id)
        super().save(*args, **kwargs)


class Actual(Versioned):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="actuals")
    period = models.DateField(help_text="The last day of the period this value covers.")
    value = models.FloatField(validators=[validate_finite])
    note = models.TextField(blank=True, help_text="Commentary / analysis for the period.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["measure", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "period"], name="actual_one_per_period",
                violation_error_message="This measure already has a value for this period.",
            ),
            finite_check("value", "actual_value_finite", nullable=False),
        ]

    def __str__(self) -> str:
        return f"{self.measure.code} {self.period}: {self.value}"


# -------------------------------------------------------------------------------------------- initiatives
class Initiative(Versioned):
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="initiatives")
    code = models.CharField(max_length=32, validators=[code_validator])
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="initiatives"
    )
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    budget = models.DecimalField(max_digits=16, decimal_places=2, default=0, validators=[non_negative])
    spent = models.DecimalField(max_digits=16, decimal_places=2, default=0, validators=[non_negative])
    percent_complete = models.FloatField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100), validate_finite]
    )
    status_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["unit__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "code"], name="initiative_code_unique_in_unit",
                violation_error_message="An initiative with this code already exists in this unit.",
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="initiative_budget_non_negative",
                                   violation_error_message="Budget must not be negative."),
            models.CheckConstraint(condition=Q(spent__gte=0), name="initiative_spent_non_negative",
                                   violation_error_message="Spent must not be negative."),
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0) & Q(percent_complete__lte=100),
                name="initiative_percent_complete_range",
                violation_error_message="Percent complete must lie between 0 and 100."),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="initiative_end_not_before_start",
                violation_error_message="The end date must not be before the start date."),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": f"Initiative {self.code}: the end {self.end} is before the start "
                                          f"{self.start}."})


class Impact(Versioned):
    """An initiative moves an objective of its own unit or of an ancestor unit."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="impacts")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="impacts")
    weight = models.FloatField(default=1, validators=[non_negative, validate_finite])
    note = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative__code", "objective__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "objective"], name="impact_unique",
                violation_error_message="This initiative already impacts this objective.",
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="impact_weight_non_negative",
                                   violation_error_message="Weight must not be negative."),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.code} -> {self.objective.code}"

    def clean(self) -> None:
        super().clean()
        if not (self.initiative_id and self.objective_id):
            return
        own = self.initiative.unit
        target = self.objective.map.unit
        if own.pk != target.pk and not target.is_ancestor_of(own):
            raise ValidationError({"objective": (
                f"Initiative {own.code}:{self.initiative.code} cannot impact {target.code}:{self.objective.code}: "
                f"an initiative impacts objectives of its own unit ({own.code}) or of an ancestor unit."
            )})


class Milestone(Versioned):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=300)
    due = models.DateField()
    done = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative", "due", "name"]

    def __str__(self) -> str:
        return f"{self.name} (due {self.due})"


# --------------------------------------------------------------------------------------------- membership
class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    UPDATER = "updater", "Updater"
    VIEWER = "viewer", "Viewer"


EXECUTIVES_GROUP = "Executives"


class Membership(Versioned):
    """A user's role on a unit; it covers the unit's whole subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["unit__code", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"], name="membership_one_role_per_unit",
                violation_error_message="This user already has a role on this unit.",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid",
                                   violation_error_message="Unknown role."),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.unit.code}"
