"""API errors: every bad input is a 400 with field messages, never a 500.

DRF's own handler knows only its APIExceptions. Django's ValidationError (raised by ``full_clean()`` inside the
services) and database errors that slip past validation (a constraint race, an out-of-range number the database
refuses) are mapped here, so the client reads which field broke which rule.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = (
        "This write needs an If-Match header with the ETag you read (GET the object first), "
        'for example If-Match: "3".'
    )
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object changed since you read it; GET it again and retry with the new ETag."
    default_code = "precondition_failed"


def validation_messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    """Django's ValidationError as DRF's error body: {field: [messages]}, non-field errors under DRF's key."""
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    if hasattr(exc, "error_dict"):
        return {
            (non_field if field == NON_FIELD_ERRORS else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {non_field: [str(m) for m in exc.messages]}


def handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        return Response(validation_messages(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        names = ", ".join(sorted({str(o) for o in exc.protected_objects})[:5])
        return Response({api_settings.NON_FIELD_ERRORS_KEY: [f"Still referred to by: {names}"]}, status=400)
    if isinstance(exc, (IntegrityError, DataError)):
        # Validation runs first, so reaching here means a race or a value only the database refuses.
        logger.info("database refused an API write: %s", exc)
        return Response(
            {api_settings.NON_FIELD_ERRORS_KEY: [f"The database refused this change: {str(exc).strip()}"]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return exception_handler(exc, context)
