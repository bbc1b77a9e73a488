"""OpenAPI: document the error responses every operation can give, and the If-Match precondition.

drf-spectacular documents only the success response by default; a client (and the fuzzer's response-schema
check) needs the 4xx bodies too: 400 carries field messages, the others ``{"detail": "..."}``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from scorecard.api.serializers import ErrorSerializer

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name -> list of messages (non_field_errors for rules spanning fields).",
    "additionalProperties": True,
}
IF_MATCH = OpenApiParameter(
    "If-Match", {"type": "string", "pattern": r'^"[0-9]{1,18}"$'}, OpenApiParameter.HEADER, required=True,
    description='The ETag from your GET, e.g. "3". Missing: 428; stale: 412 and nothing changes.',
)
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: field messages.",
    "401": "Not signed in.",
    "403": "Signed in, but not allowed to do this here.",
    "404": "No such object (or not visible to you), or no such page.",
    "412": "Stale If-Match: the object changed since you read it; nothing was changed.",
    "428": "If-Match missing: send the ETag you read.",
}


class ScorecardAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if self.method in ("PUT", "PATCH", "DELETE"):
            params.append(IF_MATCH)
        return params

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404"]
        if self.method in ("PUT", "PATCH", "DELETE"):
            codes += ["412", "428"]
        for code in codes:
            if code in responses:
                continue
            body = VALIDATION_ERROR_SCHEMA if code == "400" else ErrorSerializer
            response = self._get_response_for_code(body, code, direction=direction)
            response["description"] = ERROR_DESCRIPTIONS[code]
            responses[code] = response
        return responses
