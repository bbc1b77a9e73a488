"""Review meetings (issue 7): a meeting of one unit, its generated-then-edited agenda, and its action items.

Rules are held twice, as in ``scorecard.models``: a database constraint where the database can hold it and a
message in ``clean()`` that names the rule, so forms, the API and the commands report it instead of failing with
an IntegrityError. Writes go through ``cascade.reviews.services``.

An agenda item's subject is exactly one of an objective, a measure, an initiative, or a free ``topic`` (used for
alignment gaps, stale data and open actions). The subject foreign keys are ``RESTRICT``: deleting an objective
that was discussed in a review is refused (the minutes would lose their subject), while deleting the whole unit
still removes its meetings with it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from scorecard.models import Initiative, Measure, Objective, OrgUnit, Versioned

MIN_MEETING_MINUTES = 15
MAX_MEETING_MINUTES = 480


class ItemKind(models.TextChoices):
    STATUS = "status", "Status"
    STRATEGIC = "strategic", "Strategic"
    BOTH = "both", "Status and strategic"


class ReviewMeeting(Versioned):
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="review_meetings")
    title = models.CharField(max_length=200)
    date = models.DateField(help_text="The day of the meeting.")
    as_of = models.DateField(help_text="The period whose results are reviewed (the map is coloured as of it).")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="facilitated_reviews"
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="review_meetings")
    minutes_length = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(MIN_MEETING_MINUTES), MaxValueValidator(MAX_MEETING_MINUTES)],
        help_text="Length of the meeting in minutes; the agenda's timeboxes add up to it.",
    )
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Set when the minutes are final.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["unit__code", "-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes_length__gte=MIN_MEETING_MINUTES) & Q(minutes_length__lte=MAX_MEETING_MINUTES),
                name="review_minutes_length_range",
                violation_error_message=(
                    f"A review lasts between {MIN_MEETING_MINUTES} and {MAX_MEETING_MINUTES} minutes."),
            ),
            models.CheckConstraint(
                condition=Q(as_of__lte=models.F("date")), name="review_as_of_not_after_date",
                violation_error_message="The as-of period must not lie after the meeting date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.title} ({self.date})"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def clean(self) -> None:
        super().clean()
        if self.as_of and self.date and self.as_of > self.date:
            raise ValidationError({"as_of": (
                f"Review {self.title or ''}: the as-of period {self.as_of} lies after the meeting date {self.date}; "
                "a review looks at results already in."
            )})


class AgendaItem(Versioned):
    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(default=0)
    objective = models.ForeignKey(Objective, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    initiative = models.ForeignKey(Initiative, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    topic = models.CharField(max_length=300, blank=True, help_text="A free subject when no object is discussed.")
    title = models.CharField(max_length=300, help_text="The heading shown on the agenda.")
    kind = models.CharField(max_length=10, choices=ItemKind.choices, default=ItemKind.BOTH)
    minutes = models.PositiveIntegerField(default=5, validators=[MaxValueValidator(MAX_MEETING_MINUTES)])
    status_questions = models.TextField(blank=True, help_text="One question per line.")
    strategic_questions = models.TextField(blank=True, help_text="One question per line.")
    reason = models.TextField(blank=True, help_text="Why the generator picked this item.")
    score = models.FloatField(null=True, blank=True, help_text="Priority score from the generator.")
    rank = models.PositiveIntegerField(null=True, blank=True, help_text="1 = most pressing.")
    manual = models.BooleanField(default=False, help_text="Added by hand (kept when the agenda is regenerated).")
    notes = models.TextField(blank=True)
    decision = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(objective__isnull=False, measure__isnull=True, initiative__isnull=True, topic="")
                    | Q(objective__isnull=True, measure__isnull=False, initiative__isnull=True, topic="")
                    | Q(objective__isnull=True, measure__isnull=True, initiative__isnull=False, topic="")
                    | (Q(objective__isnull=True, measure__isnull=True, initiative__isnull=True) & ~Q(topic=""))
                ),
                name="agenda_item_one_subject",
                violation_error_message="An agenda item has exactly one subject: an objective, a measure, an "
                                        "initiative or a free topic.",
            ),
            models.CheckConstraint(condition=Q(kind__in=ItemKind.values), name="agenda_item_kind_valid",
                                   violation_error_message="Unknown kind: use status, strategic or both."),
            models.CheckConstraint(condition=Q(minutes__lte=MAX_MEETING_MINUTES), name="agenda_item_minutes_range",
                                   violation_error_message=f"An item lasts at most {MAX_MEETING_MINUTES} minutes."),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    @property
    def subject_kind(self) -> str:
        if self.objective_id:
            return "objective"
        if self.measure_id:
            return "measure"
        if self.initiative_id:
            return "initiative"
        return "topic"

    def question_list(self, which: str) -> list[str]:
        text = self.status_questions if which == "status" else self.strategic_questions
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean(self) -> None:
        super().clean()
        subjects = [name for name in ("objective", "measure", "initiative") if getattr(self, f"{name}_id")]
        topic = (self.topic or "").strip()
        label = f"Agenda item {self.title or self.order}"
        if len(subjects) > 1 or (subjects and topic):
            named = ", ".join([*subjects, *(["topic"] if topic else [])])
            raise ValidationError(f"{label}: it has several subjects ({named}); choose exactly one.")
        if not subjects and not topic:
            raise ValidationError({"topic": f"{label}: give a subject: an objective, a measure, an initiative or "
                                            "a topic."})
        if not self.meeting_id:
            return
        unit = OrgUnit.objects.filter(review_meetings__pk=self.meeting_id).only("path", "code").first()
        if unit is None:
            return
        # The subject must belong to the meeting's unit or to a unit in its subtree or above it (context).
        owner: OrgUnit | None = None
        if self.objective_id:
            owner = OrgUnit.objects.filter(strategy_map__objectives__pk=self.objective_id).first()
        elif self.measure_id:
            owner = OrgUnit.objects.filter(strategy_map__measures__pk=self.measure_id).first()
        elif self.initiative_id:
            owner = OrgUnit.objects.filter(initiatives__pk=self.initiative_id).first()
        if owner is not None and not (owner.path.startswith(unit.path) or unit.path.startswith(owner.path)):
            field = subjects[0]
            raise ValidationError({field: f"{label}: the {field} belongs to unit {owner.code}, which is neither "
                                          f"{unit.code}, below it nor above it."})


class ActionItem(Versioned):
    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="actions")
    agenda_item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    # Denormalised from the meeting: the next review of the unit lists its open actions in one query.
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="review_actions", editable=False)
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_actions"
    )
    due = models.DateField(null=True, blank=True)
    done = models.DateField(null=True, blank=True, help_text="The day it was done; empty while open.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "due", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(description=""), name="action_item_description_required",
                                   violation_error_message="An action item needs a description."),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    def clean(self) -> None:
        super().clean()
        if not (self.description or "").strip():
            raise ValidationError({"description": "An action item needs a description: what is to be done?"})
        if self.meeting_id:
            self.unit_id = ReviewMeeting.objects.values_list("unit_id", flat=True).get(pk=self.meeting_id)
        if self.agenda_item_id and self.meeting_id:
            item_meeting = AgendaItem.objects.filter(pk=self.agenda_item_id).values_list("meeting_id", flat=True)
            if item_meeting.first() != self.meeting_id:
                raise ValidationError({"agenda_item": "The agenda item belongs to another meeting."})

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.meeting_id and not self.unit_id:
            self.unit_id = ReviewMeeting.objects.values_list("unit_id", flat=True).get(pk=self.meeting_id)
        super().save(*args, **kwargs)
