"""Forms of the pages. Validation that belongs to the domain stays in the models (run by the services);
these forms only turn text into values and name the cell or field that could not be read."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django import forms

from scorecard.models import Initiative, Measure, Milestone, Objective

YES = {"yes", "y", "1", "true"}
NO = {"no", "n", "0", "false"}


def is_period_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def quarter_end_on_or_before(day: dt.date) -> dt.date:
    month = ((day.month - 1) // 3) * 3 + 3
    end = dt.date(day.year, month, calendar.monthrange(day.year, month)[1])
    if end > day:
        month -= 3
        year = day.year
        if month <= 0:
            month += 12
            year -= 1
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
    return end


def quarter_ends(last: dt.date, count: int) -> list[dt.date]:
    """``count`` quarter ends, newest first, ending with the quarter end on or before ``last``."""
    out = [quarter_end_on_or_before(last)]
    while len(out) < count:
        out.append(quarter_end_on_or_before(out[-1] - dt.timedelta(days=1)))
    return out


def parse_value(text: str, measure: Measure) -> float:
    """A cell's text as a number; yes/no measures also take yes and no. Raises ValidationError."""
    raw = text.strip().replace(",", "") if measure.scoring != "yes_no" else text.strip().lower()
    if measure.scoring == "yes_no":
        if raw in YES:
            return 1.0
        if raw in NO:
            return 0.0
        raise forms.ValidationError(f"{measure.code}: enter yes or no (or 1 or 0), not “{text.strip()}”.")
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise forms.ValidationError(f"{measure.code}: “{text.strip()}” is not a number.") from None
    if not math.isfinite(value):
        raise forms.ValidationError(f"{measure.code}: the value must be a finite number.")
    return value


class ResultsForm(forms.Form):
    """One period, one value (and an optional note) per measure. Blank values are left alone."""

    period = forms.DateField(
        label="Period end", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The last day of the period the values cover (e.g. 2026-09-30).",
    )

    def __init__(self, *args: Any, measures: Sequence[Measure], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measures = list(measures)
        for m in self.measures:
            self.fields[f"value_{m.pk}"] = forms.CharField(
                required=False, max_length=60, label=f"{m.code} {m.name}",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off",
                                              "class": "cell"}),
            )
            self.fields[f"note_{m.pk}"] = forms.CharField(
                required=False, max_length=2000, label=f"Commentary for {m.code}",
                widget=forms.TextInput(attrs={"class": "note", "autocomplete": "off"}),
            )

    def clean_period(self) -> dt.date:
        period: dt.date = self.cleaned_data["period"]
        if not is_period_end(period):
            raise forms.ValidationError(
                f"{period.isoformat()} is not the last day of a month; a period is named by its last day "
                "(e.g. 2026-09-30)."
            )
        return period

    def rows(self) -> list[dict[str, Any]]:
        return [{"measure": m, "value": self[f"value_{m.pk}"], "note": self[f"note_{m.pk}"]} for m in self.measures]

    def cells(self) -> list[tuple[Measure, float, str]]:
        """Parsed cells with a value; adds an error to each cell that cannot be read."""
        out = []
        for m in self.measures:
            text = self.cleaned_data.get(f"value_{m.pk}", "") or ""
            note = self.cleaned_data.get(f"note_{m.pk}", "") or ""
            if not text.strip():
                if note.strip():
                    self.add_error(f"value_{m.pk}", f"{m.code}: a commentary needs a value for the period.")
                continue
            try:
                out.append((m, parse_value(text, m), note))
            except forms.ValidationError as exc:
                self.add_error(f"value_{m.pk}", exc)
        return out


class InitiativeForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = ["code", "name", "description", "start", "end", "budget"]
        widgets = {
            "start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class ImpactForm(forms.Form):
    objective = forms.ModelChoiceField(queryset=Objective.objects.none(), label="Objective")
    weight = forms.FloatField(initial=1, min_value=0, label="Weight")
    note = forms.CharField(required=False, max_length=300, label="Note")

    def __init__(self, *args: Any, objectives: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["objective"]
        field.queryset = objectives  # type: ignore[attr-defined]
        field.label_from_instance = lambda o: f"{o.map.unit.code}: {o.code} {o.name}"  # type: ignore[attr-defined]

    def clean_weight(self) -> float:
        weight = self.cleaned_data["weight"]
        if not math.isfinite(weight):
            raise forms.ValidationError("The weight must be a finite number.")
        return weight


class ProgressForm(forms.Form):
    percent_complete = forms.FloatField(min_value=0, max_value=100, label="Percent complete")
    spent = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, label="Spent")
    status_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Status note")
    # The version the form was filled from: a save over someone else's newer one is refused.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, milestones: Sequence[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.milestones = list(milestones)
        for ms in self.milestones:
            self.fields[f"done_{ms.pk}"] = forms.DateField(
                required=False, label=f"{ms.name} (due {ms.due.isoformat()}) done on",
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    def clean_percent_complete(self) -> float:
        value = self.cleaned_data["percent_complete"]
        if not math.isfinite(value):
            raise forms.ValidationError("Percent complete must be a finite number.")
        return value

    def milestone_rows(self) -> list[dict[str, Any]]:
        return [{"milestone": ms, "field": self[f"done_{ms.pk}"]} for ms in self.milestones]

    def milestones_done(self) -> dict[int, dt.date | None]:
        return {ms.pk: self.cleaned_data.get(f"done_{ms.pk}") for ms in self.milestones}


class ResultsUploadForm(forms.Form):
    """A results file (CSV or XLSX) and the dry-run switch. The rows are checked by ``scorecard.results_io``."""

    file = forms.FileField(
        label="Results file", allow_empty_file=False,
        error_messages={"required": "Choose a CSV or XLSX file to upload.",
                        "empty": "The file is empty: its first row must be the header unit, measure, period, "
                                 "value, note.",
                        "invalid": "No file was received: choose a CSV or XLSX file to upload."},
    )
    dry_run = forms.BooleanField(required=False, label="Check only (dry run)",
                                 help_text="Check every row and count what would change; write nothing.")

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name or "the file"
        suffix = PurePath(name).suffix.lower()
        if suffix in (".xls", ".ods", ".numbers"):
            raise forms.ValidationError(f"“{name}” is a spreadsheet in the {suffix} format, which cannot be read: "
                                        "save it as an Excel workbook (.xlsx) or as CSV UTF-8 (.csv).")
        if suffix not in (".csv", ".xlsx"):
            raise forms.ValidationError(f"“{name}” is not a CSV or XLSX file: upload a .csv (CSV UTF-8) or an "
                                        ".xlsx file.")
        if upload.size > self.max_bytes:
            raise forms.ValidationError(too_large(name, upload.size, self.max_bytes))
        return upload


def size_text(size: int) -> str:
    """A file size for people: 50 MB, 2.5 MB, 12 KB."""
    mb = size / (1024 * 1024)
    if mb >= 1:
        return f"{mb:.0f} MB" if mb >= 10 or mb.is_integer() else f"{mb:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def too_large(name: str, size: int | None, max_bytes: int) -> str:
    shown = f" ({size_text(size)})" if size else ""
    return (f"“{name}”{shown} is larger than the {size_text(max_bytes)} a results file may have: split it into "
            "several files (e.g. by unit or by year).")
