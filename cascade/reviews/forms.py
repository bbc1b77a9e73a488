"""Forms of the review pages. They only parse and check input; the writes are ``cascade.reviews.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from cascade.models import MAX_MEETING_MINUTES, MIN_MEETING_MINUTES, ItemKind
from scorecard.models import Initiative, Measure, Objective, OrgUnit


class DateInput(forms.DateInput):
    input_type = "date"


def _users() -> Any:
    return get_user_model().objects.filter(is_active=True).order_by("username")


class PlanForm(forms.Form):
    title = forms.CharField(max_length=200, required=False, help_text="Default: “<unit> strategy review”.")
    date = forms.DateField(widget=DateInput, help_text="The day of the meeting.")
    as_of = forms.DateField(widget=DateInput, label="Results as of", help_text="The period reviewed.")
    minutes_length = forms.IntegerField(label="Length (minutes)", initial=90, min_value=MIN_MEETING_MINUTES,
                                        max_value=MAX_MEETING_MINUTES)
    facilitator = forms.ModelChoiceField(queryset=_users(), required=False)
    attendees = forms.ModelMultipleChoiceField(queryset=_users(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = _users()
        self.fields["attendees"].queryset = _users()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date") and data.get("as_of") and data["as_of"] > data["date"]:
            self.add_error("as_of", f"The as-of period {data['as_of']} lies after the meeting date {data['date']}; "
                                    "a review looks at results already in.")
        return data


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ItemForm(VersionedForm):
    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=ItemKind.choices)
    minutes = forms.IntegerField(min_value=1, max_value=MAX_MEETING_MINUTES)
    status_questions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                       help_text="One question per line.")
    strategic_questions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                          help_text="One question per line.")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AddItemForm(VersionedForm):
    subject = forms.ChoiceField(label="Subject", required=False,
                                help_text="An objective, measure or initiative of this unit; or write a topic.")
    topic = forms.CharField(max_length=300, required=False)
    kind = forms.ChoiceField(choices=ItemKind.choices, initial=ItemKind.BOTH)

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[Any] = [("", "— a free topic —")]
        choices.append(("Objectives", [(f"objective:{o.pk}", f"{o.code} {o.name}")
                                       for o in Objective.objects.filter(map__unit=unit).order_by("code")]))
        choices.append(("Measures", [(f"measure:{m.pk}", f"{m.code} {m.name}")
                                     for m in Measure.objects.filter(map__unit=unit).order_by("code")]))
        choices.append(("Initiatives", [(f"initiative:{i.pk}", f"{i.code} {i.name}")
                                        for i in Initiative.objects.filter(unit=unit).order_by("code")]))
        self.fields["subject"].choices = choices
        self.unit = unit

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        subject, topic = data.get("subject") or "", (data.get("topic") or "").strip()
        if subject and topic:
            self.add_error("topic", "Choose a subject or write a topic, not both.")
        elif not subject and not topic:
            self.add_error("topic", "Choose a subject or write a topic.")
        if subject:
            kind, _, pk = subject.partition(":")
            model = {"objective": Objective, "measure": Measure, "initiative": Initiative}[kind]
            data["object_kind"], data["object"] = kind, model.objects.get(pk=int(pk))
        return data


class ActionForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=_users(), required=False)
    due = forms.DateField(widget=DateInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _users()


class DoneForm(VersionedForm):
    done = forms.DateField(widget=DateInput)
