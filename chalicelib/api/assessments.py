"""The what-if calculator: assess an evidence document with the rules in force, store nothing."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.api import responses as out
from chalicelib.api.http import endpoint
from chalicelib.api.schemas import AssessmentPreviewIn
from chalicelib.domain import access

bp = Blueprint(__name__)


@endpoint(bp, "/assessments/preview", "POST", tag="assessments", body=AssessmentPreviewIn,
          example=examples.ASSESSMENT_PREVIEW, response=out.AssessmentOut,
          action=access.ASSESSMENT_PREVIEW, audit=False,
          summary="Decide and explain an evidence document (assessment.schema.json) without storing anything")
def preview_assessment(request: Any, principal: Any, body: AssessmentPreviewIn) -> dict[str, Any]:
    return bootstrap.services().assess(body.evidence)
