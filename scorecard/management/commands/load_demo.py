"""``manage.py load_demo [--dry-run]``: load the Northwind demo enterprise and print its logins.

The demo goes through the same importer as any file (scorecard/demo/northwind.yaml), so loading it twice is
harmless: the second run finds everything unchanged. Only here do passwords get set, and only for the demo's
own people: development passwords, printed for the person trying the demo. The first load also replays the
demo's history (``scorecard.demo.history``) so that past maps and change lists have something to show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from scorecard import access
from scorecard.demo.history import REFRESH, STARTED, has_history, replay_demo_history
from scorecard.mapfile import import_map
from scorecard.mapfile.yamlio import parse
from scorecard.models import Membership, Role

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "northwind.yaml"


def demo_password(username: str) -> str:
    """A development password, the same on every run so that the printed list stays true."""
    return f"{username}-northwind"


def demo_usernames(text: str) -> list[str]:
    data = parse(text)
    return [p["username"] for p in (data.get("people") or [])]


class Command(BaseCommand):
    help = (
        "Load the demo enterprise (scorecard/demo/northwind.yaml) through the importer, set development "
        "passwords for the demo's own people and print their usernames, passwords and roles. Idempotent."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="validate the demo and print what would change, without writing anything")

    def handle(self, *args: Any, **options: Any) -> None:
        text = DEMO_FILE.read_text(encoding="utf-8")
        result = import_map(text, dry_run=options["dry_run"])
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"{DEMO_FILE.name}:{error.line}: {error.code}: {error.message}")
            raise CommandError("The demo file has errors; nothing was written.")
        for line in result.summary():
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written, no passwords set."))
            return
        rows = self.set_passwords(demo_usernames(text))
        if not has_history():
            replay_demo_history()
            self.stdout.write(f"History replayed: the maps since {STARTED.isoformat()}, a strategy refresh on "
                              f"{REFRESH.isoformat()} (try the map page's 'Show changes since').")
        self.stdout.write(self.style.SUCCESS("Demo enterprise loaded. Development logins (never use in production):"))
        width = max(len(r[0]) for r in rows)
        for username, password, roles in rows:
            self.stdout.write(f"  {username:<{width}}  password {password:<20}  {roles}")

    @transaction.atomic
    def set_passwords(self, usernames: list[str]) -> list[tuple[str, str, str]]:
        rows = []
        for user in get_user_model().objects.filter(username__in=usernames).order_by("username"):
            executive = access.is_executive(user)
            roles = [f"{m.role} of {m.unit.code}" for m in
                     Membership.objects.filter(user=user).select_related("unit").order_by("unit__code")]
            # The admin (Django's staff flag) is for those who draft maps: executives and unit managers.
            user.is_staff = executive or Membership.objects.filter(user=user, role=Role.MANAGER).exists()
            user.set_password(demo_password(user.username))
            user.save()
            rows.append((user.username, demo_password(user.username),
                         ", ".join((["executive"] if executive else []) + roles)))
        return rows
