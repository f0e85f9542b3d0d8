"""Working example requests for the OpenAPI document (the API tests post every one of them).

The people are synthetic: their PINFLs are well formed but belong to nobody, and the mahalla is
Nihol MFY in Uchtepa district of Tashkent city (``make token ROLE=mahalla_worker SCOPE=1726262010``).
"""

from datetime import date, timedelta
from typing import Any

EXAMPLE_MAHALLA = "1726262010"

APPLICATION: dict[str, Any] = {
    "programmes": ["child_allowance"],
    "channel": "mahalla",
    "address": {
        "region_code": "1726",
        "district_code": "1726262",
        "mahalla_code": EXAMPLE_MAHALLA,
        "address_line": "Nihol ko'chasi 12, 4-xonadon",
    },
    "applicant_pinfl": "31403887269010",
    "members": [
        {"pinfl": "31403887269010", "document": {"kind": "id_card", "number": "AD1234567"},
         "surname": "Karimov", "given_name": "Jasur", "patronymic": "Akmalovich", "birth_date": "1988-03-14",
         "sex": "M", "relationship": "head", "phone": "+998901234567", "language": "uz-Latn"},
        {"pinfl": "40207917269023", "document": {"kind": "passport", "number": "FA7654321"},
         "surname": "Karimova", "given_name": "Dilnoza", "patronymic": "Rustamovna", "birth_date": "1991-07-02",
         "sex": "F", "relationship": "spouse", "phone": "+998935550011", "language": "uz-Cyrl"},
        {"pinfl": "52005157269035", "document": {"kind": "birth_certificate", "number": "I-TN 1234567"},
         "surname": "Karimov", "given_name": "Sardor", "birth_date": "2015-05-20", "sex": "M",
         "relationship": "child"},
        {"pinfl": "60901237269047", "document": {"kind": "birth_certificate", "number": "I-TN 7654321"},
         "surname": "Karimova", "given_name": "Madina", "birth_date": "2023-01-09", "sex": "F",
         "relationship": "child"},
    ],
    "bank_account": {"kind": "card", "number": "8600123456789012", "bank_code": "XALQ"},
}

DOCUMENT_UPLOAD: dict[str, Any] = {"kind": "id_document", "content_type": "application/pdf", "size_bytes": 245760}

HOUSEHOLD_PATCH: dict[str, Any] = {
    "version": 1,
    "address": {"region_code": "1726", "district_code": "1726262", "mahalla_code": EXAMPLE_MAHALLA,
                "address_line": "Nihol ko'chasi 14, 2-xonadon"},
    "reason": "moved within the mahalla",
}

# A payout card change is a change request: a pension_fund_officer or district_admin of the district
# (``make token ROLE=pension_fund_officer SCOPE=1726262``), not the reporter, approves it.
EXAMPLE_DISTRICT = "1726262"

CHANGE_REQUEST: dict[str, Any] = {
    "kind": "payout_account",
    "version": 1,
    "bank_account": {"kind": "card", "number": "9860351234567896", "bank_code": "XALQ"},
    "note": "card replaced by the bank",
}

CHANGE_APPROVAL: dict[str, Any] = {"version": 1, "note": "the bank's letter on the new card was seen"}

CHANGE_REJECTION: dict[str, Any] = {"reason": "documents_missing", "note": "no letter from the bank yet"}

CHANGE_CANCELLATION: dict[str, Any] = {"note": "reported by mistake"}

MEMBER_PATCH: dict[str, Any] = {"version": 1, "phone": "+998977770022", "reason": "new phone number"}

MEMBER_ADD: dict[str, Any] = {
    "version": 1,
    "member": {"pinfl": "41102947269052", "document": {"kind": "id_card", "number": "AB7777777"},
               "surname": "Karimova", "given_name": "Nodira", "birth_date": "1994-02-11", "sex": "F",
               "relationship": "sibling", "phone": "+998946660033", "language": "ru"},
    "reason": "moved in with the family",
}

RERUN: dict[str, Any] = {"note": "the tax authority's service is back"}

