"""``manage.py issue_token USERNAME``: print the user's API token (creating it if needed).

``--revoke`` deletes the token, so scripts using it get 401 from then on; ``--rotate`` replaces it with a new
one. ``--dry-run`` says what would happen and writes nothing. Tokens are for scripts; browsers use the session.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print USERNAME's API token, creating it if needed; --revoke deletes it, --rotate replaces it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--revoke", action="store_true", help="delete the user's token (scripts get 401)")
        group.add_argument("--rotate", action="store_true", help="replace the token with a new one")
        parser.add_argument("--dry-run", action="store_true", help="say what would happen, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; activate the account before issuing a token.")
        existing = Token.objects.filter(user=user).first()
        if options["dry_run"]:
            if options["revoke"]:
                what = "revoke the token" if existing else "do nothing (no token)"
            elif options["rotate"] or existing is None:
                what = "issue a new token"
            else:
                what = "print the existing token"
            self.stdout.write(f"Dry run: would {what} for {username}.")
            return
        with transaction.atomic():
            if options["revoke"]:
                if existing is None:
                    self.stdout.write(f"{username} has no token; nothing to revoke.")
                else:
                    existing.delete()
                    self.stdout.write(self.style.SUCCESS(f"Revoked the token of {username}."))
                return
            if options["rotate"] and existing is not None:
                existing.delete()
                existing = None
            token = existing or Token.objects.create(user=user)
        self.stdout.write(token.key)
