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


# Who reads the audit trail: auditors only. Events carry no address, so a region or district scope
# could not be applied to them; the trail is read nationwide or not at all.
AUDIT_READERS = ("auditor",)


def require_audit_read(principal: Principal) -> None:
    if principal.role not in AUDIT_READERS:
        raise Forbidden(f"role {principal.role} cannot read the audit trail", code="role_not_allowed")
