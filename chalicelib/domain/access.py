"""Who may do what, and where: the one access table (role -> action -> reach) and the check every service applies.

Each ``Action`` names one thing a caller may do and grants it to roles with a reach:

- ``SCOPE``: inside the token's own scope, at the role's level of the address hierarchy region ->
  district -> mahalla (a mahalla worker's mahalla, a district officer's district, ...); a citizen's
  scope is their own household; a national role's scope is the whole country;
- ``REGION``: the region that contains the token's scope (district administrations read their region's
  statistics);
- ``NATIONAL``: everywhere.

A role not named on an action may not do it (403 ``role_not_allowed``; ``aggregates_only`` for the
roles that never see registry records). What is checked against the reach is a ``Target``:

- ``Target.of_record`` (one existing household or application, named in the path, read or changed):
  outside the reach it answers 404 ``not_found``, so the caller learns nothing about records outside
  its scope;
- ``Target.at`` / ``Target.area`` (the address of a new registration or a move, a listing filter, a
  district's pre-payroll): outside the reach it answers 403 ``out_of_scope``.

``Kind`` says which of these an action's routes use (the matrix test derives its expectations from it).

The routes name their action (``chalicelib/api/http.py``'s ``endpoint``); the README's access table
and the access-matrix test (``tests/api/test_access_matrix.py``) are generated from this table.
Adding a permission is one ``Action(...)`` line here; a route using it is one ``action=`` argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.domain import geography
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.households import Address

ROLES = (
    "mahalla_worker",
    "pension_fund_officer",
    "district_admin",
    "region_admin",
    "ministry_analyst",
    "auditor",
    "citizen",
    "payroll_officer",
    "hotline_operator",
    "social_worker",
    "supervisor",
)

# The level of the address hierarchy each role's scope code names.
SCOPE_LEVEL = {
    "mahalla_worker": "mahalla",
    "pension_fund_officer": "district",
    "district_admin": "district",
    "region_admin": "region",
    "ministry_analyst": "national",
    "auditor": "national",
    "citizen": "household",
    "payroll_officer": "national",
    "hotline_operator": "national",
    "social_worker": "mahalla",  # community social work: the cases of one mahalla
    "supervisor": "district",  # oversees the district's social workers and their cases
}

# Roles that never see registry records (households, applications, decisions): the analysts see
# aggregates only; the payroll officers see payroll runs and their files, governed by the payroll.
AGGREGATE_ONLY = ("ministry_analyst", "payroll_officer")


class Reach(StrEnum):
    SCOPE = "scope"
    REGION = "region"
    NATIONAL = "national"


class Kind(StrEnum):
    """What an action is checked against, and so what an out-of-scope call answers."""

    RECORD = "record"  # one record named in the path: 404 outside the reach
    AREA = "area"  # an area named by the caller (filter, address, district): 403 outside the reach
    VIEW = "view"  # no denial on scope: the service shows only what lies inside the reach
    NONE = "none"  # nothing located (a calculator, starting the month's payroll): the role alone decides


@dataclass(frozen=True)
class Action:
    name: str
    kind: Kind
    summary: str
    grants: Mapping[str, Reach]
    personal: bool = True  # about registry records: denied to the aggregate-only roles as aggregates_only

    def __post_init__(self) -> None:
        unknown = set(self.grants) - set(ROLES)
        if unknown:
            raise ValueError(f"action {self.name} grants unknown roles {sorted(unknown)}")


S, R, N = Reach.SCOPE, Reach.REGION, Reach.NATIONAL
# The caseworkers: they register and change families in their area.
_WRITERS = {"mahalla_worker": S, "pension_fund_officer": S, "district_admin": S}
# Everyone who reads registry records of an area: the caseworkers, the region and the auditors.
_READERS = {**_WRITERS, "region_admin": S, "auditor": N}
_CITIZEN = {"citizen": S}  # their own household only
# The national hotline files grievances for callers and reads them, nothing else.
_HOTLINE = {"hotline_operator": N}
# Who works a grievance: the district's officers (as its category routes it), then the region.
_GRIEVANCE_HANDLERS = {"pension_fund_officer": S, "district_admin": S, "region_admin": S}

# Community social work: the mahalla's social workers and the district's supervisors.
_SOCIAL_WORK = {"social_worker": S, "supervisor": S}

ACTIONS: tuple[Action, ...] = (
    HOUSEHOLD_READ := Action("household.read", Kind.RECORD, "read a household with its members",
                             {**_READERS, **_CITIZEN}),
    HOUSEHOLD_CHANGES := Action("household.changes", Kind.RECORD, "read a household's change records",
                                _READERS),
    HOUSEHOLD_UPDATE := Action("household.update", Kind.RECORD,
                               "change a household's address (a bank account change becomes a change request)",
                               _WRITERS),
    MEMBER_ADD := Action("member.add", Kind.RECORD, "add a member to a household", _WRITERS),
    MEMBER_UPDATE := Action("member.update", Kind.RECORD, "change a member's details", _WRITERS),
    APPLICATION_SUBMIT := Action("application.submit", Kind.AREA,
                                 "submit an application (registering the household if new)",
                                 {**_WRITERS, **_CITIZEN}),
    APPLICATION_READ := Action("application.read", Kind.RECORD, "read an application with its history",
                               {**_READERS, **_CITIZEN}),
    APPLICATION_LIST := Action("application.list", Kind.AREA, "list applications, filtered by area",
                               {**_READERS, **_CITIZEN}),
    DOCUMENT_UPLOAD := Action("document.upload", Kind.RECORD, "upload a document to an application", _WRITERS),
    EVIDENCE_COLLECT := Action("evidence.collect", Kind.RECORD, "run evidence collection again", _WRITERS),
    EVIDENCE_MANUAL := Action("evidence.manual", Kind.RECORD, "enter an agency's facts by hand", _WRITERS),
    DECISION_READ := Action("decision.read", Kind.RECORD, "read an application's decision and its explanation",
                            {**_READERS, **_CITIZEN}),
    DECISION_APPROVE := Action("decision.approve", Kind.RECORD,
                               "approve or reject a decision made eligible by facts entered by hand "
                               "(a second officer, not the one who entered them)",
                               {"pension_fund_officer": S, "district_admin": S}),
    ACCESS_LOG_READ := Action("access_log.read", Kind.RECORD, "read the agency queries made for an application",
                              _READERS),
    PAYMENT_READ := Action("payment.read", Kind.RECORD, "read a household's payments",
                           {**_READERS, **_CITIZEN}),
    CERTIFICATE_READ := Action("certificate.read", Kind.RECORD, "read a household's certificates",
                               {**_READERS, **_CITIZEN}),
    CHANGE_REQUEST_CREATE := Action("change_request.create", Kind.RECORD,
                                    "ask for a change to a household (new card, phone, address...)",
                                    {**_WRITERS, **_CITIZEN}),
    CHANGE_REQUEST_READ := Action("change_request.read", Kind.RECORD, "read a household's change requests",
                                  {**_READERS, **_CITIZEN}),
    CHANGE_REQUEST_LIST := Action("change_request.list", Kind.AREA,
                                  "list a district's (or mahalla's) change requests: the queue", _WRITERS),
    CHANGE_REQUEST_DECIDE := Action("change_request.decide", Kind.RECORD,
                                    "approve or reject a change request (a second person, never its reporter)",
                                    {"pension_fund_officer": S, "district_admin": S}),
    CHANGE_REQUEST_CANCEL := Action("change_request.cancel", Kind.RECORD,
                                    "withdraw a pending change request (its reporter only)",
                                    {**_WRITERS, **_CITIZEN}),
    GRIEVANCE_FILE := Action("grievance.file", Kind.RECORD,
                             "file a grievance about a household's dealings with the registry",
                             {**_WRITERS, **_CITIZEN, **_HOTLINE}),
    GRIEVANCE_READ := Action("grievance.read", Kind.RECORD, "read a grievance with its history",
                             {**_READERS, **_CITIZEN, **_HOTLINE}),
    GRIEVANCE_LIST := Action("grievance.list", Kind.AREA,
                             "list a district's or region's grievances, and the overdue ones (the hotline finds "
                             "a caller's by household)", {**_WRITERS, "region_admin": S}),
    GRIEVANCE_ATTACH := Action("grievance.attach", Kind.RECORD, "attach a file to an open grievance",
                               {**_WRITERS, **_CITIZEN, **_HOTLINE}),
    GRIEVANCE_HANDLE := Action("grievance.handle", Kind.RECORD,
                               "take, extend, resolve, reject or escalate a grievance (as its category "
                               "routes it; the region once escalated)", _GRIEVANCE_HANDLERS),
    APPEAL_FILE := Action("appeal.file", Kind.RECORD,
                          "appeal a rejected application's decision, naming the grounds (a decision_appeal grievance)",
                          {**_WRITERS, **_CITIZEN, **_HOTLINE}),
    APPEAL_REASSESS := Action("appeal.reassess", Kind.RECORD,
                              "re-assess an appealed decision: the agencies asked again, or corrected facts entered "
                              "(evidence.manual applies)", _GRIEVANCE_HANDLERS),
    GRIEVANCE_RATE := Action("grievance.rate", Kind.RECORD, "rate how a closed grievance was handled (the family)",
                             _CITIZEN),
    CASE_OPEN := Action("case.open", Kind.RECORD,
                        "open a social work case for a household (a social worker, or by referral from the "
                        "caseworkers)", {**_SOCIAL_WORK, **_WRITERS}),
    CASE_READ := Action("case.read", Kind.RECORD,
                        "read a case (its confidential notes: the case's worker and the supervisors only)",
                        _SOCIAL_WORK),
    CASE_LIST := Action("case.list", Kind.AREA, "list a mahalla's or a district's cases", _SOCIAL_WORK),
    CASE_WORK := Action("case.work", Kind.RECORD,
                        "assess needs, plan, refer, record the provider's answer, visits and notes, review, close",
                        _SOCIAL_WORK),
    STATISTICS_READ := Action("statistics.read", Kind.VIEW,
                              "application, grievance, appeal and case counts (no personal data)",
                              {"district_admin": R, "region_admin": S, "ministry_analyst": N, "auditor": N},
                              personal=False),
    ASSESSMENT_PREVIEW := Action("assessment.preview", Kind.NONE, "the what-if calculator (stores nothing)",
                                 {**_READERS, "ministry_analyst": N}, personal=False),
    PAYROLL_START := Action("payroll.start", Kind.NONE, "start the payroll run of a month",
                            {"payroll_officer": N}, personal=False),
    PAYROLL_READ := Action("payroll.read", Kind.VIEW, "read payroll runs and their reconciliation (aggregates)",
                           {"payroll_officer": N, "ministry_analyst": N, "auditor": N, "region_admin": S,
                            "district_admin": S}, personal=False),
    PAYROLL_APPROVE_DISTRICT := Action("payroll.approve_district", Kind.AREA,
                                       "approve or reject a district's pre-payroll", {"district_admin": S},
                                       personal=False),
    PAYROLL_FILES := Action("payroll.files", Kind.VIEW, "download a run's files (pre-payrolls hold personal data)",
                            {"payroll_officer": N, "auditor": N, "region_admin": S, "district_admin": S},
                            personal=False),
    # Audit events carry no address, so no area scope could apply: the trail is read nationwide or not at all.
    AUDIT_READ := Action("audit.read", Kind.NONE, "read and verify the audit trail (ids only)", {"auditor": N},
                         personal=False),
)

BY_NAME: dict[str, Action] = {a.name: a for a in ACTIONS}
# The same table read the other way: role -> action name -> reach.
TABLE: dict[str, dict[str, Reach]] = {role: {a.name: a.grants[role] for a in ACTIONS if role in a.grants}
                                      for role in ROLES}


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    scope: str  # a region, district or mahalla code; a household id for a citizen; "" when national

    @property
    def level(self) -> str:
        return SCOPE_LEVEL[self.role]


@dataclass(frozen=True)
class Target:
    """Where the thing acted on lies: its codes at each level (None where unknown or wider)."""

    region: str | None = None
    district: str | None = None
    mahalla: str | None = None
    household: str | None = None
    record: bool = field(default=False)

    @classmethod
    def of_record(cls, address: Address, household_id: str) -> Target:
        """An existing household or application (of that household), named by the caller."""
        return cls(address.region_code, address.district_code, address.mahalla_code, household_id, record=True)

    @classmethod
    def at(cls, address: Address, household_id: str | None = None) -> Target:
        """An address the caller aims at: a new registration, a move, the household a PINFL belongs to."""
        return cls(address.region_code, address.district_code, address.mahalla_code, household_id)

    @classmethod
    def area(cls, level: str, code: str) -> Target:
        """An area named by code (a listing filter, a district's payroll); the wider levels filled in."""
        if level == "national":
            return cls()
        if level == "region":
            return cls(region=code)
        if level == "district":
            region = geography.region_of_district(code)
            return cls(region.code if region else None, code)
        district = geography.district_of_mahalla(code)
        region = geography.region_of_district(district.code) if district else None
        return cls(region.code if region else None, district.code if district else None, code)

    def code(self, level: str) -> str | None:
        return {"region": self.region, "district": self.district, "mahalla": self.mahalla,
                "household": self.household}[level]


def reach(principal: Principal, action: Action) -> tuple[str, str]:
    """The area (level, code) the principal may act in for this action; ("national", "") for all of it."""
    grant = action.grants.get(principal.role)
    if grant is None:
        raise _role_denied(principal, action)
    if grant is Reach.NATIONAL or principal.level == "national":
        return "national", ""
    if grant is Reach.REGION and principal.level in ("district", "mahalla"):
        region = Target.area(principal.level, principal.scope).region
        return "region", region or ""
    return principal.level, principal.scope


def permits(principal: Principal, action: Action, target: Target | None = None) -> bool:
    """Does the table let the principal do the action on the target (or at all, without a target)?"""
    if principal.role not in action.grants:
        return False
    if target is None:
        return True
    level, code = reach(principal, action)
    return level == "national" or (code != "" and target.code(level) == code)


def authorize(principal: Principal, action: Action, target: Target | None = None, what: str = "",
              field: str | None = None) -> None:
    """The one check: raises 403 for a role without the action, 404/403 for a target outside its reach."""
    if principal.role not in action.grants:
        raise _role_denied(principal, action)
    if target is None or permits(principal, action, target):
        return
    thing = what or action.name.split(".")[0].replace("_", " ")
    if target.record:
        raise NotFound(f"{thing} not found", field=field, code="not_found")
    raise Forbidden(f"{thing} is outside this token's scope", field=field, code="out_of_scope")


def _role_denied(principal: Principal, action: Action) -> Forbidden:
    if action.personal and principal.role in AGGREGATE_ONLY:
        return Forbidden(f"role {principal.role} sees no registry records", code="aggregates_only")
    return Forbidden(f"role {principal.role} may not {action.name}", code="role_not_allowed")


# ---------------------------------------------------------------------------------------- the README table

_REACH_TEXT = {"household": "own household", "national": "all"}


def markdown(routes: Mapping[str, list[str]] | None = None) -> str:
    """The README's access table: one row per action, one column per role, the reach in each cell."""
    def cell(action: Action, role: str) -> str:
        grant = action.grants.get(role)
        if grant is None:
            return ""
        if action.kind is Kind.NONE:
            return "yes"
        if grant is Reach.SCOPE:
            level = SCOPE_LEVEL[role]
            return _REACH_TEXT.get(level, level)
        return _REACH_TEXT.get(grant.value, grant.value)

    head = ["action", *(["routes"] if routes is not None else []), *ROLES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for action in ACTIONS:
        row = [f"`{action.name}`: {action.summary}"]
        if routes is not None:
            row.append(", ".join(f"`{r}`" for r in routes.get(action.name, [])) or "(none yet)")
        lines.append("| " + " | ".join([*row, *(cell(action, role) for role in ROLES)]) + " |")
    return "\n".join(lines) + "\n"

