"""Who may see and change what: roles, their scopes and the checks the services apply.

Scopes follow the address hierarchy region -> district -> mahalla. A check that fails on a single
record answers "not found" (the caller learns nothing about records outside its scope); a write or a
listing aimed outside the scope answers "forbidden".
"""

from __future__ import annotations

from dataclasses import dataclass

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
}

# Roles allowed to register applications and change household records.
WRITERS = ("mahalla_worker", "pension_fund_officer", "district_admin", "citizen")
# Roles that never see registry records (households, applications, decisions): the analysts see
# aggregates only; the payroll officers see payroll runs and their files, governed by the payroll.
AGGREGATE_ONLY = ("ministry_analyst", "payroll_officer")


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    scope: str  # a region, district or mahalla code; a household id for a citizen; "" when national

    @property
    def level(self) -> str:
        return SCOPE_LEVEL[self.role]


def covers(principal: Principal, address: Address, household_id: str) -> bool:
    level = principal.level
    if level == "national":
        return True
    if level == "household":
        return household_id == principal.scope
    code = {"region": address.region_code, "district": address.district_code, "mahalla": address.mahalla_code}
    return code[level] == principal.scope


def require_personal_data_access(principal: Principal) -> None:
    if principal.role in AGGREGATE_ONLY:
        raise Forbidden(f"role {principal.role} sees no registry records", code="aggregates_only")


def require_read(principal: Principal, address: Address, household_id: str, what: str) -> None:
    require_personal_data_access(principal)
    if not covers(principal, address, household_id):
        raise NotFound(f"{what} not found", code="not_found")


def require_write(principal: Principal, address: Address, household_id: str, what: str) -> None:
    if principal.role not in WRITERS:
        raise Forbidden(f"role {principal.role} cannot change {what}", code="role_not_allowed")
    if not covers(principal, address, household_id):
        raise Forbidden(f"{what} is outside this token's scope", code="out_of_scope")


# Change requests (a reported change waits for a second person; ``chalicelib.domain.change_requests``).
# action -> the roles allowed; the scope is always the household's (its district for deciders).
CHANGE_REQUEST_ROLES: dict[str, tuple[str, ...]] = {
    "change_request.create": WRITERS,  # a citizen for their own household; staff in scope
    "change_request.decide": ("pension_fund_officer", "district_admin"),  # approve or reject
}


def require_change_request(principal: Principal, action: str, address: Address, household_id: str) -> None:
    """May ``principal`` do ``action`` (a key of CHANGE_REQUEST_ROLES) on a request of this household?"""
    if principal.role not in CHANGE_REQUEST_ROLES[action]:
        raise Forbidden(f"role {principal.role} may not do {action}", code="role_not_allowed")
    if not covers(principal, address, household_id):
        raise Forbidden("the household is outside this token's scope", code="out_of_scope")
