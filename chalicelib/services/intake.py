"""Registering an application: find or register the household, then file for the cycle month.

One application per household per cycle month (the repository's conditional write answers 409).
A family new to the registry is registered first, with its members' PINFLs claimed so that a
person belongs to one household only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from chalicelib.config import Settings
from chalicelib.domain import geography
from chalicelib.domain.access import APPLICATION_SUBMIT, Principal, Target, authorize
from chalicelib.domain.applications import Application, StatusChange, cycle_month
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.households import Address, BankAccount, ChangeRecord, Household, Member, check_members
from chalicelib.domain.working_days import decision_due
from chalicelib.ports import ApplicationRepository, Clock, HouseholdRepository, IdGenerator, Workflow
from chalicelib.services.workflow_starts import start_run

logger = Logger(service="spsr-intake")


@dataclass(frozen=True)
class ApplicationRequest:
    programmes: tuple[str, ...]
    channel: str
    address: Address
    members: tuple[Member, ...]  # person_id may be empty: the registry assigns it
    applicant_pinfl: str
    bank_account: BankAccount | None = None


def check_address(address: Address, field: str = "address") -> None:
    if geography.region(address.region_code) is None:
        raise ValidationFailed("unknown region code", field=f"{field}.region_code", code="unknown_region")
    region = geography.region_of_district(address.district_code)
    if region is None or region.code != address.region_code:
        raise ValidationFailed("district is not in that region", field=f"{field}.district_code",
                               code="unknown_district")
    district = geography.district_of_mahalla(address.mahalla_code)
    if district is None or district.code != address.district_code:
        raise ValidationFailed("mahalla is not in that district", field=f"{field}.mahalla_code",
                               code="unknown_mahalla")


class IntakeService:
    def __init__(self, households: HouseholdRepository, applications: ApplicationRepository,
                 clock: Clock, ids: IdGenerator, settings: Settings, workflow: Workflow | None = None) -> None:
        self._households = households
        self._applications = applications
        self._clock = clock
        self._ids = ids
        self._settings = settings
        self._workflow = workflow

    def submit(self, principal: Principal, request: ApplicationRequest) -> Application:
        authorize(principal, APPLICATION_SUBMIT)
        check_address(request.address)
        check_members(request.members)
        applicant_index = next(
            (i for i, m in enumerate(request.members) if m.pinfl == request.applicant_pinfl), None
        )
        if applicant_index is None:
            raise ValidationFailed("the applicant must be one of the members", field="applicant_pinfl")
        if not request.members[applicant_index].phone:
            raise ValidationFailed("the applicant needs a mobile phone for notifications",
                                   field=f"members[{applicant_index}].phone", code="phone_required")

        now = self._clock.now()
        stamp = now.isoformat(timespec="seconds")
        household, members = self._household_for(principal, request, stamp)
        applicant = next(m for m in members if m.pinfl == request.applicant_pinfl)
        app = Application(
            application_id=self._ids.new_id("app"),
            household_id=household.household_id,
            cycle_month=cycle_month(now, self._settings.cutoff_day, self._settings.timezone),
            programmes=request.programmes,
            channel=request.channel,
            applicant_person_id=applicant.person_id,
            members=members,
            address=household.address,
            status="submitted",
            history=(StatusChange("submitted", stamp, principal.subject, principal.role),),
            created_at=stamp,
            created_by=principal.subject,
            due_date=decision_due(now.astimezone(ZoneInfo(self._settings.timezone)).date()).isoformat(),
        )
        self._applications.add(app)  # with its pending start: the run is owed from here on
        start_run(self._applications, self._workflow, app)
        return app

    def _household_for(self, principal: Principal, request: ApplicationRequest,
                       stamp: str) -> tuple[Household, tuple[Member, ...]]:
        """The applicant's household (registered now if new) and the members with their person ids."""
        found = self._households.find_by_pinfl(request.applicant_pinfl)
        if found is not None:
            household = self._households.get(found[0])
            if household is None:  # a claim without its household: the registry is inconsistent
                raise Conflict("the applicant's household record is missing", field="applicant_pinfl",
                               code="household_missing")
            authorize(principal, APPLICATION_SUBMIT, Target.at(household.address, household.household_id),
                      "this household")
            known = {m.pinfl: m.person_id for m in household.members}
            members: list[Member] = []
            for i, m in enumerate(request.members):
                if m.pinfl in known:
                    members.append(replace(m, person_id=known[m.pinfl]))
                    continue
                other = self._households.find_by_pinfl(m.pinfl)
                if other is not None:
                    raise Conflict("this member is registered in another household",
                                   field=f"members[{i}].pinfl", code="member_in_other_household")
                members.append(replace(m, person_id=self._ids.new_id("p")))
            return household, tuple(members)

        # A new household has no id yet, so a citizen's token (their own household) never reaches it.
        authorize(principal, APPLICATION_SUBMIT, Target.at(request.address), "this address")
        household_id = self._ids.new_id("hh")
        new_members = tuple(replace(m, person_id=self._ids.new_id("p")) for m in request.members)
        household = Household(household_id=household_id, address=request.address, members=new_members,
                              bank_account=request.bank_account, version=1, created_at=stamp, updated_at=stamp)
        change = ChangeRecord(household_id=household_id, version=1, at=stamp, actor_id=principal.subject,
                              actor_role=principal.role, action="household_registered", target="household",
                              new={"members": len(new_members), "mahalla_code": request.address.mahalla_code})
        self._households.add(household, change)
        return household, new_members
