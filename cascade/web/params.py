"""Query parameters of the pages: read and checked in one place, and a bad one shown as a 400 page naming it.

Views wrapped in ``reads_parameters`` simply call ``date_param`` and friends; a ``BadParameter`` raised on the
way becomes the 400 page (never a 500, never a half-made page).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Period arithmetic (stale checks go back two periods) needs room on both sides of a date.
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))
# fromisoformat alone would also take 20260930 and week dates (2026-W39-3).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FLAGS = {"1": True, "on": True, "true": True, "yes": True, "0": False, "off": False, "false": False, "no": False,
         "": False}


class BadParameter(Exception):
    """A query parameter that cannot be read: shown as a 400 page naming the parameter."""


def bad_request(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    """The page that says what could not be done (400 by default; renderer failures pass their own status)."""
    return render(request, "web/bad_request.html", {"message": message}, status=status)


def reads_parameters(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view's ``BadParameter`` becomes the 400 page that names the parameter."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadParameter as exc:
            return bad_request(request, str(exc))

    return wrapper


def date_param(request: HttpRequest, name: str) -> dt.date | None:
    """The date in ``?name=YYYY-MM-DD``, None when absent or blank."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw) if _DATE.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        raise BadParameter(f"{name}: “{raw[:40]}” is not a date; use YYYY-MM-DD, e.g. 2026-09-30.")
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise BadParameter(f"{name}: {day.isoformat()} is out of range; use a date between "
                           f"{DATE_RANGE[0].isoformat()} and {DATE_RANGE[1].isoformat()}.")
    return day


def flag_param(request: HttpRequest, name: str) -> bool:
    """``?name=1`` (or on, true, yes) and ``?name=0`` (or off, false, no, blank); anything else is refused."""
    raw = request.GET.get(name, "").strip().lower()
    if raw not in FLAGS:
        raise BadParameter(f"{name}: “{raw[:40]}” is neither yes nor no; use 1 or 0.")
    return FLAGS[raw]