MANUAL_EVIDENCE: dict[str, Any] = {
    "agency": "tax",
    "members": [{"id": "p-0000001-01", "employment_sector": "non_state", "incomes": [
        {"month": "2026-09", "source": "salary", "amount": 2_400_000},
        {"month": "2026-10", "source": "salary", "amount": 2_400_000},
        {"month": "2026-11", "source": "salary", "amount": 2_400_000}]}],
    "justification": "salary statement from the employer, seen at the mahalla office",
    "document_id": "doc-3f2a9c1e7b",
}

DECISION_APPROVAL: dict[str, Any] = {"note": "salary statement checked against the employer's register"}

DECISION_REJECTION: dict[str, Any] = {"reason": "the statement is not signed by the employer"}

ASSESSMENT_PREVIEW: dict[str, Any] = {"evidence": {
    "period": "2026-12",
    "members": [
        {"id": "m1", "birth_date": "1988-03-14", "sex": "M", "relationship": "head",
         "income": [{"month": "2026-09", "source": "salary", "amount": 2_400_000},
                    {"month": "2026-10", "source": "salary", "amount": 2_400_000},
                    {"month": "2026-11", "source": "salary", "amount": 2_400_000}]},
        {"id": "m2", "birth_date": "1991-07-02", "sex": "F", "relationship": "spouse"},
        {"id": "c1", "birth_date": "2015-05-20", "sex": "M", "relationship": "child"},
        {"id": "c2", "birth_date": "2025-01-09", "sex": "F", "relationship": "child"},
    ],
    "programmes": ["child_allowance", "material_assistance"],
}}

# Grievances: the household id is filled in by the tests from the registered example family.
GRIEVANCE: dict[str, Any] = {
    "household_id": "hh-00000000000000000000000000",
    "category": "payment_not_received",
    "channel": "hotline",
    "description": "The November allowance did not reach the card.",
}
APPEAL: dict[str, Any] = {
    "grounds": ["income_wrong"],
    "channel": "mahalla_office",
    "description": "The salary counted for September to November was my previous job's; I left it in August.",
}
REASSESS: dict[str, Any] = {"evidence": None}
GRIEVANCE_TAKE: dict[str, Any] = {"assignee": "officer-2"}
GRIEVANCE_VERSION: dict[str, Any] = {"version": 2}
GRIEVANCE_RESOLVE: dict[str, Any] = {"outcome": "paid", "answer": "The payment was re-sent on 3 December."}
GRIEVANCE_REJECT: dict[str, Any] = {"outcome": "unfounded", "answer": "The payment was credited on 5 November."}
GRIEVANCE_RATING: dict[str, Any] = {"rating": 4}
ATTACHMENT_UPLOAD: dict[str, Any] = {"content_type": "image/jpeg", "size_bytes": 180224}


def _in_days(n: int) -> str:
    """A date ``n`` days from today: the case examples' dates must lie ahead to be accepted when posted."""
    return (date.today() + timedelta(days=n)).isoformat()


CASE: dict[str, Any] = {
    "household_id": "hh-00000000000000000000000000",
    "origin": {"kind": "worker"},
}
CASE_ASSESSMENT: dict[str, Any] = {
    "needs": {"income": 3, "health": 1, "housing": 2, "education": 0, "employment": 3, "disability": 0,
              "protection": 0},
    "summary": "Head out of work since the factory closed; two rooms for six people.",
    "plan": [{"action": "Register the head with the employment centre", "due_on": _in_days(14)}],
    "review_on": _in_days(60),
}
REFERRAL: dict[str, Any] = {"service": "employment_services"}
REFERRAL_ANSWER: dict[str, Any] = {"status": "accepted", "note": "Interview on Monday; vocational course offered."}
CASE_NOTE: dict[str, Any] = {"kind": "visit", "text": "Home visit: the family agreed to the plan.",
                             "confidential": False}
CASE_REVIEW: dict[str, Any] = {"next_review": _in_days(90)}
CASE_CLOSE: dict[str, Any] = {"outcome": "improved"}
