"""The what-if calculator: assess an evidence document with the rules in force, store nothing."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api import examples
from chalicelib.api.http import endpoint
from chalicelib.api.schemas import AssessmentPreviewIn
from chalicelib.domain.access import require_personal_data_access
from chalicelib.domain.errors import Forbidden
from chalicelib.services.assessment import assess

bp = Blueprint(__name__)

STAFF = ("mahalla_worker", "pension_fund_officer", "district_admin", "region_admin", "ministry_analyst", "auditor")


@endpoint(bp, "/assessments/preview", "POST", audit=False, tag="assessments", body=AssessmentPreviewIn,
          example=examples.ASSESSMENT_PREVIEW,
          summary="Decide and explain an evidence document (assessment.schema.json) without storing anything")
def preview_assessment(request: Any, principal: Any, body: AssessmentPreviewIn) -> dict[str, Any]:
    if principal.role not in STAFF:
        raise Forbidden(f"role {principal.role} cannot use the calculator", code="role_not_allowed")
    if principal.role != "ministry_analyst":
        require_personal_data_access(principal)
    return assess(body.evidence)
