"""The access table and its check, without AWS: what citizens and aggregate-only roles may do, reach by level."""

from __future__ import annotations

import pytest

from chalicelib.domain import access
from chalicelib.domain.access import Principal, Target, authorize, permits, reach
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.households import Address

NIHOL = Address(region_code="1726", district_code="1726262", mahalla_code="1726262010", address_line="x")


def test_citizens_read_their_own_records_apply_and_ask_for_changes_nothing_else() -> None:
    """Issue 8: citizens read their own household, applications, decisions, payments and certificates,
    and apply for their household (changes they report become change requests)."""
    assert set(access.TABLE["citizen"]) == {
        "household.read", "application.read", "application.list", "decision.read", "payment.read",
        "certificate.read", "application.submit", "change_request.create", "change_request.read",
        "change_request.cancel",  # withdrawing their own report
        "grievance.file", "grievance.read", "grievance.attach", "grievance.rate",
        "appeal.file"}  # contesting their own rejection
    assert set(access.TABLE["citizen"].values()) == {access.Reach.SCOPE}


def test_aggregate_only_roles_get_no_registry_records() -> None:
    for role in access.AGGREGATE_ONLY:
        personal = [name for name in access.TABLE[role] if access.BY_NAME[name].personal]
        assert personal == [], role


def test_a_citizen_is_refused_a_change_by_role_and_another_household_as_not_found() -> None:
    citizen = Principal("c-1", "citizen", "hh-1")
    own, other = Target.of_record(NIHOL, "hh-1"), Target.of_record(NIHOL, "hh-2")
    authorize(citizen, access.HOUSEHOLD_READ, own)
    with pytest.raises(Forbidden) as refused:
        authorize(citizen, access.HOUSEHOLD_UPDATE, own)
    assert refused.value.code == "role_not_allowed"
    with pytest.raises(NotFound):
        authorize(citizen, access.HOUSEHOLD_READ, other)
    # A new household (no id yet) is never a citizen's own
    with pytest.raises(Forbidden) as new:
        authorize(citizen, access.APPLICATION_SUBMIT, Target.at(NIHOL))
    assert new.value.code == "out_of_scope"


@pytest.mark.parametrize(("role", "scope", "area", "inside"), [
    ("mahalla_worker", "1726262010", ("mahalla", "1726262010"), True),
    ("mahalla_worker", "1726262010", ("mahalla", "1726262017"), False),  # the sibling mahalla
    ("mahalla_worker", "1726262010", ("district", "1726262"), False),  # wider than the scope
    ("pension_fund_officer", "1726262", ("mahalla", "1726262017"), True),
    ("pension_fund_officer", "1726262", ("mahalla", "1726264010"), False),
    ("region_admin", "1726", ("district", "1726264"), True),
    ("region_admin", "1726", ("region", "1703"), False),
    ("auditor", "", ("region", "1703"), True),
    ("citizen", "hh-1", ("mahalla", "1726262010"), False),  # a citizen's area is their household
])
def test_a_filter_is_inside_the_reach_only_when_it_lies_within_the_scope(role: str, scope: str,
                                                                         area: tuple[str, str],
                                                                         inside: bool) -> None:
    principal = Principal("s", role, scope)
    assert permits(principal, access.APPLICATION_LIST, Target.area(*area)) is inside
    if not inside:
        with pytest.raises(Forbidden) as refused:
            authorize(principal, access.APPLICATION_LIST, Target.area(*area), field=area[0])
        assert (refused.value.code, refused.value.field) == ("out_of_scope", area[0])


def test_district_admins_read_their_regions_statistics_and_their_own_districts_payroll() -> None:
    admin = Principal("d", "district_admin", "1726262")
    assert reach(admin, access.STATISTICS_READ) == ("region", "1726")
    assert reach(admin, access.PAYROLL_READ) == ("district", "1726262")
    assert reach(Principal("a", "ministry_analyst", ""), access.STATISTICS_READ) == ("national", "")
    assert not permits(admin, access.PAYROLL_FILES, Target())  # the national files


def test_the_refusal_code_names_aggregates_only_for_registry_records() -> None:
    analyst = Principal("a", "ministry_analyst", "")
    with pytest.raises(Forbidden) as records:
        authorize(analyst, access.APPLICATION_LIST)
    with pytest.raises(Forbidden) as payroll:
        authorize(analyst, access.PAYROLL_START)
    assert (records.value.code, payroll.value.code) == ("aggregates_only", "role_not_allowed")


def test_an_action_granted_to_an_unknown_role_is_refused_at_import() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        access.Action("x.y", access.Kind.NONE, "x", {"superuser": access.Reach.NATIONAL})


def test_the_hotline_files_and_reads_grievances_only() -> None:
    # an appeal is a grievance against a decision: the hotline files it for a caller, never re-assesses it
    assert set(access.TABLE["hotline_operator"]) == {"grievance.file", "grievance.read", "grievance.attach",
                                                     "appeal.file"}
    assert set(access.TABLE["hotline_operator"].values()) == {access.Reach.NATIONAL}
