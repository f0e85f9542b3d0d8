"""Social work cases: open one (a social worker, or by referral), list a mahalla's or district's, read one,
and work it through (needs assessment and plan, referrals and the provider's answers, visits and notes,
reviews, closure); the ministry's counts."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.api import responses as out
from chalicelib.api.applications import CURSOR, LIMIT
from chalicelib.api.http import Param, endpoint, int_param, query_param
from chalicelib.api.schemas import (
    CaseAssessmentIn,
    CaseCloseIn,
    CaseNoteIn,
    CaseOpenIn,
    CaseReviewIn,
    ReferralAnswerIn,
    ReferralIn,
)
from chalicelib.api.views import case_view
from chalicelib.domain import access, identifiers
from chalicelib.domain.cases import STATUSES
from chalicelib.services.cases import Assessment, CaseView, Opening, plan_from

bp = Blueprint(__name__)
TAG = "cases"
_WORK = {403: "not a social worker or supervisor", 404: "the case is not found (or outside the token's scope)",
         409: "the case is closed, changed meanwhile, or the step does not follow"}


def _view(view: CaseView) -> dict[str, Any]:
    return case_view(view, bootstrap.services().cases.today())


@endpoint(bp, "/cases", "POST", tag=TAG, status=201,
          summary="Open a social work case for a household: by a social worker, or by referral (a rejected "
                  "application with an idle member, a grievance, a disability allowance, a death in the family)",
          body=CaseOpenIn, example=examples.CASE, response=out.CaseOut,
          responses={404: "the household is not found (or outside the token's scope)",
                     409: "the household has an open case (case_open)"}, action=access.CASE_OPEN)
def open_case(request: Any, principal: Any, body: CaseOpenIn) -> dict[str, Any]:
    opening = Opening(body.household_id, body.origin.kind, body.origin.ref, body.worker_id, body.review_on)
    return _view(bootstrap.services().cases.open(principal, opening))


@endpoint(bp, "/cases", "GET", tag=TAG,
          summary="A mahalla's cases (a social worker's own by default) or a district's (a supervisor's)",
          query=(Param("mahalla", "mahalla code", pattern=identifiers.MAHALLA_CODE),
                 Param("district", "district code", pattern=identifiers.DISTRICT_CODE),
                 Param("status", "the case's status", enum=STATUSES), LIMIT, CURSOR),
          response=out.CasesOut, action=access.CASE_LIST)
def list_cases(request: Any, principal: Any, body: None) -> dict[str, Any]:
    found, cursor = bootstrap.services().cases.list(
        principal, mahalla=query_param(request, "mahalla"), district=query_param(request, "district"),
        status=query_param(request, "status"), limit=int_param(request, "limit", 50, 1, 100),
        cursor=query_param(request, "cursor"))
    return {"items": [_view(v) for v in found], "next_cursor": cursor}


@endpoint(bp, "/cases/{case_id}", "GET", tag=TAG,
          summary="Read a case (confidential notes only for its worker and the supervisors; every read audited)",
          response=out.CaseOut, action=access.CASE_READ)
def get_case(request: Any, principal: Any, body: None, case_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().cases.get(principal, case_id))


@endpoint(bp, "/households/{household_id}/cases", "GET", tag=TAG, summary="A household's cases, oldest first",
          response=out.CasesOut, action=access.CASE_READ)
def household_cases(request: Any, principal: Any, body: None, household_id: str) -> dict[str, Any]:
    return {"items": [_view(v) for v in bootstrap.services().cases.for_household(principal, household_id)],
            "next_cursor": None}


@endpoint(bp, "/cases/{case_id}/assessment", "POST", tag=TAG,
          summary="The needs assessment (income, health, housing, education, employment, disability, protection: "
                  "0 to 3) and the plan of actions; the case becomes active",
          body=CaseAssessmentIn, example=examples.CASE_ASSESSMENT, response=out.CaseOut, responses=_WORK,
          action=access.CASE_WORK)
def assess_case(request: Any, principal: Any, body: CaseAssessmentIn, case_id: str) -> dict[str, Any]:
    assessment = Assessment(body.needs.model_dump(), body.summary,
                            plan_from([(a.action, a.due_on) for a in body.plan]), body.review_on)
    return _view(bootstrap.services().cases.assess(principal, case_id, assessment))


@endpoint(bp, "/cases/{case_id}/referrals", "POST", tag=TAG, status=201,
          summary="Refer the family to a service of the catalogue (its provider named)",
          body=ReferralIn, example=examples.REFERRAL, response=out.CaseOut, responses=_WORK,
          action=access.CASE_WORK)
def refer_case(request: Any, principal: Any, body: ReferralIn, case_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().cases.refer(principal, case_id, body.service))


@endpoint(bp, "/cases/{case_id}/referrals/{referral_id}/answer", "POST", tag=TAG,
          summary="Record the provider's answer to a referral: accepted, declined, completed",
          body=ReferralAnswerIn, example=examples.REFERRAL_ANSWER, response=out.CaseOut, responses=_WORK,
          action=access.CASE_WORK)
def answer_referral(request: Any, principal: Any, body: ReferralAnswerIn, case_id: str,
                    referral_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().cases.answer_referral(principal, case_id, referral_id, body.status,
                                                            body.note))


@endpoint(bp, "/cases/{case_id}/notes", "POST", tag=TAG, status=201,
          summary="Record a visit or a note (confidential: the case's worker and the supervisors only)",
          body=CaseNoteIn, example=examples.CASE_NOTE, response=out.CaseOut, responses=_WORK,
          action=access.CASE_WORK)
def add_case_note(request: Any, principal: Any, body: CaseNoteIn, case_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().cases.note(principal, case_id, body.kind, body.on, body.text,
                                                 body.confidential))


@endpoint(bp, "/cases/{case_id}/review", "POST", tag=TAG, summary="Record a review and set the next one",
          body=CaseReviewIn, example=examples.CASE_REVIEW, response=out.CaseOut, responses=_WORK,
          action=access.CASE_WORK)
def review_case(request: Any, principal: Any, body: CaseReviewIn, case_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().cases.review(principal, case_id, body.next_review))


@endpoint(bp, "/cases/{case_id}/close", "POST", tag=TAG, summary="Close the case with its outcome",
          body=CaseCloseIn, example=examples.CASE_CLOSE, response=out.CaseOut, responses=_WORK,
          action=access.CASE_WORK)
def close_case(request: Any, principal: Any, body: CaseCloseIn, case_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().cases.close(principal, case_id, body.outcome))


@endpoint(bp, "/statistics/cases", "GET", tag="statistics",
          summary="Cases open by region, by origin; referrals by service and their outcomes (no personal data)",
          response=out.CaseStatisticsOut, action=access.STATISTICS_READ)
def case_statistics(request: Any, principal: Any, body: None) -> dict[str, Any]:
    return bootstrap.services().cases.statistics(principal)
