"""The demo's month after the decision, through the HTTP API as its users would act: grievances worked
through, appeals filed and re-assessed (upheld with corrected income, or denied when the agencies confirm
their data), social work cases opened with referrals, and the figures for ``demo-out/summary.json``.

``before_payroll`` files the grievances and appeals; ``reassess_appeals`` runs after the month's payroll
has been frozen, so an appeal upheld then is owed that month, which the next month's run pays as arrears;
``open_cases`` refers families to social workers; ``figures`` reads the ministry's statistics.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import geography
from chalicelib.services.assessment import assess
from devstack.applications import application_payload
from devstack.population import SynthHousehold, evidence_for
from devstack.stack import EmbeddedStack
from devstack.token import issue

TAX_SOURCES = ("salary", "entrepreneurial", "property")


@dataclass
class Aftercare:
    """What the demo did after the decisions (ids only), for its summary."""

    grievances: list[str] = field(default_factory=list)
    appeals: dict[str, str] = field(default_factory=dict)  # grievance id -> application id
    corrected: set[str] = field(default_factory=set)  # appeals re-assessed with corrected income
    answers: dict[str, str] = field(default_factory=dict)  # grievance id -> outcome code
    cases: list[str] = field(default_factory=list)


def call(stack: EmbeddedStack, method: str, path: str, token: str,
         body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(stack.api_url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _ok(answer: tuple[int, dict[str, Any]], what: str) -> dict[str, Any]:
    status, body = answer
    if status >= 400:
        raise RuntimeError(f"{what}: {status} {body.get('error', {}).get('code')}")
    return body


def _district(h: SynthHousehold) -> str:
    district = geography.district_of_mahalla(h.mahalla_code)
    assert district is not None
    return district.code


def _officer(h: SynthHousehold, n: int = 1) -> str:
    return issue("pension_fund_officer", _district(h), subject=f"demo-officer-{n}-{_district(h)}")


def before_payroll(stack: EmbeddedStack, decided: list[tuple[str, SynthHousehold, str, list[str]]],
                   appeals: int = 6, grievances: int = 6) -> Aftercare:
    """Grievances from assigned families (worked through: paid, explained, one unfounded), and appeals
    from families rejected on income alone. ``decided``: (application id, family, status, reasons)."""
    done = Aftercare()
    assigned = [(a, h) for a, h, status, _ in decided if status == "assigned"][:grievances]
    for k, (_, h) in enumerate(assigned):
        g = _ok(call(stack, "POST", "/grievances", issue("hotline_operator", subject="demo-hotline"), {
            "household_id": h.household_id, "category": "payment_not_received" if k % 2 else "wrong_data",
            "channel": "hotline", "description": "Caller says the family's data or payment is wrong."}), "grievance")
        gid = g["grievance_id"]
        done.grievances.append(gid)
        officer = _officer(h)
        _ok(call(stack, "POST", f"/grievances/{gid}/assign", officer, {}), "assign")
        if k % 3 == 2:
            continue  # left in review
        outcome = ("rejected", "unfounded") if k == 0 else ("resolved", "explained" if k % 2 else "corrected")
        path = "reject" if outcome[0] == "rejected" else "resolve"
        _ok(call(stack, "POST", f"/grievances/{gid}/{path}", officer,
                 {"outcome": outcome[1], "answer": "Checked against the registry."}), path)
    by_income = [(a, h) for a, h, status, reasons in decided
                 if status == "rejected" and reasons == ["income_above_threshold"]]
    # Two thirds appeal with an employer's letter that the rules say would change the decision; the
    # rest appeal without new facts (the agencies will confirm theirs).
    with_letter = [(a, h) for a, h in by_income if _letter_would_qualify(h, stack.reference_month)]
    without = [(a, h) for a, h in by_income if (a, h) not in with_letter]
    chosen = with_letter[:appeals - appeals // 3] + without[:appeals // 3]
    for application_id, h in chosen:
        worker = issue("mahalla_worker", h.mahalla_code, subject=f"demo-worker-{h.mahalla_code}")
        g = _ok(call(stack, "POST", f"/applications/{application_id}/appeals", worker, {
            "grounds": ["income_wrong"], "channel": "mahalla_office",
            "description": "The salary recorded is from a job the head left; the new one pays less."}), "appeal")
        done.appeals[g["grievance_id"]] = application_id
        if (application_id, h) in with_letter:
            done.corrected.add(g["grievance_id"])
    return done


def _letter(evidence: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each member's tax incomes as the employer's letter states them: a tenth of the salaries on record."""
    return {m["id"]: [dict(i, amount=i["amount"] // 10) for i in m["income"] if i["source"] in TAX_SOURCES]
            for m in evidence["members"]}


def _letter_would_qualify(h: SynthHousehold, cycle_month: str) -> bool:
    evidence = evidence_for(h, cycle_month)
    letter = _letter(evidence)
    corrected = {**evidence, "members": [
        {**m, "income": [i for i in m["income"] if i["source"] not in TAX_SOURCES] + letter[m["id"]]}
        for m in evidence["members"]]}
    decision = assess({**corrected, "programmes": application_payload(h, cycle_month)["programmes"]})["decision"]
    return any(p["eligible"] for p in decision["programmes"].values())


def _corrected_income(stack: EmbeddedStack, application_id: str, h: SynthHousehold, officer: str) -> dict[str, Any]:
    """The tax authority's facts as the employer's letter corrects them: every salary at a tenth (the family's
    account), with a document uploaded to the application."""
    app = _ok(call(stack, "GET", f"/applications/{application_id}", officer), "application")
    upload = _ok(call(stack, "POST", f"/applications/{application_id}/documents", officer,
                      {"kind": "income_statement", "content_type": "application/pdf", "size_bytes": 1200}), "upload")
    # the officer's scanner posts the file to the presigned URL; here straight into the local bucket
    stack.client("s3").put_object(Bucket=stack.settings().documents_bucket, Key=upload["upload"]["fields"]["key"],
                                  Body=b"%PDF-1.7 employer's letter")
    evidence = evidence_for(h, app["cycle_month"])
    letter = _letter(evidence)
    sectors = {m["id"]: m["employment_sector"] for m in evidence["members"]}
    members = [{"id": m["person_id"], "incomes": letter.get(m["person_id"], []),
                "employment_sector": sectors.get(m["person_id"], "none")} for m in app["members"]]
    return {"agency": "tax", "members": members, "justification": "employer's letter: salary since September",
            "document_id": upload["document_id"]}


def reassess_appeals(stack: EmbeddedStack, done: Aftercare, families: dict[str, SynthHousehold],
                     timeout: float = 300.0) -> None:
    """Two thirds re-assessed with corrected income (a second officer approves what it grants), the rest
    by asking the agencies again; waits for each answer."""
    for gid, application_id in sorted(done.appeals.items()):
        h = families[application_id]
        officer = _officer(h)
        body: dict[str, Any] = {"evidence": None}
        if gid in done.corrected:
            body = {"evidence": _corrected_income(stack, application_id, h, officer)}
        _ok(call(stack, "POST", f"/grievances/{gid}/reassess", officer, body), "reassess")
    deadline = time.monotonic() + timeout
    pending = dict(done.appeals)
    while pending and time.monotonic() < deadline:
        for gid, application_id in list(pending.items()):
            h = families[application_id]
            app = _ok(call(stack, "GET", f"/applications/{application_id}", _officer(h)), "application")
            if app["status"] == "awaiting_approval":  # eligible on corrected facts: the four-eyes rule
                _ok(call(stack, "POST", f"/applications/{application_id}/decision/approve", _officer(h, 2),
                         {"note": "employer's letter checked"}), "approve")
                continue
            if app["status"] == "needs_review":  # an agency failed meanwhile: staff run collection again
                _ok(call(stack, "POST", f"/applications/{application_id}/collect", _officer(h),
                         {"note": "agency answering again"}), "collect")
                continue
            g = _ok(call(stack, "GET", f"/grievances/{gid}", _officer(h)), "grievance")
            if g["status"] in ("resolved", "rejected"):
                done.answers[gid] = g["outcome_code"]
                del pending[gid]
        time.sleep(1)


def open_cases(stack: EmbeddedStack, decided: list[tuple[str, SynthHousehold, str, list[str]]],
               limit: int = 4) -> list[str]:
    """Families rejected with an idle working-age member referred to the mahalla's social worker, who
    assesses their needs and refers them to the employment centre, which accepts."""
    opened = []
    idle = [(a, h) for a, h, status, reasons in decided
            if status == "rejected" and "idle_working_age_member" in reasons][:limit]
    for application_id, h in idle:
        social = issue("social_worker", h.mahalla_code, subject=f"demo-social-{h.mahalla_code}")
        status, case = call(stack, "POST", "/cases", _officer(h), {
            "household_id": h.household_id, "origin": {"kind": "rejected_idle_member", "ref": application_id}})
        if status == 409:  # the family has an open case already
            continue
        _ok((status, case), "case")
        case_id = case["case_id"]
        _ok(call(stack, "POST", f"/cases/{case_id}/assessment", social, {
            "needs": {"income": 3, "health": 0, "housing": 1, "education": 0, "employment": 3, "disability": 0,
                      "protection": 0},
            "summary": "A working-age member without work or registration.", "plan": []}), "assessment")
        referred = _ok(call(stack, "POST", f"/cases/{case_id}/referrals", social,
                            {"service": "employment_services"}), "referral")
        referral_id = referred["referrals"][0]["referral_id"]
        _ok(call(stack, "POST", f"/cases/{case_id}/referrals/{referral_id}/answer", social,
                 {"status": "accepted", "note": "Registered; interview booked."}), "answer")
        _ok(call(stack, "POST", f"/cases/{case_id}/notes", social,
                 {"kind": "visit", "text": "Home visit after the referral.", "confidential": False}), "visit")
        opened.append(case_id)
    return opened


def figures(stack: EmbeddedStack, done: Aftercare) -> dict[str, Any]:
    analyst = issue("ministry_analyst", subject="demo-analyst")
    grievances = _ok(call(stack, "GET", "/statistics/grievances", analyst), "grievance statistics")
    cases = _ok(call(stack, "GET", "/statistics/cases", analyst), "case statistics")
    outcomes = list(done.answers.values())
    return {
        "grievances": {"filed": len(done.grievances) + len(done.appeals), "closed": grievances["closed"],
                       "median_days_to_answer": grievances["median_days_to_answer"],
                       "share_answered_in_time": grievances["share_answered_in_time"],
                       "by_status": _by(grievances["rows"], "status", "grievances")},
        "appeals": {"filed": len(done.appeals), "with_corrected_income": len(done.corrected),
                    "upheld": outcomes.count("upheld"), "denied": outcomes.count("appeal_denied"),
                    "unanswered": len(done.appeals) - len(outcomes), "by_ground": grievances["appeals"]["by_ground"]},
        "cases": {"opened": len(done.cases), "open": cases["open"], "by_origin": cases["by_origin"],
                  "referrals": cases["referrals"]},
    }


def _by(rows: list[dict[str, Any]], key: str, count: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row[key]] = out.get(row[key], 0) + int(row[count])
    return dict(sorted(out.items()))
