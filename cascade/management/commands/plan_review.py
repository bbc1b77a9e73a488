"""``manage.py plan_review UNIT --date DATE --as-of DATE [--minutes 90] [--title T] [--facilitator USER]
[--attendee USER ...] [--dry-run]``: create a review meeting of UNIT with a generated agenda and print its id
and agenda (issue 7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cascade.models import MAX_MEETING_MINUTES, MIN_MEETING_MINUTES
from cascade.reviews import services
from cascade.reviews.agenda import Agenda
from scorecard.models import OrgUnit


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _date(option: str, raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise CommandError(f"{option}: “{raw}” is not a date; use YYYY-MM-DD, e.g. 2026-10-15.") from None


class Command(BaseCommand):
    help = ("Plan a review meeting of UNIT: create it with an agenda generated from the unit's map as of the "
            "period (red and amber objectives and measures, initiatives in trouble, stale data, alignment gaps, "
            "open actions), timeboxed to the meeting's length, and print its id and agenda.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("unit", help="code of the unit under review, e.g. NW-RET")
        parser.add_argument("--date", required=True, help="the day of the meeting, YYYY-MM-DD")
        parser.add_argument("--as-of", required=True, dest="as_of", help="the period reviewed, YYYY-MM-DD")
        parser.add_argument("--minutes", default="90",
                            help=f"length in minutes ({MIN_MEETING_MINUTES}-{MAX_MEETING_MINUTES}, default 90)")
        parser.add_argument("--title", default="", help="meeting title (default: '<unit name> strategy review')")
        parser.add_argument("--facilitator", default="", help="username of the facilitator")
        parser.add_argument("--attendee", action="append", default=[], help="username of an attendee (repeat)")
        parser.add_argument("--dry-run", action="store_true", help="print the agenda without saving the meeting")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = OrgUnit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"UNIT: no unit with code “{options['unit']}”.")
        date = _date("--date", options["date"])
        as_of = _date("--as-of", options["as_of"])
        try:
            minutes = int(options["minutes"])
        except ValueError:
            raise CommandError(f"--minutes: “{options['minutes']}” is not a whole number of minutes.") from None
        if not MIN_MEETING_MINUTES <= minutes <= MAX_MEETING_MINUTES:
            raise CommandError(f"--minutes: {minutes} is out of range; a review lasts {MIN_MEETING_MINUTES} to "
                               f"{MAX_MEETING_MINUTES} minutes.")
        if as_of > date:
            raise CommandError(f"--as-of: {as_of} lies after the meeting date {date}; a review looks at results "
                               "already in.")
        users = get_user_model().objects
        facilitator = None
        if options["facilitator"]:
            facilitator = users.filter(username=options["facilitator"]).first()
            if facilitator is None:
                raise CommandError(f"--facilitator: no user “{options['facilitator']}”.")
        attendees = []
        for name in options["attendee"]:
            person = users.filter(username=name).first()
            if person is None:
                raise CommandError(f"--attendee: no user “{name}”.")
            attendees.append(person)
        try:
            with transaction.atomic():
                meeting, agenda = services.meeting_plan(
                    unit=unit, date=date, as_of=as_of, minutes_length=minutes, title=options["title"],
                    facilitator=facilitator, attendees=attendees,
                )
                if options["dry_run"]:
                    self._print(None, meeting.title, agenda)
                    raise DryRun
        except DryRun:
            self.stdout.write("Dry run: nothing saved.")
            return
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self._print(meeting.pk, meeting.title, agenda)

    def _print(self, pk: int | None, title: str, agenda: Agenda) -> None:
        out = self.stdout
        out.write(f"Meeting {pk if pk is not None else '(not saved)'}: {title}")
        out.write(f"{len(agenda.items)} items, {agenda.total_minutes} minutes")
        start = 0
        for n, item in enumerate(agenda.items, start=1):
            out.write(f"{n:>2}. {start // 60}:{start % 60:02d} {item.minutes:>3} min  [{item.kind}] {item.title}"
                      f"  (rank {item.rank}: {item.reason})")
            for line in item.status_questions:
                out.write(f"      S: {line}")
            for line in item.strategic_questions:
                out.write(f"      G: {line}")
            start += item.minutes
        split = agenda.split
        out.write(f"Status {split.status_minutes:g} min ({split.status_share:.0%}), strategic "
                  f"{split.strategic_minutes:g} min ({split.strategic_share:.0%})")
        for warning in split.warnings:
            out.write(self.style.WARNING(f"Warning: {warning}"))
        if agenda.left_off:
            out.write("Left off (add by hand if needed): " + "; ".join(c.title for c in agenda.left_off))
