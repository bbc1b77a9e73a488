"""ETag / If-Match: the lost-update guard.

The ETag of an object is its integer ``version`` in quotes. PUT, PATCH and DELETE must send ``If-Match`` with
the ETag they read: without it the write is refused with 428, with an older one with 412. The comparison runs
on a row locked with ``select_for_update()`` inside the write's transaction, so two clients racing with the
same ETag get one success and one 412, and the save still goes through ``save()`` (history is recorded).
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.request import Request

from scorecard.api.exceptions import PreconditionFailed, PreconditionRequired

_TAG = re.compile(r'^\s*"(\d{1,18})"\s*$')


def etag_of(obj: Any) -> str:
    return f'"{obj.version}"'


def required_version(request: Request) -> int:
    """The version named by If-Match; 428 when the header is missing or does not name one version.

    ``*`` and lists of tags are refused on purpose: they would let a client write without saying what it
    read, which is the lost update this guard exists to prevent. Weak tags (W/"3") never match (RFC 9110
    asks for strong comparison on If-Match), so they are refused too.
    """
    raw = request.headers.get("If-Match")
    if raw is None or not raw.strip():
        raise PreconditionRequired()
    match = _TAG.match(raw)
    if match is None:
        raise PreconditionRequired(
            f'If-Match must be exactly one strong ETag such as "3" (got {raw[:40]!r}); "*" is not accepted.'
        )
    return int(match.group(1))


def check_fresh(obj: Any, version: int) -> None:
    if obj.version != version:
        raise PreconditionFailed(
            f"Stale write refused: you read version {version}, the object is now at version {obj.version}. "
            "GET it again, reapply your change and retry."
        )
